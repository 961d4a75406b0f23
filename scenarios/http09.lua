-- http09: a body with no status line and no header section, then close (an HTTP/0.9 style
-- reply to an HTTP/1.1 request).
--
-- Models: a non-HTTP service on the upstream port (a misrouted port, a debug endpoint
-- printing text), or an ancient server speaking HTTP/0.9.
--
-- RFC 9112 2.1: an HTTP/1.1 message starts with a start-line; RFC 9112 2.3: the major
-- version in the request tells the server how to answer, and HTTP/0.9 is long obsolete.
-- A response to an HTTP/1.1 request without a status line is invalid: RFC 9110 15.6.3,
-- 502. (Some proxies still accept HTTP/0.9 replies and pass the bytes on with a made-up
-- 200; that is a deviation.)
--
-- Wire: "<html>no status line, no headers</html>\n", then FIN.
--
-- curl, directly (7.88.1): exit 1 "Received HTTP/0.9 when not allowed" (curl refuses
-- HTTP/0.9 since 7.66 unless given --http0.9), http_code 000.
return scenario {
  summary = "a body with no status line (HTTP/0.9 style), then FIN",
  expect  = 502,
  rfc     = "RFC 9112 2.1",
  plan    = { rxreq(), send("<html>no status line, no headers</html>\n"), close() },
}
