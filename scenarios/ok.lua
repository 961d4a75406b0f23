-- ok: the control case. A well-formed 200 with a 3-byte body, connection kept alive.
--
-- Models: any healthy upstream (nginx, Apache, a Node.js or Go service) answering a GET.
-- Every other scenario is judged against this one: if a proxy cannot pass `ok`, its config
-- (not badup's fault injection) is what is broken.
--
-- RFC 9110 15.3.1 (200 OK): a proxy forwards the response as received (RFC 9110 7.6 lists
-- what it may change: hop-by-hop fields, Via). The client sees 200.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", then the connection waits for the
-- next request (a request with "Connection: close" gets a FIN instead).
--
-- curl, directly: exit 0, http_code 200, body "ok\n".
return scenario {
  summary = "a valid 200 response with a small body, connection kept alive",
  expect  = 200,
  rfc     = "RFC 9110 15.3.1",
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive() },
}
