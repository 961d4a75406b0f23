-- tls_plaintext_reply: the upstream answers the ClientHello in plain HTTP: "HTTP/1.1 400
-- Bad Request", then FIN. It is an HTTP server on a port the proxy believes speaks TLS.
--
-- Models: a backend whose TLS was switched off (or never on) while the proxy's config says
-- https; nginx's own "400 The plain HTTP request was sent to HTTPS port" seen from the other
-- side; a port-forward to the wrong port.
--
-- RFC 8446 5: the first bytes are no TLS record ('H' = 0x48 is no content type), so the
-- client fails the handshake (OpenSSL: "wrong version number"). RFC 9110 15.6.3 (502 Bad
-- Gateway): the 400 is no response to the proxy's request, which was never sent.
--
-- Wire: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" in
-- the clear, then FIN.
--
-- curl, directly: exit 35 "wrong version number" (OpenSSL 3.0: "packet length too long"
-- in some builds), http_code 000.
return scenario {
  summary = "a plain HTTP/1.1 400 answers the ClientHello",
  expect  = 502,
  rfc     = "RFC 8446 5; RFC 9110 15.6.3",
  tls     = { handshake = {
    txresp { status = 400, reason = "Bad Request", headers = { Connection = "close" } },
    close(),
  } },
}
