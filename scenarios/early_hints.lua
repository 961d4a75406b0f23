-- early_hints: a 103 Early Hints interim response, then the final 200.
--
-- Models: an application server (Rails, Go's net/http, h2o as an origin) that sends 103 with
-- Link: rel=preload headers while it computes the page, the way browsers ask for.
--
-- RFC 9110 15.2: a 1xx is interim; "A client MUST be able to parse one or more 1xx responses
-- received prior to a final response", and a proxy MUST forward 1xx responses unless it
-- dropped them for its client's sake (HTTP/1.0). RFC 8297 defines 103. Either way the
-- client must then get the final 200: a proxy that forwards the 103 and then ends its
-- client connection leaves it with no final response at all ("closed"; curl: exit 52
-- "Empty reply from server"): a 1xx is never an outcome by itself.
--
-- Wire: "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n", then
-- "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", then keep-alive.
--
-- curl, directly: http_code 200, exit 0 (curl shows the 103 with -v and ignores it).
return scenario {
  summary = "103 Early Hints, then the final 200",
  expect  = 200,
  rfc     = "RFC 9110 15.2",
  plan    = {
    rxreq(),
    txresp { status = 103, headers = { "Link: </style.css>; rel=preload; as=style" } },
    txresp { status = 200, body = "ok\n" },
    keepalive(),
  },
}
