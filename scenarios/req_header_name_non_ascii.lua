-- req_header_name_non_ascii: a header field name with the byte 0xE9 in it ("X-R\xe9sum\xe9").
--
-- Models: a client that writes a Latin-1 field name; field names are tokens, ASCII only.
--
-- RFC 9110 5.1: a field name is a token (RFC 9110 5.6.2: visible ASCII but delimiters);
-- RFC 9112 5: a request whose field line does not parse is a bad request, 400. The proxy
-- must not pass it on: no upstream connection.
--
-- Wire (client): "GET /req_header_name_non_ascii/1 HTTP/1.1\r\nHost: ...\r\n
-- X-R\xe9sum\xe9: 1\r\n\r\n".
--
-- curl -H $'X-R\xe9sum\xe9: 1', directly: curl sends it as given; the simulator's parser
-- answers 400.
return scenario {
  summary = "a request header name holds the byte 0xE9: the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9110 5.1",
  client  = { request { headers = { "X-R\xe9sum\xe9: 1" } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
