-- req_headers_stall: the client sends "GET /req_headers_stall/1 HT" and then nothing.
--
-- Models: a client that hangs or dies mid-request (a crashed process behind a NAT that
-- keeps the connection), or a connection-exhaustion attack.
--
-- RFC 9112 9.5: a server "SHOULD send a 408 (Request Timeout)" or close a connection whose
-- request does not come in time. The proxies are given a client header timeout of
-- ctx.client_timeout (2 s): a 408, or a close, near it, and nothing reaches the upstream.
--
-- Wire (client): "GET /req_headers_stall/1 HT", then silence until the proxy answers or
-- the client gives up (5.5 s).
--
-- curl cannot stop mid-line; `badup client` to the simulator (no header timeout) waits
-- until it gives up: timeout.
local t = ctx.client_timeout
local function ended(status)
  return { status = status, connections = 0, min_s = t * 0.75, max_s = t * 2 }
end
return scenario {
  summary = "the client stops in the middle of its request line: 408 or a close near the header timeout",
  expect  = { ended(408), ended("closed"), ended("reset") },
  rfc     = "RFC 9112 9.5",
  client  = { request { raw = "GET /req_headers_stall/1 HT" } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
