-- close_mid_body: a 200 announcing Content-Length: 100, 40 body bytes, then close (FIN).
--
-- Models: a backend that crashes or is restarted while streaming a body, a proxy-to-
-- upstream connection closed by an idle timer in the middle (firewall, NAT), a sendfile()
-- of a file truncated under it.
--
-- RFC 9112 6.3 (item 6) and 8: fewer octets than Content-Length before the close, so the
-- message is incomplete. A proxy that forwarded the header section must signal the error
-- the only way left, by closing its client connection before the announced length (or
-- without the last chunk): the client sees "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "0123456789" x 4, then (once the
-- client has the head) FIN.
--
-- curl, directly: http_code 200, then exit 18 "transfer closed with 60 bytes remaining to
-- read".
--
-- Timing: the fault waits at barrier("response_head") until the harness's client has the
-- response head (at most ctx.read_timeout / 2 s). A proxy that streams has forwarded the
-- head by then; one that buffers never does, and gets the fault after the bound, before
-- its read timeout. Without the barrier the fault races the proxy's forwarding and the
-- same proxy answers one way or the other from run to run.
local full = response { status = 200, body = string.rep("0123456789", 10) }
return scenario {
  summary = "Content-Length 100, 40 body bytes, then FIN",
  expect  = "200+truncated",
  rfc     = "RFC 9112 8",
  plan    = { rxreq(), send(full:sub(1, #full - 60)), barrier("response_head", ctx.read_timeout / 2), close() },
}
