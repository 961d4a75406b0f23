-- h2_window_zero: the upstream's SETTINGS set SETTINGS_INITIAL_WINDOW_SIZE to 0 and no
-- WINDOW_UPDATE ever follows: the client's request body cannot be sent whole. The client
-- POSTs 128 KiB; the upstream would answer once the body is whole, which it never is.
--
-- Models: a backend that is out of buffer space, or a flow-control bug that never opens the
-- window (HTTP/2's "stop reading": the request is stuck in the proxy, not in a TCP buffer).
--
-- RFC 9113 6.9.2: with an initial window of 0 a sender may send no DATA on a stream until a
-- WINDOW_UPDATE comes. But 3.4 lets a client send frames before the server's SETTINGS came,
-- under the initial window of 65535 (6.9.2): a body within it may go out whole first (node
-- sent 1 KiB with its HEADERS, and got a 200). A body past 65535 bytes cannot, whatever the
-- timing. The proxy holds the body until its own timeout: 504 (RFC 9110
-- 15.6.5), or a 502 from a proxy that gives up on a stalled upload.
--
-- Wire: SETTINGS INITIAL_WINDOW_SIZE=0 MAX_CONCURRENT_STREAMS=100; SETTINGS ACK; (the
-- request's HEADERS, at most 65535 bytes of DATA without END_STREAM; a WINDOW_UPDATE for the
-- connection only) then nothing.
--
-- curl --http2-prior-knowledge --data-binary @128k, directly: nothing until --max-time (exit 28).
return scenario {
  summary = "HTTP/2: SETTINGS_INITIAL_WINDOW_SIZE 0 and no WINDOW_UPDATE (a request body cannot be sent)",
  expect  = 504,
  rfc     = "RFC 9113 6.9.2",
  http2   = { settings = { initial_window_size = 0, max_concurrent_streams = 100 } },
  -- past the first stream window (65535), within the proxies' body limit (--max-body, 1 MiB
  -- by default), which is not what this scenario is about
  client  = { request { method = "POST", body = string.rep("x", math.min(131072, ctx.max_body)) } },
  plan    = {
    rxreq(),
    headers { status = 200, headers = { { "content-type", "text/plain" }, { "content-length", "3" } } },
    data("ok\n"),
  },
}
