-- idle_close: answer 200 with keep-alive, then close (FIN) the connection if no new request
-- arrives within 0.5 s.
--
-- Models: every real server's keep-alive idle timeout (nginx keepalive_timeout, Apache
-- KeepAliveTimeout, Node.js keepAliveTimeout, cloud load balancers), shortened so that a
-- proxy pooling upstream connections for longer hits a dead connection.
--
-- RFC 9112 9.5: "A client, server, or proxy MAY close the transport connection at any
-- time." The proxy must notice the FIN on an idle pooled connection and not reuse it; if
-- it loses the race anyway, RFC 9110 9.2.2 lets it retry an idempotent request. The
-- client sees 200 in both cases.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", then FIN 0.5 s later if the
-- connection stays idle (at once if the request said "Connection: close").
--
-- curl, directly: exit 0, http_code 200.
return scenario {
  summary = "200 with keep-alive, then FIN after 0.5 s idle",
  expect  = 200,
  rfc     = "RFC 9112 9.5",
  plan    = { rxreq(), txresp { status = 200, body = "ok\n" }, keepalive { idle = 0.5 } },
}
