-- req_uri_too_long: a request target of 64 KiB.
--
-- Models: a runaway query string (a form sent as GET, a tracking parameter that grows), or a
-- buffer overflow probe.
--
-- RFC 9110 15.5.15: 414 (URI Too Long) "when the target URI of a request is longer than the
-- server is willing to interpret". Every proxy has a request-line or header-buffer limit
-- well under 64 KiB by default; the proxy answers by itself, with no upstream connection.
--
-- Wire (client): "GET /req_uri_too_long/aaaa...(65536 bytes) HTTP/1.1\r\nHost: ...\r\n\r\n".
--
-- curl "http://.../req_uri_too_long/$(head -c 65536 /dev/zero | tr '\0' a)", directly: 200
-- (the simulator's parser has no limit on the target's length).
return scenario {
  summary = "the client's request target is 64 KiB long: the proxy must answer 414",
  expect  = { status = 414, connections = 0 },
  rfc     = "RFC 9110 15.5.15",
  client  = { request { target = "/${scenario}/" .. string.rep("a", 65536) } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
