-- client_abort_waiting: the client closes its connection 0.3 s into a 3 s upstream stall
-- (0.15 and 1.5 times the read timeout: a proxy that waits answers at its read timeout).
--
-- Models: a user who gives up on a slow page, a client library's own timeout shorter than
-- the proxy's (nginx logs these as 499).
--
-- RFC 9112 9.6 lets either side close; what a proxy owes the upstream is not specified. What
-- matters in production is whether it gives up the upstream request too (the event log shows
-- the upstream connection's end) and what it logs. The client, having closed, sees the proxy
-- close its side: "closed", and the upstream sees the proxy close its connection soon after
-- (upstream_closed_s). A proxy that waits for the upstream (and answers 504 at its read
-- timeout, or the 200 after the stall) is recorded as a deviation.
--
-- curl -m 0.3, directly: exit 28 (timeout); the simulator's events show the peer's FIN or
-- RST at 0.3 s during the stall.
return scenario {
  summary = "the client sends FIN 0.3 s into a 3 s upstream stall",
  -- the proxy closes too, and gives up its upstream connection within half the read timeout of opening it
  -- (the client left at 0.3 s; a proxy that waits for its read timeout takes 2 s)
  expect  = { status = "closed", upstream_closed = true, upstream_closed_s = ctx.read_timeout / 2 },
  -- 0.3 s with the default read timeout of 2 s: the times scale with --read-timeout
  client  = { request { abort = { at = "time", after_s = ctx.read_timeout * 0.15, how = "fin" } } },
  plan    = { rxreq(), stall(ctx.read_timeout * 1.5), txresp { status = 200, body = "late\n" } },
}
