#!/usr/bin/env python3
"""The sandbox and runtime errors in plan functions: each probe fails with a clear
`file:line: message` on stderr, its connection is reset (docs/scenarios.md: "closes that
connection with an RST"), the error is counted in /stats, and the server goes on."""

import os
import shutil
import tempfile
import unittest

import common
from common import request_bytes

SANDBOX_LUA = r"""-- test: sandbox probes, picked by the first path segment
local marker = MARKER
return scenario {
  summary = "sandbox probes",
  expect  = 200,
  plan    = function(req)
    local what = req.path:match("^/(%w+)")
    if what == "os" then os.execute("touch " .. marker) end -- @os
    if what == "io" then io.open(marker, "w"):write("x") end -- @io
    if what == "require" then require("os") end -- @require
    if what == "bytecode" then assert(load(string.dump(function() return 1 end)))() end -- @bytecode
    if what == "dofile" then dofile(marker) end -- @dofile
    if what == "loadfile" then loadfile(marker)() end -- @loadfile
    if what == "error" then error("boom") end -- @error
    if what == "nilcall" then local t = nil; t.x = 1 end -- @nilcall
    if what == "badstep" then return { stall("soon") } end -- @badstep
    if what == "notalist" then return 42 end -- @notalist
    if what == "listener" then return { refuse() } end -- @listener
    if what == "rep" then return { send(#string.rep("x", 1 << 31) .. "") } end -- @rep
    if what == "grow" then local t = {} for i = 1, 1 << 30 do t[i] = ("y"):rep(64) .. i end end -- @grow
    if what == "loop" then while true do end end -- @loop
    return { txresp { status = 200, body = "alive\n" } }
  end,
}
"""
# Probes whose error carries the probe's own line (a Lua error raised at that line).
LINE_PROBES = ["os", "io", "require", "bytecode", "dofile", "loadfile", "error", "nilcall",
               "badstep"]
# Probes whose error may carry no line of their own (a plan function returning something
# that is not a plan, or a listener step: "that plan must be static").
OTHER_PROBES = ["notalist", "listener"]  # loop: test_probe_loop_message; memory: MemoryCap


def line_of(text, tag):
    for i, line in enumerate(text.split("\n"), 1):
        if line.endswith("-- @" + tag):
            return i
    raise KeyError(tag)


def setUpModule():
    common.require_binary()


class ProbeMixin:
    """A server per probe, so that one probe crashing the server (a simulator bug) does
    not fail the others."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="badup-e2e-sandbox-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.marker = os.path.join(self.dir, "marker")
        self.text = SANDBOX_LUA.replace("MARKER", '"%s"' % self.marker)
        self.path = common.write_scenario(self.dir, "sandbox", self.text)
        self.server = common.start_server(self, self.path)

    def alive(self):
        r = self.server.exchange(request_bytes("/fine", close=True), timeout=5.0)
        self.assertEqual(r.data, b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nalive\n",
                         "server not serving after a failed plan")

    def errors(self):
        return common.scenario_stats(self.server.get("/stats"), "sandbox").get("errors")

    def probe(self, what, timeout=10.0):
        """Runs one probe; returns the stderr lines it produced."""
        before_err = len(self.server.stderr())
        before = self.errors()
        r = self.server.exchange(request_bytes("/%s/x" % what), timeout=timeout)
        self.assertEqual(r.data, b"", "%s: bytes were sent: %r" % (what, r))
        self.assertEqual(r.end, "reset", "%s: expected RST, got %r" % (what, r))
        self.alive()
        self.assertFalse(os.path.exists(self.marker), "%s: the sandbox let a file be written" % what)
        common.poll_until(lambda: self.errors() == before + 1, timeout=3.0,
                          what="%s: the error counted in /stats (errors %s -> %s)" % (what, before, before + 1))
        return [l for l in self.server.stderr()[before_err:].splitlines() if l.startswith("badup")]


class Sandbox(ProbeMixin, unittest.TestCase):
    """Probes of the sandbox and of plan-function errors."""

    def test_probe_loop_message(self):
        # The instruction budget stops the loop with an error that says so.
        lines = self.probe("loop")
        self.assertTrue(lines, "nothing logged")
        self.assertIn("sandbox.lua:%d:" % line_of(self.text, "loop"), lines[0])
        self.assertNotIn("invalid option", lines[0])
        self.assertRegex(lines[0], r"(?i)instruction|budget")


def _probe_test(what, with_line):
    def test(self):
        lines = self.probe(what)
        self.assertTrue(lines, "%s: nothing logged on stderr" % what)
        if with_line:
            pat = "%s:%d: " % (os.path.basename(self.path), line_of(self.text, what))
            self.assertIn(pat, lines[0])
    test.__name__ = "test_probe_" + what
    return test


for _what in LINE_PROBES:
    setattr(Sandbox, "test_probe_" + _what, _probe_test(_what, True))
for _what in OTHER_PROBES:
    setattr(Sandbox, "test_probe_" + _what, _probe_test(_what, False))


class MemoryCap(ProbeMixin, unittest.TestCase):
    """Memory bombs."""

    def test_probe_rep_message(self):
        # string.rep of 2 GiB: refused by Lua's size check or by the memory cap.
        lines = self.probe("rep")
        self.assertTrue(lines, "nothing logged")
        self.assertRegex(lines[0], r"(?i)memory|too large")

    def test_probe_grow_message(self):
        # A table that grows until the memory cap stops it.
        lines = self.probe("grow")
        self.assertTrue(lines, "nothing logged")
        self.assertRegex(lines[0], r"(?i)memory")
        self.assertIn("sandbox.lua", lines[0], "the log line does not say which scenario file")


class ErrorsCounted(unittest.TestCase):

    def test_errors_counted_and_server_goes_on(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-sandbox-")
        self.addCleanup(shutil.rmtree, d, True)
        path = common.write_scenario(d, "sandbox", SANDBOX_LUA.replace("MARKER", '"%s/m"' % d))
        s = common.start_server(self, path)
        for what in ("error", "require", "loop"):
            r = s.exchange(request_bytes("/%s/x" % what), timeout=10.0)
            self.assertEqual((r.data, r.end), (b"", "reset"), what)
        r = s.exchange(request_bytes("/fine", close=True))
        self.assertTrue(r.data.endswith(b"alive\n"))

        def errors():
            st = s.get("/stats")
            sc = common.scenario_stats(st, "sandbox")
            return sc.get("errors") == 3 and sc
        sc = common.poll_until(errors, what="errors == 3 in /stats")
        self.assertEqual(sc.get("requests"), 4)

    def test_errors_in_totals(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-sandbox-")
        self.addCleanup(shutil.rmtree, d, True)
        path = common.write_scenario(d, "sandbox", SANDBOX_LUA.replace("MARKER", '"%s/m"' % d))
        s = common.start_server(self, path)
        for _ in range(2):
            s.exchange(request_bytes("/error/x"), timeout=5.0)
        common.poll_until(lambda: common.scenario_stats(s.get("/stats"), "sandbox").get("errors") == 2,
                          what="2 errors counted")
        totals = common.stats_totals(s.get("/stats"))
        self.assertEqual(totals.get("errors"), 2, "totals: %r" % {k: v for k, v in totals.items()
                                                                 if k != "scenarios"})

    def test_error_on_second_request_of_kept_alive_connection(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-sandbox-")
        self.addCleanup(shutil.rmtree, d, True)
        path = common.write_scenario(d, "sandbox", SANDBOX_LUA.replace("MARKER", '"%s/m"' % d))
        s = common.start_server(self, path)
        with s.connect() as c:
            c.sendall(request_bytes("/fine"))
            self.assertEqual(common.HTTPReader(c).read_response()[::2], (200, b"alive\n"))
            c.sendall(request_bytes("/error"))
            r = common.read_to_end(c, timeout=5.0)
        self.assertEqual((r.data, r.end), (b"", "reset"))


if __name__ == "__main__":
    unittest.main()
