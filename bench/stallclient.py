#!/usr/bin/env python3
"""Client side of bench/simulator.sh (Python 3 standard library only).

Sub-commands, each printing `key=value` lines on stdout for the shell script:

  freeport              ask the kernel for a free 127.0.0.1 port, print it, release it
  probe HOST:PORT       one GET; print status, header and body sizes (same-body check)
  hold  HOST:PORT ...   open N connections, send a request on each, wait until the
                        server's control API shows them open, read the server's VmRSS
                        before and after, close them all, wait until they are gone
  latency HOST:PORT ... time from "request sent" to "first response byte", for
                        sequential requests and for a burst of concurrent ones
  quiet                 wait (bounded) until other processes leave the CPUs alone
  timed --cpu-out F -- CMD...
                        run CMD; write its CPU time and the whole machine's to F

Every wait here has a count or a deadline: nothing loops forever.
"""

import argparse
import errno
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request

REQUEST_KEEPALIVE = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: badup-bench\r\n\r\n"
REQUEST_CLOSE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: badup-bench\r\n"
                 b"Connection: close\r\n\r\n")


def out(key, value):
    if isinstance(value, float):
        value = f"{value:.3f}"
    print(f"{key}={value}", flush=True)


def split_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def raise_nofile(need):
    """Raise RLIMIT_NOFILE to at least `need` if we can; return the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        try:  # root may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            return need
        except (ValueError, OSError):
            need = hard
    if soft == resource.RLIM_INFINITY or soft >= need:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return need


def proc_status(pid):
    """VmRSS, RssAnon, VmHWM (kB) and Threads of a process, from /proc/PID/status."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon", "VmHWM", "Threads"):
                fields[name] = int(rest.split()[0])
    return fields


def proc_fds(pid):
    """How many file descriptors the process has open (its sockets, mostly)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def admin_call(admin, path, method="GET", timeout=2):
    """JSON from the control API, or raise OSError/ValueError."""
    req = urllib.request.Request(f"http://{admin}{path}", method=method,
                                 data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8", "replace") or "null")


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    hz = os.sysconf("SC_CLK_TCK")
    return (total - idle) / hz, total / hz


def find_key(obj, key):
    """open_connections may sit at the top of /stats, under "totals", or deeper."""
    if isinstance(obj, dict):
        if key in obj and isinstance(obj[key], (int, float)):
            return obj[key]
        for sub in ([obj["totals"]] if "totals" in obj else []) + list(obj.values()):
            found = find_key(sub, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for sub in obj:
            found = find_key(sub, key)
            if found is not None:
                return found
    return None


ADMIN_ERRORS = {"count": 0, "first": ""}


def open_connections(admin):
    """open_connections from GET /stats, or None if the API does not answer."""
    try:
        stats = admin_call(admin, "/stats")
    except (OSError, ValueError) as e:
        ADMIN_ERRORS["count"] += 1
        ADMIN_ERRORS["first"] = ADMIN_ERRORS["first"] or type(e).__name__ + ": " + str(e)
        return None
    value = find_key(stats, "open_connections")
    return None if value is None else int(value)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(-(-p * len(sorted_values) // 100)))  # ceil(p/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --------------------------------------------------------------------------- freeport
def cmd_freeport(_args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out("port", port)
    return 0


# --------------------------------------------------------------------------- probe
def cmd_probe(args):
    host, port = split_addr(args.addr)
    data = b""
    try:
        with socket.create_connection((host, port), timeout=args.timeout) as s:
            s.sendall(REQUEST_CLOSE.replace(b"GET / ", f"GET {args.path} ".encode(), 1))
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    length = None
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    if length is not None and len(body) >= length:
                        break
    except OSError as e:
        out("error", str(e).replace(" ", "_"))
        return 1
    head, sep, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    out("status", status_line.split(" ")[1] if " " in status_line else "none")
    out("header_bytes", len(head) + len(sep))
    out("body_bytes", len(body))
    out("body", json.dumps(body.decode("latin-1")))
    out("headers", json.dumps([h.decode("latin-1") for h in head.split(b"\r\n")[1:]]))
    return 0


# --------------------------------------------------------------------------- connect helper
def open_many(sel, host, port, n, in_flight, deadline, on_connected):
    """Open n non-blocking connections, at most `in_flight` connecting at once.

    on_connected(sock) is called once per established socket. Returns the number of
    connections that failed. Sockets that failed are closed here."""
    started = failed = 0
    connecting = 0
    while (started < n or connecting) and time.monotonic() < deadline:
        while started < n and connecting < in_flight:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            rc = s.connect_ex((host, port))
            started += 1
            if rc not in (0, errno.EINPROGRESS):
                failed += 1
                s.close()
                continue
            sel.register(s, selectors.EVENT_WRITE, "connecting")
            connecting += 1
        for key, _ in sel.select(timeout=0.05):
            if key.data != "connecting":
                continue
            s = key.fileobj
            sel.unregister(s)
            connecting -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                failed += 1
                s.close()
                continue
            on_connected(s)
    # whatever is still connecting at the deadline counts as failed
    for key in list(sel.get_map().values()):
        if key.data == "connecting":
            sel.unregister(key.fileobj)
            key.fileobj.close()
            failed += 1
    failed += n - started
    return failed


# --------------------------------------------------------------------------- hold
def cmd_hold(args):
    host, port = split_addr(args.addr)
    n = args.conns
    out("nofile_limit", raise_nofile(n + 256))

    before = proc_status(args.pid)
    fds_before = proc_fds(args.pid)
    out("rss_before_kb", before["VmRSS"])
    out("rss_anon_before_kb", before.get("RssAnon", 0))
    out("threads", before.get("Threads", 0))
    out("fds_before", fds_before)
    out("open_before", open_connections(args.admin))

    sel = selectors.DefaultSelector()
    socks = []
    server_closed = 0
    server_data = 0

    def connected(s):
        try:
            s.send(REQUEST_KEEPALIVE)
        except OSError:
            s.close()
            return
        socks.append(s)
        sel.register(s, selectors.EVENT_READ, "open")

    def service(timeout):
        """Note (and drop) connections the server wrote to or closed: a stall must not."""
        nonlocal server_closed, server_data
        for key, _ in sel.select(timeout=timeout):
            if key.data != "open":
                continue
            s = key.fileobj
            try:
                chunk = s.recv(4096)
            except OSError:
                chunk = b""
            if chunk:
                server_data += 1
            else:
                server_closed += 1
                sel.unregister(s)
                s.close()
                socks.remove(s)

    t0 = time.monotonic()
    failed = open_many(sel, host, port, n, args.in_flight, t0 + args.timeout, connected)
    t_sent = time.monotonic()
    out("connect_failed", failed)
    out("requests_sent", len(socks))
    out("open_seconds", t_sent - t0)

    # Wait until GET /stats counts them all (bounded by --timeout). Should the control
    # API stop answering, the server's own descriptor count stands in for it.
    seen = None
    fds = fds_before
    reached_by = "none"
    deadline = t0 + args.timeout
    next_poll = 0.0
    while time.monotonic() < deadline:
        service(0.05)
        if time.monotonic() >= next_poll:
            seen = open_connections(args.admin)
            fds = proc_fds(args.pid)
            next_poll = time.monotonic() + 0.25
            if seen is not None and seen >= n:
                reached_by = "stats"
                break
            if seen is None and fds - fds_before >= n:
                reached_by = "fds"
                break
    out("reached", 1 if reached_by != "none" else 0)
    out("reached_by", reached_by)
    out("reach_seconds", time.monotonic() - t0)
    # let the allocator settle, still watching the sockets
    settle_end = time.monotonic() + args.settle
    while time.monotonic() < settle_end:
        service(0.05)
    after = proc_status(args.pid)
    out("open_at_peak", open_connections(args.admin))
    out("fds_at_peak", proc_fds(args.pid))
    out("client_open", len(socks))
    out("rss_after_kb", after["VmRSS"])
    out("rss_anon_after_kb", after.get("RssAnon", 0))
    out("threads_at_peak", after.get("Threads", 0))
    out("server_data", server_data)
    out("server_closed", server_closed)
    out("admin_failures_open", ADMIN_ERRORS["count"])

    # close everything and watch the server let go
    t_close = time.monotonic()
    for s in socks:
        sel.unregister(s)
        s.close()
    socks.clear()
    sel.close()
    remaining = None
    deadline = t_close + args.close_timeout
    while time.monotonic() < deadline:
        remaining = open_connections(args.admin)
        if remaining == 0:
            break
        time.sleep(0.2)
    out("open_after_close", remaining)
    out("drain_seconds", time.monotonic() - t_close)
    time.sleep(args.settle)
    closed = proc_status(args.pid)
    out("fds_after_close", proc_fds(args.pid))
    out("rss_closed_kb", closed["VmRSS"])
    out("rss_anon_closed_kb", closed.get("RssAnon", 0))
    out("admin_failures", ADMIN_ERRORS["count"])
    out("admin_error", json.dumps(ADMIN_ERRORS["first"]))
    return 0


# --------------------------------------------------------------------------- latency
def first_byte_status(buf):
    line = buf.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return parts[1].decode("latin-1") if len(parts) > 1 else "?"


def summarize(prefix, samples_ms, target_ms, n, errors, statuses):
    ok = [v for v in samples_ms]
    dev = sorted(abs(v - target_ms) for v in ok)
    lat = sorted(ok)
    out(f"{prefix}_n", n)
    out(f"{prefix}_ok", len(ok))
    out(f"{prefix}_errors", errors)
    out(f"{prefix}_bad_status", sum(1 for s in statuses if s != "200"))
    if not ok:
        return
    out(f"{prefix}_dev_mean_ms", sum(dev) / len(dev))
    out(f"{prefix}_dev_p50_ms", percentile(dev, 50))
    out(f"{prefix}_dev_p99_ms", percentile(dev, 99))
    out(f"{prefix}_dev_max_ms", dev[-1])
    out(f"{prefix}_lat_mean_ms", sum(lat) / len(lat))
    out(f"{prefix}_lat_min_ms", lat[0])
    out(f"{prefix}_lat_p50_ms", percentile(lat, 50))
    out(f"{prefix}_lat_p99_ms", percentile(lat, 99))
    out(f"{prefix}_lat_max_ms", lat[-1])
    out(f"{prefix}_early", sum(1 for v in ok if v < target_ms))


def latency_sequential(host, port, n, target_ms, timeout):
    samples, statuses, errors = [], [], 0
    deadline = time.monotonic() + timeout
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        try:
            with socket.create_connection((host, port), timeout=5) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(REQUEST_CLOSE)
                t0 = time.perf_counter()
                first = s.recv(65536)
                t1 = time.perf_counter()
                if not first:
                    errors += 1
                    continue
                buf = first
                while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
                    chunk = s.recv(65536)  # read up to the end of the response head
                    if not chunk:
                        break
                    buf += chunk
        except OSError:
            errors += 1
            continue
        samples.append((t1 - t0) * 1000.0)
        statuses.append(first_byte_status(buf))
    return samples, statuses, errors


def latency_concurrent(host, port, n, target_ms, timeout, in_flight):
    """Open n connections first, then send every request back to back; each socket's
    first response byte is stamped with the time select() reported it readable."""
    sel = selectors.DefaultSelector()
    socks = []
    deadline = time.monotonic() + timeout
    failed = open_many(sel, host, port, n, in_flight, deadline, socks.append)
    sent_at = {}
    first_at = {}
    bufs = {}
    errors = failed
    pending = 0

    def collect(timeout):
        nonlocal pending
        events = sel.select(timeout=timeout)
        now = time.perf_counter()
        for key, _ in events:
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except OSError:
                chunk = b""
            if chunk and s not in first_at:
                first_at[s] = now
            if chunk:
                bufs[s] += chunk
                if b"\r\n\r\n" not in bufs[s]:
                    continue
            # the response head is in, or FIN or an error: this connection is done
            sel.unregister(s)
            s.close()
            pending -= 1

    for s in socks:
        try:
            s.send(REQUEST_CLOSE)
        except OSError:
            errors += 1
            s.close()
            continue
        sent_at[s] = time.perf_counter()
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)
        pending += 1
        collect(0)  # stamp answers that come back while we are still sending
    if sent_at:
        out("conc_send_span_ms", (max(sent_at.values()) - min(sent_at.values())) * 1000.0)
    while pending and time.monotonic() < deadline:
        collect(0.1)
    for key in list(sel.get_map().values()):
        sel.unregister(key.fileobj)
        key.fileobj.close()
    sel.close()
    samples, statuses = [], []
    for s, t0 in sent_at.items():
        if s in first_at:
            samples.append((first_at[s] - t0) * 1000.0)
            statuses.append(first_byte_status(bufs[s]))
        else:
            errors += 1
    return samples, statuses, errors


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def server_view(prefix, args, n, start):
    """What the server itself says about the run: its CPU time, and (from GET /events)
    how long each stall step lasted by its own clock. Also what other processes took."""
    cpu0, busy0, self0, wall0 = start
    server_cpu = cpu_seconds(args.pid) - cpu0
    client_cpu = self_cpu() - self0
    wall = time.monotonic() - wall0
    out(f"{prefix}_server_cpu_ms", server_cpu * 1000.0)
    out(f"{prefix}_client_cpu_pct", client_cpu / wall * 100.0)
    others = machine_cpu()[0] - busy0 - server_cpu - client_cpu
    out(f"{prefix}_others_cpu_pct", max(0.0, others) / wall * 100.0)  # clock ticks: +-1%
    if not args.admin:
        return
    try:
        conns = admin_call(args.admin, f"/events?limit={n + 16}", timeout=5)
    except (OSError, ValueError):
        out(f"{prefix}_srv_events", "none")
        return
    stalls = []
    for c in conns or []:
        started = None
        for e in c.get("events", []):
            if e.get("detail") == "stall" and e.get("what") == "step":
                started = e.get("t_ms")
            elif e.get("detail") == "stall" and e.get("what") == "step_done" and started is not None:
                stalls.append(e["t_ms"] - started)
    out(f"{prefix}_srv_events", len(conns or []))
    out(f"{prefix}_srv_stalls", len(stalls))
    if stalls:
        stalls.sort()
        out(f"{prefix}_srv_stall_min_ms", stalls[0])
        out(f"{prefix}_srv_stall_p50_ms", percentile(stalls, 50))
        out(f"{prefix}_srv_stall_p99_ms", percentile(stalls, 99))
        out(f"{prefix}_srv_stall_max_ms", stalls[-1])
        out(f"{prefix}_srv_stall_early", sum(1 for v in stalls if v < args.target_ms))


def reset_server(args):
    if args.admin:
        try:
            admin_call(args.admin, "/stats/reset", method="POST")
        except (OSError, ValueError):
            pass
    return cpu_seconds(args.pid), machine_cpu()[0], self_cpu(), time.monotonic()


def cmd_latency(args):
    host, port = split_addr(args.addr)
    raise_nofile(args.conc + 256)
    target = args.target_ms
    cpu0 = reset_server(args)
    samples, statuses, errors = latency_sequential(host, port, args.seq, target, args.timeout)
    summarize("seq", samples, target, args.seq, errors, statuses)
    time.sleep(0.3)  # let the last connection finish on the server's side
    server_view("seq", args, args.seq, cpu0)
    cpu0 = reset_server(args)
    samples, statuses, errors = latency_concurrent(host, port, args.conc, target, args.timeout,
                                                   args.in_flight)
    summarize("conc", samples, target, args.conc, errors, statuses)
    time.sleep(0.3)
    server_view("conc", args, args.conc, cpu0)
    return 0


# --------------------------------------------------------------------------- quiet / timed
def cmd_quiet(args):
    """Sample the machine's CPU in 1 s windows until one is below --threshold percent
    of one core, or --max-wait seconds have passed."""
    t0 = time.monotonic()
    busy_pct = 0.0
    while True:
        b0, _ = machine_cpu()
        time.sleep(1.0)
        b1, _ = machine_cpu()
        busy_pct = (b1 - b0) * 100.0
        if busy_pct < args.threshold or time.monotonic() - t0 >= args.max_wait:
            break
    out("busy_pct", busy_pct)
    out("quiet", 1 if busy_pct < args.threshold else 0)
    out("waited_s", time.monotonic() - t0)
    return 0


def cmd_timed(args):
    """Run a command, pass its output through, and note its CPU time and the machine's
    busy time over the same span (so that what other processes took can be told)."""
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m0, w0 = machine_cpu(), time.monotonic()
    child = subprocess.Popen(cmd)

    def forward(signum, _frame):
        child.send_signal(signum)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    rc = child.wait()
    m1, w1 = machine_cpu(), time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(args.cpu_out, "w") as f:
        f.write(f"cmd_cpu_s={(r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime):.3f}\n")
        f.write(f"machine_busy_s={m1[0] - m0[0]:.3f}\n")
        f.write(f"wall_s={w1 - w0:.3f}\n")
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("freeport")
    pr = sub.add_parser("probe")
    pr.add_argument("addr")
    pr.add_argument("--timeout", type=float, default=5)
    pr.add_argument("--path", default="/")
    h = sub.add_parser("hold")
    h.add_argument("addr")
    h.add_argument("--admin", required=True, help="HOST:PORT of the control API")
    h.add_argument("--pid", type=int, required=True, help="server PID (for /proc/PID/status)")
    h.add_argument("--conns", type=int, default=10000)
    h.add_argument("--in-flight", type=int, default=256, help="connects pending at once")
    h.add_argument("--timeout", type=float, default=60, help="seconds to open and see all")
    h.add_argument("--close-timeout", type=float, default=30)
    h.add_argument("--settle", type=float, default=0.5)
    la = sub.add_parser("latency")
    la.add_argument("addr")
    la.add_argument("--target-ms", type=float, default=200)
    la.add_argument("--seq", type=int, default=200)
    la.add_argument("--conc", type=int, default=1000)
    la.add_argument("--in-flight", type=int, default=256)
    la.add_argument("--timeout", type=float, default=60, help="deadline of each run")
    la.add_argument("--admin", help="HOST:PORT of the control API (server-side stall times)")
    la.add_argument("--pid", type=int, default=0, help="server PID (its CPU time)")
    q = sub.add_parser("quiet")
    q.add_argument("--threshold", type=float, default=25, help="percent of one core")
    q.add_argument("--max-wait", type=float, default=30)
    t = sub.add_parser("timed")
    t.add_argument("--cpu-out", required=True)
    t.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    return {"freeport": cmd_freeport, "probe": cmd_probe, "hold": cmd_hold,
            "latency": cmd_latency, "quiet": cmd_quiet, "timed": cmd_timed}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
