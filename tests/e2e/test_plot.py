#!/usr/bin/env python3
"""`badup plot DIR`: the time-to-error graph from a synthetic `badup run` results folder and the
error-rate graph from a synthetic error_rate.dat (throughput on y2, the 0-5 % zoom, identical
series kept visible); the latency-percentile graph of `badup bench --out` folders, one or several
overlaid (--label, --out); the .dat/.gp files beside valid SVG, --png, a clear exit 2 when
gnuplot is missing or there is nothing to plot. Standard library only.

Skipped when gnuplot is not installed, except with CI=true (scripts/install-deps.sh test
installs gnuplot-nox): there a missing gnuplot is a failure."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import common

GNUPLOT = shutil.which("gnuplot")
IN_CI = os.environ.get("CI", "").lower() == "true"

RESULTS = {
    "started": "2024-01-01T00:00:00Z", "duration_s": 4.2, "interrupted": False, "jobs": 2,
    "timeouts": {"connect_s": 1.0, "read_s": 2.0, "retries": False},
    "cases": [
        {"proxy": "haproxy", "scenario": "empty_reply", "got": "502", "verdict": "pass",
         "elapsed_ms": 1.5, "first_byte_ms": 1.4},
        {"proxy": "haproxy", "scenario": "stall_headers", "got": "504", "verdict": "pass",
         "elapsed_ms": 2003.2, "first_byte_ms": 2003.0},
        {"proxy": "nginx", "scenario": "empty_reply", "got": "502", "verdict": "pass",
         "elapsed_ms": 0.9, "first_byte_ms": 0.8},
        {"proxy": "nginx", "scenario": "stall_headers", "got": "504", "verdict": "pass",
         "elapsed_ms": 2001.7, "first_byte_ms": 2001.5},
        {"proxy": "nginx", "scenario": "bad_content_length", "got": "200+truncated", "verdict": "deviates",
         "elapsed_ms": 3.0, "first_byte_ms": 1.0},
    ],
}

ERROR_RATE = """# proxy fault_rate error_rate requests errors requests_s
haproxy 0 0 1000 0 330.0
haproxy 0.1 0.098 1000 98 330.0
haproxy 0.5 0.49 1000 490 330.0
nginx 0 0 1000 0 310.0
nginx 0.1 0.11 1000 110 310.0
nginx 0.5 0.52 1000 520 310.0
"""

CAPACITY = """# proxy upstream requests_s
haproxy badup 9500.0
haproxy nginx 10000.0
nginx badup 7000.0
nginx nginx 7100.0
"""

LAT_HEAD = "# columns: series connections upstream_latency_ms p50 p90 p99 p99.9 max requests_s requests errors distribution\n"
LATENCY_CONCURRENCY = LAT_HEAD + """direct 1 0 0.035 0.036 0.109 0.180 2.865 26527.9 26528 0 exponential
direct 50 0 0.484 0.625 1.030 1.864 3.609 96326.6 96327 0 exponential
haproxy 1 0 0.091 0.126 0.196 0.523 2.324 10178.4 10178 0 exponential
haproxy 50 0 1.006 2.044 2.367 5.161 5.815 44580.6 44581 0 exponential
haproxy 200 0 4.276 5.718 8.372 19.726 19.903 44901.8 44902 0 exponential
"""
LATENCY_UPSTREAM = LAT_HEAD + """direct 20 0 0.173 0.331 0.427 0.637 1.511 97724.9 97670 0 exponential
direct 20 10 8.421 24.183 48.628 69.992 80.369 1713.3 1713 0 exponential
nginx 20 0 0.466 0.662 1.022 1.864 2.682 39777.8 39744 0 exponential
nginx 20 10 8.946 24.314 50.201 68.944 79.528 1678.0 1678 0 exponential
nginx 20 50 33.227 110.363 219.677 394.584 394.584 406.8 407 0 exponential
"""

# As `badup bench` writes latency.dat: percentile, ms.
BENCH_LATENCY = [(0, 0.09), (10, 0.40), (25, 0.43), (50, 0.47), (75, 0.50), (90, 0.55), (99, 0.97), (99.9, 2.1),
                 (99.99, 6.9), (99.999, 6.9), (100, 7.0)]


def setUpModule():
    common.require_binary()
    if not GNUPLOT:
        if IN_CI:
            raise RuntimeError("gnuplot missing in CI (scripts/install-deps.sh test installs gnuplot-nox)")
        raise unittest.SkipTest("gnuplot not installed (apt-get install gnuplot-nox)")


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), root.tag
    return root, " ".join(t for el in root.iter() for t in [el.text or ""] if t.strip())


class Plot(unittest.TestCase):

    def plot(self, *args, env=None):
        p = subprocess.run([common.BADUP, "plot"] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60, env=env)
        err = p.stderr.decode("utf-8", "replace")
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        return p.returncode, p.stdout.decode(), err

    def folder(self, results=True, error_rate=True):
        d = tempfile.mkdtemp(prefix="badup-e2e-plot-")
        self.addCleanup(shutil.rmtree, d, True)
        if results:
            with open(os.path.join(d, "results.json"), "w") as f:
                json.dump(RESULTS, f)
        if error_rate:
            with open(os.path.join(d, "error_rate.dat"), "w") as f:
                f.write(ERROR_RATE)
        return d

    def test_time_to_error(self):
        d = self.folder(error_rate=False)
        rc, out, err = self.plot(d)
        self.assertEqual(rc, 0, err)
        self.assertIn("time_to_error.svg", out)
        for name in ("time_to_error.dat", "time_to_error.gp", "time_to_error.svg"):
            self.assertTrue(os.path.isfile(os.path.join(d, name)), name)
        self.assertFalse(os.path.exists(os.path.join(d, "error_rate.svg")))
        # One block per proxy (separated by two blank lines), rows: x elapsed_ms "got" scenario verdict first_byte_ms
        with open(os.path.join(d, "time_to_error.dat")) as f:
            text = f.read()
        blocks = [b for b in text.split("\n\n\n")]
        self.assertEqual(len(blocks), 2, text)
        rows = [[l.split() for l in b.splitlines() if l and not l.startswith("#")] for b in blocks]
        self.assertEqual([r[3] for r in rows[0]], ["empty_reply", "stall_headers"])
        self.assertEqual([r[3] for r in rows[1]], ["empty_reply", "stall_headers", "bad_content_length"])
        self.assertEqual([r[2] for r in rows[1]], ['"502"', '"504"', '"200+truncated"'])
        self.assertEqual([float(r[1]) for r in rows[0]], [1.5, 2003.2])
        self.assertEqual(rows[1][2][4], "deviates")
        # the two proxies' points of one scenario sit side by side around the scenario's tic
        self.assertLess(float(rows[0][0][0]), 0)
        self.assertGreater(float(rows[1][0][0]), 0)
        self.assertAlmostEqual(float(rows[1][2][0]) - float(rows[1][0][0]), 2.0)
        with open(os.path.join(d, "time_to_error.gp")) as f:
            gp = f.read()
        self.assertIn("set output 'time_to_error.svg'", gp)
        self.assertIn("set ylabel", gp)
        self.assertIn("(ms", gp)
        _, texts = svg_texts(os.path.join(d, "time_to_error.svg"))
        for want in ("Time to error", "haproxy", "nginx", "stall_headers", "504", "ms", "read timeout"):
            self.assertIn(want, texts)

    def test_error_rate(self):
        d = self.folder(results=False)
        rc, out, err = self.plot(d)
        self.assertEqual(rc, 0, err)
        self.assertIn("error_rate.svg", out)
        with open(os.path.join(d, "error_rate.dat")) as f:
            self.assertEqual(f.read(), ERROR_RATE, "badup plot must not rewrite the sweep's data")
        with open(os.path.join(d, "error_rate.gp")) as f:
            gp = f.read()
        for col in ("1 proxy", "2 fault_rate", "3 error_rate", "4 requests", "5 errors"):
            self.assertIn(col, gp)
        self.assertIn('proxies = "haproxy nginx"', gp)
        _, texts = svg_texts(os.path.join(d, "error_rate.svg"))
        for want in ("Client-visible error rate", "haproxy", "nginx", "fault rate (%", "errors"):
            self.assertIn(want, texts)

    def test_error_rate_with_retries(self):
        d = self.folder(results=False, error_rate=False)
        with open(os.path.join(d, "error_rate.dat"), "w") as f:
            f.write("# columns: proxy fault_rate error_rate requests errors requests_s upstream_attempts\n"
                    "haproxy 0 0 1000 0 330.0 1000\nhaproxy 0.1 0.1 1000 100 330.0 1000\n"
                    "haproxy+retries 0 0 1000 0 330.0 1000\nhaproxy+retries 0.1 0.01 1000 10 320.0 1110\n")
        rc, _, err = self.plot(d)
        self.assertEqual(rc, 0, err)
        with open(os.path.join(d, "error_rate.gp")) as f:
            gp = f.read()
        self.assertIn("7 upstream_attempts", gp)
        self.assertIn('proxies = "haproxy haproxy+retries"', gp)
        # each series its own dashes and points, the later one drawn thinner on the earlier
        self.assertIn("dashtype 1 pointtype 7 linewidth 4.5", gp)
        self.assertIn("dashtype (14,6) pointtype 5 linewidth 3.5", gp)
        _, texts = svg_texts(os.path.join(d, "error_rate.svg"))
        self.assertIn("haproxy+retries", texts)

    def test_capacity(self):
        d = self.folder(results=False, error_rate=False)
        with open(os.path.join(d, "capacity.dat"), "w") as f:
            f.write(CAPACITY)
        rc, out, err = self.plot(d)
        self.assertEqual(rc, 0, err)
        self.assertIn("capacity.svg", out)
        self.assertFalse(os.path.exists(os.path.join(d, "error_rate.svg")))
        with open(os.path.join(d, "capacity.dat")) as f:
            self.assertEqual(f.read(), CAPACITY, "badup plot must not rewrite the capacity data")
        with open(os.path.join(d, "capacity.gp")) as f:
            gp = f.read()
        for col in ("1 proxy", "2 upstream", "3 requests_s"):
            self.assertIn(col, gp)
        self.assertIn('proxies = "haproxy nginx"', gp)
        self.assertIn('upstreams = "badup nginx"', gp)
        self.assertIn("with boxes", gp)
        _, texts = svg_texts(os.path.join(d, "capacity.svg"))
        for want in ("Capacity", "requests/s", "haproxy (0.950)", "nginx (0.986)", "upstream: badup",
                     "upstream: nginx", "9500", "7100"):
            self.assertIn(want, texts)
        p = subprocess.run([GNUPLOT, "capacity.gp"], cwd=d, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_latency(self):
        d = self.folder(results=False, error_rate=False)
        for name, text in (("latency_concurrency.dat", LATENCY_CONCURRENCY), ("latency_upstream.dat", LATENCY_UPSTREAM)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        rc, out, err = self.plot(d)
        self.assertEqual(rc, 0, err)
        self.assertIn("latency_concurrency.svg", out)
        self.assertIn("latency_upstream.svg", out)
        for base, series, xcol in (("latency_concurrency", ["direct", "haproxy"], 2),
                                   ("latency_upstream", ["direct", "nginx"], 3)):
            with open(os.path.join(d, base + ".gp")) as f:
                gp = f.read()
            self.assertIn("set multiplot layout 1,2", gp)
            self.assertIn("using %d:(strcol(1) eq" % xcol, gp)
            self.assertIn("set logscale y", gp)
            for col in ("4 p50", "5 p90", "6 p99", "7 p99.9", "8 max"):
                self.assertIn(col, gp)
            root, texts = svg_texts(os.path.join(d, base + ".svg"))
            for want in series + ["p50", "p90", "p99", "p99.9", "max", "client latency (ms"]:
                self.assertIn(want, texts, base)
            self.assertEqual(len(series), texts.count("client latency (ms"), "one panel per series")
        _, texts = svg_texts(os.path.join(d, "latency_concurrency.svg"))
        self.assertIn("concurrent client connections", texts)
        _, texts = svg_texts(os.path.join(d, "latency_upstream.svg"))
        for want in ("injected upstream latency", "exponential", "injected mean"):
            self.assertIn(want, texts)
        # A short row is a clear error with file and line.
        with open(os.path.join(d, "latency_upstream.dat"), "a") as f:
            f.write("nginx 20 100 1.0\n")
        rc, _, err = self.plot(d)
        self.assertEqual(rc, 2)
        self.assertIn("latency_upstream.dat:7:", err)

    def test_error_rate_throughput_zoom_identical(self):
        """The shape of a real sweep: two proxies met the same faults (identical error rates),
        rates from 1 % to 50 %: the throughput on a second axis, a zoomed panel, and a key that
        says which series are the same; drawn into --out, the sweep's data copied beside it."""
        d = self.folder(results=False, error_rate=False)
        sweep = ("# columns: proxy fault_rate error_rate requests errors requests_s upstream_attempts\n"
                 "haproxy 0 0 73187 0 36592.4 73197\nhaproxy 0.01 0.009152 13003 119 6453.7 13023\n"
                 "haproxy 0.05 0.050277 2168 109 1042.4 2188\nhaproxy 0.5 0.490654 214 105 79.0 234\n"
                 "nginx 0 0 72877 0 36447.1 72897\nnginx 0.01 0.009152 13003 119 6500.8 13023\n"
                 "nginx 0.05 0.050277 2168 109 1083.6 2188\nnginx 0.5 0.490654 214 105 107.0 234\n"
                 "nginx+retries 0 0 92900 0 46460.6 92902\nnginx+retries 0.01 0.000078 12885 1 6443.5 13023\n"
                 "nginx+retries 0.05 0.001455 2062 3 1030.6 2188\nnginx+retries 0.5 0.232394 142 33 71.0 234\n")
        with open(os.path.join(d, "error_rate.dat"), "w") as f:
            f.write(sweep)
        out = os.path.join(d, "graphs")
        rc, stdout, err = self.plot("--out", out, d)
        self.assertEqual(rc, 0, err)
        self.assertIn(os.path.join(out, "error_rate.svg"), stdout)
        self.assertFalse(os.path.exists(os.path.join(d, "error_rate.gp")))
        with open(os.path.join(out, "error_rate.dat")) as f:
            self.assertEqual(f.read(), sweep)
        with open(os.path.join(out, "error_rate.gp")) as f:
            gp = f.read()
        self.assertIn("set logscale y2", gp)
        self.assertIn("axes x1y2", gp)
        self.assertIn("set xrange [0:5]", gp)
        self.assertEqual(gp.count("\nplot "), 2, "two panels: all rates and the zoom")
        self.assertIn("nginx: errors (the same as haproxy''s)", gp)  # a ' doubled in a gnuplot string
        self.assertNotIn("nginx+retries: errors (the same", gp)
        styles = re.findall(r"dashtype (\S+) pointtype (\d+) linewidth ([0-9.]+)", gp)
        self.assertEqual(len(set(styles)), 3, styles)  # three series, three looks
        _, texts = svg_texts(os.path.join(out, "error_rate.svg"))
        for want in ("requests/s", "log scale", "zoom on the low fault rates", "the same as haproxy", "nginx+retries"):
            self.assertIn(want, texts)
        # gnuplot alone redraws it in OUT
        os.unlink(os.path.join(out, "error_rate.svg"))
        p = subprocess.run([GNUPLOT, "error_rate.gp"], cwd=out, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        svg_texts(os.path.join(out, "error_rate.svg"))

    def bench_folder(self, parent, name, scale=1.0, rps=1000.0):
        """A `badup bench --out` folder: latency.dat as bench writes it, and summary.json."""
        d = os.path.join(parent, name)
        os.mkdir(d)
        with open(os.path.join(d, "latency.dat"), "w") as f:
            f.write("# badup bench http://127.0.0.1:1/: latency of 1000 responses\n# percentile latency_ms\n")
            for pct, ms in BENCH_LATENCY:
                f.write("%g %.6f\n" % (pct, ms * scale))
        with open(os.path.join(d, "summary.json"), "w") as f:
            json.dump({"mode": "closed", "connections": 50, "requests_per_s": rps}, f)
        return d

    def test_bench_latency_percentiles(self):
        d = self.folder(results=False, error_rate=False)
        b = self.bench_folder(d, "direct-c50", rps=96327.4)
        rc, out, err = self.plot(b)
        self.assertEqual(rc, 0, err)
        self.assertIn("latency_percentiles.svg", out)
        with open(os.path.join(b, "latency_percentiles.dat")) as f:
            text = f.read()
        self.assertIn("percentile", text)
        self.assertIn("latency_ms (milliseconds)", text)
        rows = [l.split() for l in text.splitlines() if l and not l.startswith("#")]
        self.assertEqual(len(rows), len(BENCH_LATENCY))
        xs = {float(r[0]): float(r[2]) for r in rows}
        self.assertAlmostEqual(xs[0], 1)
        self.assertAlmostEqual(xs[90], 10)
        self.assertAlmostEqual(xs[99.9], 1000)
        self.assertAlmostEqual(xs[99.999], 100000, delta=1)
        self.assertAlmostEqual(xs[100], 1000000, delta=1)  # the max, a decade right of the last
        with open(os.path.join(b, "latency_percentiles.gp")) as f:
            gp = f.read()
        self.assertIn("set logscale xy", gp)
        self.assertIn("'99.9%%' 1000", gp)
        self.assertIn("'max' 1e+06", gp)
        _, texts = svg_texts(os.path.join(b, "latency_percentiles.svg"))
        for want in ("Latency by percentile", "99.9%", "99.999%", "max", "latency (ms",
                     "direct-c50 (closed loop, 50 connections, 96327 requests/s)"):
            self.assertIn(want, texts)

    def test_overlay(self):
        """Three bench folders in one graph: labels from --label, then the folder's own name; two
        identical series both drawn, told apart, and named the same in the key."""
        d = self.folder(results=False, error_rate=False)
        direct = self.bench_folder(d, "direct-c50")
        haproxy = self.bench_folder(d, "haproxy-c50", scale=2.0)
        nginx = self.bench_folder(d, "nginx-c50", scale=2.0)
        out = os.path.join(d, "compare")
        rc, stdout, err = self.plot("--png", "--out", out, "--label", "direct", "--label", "through haproxy",
                                    direct, haproxy, nginx)
        self.assertEqual(rc, 0, err)
        png = os.path.join(out, "latency_percentiles.png")
        self.assertIn(png, stdout)
        with open(png, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(data), 5000)
        with open(os.path.join(out, "latency_percentiles.dat")) as f:
            blocks = f.read().split("\n\n\n")
        self.assertEqual(len(blocks), 3)
        self.assertIn("index 1: through haproxy", blocks[1])
        with open(os.path.join(out, "latency_percentiles.gp")) as f:
            gp = f.read()
        self.assertEqual(gp.count(" index "), 3)
        self.assertIn("title 'direct (closed loop", gp)
        self.assertIn("title 'nginx-c50 (closed loop, 50 connections, 1000 requests/s): the same as through haproxy'",
                      gp)
        styles = re.findall(r"dashtype (\S+) pointtype (\d+) linewidth ([0-9.]+)", gp)
        self.assertEqual(len(styles), 3)
        for k in range(3):
            self.assertEqual(len(set(s[k] for s in styles)), 3, styles)  # dashes, points, widths all differ
        self.assertEqual([float(s[2]) for s in styles], sorted((float(s[2]) for s in styles), reverse=True))
        for f in (direct, haproxy, nginx):
            self.assertEqual(sorted(os.listdir(f)), ["latency.dat", "summary.json"], "the folders are read only")
        # the script alone redraws the image in OUT
        os.unlink(png)
        p = subprocess.run([GNUPLOT, "latency_percentiles.gp"], cwd=out, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(os.path.getsize(png), 5000)
        # Errors: more labels than folders; a folder without latency.dat; a bad row.
        rc, _, err = self.plot("--out", out, "--label", "a", "--label", "b", "--label", "c", direct)
        self.assertEqual(rc, 2)
        self.assertIn("3 --label for 1 folder", err)
        rc, _, err = self.plot("--out", out, direct, d)
        self.assertEqual(rc, 2)
        self.assertIn("latency.dat", err)
        with open(os.path.join(nginx, "latency.dat"), "a") as f:
            f.write("101 3.0\n")
        rc, _, err = self.plot("--out", out, direct, nginx)
        self.assertEqual(rc, 2)
        self.assertIn("latency.dat:%d:" % (len(BENCH_LATENCY) + 3), err)

    def test_gnuplot_alone_redraws(self):
        d = self.folder()
        rc, _, err = self.plot(d)
        self.assertEqual(rc, 0, err)
        for base in ("time_to_error", "error_rate"):
            svg = os.path.join(d, base + ".svg")
            os.unlink(svg)
            p = subprocess.run([GNUPLOT, base + ".gp"], cwd=d, capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            svg_texts(svg)

    def test_png(self):
        d = self.folder()
        rc, out, err = self.plot("--png", d)
        self.assertEqual(rc, 0, err)
        for base in ("time_to_error", "error_rate"):
            with open(os.path.join(d, base + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertFalse(os.path.exists(os.path.join(d, base + ".svg")))
        self.assertEqual(sorted(n for n in os.listdir(d) if ".tmp." in n), [])

    def test_gnuplot_missing(self):
        d = self.folder()
        empty = tempfile.mkdtemp(prefix="badup-e2e-nopath-")
        self.addCleanup(shutil.rmtree, empty, True)
        env = dict(os.environ, PATH=empty)
        rc, _, err = self.plot(d, env=env)
        self.assertEqual(rc, 2)
        self.assertIn("install gnuplot-nox", err)

    def test_nothing_to_plot_and_usage(self):
        d = self.folder(results=False, error_rate=False)
        rc, _, err = self.plot(d)
        self.assertEqual(rc, 2)
        self.assertIn("nothing to plot", err)
        rc, _, _ = self.plot()
        self.assertEqual(rc, 2)
        rc, _, _ = self.plot(os.path.join(d, "nope"))
        self.assertEqual(rc, 2)
        with open(os.path.join(d, "results.json"), "w") as f:
            f.write("{not json")
        rc, _, err = self.plot(d)
        self.assertEqual(rc, 2)
        self.assertIn("results.json", err)
        rc, out, _ = self.plot("--help")
        self.assertEqual(rc, 0)
        for opt in ("--png", "--out", "--label", "latency.dat"):
            self.assertIn(opt, out)


if __name__ == "__main__":
    unittest.main()
