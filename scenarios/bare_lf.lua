-- bare_lf: every line of the status line and header section ends with LF alone, no CR.
--
-- Models: scripts that print "\n" (shell CGI, quick Python or Perl servers, netcat
-- replies), and Unix tools that lost the CR on the way.
--
-- RFC 9112 2.2: "Although the line terminator for the start-line and fields is the
-- sequence CRLF, a recipient MAY recognize a single LF as a line terminator and ignore any
-- preceding CR." Most implementations take that MAY (robustness principle), so the
-- response is valid for them and the client of the proxy sees 200 (the proxy re-emits CRLF
-- downstream). A strict proxy answering 502 is also allowed by the text; it is recorded as
-- a deviation from the common practice.
--
-- Wire: "HTTP/1.1 200 OK\nContent-Length: 3\n\nok\n", then FIN.
--
-- curl, directly: exit 0, http_code 200.
return scenario {
  summary = "status line and headers end with bare LF instead of CRLF",
  expect  = 200,
  rfc     = "RFC 9112 2.2",
  plan    = { rxreq(), send("HTTP/1.1 200 OK\nContent-Length: 3\n\nok\n"), close() },
}
