-- fail_first_then_ok: the very first request this scenario ever receives is answered by a
-- close without a byte; every later request, on any connection, gets a 200.
--
-- Models: a backend that fails transiently (a cold start, a worker being replaced, a pooled
-- connection that turned stale): the case automatic retries are for.
--
-- RFC 9110 9.2.2: a proxy MAY retry an idempotent request after a communication failure
-- before any response byte, and RFC 9110 15.6.3 gives 502 when it does not. badup's
-- harness runs proxies with retries off by default, so the expectation is 502; with
-- retries on (haproxy "retries 1" + "retry-on empty-response", nginx
-- proxy_next_upstream error, ...) the client sees 200 and the upstream counts two
-- requests.
--
-- The counter is a file local: it lives as long as the server (POST /stats/reset does not
-- reset it; restart the server for a new first attempt).
--
-- Wire: request 1 -> nothing, then FIN; later requests ->
-- "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nok after retry\n" (kept alive).
--
-- curl, directly: first run exit 52 "Empty reply from server"; second run exit 0, 200.
local attempts = 0

return scenario {
  summary = "the first attempt is closed without a byte, later attempts get 200",
  -- With retries off (the harness default) the one attempt fails: 502. With
  -- `badup run --retries` a proxy that retries hides the fault: 200 after two attempts.
  expect  = ctx.retries and 200 or 502,
  check   = { attempts = ctx.retries and 2 or 1 },
  rfc     = "RFC 9110 9.2.2",
  plan    = function(req)
    attempts = attempts + 1
    if attempts == 1 then
      return { close() }
    end
    return { txresp { status = 200, body = "ok after retry\n" }, keepalive() }
  end,
}
