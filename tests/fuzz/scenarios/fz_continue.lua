-- fuzz_request: Expect: 100-continue answered, then a response after the whole body.
return scenario {
  summary = "fuzzing: 100-continue then 200",
  expect  = 200,
  continue100 = true,
  plan    = { rxreq(), txresp { status = 200, body = "c\n" }, keepalive() },
}
