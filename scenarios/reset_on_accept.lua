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
-- Listener-level: serve this file alone for a RST right after the accept. Picked by path
-- in a folder the request has been read first, then the RST comes.
--
-- curl, directly: exit 56 "Recv failure: Connection reset by peer", http_code 000; under
-- load sometimes exit 7 "Couldn't connect to server" instead, when the RST arrives before
-- curl has seen its connect() complete.
return scenario {
  summary = "accept, then RST without reading or sending anything",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { accept_reset() },
}
