-- req_chunked_bad_size: a chunked POST whose first chunk size is "zz".
--
-- Models: a broken chunked encoder, or a smuggling probe against the proxy's chunk parser
-- (the request-side twin of bad_chunk_size).
--
-- RFC 9112 7.1: chunk-size = 1*HEXDIG; a body that does not parse cannot be framed, and
-- the request is a bad request: 400 (RFC 9112 8). A proxy that streams may have forwarded
-- the head before it met the bad chunk: then it must end that upstream request itself
-- (upstream_closed); the upstream never gets a complete request. One that connected first
-- (over TLS: the handshake) and met the bad chunk before it wrote a byte of the request has
-- sent nothing: no attempt reached the upstream, whatever it does with that connection.
--
-- Wire (client): "POST /req_chunked_bad_size/1 HTTP/1.1\r\nHost: ...\r\nTransfer-Encoding:
-- chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".
--
-- curl cannot write a bad chunk; `badup client` to the simulator gets the 400 of its parser
-- (HPE_INVALID_CHUNK_SIZE).
return scenario {
  summary = "the client's chunked body has chunk size 'zz': the proxy must answer 400",
  expect  = { { status = 400, attempts = 0 }, { status = 400, upstream_closed = true } },
  rfc     = "RFC 9112 7.1",
  client  = {
    request { method = "POST", headers = { "Transfer-Encoding: chunked" }, body = "zz\r\nhello\r\n0\r\n\r\n" },
  },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
