-- client_tls_handshake_stall: the client sends a ClientHello to the proxy's TLS port and
-- then nothing: it never answers the server's flight.
--
-- Models: a client that dies or hangs mid-handshake, a slowloris-style attack on the TLS
-- layer (each connection holds a handshake's state in the proxy), a middlebox that drops
-- the client's second flight.
--
-- RFC 9110 4.2.2: HTTP starts on an https port once the TLS handshake is complete; until
-- then the proxy holds a connection with no request. RFC 8446 4.1.2: the ClientHello opens the handshake; the server answers with its flight
-- (ServerHello .. Finished) and waits for the client's Finished, which never comes. RFC 8446
-- sets no timer: the proxy's own does. nginx counts the handshake against
-- client_header_timeout, haproxy against `timeout client` (or `timeout client-hs`): both
-- get ctx.client_timeout (2 s) from the harness, so the proxy closes near it (a FIN, or an
-- RST with unread bytes), and nothing reaches the upstream.
--
-- Wire (client): a real ClientHello (OpenSSL's first flight, SNI localhost, ALPN
-- http/1.1), then silence until the proxy ends the connection or the client gives up
-- (5.5 s: "timeout", a proxy that holds a half-open handshake for ever). What the proxy
-- sent is in client-received.txt (TLS records, binary).
--
-- Runs only with badup run --client-tls. By hand: neither curl nor `openssl s_client` stops
-- after its hello; the harness writes the hello from a memory BIO (harness/client_tls.c).
local t = ctx.client_timeout
local function ended(status)
  return { status = status, connections = 0, min_s = t * 0.75, max_s = t * 2 }
end
return scenario {
  summary = "a ClientHello, then silence: the proxy closes near its client timeout",
  client_tls = { handshake = "client_hello_then_stall" },
  expect  = { ended("closed"), ended("reset") },
  rfc     = "RFC 8446 4.1.2",
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
