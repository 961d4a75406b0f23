#!/usr/bin/env python3
"""Soak: mixed faults at load through a real nginx in front of `badup serve scenarios/`.

The simulator serves the scenario folder (the URL picks the scenario); nginx proxies to it
with an upstream keep-alive pool and a short read timeout; client threads send a weighted
mix of healthy and faulty requests through nginx for a set time (and at most a set count).

  1. warm-up load, then nginx stopped: its pooled upstream connections close; the
     simulator's open connections reach 0; baseline fds and VmRSS; counters reset;
  2. the soak itself, through a fresh nginx;
  3. nginx stopped again; then the checks: open_connections 0; every accepted connection
     counted closed (the per-scenario connection counters add up to the total, and so do
     the requests); fds back at the baseline; VmRSS within +8 MiB of the warm baseline (the
     sanitizer build, whose allocator keeps freed memory in quarantine, within +96 MiB);
     every `ok` request answered 200; the simulator exits 0 on SIGTERM with no sanitizer
     report; nginx never died.

As a test (ctest) it runs SOAK_SECONDS (default 20) seconds. As a script it prints the
figures: `python3 tests/e2e/test_soak.py soak --duration 180 [--threads 8] [--seed 1]`
(bench/soak.sh wraps this).
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import SCENARIOS, Server, poll_until, read_to_end, scenario_stats, stats_totals  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_READ_TIMEOUT_MS = 500

# scenario -> weight. Fast healthy and faulty answers dominate; the slow ones (stalls that
# wait for nginx's read timeout, dribbles) are there but rarer, so the load stays high.
MIX = {
    "ok": 30, "empty_reply": 8, "reset_before_response": 8, "truncated_body": 6,
    "close_mid_body": 6, "reset_mid_body": 4, "close_mid_headers": 4, "reset_mid_headers": 4,
    "malformed_status_line": 3, "garbage": 3, "bad_chunk_size": 3, "truncated_chunked": 3,
    "dup_content_length": 2, "chunked_ok": 4, "close_delimited": 3, "keepalive_race": 4,
    "fail_first_then_ok": 2, "status_444": 2, "interim_1xx_then_close": 2, "slow_drip": 2,
    "stall_headers": 2, "stall_body": 1, "reset_after_response": 2, "half_close": 2,
}
STEP_NAMES = ("close", "reset", "halfclose", "stall", "dribble", "send", "txresp", "keepalive", "stopread")

NGINX_CONF = """daemon off;
master_process on;
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path       {dir}/proxy_temp;
    fastcgi_temp_path     {dir}/fastcgi_temp;
    uwsgi_temp_path       {dir}/uwsgi_temp;
    scgi_temp_path        {dir}/scgi_temp;
    upstream up {{
        server 127.0.0.1:{up_port};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1000ms;
            proxy_read_timeout    {read_ms}ms;
            proxy_send_timeout    {read_ms}ms;
            proxy_next_upstream off;
        }}
    }}
}}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def settled_fds(pid, target=None):
    """The fd count once the control API has closed the connection we just used: the
    lowest of a few samples, or the first at or under `target` (bounded: 5 s)."""
    best = fd_count(pid)
    for _ in range(100):
        if target is not None and best <= target:
            break
        if target is None and _ >= 5:
            break
        time.sleep(0.05)
        best = min(best, fd_count(pid))
    return best


def is_asan(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


class Nginx:
    """One nginx master + worker, on a kernel-chosen port (bind 0, release, nginx binds it:
    the same small race the harness accepts; a collision fails the start, loudly)."""

    def __init__(self, up_port, workdir):
        self.dir = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
        self.port = free_port()
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(user="user root;" if os.geteuid() == 0 else "", dir=self.dir, up_port=up_port, port=self.port, read_ms=NGINX_READ_TIMEOUT_MS))
        self.err = open(os.path.join(self.dir, "nginx.stderr"), "wb")
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"), "-c",
                                      os.path.join(self.dir, "nginx.conf")], stdin=subprocess.DEVNULL,
                                     stdout=self.err, stderr=self.err, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited with %s: %s" % (self.proc.returncode, self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        poll_until(ready, timeout=15, what="nginx to listen")

    def log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        """SIGTERM (fast shutdown) to the master; its group killed if it lingers. Returns the
        master's exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        try:  # a worker that outlived its master (it should not): same session, same group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.err.close()
        return self.proc.returncode


def one_request(port, name, n):
    """A GET through nginx; returns the outcome as the client saw it."""
    req = ("GET /%s/%d HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n" % (name, n)).encode()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError as e:
        return "connect_error:%s" % e.__class__.__name__
    with s:
        try:
            s.sendall(req)
        except OSError:
            return "reset"
        r = read_to_end(s, timeout=10)
    if not r.data:
        return {"fin": "closed", "reset": "reset", "open": "timeout"}[r.end]
    head, _, body = r.data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    code = parts[1].decode("latin-1") if len(parts) > 1 and head.startswith(b"HTTP/1.") else ""
    if not (len(code) == 3 and code.isdigit()):
        return "not_http"  # nginx passes an HTTP/0.9-looking answer through as it is
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length" and v.strip().isdigit() and len(body) < int(v):
            return code + "+truncated"
    return code


class Load:
    """`threads` clients, each looping until the deadline or the shared request budget."""

    def __init__(self, port, seconds, threads, seed, max_requests):
        self.port, self.seconds, self.threads, self.seed = port, seconds, threads, seed
        self.max_requests = max_requests
        self.lock = threading.Lock()
        self.outcomes = {}  # scenario -> {outcome: count}
        self.sent = 0

    def take(self):
        with self.lock:
            if self.sent >= self.max_requests:
                return None
            self.sent += 1
            return self.sent

    def worker(self, idx, deadline):
        rng = random.Random(self.seed * 1000 + idx)
        names, weights = list(MIX), list(MIX.values())
        while time.monotonic() < deadline:
            n = self.take()
            if n is None:
                return
            name = rng.choices(names, weights)[0]
            out = one_request(self.port, name, n)
            with self.lock:
                d = self.outcomes.setdefault(name, {})
                d[out] = d.get(out, 0) + 1

    def run(self):
        t0 = time.monotonic()
        deadline = t0 + self.seconds
        ts = [threading.Thread(target=self.worker, args=(i, deadline), daemon=True) for i in range(self.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=self.seconds + 60)  # a request takes at most ~20 s (two 10 s timeouts)
        self.elapsed = time.monotonic() - t0
        self.stuck = sum(t.is_alive() for t in ts)
        return self

    @property
    def total(self):
        return sum(sum(d.values()) for d in self.outcomes.values())


def soak(seconds, threads=8, seed=1, warmup=2.0, max_requests=10_000_000, badup=None, log=None):
    """Runs the whole soak; returns a dict of figures and a list of problems."""
    say = log or (lambda *a: None)
    if badup:
        common.BADUP = badup
    work = tempfile.mkdtemp(prefix="badup-soak-")
    server = Server(SCENARIOS, args=["--seed", str(seed)]).start()
    pid = server.proc.pid
    figures = {"duration_s": seconds, "threads": threads, "seed": seed, "asan": is_asan(pid)}
    problems = []
    nginx = None
    try:
        def quiet():
            return stats_totals(server.get("/stats"))["open_connections"] == 0

        # 1. warm-up, then the baseline with nobody connected.
        say("warm-up: %.0f s through nginx" % warmup)
        nginx = Nginx(server.addr[1], work)
        Load(nginx.port, warmup, threads, seed + 7, max_requests).run()
        rc = nginx.stop()
        nginx = None
        poll_until(quiet, timeout=20, what="open_connections 0 after the warm-up")
        figures["fds_before"] = settled_fds(pid)
        figures["rss_kib_before"] = proc_kib(pid, "VmRSS")
        status, _ = server.admin("POST", "/stats/reset", body=b"")
        if status != 200:
            problems.append("POST /stats/reset: HTTP %s" % status)

        # 2. the soak.
        say("soak: %.0f s, %d client threads" % (seconds, threads))
        nginx = Nginx(server.addr[1], work)
        rss_peak = 0
        load = Load(nginx.port, seconds, threads, seed, max_requests)
        sampler_stop = threading.Event()

        def sample():
            nonlocal rss_peak
            while not sampler_stop.wait(0.5):
                rss_peak = max(rss_peak, proc_kib(pid, "VmRSS"))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        load.run()
        sampler_stop.set()
        sampler.join(timeout=5)
        open_during = stats_totals(server.get("/stats"))["open_connections"]
        nginx_alive = nginx.proc.poll() is None
        nginx_log = nginx.log()
        rc = nginx.stop()
        nginx = None
        if not nginx_alive:
            problems.append("nginx died during the soak (exit %s): %s" % (rc, nginx_log[-500:]))
        if load.stuck:
            problems.append("%d client threads still running after the deadline" % load.stuck)

        # 3. afterwards.
        try:
            poll_until(quiet, timeout=20, what="open_connections 0 after the soak")
        except AssertionError as e:
            problems.append(str(e))
        time.sleep(0.2)
        stats = server.get("/stats")
        tot = stats_totals(stats)
        figures.update({
            "elapsed_s": round(load.elapsed, 1), "requests_sent": load.total,
            "requests_per_s": round(load.total / load.elapsed, 1) if load.elapsed else 0,
            "open_connections_at_end_of_load": open_during,
            "upstream_connections": tot["connections"], "upstream_requests": tot["requests"],
            "upstream_errors": tot["errors"], "bad_requests": tot.get("bad_requests"),
            "open_connections_after": tot["open_connections"],
            "fds_after": settled_fds(pid, figures["fds_before"]), "rss_kib_after": proc_kib(pid, "VmRSS"), "rss_kib_peak": rss_peak,
        })
        per = {}
        sum_conns = sum_reqs = 0
        for name in stats["scenarios"]:
            st = scenario_stats(stats, name)
            sum_conns += st.get("connections", 0)
            sum_reqs += st.get("requests", 0)
            if name in MIX or st.get("requests"):
                steps = {k: v for k, v in (st.get("steps") or {}).items() if v and k in STEP_NAMES}
                per[name] = {"requests": st.get("requests", 0), "connections": st.get("connections", 0),
                             "errors": st.get("errors", 0), "steps": steps,
                             "client_saw": load.outcomes.get(name, {})}
        figures["scenarios"] = per
        figures["sum_scenario_connections"] = sum_conns
        figures["sum_scenario_requests"] = sum_reqs

        # The checks.
        if tot["open_connections"] != 0:
            problems.append("open_connections %d after the soak" % tot["open_connections"])
        if sum_conns != tot["connections"]:
            problems.append("per-scenario connections add up to %d, total says %d" % (sum_conns, tot["connections"]))
        if sum_reqs != tot["requests"]:
            problems.append("per-scenario requests add up to %d, total says %d" % (sum_reqs, tot["requests"]))
        if tot["connections"] == 0 or load.total == 0:
            problems.append("no traffic: %d requests sent, %d upstream connections" % (load.total, tot["connections"]))
        if figures["fds_after"] > figures["fds_before"]:
            problems.append("fds %d after, %d before" % (figures["fds_after"], figures["fds_before"]))
        slack = (96 if figures["asan"] else 8) * 1024
        if figures["rss_kib_after"] > figures["rss_kib_before"] + slack:
            problems.append("VmRSS %d KiB after, %d KiB before (allowed +%d KiB)" % (
                figures["rss_kib_after"], figures["rss_kib_before"], slack))
        # A healthy request can land on a pooled upstream connection that the previous
        # exchange's fault is tearing down (reset_after_response, half_close): nginx, with
        # proxy_next_upstream off, answers 502. That is the keep-alive race the faults
        # provoke, rare by nature; anything more than 2 % is something else.
        ok = load.outcomes.get("ok", {})
        if ok and ok.get("200", 0) < 0.98 * sum(ok.values()):
            problems.append("ok requests: fewer than 98 %% got 200: %r" % ok)
        if errors := tot["errors"]:
            problems.append("%d plan errors in the simulator" % errors)
    finally:
        if nginx:
            nginx.stop()
        rc, stop_problems = server.stop()
        figures["simulator_exit"] = rc
        problems.extend(stop_problems)
        err = server.stderr()
        if stop_problems:
            problems.append("simulator stderr: " + err[-2000:])
        shutil.rmtree(server.tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return figures, problems


def report(fig, problems, out=sys.stdout):
    w = out.write
    w("badup soak: %s s of mixed faults through nginx (%d client threads, seed %d, %s build)\n"
      % (fig.get("elapsed_s"), fig["threads"], fig["seed"], "ASan+UBSan" if fig["asan"] else "plain"))
    w("  requests sent through nginx: %d (%.0f/s)\n" % (fig.get("requests_sent", 0), fig.get("requests_per_s", 0)))
    w("  upstream: %s connections, %s requests, %s plan errors, %s bad requests\n" % (
        fig.get("upstream_connections"), fig.get("upstream_requests"), fig.get("upstream_errors"),
        fig.get("bad_requests")))
    w("  accounted: open_connections %s after (%s at the end of the load); per-scenario sums %s connections, "
      "%s requests\n" % (fig.get("open_connections_after"), fig.get("open_connections_at_end_of_load"),
                         fig.get("sum_scenario_connections"), fig.get("sum_scenario_requests")))
    w("  fds: %s before, %s after\n" % (fig.get("fds_before"), fig.get("fds_after")))
    w("  VmRSS: %s KiB before (warm), %s KiB peak, %s KiB after\n" % (
        fig.get("rss_kib_before"), fig.get("rss_kib_peak"), fig.get("rss_kib_after")))
    w("  simulator exit code after SIGTERM: %s\n" % fig.get("simulator_exit"))
    w("\n  %-24s %8s %8s  %-40s %s\n" % ("scenario", "requests", "conns", "steps fired", "client saw (through nginx)"))
    for name, s in sorted(fig.get("scenarios", {}).items()):
        steps = " ".join("%s=%d" % kv for kv in sorted(s["steps"].items()))
        saw = " ".join("%s=%d" % kv for kv in sorted(s["client_saw"].items(), key=lambda kv: -kv[1]))
        w("  %-24s %8d %8d  %-40s %s\n" % (name, s["requests"], s["connections"], steps, saw))
    w("\n%s\n" % ("PASS" if not problems else "FAIL:\n  " + "\n  ".join(problems)))


class Soak(unittest.TestCase):
    def test_soak_through_nginx(self):
        common.require_binary()
        if not os.access(NGINX, os.X_OK):
            self.skipTest("nginx is not installed")
        seconds = float(os.environ.get("SOAK_SECONDS", "20"))
        figures, problems = soak(seconds, threads=8, seed=1, warmup=2.0)
        report(figures, problems, sys.stderr)
        self.assertEqual(problems, [])


def main():
    ap = argparse.ArgumentParser(description="badup soak through nginx; prints the figures")
    ap.add_argument("--duration", type=float, default=180, help="seconds of load (default 180)")
    ap.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--max-requests", type=int, default=10_000_000)
    ap.add_argument("--badup", help="the binary (default: $BADUP, or build/badup)")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    if a.badup:
        common.BADUP = a.badup
    common.require_binary()
    if not os.access(NGINX, os.X_OK):
        sys.exit("nginx is not installed")
    fig, problems = soak(a.duration, a.threads, a.seed, a.warmup, a.max_requests,
                         log=lambda m: print("badup soak: " + m, file=sys.stderr, flush=True))
    report(fig, problems)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"figures": fig, "problems": problems}, f, indent=2)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["soak"]:  # the script: python3 tests/e2e/test_soak.py soak --duration 180
        del sys.argv[1]
        main()
    else:
        unittest.main(verbosity=2)
