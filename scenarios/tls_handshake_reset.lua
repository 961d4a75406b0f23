-- tls_handshake_reset: the TCP connection is accepted; the ClientHello comes; the upstream
-- answers it with an RST, no byte of TLS.
--
-- Models: a middlebox (IPS, firewall with TLS inspection, an SNI filter) that kills the
-- connection when it sees the ClientHello; a TLS server crashing in its handshake; a port
-- whose server died between accept and read.
--
-- RFC 9110 15.6.3 (502 Bad Gateway): no response, and no timeout to report. RFC 8446 does not
-- enter: no TLS message ever came back.
--
-- Wire: the ClientHello is read, then RST.
--
-- curl, directly: exit 35 or 56, "Recv failure: Connection reset by peer" (the words vary with
-- curl's version), http_code 000.
return scenario {
  summary = "RST right after the ClientHello",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  tls     = { handshake = { reset() } },
}
