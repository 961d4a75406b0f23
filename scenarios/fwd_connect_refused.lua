-- fwd_connect_refused: CONNECT through a forward proxy to a port where nothing listens.
--
-- Models: an https:// site that is down, fetched through a proxy.
--
-- RFC 9110 9.3.6: the proxy answers CONNECT with 2xx only once the tunnel's connection is
-- made; a refused connect is an error response, 502 (RFC 9110 15.6.3) or 503 (RFC 9110
-- 15.6.4). Nothing reaches the upstream.
--
-- curl: curl -p -x http://PROXY http://UP/ ends with exit 56, "CONNECT tunnel failed,
-- response 503" (or 502).
return scenario {
  summary = "forward proxy: CONNECT to a port that refuses connections: 502 or 503",
  expect  = { { status = 502, attempts = 0 }, { status = 503, attempts = 0 } },
  rfc     = "RFC 9110 9.3.6",
  forward = true,
  client  = { request { method = "CONNECT", target = "${upstream}" } },
  plan    = { refuse() },
}
