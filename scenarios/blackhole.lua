-- blackhole: SYNs are never answered; a connect neither succeeds nor fails until the
-- client's connect timeout.
--
-- Models: a firewall that DROPs instead of REJECTing, a security group with no rule, a
-- host that is powered off or unreachable behind a router, a server whose listen backlog
-- is full (badup fills its own backlog and never accepts, which is what produces this on
-- loopback).
--
-- RFC 9110 15.6.5 (504 Gateway Timeout): the proxy "did not receive a timely response from
-- an upstream server". Proxies that map connect failures to 502/503 regardless of the
-- cause deviate.
--
-- Listener-level: serve this file alone (or make it the default through the control API)
-- to blackhole the connect itself. Picked by path in a folder, the connection is already
-- accepted: it is then silent until the peer gives up (like stall_headers).
--
-- curl, directly: with --connect-timeout 1, exit 28 "Connection timed out after 1000
-- milliseconds" (without a connect timeout, the kernel's SYN retries: about 2 minutes).
return scenario {
  summary = "SYNs never answered: connects hang until the client's connect timeout",
  expect  = 504,
  rfc     = "RFC 9110 15.6.5",
  plan    = { blackhole() },
  -- badup run: the answer must wait for the proxy's connect timeout; nothing reaches us.
  check   = { min_s = ctx.connect_timeout * 0.95, attempts = 0 },
}
