-- interim_1xx_then_close: "HTTP/1.1 100 Continue", then close without a final response.
--
-- Models: a server or framework that sends 100 Continue eagerly (before deciding) and then
-- fails, e.g. an upload handler that crashes after accepting the expectation; a 103 Early
-- Hints sender that dies before the real answer.
--
-- RFC 9110 15.2: "A client MUST be able to parse one or more 1xx responses received prior
-- to a final response"; a 1xx is never the final answer. With no final response before
-- the close, the exchange is incomplete (RFC 9112 8) and the proxy answers 502 (RFC 9110
-- 15.6.3), possibly after having forwarded the 100 itself.
--
-- Wire: "HTTP/1.1 100 Continue\r\n\r\n", then FIN.
--
-- curl, directly (7.88.1): exit 52 "Empty reply from server", http_code 100 (the last
-- status it saw).
return scenario {
  summary = "100 Continue, then FIN without a final response",
  expect  = 502,
  rfc     = "RFC 9110 15.2",
  plan    = { rxreq(), txresp { status = 100 }, close() },
}
