-- h2_connection_header: a response carrying "connection: close", a connection-specific
-- field that HTTP/2 does not allow.
--
-- Models: an HTTP/1 application behind an HTTP/2 server library that copies its headers as
-- they are (a common bug in hand-rolled gateways).
--
-- RFC 9113 8.2.2: a message with a connection-specific field (Connection, Keep-Alive,
-- Proxy-Connection, Transfer-Encoding, Upgrade) is malformed: PROTOCOL_ERROR; an
-- intermediary must not forward it: 502.
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS stream=1 (:status 200, content-type, content-length
-- 3, connection close); DATA "ok\n" END_STREAM.
--
-- curl --http2-prior-knowledge, directly: exit 92 (PROTOCOL_ERROR), http_code 000.
return scenario {
  summary = "HTTP/2: a response carrying connection: close (malformed)",
  expect  = 502,
  rfc     = "RFC 9113 8.2.2",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" }, { "connection", "close" } } },
    data("ok\n"),
  },
}
