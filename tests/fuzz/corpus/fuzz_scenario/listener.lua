return scenario { summary = "l", expect = "reset", plan = { accept_reset() } }
