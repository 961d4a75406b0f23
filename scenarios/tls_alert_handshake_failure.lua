-- tls_alert_handshake_failure: the ClientHello is answered with a fatal handshake_failure
-- alert (level 2, description 40), then FIN.
--
-- Models: a server with no cipher suite, group or signature algorithm in common with the
-- proxy (a hardened backend meeting an old client profile, or the reverse), a server that
-- requires a client certificate the proxy does not send.
--
-- RFC 8446 6.2: "handshake_failure: Receipt of a 'handshake_failure' alert message indicates
-- that the sender was unable to negotiate an acceptable set of security parameters given
-- the options available." RFC 9110 15.6.3 (502 Bad Gateway).
--
-- Wire: 15 03 03 00 02 02 28 (an alert record, in the clear: no keys exist yet), then FIN.
--
-- curl, directly: exit 35 "sslv3 alert handshake failure", http_code 000.
return scenario {
  summary = "a fatal handshake_failure alert answers the ClientHello",
  expect  = 502,
  rfc     = "RFC 8446 6.2; RFC 9110 15.6.3",
  tls     = { handshake = { tls_alert("handshake_failure"), close() } },
}
