-- slow_drip: a complete, valid response, dribbled 4 bytes at a time every 50 ms.
--
-- Models: a backend on a congested or lossy link, a rate-limited stream, a server that
-- flushes after every small write (Nagle off). Each gap between pieces is far shorter than
-- any sane read timeout, so this is slow but healthy.
--
-- RFC 9110 15.3.1 (200 OK): the response is valid; RFC 9110 15.6.5 is only about the
-- absence of a timely response, and read timeouts are per read (nginx proxy_read_timeout:
-- "between two successive read operations"). A proxy that answers 504 here has a total-time
-- limit shorter than the whole transfer (about 0.7 s), not a read timeout.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\ndripped slowly\n" (54 bytes) in 14
-- pieces, 0.05 s apart, then the connection is kept alive.
--
-- curl, directly: exit 0, http_code 200, after about 0.65 s.
return scenario {
  summary = "a valid 200 response dribbled 4 bytes every 50 ms",
  expect  = 200,
  rfc     = "RFC 9110 15.3.1",
  plan    = {
    rxreq(),
    dribble(response { status = 200, body = "dripped slowly\n" }, 4, 0.05),
    keepalive(),
  },
}
