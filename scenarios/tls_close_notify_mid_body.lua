-- tls_close_notify_mid_body: inside the TLS session, a 200 with Content-Length: 100 and 10
-- body bytes, then a clean close_notify and FIN: TLS says "done", HTTP says "90 bytes
-- missing".
--
-- Models: an application that ends its response early and closes cleanly (the same bug as
-- truncated_body, behind TLS): the transport is in order, the message is not.
--
-- RFC 9112 6.3 (item 6): the message is incomplete whatever the TLS layer says; RFC 8446
-- 6.1: close_notify ends the stream cleanly. The proxy must not take the clean TLS close as
-- the end of the body: its client sees "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", then (once the client
-- has the head) the close_notify alert record, then FIN.
--
-- curl, directly: http_code 200, then exit 18 "transfer closed with 90 bytes remaining to
-- read".
--
-- Timing: as truncated_body, the cut waits at barrier("response_head").
return scenario {
  summary = "10 of 100 body bytes, then close_notify and FIN",
  expect  = "200+truncated",
  rfc     = "RFC 9112 6.3; RFC 8446 6.1",
  tls     = { cert = "valid" },
  plan    = {
    rxreq(),
    txresp { status = 200, body = "0123456789", length = 100 },
    barrier("response_head", ctx.read_timeout / 2),
    close(),
  },
}
