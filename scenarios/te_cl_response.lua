-- te_cl_response: a response with both Transfer-Encoding: chunked and Content-Length, whose
-- framings agree on where it ends: does the client receive both fields?
--
-- Models: a backend that sets Content-Length while a middleware chunks the body; unlike
-- te_and_cl, the length here is the chunked body's own, so the message is not ambiguous,
-- only badly labelled.
--
-- RFC 9112 6.1: "A server MUST NOT send a Content-Length header field in any message that
-- contains a Transfer-Encoding header field", and 6.3 item 3: an intermediary that forwards
-- such a message "MUST first remove the received Content-Length field". The client may get a
-- 502 (the message handled as an error), or the 200 without one of the two fields; never both.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n".
--
-- curl, directly (7.88.1): chunked wins, 200 with "ok\n".
local chunked = "3\r\nok\n\r\n0\r\n\r\n"
return scenario {
  summary = "both Transfer-Encoding: chunked and a Content-Length that matches the chunked body",
  expect  = {
    502,
    { status = 200, headers = { absent = { "Content-Length" } }, body = "ok\n" },
    { status = 200, headers = { absent = { "Transfer-Encoding" } }, body = "ok\n" },
  },
  rfc     = "RFC 9112 6.1",
  plan    = {
    rxreq(),
    txresp {
      status  = 200,
      headers = { "Content-Length: " .. #chunked, "Transfer-Encoding: chunked" },
      body    = chunked,
    },
    close(),
  },
}
