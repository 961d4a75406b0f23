-- req_missing_host: an HTTP/1.1 request without a Host field.
--
-- Models: a hand-written or very old client (HTTP/1.0 habits) speaking HTTP/1.1.
--
-- RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
-- request message that lacks a Host header field". A proxy that forwards it would have to
-- invent a Host; the RFC asks for the 400, and no upstream connection.
--
-- Wire (client): "GET /req_missing_host/1 HTTP/1.1\r\n\r\n".
--
-- curl -H 'Host:', directly (an empty -H removes curl's Host): the simulator answers 200.
return scenario {
  summary = "an HTTP/1.1 request without Host: the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 3.2",
  client  = { request { host = false } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
