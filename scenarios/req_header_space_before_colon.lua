-- req_header_space_before_colon: a request field line with whitespace between the name and
-- the colon: "X-A : 1".
--
-- Models: request smuggling's field-name confusion (one hop reads "X-A", another "X-A ");
-- the request-side twin of space_before_colon.
--
-- RFC 9112 5.1: "A server MUST reject, with a response status code of 400 (Bad Request),
-- any received request message that contains whitespace between a header field name and
-- colon." The proxy answers by itself: no upstream connection.
--
-- Wire (client): "GET /req_header_space_before_colon/1 HTTP/1.1\r\nHost: ...\r\nX-A : 1\r\n\r\n".
--
-- curl -H 'X-A : 1', directly: curl sends it as given; the simulator's parser (lenient
-- here) answers 200.
return scenario {
  summary = "the client sends 'X-A : 1' (space before the colon): the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 5.1",
  client  = { request { headers = { "X-A : 1" } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
