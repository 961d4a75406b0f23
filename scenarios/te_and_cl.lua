-- te_and_cl: both Content-Length: 3 and Transfer-Encoding: chunked, with a chunked body.
--
-- Models: a backend framework that adds Content-Length while a middleware switches to
-- chunked (or the reverse); the textbook request smuggling / response splitting shape
-- (the two framings disagree: by Content-Length the body is "3\r\n", by chunking "ok\n").
--
-- RFC 9112 6.3 (item 3): "If a message is received with both a Transfer-Encoding and a
-- Content-Length header field, the Transfer-Encoding overrides the Content-Length. Such a
-- message might indicate an attempt to perform request smuggling (Section 11.2) or
-- response splitting (Section 11.1) and ought to be handled as an error. An intermediary
-- that chooses to forward the message MUST first remove the received Content-Length field
-- and process the Transfer-Encoding". badup expects the "handled as an error" reading: 502
-- (RFC 9110 15.6.3). A proxy that drops Content-Length and forwards 200 with "ok\n" is
-- within the letter of the RFC and is recorded as a deviation.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n",
-- then FIN.
--
-- curl, directly (7.88.1): curl lets chunked win and ignores Content-Length: exit 0,
-- http_code 200, body "ok\n".
return scenario {
  summary = "both Content-Length and Transfer-Encoding: chunked",
  expect  = 502,
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp {
      status  = 200,
      headers = { "Content-Length: 3", "Transfer-Encoding: chunked" },
      body    = "3\r\nok\n\r\n0\r\n\r\n",
    },
    close(),
  },
}
