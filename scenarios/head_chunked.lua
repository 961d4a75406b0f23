-- head_chunked: a HEAD request answered with Transfer-Encoding: chunked and no body at all.
--
-- Models: a backend framework that computes the headers of a HEAD response as it would for
-- the GET (chunked) and, rightly, writes no body; a proxy must not wait for chunks.
--
-- RFC 9110 9.3.2: the server sends no content in a response to HEAD; RFC 9112 6.3 item 1:
-- a response to HEAD ends with its header section, whatever Transfer-Encoding says. The
-- client of a conforming proxy gets the 200 with no body, at once.
--
-- Wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", then the connection is
-- kept alive (nothing more is sent).
--
-- curl -I, directly: 200, no body, at once (curl ends a HEAD response with its head).
return scenario {
  summary = "HEAD answered 200 with Transfer-Encoding: chunked and no body",
  expect  = { status = 200, body = { length = 0 }, max_s = ctx.read_timeout },
  rfc     = "RFC 9112 6.3",
  client  = { request { method = "HEAD" } },
  plan    = { rxreq(), send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), keepalive() },
}
