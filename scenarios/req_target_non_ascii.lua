-- req_target_non_ascii: raw bytes 0xAB 0xFA in the request target, not percent-encoded.
--
-- Models: a client that writes a UTF-8 or Latin-1 path as is instead of encoding it.
--
-- RFC 9112 3.2 and RFC 3986 2: the request target is URI characters only (non-ASCII must
-- be percent-encoded); RFC 9112 3: an invalid request line gets 400 (Bad Request). The
-- proxy must not pass the bytes on: no upstream connection.
--
-- Wire (client): "GET /req_target_non_ascii/\xab\xfa HTTP/1.1\r\nHost: ...\r\n\r\n".
--
-- curl encodes nothing but sends such a URL as given (curl "http://.../\xab\xfa" with
-- $'...' quoting); the simulator's parser is lenient there and answers 200.
return scenario {
  summary = "the client's request target holds raw non-ASCII bytes: the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 3.2",
  client  = { request { target = "/${scenario}/\xab\xfa" } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
