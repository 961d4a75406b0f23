local n = 0
return scenario { summary = "f", expect = "200+truncated", plan = function(req)
  n = n + 1
  if req.headers["x-plan"] == "close" then return { txresp { status = 200, length = false, chunks = { req.body } }, close() } end
  return { stall(req.conn_seq), keepalive { idle = 1 } }
end }
