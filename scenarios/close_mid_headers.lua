-- close_mid_headers: send the status line and half a header field, then close (FIN).
--
-- Models: a backend process that dies while writing its response header (crash, OOM
-- kill, a worker recycled by max-requests), or a connection cut by a middlebox mid-write.
--
-- RFC 9112 8: a response whose header section is not complete when the connection closes
-- is incomplete and cannot be used; RFC 9110 15.6.3: the proxy answers 502 (the status it
-- has read so far is not a response it may forward).
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Type: text/pl", then FIN.
--
-- curl, directly (7.88.1): exit 0, http_code 200! curl takes the status line, treats the
-- close as the end of a close-delimited body and reports success: a reminder that "curl
-- worked" does not prove the upstream is healthy (curl -v shows the cut header).
return scenario {
  summary = "status line and half a header line, then FIN",
  expect  = 502,
  rfc     = "RFC 9112 8",
  plan    = { rxreq(), send("HTTP/1.1 200 OK\r\nContent-Type: text/pl"), close() },
}
