-- fwd_auth_ok: a forward proxy that requires Basic proxy authentication; the request carries
-- the case's credentials (random per case: ${proxy_credentials}).
--
-- Models: an authenticated client of a corporate proxy.
--
-- RFC 9110 11.7.2: Proxy-Authorization holds the credentials for the proxy; accepted, the
-- request goes on to the upstream and its 200 comes back.
--
-- curl: curl -x http://USER:PASSWORD@PROXY http://UP/fwd_auth_ok/1 (proxy-credentials.txt in
-- the case folder) gets 200 "ok".
return scenario {
  summary = "forward proxy with authentication, right credentials: 200 from the upstream",
  expect  = { status = 200, body = "ok\n", attempts = 1 },
  rfc     = "RFC 9110 11.7.2",
  forward = { auth = true },
  client  = { request { headers = { "Proxy-Authorization: Basic ${proxy_credentials}" } } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
