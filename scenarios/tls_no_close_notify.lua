-- tls_no_close_notify: inside the TLS session, a 200 with Content-Length: 100 and 10 body
-- bytes, then a TCP FIN with no close_notify before it.
--
-- Models: a backend process killed mid-response (OOM, a crash, a deploy), a server that
-- closes its socket without SSL_shutdown; or an attacker truncating the stream (RFC 8446
-- 6.1 is why close_notify exists: to tell a truncation from an end).
--
-- RFC 9112 6.3 (item 6): fewer bytes than Content-Length make the message incomplete;
-- RFC 8446 6.1: a close without close_notify is an error ("unexpected EOF" to OpenSSL 3).
-- A streaming proxy has forwarded the 200 already: its client sees "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789" in one record, then
-- (once the client has the head) FIN: no alert record.
--
-- curl, directly: http_code 200, then exit 56 "OpenSSL SSL_read: unexpected eof while
-- reading" (or 18, "transfer closed with 90 bytes remaining").
--
-- Timing: as truncated_body, the cut waits at barrier("response_head").
return scenario {
  summary = "10 of 100 body bytes, then FIN without close_notify",
  expect  = "200+truncated",
  rfc     = "RFC 9112 6.3; RFC 8446 6.1",
  tls     = { cert = "valid" },
  plan    = {
    rxreq(),
    txresp { status = 200, body = "0123456789", length = 100 },
    barrier("response_head", ctx.read_timeout / 2),
    close { close_notify = false },
  },
}
