-- fuzz_request: a fast dribble and a short stall, then FIN.
return scenario {
  summary = "fuzzing: dribble and stall",
  expect  = 502,
  plan    = { rxreq(), dribble("HTTP/1.1 200 OK\r\n", 5, 0.001), stall(0.002), close() },
}
