-- req_content_length_negative: a POST whose Content-Length is "-10".
--
-- Models: an integer overflow or sign probe (a parser that reads it with strtol and does not
-- check the sign).
--
-- RFC 9110 8.6: Content-Length = 1*DIGIT, so "-10" is invalid; RFC 9112 6.3 (item 5): the
-- server "MUST respond with a 400 (Bad Request) status code and then close the connection".
-- A proxy must not forward it: no upstream connection.
--
-- Wire (client): "POST /req_content_length_negative/1 HTTP/1.1\r\nHost: ...\r\n
-- Content-Length: -10\r\n\r\n".
--
-- curl -H 'Content-Length: -10' -X POST, directly: curl sends it; the simulator's parser
-- answers 400.
return scenario {
  summary = "the client's Content-Length is -10: the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 6.3",
  client  = { request { method = "POST", headers = { "Content-Length: -10" } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
