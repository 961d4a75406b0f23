-- nul_in_header: a NUL byte inside a header value: "X-Badup-Nul: a\0b".
--
-- Models: a C backend that copies a fixed-size buffer into a header, an application that
-- puts unsanitised binary data (a hash, a user-supplied string) into a header.
--
-- RFC 9110 5.5: "Field values containing CR, LF, or NUL characters are invalid and
-- dangerous ... a recipient of CR, LF, or NUL within a field value MUST either reject the
-- message or replace each of those characters with SP before further processing or
-- forwarding of that message." Rejecting it makes the response invalid: 502 (RFC 9110
-- 15.6.3). A proxy that replaces the NUL with SP and answers 200 also conforms; the
-- catalog records which one each proxy chose.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Nul: a\0b\r\n\r\nok\n", then FIN.
--
-- curl, directly (7.88.1): exit 8 "Nul byte in header", http_code 200 (the status line
-- had been read).
return scenario {
  summary = "a NUL byte inside a header value",
  expect  = 502,
  rfc     = "RFC 9110 5.5",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Content-Length: 3", "X-Badup-Nul: a\0b" }, body = "ok\n" },
    close(),
  },
}
