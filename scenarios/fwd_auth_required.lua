-- fwd_auth_required: a forward proxy that requires Basic proxy authentication; the request
-- carries no Proxy-Authorization.
--
-- Models: a client behind a corporate proxy before it has been given credentials.
--
-- RFC 9110 15.5.8 (407 Proxy Authentication Required): the proxy "MUST send a
-- Proxy-Authenticate header field" (RFC 9110 11.7.1) with its challenge; nothing reaches the
-- upstream.
--
-- curl: curl -x http://PROXY http://UP/fwd_auth_required/1 gets 407, with
-- `Proxy-Authenticate: Basic realm=...`.
return scenario {
  summary = "forward proxy with authentication, no credentials: 407 with Proxy-Authenticate",
  expect  = { status = 407, headers = { present = { "Proxy-Authenticate" } }, attempts = 0 },
  rfc     = "RFC 9110 15.5.8",
  forward = { auth = true },
  client  = { request { } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy let it through\n" } },
}
