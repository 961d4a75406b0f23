-- req_header_too_large: one request header field whose value is 64 KiB.
--
-- Models: a cookie jar that grew out of hand, a huge bearer token or forwarded chain.
--
-- RFC 9110 15.5 and RFC 6585 5: 431 (Request Header Fields Too Large) when one field or
-- the whole section is too large; many servers answer 400 instead, which RFC 9110 15.5.1
-- allows for a request the server will not process. The proxy answers by itself: no
-- upstream connection.
--
-- Wire (client): "GET /req_header_too_large/1 HTTP/1.1\r\nHost: ...\r\nX-Big: xxxx...(65536
-- bytes)\r\n\r\n".
--
-- curl -H "X-Big: $(head -c 65536 /dev/zero | tr '\0' x)", directly: 200 (the head stays
-- under the 80 KiB limit of the simulator's parser).
return scenario {
  summary = "one request header value of 64 KiB: the proxy must answer 431 (or 400)",
  expect  = { { status = 431, connections = 0 }, { status = 400, connections = 0 } },
  rfc     = "RFC 6585 5",
  client  = { request { headers = { "X-Big: " .. string.rep("x", 65536) } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
