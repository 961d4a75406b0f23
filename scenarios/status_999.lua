-- status_999: a status code outside the 100-599 range: "HTTP/1.1 999 Request Denied".
--
-- Models: LinkedIn's famous 999 answer to scrapers, and application frameworks that leak
-- internal codes (600-999) onto the wire.
--
-- RFC 9110 15: "Values outside the range 100..599 are invalid." A client receiving one
-- "SHOULD process the response as if it had a 5xx (Server Error) status code"; a proxy must
-- not forward an invalid response, so its client gets 502 (RFC 9110 15.6.3). Proxies that
-- pass 999 through deviate.
--
-- Wire: "HTTP/1.1 999 Request Denied\r\nContent-Length: 3\r\n\r\nok\n", then FIN.
--
-- curl, directly (7.88.1): curl accepts any 3-digit code: exit 0, http_code 999.
return scenario {
  summary = "status code 999, outside the valid 100-599 range",
  expect  = 502,
  rfc     = "RFC 9110 15",
  plan    = { rxreq(), txresp { status = 999, reason = "Request Denied", body = "ok\n" }, close() },
}
