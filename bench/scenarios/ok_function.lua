-- bench/scenarios/ok_function.lua
-- The same answer as scenarios/ok.lua, but from a plan function: Lua runs once
-- per request. bench/simulator.sh compares its throughput with the static plan.
return scenario {
  summary = "200 ok from a plan function (benchmark: Lua per request)",
  expect  = 200,
  plan    = function(req)
    return { txresp { status = 200, headers = { "Content-Type: text/plain" }, body = "ok\n" } }
  end,
}
