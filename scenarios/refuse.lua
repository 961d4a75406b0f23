-- refuse: nothing listens on the upstream port; every connect gets ECONNREFUSED (a RST to
-- the SYN).
--
-- Models: the backend process is down or restarting (a crashed service, a container that
-- has not started yet, a deploy that stopped the old process before the new one bound the
-- port). The port is kept bound by badup so no other program takes it meanwhile.
--
-- RFC 9110 15.6.3 (502 Bad Gateway): the proxy "received an invalid response from an
-- inbound server"; a refused connection is the extreme case, no response at all, obtained
-- at once (so not 504, which is about time). In practice proxies split here: nginx answers
-- 502, haproxy and Apache 503 (RFC 9110 15.6.4, "currently unable to handle the request"),
-- which the catalog records as a deviation.
--
-- Listener-level: serve this file alone (or make it the default through the control API)
-- to get a real ECONNREFUSED. Picked by path in a folder, the connection is already
-- accepted, so it gets a RST after the request instead.
--
-- curl, directly (7.88.1): exit 7 "Failed to connect to 127.0.0.1 port N after 0 ms:
-- Couldn't connect to server", http_code 000.
return scenario {
  summary = "connection refused: nothing listens on the upstream port",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { refuse() },
}
