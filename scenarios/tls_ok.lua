-- tls_ok: the control case of the TLS catalog. The TLS handshake completes with the run's
-- valid certificate (CN localhost, SAN localhost, 127.0.0.1 and ::1, signed by the run CA),
-- then a well-formed 200 with a 3-byte body, connection kept alive.
--
-- Models: any healthy HTTPS upstream. A proxy that fails this case has a TLS upstream
-- config that is broken (CA, name, versions), not a finding about faults.
--
-- RFC 8446 (TLS 1.3) or 5246 (1.2): the handshake; RFC 9110 15.3.1 (200 OK).
--
-- Wire: ServerHello..Finished, then in the session "HTTP/1.1 200 OK\r\nContent-Length:
-- 3\r\n\r\nok\n"; a close sends close_notify, then FIN.
--
-- curl, directly: `curl --cacert DIR/ca.crt https://localhost:PORT/` (DIR: the tls= of the
-- start line), exit 0, http_code 200.
return scenario {
  summary = "TLS handshake with a valid certificate, then a 200",
  expect  = 200,
  rfc     = "RFC 8446 4; RFC 9110 15.3.1",
  tls     = { cert = "valid" },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
