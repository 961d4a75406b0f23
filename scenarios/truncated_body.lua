-- truncated_body: the response lies about its length: Content-Length says 100, the body
-- has 10 bytes, then the upstream closes (FIN).
--
-- Models: an application that computes Content-Length from the uncompressed size and then
-- sends a compressed body, a file that shrank between stat() and read(), a handler that
-- returns early after setting the header.
--
-- RFC 9112 6.3 (item 6): "If the sender closes the connection or the recipient times out
-- before the indicated number of octets are received, the recipient MUST consider the
-- message to be incomplete and close the connection." A streaming proxy has forwarded the
-- 200 already: its client sees "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", then (once the client has
-- the head) FIN.
--
-- curl, directly: http_code 200, then exit 18 "transfer closed with 90 bytes remaining to
-- read".
--
-- Timing: the fault waits at barrier("response_head") until the harness's client has the
-- response head (at most ctx.read_timeout / 2 s). A proxy that streams has forwarded the
-- head by then; one that buffers never does, and gets the fault after the bound, before
-- its read timeout. Without the barrier the fault races the proxy's forwarding and the
-- same proxy answers one way or the other from run to run.
return scenario {
  summary = "Content-Length 100 but only 10 body bytes, then FIN",
  expect  = "200+truncated",
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp { status = 200, body = "0123456789", length = 100 },
    barrier("response_head", ctx.read_timeout / 2),
    close(),
  },
}
