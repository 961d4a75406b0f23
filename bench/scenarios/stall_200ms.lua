-- bench/scenarios/stall_200ms.lua
-- Read the request, wait 200 ms, answer, close. bench/simulator.sh measures how
-- far the first response byte lands from 200 ms after the request was sent.
return scenario {
  summary = "answers 200 after a 200 ms stall, then closes",
  expect  = 200,
  plan    = { rxreq(), stall(0.2), txresp { status = 200, body = "late\n" }, close() },
}
