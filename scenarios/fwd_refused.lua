-- fwd_refused: through a forward proxy, an absolute-form GET to a port where nothing listens
-- (the upstream's port refuses every connect).
--
-- Models: a client asking its proxy for a site that is down.
--
-- RFC 9110 15.6.3 (502 Bad Gateway): no response from the inbound server; proxies also say
-- 503 (RFC 9110 15.6.4), squid among them (ERR_CONNECT_FAIL). Nothing reaches the upstream.
--
-- curl: curl -x http://PROXY http://UP/fwd_refused/1 gets the proxy's 502 or 503; directly,
-- exit 7 (Couldn't connect to server).
return scenario {
  summary = "forward proxy: GET to a port that refuses connections: 502 or 503",
  expect  = { { status = 502, attempts = 0 }, { status = 503, attempts = 0 } },
  rfc     = "RFC 9110 15.6.3",
  forward = true,
  client  = { request { } },
  plan    = { refuse() },
}
