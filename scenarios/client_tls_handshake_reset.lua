-- client_tls_handshake_reset: the client sends a ClientHello, waits for the proxy's answer
-- (its ServerHello flight), then resets the connection (RST).
--
-- Models: a client that gives up mid-handshake (a browser tab closed, a load balancer's
-- health check that only wants the port to answer), a port scanner that probes TLS.
--
-- RFC 9110 4.2.2: no HTTP request exists before the TLS handshake completes. RFC 8446 6.2:
-- a connection that ends before the handshake completes is a failed
-- handshake; there is nothing for the proxy to answer, and nothing to send upstream. What
-- matters is that the proxy takes it quietly (it keeps running, the next connection works:
-- a later case) and what it logs (haproxy: "SSL handshake failure").
--
-- Wire (client): a real ClientHello (OpenSSL's first flight), the proxy's first bytes
-- read, then SO_LINGER 0 and close: an RST. The client reports "aborted" (it ended the
-- exchange itself); a proxy that closed before answering the hello gives "closed" or
-- "reset".
--
-- Runs only with badup run --client-tls. curl cannot stop after its ClientHello (its
-- handshake goes on to the end); `curl --max-time` shows what a client that gives up sees
-- from its side only.
return scenario {
  summary = "a ClientHello, the proxy's answer, then the client's RST: no upstream request",
  client_tls = { handshake = "client_hello_then_reset" },
  expect  = { { status = "aborted", connections = 0 }, { status = "closed", connections = 0 },
              { status = "reset", connections = 0 } },
  rfc     = "RFC 8446 6.2",
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
