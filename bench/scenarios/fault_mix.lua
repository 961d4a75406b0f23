-- fault_mix: 200 "ok\n" keep-alive, except that a fraction ctx.fault_rate of requests get a fault.
--
-- For benchmarks under a misbehaving upstream (bench/fault_sweep.sh): the client-visible error
-- rate against the injected fault rate. Each request draws math.random() (seeded by --seed, so a
-- run repeats); below ctx.fault_rate it gets the fault ctx.fault names:
--   "close"  close (FIN) without a byte, like empty_reply (a proxy answers 502 at once);
--   "reset"  RST without a byte, like reset_before_response (502 at once);
--   "stall"  send nothing for ctx.read_timeout + 1 s, then close (the proxy times out: 504);
--   "mix"    one of the three, equally likely (the default).
-- Otherwise: "HTTP/1.1 200 OK", Content-Length: 3, "ok\n", and the connection stays open.
--
-- badup serve --set fault_rate=0.1 --set fault=reset bench/scenarios/fault_mix.lua
local kinds = { "close", "reset", "stall" }
local fault = ctx.fault or "mix"
if fault ~= "mix" and fault ~= "close" and fault ~= "reset" and fault ~= "stall" then
  error("ctx.fault must be close, reset, stall or mix, got " .. tostring(fault))
end

local function fault_plan(kind)
  if kind == "close" then return { close() } end
  if kind == "reset" then return { reset() } end
  return { stall(ctx.read_timeout + 1), close() }
end

return scenario {
  summary = "200 ok keep-alive; a fraction ctx.fault_rate of requests get close, reset or a stall",
  expect  = 200,
  plan    = function(req)
    local rate = tonumber(ctx.fault_rate) or 0
    if rate > 0 and math.random() < rate then
      local kind = fault
      if kind == "mix" then kind = kinds[math.random(#kinds)] end
      return fault_plan(kind)
    end
    return { txresp { status = 200, headers = { "Content-Type: text/plain" }, body = "ok\n" }, keepalive() }
  end,
}
