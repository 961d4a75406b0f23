"""The client-side knobs: --client-timeout and --max-body reach every proxy's config, the
scenarios' ctx and results.json; a definition's `client` field is checked at load; `badup
list` shows which directive each proxy uses.

- `badup proxy render P --client-timeout 3 --max-body 5000` writes 3 s / 3000 ms / 5000 bytes
  (lighttpd, which takes KiB, gets --max-body 5120: 5 KiB) into each shipped definition's files or command line, and the
  defaults (2 s, 1048576 bytes) without the options.
- Out-of-range values are usage errors (exit 2) for both `badup run` and `badup proxy render`;
  `badup run --set client_timeout=...` is refused (the proxy gets the option's value too).
- ctx.client_timeout and ctx.max_body: the defaults in `badup serve`, the values given with
  --set, and through `badup run` (nginx, when installed): the harness's load and the
  simulator's agree, and results.json records them.
- A `client` field with a directive no file uses, or declared false while its variable is
  used, or missing a key, is refused with `FILE:LINE: proxy{}: ...`, exit 2.
"""
import functools
import json
import os
import shutil
import tempfile
import unittest

import common
from common import REPO, SCENARIOS, request_bytes, require_binary

PROXIES = os.path.join(REPO, "harness", "proxies")

# Per shipped definition: the rendered file (or "command") and what it must hold with
# --client-timeout 3 --max-body 5000.
RENDERED = {
    "nginx": ("nginx.conf", ["client_header_timeout 3000ms;", "client_body_timeout   3000ms;",
                             "client_max_body_size  5000;"]),
    "haproxy": ("haproxy.cfg", ["timeout http-request 3000ms", "timeout client  3000ms",
                                "req.hdr_val(content-length) gt 5000 }"]),
    "apache2": ("apache2.conf", ["RequestReadTimeout header=3 body=3", "RewriteCond %{HTTP:Content-Length} -gt5000"]),
    "squid": ("squid.conf", ["request_timeout 3 seconds", "request_body_max_size 5000 bytes"]),
    "varnish": ("varnish.vcl", ["std.integer(req.http.Content-Length, 0) > 5000"]),
    "caddy": ("Caddyfile", ["read_header 3s", "read_body 3s", "max_size 5000"]),
    "h2o": ("h2o.conf", ["http1-request-timeout: 3\n", "limit-request-body: 5000"]),
    "lighttpd": ("lighttpd.conf", ["server.max-read-idle = 3", "server.max-request-size = 5\n"]),
    "nghttpx": ("nghttpx.conf", ["frontend-read-timeout=3000ms"]),
    "trafficserver": ("records.config", ["transaction_no_activity_timeout_in INT 3",
                                         "accept_no_activity_timeout INT 3", "max_post_size INT 5000"]),
    "node": ("command", ["access.log 3 3 5000"]),
}
COMMAND = {"varnish": ["timeout_idle=3"]}


# one badup run to completion (common.badup_text)
badup = functools.partial(common.badup_text, timeout=60)


def render(name, d, *extra):
    p = badup(["proxy", "render", name, "--upstream", "127.0.0.1:1001", "--dir", d] + list(extra), cwd=REPO)
    if p.returncode != 0:
        raise AssertionError("render %s failed (exit %d):\n%s" % (name, p.returncode, p.stderr))
    return dict(line.split(": ", 1) for line in p.stdout.splitlines() if ": " in line)


class Render(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-knobs-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def text(self, name, out, d, where):
        if where == "command":
            return out["command"]
        with open(os.path.join(d, where)) as f:
            return f.read()

    def test_every_definition_gets_the_values(self):
        shipped = sorted(f[:-4] for f in os.listdir(PROXIES) if f.endswith(".lua"))
        # every shipped definition is here, or says it has no knob at all (tinyproxy, and the
        # Node.js and Go proxies as their users deploy them)
        self.assertEqual(set(shipped) - set(RENDERED),
                         {"tinyproxy", "node-http-proxy", "http-proxy-middleware", "go-reverseproxy"})
        for name in shipped:
            with self.subTest(proxy=name):
                d = os.path.join(self.tmp, name)
                # lighttpd takes the limit in KiB (granularity.max_body = 1024): 5 KiB for it
                out = render(name, d, "--client-timeout", "3", "--max-body", "5120" if name == "lighttpd" else "5000")
                if name in RENDERED:
                    where, wants = RENDERED[name]
                    text = self.text(name, out, d, where)
                    for want in wants:
                        self.assertIn(want, text, "%s: %s" % (name, where))
                for want in COMMAND.get(name, []):
                    self.assertIn(want, out["command"])

    def test_the_defaults(self):
        d = os.path.join(self.tmp, "defaults")
        render("nginx", d)
        with open(os.path.join(d, "nginx.conf")) as f:
            text = f.read()
        self.assertIn("client_header_timeout 2000ms;", text)
        self.assertIn("client_body_timeout   2000ms;", text)
        self.assertIn("client_max_body_size  1048576;", text)
        d = os.path.join(self.tmp, "defaults-kib")
        render("lighttpd", d, "--max-body", "2048")  # whole KiB: 1025 is refused (test_granularity.py)
        with open(os.path.join(d, "lighttpd.conf")) as f:
            self.assertIn("server.max-request-size = 2\n", f.read())

    def test_out_of_range_values_are_usage_errors(self):
        d = os.path.join(self.tmp, "never")
        bad = [("--client-timeout", "0", "--client-timeout wants seconds from 0.001 to 600"),
               ("--client-timeout", "601", "--client-timeout wants seconds"),
               ("--client-timeout", "2s", "--client-timeout wants seconds"),
               ("--max-body", "0", "--max-body wants bytes from 1 to 8388608"),
               ("--max-body", "-5", "--max-body wants bytes"),
               ("--max-body", "1m", "--max-body wants bytes"),
               ("--max-body", "1073741825", "--max-body wants bytes")]
        for opt, value, want in bad:
            for cmd in (["run", "--proxy", "nginx", "--scenario", "ok", "--out", d],
                        ["proxy", "render", "nginx", "--upstream", "1001", "--dir", d]):
                with self.subTest(cmd=cmd[0], opt=opt, value=value):
                    p = badup(cmd + [opt, value], cwd=REPO)
                    self.assertEqual(p.returncode, 2, p.stderr)
                    self.assertIn(want, p.stderr)
                    self.assertFalse(os.path.exists(d))
        for name, opt in (("client_timeout", "--client-timeout"), ("max_body", "--max-body")):
            p = badup(["run", "--set", name + "=3", "--out", d], cwd=REPO)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("give %s instead" % opt, p.stderr)

    def test_help_names_the_options(self):
        for cmd in (["run", "--help"], ["proxy", "--help"]):
            p = badup(cmd, cwd=REPO)
            self.assertEqual(p.returncode, 0)
            self.assertIn("--client-timeout S", p.stdout)
            self.assertIn("--max-body BYTES", p.stdout)


class ListTable(unittest.TestCase):
    def test_list_shows_each_proxys_directives(self):
        require_binary()
        p = badup(["list"], cwd=REPO)
        self.assertEqual(p.returncode, 0, p.stderr)
        table = p.stdout.split("\nclient-side knobs", 1)[1].splitlines()[1:]
        self.assertEqual([c.strip() for c in table[0].split("|")], ["proxy", "header timeout", "body timeout",
                                                                    "max body"])
        rows = {r.split("|")[0].strip(): [c.strip() for c in r.split("|")[1:]] for r in table[1:] if "|" in r}
        self.assertEqual(rows["nginx"], ["client_header_timeout", "client_body_timeout", "client_max_body_size"])
        self.assertEqual(rows["tinyproxy"], ["none", "none", "none"])
        self.assertEqual(rows["lighttpd"][0], "none")
        shipped = {f[:-4] for f in os.listdir(PROXIES) if f.endswith(".lua")}
        self.assertEqual(set(rows), shipped)
        for name, cells in rows.items():
            self.assertNotIn("-", [c for c in cells], "%s does not declare its client knobs" % name)
            self.assertFalse(any(r.endswith(" ") for r in table), "trailing blanks")
        # the proxies table: "installed"/"not installed" starts in one column for every row, also
        # after names longer than 14 characters (http-proxy-middleware)
        proxies = p.stdout.split("\nproxies (", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        self.assertEqual(len(proxies), len(shipped))
        starts = {r.find(" not installed") if " not installed" in r else r.find(" installed") for r in proxies}
        self.assertEqual(len(starts), 1, "\n".join(proxies))
        self.assertEqual(len({r.find(" upstreams=") for r in proxies}), 1, "\n".join(proxies))


class Ctx(unittest.TestCase, common.TempDirMixin):
    SCENARIO = """return scenario {
  summary = "answers with the client-side ctx values",
  expect = 200,
  plan = { rxreq(), txresp { status = 200, body = tostring(ctx.client_timeout) .. " " .. tostring(ctx.max_body) } },
}
"""

    def ask(self, srv):
        with srv.connect() as s:
            s.sendall(request_bytes("/p", close=True))
            r = common.read_to_end(s)
        return r.data.split(b"\r\n\r\n", 1)[1].decode().split()

    def test_serve_defaults_and_set(self):
        require_binary()
        path = common.write_scenario(self.make_tempdir(), "knobs", self.SCENARIO)
        ct, mb = self.ask(common.start_server(self, path, fast=False))
        self.assertEqual((float(ct), int(mb)), (2.0, 1048576))
        srv = common.start_server(self, path, args=["--set", "client_timeout=0.5", "--set", "max_body=77"])
        ct, mb = self.ask(srv)
        self.assertEqual((float(ct), int(mb)), (0.5, 77))

    def run_nginx(self, name, text, *extra):
        """One scenario through nginx (skipped without it): the run's folder and results.json."""
        require_binary()
        if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
            self.skipTest("nginx is not installed")
        d = self.make_tempdir()
        scn = os.path.join(d, "scenarios")
        os.mkdir(scn)
        common.write_scenario(scn, name, text)
        out, ref = os.path.join(d, "out"), os.path.join(d, "ref")
        os.mkdir(ref)
        p = badup(["run", "--proxy", "nginx", "--scenarios", scn, "--reference", ref, "--proxies", PROXIES,
                   "--out", out, "-q"] + list(extra), cwd=REPO, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            return out, json.load(f)

    def test_run_passes_them_to_both_loads_and_records_them(self):
        # the harness's load decides expect, the simulator's the status: both must see 3 / 5000
        _, doc = self.run_nginx("knobs", """return scenario {
  summary = "expect and plan both read the client-side ctx",
  expect = (ctx.client_timeout == 3 and ctx.max_body == 5000) and 200 or 599,
  plan = { rxreq(), txresp { status = (ctx.client_timeout == 3 and ctx.max_body == 5000) and 200 or 500,
                             body = "ok" } },
}
""", "--client-timeout", "3", "--max-body", "5000")
        self.assertEqual(doc["timeouts"]["client_s"], 3)
        self.assertEqual(doc["timeouts"]["max_body"], 5000)
        self.assertEqual([(c["got"], c["verdict"]) for c in doc["cases"]], [("200", "pass")])

    def test_a_scenarios_proxy_read_timeout_reaches_the_proxy_and_the_client_waits(self):
        """proxy_read_timeout = 4: the proxy's read timeout is 4 s for that case (the run's is
        2), so an upstream that stalls 3 s is answered (200, not 504), and ctx.read_timeout
        stays the run's on both loads."""
        out, doc = self.run_nginx("longer_read", """return scenario {
  summary = "the upstream answers after 3 s; the proxy waits 4 s for this scenario",
  expect = ctx.read_timeout == 2 and 200 or 599,
  proxy_read_timeout = 4,
  plan = { rxreq(), stall(3), txresp { status = 200, body = "late" } },
}
""", "--read-timeout", "2")
        with open(os.path.join(out, "cases", "nginx", "longer_read", "nginx.conf")) as f:
            self.assertIn("proxy_read_timeout    4000ms;", f.read())
        self.assertEqual([(c["got"], c["verdict"]) for c in doc["cases"]], [("200", "pass")])
        self.assertEqual(doc["timeouts"]["read_s"], 2)


# A definition that loads; each case gives it another `client` field (and maybe files).
def definition(client, conf="listen ${proxy_port}\\n"):
    return common.small_definition(conf, "  client = %s,\n" % client, by="test_client_knobs.py")


class Field(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-knobs-def-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def load(self, text):
        return common.list_definition(self.tmp, text)

    def test_a_field_that_keeps_its_word_loads(self):
        conf = "listen ${proxy_port}\\nidle ${client_body_timeout_ms}ms\\nmax ${max_body_kib}\\n"
        _, p = self.load(definition('{ header_timeout = false, body_timeout = "idle", max_body = "max (KiB)" }', conf))
        self.assertEqual(p.returncode, 0, p.stderr)
        row = [l for l in p.stdout.splitlines() if l.strip().startswith("t ") and "|" in l][0]
        self.assertEqual([c.strip() for c in row.split("|")], ["t", "none", "idle", "max (KiB)"])

    def test_refused(self):
        cases = [
            ('{ header_timeout = "h", body_timeout = false, max_body = false }', None,
             'client declares header_timeout ("h") but no file, command or env uses ${client_header_timeout} '
             'or ${client_header_timeout_ms}'),
            ('{ header_timeout = false, body_timeout = false, max_body = false }',
             "listen ${proxy_port}\\nmax ${max_body}\\n",
             "client.max_body is false (no such setting), but the definition uses ${max_body}: name the directive"),
            ('{ header_timeout = false, body_timeout = false }', None, "client.max_body is required"),
            ('{ header_timeout = true, body_timeout = false, max_body = false }', None,
             "client.header_timeout must be the directive (a string) or false (the proxy has none), got true"),
            ('{ header_timeout = 2, body_timeout = false, max_body = false }', None, "got number"),
            ('{ header_timeout = "", body_timeout = false, max_body = false }', None, "1 to 120 characters"),
            ('{ header = false }', None, "client: unknown key 'header'"),
            ('"nginx"', None, "client must be a table"),
        ]
        for client, conf, want in cases:
            with self.subTest(client=client):
                path, p = self.load(definition(client, conf or "listen ${proxy_port}\\n"))
                self.assertEqual(p.returncode, 2, p.stderr)
                line = [l for l in p.stderr.splitlines() if l.startswith(path + ":")][0]
                self.assertTrue(line.startswith(path + ":4: proxy{}: "), line)
                self.assertIn(want, line)


if __name__ == "__main__":
    unittest.main()
