-- tls_version_tls10_only: the upstream speaks TLS 1.0 and nothing newer. A client whose
-- lowest version is TLS 1.2 (every proxy's default today) fails the handshake: the server
-- answers with a TLS 1.0 ServerHello, and the client sends a protocol_version alert.
--
-- Models: a legacy appliance or an old Java/.NET backend that was never upgraded, behind a
-- proxy whose TLS library has dropped 1.0 and 1.1 (RFC 8996).
--
-- RFC 8996 (TLS 1.0 and 1.1 deprecated): a client MUST NOT negotiate them. RFC 8446 6.2
-- (protocol_version). RFC 9110 15.6.3 (502 Bad Gateway).
--
-- Wire: ServerHello with version 0x0301, then the client's alert 70 and its FIN.
--
-- curl, directly: exit 35 "unsupported protocol", http_code 000; `curl --tlsv1.0
-- --ciphers DEFAULT@SECLEVEL=0` gets the 200.
return scenario {
  summary = "the upstream accepts only TLS 1.0",
  expect  = 502,
  rfc     = "RFC 8996; RFC 9110 15.6.3",
  tls     = { min_version = "TLSv1", max_version = "TLSv1" },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
