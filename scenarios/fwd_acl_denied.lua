-- fwd_acl_denied: through a forward proxy, an absolute-form GET to 127.0.0.1:9, a port its
-- access rules deny.
--
-- Models: an egress policy (Safe_ports, a deny list) refusing a destination.
--
-- RFC 9110 15.5.4 (403 Forbidden): the proxy understood the request and refuses it; it must
-- not connect anywhere, so the upstream sees nothing.
--
-- curl: curl -x http://PROXY http://127.0.0.1:9/fwd_acl_denied/1 gets 403.
return scenario {
  summary = "forward proxy: GET http://127.0.0.1:9/... denied by its rules: 403",
  expect  = { status = 403, attempts = 0 },
  rfc     = "RFC 9110 15.5.4",
  forward = true,
  client  = { request { target = "http://127.0.0.1:9/${scenario}/1", headers = { "Host: 127.0.0.1:9" } } },
  plan    = { rxreq(), txresp { status = 200, body = "not this one\n" } },
}
