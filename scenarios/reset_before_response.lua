-- reset_before_response: read the whole request, then RST without sending a byte.
--
-- Models: an application process that crashes (segfault, OOM kill) while handling the
-- request, a server that closes with unread data in its receive buffer (the kernel then
-- sends a RST), a stateful firewall that lost the connection's state.
--
-- RFC 9110 15.6.3 (502 Bad Gateway): no valid response was received.
--
-- Wire: nothing, then RST.
--
-- curl, directly: exit 56 "Recv failure: Connection reset by peer", http_code 000.
return scenario {
  summary = "upstream resets after the request without a byte",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { rxreq(), reset() },
}
