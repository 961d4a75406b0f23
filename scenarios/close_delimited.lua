-- close_delimited: an HTTP/1.0 response without Content-Length or Transfer-Encoding, the
-- body ending where the connection closes.
--
-- Models: old servers and simple scripts (CGI without a length, "python -m http.server"
-- style) that frame the body by closing the connection.
--
-- RFC 9112 6.3 (item 8): "Otherwise, this is a response message without a declared message
-- body length, so the message body length is determined by the number of octets received
-- prior to the server closing the connection." Valid: the client sees 200.
--
-- Wire: "HTTP/1.0 200 OK\r\n\r\nbody until close\n", then FIN.
--
-- curl, directly: exit 0, http_code 200.
return scenario {
  summary = "HTTP/1.0 200 without length, body delimited by the close",
  expect  = 200,
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp { version = "HTTP/1.0", status = 200, body = "body until close\n", length = false },
    close(),
  },
}
