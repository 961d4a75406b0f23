-- malformed_status_line: the status line has no status code: "HTTP/1.1 OK".
--
-- Models: hand-written servers and embedded devices (printers, IoT firmware, old
-- appliances) that get the status line wrong, or a backend that writes its reason phrase
-- where the code belongs.
--
-- RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ], status-code =
-- 3DIGIT. Without a code the message is not an HTTP response at all; RFC 9110 15.6.3: the
-- proxy answers 502.
--
-- Wire: "HTTP/1.1 OK\r\nContent-Length: 3\r\n\r\nok\n", then FIN.
--
-- curl, directly (7.88.1): exit 1 "Unsupported HTTP version in response", http_code 000
-- (the wording differs between curl versions).
return scenario {
  summary = "status line without a status code: \"HTTP/1.1 OK\"",
  expect  = 502,
  rfc     = "RFC 9112 4",
  plan    = { rxreq(), txresp { status_line = "HTTP/1.1 OK", body = "ok\n" }, close() },
}
