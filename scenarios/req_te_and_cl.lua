-- req_te_and_cl: a POST with Transfer-Encoding: chunked and a Content-Length of 100 that
-- disagrees with its valid 5-byte chunked body.
--
-- Models: the CL.TE / TE.CL request smuggling shape (request_cl_removed has the two agree).
--
-- RFC 9112 6.1 and 6.3 (item 3): Transfer-Encoding overrides Content-Length; such a message
-- "might indicate an attempt to perform request smuggling"; a server may reject it (400),
-- and an intermediary that forwards it "MUST first remove the received Content-Length
-- field". The upstream must never receive both fields, nor wait for 100 bytes.
--
-- Wire (client): "POST /req_te_and_cl/1 HTTP/1.1\r\nHost: ...\r\nTransfer-Encoding: chunked
-- \r\nContent-Length: 100\r\n\r\n5\r\nhello\r\n0\r\n\r\n".
--
-- curl -H 'Transfer-Encoding: chunked' -H 'Content-Length: 100', directly: curl drops its
-- own Content-Length for a chunked upload; `badup client` to the simulator gets the 400 of
-- its parser (HPE_UNEXPECTED_CONTENT_LENGTH), which is why the 400 asks for no connection.
return scenario {
  summary = "the client sends chunked and Content-Length 100 for a 5-byte body: 400, or forwarded with one framing",
  expect  = {
    { status = 400, connections = 0 },
    { status = 200, upstream = { headers = { absent = { "Content-Length" } }, body_length = 5 } },
    { status = 200, upstream = { headers = { absent = { "Transfer-Encoding" }, equal = { ["Content-Length"] = "5" } },
                                 body_length = 5 } },
  },
  rfc     = "RFC 9112 6.3",
  -- length with chunks: both fields
  client  = { request { method = "POST", chunks = { "hello" }, length = 100 } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
