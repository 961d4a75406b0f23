-- h2_http1_reply: the client's HTTP/2 connection preface is answered with an HTTP/1.1 400
-- and a FIN.
--
-- Models: a proxy configured for an HTTP/2 (h2c) upstream whose backend speaks only HTTP/1:
-- the most common HTTP/2 upstream misconfiguration. Servers read "PRI * HTTP/2.0" as a
-- request with an unknown method and answer 400 (or 505).
--
-- RFC 9113 3.4: what follows the client preface must be the server's SETTINGS; an HTTP/1
-- status line is no frame at all: PROTOCOL_ERROR, no response: 502.
--
-- Wire: (the client's 24-byte preface) "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n
-- Connection: close\r\n\r\n", then FIN.
--
-- curl --http2-prior-knowledge, directly: exit 16 or 56, http_code 000.
return scenario {
  summary = "HTTP/2: the connection preface answered with HTTP/1.1 400",
  expect  = 502,
  rfc     = "RFC 9113 3.4",
  http2   = {
    preface = {
      send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
      close(),
    },
  },
}
