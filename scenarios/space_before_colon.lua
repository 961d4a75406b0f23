-- space_before_colon: whitespace between a field name and its colon: "X-Badup-Spaced : yes".
--
-- Models: hand-rolled servers and old CGI scripts that print "Name : value"; some embedded
-- web servers do it on every header.
--
-- RFC 9112 5.1: "No whitespace is allowed between the field name and colon." For requests
-- a server MUST reject with 400, but for responses the rule is repair, not rejection: "A
-- proxy MUST remove any such whitespace from a response message before forwarding the
-- message downstream." So the response stays usable and the client of a conforming proxy
-- sees 200 (with "X-Badup-Spaced: yes", or without the field). The header chosen here is
-- not a framing header, so repairing it cannot change the message length.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Spaced : yes\r\n\r\nok\n", then
-- FIN.
--
-- curl, directly: exit 0, http_code 200.
return scenario {
  summary = "whitespace between a header name and its colon",
  expect  = 200,
  rfc     = "RFC 9112 5.1",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Content-Length: 3", "X-Badup-Spaced : yes" }, body = "ok\n" },
    close(),
  },
}
