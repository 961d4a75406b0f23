-- h2_stall_headers: the HTTP/2 connection is set up (SETTINGS both ways), the request's
-- stream comes, and nothing is ever sent on it.
--
-- Models: a hung backend handler behind a healthy HTTP/2 connection: the connection answers
-- SETTINGS and PING, the stream never does (a deadlocked worker, a slow database).
--
-- RFC 9110 15.6.5: the proxy's read timeout ends it: 504. A proxy that pings the connection
-- gets its PING ACK: the connection is alive, only the stream is stuck.
--
-- Wire: SETTINGS; SETTINGS ACK; (the request's HEADERS) then nothing for stream 1 until the
-- client resets it or closes.
--
-- curl --http2-prior-knowledge, directly: nothing until --max-time (exit 28).
return scenario {
  summary = "HTTP/2: SETTINGS, then nothing for the request",
  expect  = 504,
  rfc     = "RFC 9110 15.6.5",
  http2   = true,
  plan    = { rxreq(), stall() },
  check   = { min_s = ctx.read_timeout * 0.95 },
}
