"""Several upstreams in the proxy definitions (docs/proxies.md, "Several upstreams").

- Every installed proxy whose definition takes more than one upstream (`badup list`:
  upstreams=N) is rendered with two (`badup proxy render --upstreams`), and its own checker
  (the `check:` line) accepts the files; a proxy without a checker is started and must
  listen.
- A proxy that takes one upstream refuses to render two, saying so; a case of a scenario
  with two upstreams is skipped for it, with why, and runs through the ones that take two.
- haproxy and nginx for real: two upstreams on raw sockets, the first resets every
  connection right after reading the request, the second answers 200. With --retries the
  client gets 200 and the second upstream got the request; without, the client gets 502 and
  the second got nothing. Five times each: the outcome must not vary. The other proxies that
  take two, twice each, with what each does (EXPECT); and apache2's and lighttpd's answer to a
  first upstream that refuses connections.

Runs standalone: BADUP=build/badup python3 tests/e2e/test_proxy_upstreams.py
"""

import functools
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import BADUP, REPO, require_binary  # noqa: E402

RUNS = 5


# one badup run to completion (common.badup_text)
badup = functools.partial(common.badup_text, timeout=60)


def listed():
    """{name: (installed, upstreams)} from `badup list`."""
    p = badup(["list"])
    if p.returncode != 0:
        raise RuntimeError("badup list failed:\n" + p.stderr)
    out = {}
    for m in re.finditer(r"(?m)^  (\S+)\s+(installed|not installed)\s+\S+\s+upstreams=(\d+)\s", p.stdout):
        out[m.group(1)] = (m.group(2) == "installed", int(m.group(3)))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(name, ports, d, retries=False):
    """badup proxy render NAME --upstreams ...: {key: value} of its output lines."""
    args = ["proxy", "render", name, "--upstreams", ",".join(str(p) for p in ports), "--dir", d]
    if retries:
        args.append("--retries")
    p = badup(args)
    if p.returncode != 0:
        raise AssertionError("render %s failed (exit %d):\n%s" % (name, p.returncode, p.stderr))
    lines = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition(": ")
        lines.setdefault(k, v)
    return lines


def listening(port):
    """Is a socket listening on 127.0.0.1:port (the kernel's table: no connection made)?"""
    want = ":%04X" % port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for row in f.readlines()[1:]:
                    cols = row.split()
                    if cols[1].endswith(want) and cols[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Upstream:
    """A raw-socket origin server on a kernel port: `reset` ends each connection with a RST
    once the request's head is read; else answers 200 "ok". Counts the requests it read."""

    def __init__(self, reset):
        self.reset = reset
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.done = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.one, args=(conn,), daemon=True).start()

    def one(self, conn):
        conn.settimeout(10)
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                with self.lock:
                    self.requests += 1
                if self.reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.done = True
        self.sock.close()
        self.thread.join(timeout=5)


def get(port, path):
    """GET through the proxy on a fresh connection: the status, or None when none came."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % port)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.proxies = listed()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-ups-")
        self.addCleanup(shutil.rmtree, self.tmp, True)


class RenderedWithTwo(Base):
    def test_the_list_says_how_many_each_takes(self):
        self.assertTrue(self.proxies, "badup list shows no proxy with upstreams=N")
        for name in ("haproxy", "nginx"):
            self.assertIn(name, self.proxies)
            self.assertGreater(self.proxies[name][1], 1, name)
        for name in ("tinyproxy", "squid"):
            if name in self.proxies:
                self.assertEqual(self.proxies[name][1], 1, name)

    def test_the_docs_table_says_what_the_list_says(self):
        with open(os.path.join(REPO, "docs", "proxies.md")) as f:
            text = f.read()
        body = text.split("\n## Several upstreams", 1)[1].split("\n## ", 1)[0]
        documented = {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^\| (\S+) \| (\d) \|", body)}
        self.assertEqual(documented, {n: ups for n, (_, ups) in self.proxies.items()})

    def test_every_installed_proxy_that_takes_two_passes_its_own_check(self):
        names = [n for n, (inst, ups) in sorted(self.proxies.items()) if inst and ups > 1]
        if not names:
            self.skipTest("no installed proxy takes two upstreams")
        for name in names:
            for retries in (False, True):
                with self.subTest(proxy=name, retries=retries):
                    d = os.path.join(self.tmp, "%s-%d" % (name, retries))
                    ports = [free_port(), free_port()]
                    out = render(name, ports, d, retries)
                    self.assertEqual(out.get("upstreams"), " ".join("127.0.0.1:%d" % p for p in ports))
                    if "check" in out:
                        env = dict(os.environ, TMPDIR=d)
                        p = subprocess.run(["sh", "-c", out["check"]], capture_output=True, text=True,
                                           errors="replace", timeout=60, env=env, start_new_session=True)
                        self.assertEqual(p.returncode, 0, "%s's check refused it:\n%s%s" % (name, p.stdout, p.stderr))
                    else:
                        self.starts_and_listens(name, out)

    def starts_and_listens(self, name, out):
        port = int(out["port"])
        proc = subprocess.Popen(["sh", "-c", out["command"]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while not listening(port) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(listening(port), "%s did not listen on %d (exit %s)" % (name, port, proc.poll()))
        finally:
            stop(proc)

    def test_a_proxy_that_takes_one_refuses_two(self):
        ones = [n for n, (_, ups) in sorted(self.proxies.items()) if ups == 1]
        if not ones:
            self.skipTest("every proxy takes several upstreams")
        p = badup(["proxy", "render", ones[0], "--upstreams", "1001,1002", "--dir", os.path.join(self.tmp, "x")])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s sends to one upstream only" % ones[0], p.stderr)

    def test_one_upstream_in_a_list_is_refused_by_the_options(self):
        p = badup(["proxy", "render", "nginx", "--upstreams", "1001", "--dir", os.path.join(self.tmp, "x")])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--upstreams wants", p.stderr)


MY_NGINX = """\
daemon off;
worker_processes 1;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy_temp;
    fastcgi_temp_path ${dir}/fastcgi_temp;
    uwsgi_temp_path ${dir}/uwsgi_temp;
    scgi_temp_path ${dir}/scgi_temp;
    upstream app {
        ${upstream_servers}
    }
    server {
        listen 127.0.0.1:${proxy_port};
        location / { proxy_pass http://app; %s}
    }
}
"""


class UsersConfig(Base):
    """A --proxy-config writes every upstream with ${upstream_servers}, as the shipped one."""

    def run_with(self, extra):
        if not self.proxies.get("nginx", (False, 0))[0]:
            self.skipTest("nginx is not installed (make test installs it)")
        cfg = os.path.join(self.tmp, "my.conf")
        with open(cfg, "w") as f:
            f.write(MY_NGINX % extra)
        out = os.path.join(self.tmp, "out")
        os.makedirs(os.path.join(self.tmp, "ref"), exist_ok=True)
        return badup(["run", "--proxy", "nginx", "--scenario", "ok", "--proxy-config", cfg, "--reference",
                      os.path.join(self.tmp, "ref"), "--out", out], timeout=120)

    def test_a_config_with_upstream_servers_passes_the_checks_and_runs(self):
        p = self.run_with("")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.tmp, "out", "cases", "nginx", "ok", "nginx.conf")) as f:
            self.assertRegex(f.read(), r"upstream app \{\n        server 127\.0\.0\.1:\d+;\n    \}")

    def test_its_other_targets_are_still_judged(self):
        p = self.run_with("mirror /m; } location /m { proxy_pass http://10.0.0.5:8080; ")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("sends to http://10.0.0.5:8080, not the case's simulator", p.stderr)


TWO_UPSTREAMS = """\
return scenario {
  summary = "the first upstream resets after the request, the second answers",
  expect  = ctx.retries and 200 or 502,
  upstreams = {
    { plan = { rxreq(), reset() } },
    { plan = { rxreq(), txresp { body = "second" } } },
  },
}
"""


class CasesWithTwoUpstreams(Base):
    """badup run: a scenario with two upstreams runs through the proxies that take them, and
    is skipped, with why, for one that takes one."""

    def run_cases(self, retries):
        for name in ("haproxy", "nginx", "tinyproxy"):
            if not self.proxies.get(name, (False, 0))[0]:
                self.skipTest("%s is not installed (make test installs it)" % name)
        scn = os.path.join(self.tmp, "scenarios")
        os.makedirs(scn)
        with open(os.path.join(scn, "failover_reset.lua"), "w") as f:
            f.write(TWO_UPSTREAMS)
        ref, out = os.path.join(self.tmp, "ref"), os.path.join(self.tmp, "out")
        os.makedirs(ref)
        args = ["run", "--scenarios", scn, "--proxy", "haproxy,nginx,tinyproxy", "--reference", ref, "--out", out]
        p = badup(args + (["--retries"] if retries else []), timeout=240)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            cases = {c["proxy"]: c for c in json.load(f)["cases"]}
        return out, cases

    def test_with_retries_the_second_answers(self):
        out, cases = self.run_cases(True)
        for name in ("haproxy", "nginx"):
            self.assertEqual((cases[name]["got"], cases[name]["verdict"]), ("200", "pass"), cases[name])
        with open(os.path.join(out, "cases", "nginx", "failover_reset", "nginx.conf")) as f:
            self.assertEqual(len(re.findall(r"(?m)^        server 127\.0\.0\.1:\d+;$", f.read())), 2)
        tiny = cases["tinyproxy"]
        self.assertEqual((tiny["got"], tiny["verdict"]), ("skipped", "skipped"))
        self.assertEqual(tiny["reason"], "tinyproxy sends to one upstream only (ReversePath maps a path to one URL)")

    def test_without_retries_the_first_one_is_the_answer(self):
        _, cases = self.run_cases(False)
        for name in ("haproxy", "nginx"):
            self.assertEqual((cases[name]["got"], cases[name]["verdict"]), ("502", "pass"), cases[name])
        self.assertEqual(cases["tinyproxy"]["verdict"], "skipped")


class FailoverOnTheWire(Base):
    """The first upstream resets, the second answers: the proxy's retries decide."""

    # what the client gets, and whether the second upstream got the request: what each
    # proxy does (apache2 fails over on a failed connect only, lighttpd never re-sends)
    EXPECT = {
        ("haproxy", True): (200, True),
        ("haproxy", False): (502, False),
        ("nginx", True): (200, True),
        ("nginx", False): (502, False),
        ("apache2", True): (502, False),
        ("apache2", False): (502, False),
        ("caddy", True): (200, True),
        ("caddy", False): (502, False),
        ("lighttpd", True): (500, False),
        ("lighttpd", False): (500, False),
        ("node", True): (200, True),
        ("node", False): (502, False),
        ("varnish", True): (200, True),
        ("varnish", False): (503, False),
    }
    # haproxy and nginx five times each; the others twice (their start-up is slower)
    RUNS = {"haproxy": RUNS, "nginx": RUNS}

    def run_proxy(self, name, retries):
        if not self.proxies.get(name, (False, 0))[0]:
            self.skipTest("%s is not installed (make test installs it)" % name)
        if self.proxies[name][1] < 2:
            self.skipTest("%s takes one upstream" % name)
        want_status, want_second = self.EXPECT[(name, retries)]
        for run in range(self.RUNS.get(name, 2)):
            first, second = Upstream(reset=True), Upstream(reset=False)
            d = os.path.join(self.tmp, "%s-%d-%d" % (name, retries, run))
            out = render(name, [first.port, second.port], d, retries)
            port = int(out["port"])
            proc = subprocess.Popen(["sh", "-c", out["command"]], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                deadline = time.monotonic() + 30
                while not listening(port) and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                self.assertTrue(listening(port), "%s did not listen" % name)
                status = get(port, "/failover/%d" % run)
            finally:
                stop(proc)
                first.close()
                second.close()
            self.assertEqual(status, want_status, "%s retries=%s run %d" % (name, retries, run + 1))
            self.assertEqual(first.requests >= 1, True, "the first upstream got no request (run %d)" % (run + 1))
            if want_second:
                self.assertEqual(second.requests, 1, "run %d" % (run + 1))
            else:
                self.assertEqual(second.requests, 0, "run %d" % (run + 1))

    def test_every_other_proxy_as_it_is(self):
        for name in ("apache2", "caddy", "lighttpd", "node", "varnish"):
            for retries in (True, False):
                with self.subTest(proxy=name, retries=retries):
                    if not self.proxies.get(name, (False, 0))[0]:
                        continue
                    self.run_proxy(name, retries)

    def test_a_refused_first_upstream(self):
        """Nothing listens on the first: two requests, one after the other."""
        want = {("apache2", True): [200, 200], ("apache2", False): [503, 200],
                ("lighttpd", True): [200, 200], ("lighttpd", False): [200, 200]}
        for (name, retries), statuses in sorted(want.items()):
            with self.subTest(proxy=name, retries=retries):
                if not self.proxies.get(name, (False, 0))[0]:
                    continue
                second = Upstream(reset=False)
                d = os.path.join(self.tmp, "refused-%s-%d" % (name, retries))
                out = render(name, [free_port(), second.port], d, retries)
                port = int(out["port"])
                proc = subprocess.Popen(["sh", "-c", out["command"]], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
                try:
                    deadline = time.monotonic() + 30
                    while not listening(port) and proc.poll() is None and time.monotonic() < deadline:
                        time.sleep(0.02)
                    got = [get(port, "/refused/%d" % i) for i in range(2)]
                finally:
                    stop(proc)
                    second.close()
                self.assertEqual(got, statuses)
                self.assertEqual(second.requests, statuses.count(200))

    def test_haproxy_with_retries_goes_to_the_second(self):
        self.run_proxy("haproxy", True)

    def test_haproxy_without_retries_answers_502(self):
        self.run_proxy("haproxy", False)

    def test_nginx_with_retries_goes_to_the_second(self):
        self.run_proxy("nginx", True)

    def test_nginx_without_retries_answers_502(self):
        self.run_proxy("nginx", False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
