-- h2_no_settings: the upstream never sends a SETTINGS frame, not even the ACK of the
-- client's: it answers the request with HEADERS 200 and DATA straight away.
--
-- Models: a broken or hand-written HTTP/2 server, or something that is not an HTTP/2 server
-- but echoes frame-like bytes; and the check a client makes of the server preface.
--
-- RFC 9113 3.4: the server connection preface "MUST be the first frame the server sends" and
-- is a SETTINGS frame; anything else is a connection error of type PROTOCOL_ERROR. The proxy
-- has no response it may use: 502.
--
-- Wire: (the client's preface, SETTINGS and HEADERS) HEADERS stream=1 200; DATA "ok\n"
-- END_STREAM; no SETTINGS frame at all.
--
-- curl --http2-prior-knowledge, directly: exit 16 (the server's first frame was no SETTINGS),
-- http_code 000.
return scenario {
  summary = "HTTP/2: the server never sends SETTINGS, and answers anyway",
  expect  = 502,
  rfc     = "RFC 9113 3.4",
  http2   = { settings = false },
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
  },
}
