-- close_on_accept: the TCP handshake completes, then the upstream closes (FIN) at once,
-- without reading the request and without sending a byte.
--
-- Models: a server at its connection limit that accepts and drops (e.g. a pre-fork server
-- whose workers are exhausted, a TLS terminator rejecting plain text, an overloaded
-- service mesh sidecar), or a load balancer with no healthy target that closes at accept.
--
-- RFC 9110 15.6.3 (502 Bad Gateway): no response at all, not a slow one; RFC 9112 8
-- (incomplete messages) makes the empty read an invalid response. The request was never
-- read, so a proxy may also safely retry it (RFC 9110 9.2.2), which does not change the
-- outcome when every attempt is closed.
--
-- Listener-level: serve this file alone for a FIN once the peer's request is in the socket
-- (at most 1 s after the accept: accept_close()'s default wait), the request unread as far
-- as the peer can tell. Picked by path in a folder, the request has been read first, then
-- the FIN comes.
--
-- Timing: a FIN sent at the very accept would race the proxy's own connect() and write:
-- one run the proxy meets a closed connection before it writes, the next after, and the
-- same proxy answers two ways. Waiting for its whole request (not its first bytes, which a
-- proxy that writes in pieces sends before the rest) makes it "closed after my request"
-- every time. accept_close(0) is the racy original.
--
-- curl, directly: exit 52 "Empty reply from server", http_code 000 (the request is drained,
-- so the kernel sends a FIN, not a RST).
return scenario {
  summary = "accept, then FIN without reading or sending anything",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { accept_close() },
}
