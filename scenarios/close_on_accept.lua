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
-- Listener-level: serve this file alone for a FIN right after the accept. Picked by path in
-- a folder the request has been read first, then the FIN comes.
--
-- curl, directly: exit 52 "Empty reply from server", http_code 000; or exit 56 "Connection
-- reset by peer" when curl's request reached the socket before the close (a close with
-- unread data in the receive buffer is sent as a RST by the kernel).
return scenario {
  summary = "accept, then FIN without reading or sending anything",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { accept_close() },
}
