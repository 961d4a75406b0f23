return scenario {
  summary = "three upstreams, each its own plan",
  expect  = 200,
  upstreams = {
    { plan = { refuse() } },
    { plan = function(req) return { reach("u" .. req.upstream), txresp { body = "x" }, close() } end },
    { plan = { rxhdrs(), reach("seen"), close() } },
  },
}
