-- stall_body: send a complete header section announcing Content-Length: 100, then stall
-- with no body byte until the proxy gives up (its read timeout).
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
-- The stall lasts until the proxy closes its upstream connection: whatever a proxy's read
-- timeout and however coarse its timer (lighttpd and squid check theirs on a 1 s tick and
-- fire up to 2 s late), the timeout always comes first. A fixed stall of read_timeout + 1 s
-- raced such a proxy: lighttpd answered 200+timeout or 404 from run to run.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", then silence until the peer
-- closes.
--
-- curl, directly: 200 received, then nothing until curl gives up (--max-time: exit 28).
return scenario {
  summary = "headers announce 100 body bytes, then no body until the proxy gives up",
  expect  = "200+truncated",
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp { status = 200, body = "", length = 100 },
    stall(),
  },
}
