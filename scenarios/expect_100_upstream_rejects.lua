-- expect_100_upstream_rejects: the client asks Expect: 100-continue; the upstream answers
-- 417 to the head, without reading the body, and closes (reading on, so nothing is reset).
--
-- Models: a backend that refuses an upload by its headers (authentication, size, type).
--
-- RFC 9110 10.1.1: a server that receives Expect: 100-continue may answer with a final status
-- instead of 100; the client then does not send the body. The client of a proxy that relays
-- it gets the 417.
--
-- curl -H 'Expect: 100-continue' with a 256 KiB body, directly: 417 "no", and curl sends no
-- body byte (size_upload 0).
return scenario {
  summary = "Expect: 100-continue; the upstream answers 417 to the head without reading the body",
  expect  = 417,
  rfc     = "RFC 9110 10.1.1",
  continue100 = false,
  -- within the proxies' body limit (--max-body), which is not what this scenario is about
  client  = { request { method = "POST", body = string.rep("x", math.min(1024, ctx.max_body)), expect_100 = 2 } },
  plan    = { rxhdrs(), txresp { status = 417, headers = { "Connection: close" }, body = "no\n" }, halfclose() },
}
