-- client_dup_content_length: a client request with two different Content-Length values
-- (request smuggling's classic).
--
-- Models: a broken or hostile client in front of the proxy; the upstream is healthy.
-- RFC 9112 6.3 (item 5): a message with an invalid Content-Length is unrecoverable; "if it
-- is a request message, the server MUST respond with a 400 (Bad Request) status code and
-- then close the connection". A proxy must not forward it: the upstream sees no attempt.
--
-- badup run sends the bytes below with a raw socket (curl cannot send this); a direct
-- request to the simulator gets its own 400 from http-parser.
return scenario {
  summary = "the client sends two conflicting Content-Length headers: the proxy must answer 400",
  expect  = 400,
  rfc     = "RFC 9112 6.3",
  client_request = "POST /client_dup_content_length/1 HTTP/1.1\r\nHost: badup\r\n" ..
                   "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
  check   = { attempts = 0 },
  plan    = { txresp { status = 200, body = "the proxy forwarded it\n" } },
}
