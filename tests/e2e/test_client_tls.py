"""--client-tls: TLS between the harness's client and the proxy (the proxy's frontend
terminates it).

- `badup run --proxy nginx,haproxy --scenario ok,empty_reply,client_tls_plain_http
  --client-tls` passes: 200 and 502 through TLS, nginx answers 400 to plain HTTP on its TLS
  port and haproxy closes; results.json says client_tls, report.md says it, OUT/tls holds the
  run's CA; the case folder's proxy.crt is what the proxy presents, and Python's ssl verifies
  it against OUT/tls/ca.crt for localhost.
- Without --client-tls the client_tls_* scenarios are skipped with a reason; with it, a
  definition without client_tls is skipped ("NAME has no TLS frontend variant").
- `badup proxy render NAME --client-tls` writes the TLS text and the certificate files, and
  refuses a definition without the field.
- A definition's client_tls field is checked at load: `FILE:LINE: proxy{}: ...`, exit 2.
- `badup client --to https://localhost:PORT --cacert CA` speaks TLS to a server with the
  run's valid leaf (200); against another CA the outcome is `tls`; an https:// --to without
  --cacert is a usage error.
"""
import functools
import json
import os
import shutil
import socket
import ssl
import tempfile
import unittest

import common
from common import REPO, SCENARIOS, require_binary

PROXIES = os.path.join(REPO, "harness", "proxies")

badup = functools.partial(common.badup_text, timeout=240)


class Run(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ctls-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def run_badup(self, out, *extra):
        ref = os.path.join(self.tmp, "ref-empty")
        os.makedirs(ref, exist_ok=True)
        p = badup(["run", "--proxy", "nginx,haproxy", "--scenario", "ok,empty_reply,client_tls_plain_http",
                   "--reference", ref, "--out", out, "--jobs", "2"] + list(extra), cwd=REPO)
        with open(os.path.join(out, "results.json")) as f:
            return p, json.load(f)

    def test_through_tls(self):
        if not common.proxy_installed("nginx") or not common.proxy_installed("haproxy"):
            self.skipTest("nginx and haproxy are needed")
        out = os.path.join(self.tmp, "tls")
        p, doc = self.run_badup(out, "--client-tls")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIs(doc["client_tls"], True)
        got = {(c["proxy"], c["scenario"]): (c["got"], c["verdict"]) for c in doc["cases"]}
        self.assertEqual(got, {
            ("nginx", "ok"): ("200", "pass"), ("haproxy", "ok"): ("200", "pass"),
            ("nginx", "empty_reply"): ("502", "pass"), ("haproxy", "empty_reply"): ("502", "pass"),
            # nginx reads the plain request and answers it; haproxy's handshake fails: a close
            ("nginx", "client_tls_plain_http"): ("400", "pass"),
            ("haproxy", "client_tls_plain_http"): ("closed", "pass"),
        })
        with open(os.path.join(out, "report.md")) as f:
            self.assertIn("Client TLS (--client-tls)", f.read())
        ca = os.path.join(out, "tls", "ca.crt")
        self.assertTrue(os.path.isfile(ca))
        # the leaf each proxy presented is the run's valid one, and it verifies for localhost
        ctx = ssl.create_default_context(cafile=ca)
        case = os.path.join(out, "cases", "nginx", "ok")
        with open(os.path.join(case, "nginx.conf")) as f:
            conf = f.read()
        self.assertIn(" ssl;", conf)
        self.assertIn("ssl_certificate     %s/proxy.crt;" % case, conf)
        with open(os.path.join(case, "proxy.crt")) as f:
            pem = f.read()
        with open(os.path.join(out, "tls", "valid.crt")) as f:
            self.assertEqual(pem, f.read())
        # a server of our own with that leaf: Python's ssl accepts it against the run's CA
        srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.load_cert_chain(os.path.join(case, "proxy.crt"), os.path.join(case, "proxy.key"))
        ls = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(ls.close)
        import threading

        def serve():
            c, _ = ls.accept()
            try:
                with srv.wrap_socket(c, server_side=True) as s:
                    s.recv(1)
            except (ssl.SSLError, OSError):
                pass
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        with socket.create_connection(ls.getsockname(), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                self.assertIn(("DNS", "localhost"), s.getpeercert()["subjectAltName"])
                s.sendall(b"x")
        t.join(10)
        # the client sent the request inside TLS: the upstream got it
        with open(os.path.join(case, "upstream-requests.json")) as f:
            self.assertIn("/ok/1", f.read())

    def test_plain_run_skips_the_tls_scenarios(self):
        if not common.proxy_installed("nginx") or not common.proxy_installed("haproxy"):
            self.skipTest("nginx and haproxy are needed")
        out = os.path.join(self.tmp, "plain")
        p, doc = self.run_badup(out)
        self.assertIs(doc["client_tls"], False)
        for c in doc["cases"]:
            if c["scenario"] == "client_tls_plain_http":
                self.assertEqual((c["got"], c["verdict"]), ("skipped", "skipped"))
                self.assertEqual(c["reason"], "client_tls_plain_http is about the proxy's TLS frontend: it runs "
                                              "with --client-tls")
            else:
                self.assertEqual(c["verdict"], "pass", c)
        self.assertIn("SKIPPED 2 cases: client_tls_plain_http is about", p.stdout)

    def test_a_definition_without_a_tls_frontend_is_skipped(self):
        if not common.proxy_installed("tinyproxy"):
            self.skipTest("tinyproxy is not installed")
        out = os.path.join(self.tmp, "tiny")
        p = badup(["run", "--proxy", "tinyproxy", "--scenario", "ok", "--client-tls", "--out", out], cwd=REPO)
        # every case skipped: the run tested nothing (exit 2), and says why
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("SKIPPED 1 case: tinyproxy has no TLS frontend variant", p.stdout)


class Render(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ctls-render-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def test_render(self):
        d = os.path.join(self.tmp, "haproxy")
        p = badup(["proxy", "render", "haproxy", "--upstream", "127.0.0.1:1001", "--dir", d, "--client-tls"],
                  cwd=REPO)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ca: %s/tls/ca.crt\n" % d, p.stdout)
        with open(os.path.join(d, "haproxy.cfg")) as f:
            self.assertIn(" ssl crt %s/proxy.pem\n" % d, f.read())
        with open(os.path.join(d, "proxy.pem")) as f:
            pem = f.read()
        self.assertIn("BEGIN CERTIFICATE", pem)
        self.assertIn("PRIVATE KEY", pem)
        self.assertEqual(os.stat(os.path.join(d, "proxy.key")).st_mode & 0o777, 0o600)
        # without the option: the plain listener, byte for byte as before (no trace of TLS)
        d2 = os.path.join(self.tmp, "haproxy-plain")
        p = badup(["proxy", "render", "haproxy", "--upstream", "127.0.0.1:1001", "--dir", d2], cwd=REPO)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(d2, "haproxy.cfg")) as f:
            self.assertRegex(f.read(), r"\n    bind 127\.0\.0\.1:\d+\n")
        self.assertFalse(os.path.exists(os.path.join(d2, "proxy.pem")))

    def test_render_refuses_a_definition_without_the_field(self):
        d = os.path.join(self.tmp, "varnish")
        p = badup(["proxy", "render", "varnish", "--upstream", "127.0.0.1:1001", "--dir", d, "--client-tls"],
                  cwd=REPO)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("varnish has no TLS frontend variant", p.stderr)
        self.assertFalse(os.path.exists(d))


class Client(unittest.TestCase):
    """badup client over TLS, against a Python TLS server with a render's valid leaf."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ctls-client-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        d = os.path.join(cls.tmp, "r")
        p = badup(["proxy", "render", "haproxy", "--upstream", "127.0.0.1:1001", "--dir", d, "--client-tls"], cwd=REPO)
        assert p.returncode == 0, p.stderr
        cls.dir = d

    def server(self):
        import threading
        srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.load_cert_chain(os.path.join(self.dir, "proxy.crt"), os.path.join(self.dir, "proxy.key"))
        ls = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(ls.close)

        def serve():
            c, _ = ls.accept()
            c.settimeout(10)
            try:
                with srv.wrap_socket(c, server_side=True) as s:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except (ssl.SSLError, OSError):
                pass
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.addCleanup(t.join, 10)
        return ls.getsockname()[1]

    def client(self, *args):
        return badup(["client", os.path.join(SCENARIOS, "ok.lua")] + list(args), cwd=REPO)

    def test_verified(self):
        port = self.server()
        p = self.client("--to", "https://localhost:%d" % port, "--cacert", os.path.join(self.dir, "tls", "ca.crt"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("outcome: 200", p.stdout)

    def test_another_ca_is_a_tls_outcome(self):
        port = self.server()
        # a self-signed leaf is no CA of this one's
        p = self.client("--to", "https://localhost:%d" % port, "--cacert", os.path.join(self.dir, "tls", "untrusted.crt"))
        self.assertIn("outcome: tls", p.stdout)
        self.assertIn("certificate verify failed", p.stdout)

    def test_https_needs_a_cacert(self):
        p = self.client("--to", "https://localhost:1")
        self.assertEqual(p.returncode, 2)
        self.assertIn("give --cacert FILE", p.stderr)


# A definition that loads; each case gives it a client_tls field and a listener line.
def definition(client_tls, conf="listen ${proxy_port}${client_tls}\\n"):
    field = "  client_tls = %s,\n" % client_tls if client_tls is not None else ""
    return common.small_definition(conf, field, by="test_client_tls.py")


class Field(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ctls-def-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def load(self, text):
        return common.list_definition(self.tmp, text)

    def test_a_field_that_keeps_its_word_loads(self):
        _, p = self.load(definition('{ on = " tls cert=${proxy_cert} key=${proxy_key}", off = "" }'))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_refused(self):
        plain = "listen ${proxy_port}\\n"
        cases = [
            (None, "listen ${proxy_port}${client_tls}\\n",
             "the definition uses ${client_tls} but has no client_tls field"),
            (None, "listen ${proxy_port}\\ncert ${proxy_cert}\\n",
             "the definition uses ${proxy_cert} but has no client_tls field"),
            (None, "listen ${proxy_scheme}://x\\n", "the definition uses ${proxy_scheme} but has no client_tls field"),
            ('{ on = " tls ${proxy_pem}" }', plain,
             "client_tls is declared but no file, command or env uses ${client_tls}"),
            ('{ on = " tls" }', None, "client_tls is declared but nothing uses ${proxy_cert} or ${proxy_pem}"),
            ('{ off = "" }', None, "client_tls.on is required"),
            ('{ on = " tls ${proxy_pem}", other = 1 }', None, "client_tls: unknown key 'other'"),
            ('{ on = " tls ${no_such}" }', None, "${no_such}"),
            ('"ssl"', None, "client_tls must be a table"),
        ]
        for field, conf, want in cases:
            with self.subTest(field=field, conf=conf):
                path, p = self.load(definition(field, conf or "listen ${proxy_port}${client_tls}\\n"))
                self.assertEqual(p.returncode, 2, p.stderr)
                line = [l for l in p.stderr.splitlines() if l.startswith(path + ":")][0]
                self.assertTrue(line.startswith(path + ":4: proxy{}: "), line)
                self.assertIn(want, line)


class Scenario(unittest.TestCase):
    """The scenario field: client_tls = true | { handshake = ... }, checked at load."""

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-ctls-scn-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def test_refused(self):
        for value, want in [('"yes"', "client_tls must be true or { handshake"),
                            ('{ handshake = "half" }', "client_tls.handshake must be"),
                            ('{ shake = "none" }', "unknown")]:
            with self.subTest(value=value):
                d = tempfile.mkdtemp(dir=self.tmp)
                common.write_scenario(d, "t", 'return scenario { summary = "s", expect = 200, client_tls = %s,\n'
                                              '  plan = { rxreq(), txresp { status = 200 } } }\n' % value)
                p = badup(["list", "--scenarios", d, "--proxies", PROXIES], cwd=REPO)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(want, p.stderr)


if __name__ == "__main__":
    unittest.main()
