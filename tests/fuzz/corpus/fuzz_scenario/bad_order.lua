return scenario { summary = 1, expect = 99999, plan = { close(), rxreq() } }
