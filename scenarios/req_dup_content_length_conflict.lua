-- req_dup_content_length_conflict: a client request with two different Content-Length
-- values, 3 and 5, and 5 body bytes (request smuggling's classic).
--
-- Models: a broken or hostile client in front of the proxy; the upstream is healthy.
-- RFC 9112 6.3 (item 5): a message with an invalid Content-Length is unrecoverable; "if it
-- is a request message, the server MUST respond with a 400 (Bad Request) status code and
-- then close the connection". A proxy must not forward it: no upstream connection.
--
-- Wire (client): "POST /req_dup_content_length_conflict/1 HTTP/1.1\r\nHost: ...\r\n
-- Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde".
--
-- curl cannot send two values of its own framing field; `badup client` to the simulator gets
-- the 400 of its own parser (http-parser), so a proxy that forwards both gets that 400 from
-- the upstream: the expect also asks that no upstream connection was made.
return scenario {
  summary = "the client sends two conflicting Content-Length headers: the proxy must answer 400",
  expect  = { status = 400, connections = 0 },
  rfc     = "RFC 9112 6.3",
  client  = {
    request { method = "POST", headers = { "Content-Length: 3", "Content-Length: 5" }, body = "abcde" },
  },
  plan    = { rxreq(), txresp { status = 200, body = "the proxy forwarded it\n" } },
}
