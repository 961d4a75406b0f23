-- h2_rst_refused_stream: the first request's stream is answered with
-- RST_STREAM(REFUSED_STREAM); every later request gets a 200.
--
-- Models: a backend at its stream limit or draining, refusing work it has not started (the
-- standard way to shed load in HTTP/2: gRPC servers, Envoy, nghttp2-based servers).
--
-- RFC 9113 8.7: REFUSED_STREAM means "no application processing happened": the request "can
-- be safely retried", on the same connection or another. Retrying is allowed, not required:
-- with retries off (the harness's default) either a 502 after one attempt or a 200 after two
-- is right; with `badup run --retries` a proxy that retries answers 200 after two attempts.
--
-- Wire: SETTINGS; SETTINGS ACK; (HEADERS, stream 1) RST_STREAM stream=1 code=REFUSED_STREAM;
-- then, for the next request, HEADERS 200 and DATA "ok after retry\n" END_STREAM.
--
-- curl --http2-prior-knowledge, directly: exit 16 or 92 (stream refused), http_code 000.
local attempts = 0

return scenario {
  summary = "HTTP/2: RST_STREAM(REFUSED_STREAM) on the first request, 200 after",
  expect  = ctx.retries and { { status = 200, attempts = 2 } }
            or { { status = 502, attempts = 1 }, { status = 200, attempts = 2 } },
  rfc     = "RFC 9113 8.7",
  http2   = true,
  plan    = function(req)
    attempts = attempts + 1
    if attempts == 1 then
      return { rst_stream("REFUSED_STREAM") }
    end
    return {
      headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "15" } } },
      data("ok after retry\n"),
    }
  end,
}
