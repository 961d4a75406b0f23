-- tls_handshake_stall: the ClientHello comes, and nothing ever answers it; the connection
-- stays open until the proxy gives up.
--
-- Models: a TLS server stuck in its accept loop (CPU starved, waiting on a slow OCSP or
-- key server, an HSM), or a middlebox that swallows the hello.
--
-- RFC 9110 15.6.5 (504 Gateway Timeout): the proxy got no timely answer. Which of its
-- timers fires (connect, or read) is the proxy's choice: nginx and haproxy count the
-- handshake as part of connecting.
--
-- Wire: the ClientHello is read, then nothing, until the peer closes.
--
-- curl, directly: waits; with --max-time 2, exit 28, http_code 000.
return scenario {
  summary = "no answer to the ClientHello",
  expect  = 504,
  rfc     = "RFC 9110 15.6.5",
  tls     = { handshake = { stall() } },
}
