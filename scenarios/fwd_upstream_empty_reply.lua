-- fwd_upstream_empty_reply: through a forward proxy, an absolute-form GET; the upstream reads
-- it and closes without a byte.
--
-- Models: a site whose server crashes on the request, fetched through a proxy (empty_reply
-- behind a forward proxy).
--
-- RFC 9110 15.6.3 (502 Bad Gateway): no valid response from the inbound server; the request
-- did reach it.
--
-- curl: curl -x http://PROXY http://UP/fwd_upstream_empty_reply/1 gets the proxy's 502;
-- directly, exit 52 (Empty reply from server).
return scenario {
  summary = "forward proxy: the upstream closes after the request without a byte: 502",
  expect  = { status = 502, attempts = 1 },
  rfc     = "RFC 9110 15.6.3",
  forward = true,
  client  = { request { } },
  plan    = { rxreq(), close() },
}
