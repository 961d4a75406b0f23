-- client_abort_mid_body: the client resets its connection as soon as it has the head of a
-- slow 1 MiB body.
--
-- Models: a download cancelled by the user; a video player seeking away.
--
-- RFC 9112 9.6: a proxy that loses its client has no one to forward the body to; whether it
-- stops reading from the upstream (the upstream sees its connection closed long before the
-- body ends, in upstream-events.json) is what this case shows, with the proxy's log line.
--
-- Wire (upstream): "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n", then the body 64 KiB
-- every 200 ms (3.2 s in all). Wire (client): RST right after the response head.
--
-- curl, directly: the whole 1 MiB over 3.2 s; curl killed after the head: the simulator's
-- events show the peer's reset during the dribble.
local piece = string.rep("x", 65536)
return scenario {
  summary = "the client resets after the head of a slow 1 MiB body",
  -- the client saw the 200's head and reset ("200+aborted"); the proxy then gives up the
  -- upstream within 2 s of opening it, long before the 3.2 s body ends
  expect  = { status = "200+aborted", upstream_closed = true, upstream_closed_s = 2 },
  client  = { request { abort = { at = "response_head", how = "reset" } } },
  plan    = {
    rxreq(),
    send("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"),
    dribble(string.rep(piece, 16), 65536, 0.2),
    close(),
  },
}
