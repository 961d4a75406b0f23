-- req_dup_host: a request with two different Host fields.
--
-- Models: Host header confusion (one hop routes or caches by the first, another by the last:
-- cache poisoning, virtual host bypass).
--
-- RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
-- request message that lacks a Host header field and to any request message that contains
-- more than one Host header field line or a Host header field with an invalid field value."
-- The proxy answers by itself: no upstream connection.
--
-- Wire (client): "GET /req_dup_host/1 HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n".
--
-- curl -H 'Host: a.example' -H 'Host: b.example', directly: curl sends both; the simulator
-- (which does not route by Host) answers 200.
return scenario {
  summary = "the client sends two different Host headers: the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 3.2",
  client  = { request { headers = { "Host: a.example", "Host: b.example" } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
