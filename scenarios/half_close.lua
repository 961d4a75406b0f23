-- half_close: a complete 200, then shutdown of the write side only (FIN), the read side
-- staying open until the peer closes.
--
-- Models: the graceful close RFC 9112 recommends, done by servers that want to be sure the
-- client read the response (Apache's lingering close, nginx's lingering_close).
--
-- RFC 9112 9.6: "servers typically close a connection in stages. First, the server
-- performs a half-close by closing only the write side of the read/write connection. The
-- server then continues to read from the connection until it receives a corresponding
-- close by the client". The response is complete: 200. The proxy must not reuse the
-- connection afterwards.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", then FIN; bytes the client
-- still sends are read (no RST).
--
-- curl, directly: exit 0, http_code 200.
return scenario {
  summary = "a complete 200, then half-close: FIN while still reading",
  expect  = 200,
  rfc     = "RFC 9112 9.6",
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, halfclose() },
}
