#!/usr/bin/env python3
"""`badup bench`: the load generator against `badup serve`. Closed loop on scenarios/ok.lua,
failures counted on scenarios/empty_reply.lua, open loop at a fixed rate, the --out files,
SIGINT mid-run, upstream attempts read from the simulator (--upstream-admin), POST loads (the
bytes a server receives, checked on the wire), usage errors. Bounds are generous (a loaded CI
machine, an ASan build)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import common

ASAN = "asan" in os.path.basename(common.BADUP)
MIN_RPS = 100 if ASAN else 1000  # the ASan build is several times slower


def setUpModule():
    common.require_binary()


def parse_summary(text):
    out = {}
    m = re.search(r"^requests: (\d+) \((\d+) responses, (\d+) failures\)$", text, re.M)
    assert m, text
    out["requests"], out["responses"], out["failures"] = map(int, m.groups())
    m = re.search(r"^requests/s: ([0-9.]+)$", text, re.M)
    assert m, text
    out["rps"] = float(m.group(1))
    m = re.search(r"^duration: ([0-9.]+) s$", text, re.M)
    out["duration"] = float(m.group(1))
    m = re.search(r"^status:(.*)$", text, re.M)
    out["status"] = dict((k, int(v)) for k, v in re.findall(r"(\S+)=(\d+)", m.group(1)))
    m = re.search(r"^latency \(ms\): p50=([0-9.]+) p90=([0-9.]+) p99=([0-9.]+) p99\.9=([0-9.]+) max=([0-9.]+)$",
                  text, re.M)
    if out["responses"] == 0:  # no latency to give: says so instead of a row of zeros
        assert not m and re.search(r"^latency \(ms\): none \(no response\)$", text, re.M), text
        out["latency"] = None
        return out
    assert m, text
    out["latency"] = [float(x) for x in m.groups()]
    return out


class RecordingServer:
    """A keep-alive HTTP/1.1 server on a kernel port that keeps the exact bytes of every
    request it reads (framed by Content-Length) and answers each with 200 "ok", or with no
    body at all to HEAD when `head_length` announces one (as RFC 9110 allows)."""

    def __init__(self, test):
        self.requests = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closing = False
        threading.Thread(target=self.accept, daemon=True).start()
        test.addCleanup(self.close)

    def close(self):
        self.closing = True
        self.sock.close()

    def accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        buf = b""
        with conn:
            try:
                while True:
                    while b"\r\n\r\n" not in buf:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    head, _, _ = buf.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    total = len(head) + 4 + length
                    while len(buf) < total:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    with self.lock:
                        self.requests.append(buf[:total])
                    buf = buf[total:]
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" +
                                 (b"" if head.startswith(b"HEAD ") else b"ok"))
            except OSError:
                return


class Bench(unittest.TestCase):

    def bench(self, url, *args, timeout=60):
        p = subprocess.run([common.BADUP, "bench", "--url", url] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        err = p.stderr.decode("utf-8", "replace")
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        return p.returncode, p.stdout.decode(), err

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-bench-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_closed_loop_ok(self):
        srv = common.start_server(self, common.scenario_path("ok"))
        out = self.tmpdir()
        rc, text, err = self.bench(srv.url("/"), "--connections", "10", "--duration", "2", "--out", out)
        self.assertEqual(rc, 0, err)
        s = parse_summary(text)
        self.assertGreater(s["rps"], MIN_RPS, text)
        self.assertEqual(s["failures"], 0, text)
        self.assertEqual(s["status"], {"200": s["responses"]}, text)
        self.assertAlmostEqual(s["duration"], 2.0, delta=0.5)
        lat = s["latency"]
        self.assertEqual(lat, sorted(lat), text)
        self.assertGreater(lat[0], 0)
        # summary.json agrees with stdout
        with open(os.path.join(out, "summary.json")) as f:
            j = json.load(f)
        self.assertEqual(j["mode"], "closed")
        self.assertEqual((j["method"], j["body_bytes"]), ("GET", None))
        self.assertEqual(j["connections"], 10)
        self.assertEqual(j["responses"], s["responses"])
        self.assertEqual(j["requests"], s["requests"])
        self.assertEqual(j["status"], {"200": s["responses"]})
        self.assertFalse(j["interrupted"])
        self.assertAlmostEqual(j["requests_per_s"], s["rps"], delta=0.01)
        for k in ("p50", "p90", "p99", "p99.9", "max", "min", "mean"):
            self.assertIn(k, j["latency_ms"])
        self.assertAlmostEqual(j["latency_ms"]["p99"], lat[2], delta=0.001)
        # latency.dat: "percentile latency_ms", comments with '#', non-decreasing, 0..100
        rows = []
        with open(os.path.join(out, "latency.dat")) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                pct, ms = line.split()
                rows.append((float(pct), float(ms)))
        self.assertGreaterEqual(len(rows), 10)
        self.assertEqual(rows[0][0], 0)
        self.assertEqual(rows[-1][0], 100)
        self.assertEqual([r[1] for r in rows], sorted(r[1] for r in rows))
        self.assertAlmostEqual(rows[-1][1], j["latency_ms"]["max"], delta=0.001)
        self.assertIn((50.0, round(j["latency_ms"]["p50"], 6)), [(p, round(m, 6)) for p, m in rows])
        self.assertGreaterEqual(len([r for r in rows if r[0] >= 99]), 8, "the tail has points of its own")
        # `badup plot` draws it (gnuplot is required under CI=true: scripts/install-deps.sh test)
        if shutil.which("gnuplot") or os.environ.get("CI", "").lower() == "true":
            p = subprocess.run([common.BADUP, "plot", out], capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertGreater(os.path.getsize(os.path.join(out, "latency_percentiles.svg")), 1000)

    def test_empty_reply_counts_closed(self):
        srv = common.start_server(self, common.scenario_path("empty_reply"))
        rc, text, err = self.bench(srv.url("/"), "--connections", "4", "--duration", "2")
        # Not a single response: the summary is printed, and the exit code says it failed.
        self.assertEqual(rc, 1, err)
        self.assertIn("no response from", err)
        self.assertIn("every request failed", err)
        s = parse_summary(text)
        self.assertEqual(s["responses"], 0, text)
        self.assertGreater(s["status"].get("closed", 0), 50, text)
        self.assertEqual(set(s["status"]), {"closed"}, text)
        self.assertEqual(s["rps"], 0)
        self.assertIn("latency (ms): none (no response)", text)

    def test_refused_is_counted(self):
        # A port the kernel gave us and we closed again: nothing listens there.
        import socket
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        rc, text, err = self.bench("http://127.0.0.1:%d/" % port, "--connections", "2", "--duration", "1")
        self.assertEqual(rc, 1, err)
        self.assertIn("every connection was refused (is anything listening there?)", err)
        s = parse_summary(text)
        self.assertGreater(s["status"].get("refused", 0), 0, text)
        self.assertEqual(s["responses"], 0)
        self.assertNotIn("p50=0.000", text)

    def test_open_loop_rate(self):
        srv = common.start_server(self, common.scenario_path("ok"))
        out = self.tmpdir()
        rc, text, err = self.bench(srv.url("/"), "--connections", "10", "--duration", "2", "--rate", "500",
                                   "--out", out)
        self.assertEqual(rc, 0, err)
        s = parse_summary(text)
        self.assertEqual(s["failures"], 0, text)
        self.assertTrue(800 <= s["responses"] <= 1200, text)
        self.assertTrue(400 <= s["rps"] <= 600, text)
        with open(os.path.join(out, "summary.json")) as f:
            j = json.load(f)
        self.assertEqual(j["mode"], "open")
        self.assertEqual(j["rate"], 500)
        # A request falls due while all 10 connections are busy only when the machine stalls
        # (a loaded CI box, the ASan build): a handful at most, never a real backlog.
        self.assertLessEqual(j["not_sent"], 10, j)
        m = re.search(r"target rate: 500\.00 requests/s \((\d+) due but not sent", text)
        self.assertIsNotNone(m, text)
        self.assertLessEqual(int(m.group(1)), 10, text)

    def test_sigint_keeps_the_summary(self):
        srv = common.start_server(self, common.scenario_path("ok"))
        out = self.tmpdir()
        p = subprocess.Popen([common.BADUP, "bench", "--url", srv.url("/"), "--connections", "4",
                              "--duration", "30", "--out", out],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.0)
            p.send_signal(signal.SIGINT)
            stdout, stderr = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        self.assertEqual(p.returncode, 0, stderr.decode())
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, stderr.decode("utf-8", "replace"))
        text = stdout.decode()
        self.assertIn("(interrupted)", text)
        s = parse_summary(text)
        self.assertLess(s["duration"], 5)
        self.assertGreater(s["responses"], 0)
        with open(os.path.join(out, "summary.json")) as f:
            j = json.load(f)
        self.assertTrue(j["interrupted"])
        self.assertEqual(j["responses"], s["responses"])
        self.assertTrue(os.path.getsize(os.path.join(out, "latency.dat")) > 0)

    def test_upstream_attempts(self):
        """--upstream-admin: the simulator's request count before and after the load. Without a
        proxy in between every client request is one upstream attempt; a request still in
        flight when the load stops was received but not answered, so at most one per
        connection more."""
        srv = common.start_server(self, common.scenario_path("ok"))
        admin = "%s:%d" % srv.admin_addr
        before = srv.get("/stats")["requests"]
        self.assertEqual(before, 0)
        out = self.tmpdir()
        rc, text, err = self.bench(srv.url("/"), "--connections", "4", "--duration", "1", "--upstream-admin", admin,
                                   "--out", out)
        self.assertEqual(rc, 0, err)
        s = parse_summary(text)
        with open(os.path.join(out, "summary.json")) as f:
            j = json.load(f)
        received = srv.get("/stats")["requests"]
        # bench reads /stats when its load ends; a request of each of its 4 connections may
        # still be in flight then, and counted by the upstream only after.
        self.assertGreaterEqual(received, j["upstream_attempts"], j)
        self.assertLessEqual(received, j["upstream_attempts"] + 4, j)
        self.assertGreaterEqual(j["upstream_attempts"], s["requests"] - 4, j)
        self.assertGreaterEqual(received, s["requests"])
        self.assertLessEqual(received, s["requests"] + 4)
        m = re.search(r"^upstream attempts: (\d+) \(([0-9.]+) per client request\) on (\d+) upstream connections$",
                      text, re.M)
        self.assertIsNotNone(m, text)
        self.assertEqual(int(m.group(1)), j["upstream_attempts"])
        self.assertEqual(int(m.group(3)), 4)  # keep-alive: one upstream connection per client connection
        self.assertEqual(j["upstream_connections"], 4)
        self.assertAlmostEqual(j["upstream_attempts_per_request"], j["upstream_attempts"] / s["requests"], delta=1e-6)
        self.assertEqual(sorted(os.listdir(out)), ["latency.dat", "summary.json"])  # no temporary left
        # Without the option the field is there, and null.
        rc, text, err = self.bench(srv.url("/"), "--duration", "0.2", "--out", out)
        with open(os.path.join(out, "summary.json")) as f:
            j = json.load(f)
        self.assertIsNone(j["upstream_attempts"])
        self.assertIsNone(j["upstream_connections"])
        self.assertNotIn("upstream attempts", text)

    def test_upstream_admin_errors(self):
        srv = common.start_server(self, common.scenario_path("ok"))
        data = "%s:%d" % srv.addr
        for addr, why in (("10.1.2.3:80", b"loopback"), ("127.0.0.1", b"HOST:PORT"), ("127.0.0.1:0", b"port"),
                          ("https://127.0.0.1:5", b"http://"), ("127.0.0.1:5/stats", b"no path"),
                          (data, b"no \"requests\" count")):
            rc, text, err = self.bench(srv.url("/"), "--duration", "0.2", "--upstream-admin", addr)
            self.assertEqual(rc, 2, (addr, text, err))
            self.assertIn(why, err.encode(), addr)
            self.assertNotIn("requests/s", text)  # refused before any load
        # A control API that is not there: a clear error, no load.
        with socket.socket() as s:  # a port the kernel gave and nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rc, text, err = self.bench(srv.url("/"), "--duration", "0.2", "--upstream-admin", "127.0.0.1:%d" % port)
        self.assertEqual(rc, 2, err)
        self.assertIn("--upstream-admin: http://127.0.0.1:%d/stats" % port, err)

    def test_post_on_the_wire(self):
        """--method, --header (repeatable) and --body @FILE: every request the server reads
        is exactly these bytes, the body framed by its Content-Length, on keep-alive
        connections (many requests per connection)."""
        srv = RecordingServer(self)
        d = self.tmpdir()
        body = b"a=1&b=\x00\xff\r\n\r\nGET / HTTP/1.1\r\n"  # bytes that would break any other framing
        with open(os.path.join(d, "body.bin"), "wb") as f:
            f.write(body)
        url = "http://127.0.0.1:%d/submit?x=1" % srv.port
        rc, text, err = self.bench(url, "--connections", "2", "--duration", "0.5", "--method", "POST",
                                   "--header", "Content-Type: application/x-www-form-urlencoded",
                                   "--header", "X-Trace:  t-1 ", "--body", "@" + os.path.join(d, "body.bin"))
        self.assertEqual(rc, 0, err)
        s = parse_summary(text)
        self.assertEqual(s["failures"], 0, text)
        self.assertGreater(s["responses"], 10, text)
        want = (b"POST /submit?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: badup-bench\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nX-Trace: t-1\r\n"
                b"Content-Length: %d\r\n\r\n" % (srv.port, len(body))) + body
        with srv.lock:
            got = list(srv.requests)
        self.assertGreaterEqual(len(got), s["responses"])
        self.assertEqual(set(got), {want})
        # A string body, a Host of our own, PUT; and HEAD, whose 200 announces a body it never sends.
        srv.requests.clear()
        rc, text, err = self.bench(url, "--duration", "0.3", "--connections", "1", "--method", "PUT",
                                   "--header", "Host: app.example", "--body", "{\"k\": 1}")
        self.assertEqual(rc, 0, err)
        with srv.lock:
            # bench's Host gives way to the --header's, which comes in the order of the options
            self.assertEqual(set(srv.requests), {b"PUT /submit?x=1 HTTP/1.1\r\nUser-Agent: badup-bench\r\n"
                                                 b"Host: app.example\r\nContent-Length: 8\r\n\r\n{\"k\": 1}"})
        rc, text, err = self.bench(url, "--duration", "0.3", "--connections", "1", "--method", "HEAD",
                                   "--timeout", "1")
        self.assertEqual(rc, 0, err)
        s = parse_summary(text)
        self.assertEqual(s["failures"], 0, text)
        self.assertGreater(s["responses"], 10, text)

    def test_post_through_the_simulator(self):
        """The simulator reads each POST's body and keeps the connection: as many upstream
        requests as client requests, one upstream connection per client connection."""
        srv = common.start_server(self, common.scenario_path("ok"))
        out = self.tmpdir()
        rc, text, err = self.bench(srv.url("/"), "--connections", "2", "--duration", "0.5", "--method", "POST",
                                   "--body", "x" * 5000, "--out", out)
        self.assertEqual(rc, 0, err)
        with open(os.path.join(out, "summary.json")) as f:
            j = json.load(f)
        self.assertEqual((j["method"], j["body_bytes"]), ("POST", 5000))
        s = parse_summary(text)
        self.assertEqual(s["failures"], 0, text)
        self.assertEqual(s["status"], {"200": s["responses"]}, text)
        self.assertGreater(s["rps"], MIN_RPS / 10, text)

    def test_request_usage_errors(self):
        d = self.tmpdir()
        big = os.path.join(d, "big")
        with open(big, "wb") as f:
            f.truncate(16 * 1024 * 1024 + 1)
        url = "http://127.0.0.1:1/"
        for args, why in ((["--method", "GE T"], b"--method"), (["--method", ""], b"--method"),
                          (["--method", "CONNECT"], b"CONNECT"), (["--header", "NoColon"], b"Name: value"),
                          (["--header", "Bad Name: v"], b"token"), (["--header", "X: a\r\nY: b"], b"control"),
                          (["--header", "Content-Length: 3"], b"Content-Length from --body"),
                          (["--header", "transfer-encoding: chunked"], b"frames the body"),
                          (["--body", "@" + os.path.join(d, "nope")], b"--body @"),
                          (["--body", "@" + big], b"more than"),
                          (["--body", "@" + d], b"is a directory"),
                          (["--body", "@/dev/null"], b"not a regular file")):
            rc, text, err = self.bench(url, "--duration", "0.2", *args)
            self.assertEqual(rc, 2, (args, text, err))
            self.assertIn(why, err.encode(), args)
            self.assertNotIn("requests/s", text)
        p = common.run_badup(["bench", "--help"])
        for opt in (b"--method", b"--header", b"--body"):
            self.assertIn(opt, p.stdout)

    def test_usage_errors(self):
        for args in (["bench"], ["bench", "--url", "http://example.com/"],
                     ["bench", "--url", "http://10.0.0.1:80/"], ["bench", "--url", "https://127.0.0.1/"],
                     ["bench", "--url", "http://127.0.0.1:1/", "--duration", "3601"],
                     ["bench", "--url", "http://127.0.0.1:1/", "--duration", "0"],
                     ["bench", "--url", "http://127.0.0.1:1/", "--connections", "0"],
                     ["bench", "--url", "http://127.0.0.1:1/", "--rate", "-1"],
                     ["bench", "--url", "http://127.0.0.1:1/", "--bogus"]):
            p = common.run_badup(args)
            self.assertEqual(p.returncode, 2, (args, p.stdout, p.stderr))
            self.assertIn(b"badup bench:", p.stderr)
        p = common.run_badup(["bench", "--url", "http://example.com/"])
        self.assertIn(b"loopback", p.stderr)
        p = common.run_badup(["bench", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"--connections", p.stdout)


if __name__ == "__main__":
    unittest.main()
