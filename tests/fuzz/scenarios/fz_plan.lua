-- fuzz_request: a plan function that reads every req.* field and lets the request pick
-- its steps through an "X-Plan" header, so the fuzzer reaches every step from the wire.
-- Every timer is a few milliseconds: an input must end quickly.
return scenario {
  summary = "fuzzing: steps chosen by the request",
  expect  = 200,
  plan    = function(req)
    local seen = {}
    for k, v in pairs(req.headers) do seen[#seen + 1] = k .. "=" .. v end
    for _, h in ipairs(req.header_list) do seen[#seen + 1] = h[1] .. ":" .. h[2] end
    local info = table.concat({ req.method, req.target, req.path, req.query, req.version,
      req.body, req.conn_id, req.conn_seq, req.seq, req.peer, req.scenario, req.upstream,
      tostring(req.nosuchfield) }, "|") .. table.concat(seen, ",")
    local how = req.headers["x-plan"] or ""
    if how == "close" then return { send(info:sub(1, 10)), close() } end
    if how == "reset" then return { txresp { status = 500, body = info }, reset() } end
    if how == "half" then return { txresp { status = 200, body = "h" }, halfclose() } end
    if how == "stall" then return { stall(0.002), txresp { status = 204 }, keepalive { idle = 0.005 } } end
    if how == "drip" then return { dribble(info:sub(1, 8), 3, 0.001), close() } end
    if how == "stop" then return { stopread(), stall(0.002), close() } end
    if how == "chunks" then
      return { txresp { status = 200, chunks = { info:sub(1, 5), "x" }, last_chunk = false }, close() }
    end
    if how == "lie" then return { txresp { status = 200, length = #info + 7, body = info }, keepalive() } end
    if how == "error" then error("fuzz: plan function failed on purpose") end
    if how == "bad" then return { 42 } end
    if how == "empty" then return {} end
    if how == "loop" then while true do end end
    if how == "rxreq" then return { rxreq(), close() } end
    if how == "reach" then return { reach("fz"), barrier("fz", 0.005), txresp { status = 200 }, close() } end
    if how == "bytes" then return { send(response { status = 200, body = info }:sub(1, #info % 50)), keepalive() } end
    return { txresp { status = 200, headers = { ["X-Seen"] = #info }, body = info }, keepalive() }
  end,
}
