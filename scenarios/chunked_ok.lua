-- chunked_ok: a valid chunked response, two chunks and the last chunk.
--
-- Models: any streaming backend (Node.js res.write(), Go without Content-Length, PHP with
-- flush()).
--
-- RFC 9112 7.1 (chunked transfer coding): valid; a proxy forwards it (re-chunked or with a
-- computed Content-Length): the client sees 200 with body "hello chunked\n".
--
-- Wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n8\r\nchunked\n\r\n0\r\n\r\n",
-- connection kept alive.
--
-- curl, directly: exit 0, http_code 200.
return scenario {
  summary = "a valid chunked 200 response",
  expect  = 200,
  rfc     = "RFC 9112 7.1",
  plan    = { rxreq(), txresp { status = 200, chunks = { "hello ", "chunked\n" } }, keepalive() },
}
