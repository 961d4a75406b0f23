"""Values a proxy cannot take (docs/proxies.md, `granularity`), and what a run records of them.

- A definition's granularity = { ... } says the step in which the proxy takes each run value;
  a run whose value is not a multiple of it skips that proxy's cases with the reason (exit 0),
  a scenario's proxy_read_timeout counting as the read timeout; `badup proxy render` refuses
  it with exit 2 and the same sentence. A bad granularity is a FILE:LINE: load error, exit 2.
- The shipped definitions: squid takes --client-timeout in whole seconds, lighttpd --max-body
  in KiB (render refuses 2.5 and 500; the sentences name the directive).
- A proxy that exits at start-up: the case's detail quotes its error line, not the statistics
  it prints after it.
- results.json gives read_timeout_s on a case whose scenario sets proxy_read_timeout (nginx).
"""
import json
import os
import shutil
import tempfile
import unittest

import common
from common import REPO, SCENARIOS, require_binary

PROXIES = os.path.join(REPO, "harness", "proxies")
NGINX = "/usr/sbin/nginx"

# A proxy that never needs to start: every case of it here is skipped before it would.
GRAIN = '''return proxy {
  name = "grain",
  summary = "takes whole seconds and KiB",
  binary = { "/bin/sh" },
  files = { ["grain.conf"] = "read ${read_timeout}\\nclient ${client_header_timeout}\\nbody ${max_body_kib}\\n" },
  command = { "${binary}", "-c", "exit 3" },
  logs = {},
  client = { header_timeout = "client_wait (whole s)", body_timeout = false, max_body = "body_kib" },
  granularity = { read_timeout = 2, client_timeout = 1, max_body = 1024 },
}
'''

# Exits at start-up with its error line among others, as squid does ("FATAL: Bungled ...",
# then "CPU Usage: ..." and more).
GRUMBLE = '''return proxy {
  name = "grumble",
  summary = "exits at once, saying why among other lines",
  binary = { "/bin/sh" },
  files = { ["note.txt"] = "nothing here\\n" },
  command = { "${binary}", "-c",
              "echo 'starting up' >&2; echo 'FATAL: time value 0.5 is too small' >&2; echo 'CPU Usage: 0.01 seconds' >&2; echo 'Maximum Resident Size: 58672 KB' >&2; echo 'Page faults with physical i/o: 0' >&2; exit 1" },
  logs = {},
  ready_timeout = 10,
}
'''

# A scenario with an upstream read timeout of its own.
OWN_READ = '''-- own_read: the proxies get a 3 s upstream read timeout for it
return scenario { summary = "an upstream read timeout of its own", expect = 200, proxy_read_timeout = 3,
  plan = { rxreq(), txresp { status = 200, body = "ok\\n" } } }
'''


# one badup run to completion
badup = common.badup_text


class Granularity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-grain-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.pdir = os.path.join(cls.tmp, "proxies")
        os.mkdir(cls.pdir)
        for name, text in (("grain", GRAIN), ("grumble", GRUMBLE)):
            with open(os.path.join(cls.pdir, name + ".lua"), "w") as f:
                f.write(text)
        cls.sdir = os.path.join(cls.tmp, "scenarios")
        os.mkdir(cls.sdir)
        shutil.copy(os.path.join(SCENARIOS, "ok.lua"), cls.sdir)
        with open(os.path.join(cls.sdir, "own_read.lua"), "w") as f:
            f.write(OWN_READ)
        cls.ref = os.path.join(cls.tmp, "reference")
        os.mkdir(cls.ref)
        cls.n = 0

    # every case of these runs is skipped: a run that tested nothing exits 2
    def run_cases(self, proxy, scenario, *extra, want_rc=2):
        Granularity.n += 1
        out = os.path.join(self.tmp, "out%d" % self.n)
        p = badup(["run", "--proxies", self.pdir, "--scenarios", self.sdir, "--reference", self.ref,
                   "--proxy", proxy, "--scenario", scenario, "--out", out, "-q"] + list(extra))
        self.assertEqual(p.returncode, want_rc, p.stdout + p.stderr)
        self.stdout = p.stdout
        with open(os.path.join(out, "results.json")) as f:
            return {(c["proxy"], c["scenario"]): c for c in json.load(f)["cases"]}

    def assert_skipped(self, case, reason):
        self.assertEqual((case["verdict"], case["got"]), ("skipped", "skipped"), case)
        self.assertEqual(case["reason"], reason)

    def test_a_value_off_the_step_is_skipped_with_the_reason(self):
        cases = self.run_cases("grain", "ok", "--client-timeout", "2.5")
        self.assert_skipped(cases[("grain", "ok")],
                            "grain takes client_timeout in whole seconds (client_wait): 2.5 is not")
        # the terminal says why the cell is "-", not only results.json
        self.assertIn("SKIPPED 1 case: grain takes client_timeout in whole seconds (client_wait): 2.5 is not\n",
                      self.stdout)
        cases = self.run_cases("grain", "ok", "--max-body", "500")
        self.assert_skipped(cases[("grain", "ok")], "grain takes max_body in steps of 1024 bytes (body_kib): 500 is not")
        cases = self.run_cases("grain", "ok", "--read-timeout", "3")
        self.assert_skipped(cases[("grain", "ok")], "grain takes read_timeout in steps of 2 s: 3 is not")

    def test_a_scenarios_read_timeout_counts(self):
        # the run's 2 s is a multiple of 2; own_read's 3 s, which the proxy would get, is not
        cases = self.run_cases("grain", "own_read", "--read-timeout", "2")
        self.assert_skipped(cases[("grain", "own_read")], "grain takes read_timeout in steps of 2 s: 3 is not")

    def test_render_refuses_it(self):
        for extra, said in ((["--client-timeout", "0.5"], "grain takes client_timeout in whole seconds (client_wait): 0.5 is not"),
                            (["--read-timeout", "5"], "grain takes read_timeout in steps of 2 s: 5 is not")):
            Granularity.n += 1
            d = os.path.join(self.tmp, "render%d" % self.n)
            p = badup(["proxy", "render", "grain", "--proxies", self.pdir, "--upstream", "9", "--dir", d] + extra)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertIn("badup proxy: " + said, p.stderr)
        d = os.path.join(self.tmp, "render-fine")
        p = badup(["proxy", "render", "grain", "--proxies", self.pdir, "--upstream", "9", "--dir", d,
                   "--read-timeout", "4", "--client-timeout", "3", "--max-body", "3072"])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(d, "grain.conf")) as f:
            self.assertEqual(f.read(), "read 4\nclient 3\nbody 3\n")

    def test_the_shipped_definitions_say_it(self):
        for name, extra, said in (
                ("squid", ["--client-timeout", "2.5"],
                 "squid takes client_timeout in whole seconds (request_timeout): 2.5 is not"),
                ("lighttpd", ["--max-body", "500"],
                 "lighttpd takes max_body in steps of 1024 bytes (server.max-request-size): 500 is not"),
                ("apache2", ["--read-timeout", "2.5"], "apache2 takes read_timeout in whole seconds: 2.5 is not"),
                ("trafficserver", ["--connect-timeout", "0.5"],
                 "trafficserver takes connect_timeout in whole seconds: 0.5 is not")):
            with self.subTest(proxy=name):
                Granularity.n += 1
                d = os.path.join(self.tmp, "shipped%d" % self.n)
                p = badup(["proxy", "render", name, "--upstream", "9", "--dir", d] + extra)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn("badup proxy: " + said, p.stderr)
        # nginx takes milliseconds: 2.5 s renders
        d = os.path.join(self.tmp, "shipped-nginx")
        p = badup(["proxy", "render", "nginx", "--upstream", "9", "--dir", d, "--client-timeout", "2.5",
                   "--read-timeout", "2.5", "--max-body", "500"])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_list_shows_the_steps(self):
        p = badup(["list", "--proxies", PROXIES, "--scenarios", SCENARIOS])
        self.assertEqual(p.returncode, 0, p.stderr)
        steps = p.stdout.split("values taken in steps", 1)[1]
        self.assertRegex(steps, r"(?m)^  lighttpd +connect_timeout 1 s, read_timeout 1 s, client_timeout 1 s, "
                                r"max_body 1024 bytes$")
        self.assertNotRegex(steps, r"(?m)^  nginx ")  # milliseconds and bytes: any value

    def test_a_bad_granularity_is_a_load_error(self):
        for value, said in (('{ read_timeout = 0 }', "granularity.read_timeout must be a positive number of seconds"),
                            ('{ max_body = 1.5 }', "granularity.max_body must be a positive whole number of bytes"),
                            ('{ read_timeout = "1" }', "granularity.read_timeout must be a number"),
                            ('{ idle_timeout = 1 }', "idle_timeout"),
                            ('1', "granularity must be a table")):
            with self.subTest(value=value):
                Granularity.n += 1
                d = os.path.join(self.tmp, "bad%d" % self.n)
                os.mkdir(d)
                path = os.path.join(d, "grain.lua")
                with open(path, "w") as f:
                    f.write(GRAIN.replace("granularity = { read_timeout = 2, client_timeout = 1, max_body = 1024 }",
                                          "granularity = " + value))
                p = badup(["list", "--proxies", d, "--scenarios", SCENARIOS])
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stderr, r"(?m)^%s:1: " % path.replace(".", r"\."))
                self.assertIn(said, p.stderr)

    def test_a_proxy_that_exits_at_start_is_quoted_by_its_error_line(self):
        cases = self.run_cases("grumble", "ok", want_rc=2)
        c = cases[("grumble", "ok")]
        self.assertEqual(c["got"], "setup_error", c)
        self.assertIn("FATAL: time value 0.5 is too small", c["detail"])
        self.assertNotIn("CPU Usage", c["detail"])
        self.assertNotIn("Page faults", c["detail"])


class ReadTimeoutRecorded(unittest.TestCase):
    def test_results_json_has_the_cases_read_timeout(self):
        require_binary()
        if not os.access(NGINX, os.X_OK):
            self.skipTest("nginx is not installed")
        tmp = tempfile.mkdtemp(prefix="badup-e2e-grain-rt-")
        self.addCleanup(shutil.rmtree, tmp, True)
        sdir = os.path.join(tmp, "scenarios")
        os.mkdir(sdir)
        shutil.copy(os.path.join(SCENARIOS, "ok.lua"), sdir)
        with open(os.path.join(sdir, "own_read.lua"), "w") as f:
            f.write(OWN_READ)
        ref, out = os.path.join(tmp, "reference"), os.path.join(tmp, "out")
        os.mkdir(ref)
        p = badup(["run", "--proxies", PROXIES, "--scenarios", sdir, "--reference", ref, "--proxy", "nginx",
                   "--out", out, "-q"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            doc = json.load(f)
        cases = {c["scenario"]: c for c in doc["cases"]}
        self.assertEqual(cases["own_read"]["verdict"], "pass", cases["own_read"])
        self.assertEqual(cases["own_read"]["read_timeout_s"], 3)
        self.assertNotIn("read_timeout_s", cases["ok"])  # the run's: timeouts.read_s
        self.assertEqual(doc["timeouts"]["read_s"], 2)
        with open(os.path.join(out, "cases", "nginx", "own_read", "nginx.conf")) as f:
            self.assertIn("proxy_read_timeout    3000ms;", f.read())
        with open(os.path.join(out, "report.md")) as f:
            self.assertIn("(proxy_read_timeout): own_read 3 s.", f.read())


if __name__ == "__main__":
    unittest.main()
