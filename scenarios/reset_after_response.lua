-- reset_after_response: a complete 200 response, then RST instead of a FIN.
--
-- Models: servers that close with SO_LINGER 0 to free ports quickly, and the "TCP reset
-- problem" of RFC 9112 9.6: a server that closes while unread request bytes sit in its
-- socket sends a RST that can destroy the response before the client read it.
--
-- RFC 9112 9.6 describes why servers should half-close instead. On loopback the response
-- has arrived before the RST, so a proxy that reads it gets a complete, framed 200, which
-- it forwards; the RST only means the connection cannot be reused. Expect 200.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", then RST.
--
-- curl, directly: exit 0, http_code 200 (the body was complete before the reset).
return scenario {
  summary = "a complete 200, then RST",
  expect  = 200,
  rfc     = "RFC 9112 9.6",
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, reset() },
}
