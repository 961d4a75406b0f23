-- req_version_2_in_h1: an HTTP/1.1-syntax request whose request line says "HTTP/2.0".
--
-- Models: a confused client or library that writes the HTTP/2 version into a text request
-- (HTTP/2 has no request line: RFC 9113 3.4 starts it with a connection preface).
--
-- RFC 9110 15.6.6: 505 (HTTP Version Not Supported) for a major version the server does not
-- support in this syntax; RFC 9112 2.3: a version that does not fit the message is a bad
-- request (400). The proxy answers by itself, with no upstream connection.
--
-- Wire (client): "GET /req_version_2_in_h1/1 HTTP/2.0\r\nHost: ...\r\n\r\n".
--
-- curl cannot send it (--http2 speaks real HTTP/2 frames); `badup client` to the simulator
-- gets 200: its parser (http-parser) takes any one-digit version.
return scenario {
  summary = "the client writes HTTP/2.0 in an HTTP/1.1 request line: the proxy answers 505 or 400",
  expect  = { { status = 505, connections = 0 }, { status = 400, connections = 0 } },
  rfc     = "RFC 9110 15.6.6",
  client  = { request { version = "HTTP/2.0" } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
