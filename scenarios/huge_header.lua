-- huge_header: one header line of exactly 64 KiB (65536 bytes before its CRLF).
--
-- Models: giant Set-Cookie or Content-Security-Policy headers, a JWT or a serialized
-- session stuffed into a header, a "Link" header listing hundreds of preloads.
--
-- RFC 9110 5.4: HTTP sets no limit on field length, but every implementation has one, and
-- a recipient "MAY discard or truncate received field lines that are larger than the
-- client wishes to process" only when that cannot change the message's meaning. A proxy
-- whose response header buffer is smaller than 64 KiB (haproxy's tune.bufsize 16 KiB,
-- nginx's proxy_buffer_size 4-8 KiB) cannot process the response: it is invalid for it,
-- and RFC 9110 15.6.3 gives 502. This expectation rests on common limits, not on a MUST.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Huge: aaa...a\r\n\r\nok\n" (the
-- X-Badup-Huge line is 65536 bytes), then FIN.
--
-- curl, directly (7.88.1): curl allows up to 100 KiB of headers: exit 0, http_code 200.
local line = "X-Badup-Huge: " .. string.rep("a", 65536 - #"X-Badup-Huge: ")
return scenario {
  summary = "one 64 KiB header line",
  expect  = 502,
  rfc     = "RFC 9110 5.4",
  plan    = {
    rxreq(),
    txresp { status = 200, headers = { "Content-Length: 3", line }, body = "ok\n" },
    close(),
  },
}
