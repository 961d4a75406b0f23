-- truncated_chunked: a chunked body with two valid chunks and no last chunk, then close.
--
-- Models: a streaming backend (server-sent data, a large export, a proxy chain) that dies
-- or is restarted mid-stream; an upstream proxy that hit its own read timeout and could
-- only close.
--
-- RFC 9112 8: "A message body that uses the chunked transfer coding is incomplete if the
-- zero-sized chunk that terminates the encoding has not been received." A proxy that
-- streamed the 200 and the two chunks must end its own response as incomplete too (no
-- last chunk, then close): the client sees "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello\n\r\n6\r\nworld\n\r\n",
-- then (once the client has the head) FIN.
--
-- curl, directly (7.88.1): http_code 200, then exit 18 "transfer closed with outstanding read data
-- remaining".
--
-- Timing: the fault waits at barrier("response_head") until the harness's client has the
-- response head (at most ctx.read_timeout / 2 s). A proxy that streams has forwarded the
-- head by then; one that buffers never does, and gets the fault after the bound, before
-- its read timeout. Without the barrier the fault races the proxy's forwarding and the
-- same proxy answers one way or the other from run to run.
return scenario {
  summary = "chunked body without the terminating zero-size chunk, then FIN",
  expect  = "200+truncated",
  rfc     = "RFC 9112 8",
  plan    = {
    rxreq(),
    txresp { status = 200, chunks = { "hello\n", "world\n" }, last_chunk = false },
    barrier("response_head", ctx.read_timeout / 2),
    close(),
  },
}
