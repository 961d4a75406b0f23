-- fwd_connect_denied: CONNECT through a forward proxy to 127.0.0.1:9, a port its access
-- rules deny.
--
-- Models: a proxy that limits CONNECT to allowed ports (squid's SSL_ports, tinyproxy's
-- ConnectPort, apache's AllowCONNECT), the usual guard against tunnelling to any service.
--
-- RFC 9110 9.3.6: "a proxy that supports CONNECT SHOULD restrict its use to a limited set of
-- known ports"; RFC 9110 15.5.4: 403. Nothing reaches the upstream.
--
-- curl: curl -p -x http://PROXY http://127.0.0.1:9/ ends with exit 56, "CONNECT tunnel
-- failed, response 403".
return scenario {
  summary = "forward proxy: CONNECT to 127.0.0.1:9, denied by its rules: 403",
  expect  = { status = 403, attempts = 0 },
  rfc     = "RFC 9110 9.3.6",
  forward = true,
  client  = { request { method = "CONNECT", target = "127.0.0.1:9", headers = { "Host: 127.0.0.1:9" } } },
  plan    = { rxreq(), txresp { status = 200, body = "not this one\n" } },
}
