-- hop_by_hop_stripped: the upstream names a header in Connection, which makes it hop-by-hop.
--
-- Models: a backend (or a middlebox in front of it) that marks its own per-connection
-- header with Connection, as Keep-Alive or a custom tracing header is marked.
--
-- RFC 9110 7.6.1: "Intermediaries MUST parse a received Connection header field before a
-- message is forwarded and, for each connection-option in this field, remove any header or
-- trailer field(s) from the message with the same name as the connection-option". The
-- client must not receive X-Badup-Hop.
--
-- Wire: "HTTP/1.1 200 OK\r\nConnection: X-Badup-Hop\r\nX-Badup-Hop: 1\r\nContent-Length: 3\r\n\r\nok\n".
--
-- curl, directly: 200 with both Connection: X-Badup-Hop and X-Badup-Hop: 1 (curl is the
-- end of the chain: nothing to strip for).
return scenario {
  summary = "the upstream sends Connection: X-Badup-Hop and X-Badup-Hop: 1",
  expect  = { status = 200, headers = { absent = { "X-Badup-Hop" } }, body = "ok\n" },
  rfc     = "RFC 9110 7.6.1",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Connection: X-Badup-Hop", "X-Badup-Hop: 1" }, body = "ok\n" },
  },
}
