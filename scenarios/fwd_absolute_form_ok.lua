-- fwd_absolute_form_ok: through a forward proxy, a GET in absolute form to the upstream; the
-- upstream answers 200.
--
-- Models: a client configured with an HTTP proxy (http_proxy=, a browser's proxy setting)
-- fetching a plain http:// URL; the baseline of the fwd_* family.
--
-- RFC 9112 3.2.2: a client sends absolute-form to a proxy; RFC 9112 3.2.1: the proxy sends
-- origin-form to the origin server, so the upstream sees "/fwd_absolute_form_ok/1".
--
-- curl: curl -x http://PROXY http://UP/fwd_absolute_form_ok/1 gets 200 "ok".
return scenario {
  summary = "forward proxy: GET http://UP/... in absolute form; 200 from the upstream",
  expect  = { status = 200, body = "ok\n", attempts = 1, upstream = { target = "/fwd_absolute_form_ok/1" } },
  rfc     = "RFC 9112 3.2.2",
  forward = true,
  client  = { request { } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
