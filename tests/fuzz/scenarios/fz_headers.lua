-- fuzz_request: a static plan that starts after the headers (rxhdrs), body unread.
return scenario {
  summary = "fuzzing: answer after the headers",
  expect  = 200,
  plan    = { rxhdrs(), txresp { status = 200, body = "hdrs\n" }, keepalive { idle = 0.005 } },
}
