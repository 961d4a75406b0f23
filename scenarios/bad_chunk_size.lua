-- bad_chunk_size: a chunked body whose second chunk size is not hexadecimal ("zz").
--
-- Models: a backend that writes a decimal size, or a size with a stray character; a
-- corrupted stream from a buggy gzip or chunking filter.
--
-- RFC 9112 7.1: chunk-size = 1*HEXDIG. The first chunk ("ok\n") is valid, so a streaming
-- proxy has already forwarded the 200 header section and the start of the body when the
-- framing breaks; RFC 9112 8: decoding a supposedly chunked body that fails makes the
-- message incomplete. The client sees "200+truncated" (the proxy ends its own chunked
-- stream without the last chunk, or closes). A proxy that buffers the whole body could
-- still answer 502.
--
-- Wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n", then (once the client
-- has the head) "zz\r\nmore\r\n0\r\n\r\n", then FIN.
--
-- curl, directly (7.88.1): http_code 200, then exit 56 "Illegal or missing hexadecimal
-- sequence in chunked-encoding".
--
-- Timing: the fault waits at barrier("response_head") until the harness's client has the
-- response head (at most ctx.read_timeout / 2 s). A proxy that streams has forwarded the
-- head by then; one that buffers never does, and gets the fault after the bound, before
-- its read timeout. Without the barrier the fault races the proxy's forwarding and the
-- same proxy answers one way or the other from run to run.
return scenario {
  summary = "chunked body whose second chunk size is \"zz\"",
  expect  = "200+truncated",
  rfc     = "RFC 9112 7.1",
  plan    = {
    rxreq(),
    txresp {
      status  = 200,
      headers = { "Transfer-Encoding: chunked" },
      body    = "3\r\nok\n\r\n",
    },
    barrier("response_head", ctx.read_timeout / 2),
    send("zz\r\nmore\r\n0\r\n\r\n"),
    close(),
  },
}
