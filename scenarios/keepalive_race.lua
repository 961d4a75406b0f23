-- keepalive_race: the first request on a connection is answered 200 and the connection is
-- kept alive; the next request on that same connection is read and then the connection is
-- closed (FIN) without a byte.
--
-- Models: the idle-close race of connection pools. The upstream (Node.js keepAliveTimeout
-- 5 s, Apache KeepAliveTimeout 5 s, a cloud load balancer's idle timeout) closes an idle
-- kept-alive connection at the very moment the proxy reuses it for a new request. The
-- proxy sees its request answered by a bare FIN.
--
-- RFC 9112 9.5: "a client might have started to send a new request at the same time that
-- the server has decided to close the "idle" connection". RFC 9110 9.2.2: idempotent
-- requests "can be repeated automatically if a communication failure occurs before the
-- client is able to read the server's response", and RFC 9112 9.3.1 points there for
-- retries on a new connection. A proxy that retries the GET on a fresh connection gets the
-- 200 of that connection's first request: the client of a conforming proxy sees 200. A
-- proxy that does not retry on a reused connection answers 502 (a deviation).
--
-- Wire, per connection: request 1 -> "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\n"
-- (kept alive); request 2 -> nothing, then FIN.
--
-- curl, directly: one request per connection, so 200 (exit 0). curl reusing a connection
-- (two URLs in one command) sees the second die and retries it once on a new connection.
return scenario {
  summary = "request 1 on a connection gets 200, request 2 on it gets FIN without a byte",
  expect  = 200,
  rfc     = "RFC 9110 9.2.2",
  -- badup run sends two requests through the proxy, one after the other: a proxy that
  -- keeps upstream connections alive reuses the first for the second and meets the close.
  requests = 2,
  plan    = function(req)
    if req.conn_seq == 1 then
      return { txresp { status = 200, body = "first\n" }, keepalive() }
    end
    return { close() }
  end,
}
