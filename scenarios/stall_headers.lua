-- stall_headers: read the request, then send nothing at all and keep the connection open
-- until the peer gives up.
--
-- Models: a backend stuck on a lock, a slow database query, a GC pause, a deadlocked
-- worker: the connection is healthy at the TCP level but no status line ever comes.
--
-- RFC 9110 15.6.5 (504 Gateway Timeout): the proxy "did not receive a timely response";
-- it is the proxy's read (response header) timeout that must fire. Apache answers 502 here
-- ("timeout reading status line"), which the catalog records as a deviation.
--
-- stall() without an argument lasts until the peer closes, so the scenario outlasts any
-- proxy timeout without a hard-coded sleep.
--
-- curl, directly: waits forever; with --max-time 2, exit 28 "Operation timed out after
-- 2000 milliseconds with 0 bytes received", http_code 000.
return scenario {
  summary = "upstream reads the request and never answers",
  expect  = 504,
  rfc     = "RFC 9110 15.6.5",
  plan    = { rxreq(), stall() },
  -- badup run: a 504 must wait for the proxy's read timeout, not come before it.
  check   = { min_s = ctx.read_timeout * 0.95 },
}
