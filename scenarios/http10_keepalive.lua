-- http10_keepalive: an HTTP/1.0 request with "Connection: keep-alive", then a second one on
-- the same connection if the proxy kept it open.
--
-- Models: HTTP/1.0 clients that still ask for persistence: ab (ApacheBench -k), old load
-- balancer health checks, some embedded clients.
--
-- RFC 9112 9.3 and appendix C.2.2: an HTTP/1.0 connection persists only when both sides
-- say "keep-alive"; a server may keep it or close it. Either way both requests get their
-- 200; whether the proxy kept the connection is recorded: the got reads "200 =kept" or
-- "200 =closed" (each alternative's note).
--
-- Wire (client): "GET /http10_keepalive/1 HTTP/1.0\r\nHost: ...\r\nConnection: keep-alive
-- \r\n\r\n", then "GET /http10_keepalive/2 HTTP/1.0 ..." on the same connection (a new one
-- if the proxy closed the first).
--
-- curl -0 -H 'Connection: keep-alive' URL URL, directly: two 200s, "Re-using existing
-- connection" (the simulator keeps an HTTP/1.0 keep-alive connection).
local function request10(n)
  return request { version = "HTTP/1.0", headers = { "Connection: keep-alive" }, connection = n > 1 and "same" or nil }
end
local function ended(connection)
  -- both requests reached the upstream (the 200s are not the proxy's own)
  return { status = 200, responses = { { status = 200 }, { status = 200 } }, attempts = 2, connection = connection,
           note = connection }
end
return scenario {
  summary = "two HTTP/1.0 keep-alive requests: both get 200; whether the proxy kept the connection is recorded",
  expect  = { ended("kept"), ended("closed") },
  rfc     = "RFC 9112 9.3",
  client  = { request10(1), request10(2) },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
