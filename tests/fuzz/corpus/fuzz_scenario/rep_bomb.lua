return scenario { summary = "s", expect = 502, plan = { rxreq(), send(("x"):rep(1e9)), close() } }
