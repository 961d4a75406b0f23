-- tls_cert_wrong_name: a valid chain from the run CA, in date, for another name
-- (CN and SAN DNS:wrong.badup.invalid; no IP address).
--
-- Models: a backend moved to another host name, a shared load balancer presenting its
-- default certificate for an SNI it does not know, a proxy that sends no SNI to a host
-- serving several names.
--
-- RFC 9110 4.3.4 (https: the client MUST check the server's identity against the target's
-- host, per RFC 6125), RFC 9110 15.6.3 (502 Bad Gateway). A proxy that answers 200 here
-- checks the chain but not the name.
--
-- Wire: the handshake goes to the server's Certificate. A client that checks the name in the
-- handshake aborts there (alert bad_certificate or certificate_unknown) and closes; one that
-- checks it after (curl, nghttpx) completes the handshake, then closes with close_notify.
--
-- curl, directly: exit 60 "SSL: no alternative certificate subject name matches target
-- host name 'localhost'".
return scenario {
  summary = "the upstream's certificate names another host",
  expect  = 502,
  rfc     = "RFC 9110 4.3.4; RFC 9110 15.6.3",
  tls     = { cert = "wrong_name" },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
