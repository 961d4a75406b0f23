#!/usr/bin/env python3
"""Forward proxies (docs/proxies.md, "Forward mode"; docs/scenarios.md, `forward`).

- CONNECT on the wire, with no proxy installed: a small CONNECT-speaking proxy here (Python,
  raw sockets) in front of `badup serve`. `badup client` sends fwd_connect_ok's CONNECT, then
  its GET inside the tunnel: the upstream records the tunneled GET, and the client frames both
  responses (a 2xx to CONNECT has no content, RFC 9112 6.3 item 2, even with a
  Content-Length; after it the bytes are the upstream's, RFC 9110 9.3.6). A non-2xx to
  CONNECT is framed as any response (its content is read, the exchange ends).
- `badup run` of a forward scenario: a proxy without a forward mode is skipped with why; one
  whose forward mode has no authentication is skipped, for an auth scenario, with its
  why_no_auth (definitions written here, no proxy needed).
- `badup proxy render --forward [--auth]` writes the forward files, and the credentials.
- With squid installed: each case with authentication writes proxy-credentials.txt and the
  password file into its folder, different from one run to the next, and the right ones get
  through (fwd_auth_ok 200) where others do not (fwd_auth_wrong 407).

Runs standalone: BADUP=build/badup python3 tests/e2e/test_forward.py
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import BADUP, REPO  # noqa: E402


# one badup run to completion
badup = common.badup_text


class ConnectProxy:
    """Answers CONNECT HOST:PORT: 403 (with content) for port 9, else connects and answers
    `answer` (a 2xx head), then relays bytes both ways until either side closes."""

    def __init__(self, answer=b"HTTP/1.1 200 Connection established\r\n\r\n"):
        self.answer = answer
        self.heads = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.threads = []
        t = threading.Thread(target=self.serve, daemon=True)
        t.start()
        self.threads.append(t)

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self.one, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def one(self, conn):
        conn.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                b = conn.recv(4096)
                if not b:
                    return
                head += b
            head, rest = head.split(b"\r\n\r\n", 1)
            self.heads.append(head.decode("latin-1"))
            m = re.match(rb"CONNECT ([0-9.]+):(\d+) HTTP/1\.[01]", head)
            if not m:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            if int(m.group(2)) == 9:  # kept open: the client must know the response ended
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n\r\ndenied\n")
                conn.recv(1)
                return
            up = socket.create_connection((m.group(1).decode(), int(m.group(2))), timeout=10)
            conn.sendall(self.answer)
            if rest:
                up.sendall(rest)
            t = threading.Thread(target=self.pipe, args=(up, conn), daemon=True)
            t.start()
            self.pipe(conn, up)
            t.join(10)
            up.close()
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    b.shutdown(socket.SHUT_WR)
                    return
                b.sendall(data)
        except OSError:
            return

    def close(self):
        self.sock.close()


class ConnectOnTheWire(unittest.TestCase):
    def setUp(self):
        common.require_binary()
        self.server = common.start_server(self, common.scenario_path("fwd_connect_ok"),
                                          common.scenario_path("fwd_connect_denied"))

    def client(self, name, proxy):
        up = "%s:%d" % self.server.addr
        p = badup(["client", common.scenario_path(name), "--to", "127.0.0.1:%d" % proxy.port, "--upstream", up,
                   "--json", "--timeout", "5"], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def tunnel(self, answer):
        proxy = ConnectProxy(answer)
        self.addCleanup(proxy.close)
        got = self.client("fwd_connect_ok", proxy)
        self.assertEqual([(r["request"], r["connection"], r["status"]) for r in got["responses"]],
                         [(1, 1, 200), (2, 1, 200)], got)
        self.assertEqual(got["responses"][0]["body_length"], 0)
        self.assertEqual(got["responses"][1]["body"], "tunneled\n")
        self.assertEqual(got["outcome"], "200")
        self.assertEqual(got["connections"], 1)
        self.assertEqual(proxy.heads[0].split("\r\n")[0], "CONNECT %s:%d HTTP/1.1" % self.server.addr)
        # the upstream got the tunneled request as the client wrote it
        reqs = self.server.get("/requests")["requests"]
        self.assertEqual([(q["method"], q["target"]) for q in reqs], [("GET", "/fwd_connect_ok/2")])

    def test_a_2xx_to_connect_makes_a_tunnel(self):
        self.tunnel(b"HTTP/1.1 200 Connection established\r\n\r\n")

    def test_an_http10_200_keeps_the_tunnel_open(self):
        # tinyproxy answers CONNECT in HTTP/1.0, without keep-alive: the tunnel is still there
        self.tunnel(b"HTTP/1.0 200 Connection established\r\nProxy-agent: test\r\n\r\n")

    def test_a_content_length_on_a_2xx_to_connect_is_ignored(self):
        # RFC 9112 6.3 item 2: the tunnel starts right after the head, whatever it announces
        self.tunnel(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")

    def test_a_non_2xx_to_connect_is_framed_as_any_response(self):
        proxy = ConnectProxy()
        self.addCleanup(proxy.close)
        got = self.client("fwd_connect_denied", proxy)
        self.assertEqual([(r["status"], r["body"], r["complete"]) for r in got["responses"]],
                         [(403, "denied\n", True)], got)
        self.assertEqual(got["outcome"], "403")
        self.assertEqual(self.server.get("/requests")["requests"], [])


DEFINITION = """-- a definition written by test_forward.py
return proxy {
  name = "%s",
  binary = { "/bin/sh" },
  files = { ["t.conf"] = "listen ${proxy_port}\\n" },
  command = { "${binary}", "-c", "exit 0" },
%s}
"""


class Skipped(unittest.TestCase):
    """Skips need no proxy: the matrix decides them before anything starts."""

    def setUp(self):
        common.require_binary()
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-fwd-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_no_forward_mode_and_no_auth_are_skipped_with_why(self):
        px = os.path.join(self.tmp, "proxies")
        os.makedirs(px)
        defs = {"reverse": "", "noauth": '  forward = { files = { ["t.conf"] = "fwd ${proxy_port}\\n" }, auth = false,\n'
                                         '              why_no_auth = "no built-in Basic proxy authentication" },\n'}
        for name, extra in defs.items():
            with open(os.path.join(px, name + ".lua"), "w") as f:
                f.write(DEFINITION % (name, extra))
        out, ref = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "ref")
        os.makedirs(ref)
        p = badup(["run", "--proxies", px, "--proxy", "reverse,noauth", "--scenario", "fwd_auth_ok,fwd_auth_wrong",
                   "--reference", ref, "--out", out])
        # every case skipped: a run that tested nothing is a set-up error, never a pass
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no case ran: every selected case was skipped", p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            cases = {(c["proxy"], c["scenario"]): c for c in json.load(f)["cases"]}
        for scn in ("fwd_auth_ok", "fwd_auth_wrong"):
            self.assertEqual((cases["reverse", scn]["verdict"], cases["reverse", scn]["reason"]),
                             ("skipped", "reverse: no forward-proxy mode in its definition"))
            self.assertEqual((cases["noauth", scn]["verdict"], cases["noauth", scn]["reason"]),
                             ("skipped", "noauth: no built-in Basic proxy authentication"))

    def test_several_upstreams_in_forward_mode_say_so_not_the_reverse_reason(self):
        px, scn = os.path.join(self.tmp, "proxies"), os.path.join(self.tmp, "scenarios")
        os.makedirs(px), os.makedirs(scn)
        extra = ('  forward = { files = { ["t.conf"] = "fwd ${proxy_port}\\n" }, auth = false, why_no_auth = "none" },\n'
                 '  upstreams = { max = 1, why = "the reverse mode names one origin server" },\n')
        with open(os.path.join(px, "fwdone.lua"), "w") as f:
            f.write(DEFINITION % ("fwdone", extra))
        with open(os.path.join(scn, "fwd_two.lua"), "w") as f:
            f.write('return scenario { summary = "two upstreams, forward", expect = 200, forward = true, upstreams = 2,\n'
                    '  client = { request { } }, plan = { rxreq(), txresp { status = 200 } } }\n')
        out, ref = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "ref")
        os.makedirs(ref)
        p = badup(["run", "--proxies", px, "--scenarios", scn, "--reference", ref, "--out", out])
        self.assertEqual(p.returncode, 2, p.stderr)  # its one case skipped: nothing was tested
        with open(os.path.join(out, "results.json")) as f:
            (case,) = json.load(f)["cases"]
        self.assertEqual((case["verdict"], case["reason"]),
                         ("skipped", "fwdone: scenarios with several upstreams are not supported in forward mode "
                                     "(2 upstreams)"))


# A forward proxy (forward = true) that answers 502 by itself: the request never reaches the
# upstream, and the reason must not ask whether a config sends to ${upstream_host}.
SELF_502 = """return proxy {
  name = "self502",
  binary = { "%s" },
  files = { ["t.py"] = [[
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept(); c.recv(65536)
    c.sendall(b"HTTP/1.1 502 Bad Gateway\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n"); c.close()
]] },
  command = { "${binary}", "t.py", "${proxy_port}" },
  forward = true,
}
"""


class ForwardHint(unittest.TestCase):
    def test_a_forward_failure_gets_no_reverse_proxy_hint(self):
        common.require_binary()
        tmp = tempfile.mkdtemp(prefix="badup-e2e-fwd-")
        self.addCleanup(shutil.rmtree, tmp, True)
        px, scn, out, ref = (os.path.join(tmp, n) for n in ("proxies", "scenarios", "out", "ref"))
        os.makedirs(px), os.makedirs(scn), os.makedirs(ref)
        with open(os.path.join(px, "self502.lua"), "w") as f:
            f.write(SELF_502 % sys.executable)
        with open(os.path.join(scn, "fwd_plain.lua"), "w") as f:  # an expect that does not count attempts
            f.write('return scenario { summary = "forward GET", expect = 200, forward = true,\n'
                    '  client = { request { } }, plan = { rxreq(), txresp { status = 200 } } }\n')
        p = badup(["run", "--proxies", px, "--scenarios", scn, "--reference", ref, "--out", out])
        with open(os.path.join(out, "results.json")) as f:
            (case,) = json.load(f)["cases"]
        self.assertEqual((case["verdict"], case["got"]), ("fail", "502"), p.stdout + p.stderr)
        self.assertIn("0 upstream", case["reason"])
        self.assertIn("does the forward config let requests through to the upstream's host and port?", case["reason"])
        self.assertNotIn("upstream_host", case["reason"])


class Listed(unittest.TestCase):
    """badup list says which proxies have a forward mode, and with authentication."""

    def test_list_shows_each_forward_mode(self):
        common.require_binary()
        p = badup(["list"])
        self.assertEqual(p.returncode, 0, p.stderr)
        modes = dict(re.findall(r"(?m)^  (\S+)\s+(?:installed|not installed)\s+\S+\s+upstreams=\d+\s+forward=(\S+)",
                                p.stdout))
        for name, mode in {"squid": "auth", "apache2": "auth", "tinyproxy": "auth", "trafficserver": "yes",
                           "nginx": "no", "haproxy": "no"}.items():
            self.assertEqual(modes.get(name), mode, p.stdout)


class Render(unittest.TestCase):
    """badup proxy render --forward [--auth]: the forward files, the credentials in DIR."""

    def setUp(self):
        common.require_binary()
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-fwd-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def render(self, name, *extra):
        return badup(["proxy", "render", name, "--upstream", "45678", "--dir", os.path.join(self.tmp, name)]
                     + list(extra))

    def test_forward_files_with_the_credentials_they_name(self):
        p = self.render("tinyproxy", "--forward", "--auth")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.search(r"(?m)^credentials: (\S+) \(user (badup-[0-9a-f]{8}), password ([0-9a-f]{24})\)$", p.stdout)
        self.assertTrue(m, p.stdout)
        d = os.path.join(self.tmp, "tinyproxy")
        self.assertEqual(m.group(1), os.path.join(d, "proxy-credentials.txt"))
        with open(os.path.join(d, "tinyproxy.conf")) as f:
            conf = f.read()
        self.assertIn("\nBasicAuth %s %s\n" % (m.group(2), m.group(3)), conf)
        self.assertIn("\nConnectPort 45678\n", conf)
        self.assertNotIn("ReversePath", conf)
        self.assertTrue(os.path.exists(os.path.join(d, "tinyproxy.filter")))

    def test_help_lists_every_line_render_prints(self):
        p = self.render("tinyproxy", "--forward", "--auth")
        self.assertEqual(p.returncode, 0, p.stderr)
        printed = set(re.findall(r"(?m)^(\w+): ", p.stdout))
        self.assertIn("credentials", printed)
        listed = badup(["proxy", "render", "--help"]).stdout.split("It prints, one a line:\n", 1)[1]
        self.assertEqual(printed - set(re.findall(r"(?m)^  (\w+): ", listed)), set())

    def test_run_help_says_what_skipped_and_not_run_mean(self):
        text = " ".join(badup(["run", "--help"]).stdout.split())
        self.assertIn("has no forward mode or no Basic proxy authentication", text)
        self.assertIn("not_run (in results.json: the run was interrupted", text)

    def test_without_auth_the_auth_text_is_empty(self):
        p = self.render("squid", "--forward")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.tmp, "squid", "squid.conf")) as f:
            conf = f.read()
        self.assertNotIn("auth_param", conf)
        self.assertRegex(conf, r"(?m)^http_port 127\.0\.0\.1:\d+$")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "squid", "proxy-credentials.txt")))

    def test_a_proxy_without_the_mode_is_refused(self):
        p = self.render("nginx", "--forward")
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("nginx: no forward-proxy mode in its definition", p.stderr)
        p = self.render("trafficserver", "--forward", "--auth")
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("trafficserver: no built-in Basic proxy authentication", p.stderr)
        p = self.render("squid", "--auth")
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("--auth is about the forward mode", p.stderr)
        # a refused render leaves no folder it made (not even with its .badup-render marker)
        for name in ("nginx", "trafficserver", "squid"):
            self.assertFalse(os.path.exists(os.path.join(self.tmp, name)), name)

    def test_a_refused_render_keeps_an_earlier_render_and_its_parents(self):
        d = os.path.join(self.tmp, "a", "b", "nginx")
        p = badup(["proxy", "render", "nginx", "--upstream", "45678", "--dir", d, "--forward"])
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "a")), "made the parents of --dir")
        p = badup(["proxy", "render", "nginx", "--upstream", "45678", "--dir", d])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = badup(["proxy", "render", "nginx", "--upstream", "45678", "--dir", d, "--forward"])
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertTrue(os.path.exists(os.path.join(d, "nginx.conf")), "emptied the earlier render")


class ThroughSquid(unittest.TestCase):
    """Every fwd_* scenario through squid's forward mode passes: absolute form, CONNECT and its
    tunnel, port 9 denied, authentication; the upstream saw what each asserts."""

    def test_every_fwd_scenario_passes(self):
        common.require_binary()
        if not os.path.exists("/usr/sbin/squid"):
            self.skipTest("squid is not installed (make test installs it)")
        tmp = tempfile.mkdtemp(prefix="badup-e2e-fwd-")
        self.addCleanup(shutil.rmtree, tmp, True)
        out, ref = os.path.join(tmp, "out"), os.path.join(tmp, "ref")
        os.makedirs(ref)
        p = badup(["run", "--proxy", "squid", "--scenario", "fwd_*", "--reference", ref, "--out", out])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            cases = {c["scenario"]: c for c in json.load(f)["cases"]}
        self.assertEqual(len(cases), 10)
        self.assertEqual({n: c["verdict"] for n, c in cases.items() if c["verdict"] != "pass"}, {})
        with open(os.path.join(out, "cases", "squid", "fwd_connect_ok", "upstream-requests.json")) as f:
            reqs = json.load(f)["requests"]
        self.assertEqual([(q["method"], q["target"]) for q in reqs], [("GET", "/fwd_connect_ok/2")])
        with open(os.path.join(out, "cases", "squid", "fwd_connect_ok", "client-sent.txt")) as f:
            self.assertRegex(f.read(), r"^--- connection 1 ---\nCONNECT 127\.0\.0\.1:\d+ HTTP/1\.1\n")  # (read as text: \r\n is \n)


class CredentialsPerCase(unittest.TestCase):
    """Through squid: random credentials per case, written where a user can replay them."""

    def setUp(self):
        common.require_binary()
        if not shutil.which("squid") and not os.path.exists("/usr/sbin/squid"):
            self.skipTest("squid is not installed (make test installs it)")
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-fwd-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_once(self, k):
        out, ref = os.path.join(self.tmp, "out%d" % k), os.path.join(self.tmp, "ref")
        os.makedirs(ref, exist_ok=True)
        p = badup(["run", "--proxy", "squid", "--scenario", "fwd_auth_ok,fwd_auth_wrong", "--reference", ref,
                   "--out", out])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            cases = {c["scenario"]: c for c in json.load(f)["cases"]}
        self.assertEqual((cases["fwd_auth_ok"]["got"], cases["fwd_auth_wrong"]["got"]), ("200", "407"))
        creds = {}
        for scn in ("fwd_auth_ok", "fwd_auth_wrong"):
            d = os.path.join(out, "cases", "squid", scn)
            with open(os.path.join(d, "proxy-credentials.txt")) as f:
                text = f.read()
            user = re.search(r"(?m)^user: (badup-[0-9a-f]{8})$", text).group(1)
            password = re.search(r"(?m)^password: ([0-9a-f]{24})$", text).group(1)
            with open(os.path.join(d, "proxy-users.passwd")) as f:
                line = f.read()
            self.assertRegex(line, r"^%s:\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]+\n$" % user)
            self.assertNotIn(password, line)
            with open(os.path.join(d, "squid.conf")) as f:  # ${dir}: the case's, or a scratch one
                self.assertRegex(f.read(), r"(?m)^auth_param basic program \S+/basic_ncsa_auth /\S+/proxy-users\.passwd$")
            creds[scn] = (user, password)
        with open(os.path.join(out, "cases", "squid", "fwd_auth_ok", "client-sent.txt")) as f:
            self.assertIn("Proxy-Authorization: Basic ", f.read())
        self.assertNotEqual(creds["fwd_auth_ok"], creds["fwd_auth_wrong"])
        return creds

    def test_every_case_has_its_own(self):
        first, second = self.run_once(1), self.run_once(2)
        self.assertEqual(set(first.values()) & set(second.values()), set())


if __name__ == "__main__":
    unittest.main()
