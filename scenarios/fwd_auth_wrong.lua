-- fwd_auth_wrong: a forward proxy that requires Basic proxy authentication; the request
-- carries credentials it does not know.
--
-- Models: a mistyped or expired proxy password.
--
-- RFC 9110 11.7.1, 15.5.8: credentials the proxy does not accept get 407 again (with its
-- challenge), never the upstream's answer; nothing reaches the upstream.
--
-- curl: curl -x http://badup-wrong:not-the-password@PROXY http://UP/fwd_auth_wrong/1 gets 407.
return scenario {
  summary = "forward proxy with authentication, wrong credentials: 407",
  expect  = { status = 407, attempts = 0 },
  rfc     = "RFC 9110 11.7.1",
  forward = { auth = true },
  -- base64 of "badup-wrong:not-the-password" (RFC 7617 2)
  client  = { request { headers = { "Proxy-Authorization: Basic YmFkdXAtd3Jvbmc6bm90LXRoZS1wYXNzd29yZA==" } } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy let it through\n" } },
}
