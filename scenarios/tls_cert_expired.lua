-- tls_cert_expired: the handshake offers a chain from the run CA whose leaf expired a day
-- ago (notAfter = the run's start - 1 day); names are right (localhost, 127.0.0.1).
--
-- Models: the most common TLS outage: a backend certificate nobody renewed.
--
-- RFC 5280 4.1.2.5 (validity) and 6.1.3: the path is not valid. RFC 8446 6.2
-- (certificate_expired, the alert a verifying client sends). RFC 9110 15.6.3 (502 Bad
-- Gateway): a proxy that verifies its upstream cannot use the connection. A proxy that
-- answers 200 here does not verify.
--
-- Wire: the handshake goes to the server's Certificate; the client aborts with an alert
-- (certificate_expired, or bad_certificate) and closes.
--
-- curl, directly: exit 60 "SSL certificate problem: certificate has expired".
return scenario {
  summary = "the upstream's certificate has expired",
  expect  = 502,
  rfc     = "RFC 5280 4.1.2.5; RFC 9110 15.6.3",
  tls     = { cert = "expired" },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
