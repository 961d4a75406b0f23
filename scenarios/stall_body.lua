-- stall_body: send a complete header section announcing Content-Length: 100, then stall
-- with no body byte for longer than the proxy's read timeout, then close.
--
-- Models: a backend that flushes its headers early (streaming frameworks, PHP with
-- output_buffering off, a Go handler that calls WriteHeader first) and then blocks
-- producing the body.
--
-- RFC 9112 6.3 (item 6) and 8: when the connection ends (or the recipient times out)
-- before Content-Length octets arrived, the message is incomplete. A proxy that has
-- already forwarded the 200 header section cannot change the status any more: it can only
-- cut the body, so its client sees 200 followed by a truncated body ("200+truncated").
-- A proxy that buffers the whole response could still answer 504 (RFC 9110 15.6.5).
--
-- The stall is ctx.read_timeout + 1 seconds: longer than the proxy's read timeout
-- whatever the harness sets it to.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", silence for read_timeout + 1 s,
-- then FIN.
--
-- curl, directly: 200 received, then after the stall exit 18 "transfer closed with 100
-- bytes remaining to read".
return scenario {
  summary = "headers announce 100 body bytes, then no body until past the read timeout",
  expect  = "200+truncated",
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp { status = 200, body = "", length = 100 },
    stall(ctx.read_timeout + 1),
    close(),
  },
}
