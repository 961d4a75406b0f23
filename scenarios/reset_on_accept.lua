-- reset_on_accept: the TCP handshake completes, then the upstream answers with a RST.
--
-- Models: a server or middlebox that accepts then aborts (SO_LINGER 0): conntrack tables
-- full, an L4 load balancer without a backend, a process killed between accept() and the
-- first read, or a kernel that resets because the accept queue overflowed with
-- tcp_abort_on_overflow=1.
--
-- RFC 9110 15.6.3 (502 Bad Gateway): the connection failed before any response; a reset is
-- not a timeout, so not 504.
--
-- Listener-level: serve this file alone for a RST once the peer's request is in the socket
-- (at most 1 s after the accept: accept_reset()'s default wait), without reading it. Picked
-- by path in a folder, the request has been read first, then the RST comes.
--
-- Timing: a RST sent at the very accept would race the proxy's connect(): one run the
-- proxy sees its connect fail (lighttpd 503, apache 503), the next it sees its read reset
-- (lighttpd 500, apache 502). A RST at its first bytes would race its later writes: tinyproxy
-- writes the request line and each header apart, and answered 503 when a header write met
-- the RST, a silent close when its read did. Waiting for its whole request makes it the reset
-- read every time. accept_reset(0) is the racy original.
--
-- curl, directly: exit 56 "Recv failure: Connection reset by peer", http_code 000.
return scenario {
  summary = "accept, then RST without reading or sending anything",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { accept_reset() },
}
