-- h2_goaway_after_response: a whole response on the request's stream, then GOAWAY with
-- last_stream_id = that stream (NO_ERROR), then a FIN.
--
-- Models: a backend that answers its last request and shuts the connection down (max
-- requests per connection reached, a graceful restart). The response is whole: the client
-- must get it.
--
-- RFC 9113 6.8: a GOAWAY's last_stream_id says which streams were processed; this one was,
-- and it ended with END_STREAM before the GOAWAY. A proxy must answer 200 and open a new
-- upstream connection for the next request.
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS 200; DATA "ok\n" END_STREAM; GOAWAY
-- last_stream_id=1 code=NO_ERROR; FIN.
--
-- curl --http2-prior-knowledge, directly: exit 0, http_code 200, body "ok\n".
return scenario {
  summary = "HTTP/2: the response, then GOAWAY(last id = the stream), then FIN",
  expect  = 200,
  rfc     = "RFC 9113 6.8",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
    goaway { code = "NO_ERROR" },
    close(),
  },
}
