-- bench/scenarios/stall_forever.lua
-- Read the request, then send nothing until the peer closes. bench/simulator.sh
-- holds 10,000 of these open to measure the memory one stalled connection costs.
return scenario {
  summary = "reads the request, then stalls until the peer closes",
  expect  = "timeout",
  plan    = { rxreq(), stall() },
}
