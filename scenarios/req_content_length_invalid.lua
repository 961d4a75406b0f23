-- req_content_length_invalid: a POST whose Content-Length is not a number: "abc".
--
-- Models: a broken client or a smuggling probe; the framing of the body cannot be known.
--
-- RFC 9112 6.3 (item 5): an invalid Content-Length in a request is unrecoverable: "the
-- server MUST respond with a 400 (Bad Request) status code and then close the connection".
-- RFC 9110 8.6: Content-Length = 1*DIGIT. A proxy must not forward it: no upstream
-- connection.
--
-- Wire (client): "POST /req_content_length_invalid/1 HTTP/1.1\r\nHost: ...\r\n
-- Content-Length: abc\r\n\r\n".
--
-- curl -H 'Content-Length: abc' -X POST, directly: curl sends it; the simulator's parser
-- answers 400.
return scenario {
  summary = "the client's Content-Length is 'abc': the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 6.3",
  client  = { request { method = "POST", headers = { "Content-Length: abc" } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
