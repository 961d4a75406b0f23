-- h2_data_after_end_stream: a whole response (HEADERS 200, DATA "ok\n" with END_STREAM),
-- then one more DATA frame on the same, ended stream.
--
-- Models: a backend with an off-by-one in its stream state machine, writing the tail of a
-- body after it flagged the end.
--
-- RFC 9113 5.1: a stream that is "half-closed (remote)" for the receiver, or closed, takes
-- no DATA: a STREAM_CLOSED error (a stream error, or a connection error once the stream is
-- closed). The response itself was whole before it: the proxy's client should get the 200
-- and "ok\n"; the extra bytes must not reach it.
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS 200 (content-length 3); DATA "ok\n" END_STREAM;
-- DATA stream=1 "extra" END_STREAM. The connection stays open.
--
-- curl --http2-prior-knowledge, directly: exit 0, http_code 200, body "ok\n".
return scenario {
  summary = "HTTP/2: DATA on a stream already ended",
  expect  = 200,
  rfc     = "RFC 9113 5.1",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
    data("extra"),
  },
}
