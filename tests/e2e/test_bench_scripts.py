#!/usr/bin/env python3
"""The benchmark scenarios and scripts, checked from outside.

- bench/scenarios/latency.lua and fault_mix.lua on the wire: the stall before the answer,
  keep-alive after it, the RST or FIN without a byte, and load errors with file and line.
- bench/fault_sweep.sh, bench/latency_sweep.sh and bench/capacity.sh, run short (1 s points)
  through haproxy (and nginx as capacity's reference upstream): the .dat files' rows and
  figures, valid SVG beside them, no temporary file left, and no process of theirs left when
  they end; interrupted with SIGINT, they still write and draw what was measured (exit 130).
- bench/h2.sh, run short (0.5 s per row, one round): the report's targets, answers and figures
  for every h2load row and server, no process or temporary folder left; SIGTERM mid-run stops
  everything it started (exit 143).

The script tests need haproxy and nginx (scripts/install-deps.sh test installs them) and
gnuplot, the h2.sh tests nghttpd, h2load, nghttp and curl (h2o is measured when installed);
without them they are skipped, except with CI=true, where that is a failure.
Standard library only."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import common

REPO = common.REPO
BENCH = os.path.join(REPO, "bench")
IN_CI = os.environ.get("CI", "").lower() == "true"
PATH = os.environ.get("PATH", "") + ":/usr/sbin"
MISSING = [t for t in ("haproxy", "nginx", "gnuplot") if not shutil.which(t, path=PATH)]
H2_MISSING = [t for t in ("nghttpd", "h2load", "nghttp", "curl") if not shutil.which(t, path=PATH)]


def setUpModule():
    common.require_binary()


def bench_scenario(name):
    return os.path.join(BENCH, "scenarios", name + ".lua")


def dat_rows(path):
    with open(path) as f:
        return [l.split() for l in f if l.strip() and not l.startswith("#")]


def session_members(sid):
    """PIDs of live processes in session sid (from /proc), zombies excluded."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(d))
    return pids


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


class LatencyScenario(unittest.TestCase):
    """bench/scenarios/latency.lua: a stall drawn per request, then 200 ok, keep-alive."""

    def test_fixed_latency_then_keepalive(self):
        srv = common.start_server(self, bench_scenario("latency"), fast=False,
                                  args=["--set", "latency_ms=150", "--set", "distribution=fixed"])
        with srv.connect() as s:
            for _ in range(2):  # the second request on the same connection waits again
                t0 = time.monotonic()
                s.sendall(common.request_bytes("/"))
                r = common.read_to_end(s, timeout=5, quiet=0.5 * common.TIME_FACTOR + 0.15)
                self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK\r\n"), r)
                self.assertTrue(r.data.endswith(b"\r\n\r\nok\n"), r)
                self.assertEqual(r.end, "open", r)  # keep-alive: no FIN after the answer
                self.assertGreaterEqual(r.first_byte, 0.15, r)
                self.assertLess(time.monotonic() - t0, 0.15 + 3 * common.TIME_FACTOR)

    def test_zero_latency_answers_at_once(self):
        srv = common.start_server(self, bench_scenario("latency"), fast=False)
        r = srv.exchange(common.request_bytes("/", close=True))
        self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK\r\n"), r)
        self.assertLess(r.first_byte, 1.0 * common.TIME_FACTOR)

    def test_uniform_latency_stays_within_twice_the_mean(self):
        srv = common.start_server(self, bench_scenario("latency"), fast=False,
                                  args=["--set", "latency_ms=40", "--set", "distribution=uniform"])
        for _ in range(5):
            r = srv.exchange(common.request_bytes("/", close=True))
            self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK\r\n"), r)
            self.assertLess(r.first_byte, 0.08 + 2 * common.TIME_FACTOR)

    def test_bad_settings_are_load_errors(self):
        for setting, want in (("distribution=pareto", b"ctx.distribution must be"),
                              ("latency_ms=-5", b"ctx.latency_ms must be")):
            p = common.run_badup(["serve", "--listen", "127.0.0.1:0", "--set", setting, bench_scenario("latency")])
            self.assertEqual(p.returncode, 2, (setting, p.stderr))
            self.assertIn(b"latency.lua:", p.stderr)
            self.assertIn(want, p.stderr)


class FaultMixScenario(unittest.TestCase):
    """bench/scenarios/fault_mix.lua at fault_rate 1 (every request) and 0 (none)."""

    def serve(self, *settings):
        args = []
        for s in settings:
            args += ["--set", s]
        return common.start_server(self, bench_scenario("fault_mix"), fast=False, args=args)

    def test_reset(self):
        r = self.serve("fault_rate=1", "fault=reset").exchange(common.request_bytes("/"))
        self.assertEqual((r.end, r.data), ("reset", b""), r)

    def test_close(self):
        r = self.serve("fault_rate=1", "fault=close").exchange(common.request_bytes("/"))
        self.assertEqual((r.end, r.data), ("fin", b""), r)

    def test_stall_outlasts_the_read_timeout(self):
        r = self.serve("fault_rate=1", "fault=stall", "read_timeout=0.2").exchange(common.request_bytes("/"),
                                                                                 timeout=10)
        self.assertEqual((r.end, r.data), ("fin", b""), r)
        self.assertGreaterEqual(r.elapsed, 1.2)  # read_timeout + 1 s of silence

    def test_no_fault(self):
        srv = self.serve("fault_rate=0")
        with srv.connect() as s:
            for _ in range(3):
                s.sendall(common.request_bytes("/"))
                r = common.read_to_end(s, timeout=5, quiet=0.3)
                self.assertEqual(r.end, "open", r)
                self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK\r\n") and r.data.endswith(b"ok\n"), r)

    def test_bad_fault_is_a_load_error(self):
        p = common.run_badup(["serve", "--listen", "127.0.0.1:0", "--set", "fault=boom", bench_scenario("fault_mix")])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(b"fault_mix.lua:", p.stderr)
        self.assertIn(b"ctx.fault must be", p.stderr)


@unittest.skipIf(MISSING and not IN_CI, "not installed: %s" % " ".join(MISSING))
class Scripts(unittest.TestCase):

    def setUp(self):
        if MISSING:
            self.fail("not installed in CI: %s (scripts/install-deps.sh test)" % " ".join(MISSING))
        self.out = tempfile.mkdtemp(prefix="badup-e2e-scripts-")
        self.addCleanup(shutil.rmtree, self.out, True)

    def run_script(self, name, env, timeout=240):
        """Runs bench/NAME in a session of its own; fails if a process of it outlives it."""
        e = dict(os.environ, BADUP=common.BADUP, PATH=PATH, TMPDIR=self.out, **env)
        p = subprocess.Popen(["sh", os.path.join(BENCH, name), os.path.join(self.out, "o")], env=e,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        err = err.decode("utf-8", "replace")
        self.stdout = out.decode("utf-8", "replace")
        left = session_members(p.pid)
        self.assertEqual(left, [], "processes of %s left behind" % name)
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        self.assertEqual(p.returncode, 0, err[-3000:])
        o = os.path.join(self.out, "o")
        self.assertEqual([n for n in os.listdir(o) if ".tmp" in n], [], "temporary files left in OUT")
        scratch = [n for n in os.listdir(self.out) if n.startswith("badup-")]
        self.assertEqual(scratch, [], "scratch folder not removed")
        return o, err

    def svg_ok(self, path, *texts):
        root = ET.parse(path).getroot()
        self.assertTrue(root.tag.endswith("svg"), root.tag)
        alltext = " ".join(el.text or "" for el in root.iter())
        for t in texts:
            self.assertIn(t, alltext, path)

    def test_fault_sweep_with_and_without_retries(self):
        o, err = self.run_script("fault_sweep.sh", {"PROXIES": "haproxy", "RATES": "0 0.5", "RETRIES": "0 1",
                                                    "FAULT": "reset", "DURATION": "1", "CONNECTIONS": "5"})
        rows = {(r[0], float(r[1])): r for r in dat_rows(os.path.join(o, "error_rate.dat"))}
        self.assertEqual(sorted(rows), [("haproxy", 0.0), ("haproxy", 0.5), ("haproxy+retries", 0.0),
                                        ("haproxy+retries", 0.5)])
        for key, r in rows.items():
            self.assertEqual(len(r), 7, r)
            requests, errors, attempts = int(r[3]), int(r[4]), int(r[6])
            self.assertGreater(requests, 20, r)
            self.assertAlmostEqual(float(r[2]), errors / requests, places=5)
            self.assertGreaterEqual(attempts, requests, r)  # upstream_attempts from --upstream-admin
        for series in ("haproxy", "haproxy+retries"):
            self.assertEqual(int(rows[(series, 0.0)][4]), 0, "no fault injected, no error")
        plain, retried = rows[("haproxy", 0.5)], rows[("haproxy+retries", 0.5)]
        self.assertTrue(0.3 < float(plain[2]) < 0.7, plain)  # every reset reaches the client as a 502
        self.assertLessEqual(int(plain[6]), int(plain[3]) + 5, plain)  # one attempt each (+ in flight)
        self.assertGreater(int(retried[6]) / int(retried[3]), 1.3, retried)  # haproxy retried...
        self.assertLess(float(retried[2]), float(plain[2]) / 2, retried)  # ...and hid most faults
        for point in ("haproxy-0", "haproxy+retries-0.5"):
            with open(os.path.join(o, point, "summary.json")) as f:
                self.assertIn("upstream_attempts", json.load(f))
        self.svg_ok(os.path.join(o, "error_rate.svg"), "haproxy", "haproxy+retries")

    def test_latency_sweep(self):
        o, err = self.run_script("latency_sweep.sh", {"PROXIES": "haproxy", "CONCURRENCY": "1 20",
                                                      "LATENCIES": "0 50", "DISTRIBUTION": "fixed",
                                                      "LAT_CONNECTIONS": "4", "DURATION": "1"})
        self.assertIn("1/2 concurrency", err)
        conc = dat_rows(os.path.join(o, "latency_concurrency.dat"))
        ups = dat_rows(os.path.join(o, "latency_upstream.dat"))
        self.assertEqual([(r[0], r[1], r[2]) for r in conc],
                         [("direct", "1", "0"), ("direct", "20", "0"), ("haproxy", "1", "0"), ("haproxy", "20", "0")])
        self.assertEqual([(r[0], r[1], r[2]) for r in ups],
                         [("direct", "4", "0"), ("direct", "4", "50"), ("haproxy", "4", "0"), ("haproxy", "4", "50")])
        for r in conc + ups:
            self.assertEqual(len(r), 13, r)
            self.assertTrue(1 <= int(r[12]) <= int(r[9]) + int(r[1]), r)  # upstream connections: keep-alive
            pcts = [float(x) for x in r[3:8]]
            self.assertEqual(pcts, sorted(pcts), r)  # p50 <= p90 <= p99 <= p99.9 <= max
            self.assertGreater(pcts[0], 0, r)
            self.assertGreater(float(r[8]), 0, r)  # requests/s
            self.assertEqual(r[10], "0", r)  # no errors
            self.assertEqual(r[11], "fixed", r)
        for r in ups:
            p50 = float(r[3])
            if r[2] == "50":  # every request waited the injected 50 ms, never less
                self.assertGreaterEqual(p50, 50.0, r)
                self.assertGreaterEqual(float(r[7]) - 0.001, 50.0, r)
                self.assertLess(p50, 50.0 + 1000 * common.TIME_FACTOR, r)
            else:
                self.assertLess(p50, 50.0, r)
        self.assertTrue(os.path.isfile(os.path.join(o, "latency", "haproxy-l50", "summary.json")))
        self.svg_ok(os.path.join(o, "latency_concurrency.svg"), "direct", "haproxy", "p99.9")
        self.svg_ok(os.path.join(o, "latency_upstream.svg"), "direct", "haproxy", "injected mean")

    def test_capacity(self):
        o, err = self.run_script("capacity.sh", {"PROXIES": "haproxy", "ROUNDS": "1", "DURATION": "1",
                                                 "CONNECTIONS": "10"})
        rows = dat_rows(os.path.join(o, "capacity.dat"))
        self.assertEqual([r[:2] for r in rows], [["haproxy", "badup"], ["haproxy", "nginx"]])
        for r in rows:
            self.assertGreater(float(r[2]), 50, r)
        self.assertIn("capacity: haproxy", self.stdout)
        self.assertIn("ratio badup/nginx", self.stdout)
        self.svg_ok(os.path.join(o, "capacity.svg"), "haproxy", "upstream: badup", "upstream: nginx")

    def test_sigint_keeps_what_was_measured(self):
        """Ctrl-C (SIGINT to the script's process group, as a terminal sends it) mid-point:
        badup bench stops its load and writes its summary, the script records that point,
        writes the .dat and draws it, stops every process it started, and exits 130."""
        e = dict(os.environ, BADUP=common.BADUP, PATH=PATH, TMPDIR=self.out, PROXIES="haproxy",
                 CONCURRENCY="5", LATENCIES="0", DURATION="60")
        o = os.path.join(self.out, "o")
        p = subprocess.Popen(["sh", os.path.join(BENCH, "latency_sweep.sh"), o], env=e, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        started = time.monotonic()
        try:
            common.poll_until(lambda: any(b"bench\0--url" in cmdline(pid) for pid in session_members(p.pid)),
                              timeout=20 * common.TIME_FACTOR, what="the sweep's first point under load")
            time.sleep(1.0)
            os.killpg(p.pid, signal.SIGINT)
            _, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        err = err.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 130, err)
        self.assertLess(time.monotonic() - started, 45, "the 60 s point was not cut short")
        self.assertIn("interrupted; keeping what was measured", err)
        self.assertEqual(session_members(p.pid), [])
        with open(os.path.join(o, "latency_concurrency.dat")) as f:
            text = f.read()
        self.assertIn("# interrupted", text)
        rows = dat_rows(os.path.join(o, "latency_concurrency.dat"))
        self.assertEqual([r[:3] for r in rows], [["direct", "5", "0"]])
        self.assertGreater(float(rows[0][8]), 0)  # requests/s of the cut-short point
        with open(os.path.join(o, "latency", "direct-c5", "summary.json")) as f:
            self.assertTrue(json.load(f)["interrupted"])
        self.assertFalse(os.path.exists(os.path.join(o, "latency_upstream.dat")))  # no point of it measured
        self.svg_ok(os.path.join(o, "latency_concurrency.svg"), "direct")
        self.assertEqual([n for n in os.listdir(o) if ".tmp" in n], [])
        self.assertEqual([n for n in os.listdir(self.out) if n.startswith("badup-")], [], "scratch folder left")


@unittest.skipIf(H2_MISSING and not IN_CI, "not installed: %s" % " ".join(H2_MISSING))
class H2Script(unittest.TestCase):
    """bench/h2.sh: badup serve scenarios/h2_ok.lua beside nghttpd (and h2o) under h2load."""

    ROWS = ("h2load -c 1 -m 1", "h2load -c 10 -m 10", "h2load -c 50 -m 10")

    def setUp(self):
        if H2_MISSING:
            self.fail("not installed in CI: %s (scripts/install-deps.sh test)" % " ".join(H2_MISSING))
        self.out = tempfile.mkdtemp(prefix="badup-e2e-h2-")
        self.addCleanup(shutil.rmtree, self.out, True)
        self.report = os.path.join(self.out, "h2.md")

    def start(self, *args):
        e = dict(os.environ, PATH=PATH, TMPDIR=self.out)
        return subprocess.Popen(["bash", os.path.join(BENCH, "h2.sh"), "--badup", common.BADUP, "--quiet-wait", "0",
                                 "--rounds", "1", "--out", self.report] + list(args), env=e,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)

    def finish(self, p, timeout):
        """Waits for the script; nothing of its session may outlive it, nor its scratch folder."""
        try:
            out, err = p.communicate(timeout=timeout)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.assertEqual(session_members(p.pid), [], "processes of h2.sh left behind")
        self.assertEqual([n for n in os.listdir(self.out) if n.startswith("badup-")], [], "scratch folder left")
        return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def check_report(self, text, subject, refs):
        """The report of one round: a target line per row and reference, every server's answer,
        and every row's figures, all of them consistent."""
        self.assertIn("## Target: %s at least 1.0x %s (one worker each, h2c)" % (subject, refs[0]), text)
        for row in self.ROWS:
            for i, ref in enumerate(refs):
                m = re.search(r"^\| %s \| %s \| \*\*(\d+\.\d{3})x\*\* \| (\d+\.\d{3}) \| (PASS|\*\*MISS\*\*|above|below) "
                              r"\| (\d+\.\d{3})x \| [\d.]+ \| [^|]+ \| (\d+) vs (\d+) req/s \|$"
                              % (re.escape(row), ref), text, re.M)
                self.assertIsNotNone(m, "no target line for %s against %s in:\n%s" % (row, ref, text))
                ratio, this_round, verdict, cpu_ratio = float(m[1]), float(m[2]), m[3], float(m[4])
                mine, theirs = int(m[5]), int(m[6])
                self.assertEqual(ratio, this_round)  # one round: its ratio is the median
                self.assertGreater(mine, 0)
                self.assertGreater(theirs, 0)
                self.assertAlmostEqual(ratio, mine / theirs, delta=0.01 + 2.0 / theirs)
                self.assertGreater(cpu_ratio, 0)
                if i == 0:
                    self.assertEqual(verdict, "PASS" if ratio >= 1.0 else "**MISS**")
                else:
                    self.assertEqual(verdict, "above" if ratio >= 1.0 else "below")
        for server in [subject] + refs:
            self.assertRegex(text, r"(?m)^\| %s \| HTTP/2 200 \| `o k \\n` \| [^|]+ \| [^|]+ \| "
                                   r"100 of 100 succeeded, 100 2xx \| same answer \|$" % server)
        for row in self.ROWS:
            section = text.split("### %s\n" % row, 1)[1].lstrip("\n").split("\n\n", 1)[0]
            lines = [l for l in section.splitlines() if l.startswith("| ") and not l.startswith("| server")]
            self.assertEqual(len(lines), 1 + len(refs), section)
            for line in lines:
                cells = [c.strip() for c in line.strip("|").split("|")]
                self.assertEqual(len(cells), 11, line)
                rate, requests = int(cells[1].strip("*")), int(cells[3])
                self.assertGreater(rate, 0, line)
                self.assertGreater(requests, 0, line)
                self.assertRegex(cells[4], r"^\d+%$", line)  # server CPU
                self.assertRegex(cells[7], r"^\d+$", line)  # requests per server CPU-second
                self.assertIn("0 failed, 0 errored, 0 timed out, 0 not 2xx", cells[10], line)
                self.assertRegex(cells[10], r"; \d+\.\d\d reads, \d+\.\d\d writes per request;", line)

    def test_short_run_reports_every_row_and_server(self):
        p = self.start("--duration", "500ms")
        out, err = self.finish(p, timeout=120)
        self.assertEqual(p.returncode, 0, err[-3000:])
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        with open(self.report) as f:
            text = f.read()
        self.assertEqual(out, text)  # the report printed is the report written
        refs = ["nghttpd"]
        if shutil.which("h2o", path=PATH) and "h2o not measured:" not in text:
            refs.append("h2o")
        self.check_report(text, "badup", refs)

    def test_sigterm_stops_every_process(self):
        p = self.start("--duration", "60", "--rows", "10x10", "--servers", "badup,nghttpd")
        started = time.monotonic()
        try:
            common.poll_until(lambda: any(b"h2load\0" in cmdline(pid) and b"-D\0" in cmdline(pid)
                                          for pid in session_members(p.pid)),
                              timeout=30 * common.TIME_FACTOR, what="h2.sh's first measured run")
            os.kill(p.pid, signal.SIGTERM)  # the script alone, not its process group
        finally:
            _, err = self.finish(p, timeout=30)
        self.assertEqual(p.returncode, 143, err[-3000:])
        self.assertIn("h2.sh: terminated", err)
        self.assertLess(time.monotonic() - started, 45, "the 60 s run was not cut short")
        self.assertFalse(os.path.exists(self.report))

if __name__ == "__main__":
    unittest.main()
