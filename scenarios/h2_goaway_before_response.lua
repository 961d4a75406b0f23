-- h2_goaway_before_response: the request's HEADERS come; the upstream answers with
-- GOAWAY(last_stream_id 0, NO_ERROR) and a FIN: the request was never processed.
--
-- Models: a backend shutting down gracefully (a deploy, a scale-in) that refuses every new
-- stream, or an idle-timeout GOAWAY that crosses a new request on the wire: the race behind
-- many HTTP/2 502s through proxies that pool upstream connections.
--
-- RFC 9113 6.8: streams above last_stream_id were not processed and "can be safely retried";
-- the retry meets the same GOAWAY here, so in the end there is no response: 502
-- (RFC 9110 15.6.3). A proxy that retries shows it in its attempts.
--
-- Wire: SETTINGS; SETTINGS ACK; (the request's HEADERS); GOAWAY last_stream_id=0
-- code=NO_ERROR; FIN.
--
-- curl --http2-prior-knowledge, directly: exit 16 ("Error in the HTTP2 framing layer": the
-- stream was not processed), http_code 000.
return scenario {
  summary = "HTTP/2: GOAWAY(last_stream_id 0, NO_ERROR) after the request's HEADERS, then FIN",
  expect  = 502,
  rfc     = "RFC 9113 6.8",
  http2   = true,
  plan    = { rxreq(), goaway { last_stream_id = 0, code = "NO_ERROR" }, close() },
}
