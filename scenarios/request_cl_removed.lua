-- request_cl_removed: the client sends a chunked request that carries a Content-Length too.
--
-- Models: a client library that adds Content-Length to a body it then sends chunked; the
-- request smuggling shape on the way in (CL.TE / TE.CL desync needs the two to disagree;
-- here they agree, so only the forwarded framing is judged).
--
-- RFC 9112 6.3 item 3: a server may reject such a request (400), and an intermediary that
-- forwards it "MUST first remove the received Content-Length field". The upstream must not
-- receive both fields.
--
-- Wire (client): "POST /request_cl_removed/1 HTTP/1.1\r\nHost: ...\r\nContent-Length: 15\r\n
-- Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".
--
-- curl, directly: the simulator's own parser (http-parser) answers 400 to a request with
-- both fields, as a strict server does; a proxy that forwards both gets that 400 from the
-- upstream (the evidence shows "bad_request HPE_UNEXPECTED_CONTENT_LENGTH"), which is why the
-- 400 alternative also asks that no upstream connection was made.
return scenario {
  summary = "the client sends Transfer-Encoding: chunked and Content-Length: the upstream must not get both",
  expect  = {
    { status = 400, connections = 0 },
    { status = 200, upstream = { headers = { absent = { "Content-Length" } }, body_length = 5 } },
    { status = 200, upstream = { headers = { absent = { "Transfer-Encoding" } }, body_length = 5 } },
  },
  rfc     = "RFC 9112 6.3",
  -- length = 15 with chunks: both fields (a Content-Length header of its own would stop
  -- request{} from adding Transfer-Encoding, as response{} does).
  client  = { request { method = "POST", chunks = { "hello" }, length = 15 } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
