-- client_tls_plain_http: the client sends a plain HTTP/1.1 request to the proxy's TLS port.
--
-- Models: a client configured with http:// for an https:// endpoint, a health check that
-- forgot TLS, a scanner.
--
-- RFC 9110 4.2.2: an https URI's server is reached through TLS, so the port speaks TLS
-- before any HTTP. RFC 8446 5: the first bytes a TLS server reads must be a record header (content type 22,
-- handshake, then the version, then a length); "GET " is none, and RFC 8446 6.2 says such a
-- connection ends with a fatal alert (unexpected_message or decode_error) and a close. A
-- proxy may do better and answer in HTTP: nginx reads the request and answers 400 "The
-- plain HTTP request was sent to HTTPS port" (a response, then a close); haproxy logs
-- "SSL handshake failure" and closes. Either way nothing reaches the upstream.
--
-- Wire (client, no TLS): "GET /client_tls_plain_http/1 HTTP/1.1\r\nHost: ...\r\n\r\n" on
-- the TLS port; then a 400, or the bytes of a TLS alert and a FIN (the raw client reads a
-- record it cannot parse as HTTP: "invalid"), or a FIN or RST alone.
--
-- Runs only with badup run --client-tls (client_tls = { ... }). curl http://localhost:PORT/
-- against a TLS port shows the same: nginx's 400, or "Empty reply from server".
return scenario {
  summary = "plain HTTP sent to the proxy's TLS port: a 400 in plain text, or a close (with or without an alert)",
  client_tls = { handshake = "none" },
  expect  = { { status = 400, connections = 0 }, { status = "closed", connections = 0 },
              { status = "reset", connections = 0 }, { status = "invalid", connections = 0 } },
  rfc     = "RFC 8446 5",
  client  = { request { } },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
