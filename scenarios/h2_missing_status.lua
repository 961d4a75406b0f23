-- h2_missing_status: a response HEADERS without the :status pseudo-header.
--
-- Models: a broken HTTP/2 backend, or trailers sent where the header section belongs (a
-- gRPC server that errors before any header: a "trailers-only" response sent wrongly).
--
-- RFC 9113 8.3.2: a response must include exactly one :status; without it the response is
-- malformed (8.1.1): PROTOCOL_ERROR; no response to forward: 502.
--
-- Wire: SETTINGS; SETTINGS ACK; HEADERS stream=1 (content-type, content-length 3; no
-- :status); DATA "ok\n" END_STREAM.
--
-- curl --http2-prior-knowledge, directly: exit 92 (PROTOCOL_ERROR), http_code 000.
return scenario {
  summary = "HTTP/2: a response HEADERS without :status",
  expect  = 502,
  rfc     = "RFC 9113 8.3.2",
  http2   = true,
  plan    = {
    rxreq(),
    headers { status = false, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
  },
}
