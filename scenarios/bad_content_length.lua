-- bad_content_length: a Content-Length that is not a number: "Content-Length: abc".
--
-- Models: templating bugs ("Content-Length: ${len}" left unexpanded, "NaN" from a
-- JavaScript backend, "-1" from a size that was unknown).
--
-- RFC 9110 8.6: Content-Length = 1*DIGIT. RFC 9112 6.3 (item 5): an invalid Content-Length
-- without Transfer-Encoding makes the framing invalid; a proxy "MUST close the connection
-- to the server, discard the received response, and send a 502 (Bad Gateway) response".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok\n", then FIN.
--
-- curl, directly (7.88.1): exit 8 "Invalid Content-Length: value", http_code 200 (the
-- status line had been read).
return scenario {
  summary = "Content-Length is not a number (\"abc\")",
  expect  = 502,
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Content-Length: abc" }, body = "ok\n" },
    close(),
  },
}
