-- req_body_stall: a POST with Content-Length 1000 whose client sends 10 body bytes and then
-- nothing.
--
-- Models: an upload from a client that hangs or loses its link; a slow-POST attack.
--
-- RFC 9112 9.5: a server "SHOULD send a 408 (Request Timeout)" or close; a 400 is also seen
-- for an incomplete message (RFC 9112 8). The proxies are given a body idle timeout of
-- ctx.client_timeout (2 s). A proxy may have forwarded the head already (streaming): then it
-- must give up that upstream request too (upstream_closed), never hand the upstream a
-- complete-looking request. Such a proxy has two timers running on the same request, the
-- client body's and the upstream read timeout (the upstream waits for the 990 missing bytes):
-- this scenario gives the proxies an upstream read timeout 4 s longer than the client timeout
-- (proxy_read_timeout), so the client-side timer answers first wherever there is one; a proxy
-- without one ends at the upstream timer, 504 or 502, after 6 s: recorded as it is. A margin
-- rather than a multiple keeps it within bounds for any --client-timeout.
--
-- Wire (client): "POST /req_body_stall/1 HTTP/1.1\r\nHost: ...\r\nContent-Length: 1000\r\n\r\n"
-- and 10 bytes "xxxxxxxxxx", then silence until the proxy answers or the client gives up.
--
-- curl cannot stop mid-body; `badup client` to the simulator (no body timeout) waits until
-- it gives up: timeout.
local t = ctx.client_timeout
local alternatives = {}
for _, status in ipairs { 408, 400, "closed", "reset" } do
  -- the proxy buffered the body: the upstream saw nothing
  alternatives[#alternatives + 1] = { status = status, connections = 0, min_s = t * 0.75 }
  -- the proxy streamed the head: it ended that upstream connection itself
  alternatives[#alternatives + 1] = { status = status, upstream_closed = true, min_s = t * 0.75 }
end
return scenario {
  summary = "a POST announcing 1000 bytes stops after 10: 408, 400 or a close, and no upstream request left open",
  expect  = alternatives,
  rfc     = "RFC 9112 9.5",
  proxy_read_timeout = math.min(600, math.ceil(t) + 4),
  -- within the proxies' body limit (--max-body): a 413 is not what this scenario is about
  client  = { request { method = "POST", body = string.rep("x", math.min(1000, ctx.max_body)),
                        send_body_bytes = math.min(10, ctx.max_body - 1) } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
