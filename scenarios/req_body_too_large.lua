-- req_body_too_large: a POST announcing and sending twice the proxy's body limit
-- (2 * ctx.max_body bytes: 2 MiB with the default 1 MiB).
--
-- Models: an upload past client_max_body_size / LimitRequestBody / request_body_max_size.
--
-- RFC 9110 15.5.14: 413 (Content Too Large) when the content is larger than the server is
-- willing to process; the Content-Length says so before a body byte, so the proxy answers
-- by itself, with no upstream connection. RFC 9112 9.6: it should keep reading a while
-- after answering (lingering close) so the client gets the 413 rather than a reset.
--
-- Wire (client): "POST /req_body_too_large/1 HTTP/1.1\r\nHost: ...\r\nContent-Length:
-- 2097152\r\n\r\n" and the 2 MiB body, written as fast as the socket takes it.
--
-- curl --data-binary @2MiB-file, directly: 200 (the simulator has no body limit).
local max_body = ctx.max_body
return scenario {
  summary = "a POST of twice the proxy's body limit, Content-Length announced: the proxy must answer 413",
  expect  = { status = 413, connections = 0 },
  rfc     = "RFC 9110 15.5.14",
  client  = { request { method = "POST", body = string.rep("x", 2 * max_body) } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
