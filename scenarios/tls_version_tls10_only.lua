-- tls_version_tls10_only: the upstream speaks TLS 1.0 and nothing newer. A client whose
-- lowest version is TLS 1.2 (every proxy's default today) fails the handshake.
--
-- Models: a legacy appliance or an old Java/.NET backend that was never upgraded, behind a
-- proxy whose TLS library has dropped 1.0 and 1.1 (RFC 8996).
--
-- RFC 8996 (TLS 1.0 and 1.1 deprecated): a client MUST NOT negotiate them. RFC 8446 6.2
-- (protocol_version). RFC 9110 15.6.3 (502 Bad Gateway).
--
-- Wire: to a ClientHello that offers TLS 1.2 and 1.3 only (supported_versions), the server
-- has no version in common and says so itself: a fatal protocol_version alert, 15 03 03 00 02
-- 02 46, then FIN. To one that still offers 1.0, a ServerHello for 0x0301; a client then
-- refuses it (OpenSSL 3 at its default security level: "legacy sigalg disallowed or
-- unsupported", and an internal_error alert).
--
-- curl, directly: exit 35 ("tlsv1 alert protocol version" with --tlsv1.2; "legacy sigalg
-- disallowed or unsupported" by default), http_code 000; `curl --tlsv1.0 --ciphers
-- DEFAULT@SECLEVEL=0` gets the 200.
return scenario {
  summary = "the upstream accepts only TLS 1.0",
  expect  = 502,
  rfc     = "RFC 8996; RFC 9110 15.6.3",
  tls     = { min_version = "TLSv1", max_version = "TLSv1" },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
