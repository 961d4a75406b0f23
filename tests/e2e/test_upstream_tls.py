"""TLS upstreams, the harness's side: `badup proxy render NAME --upstream-tls` renders a
definition's upstream_tls variant against a CA it makes, a plain render stays plain, a proxy
without the variant is refused (render) or skipped (run) with the reason, and
`badup run --upstream-tls` through nginx and haproxy verifies the simulator's certificate, and
trafficserver checks its name.

Definitions of our own (a /bin/sh "proxy" that never runs) cover what needs no installed proxy;
the shipped nginx and haproxy definitions are rendered whether or not they are installed (a
render does not start them); the run through them is skipped when they are not installed.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import common
from common import BADUP, REPO, SCENARIOS, badup_text, require_binary

# A definition with a TLS variant: its config says what it was rendered with.
WITH_TLS = """return proxy {
  name = "t",
  binary = { "/bin/sh" },
  files = { ["t.conf"] = "listen ${proxy_port}\\nupstream ${upstream_scheme}://${upstream_url_host}:${upstream_port}\\n${upstream_tls}\\n" },
  command = { "${binary}", "-c", "exit 0" },
  upstream_tls = { on = "verify ca=${upstream_ca} name=${upstream_tls_name}", off = "plain" },
}
"""
# ... and one without: its TLS cases are skipped.
WITHOUT_TLS = """return proxy {
  name = "t",
  binary = { "/bin/sh" },
  files = { ["t.conf"] = "listen ${proxy_port}\\n" },
  command = { "${binary}", "-c", "exit 0" },
}
"""


def setUpModule():
    require_binary()


class Render(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-uptls-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def definitions(self, text):
        return common.definitions_folder(self.tmp, text)

    def render(self, args, name="t", proxies=None):
        out = os.path.join(self.tmp, "r")
        argv = ["proxy", "render", name, "--upstream", "127.0.0.1:9", "--dir", out] + args
        if proxies:
            argv += ["--proxies", proxies]
        return badup_text(argv), out

    def lines(self, stdout):
        return dict(l.split(": ", 1) for l in stdout.splitlines() if ": " in l)

    def test_the_tls_variant_gets_https_its_ca_and_the_name(self):
        p, out = self.render(["--upstream-tls"], proxies=self.definitions(WITH_TLS))
        self.assertEqual(p.returncode, 0, p.stderr)
        ca = os.path.join(os.path.realpath(out), "upstream-ca.crt")
        with open(os.path.join(out, "t.conf")) as f:
            conf = f.read()
        self.assertIn("upstream https://localhost:9\n", conf)
        self.assertIn("verify ca=%s name=localhost\n" % ca, conf)
        self.assertNotIn("plain", conf)
        # the CA the proxy reads is the set's CA, and the set holds the leaves an upstream serves
        with open(ca) as f, open(os.path.join(out, "tls", "ca.crt")) as g:
            self.assertEqual(f.read(), g.read())
        for kind in ("valid", "expired", "wrong_name", "untrusted"):
            for ext in ("crt", "key", "pem"):
                self.assertTrue(os.path.isfile(os.path.join(out, "tls", kind + "." + ext)), kind + "." + ext)
        self.assertEqual(self.lines(p.stdout).get("upstream tls"), os.path.join(os.path.realpath(out), "tls"))
        # the leaf an upstream serves verifies against the CA the proxy got, for localhost
        v = subprocess.run(["openssl", "verify", "-CAfile", ca, "-verify_hostname", "localhost",
                            os.path.join(out, "tls", "valid.crt")], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_a_plain_render_stays_plain(self):
        p, out = self.render([], proxies=self.definitions(WITH_TLS))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "t.conf")) as f:
            conf = f.read()
        self.assertIn("upstream http://127.0.0.1:9\nplain\n", conf)
        self.assertFalse(os.path.exists(os.path.join(out, "upstream-ca.crt")))
        self.assertFalse(os.path.exists(os.path.join(out, "tls")))
        self.assertNotIn("upstream tls", self.lines(p.stdout))

    def test_a_proxy_without_the_variant_is_refused(self):
        p, out = self.render(["--upstream-tls"], proxies=self.definitions(WITHOUT_TLS))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("t has no TLS upstream variant", p.stderr)
        self.assertFalse(os.path.exists(out), "a refused render made its folder")

    def test_shipped_nginx_and_haproxy_verify_the_upstream(self):
        # rendered, not started: the proxies need not be installed
        want = {
            "nginx": ("nginx.conf", ["proxy_pass https://up;", "proxy_ssl_verify on;",
                                     "proxy_ssl_trusted_certificate {ca};", "proxy_ssl_name localhost;",
                                     "proxy_ssl_server_name on;"]),
            "haproxy": ("haproxy.cfg", ["server up 127.0.0.1:9 ssl verify required ca-file {ca} "
                                        "verifyhost localhost sni str(localhost)"]),
        }
        for name, (conf_name, texts) in want.items():
            with self.subTest(proxy=name):
                p, out = self.render(["--upstream-tls"], name=name,
                                     proxies=os.path.join(REPO, "harness", "proxies"))
                self.assertEqual(p.returncode, 0, p.stderr)
                ca = os.path.join(os.path.realpath(out), "upstream-ca.crt")
                self.assertTrue(os.path.isfile(ca))
                with open(os.path.join(out, conf_name)) as f:
                    conf = f.read()
                for t in texts:
                    self.assertIn(t.format(ca=ca), conf)
                # plain, none of it
                p, out = self.render([], name=name, proxies=os.path.join(REPO, "harness", "proxies"))
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(os.path.join(out, conf_name)) as f:
                    conf = f.read()
                self.assertNotIn("verify", conf)
                self.assertNotIn("https", conf)
                self.assertNotIn("upstream-ca.crt", conf)

    def test_shipped_trafficserver_names_localhost_and_resolves_it_itself(self):
        # rendered, not started. ATS checks the name it sends as SNI, the remap rule's host,
        # and would ask DNS for localhost: its own host file answers.
        defs = os.path.join(REPO, "harness", "proxies")
        p, out = self.render(["--upstream-tls"], name="trafficserver", proxies=defs)
        self.assertEqual(p.returncode, 0, p.stderr)
        ca = os.path.join(os.path.realpath(out), "upstream-ca.crt")
        dir_ = os.path.realpath(out)
        with open(os.path.join(out, "remap.config")) as f:
            self.assertEqual(f.read(), "map / https://localhost:9/\n")
        with open(os.path.join(out, "records.config")) as f:
            records = f.read()
        for t in ("CONFIG proxy.config.ssl.client.verify.server.policy STRING ENFORCED\n",
                  "CONFIG proxy.config.ssl.client.verify.server.properties STRING ALL\n",
                  "CONFIG proxy.config.ssl.client.CA.cert.filename STRING %s\n" % ca,
                  "CONFIG proxy.config.hostdb.host_file.path STRING %s/hosts\n" % dir_):
            self.assertIn(t, records)
        with open(os.path.join(out, "hosts")) as f:
            self.assertEqual(f.read(), "127.0.0.1 localhost\n")
        # plain: the origin's address, none of it
        p, out = self.render([], name="trafficserver", proxies=defs)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "remap.config")) as f:
            self.assertEqual(f.read(), "map / http://127.0.0.1:9/\n")
        with open(os.path.join(out, "records.config")) as f:
            records = f.read()
        self.assertNotIn("proxy.config.ssl.client", records)
        self.assertNotIn("host_file", records)


class Run(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-uptls-run-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def results(self, out):
        with open(os.path.join(out, "results.json")) as f:
            return json.load(f)

    def test_a_proxy_without_the_variant_is_skipped_and_no_certificates_are_made(self):
        d = os.path.join(self.tmp, "defs")
        os.makedirs(d)
        with open(os.path.join(d, "t.lua"), "w") as f:
            f.write(WITHOUT_TLS)
        out = os.path.join(self.tmp, "out")
        p = badup_text(["run", "--proxies", d, "--scenarios", SCENARIOS, "--proxy", "t", "--scenario", "ok",
                        "--reference", os.path.join(self.tmp, "ref"), "--update-reference", "--upstream-tls",
                        "--out", out, "-q"], cwd=self.tmp)
        # every case skipped: a run that tested nothing is a set-up error
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        r = self.results(out)
        self.assertIs(r["upstream_tls"], True)
        [case] = r["cases"]
        self.assertEqual(case["verdict"], "skipped")
        self.assertEqual(case["reason"], "t has no TLS upstream variant")
        self.assertIs(case["tls"], True)
        self.assertFalse(os.path.exists(os.path.join(out, "tls")), "certificates made for no TLS case")
        with open(os.path.join(out, "report.md")) as f:
            self.assertIn("--upstream-tls", f.read())

    def test_a_plain_run_says_so(self):
        d = os.path.join(self.tmp, "defs")
        os.makedirs(d)
        with open(os.path.join(d, "t.lua"), "w") as f:
            f.write(WITHOUT_TLS)
        out = os.path.join(self.tmp, "out")
        badup_text(["run", "--proxies", d, "--scenarios", SCENARIOS, "--proxy", "t", "--scenario", "ok",
                    "--reference", os.path.join(self.tmp, "ref"), "--update-reference", "--out", out, "-q"],
                   cwd=self.tmp)
        r = self.results(out)
        self.assertIs(r["upstream_tls"], False)
        self.assertIs(r["cases"][0]["tls"], False)
        self.assertFalse(os.path.exists(os.path.join(out, "tls")))

    def test_a_proxy_config_without_the_tls_text_skips_the_tls_cases(self):
        if not common.proxy_installed("haproxy"):
            self.skipTest("haproxy is not installed")
        base = ("global\n    pidfile ${dir}/haproxy.pid\n    log stderr format raw local0 info\n"
                "defaults\n    mode http\n    log global\n    timeout connect ${connect_timeout_ms}ms\n"
                "    timeout server ${read_timeout_ms}ms\n    timeout client ${client_body_timeout_ms}ms\n"
                "frontend fe\n    bind 127.0.0.1:${proxy_port}\n    default_backend be\nbackend be\n    %s\n")
        # a server line of its own: plain only; ${upstream_servers}: the definition's, with ${upstream_tls}
        for server, tls_verdict in (("server up ${upstream_host}:${upstream_port}", "skipped"),
                                    ("${upstream_servers}", "pass")):
            with self.subTest(server=server):
                conf = os.path.join(self.tmp, "h.cfg")
                with open(conf, "w") as f:
                    f.write(base % server)
                out = os.path.join(self.tmp, "out-" + tls_verdict)
                p = badup_text(["run", "--proxy", "haproxy", "--scenario", "ok,tls_ok", "--proxy-config", conf,
                                "--out", out, "-q"], timeout=120)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                cases = {c["scenario"]: c for c in self.results(out)["cases"]}
                self.assertEqual(cases["ok"]["verdict"], "pass")
                self.assertEqual(cases["tls_ok"]["verdict"], tls_verdict, cases["tls_ok"])
                if tls_verdict == "skipped":
                    self.assertIn("never writes ${upstream_tls}", cases["tls_ok"]["reason"])

    def test_nginx_and_haproxy_over_tls(self):
        # Needs the simulator's `badup serve --tls-dir DIR --tls`.
        names = [n for n in ("nginx", "haproxy") if common.proxy_installed(n)]
        if not names:
            self.skipTest("neither nginx nor haproxy is installed")
        out = os.path.join(self.tmp, "out")
        ref = os.path.join(self.tmp, "ref")
        p = badup_text(["run", "--proxy", ",".join(names), "--scenario", "ok", "--upstream-tls", "--reference", ref,
                        "--update-reference", "--out", out, "-q"], timeout=240)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        r = self.results(out)
        self.assertIs(r["upstream_tls"], True)
        self.assertEqual(sorted(c["proxy"] for c in r["cases"]), sorted(names))
        for c in r["cases"]:
            with self.subTest(proxy=c["proxy"]):
                self.assertIs(c["tls"], True)
                self.assertEqual(c["got"], "200", c)
                self.assertEqual(c["verdict"], "pass", c)
                case_dir = os.path.join(out, "cases", c["proxy"], "ok")
                with open(os.path.join(case_dir, "upstream-ca.crt")) as f, \
                        open(os.path.join(out, "tls", "ca.crt")) as g:
                    self.assertEqual(f.read(), g.read())
        # recorded as the +tls reference, never over the plain one
        self.assertEqual(sorted(os.listdir(ref)), sorted(n + "+tls.json" for n in names))

    def test_trafficserver_verifies_the_name(self):
        # the valid certificate passes, one for another name (chain and dates good) fails
        if not common.proxy_installed("traffic_server"):
            self.skipTest("trafficserver is not installed")
        out = os.path.join(self.tmp, "out")
        ref = os.path.join(self.tmp, "ref")
        os.makedirs(ref)
        p = badup_text(["run", "--proxy", "trafficserver", "--scenario", "tls_ok,tls_cert_wrong_name",
                        "--reference", ref, "--out", out, "-q"], timeout=240)
        cases = {c["scenario"]: c for c in self.results(out)["cases"]}
        self.assertEqual(cases["tls_ok"]["got"], "200", p.stdout + p.stderr)
        self.assertEqual(cases["tls_cert_wrong_name"]["got"], "502", cases["tls_cert_wrong_name"])
        for c in cases.values():
            self.assertIs(c["tls"], True)


if __name__ == "__main__":
    unittest.main()
