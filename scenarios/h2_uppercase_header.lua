-- h2_uppercase_header: a response whose header block holds a field name with uppercase
-- letters ("X-Upper: 1").
--
-- Models: an HTTP/2 backend built by hand, or a translation layer (an HTTP/1 to HTTP/2
-- gateway) that copies names without lower-casing them.
--
-- RFC 9113 8.2.1: a field name with uppercase characters makes the message malformed (8.1.1):
-- a stream error of type PROTOCOL_ERROR, and an intermediary must not forward it: 502.
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS stream=1 (:status 200, content-type, content-length
-- 3, X-Upper 1, sent as written); DATA "ok\n" END_STREAM.
--
-- curl --http2-prior-knowledge, directly: exit 92 (PROTOCOL_ERROR on the stream), http_code 000.
return scenario {
  summary = "HTTP/2: a response header name with uppercase letters (malformed)",
  expect  = 502,
  rfc     = "RFC 9113 8.2.1",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" }, { "X-Upper", "1" } } },
    data("ok\n"),
  },
}
