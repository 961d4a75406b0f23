-- reset_mid_headers: send the status line and half a header field, then RST.
--
-- Models: a backend killed mid-write with unread data in its socket, or an abortive close
-- (SO_LINGER 0) by a load balancer draining connections.
--
-- RFC 9112 8 and RFC 9110 15.6.3: the header section never completed; 502.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Type: text/pl", then RST.
--
-- curl, directly (7.88.1): exit 56 "Recv failure: Connection reset by peer", http_code 200
-- (the status line had been read).
return scenario {
  summary = "status line and half a header line, then RST",
  expect  = 502,
  rfc     = "RFC 9112 8",
  plan    = { rxreq(), send("HTTP/1.1 200 OK\r\nContent-Type: text/pl"), reset() },
}
