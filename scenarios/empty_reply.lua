-- empty_reply: read the whole request, then close (FIN) without sending a byte.
--
-- Models: nginx's "return 444;" (nginx logs 444 but sends nothing on the wire), an
-- application server that crashed or timed out internally while handling the request, an
-- idle-timeout close that races the request (see keepalive_race for the kept-alive case).
--
-- RFC 9110 15.6.3 (502 Bad Gateway): the inbound server gave no valid response; RFC 9112 8:
-- a response closed before its status line is incomplete. The proxy must not invent a
-- success, and it has no time-out to report, so 502 rather than 504.
--
-- Wire: nothing, then FIN.
--
-- curl, directly: exit 52 "Empty reply from server", http_code 000.
return scenario {
  summary = "upstream closes after the request without a byte",
  expect  = 502,
  rfc     = "RFC 9110 15.6.3",
  plan    = { rxreq(), close() },
  -- badup run: the proxies' own words for it (haproxy's termination state "SH--": the
  -- server aborted before sending headers).
  check   = { log = { haproxy = " SH-- ", nginx = "upstream prematurely closed connection while reading response header" } },
}
