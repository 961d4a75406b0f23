-- pipelined_two: two GETs written in one write; the responses must come back in order.
--
-- Models: HTTP/1.1 pipelining clients (some package managers, benchmarks, old mobile stacks).
--
-- RFC 9112 9.3.2: a server (a proxy included) that receives pipelined requests "MUST send the
-- corresponding responses in the same order that the requests were received". Each response
-- here names its request's target, so the order is checked, not assumed.
--
-- curl, directly: curl no longer pipelines (since 7.62); `badup client pipelined_two.lua --to`
-- the simulator gets both 200s in order on one connection.
return scenario {
  summary = "two pipelined GETs in one write; two responses, in order",
  expect  = {
    status = 200,
    responses = {
      { status = 200, body = "/pipelined_two/1\n" },
      { status = 200, body = "/pipelined_two/2\n" },
    },
  },
  rfc     = "RFC 9112 9.3.2",
  client  = { request { }, request { connection = "pipelined" } },
  plan    = function(req) return { txresp { status = 200, body = req.target .. "\n" } } end,
}
