"""--client-http2: HTTP/2 between the harness's client and the proxy.

- `badup run --client-http2 --proxy nginx,haproxy --scenario ok,truncated_body,req_dup_host`:
  a 200 through each over h2c, and it was HTTP/2 (each proxy's log line says HTTP/2.0); the
  truncated upstream body is what each proxy really sends: nginx a RST_STREAM INTERNAL_ERROR
  (200+rst(INTERNAL_ERROR), which meets the expected 200+truncated), haproxy an END_STREAM
  before the Content-Length (200+truncated, the detail says so); the raw-client scenario is
  skipped with its reason. results.json and report.md say client_http2.
- With --client-tls too, ALPN h2: a 200 through each, logged as HTTP/2.0.
- A definition whose frontend does not speak HTTP/2 is an error that says so: h2c answered
  with HTTP/1 bytes, an ALPN that chose http/1.1.
- `badup proxy render NAME --client-http2` writes the h2 text; squid's is refused with its
  definition's reason. `badup client --http2` refuses a raw client part.
- A definition's client_http2 field is checked at load.
"""
import functools
import json
import os
import re
import shutil
import tempfile
import unittest

import common
from common import REPO, SCENARIOS, require_binary

PROXIES = os.path.join(REPO, "harness", "proxies")

badup = functools.partial(common.badup_text, timeout=120)


def need_both(test):
    if not common.proxy_installed("nginx") or not common.proxy_installed("haproxy"):
        test.skipTest("nginx and haproxy are needed")


class Run(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ch2-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.ref = os.path.join(cls.tmp, "ref-empty")
        os.makedirs(cls.ref)

    def run_badup(self, out, scenarios, *extra, proxies="nginx,haproxy"):
        p = badup(["run", "--proxy", proxies, "--scenario", scenarios, "--reference", self.ref, "--out", out,
                   "--jobs", "2"] + list(extra), cwd=REPO)
        with open(os.path.join(out, "results.json")) as f:
            return p, json.load(f)

    def log_of(self, out, proxy, scenario):
        case = os.path.join(out, "cases", proxy, scenario)
        text = ""
        for name in ("access.log", "proxy.err"):
            path = os.path.join(case, name)
            if os.path.exists(path):
                with open(path) as f:
                    text += f.read()
        return text

    def test_h2c(self):
        need_both(self)
        out = os.path.join(self.tmp, "h2c")
        p, doc = self.run_badup(out, "ok,truncated_body,req_dup_host", "--client-http2")
        # a skipped case is no failure; the ones that ran pass
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIs(doc["client_http2"], True)
        cases = {(c["proxy"], c["scenario"]): c for c in doc["cases"]}
        got = {k: (c["got"], c["verdict"]) for k, c in cases.items()}
        self.assertEqual(got, {
            ("nginx", "ok"): ("200", "pass"), ("haproxy", "ok"): ("200", "pass"),
            # nginx resets the stream; an expected truncation is met by it
            ("nginx", "truncated_body"): ("200+rst(INTERNAL_ERROR)", "pass"),
            # haproxy ends the stream (END_STREAM) short of its Content-Length: curl's own reset
            # of the malformed stream is not taken for the proxy's
            ("haproxy", "truncated_body"): ("200+truncated", "pass"),
            ("nginx", "req_dup_host"): ("skipped", "skipped"),
            ("haproxy", "req_dup_host"): ("skipped", "skipped"),
        })
        self.assertIn("INTERNAL_ERROR (err 2)", cases[("nginx", "truncated_body")]["detail"])
        self.assertIn("END_STREAM", cases[("haproxy", "truncated_body")]["detail"])
        self.assertEqual(cases[("nginx", "req_dup_host")]["reason"],
                         "req_dup_host sends a raw HTTP/1 client request, which HTTP/2 cannot carry")
        # it WAS HTTP/2: each proxy logged the request so
        self.assertIn('"GET /ok/1 HTTP/2.0"', self.log_of(out, "nginx", "ok"))
        self.assertRegex(self.log_of(out, "haproxy", "ok"), r'"GET \S*/ok/1 HTTP/2\.0"')
        # what curl received is HTTP/2's head
        with open(os.path.join(out, "cases", "nginx", "ok", "client-received.txt")) as f:
            self.assertIn("HTTP/2 200", f.read())
        with open(os.path.join(out, "report.md")) as f:
            self.assertIn("Client HTTP/2 (--client-http2)", f.read())

    def test_alpn_h2(self):
        need_both(self)
        out = os.path.join(self.tmp, "alpn")
        p, doc = self.run_badup(out, "ok", "--client-http2", "--client-tls")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual({c["proxy"]: c["got"] for c in doc["cases"]}, {"nginx": "200", "haproxy": "200"})
        self.assertIn('"GET /ok/1 HTTP/2.0"', self.log_of(out, "nginx", "ok"))
        self.assertRegex(self.log_of(out, "haproxy", "ok"), r'"GET \S*/ok/1 HTTP/2\.0"')

    def test_a_frontend_without_http2_is_an_error(self):
        if not common.proxy_installed("nginx"):
            self.skipTest("nginx is not installed")
        # nginx's definition with a variant that adds nothing: its listener stays HTTP/1.1
        defs = os.path.join(self.tmp, "defs")
        os.makedirs(defs)
        with open(os.path.join(PROXIES, "nginx.lua")) as f:
            text = f.read()
        text, n = re.subn(r'client_http2 = \{ on = " http2", off = "" \}', 'client_http2 = { on = "", off = "" }', text)
        self.assertEqual(n, 1)
        with open(os.path.join(defs, "nginx.lua"), "w") as f:
            f.write(text)
        for extra, want in [((), "the proxy answered the h2c connection preface with no SETTINGS frame"),
                            (("--client-tls",), "the proxy answered in HTTP/1.1, not HTTP/2 (its ALPN choice was "
                                                "http/1.1 over h2)")]:
            with self.subTest(extra=extra):
                out = os.path.join(self.tmp, "no-h2" + "".join(extra))
                p, doc = self.run_badup(out, "ok", "--client-http2", "--proxies", defs, *extra, proxies="nginx")
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                (case,) = doc["cases"]
                self.assertEqual((case["got"], case["verdict"]), ("setup_error", "error"))
                self.assertIn("--client-http2: " + want, case["reason"])


class Render(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ch2-render-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def test_render(self):
        d = os.path.join(self.tmp, "nginx")
        p = badup(["proxy", "render", "nginx", "--upstream", "127.0.0.1:1001", "--dir", d, "--client-http2"], cwd=REPO)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("(curl --http2-prior-knowledge)", p.stdout)
        with open(os.path.join(d, "nginx.conf")) as f:
            self.assertRegex(f.read(), r"listen 127\.0\.0\.1:\d+ http2;")
        d2 = os.path.join(self.tmp, "haproxy-tls")
        p = badup(["proxy", "render", "haproxy", "--upstream", "127.0.0.1:1001", "--dir", d2, "--client-http2",
                   "--client-tls"], cwd=REPO)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(d2, "haproxy.cfg")) as f:
            self.assertIn(" ssl crt %s/proxy.pem alpn h2,http/1.1\n" % d2, f.read())

    def test_refused_with_the_definitions_reason(self):
        for name, extra, want in [
                ("squid", (), "squid has no HTTP/2 frontend variant for h2c: squid serves HTTP/1.1 to clients only"),
                ("trafficserver", (), "trafficserver has no HTTP/2 frontend variant for h2c: Traffic Server speaks "
                                      "HTTP/2 to clients over TLS only")]:
            with self.subTest(name=name):
                d = os.path.join(self.tmp, name)
                p = badup(["proxy", "render", name, "--upstream", "127.0.0.1:1001", "--dir", d, "--client-http2"]
                          + list(extra), cwd=REPO)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(want, p.stderr)
                self.assertFalse(os.path.exists(d))

    def test_client_refuses_a_raw_part(self):
        p = badup(["client", os.path.join(SCENARIOS, "req_dup_host.lua"), "--to", "127.0.0.1:1", "--http2"], cwd=REPO)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("its client sends raw HTTP/1 bytes", p.stderr)


def definition(field, conf="listen ${proxy_port}${client_http2}\\n"):
    return common.small_definition(conf, "  client_http2 = %s,\n" % field if field else "", by="test_client_http2.py")


class Field(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ch2-def-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def test_loads(self):
        for field, conf in [('{ on = " http2", off = "" }', None),
                            # a proxy that speaks HTTP/2 unasked: the same text, no variable needed
                            ('{ on = "", off = "" }', "listen ${proxy_port}\\n"),
                            ('{ why = "HTTP/1.1 only" }', "listen ${proxy_port}\\n")]:
            with self.subTest(field=field):
                _, p = common.list_definition(self.tmp, definition(field, conf or "listen ${proxy_port}${client_http2}\\n"))
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_refused(self):
        plain = "listen ${proxy_port}\\n"
        for field, conf, want in [
                (None, None, "the definition uses ${client_http2} but has no client_http2 variant"),
                ('{ on = " http2" }', plain, "client_http2 is declared but no file, command or env uses ${client_http2}"),
                ('{ on = " http2", tls = " h2" }', None, None),
                ('{ tls = " h2" }', None, "client_http2 has no h2c (on) variant: say why in client_http2.why"),
                ('{ off = "" }', None, "client_http2 needs on (h2c), tls (ALPN h2), or why"),
                ('{ on = " http2", other = 1 }', None, "client_http2: unknown key 'other'"),
                ('"h2"', None, "client_http2 must be a table")]:
            with self.subTest(field=field):
                path, p = common.list_definition(self.tmp, definition(field, conf or "listen ${proxy_port}${client_http2}\\n"))
                if want is None:
                    self.assertEqual(p.returncode, 0, p.stderr)
                    continue
                self.assertEqual(p.returncode, 2, p.stderr)
                line = [l for l in p.stderr.splitlines() if l.startswith(path + ":")][0]
                self.assertIn(want, line)


if __name__ == "__main__":
    unittest.main()
