-- h2_rst_internal_mid_body: HEADERS 200 announcing content-length 100, 50 bytes of DATA,
-- then RST_STREAM(INTERNAL_ERROR) on the stream.
--
-- Models: a backend whose handler crashed or hit an error while streaming a body (HTTP/2's
-- form of a connection cut mid-body: the stream dies, the connection lives).
--
-- RFC 9113 8.1 and 5.4.2: the stream ends without END_STREAM: the message is incomplete. A
-- proxy that forwarded the 200 can only cut the body short: "200+truncated" (an HTTP/2
-- client of the proxy sees a RST_STREAM of the proxy's choosing).
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS 200 (content-length 100); DATA stream=1 len=50 (no
-- END_STREAM); once the client has the response head, RST_STREAM stream=1
-- code=INTERNAL_ERROR. The connection stays open.
--
-- curl --http2-prior-knowledge, directly: http_code 200, then exit 92 "HTTP/2 stream 1 was not
-- closed cleanly: INTERNAL_ERROR (err 2)".
--
-- Timing: the reset waits at barrier("response_head"), as reset_mid_body.
return scenario {
  summary = "HTTP/2: HEADERS 200, half the DATA, then RST_STREAM(INTERNAL_ERROR)",
  expect  = "200+truncated",
  rfc     = "RFC 9113 8.1",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "100" } } },
    data(string.rep("0123456789", 5), { end_stream = false }),
    barrier("response_head", ctx.read_timeout / 2),
    rst_stream("INTERNAL_ERROR"),
  },
}
