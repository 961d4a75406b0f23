-- h2_ok: an HTTP/2 upstream (h2c, prior knowledge) that answers well: its SETTINGS, then
-- HEADERS :status 200 and DATA "ok\n" with END_STREAM on the request's stream.
--
-- Models: a healthy HTTP/2 backend (a gRPC-style or h2c service behind the proxy). It is the
-- baseline of the h2_* catalog: a proxy that fails here does not speak HTTP/2 upstream.
--
-- RFC 9113 3.4 (the server preface is a SETTINGS frame), 8.1 (a response is HEADERS then
-- DATA, the last frame with END_STREAM). The connection stays open for the next stream.
--
-- Wire: SETTINGS MAX_CONCURRENT_STREAMS=100; SETTINGS ACK (to the client's); HEADERS stream=1
-- flags=END_HEADERS (:status 200, content-type, content-length 3); DATA stream=1
-- flags=END_STREAM "ok\n".
--
-- curl --http2-prior-knowledge, directly: exit 0, http_code 200, body "ok\n".
return scenario {
  summary = "HTTP/2: SETTINGS, then HEADERS 200 and DATA with END_STREAM",
  expect  = 200,
  rfc     = "RFC 9113 8.1",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
  },
}
