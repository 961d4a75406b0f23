-- tls_cert_untrusted: a self-signed leaf with the right names and dates, not issued by the
-- run CA the proxy trusts.
--
-- Models: a backend still on its install-time self-signed certificate, a dev certificate
-- shipped to production, a TLS-inspecting middlebox whose CA the proxy does not trust.
--
-- RFC 5280 6.1: no path to a trust anchor. RFC 8446 6.2 (unknown_ca). RFC 9110 15.6.3 (502
-- Bad Gateway). A proxy that answers 200 here does not verify its upstream at all.
--
-- Wire: the handshake goes to the server's Certificate; the client aborts (alert unknown_ca
-- or bad_certificate) and closes.
--
-- curl, directly: exit 60 "SSL certificate problem: self-signed certificate".
return scenario {
  summary = "the upstream's certificate is self-signed, outside the run CA",
  expect  = 502,
  rfc     = "RFC 5280 6.1; RFC 9110 15.6.3",
  tls     = { cert = "untrusted" },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
