-- garbage: 256 random-looking bytes instead of a response, then close.
--
-- Models: a binary protocol on the upstream port (a database, Redis, a TLS server answering
-- plain text with an alert, SSH's banner), a corrupted stream, memory garbage from a buggy
-- server.
--
-- RFC 9112 2.2: octets that do not match the HTTP-message grammar are not a response;
-- RFC 9110 15.6.3: the proxy answers 502.
--
-- The bytes come from a linear congruential generator with a fixed seed (glibc's rand()
-- constants), not from math.random, so they are the same in every run and on every
-- machine, whatever --seed says; tests recompute them. Bits 16-23 of each state give one
-- byte.
--
-- Wire: 256 bytes starting with 0x68 0x4d 0x95 0x91 ("hM" then binary), then FIN.
--
-- curl, directly (7.88.1): exit 1 "Received HTTP/0.9 when not allowed" (anything that does
-- not start like a status line is taken for HTTP/0.9), http_code 000.
local state = 20240601
local bytes = {}
for i = 1, 256 do
  state = (state * 1103515245 + 12345) & 0x7fffffff
  bytes[i] = string.char((state >> 16) & 0xff)
end
local noise = table.concat(bytes)

return scenario {
  summary = "256 random-looking (fixed-seed) bytes instead of a response, then FIN",
  expect  = 502,
  rfc     = "RFC 9112 2.2",
  plan    = { rxreq(), send(noise), close() },
}
