-- fuzz_request over HTTP/2: the default scenario of the fuzzer's HTTP/2 server. A plan
-- function that reads every req.* field and runs the steps an "x-plan" field spells, one
-- letter a step, so the fuzzer reaches every frame step and every ending from the wire:
--   h HEADERS 200 (no END_STREAM)   e HEADERS 200 with END_STREAM   n HEADERS without :status
--   d DATA                          D DATA with END_STREAM           r RST_STREAM(INTERNAL_ERROR)
--   R RST_STREAM(REFUSED_STREAM) on stream 1                         g GOAWAY (last = the request's)
--   G GOAWAY(PROTOCOL_ERROR, last 0)  S SETTINGS   A SETTINGS ACK    w WINDOW_UPDATE   p PING
--   f a raw frame of an unknown type  o HEADERS on stream 2 (never the client's)
--   t HTTP/1 bytes outside any frame  s stall(0.01)  c close()  x reset()  k keepalive
--   q rxreq() (the next stream)       E error()      (anything else: skipped)
-- An x-stream field names the stream the frames go on instead of the request's.
-- Every timer is a few milliseconds: an input must end quickly.
return scenario {
  summary = "fuzzing: HTTP/2 frame steps chosen by the request",
  expect  = 200,
  http2   = true,
  plan    = function(req)
    local seen = {}
    for k, v in pairs(req.headers) do seen[#seen + 1] = k .. "=" .. v end
    for _, h in ipairs(req.header_list) do seen[#seen + 1] = h[1] .. ":" .. h[2] end
    local info = table.concat({ req.method, req.target, req.path, req.query, req.version,
      req.body, req.conn_id, req.conn_seq, req.seq, req.peer, req.scenario, req.upstream }, "|")
      .. table.concat(seen, ",")
    local how = req.headers["x-plan"] or ""
    if how == "" then
      return { headers { status = 200, headers = { { "x-seen", #info } }, end_stream = false }, data(info) }
    end
    local on = tonumber(req.headers["x-stream"] or "")
    local opt = nil
    if on and on == math.floor(on) and on >= 0 and on <= 2147483647 then opt = math.tointeger(on) end
    local steps = {}
    for i = 1, math.min(#how, 16) do
      local c = how:sub(i, i)
      local step
      if c == "h" then step = headers { status = 200, headers = { { "x-seen", #info } }, end_stream = false, stream = opt }
      elseif c == "e" then step = headers { status = 204, end_stream = true, stream = opt }
      elseif c == "n" then step = headers { status = false, headers = { { "Upper", "x" }, { "connection", "close" } }, stream = opt }
      elseif c == "d" then step = data(info:sub(1, 40), { end_stream = false, stream = opt })
      elseif c == "D" then step = data(info:sub(1, 9), { stream = opt })
      elseif c == "r" then step = rst_stream("INTERNAL_ERROR", { stream = opt })
      elseif c == "R" then step = rst_stream("REFUSED_STREAM", { stream = 1 })
      elseif c == "g" then step = goaway { debug = info:sub(1, 16) }
      elseif c == "G" then step = goaway { last_stream_id = 0, code = "PROTOCOL_ERROR" }
      elseif c == "S" then step = settings { initial_window_size = 0, max_frame_size = 16384 }
      elseif c == "A" then step = settings { ack = true }
      elseif c == "w" then step = window_update { increment = 1 + #info, stream = opt }
      elseif c == "p" then step = ping { data = "fuzzping" }
      elseif c == "f" then step = frame { type = 0x2a, flags = 0xff, stream = opt or 0, payload = info:sub(1, 5) }
      elseif c == "o" then step = headers { status = 200, stream = 2 }
      elseif c == "t" then step = txresp { status = 200, body = "h1" }
      elseif c == "s" then step = stall(0.01)
      elseif c == "c" then step = close()
      elseif c == "x" then step = reset()
      elseif c == "k" then step = keepalive { idle = 0.005 }
      elseif c == "q" then step = rxreq()
      elseif c == "E" then error("fuzz: plan function failed on purpose")
      end
      steps[#steps + 1] = step
    end
    return steps
  end,
}
