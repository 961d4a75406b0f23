-- status_204_with_body: "204 No Content" followed by body bytes that a 204 cannot have,
-- connection kept alive.
--
-- Models: frameworks that write a body whatever the status (an error template, a JSON
-- "{}" on DELETE), a handler that sets 204 after writing.
--
-- RFC 9110 15.3.5: "A 204 response is terminated by the end of the header section; it
-- cannot contain content or trailers." RFC 9112 6.3 (item 1): such a response "is always
-- terminated by the first empty line after the header fields". So the client sees 204, and
-- the stray bytes are garbage at the start of whatever comes next on that upstream
-- connection: a proxy that reuses it reads "unexpected body" as the next status line and
-- must not forward it (502 for that next request).
--
-- Wire: "HTTP/1.1 204 No Content\r\n\r\nunexpected body\n", connection kept alive.
--
-- curl, directly: exit 0, http_code 204 (curl ignores the stray bytes and warns about
-- them with -v).
return scenario {
  summary = "204 No Content followed by body bytes",
  expect  = 204,
  rfc     = "RFC 9110 15.3.5",
  plan    = { rxreq(), txresp { status = 204, body = "unexpected body\n" }, keepalive() },
}
