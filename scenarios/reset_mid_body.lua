-- reset_mid_body: a 200 announcing Content-Length: 100, 40 body bytes, then RST.
--
-- Models: a backend killed while streaming a body (OOM kill of a worker producing a large
-- export), or an L4 load balancer resetting a flow it evicted.
--
-- RFC 9112 8: the message is incomplete. As in close_mid_body, a proxy that already sent
-- the 200 header section can only cut the body short: "200+truncated".
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "0123456789" x 4, then RST.
--
-- curl, directly: http_code 200, then exit 56 "Recv failure: Connection reset by peer".
local full = response { status = 200, body = string.rep("0123456789", 10) }
return scenario {
  summary = "Content-Length 100, 40 body bytes, then RST",
  expect  = "200+truncated",
  rfc     = "RFC 9112 8",
  plan    = { rxreq(), send(full:sub(1, #full - 60)), reset() },
}
