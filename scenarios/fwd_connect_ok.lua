-- fwd_connect_ok: CONNECT to the upstream through a forward proxy, then a GET inside the
-- tunnel on the same connection.
--
-- Models: an https:// fetch through a proxy (here the tunnel carries plain HTTP, so the
-- upstream can say what came through), WebSocket or any TCP through a proxy.
--
-- RFC 9110 9.3.6: a 2xx response to CONNECT makes the connection a tunnel; it has no content
-- (RFC 9112 6.3 item 2). The second request, origin-form with Host ${upstream}, reaches the
-- upstream unchanged through it.
--
-- curl: curl -p -x http://PROXY http://UP/fwd_connect_ok/2 gets 200 "tunneled" (-p:
-- CONNECT first).
return scenario {
  summary = "forward proxy: CONNECT to the upstream (200), then a GET through the tunnel (200)",
  expect  = {
    status = 200,
    responses = { { status = 200 }, { status = 200, body = "tunneled\n" } },
    attempts = 1,
    upstream = { method = "GET", target = "/fwd_connect_ok/2" },
  },
  rfc     = "RFC 9110 9.3.6",
  forward = true,
  client  = {
    request { method = "CONNECT", target = "${upstream}" },
    request { target = "/${scenario}/2", connection = "same" },
  },
  plan    = { rxreq(), txresp { status = 200, body = "tunneled\n" } },
}
