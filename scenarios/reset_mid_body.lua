-- reset_mid_body: a 200 announcing Content-Length: 100, 40 body bytes, then RST.
--
-- Models: a backend killed while streaming a body (OOM kill of a worker producing a large
-- export), or an L4 load balancer resetting a flow it evicted.
--
-- RFC 9112 8: the message is incomplete. As in close_mid_body, a proxy that already sent
-- the 200 header section can only cut the body short: "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "0123456789" x 4, then (once the
-- client has the head) RST.
--
-- curl, directly: http_code 200, then exit 56 "Recv failure: Connection reset by peer".
--
-- Timing: the fault waits at barrier("response_head") until the harness's client has the
-- response head (at most ctx.read_timeout / 2 s). A proxy that streams has forwarded the
-- head by then; one that buffers never does, and gets the fault after the bound, before
-- its read timeout. Without the barrier the fault races the proxy's forwarding and the
-- same proxy answers one way or the other from run to run.
local full = response { status = 200, body = string.rep("0123456789", 10) }
return scenario {
  summary = "Content-Length 100, 40 body bytes, then RST",
  expect  = "200+truncated",
  rfc     = "RFC 9112 8",
  plan    = { rxreq(), send(full:sub(1, #full - 60)), barrier("response_head", ctx.read_timeout / 2), reset() },
}
