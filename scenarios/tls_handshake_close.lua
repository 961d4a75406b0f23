-- tls_handshake_close: the ClientHello comes; the upstream closes (FIN) without a byte.
--
-- Models: a TLS server that rejects the hello without an alert (no certificate for that
-- SNI, an old server meeting an unknown extension, a load balancer without a healthy
-- backend for that name), or a plain-TCP service that drops what it cannot parse.
--
-- RFC 9110 15.6.3 (502 Bad Gateway). RFC 8446 6.1: a peer that closes without an alert ends
-- the handshake as a failure.
--
-- Wire: the ClientHello is read, then FIN (no TLS record, no close_notify: no session).
--
-- curl, directly: exit 35 "OpenSSL SSL_connect: SSL_ERROR_SYSCALL" (unexpected EOF),
-- http_code 000.
return scenario {
  summary = "FIN without a byte after the ClientHello",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3; RFC 8446 6.1",
  tls     = { handshake = { close() } },
}
