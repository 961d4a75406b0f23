"""HTTP/2 upstreams, the harness's side: `badup proxy render NAME --upstream-http2` renders a
definition's upstream_http2 variant and a plain render stays HTTP/1; a proxy without the
variant is refused (render) or skipped with "no HTTP/2 upstream" (run); and `badup run`
through haproxy's variant (`proto h2` on its server line) really speaks HTTP/2 to the
simulator: h2_ok is a 200 whose upstream saw the connection preface and a HEADERS frame, and
h2_rst_internal_mid_body (RST_STREAM mid-body) reaches the client as 200+truncated.

A definition of our own (a /bin/sh "proxy" that never runs) covers what needs no installed
proxy; the run through haproxy is skipped when it is not installed.
"""
import json
import os
import shutil
import tempfile
import unittest

import common
from common import REPO, SCENARIOS, badup_text, require_binary, small_definition

# A definition with an HTTP/2 variant: its config says what it was rendered with.
WITH_H2 = small_definition("backend ${upstream_scheme}://${upstream_host}:${upstream_port} proto=${upstream_http2}\\n",
                           '  upstream_http2 = { on = "h2", off = "http/1.1" },\n')
# ... and one without: its HTTP/2 cases are skipped.
WITHOUT_H2 = small_definition("listen ${proxy_port}\\n")


def setUpModule():
    require_binary()


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-uph2-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def definitions(self, text):
        return common.definitions_folder(self.tmp, text)

    def reference(self):
        """An empty reference folder of the test's own: results/reference is never touched."""
        ref = os.path.join(self.tmp, "ref")
        os.makedirs(ref, exist_ok=True)
        return ref

    def results(self, out):
        with open(os.path.join(out, "results.json")) as f:
            return json.load(f)


class Render(Base):
    def render(self, args, proxies, name="t"):
        out = os.path.join(self.tmp, "r")
        argv = ["proxy", "render", name, "--upstream", "127.0.0.1:9", "--dir", out, "--proxies", proxies] + args
        return badup_text(argv), out

    def test_the_http2_variant_and_the_plain_render(self):
        defs = self.definitions(WITH_H2)
        for args, want in ((["--upstream-http2"], "backend h2c://127.0.0.1:9 proto=h2\n"),
                           ([], "backend http://127.0.0.1:9 proto=http/1.1\n")):
            with self.subTest(args=args):
                p, out = self.render(args, defs)
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(os.path.join(out, "t.conf")) as f:
                    self.assertEqual(f.read(), want)
                self.assertEqual("upstream http2: h2c (prior knowledge)" in p.stdout, bool(args), p.stdout)

    def test_a_proxy_without_the_variant_is_refused(self):
        p, out = self.render(["--upstream-http2"], self.definitions(WITHOUT_H2))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("no HTTP/2 upstream: t has no upstream_http2 variant", p.stderr)
        self.assertFalse(os.path.exists(out), "a refused render made its folder")

    def test_shipped_haproxy_says_proto_h2(self):
        p, out = self.render(["--upstream-http2"], os.path.join(REPO, "harness", "proxies"), name="haproxy")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "haproxy.cfg")) as f:
            self.assertIn("server up 127.0.0.1:9 proto h2\n", f.read())


class Run(Base):
    def test_a_proxy_without_the_variant_is_skipped_with_its_reason(self):
        out = os.path.join(self.tmp, "out")
        p = badup_text(["run", "--proxies", self.definitions(WITHOUT_H2), "--scenarios", SCENARIOS, "--proxy", "t",
                        "--scenario", "h2_ok", "--reference", self.reference(), "--out", out, "-q"],
                       cwd=self.tmp)
        # every case skipped: a run that tested nothing is a set-up error
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        [case] = self.results(out)["cases"]
        self.assertEqual(case["verdict"], "skipped")
        self.assertEqual(case["reason"], "no HTTP/2 upstream: t has no upstream_http2 variant")
        self.assertIs(case["http2"], True)

    def test_haproxy_speaks_http2_to_the_upstream(self):
        if not common.proxy_installed("haproxy"):
            self.skipTest("haproxy is not installed")
        out = os.path.join(self.tmp, "out")
        p = badup_text(["run", "--proxy", "haproxy", "--scenario", "h2_ok,h2_rst_internal_mid_body", "--jobs", "2",
                        "--reference", self.reference(), "--out", out, "-q"], timeout=60)
        cases = {c["scenario"]: c for c in self.results(out)["cases"]}
        self.assertEqual(cases["h2_ok"]["got"], "200", cases["h2_ok"])
        self.assertEqual(cases["h2_ok"]["verdict"], "pass", cases["h2_ok"])
        self.assertIs(cases["h2_ok"]["http2"], True)
        self.assertEqual(cases["h2_rst_internal_mid_body"]["got"], "200+truncated", cases["h2_rst_internal_mid_body"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # the variant is real: the upstream read the HTTP/2 connection preface, then HEADERS
        with open(os.path.join(out, "cases", "haproxy", "h2_ok", "upstream-events.json")) as f:
            events = [(e["what"], e.get("detail", "")) for c in json.load(f) for e in c["events"]]
        self.assertIn(("h2_preface", "ok"), events)
        self.assertTrue(any(w == "h2_frame_in" and d.startswith("HEADERS stream=1") for w, d in events), events)
        self.assertIn(("request", "GET /h2_ok/1"), events)


if __name__ == "__main__":
    unittest.main()
