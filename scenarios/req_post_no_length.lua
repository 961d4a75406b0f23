-- req_post_no_length: a POST without Content-Length or Transfer-Encoding, and no body.
--
-- Models: a client that posts an empty form or a bodiless trigger ("POST /reload").
--
-- RFC 9112 6.3 (item 7): a request without either field has a body of length zero; RFC 9110
-- 15.5.12: a server may still insist on a length, 411 (Length Required). So: forwarded as a
-- POST with an empty body, or 411 without an upstream connection.
--
-- Wire (client): "POST /req_post_no_length/1 HTTP/1.1\r\nHost: ...\r\n\r\n".
--
-- curl -X POST, directly (it sends no Content-Length without data): 200 "ok".
return scenario {
  summary = "a POST without Content-Length or Transfer-Encoding: forwarded with an empty body, or 411",
  expect  = {
    { status = 200, upstream = { method = "POST", body_length = 0 } },
    { status = 411, connections = 0 },
  },
  rfc     = "RFC 9112 6.3",
  client  = { request { method = "POST", length = false } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
