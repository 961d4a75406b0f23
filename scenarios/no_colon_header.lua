-- no_colon_header: a header line without a colon: "X-Badup-No-Colon-Here".
--
-- Models: a backend that builds headers by string concatenation and loses the separator,
-- or an application that writes a debug line into the header section.
--
-- RFC 9112 5: field-line = field-name ":" OWS field-value OWS. A line without a colon is
-- not a field line, so the header section does not parse; RFC 9110 15.6.3: 502. (A
-- proxy that skips the line is lenient; forwarding it would be worse.)
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-No-Colon-Here\r\n\r\nok\n", then
-- FIN.
--
-- curl, directly (7.88.1): exit 8 "Header without colon", http_code 200 (the status line
-- had been read).
return scenario {
  summary = "a header line without a colon",
  expect  = 502,
  rfc     = "RFC 9112 5",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Content-Length: 3", "X-Badup-No-Colon-Here" }, body = "ok\n" },
    close(),
  },
}
