-- req_dup_authorization: a request with two Authorization fields.
--
-- Models: credentials added twice (a client library and an interceptor each add one); which
-- one an upstream uses is undefined.
--
-- RFC 9110 5.3: a field that is not a list may not be repeated ("a sender MUST NOT
-- generate multiple field lines with the same name ... unless that field's definition
-- allows"), and Authorization (RFC 9110 11.6.2) is a single credentials value. A proxy
-- may reject it (400, no upstream connection) or forward it as is: both field lines, not
-- merged into one "a, b" value that means neither.
--
-- Wire (client): "GET /req_dup_authorization/1 HTTP/1.1\r\nHost: ...\r\nAuthorization: Basic
-- YTph\r\nAuthorization: Basic Yjpi\r\n\r\n".
--
-- curl -H 'Authorization: Basic YTph' -H 'Authorization: Basic Yjpi', directly: 200.
return scenario {
  summary = "the client sends two Authorization headers: 400, or forwarded as two field lines",
  expect  = {
    { status = 400, connections = 0 },
    { status = 200, upstream = { headers = { count = { Authorization = 2 } } } },
  },
  rfc     = "RFC 9110 5.3",
  client  = { request { headers = { "Authorization: Basic YTph", "Authorization: Basic Yjpi" } } },
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" } },
}
