-- h2_stall_body: HEADERS 200 (content-length 100) without END_STREAM, then nothing on the
-- stream.
--
-- Models: an HTTP/2 backend that flushes its headers and then blocks producing the body, as
-- stall_body for HTTP/1.
--
-- RFC 9113 8.1: without END_STREAM the response is not over; the proxy's read timeout cuts
-- it. A streaming proxy has sent the 200 already: "200+truncated".
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS stream=1 flags=END_HEADERS (:status 200,
-- content-length 100); then nothing until the client resets the stream or closes.
--
-- curl --http2-prior-knowledge, directly: http_code 200, then nothing until --max-time (exit 28).
return scenario {
  summary = "HTTP/2: HEADERS 200 without END_STREAM, then nothing",
  expect  = "200+truncated",
  rfc     = "RFC 9113 8.1",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "100" } } },
    stall(),
  },
}
