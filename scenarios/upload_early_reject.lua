-- upload_early_reject: the upstream rejects an upload with 413 as soon as it has the request
-- head, while the client is still sending the body.
--
-- Models: a backend with a body size limit (client_max_body_size behind a proxy, a framework's
-- upload limit) that answers before the 256 KiB body is in, and closes.
--
-- RFC 9110 15.5.14 (413), RFC 9112 9.6: a server that closes after a response it sent early
-- should keep reading ("lingering close", as halfclose() does here) so the response is not
-- lost to a reset. The client of a conforming proxy gets the backend's 413, not a 502.
--
-- Wire (client): a POST with Content-Length 262144, the body written 64 KiB every 100 ms.
-- Wire (upstream): once the head is in: "HTTP/1.1 413 Content Too Large\r\nConnection: close
-- ...", FIN, then it reads (and drops) whatever still comes until the proxy closes.
--
-- curl --data-binary of 256 KiB, directly: 413 "too large" (the whole body is written into
-- the socket, which the upstream drains while it half-closes).
return scenario {
  summary = "a paced 256 KiB upload; the upstream answers 413 and closes right after the request head",
  expect  = 413,
  rfc     = "RFC 9110 15.5.14",
  client  = {
    -- within the proxies' body limit (--max-body), which is not what this scenario is about
    request { method = "POST", body = string.rep("x", math.min(262144, ctx.max_body)),
              pace = { bytes = 65536, every = 0.1 } },
  },
  plan    = {
    rxhdrs(),
    txresp { status = 413, headers = { "Connection: close" }, body = "too large\n" },
    halfclose(),
  },
}
