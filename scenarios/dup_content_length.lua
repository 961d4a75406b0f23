-- dup_content_length: two Content-Length fields that disagree (3 and 5).
--
-- Models: an application and a framework (or a middleware and a web server) that each add
-- a Content-Length, one before and one after a body rewrite (compression, templating).
-- The classic ingredient of response splitting and cache poisoning.
--
-- RFC 9112 6.3 (item 5): without Transfer-Encoding, a Content-Length that is not a single
-- valid value (or a list of identical values) is invalid: "If this is a response message
-- received by a proxy, the proxy MUST close the connection to the server, discard the
-- received response, and send a 502 (Bad Gateway) response to the client." Two identical
-- values would be acceptable; conflicting ones never are.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nok\n", then FIN.
--
-- curl, directly (7.88.1): curl does not reject it; the last value (5) wins, so after the
-- 3 body bytes and the FIN: exit 18 "transfer closed with 2 bytes remaining to read",
-- http_code 200. (Newer curl versions reject conflicting values.)
return scenario {
  summary = "two conflicting Content-Length fields (3 and 5)",
  expect  = 502,
  rfc     = "RFC 9112 6.3",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Content-Length: 3", "Content-Length: 5" }, body = "ok\n" },
    close(),
  },
}
