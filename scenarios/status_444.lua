-- status_444: a syntactically valid but unregistered status, "HTTP/1.1 444 No Response",
-- with a normal body.
--
-- Models: an upstream that puts nginx's log-only code 444 on the wire (some frameworks and
-- WAF rules copy it literally), or any non-standard 4xx/5xx an application invents. Not to
-- be confused with what nginx's "return 444" really does: that is empty_reply.
--
-- RFC 9110 15: a status code is any three digits 100-599; a recipient that does not know
-- 444 treats it as the x00 of its class for its own semantics, but the response is valid.
-- A proxy forwards it unchanged (RFC 9110 7.6), so its client sees 444.
--
-- Wire: "HTTP/1.1 444 No Response\r\nContent-Length: 12\r\n\r\nno response\n", connection
-- kept alive.
--
-- curl, directly: exit 0, http_code 444.
return scenario {
  summary = "a valid but unregistered status 444 with a body",
  expect  = 444,
  rfc     = "RFC 9110 15",
  plan    = {
    rxreq(),
    txresp { status = 444, reason = "No Response", body = "no response\n" },
    keepalive(),
  },
}
