-- h2_window_zero: the upstream's SETTINGS set SETTINGS_INITIAL_WINDOW_SIZE to 0 and no
-- WINDOW_UPDATE ever follows: the client's request body cannot be sent. The client POSTs 1024
-- bytes; the upstream would answer once the body is whole, which it never is.
--
-- Models: a backend that is out of buffer space, or a flow-control bug that never opens the
-- window (HTTP/2's "stop reading": the request is stuck in the proxy, not in a TCP buffer).
--
-- RFC 9113 6.9.2: with an initial window of 0 a sender may send no DATA on a stream until a
-- WINDOW_UPDATE comes. The proxy holds the body until its own timeout: 504 (RFC 9110
-- 15.6.5), or a 502 from a proxy that gives up on a stalled upload.
--
-- Wire: SETTINGS INITIAL_WINDOW_SIZE=0 MAX_CONCURRENT_STREAMS=100; SETTINGS ACK; (the
-- request's HEADERS, no DATA) then nothing.
--
-- curl --http2-prior-knowledge -d @1k, directly: nothing until --max-time (exit 28).
return scenario {
  summary = "HTTP/2: SETTINGS_INITIAL_WINDOW_SIZE 0 and no WINDOW_UPDATE (a request body cannot be sent)",
  expect  = 504,
  rfc     = "RFC 9113 6.9.2",
  http2   = { settings = { initial_window_size = 0, max_concurrent_streams = 100 } },
  -- within the proxies' body limit (--max-body), which is not what this scenario is about
  client  = { request { method = "POST", body = string.rep("x", math.min(1024, ctx.max_body)) } },
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
  },
}
