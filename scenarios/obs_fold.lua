-- obs_fold: a header value continued on the next line (obsolete line folding):
-- "X-Badup-Folded: first\r\n second".
--
-- Models: very old servers and mail-style header writers that wrap long values (long
-- Set-Cookie or Link headers) at 78 columns, a practice RFC 2616 allowed and RFC 7230
-- deprecated.
--
-- RFC 9112 5.2: "A proxy or gateway that receives an obs-fold in a response message that is
-- not within a "message/http" container MUST either discard the message and replace it
-- with a 502 (Bad Gateway) response, preferably with a representation explaining that
-- unacceptable line folding was received, or replace each received obs-fold with one or
-- more SP octets prior to interpreting the field value or forwarding the message
-- downstream." Both choices conform. badup expects the first one, 502, because it is the
-- one that cannot be mistaken for silently passing the fold on; a proxy that unfolds
-- ("X-Badup-Folded: first second") and answers 200 is the documented alternative, and the
-- catalog records it as a deviation, not a failure of the RFC.
--
-- Wire: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Folded: first\r\n second\r\n\r\nok\n",
-- then FIN.
--
-- curl, directly (7.88.1): curl accepts the fold: exit 0, http_code 200.
return scenario {
  summary = "a folded (obs-fold) header value",
  expect  = 502,
  rfc     = "RFC 9112 5.2",
  plan    = {
    rxreq(),
    txresp {
      status  = 200,
      headers = { "Content-Length: 3", "X-Badup-Folded: first\r\n second" },
      body    = "ok\n",
    },
    close(),
  },
}
