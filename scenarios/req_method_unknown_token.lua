-- req_method_unknown_token: a method that is a valid token nobody defines: "GET123".
--
-- Models: WebDAV, a private API's own verbs, a client typo; a proxy in front of a server
-- that may know the method.
--
-- RFC 9110 9.1: a method is a token; "an origin server that receives a request method that
-- is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status
-- code". A proxy is not the origin: it either forwards the request (the upstream decides)
-- or, when it does not handle the method, answers 501 without an upstream connection.
--
-- Wire (client): "GET123 /req_method_unknown_token/1 HTTP/1.1\r\nHost: ...\r\n\r\n".
--
-- curl -X GET123, directly: 400 from the simulator's own parser (http-parser knows a fixed
-- list of methods). So a forwarded GET123 shows as that 400 after one upstream connection
-- (the evidence says "bad_request HPE_INVALID_METHOD"): that is the "forwarded" alternative.
return scenario {
  summary = "the client's method GET123 is a token no one defines: the proxy forwards it, or answers 501",
  expect  = {
    { status = 501, connections = 0 },
    -- forwarded: the upstream's parser refused it (400, the simulator's own)
    { status = 400, connections = 1 },
  },
  rfc     = "RFC 9110 9.1",
  client  = { request { method = "GET123" } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
