-- req_slow_headers: the client sends its request head one byte every 300 ms (Slowloris).
--
-- Models: a Slowloris attack, or a client on a terrible link; each byte keeps an idle
-- timer alive, so only a timeout on the whole head ends it.
--
-- RFC 9112 9.5: a server "SHOULD send a 408 (Request Timeout)" or close a connection whose
-- request does not come in time; the proxies are given a client header timeout of
-- ctx.client_timeout (2 s): the answer (a 408, or a close) is due near it, and the
-- upstream never sees the request. A proxy whose timer restarts with every byte lets the
-- head go on past the client's 5.5 s: `timeout`, a finding.
--
-- Wire (client): "GET /req_slow_headers/1 HTTP/1.1\r\nHost: badup\r\n\r\n", one byte every
-- 0.3 s (it would take 15 s).
--
-- curl cannot pace its request head; `badup client` to the simulator (no header timeout)
-- gives up at 10 s, before the head is in: timeout.
local t = ctx.client_timeout
local function ended(status)
  return { status = status, connections = 0, min_s = t * 0.75, max_s = t * 2 }
end
return scenario {
  summary = "the client sends its request head one byte every 300 ms: 408 or a close near the header timeout",
  expect  = { ended(408), ended("closed"), ended("reset") },
  rfc     = "RFC 9112 9.5",
  client  = {
    request { raw = "GET /req_slow_headers/1 HTTP/1.1\r\nHost: badup\r\n\r\n", pace = { bytes = 1, every = 0.3 } },
  },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
