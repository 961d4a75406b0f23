-- latency: 200 "ok\n" keep-alive after an upstream latency drawn per request from a
-- distribution, for latency benchmarks under a slow upstream (bench/latency_sweep.sh).
--   ctx.latency_ms    the mean latency in milliseconds (default 0: answer at once)
--   ctx.distribution  how each request's latency is drawn (default "fixed"):
--     "fixed"        exactly latency_ms;
--     "uniform"      uniform between 0 and 2 x latency_ms;
--     "exponential"  exponential with mean latency_ms (a long tail), capped at 20 x latency_ms
--                    so one request cannot outlast a short run.
-- math.random is seeded by --seed, so a run draws the same latencies again.
--
-- badup serve --set latency_ms=20 --set distribution=exponential bench/scenarios/latency.lua
local mean = tonumber(ctx.latency_ms or 0)
if not mean or mean < 0 then error("ctx.latency_ms must be a number >= 0, got " .. tostring(ctx.latency_ms)) end
local dist = ctx.distribution or "fixed"
if dist ~= "fixed" and dist ~= "uniform" and dist ~= "exponential" then
  error("ctx.distribution must be fixed, uniform or exponential, got " .. tostring(dist))
end

local function draw_ms()
  if dist == "uniform" then return 2 * mean * math.random() end
  if dist == "exponential" then return math.min(-mean * math.log(1 - math.random()), 20 * mean) end
  return mean
end

local ok = txresp { status = 200, headers = { "Content-Type: text/plain" }, body = "ok\n" }

return scenario {
  summary = "200 ok keep-alive after a latency drawn from ctx.distribution with mean ctx.latency_ms",
  expect  = 200,
  plan    = function(req)
    local ms = mean > 0 and draw_ms() or 0
    if ms > 0 then return { stall(ms / 1000), ok, keepalive() } end
    return { ok, keepalive() }
  end,
}
