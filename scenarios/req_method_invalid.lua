-- req_method_invalid: the request line's method is not a token: "G(ET / HTTP/1.1".
--
-- Models: a broken client, a fuzzer, or bytes of another protocol on an HTTP port.
--
-- RFC 9110 9.1: a method is a token, and "(" is a delimiter, never in a token (RFC 9110
-- 5.6.2); RFC 9112 3 and 2.2: a request line that does not parse is answered 400 (Bad
-- Request). The proxy must answer by itself: no upstream connection at all.
--
-- Wire (client): "G(ET /req_method_invalid/1 HTTP/1.1\r\nHost: ...\r\n\r\n".
--
-- curl -X 'G(ET', directly: curl sends the method as given; the simulator's own parser
-- (http-parser) answers 400. A proxy that forwards it gets that 400 from the upstream, which
-- is why the expect also asks that no upstream connection was made.
return scenario {
  summary = "the client's method is not a token (G(ET): the proxy must answer 400 by itself",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 3",
  client  = { request { method = "G(ET" } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
