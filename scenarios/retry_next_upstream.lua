-- retry_next_upstream: two upstream servers; the first resets every request before a byte of
-- response, the second answers 200.
--
-- Models: one bad backend in a pool (crashed worker behind a live port), and the proxy's
-- next-upstream / redispatch setting (nginx proxy_next_upstream, haproxy retries +
-- option redispatch).
--
-- RFC 9110 9.2.2: a GET may be retried automatically. With retries off (the default run) the
-- client gets the 502 of the failed attempt; with `badup run --retries`, the 200 of the second
-- server after two upstream attempts.
--
-- curl, directly: upstream 1 gives exit 56 (Connection reset by peer), upstream 2 a 200
-- "second".
return scenario {
  summary = "two upstreams: the first resets before responding, the second answers 200",
  expect  = ctx.retries and { status = 200, attempts = 2, body = "second\n" } or 502,
  rfc     = "RFC 9110 9.2.2",
  upstreams = {
    { plan = { rxreq(), reset() } },
    { plan = { rxreq(), txresp { status = 200, body = "second\n" } } },
  },
}
