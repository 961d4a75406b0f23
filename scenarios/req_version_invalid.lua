-- req_version_invalid: the request line's protocol is "HTTP/0.3", a version that never
-- existed.
--
-- Models: a broken client or a fuzzer; what a proxy does with a version it cannot speak.
--
-- RFC 9112 2.3: the version is "HTTP/" DIGIT "." DIGIT; RFC 9110 15.6.6: 505 (HTTP Version
-- Not Supported) for a major version the server does not support; a malformed or nonsense
-- version is a bad request line: 400. Either way the proxy answers by itself.
--
-- Wire (client): "GET /req_version_invalid/1 HTTP/0.3\r\nHost: ...\r\n\r\n".
--
-- curl cannot send it (it writes HTTP/1.0, 1.1 or 2 only); `badup client` to the simulator
-- gets 200: its parser (http-parser) takes any one-digit version.
return scenario {
  summary = "the client's request line says HTTP/0.3: the proxy answers 400 or 505 by itself",
  expect  = { { status = 400, connections = 0 }, { status = 505, connections = 0 } },
  rfc     = "RFC 9112 2.3",
  client  = { request { version = "HTTP/0.3" } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
