-- stop_reading: take the request headers, then stop reading the socket: the body stays in
-- the kernel, the receive window fills and drops to zero, and the upstream sends nothing
-- for 2 x ctx.read_timeout + 3 s; then it resets.
--
-- Models: a backend blocked before reading an upload (waiting on storage, a lock, a full
-- disk), a server whose worker is stuck, a slow consumer behind a zero window.
--
-- RFC 9110 15.6.5: the proxy cannot finish sending the request and gets no timely response;
-- its send or read timeout fires: 504. Some proxies report this as 502 (a send error)
-- instead; the catalog records which.
--
-- Wire: nothing; the client's writes block once the socket buffers are full; RST after
-- 2 x read_timeout + 3 s.
--
-- Timing: the silence must outlast every proxy's read timeout, and some fire up to 2 s
-- late (lighttpd and squid check theirs on a 1 s tick); read_timeout + 1 s raced them. Not
-- reading, the upstream cannot see the proxy give up, so the silence has an end of its own,
-- longer than the harness's client waits (connect + read timeout + 2.5 s).
--
-- curl, directly: a small request fits in the socket buffers, then curl waits: with
-- --max-time 1, exit 28 "Operation timed out"; otherwise exit 56 "Connection reset by peer"
-- when the RST comes (after 3.6 s with read_timeout=0.3). A large upload (-T) stalls
-- mid-send.
return scenario {
  summary = "headers read, then the upstream stops reading (zero window) and stays silent",
  expect  = 504,
  rfc     = "RFC 9110 15.6.5",
  plan    = { rxhdrs(), stopread(), stall(2 * ctx.read_timeout + 3), reset() },
}
