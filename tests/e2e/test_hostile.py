"""Hostile peers against `badup serve`.

Random bytes, a slowloris, 10,000 connections opened and dropped, clients that reset
mid-request, 100 KiB of request headers, a pipelined flood and an oversized body. For each
the server gives a defined answer (docs/serve.md, "Limits"), keeps answering other clients
promptly, returns to its baseline of open connections and file descriptors, and its memory
stays under a generous bound.

Every test starts its own server (folder mode: the URL picks the scenario), so one test's
leftovers cannot hide another's leak.
"""
import os
import random
import resource
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (OK_200, SCENARIOS, TempDirMixin, echo_lua, parse_echo, poll_until,  # noqa: E402
                    read_to_end, request_bytes, require_binary, start_server, stats_totals, write_scenario)

RESP_400 = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
RESP_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
OK_REQ = request_bytes("/ok/x", close=True)

# A prompt answer, generously: a loaded 2-core machine running the ASan build.
PROMPT_S = 2.0
MIB = 1 << 20


def setUpModule():
    require_binary()


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    raise AssertionError("no %s in /proc/%d/status" % (key, pid))


def rss_kib(pid):
    return proc_status(pid, "VmRSS")


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def is_asan(pid):
    """The sanitizer build keeps freed memory in quarantine and maps shadow memory: its RSS
    says little about ours, so its bounds are looser."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def rst_close(sock):
    """close() that sends a RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Hostile(unittest.TestCase, TempDirMixin):
    def start(self, *paths, args=()):
        s = start_server(self, *(paths or (SCENARIOS,)), args=args)
        self.pid = s.proc.pid
        self.asan = is_asan(self.pid)
        # Memory bound for the whole test: generous, but far below what unbounded buffering
        # of the inputs below (10,000 connections, 8 MiB floods, 4 MiB bodies) would take.
        self.rss_bound_kib = (768 if self.asan else 96) * 1024
        return s

    def settle(self, s):
        """Waits until no connection is open; returns (fds, rss) then."""
        poll_until(lambda: stats_totals(s.get("/stats"))["open_connections"] == 0, timeout=20,
                   what="open_connections == 0")
        return fd_count(self.pid), rss_kib(self.pid)

    def check_rss(self, where):
        rss = rss_kib(self.pid)
        self.assertLess(rss, self.rss_bound_kib, "VmRSS %d KiB %s (bound %d KiB)" % (rss, where, self.rss_bound_kib))
        return rss

    def assert_serves(self, s, what):
        t0 = time.monotonic()
        r = s.exchange(OK_REQ, timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(r.data, OK_200, "%s: %r" % (what, r))
        self.assertLess(took, PROMPT_S, "%s: a normal request took %.2f s" % (what, took))

    def back_to_baseline(self, s, fds0):
        """open_connections 0 and the fd count back to what it was before the storm."""
        self.settle(s)
        poll_until(lambda: fd_count(self.pid) <= fds0, timeout=10,
                   what="fd count back to %d (now %d)" % (fds0, fd_count(self.pid)))

    # ------------------------------------------------------------------------------------
    def test_random_bytes(self):
        """Seeded random bytes, alone or after a valid request line: each connection gets a
        400 (or 431) and a FIN, or just the FIN once it half-closes; nothing else."""
        s = self.start()
        fds0, _ = self.settle(s)
        rng = random.Random(5)
        allowed = (b"", RESP_400, RESP_431)
        for i in range(150):
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000)))
            if i % 3 == 1:
                payload = b"GET /ok/x HTTP/1.1\r\n" + payload
            elif i % 3 == 2:
                payload = b"POST /keepalive_race/x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n" + payload
            with s.connect() as c:
                try:
                    c.sendall(payload)
                    c.shutdown(socket.SHUT_WR)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                r = read_to_end(c, timeout=10)
            if i % 3 == 2:
                # A valid request first: its answer (and those of any request the random tail
                # happens to form) may come before the 400.
                ok = r.end == "fin" and (r.data == b"" or r.data.startswith(b"HTTP/1.1 "))
            else:
                ok = r.end == "fin" and r.data in allowed
            self.assertTrue(ok, "seed 5, payload %d (%d bytes, starts %r): %r" % (i, len(payload), payload[:40], r))
        self.assert_serves(s, "after random bytes")
        self.assertGreater(stats_totals(s.get("/stats"))["bad_requests"], 50)
        self.back_to_baseline(s, fds0)
        self.check_rss("after random bytes")

    def test_slowloris_does_not_delay_others(self):
        """20 connections each sending one header byte every 0.2 s for 3 s; meanwhile every
        normal request is answered promptly. The slow requests, once finished, are answered."""
        s = self.start()
        fds0, _ = self.settle(s)
        slow = []
        for i in range(20):
            c = s.connect()
            c.sendall(b"GET /ok/slow%d HTTP/1.1\r\nHost: t\r\nX-Slow: " % i)
            slow.append(c)
        answered, worst = 0, 0.0
        t_end = time.monotonic() + 3.0
        for tick in range(40):  # bounded: 15 ticks fill the 3 s
            if time.monotonic() >= t_end:
                break
            t_tick = time.monotonic()
            for c in slow:
                c.sendall(b"a")
            t0 = time.monotonic()
            r = s.exchange(OK_REQ, timeout=10)
            took = time.monotonic() - t0
            worst = max(worst, took)
            self.assertEqual(r.data, OK_200, "tick %d: %r" % (tick, r))
            answered += 1
            time.sleep(max(0.0, 0.2 - (time.monotonic() - t_tick)))
        self.assertGreaterEqual(answered, 8, "only %d normal requests answered in 3 s" % answered)
        self.assertLess(worst, PROMPT_S, "a normal request took %.2f s during the slowloris" % worst)
        # The slow connections are all still open (the last normal one may still be closing).
        poll_until(lambda: stats_totals(s.get("/stats"))["open_connections"] == len(slow), timeout=5,
                   what="%d open connections" % len(slow))
        # The slow requests end: each is a valid request, answered like any other.
        for c in slow:
            c.sendall(b"\r\nConnection: close\r\n\r\n")
        for i, c in enumerate(slow):
            r = read_to_end(c, timeout=10)
            self.assertEqual((r.data, r.end), (OK_200, "fin"), "slow connection %d: %r" % (i, r))
            c.close()
        self.back_to_baseline(s, fds0)
        self.check_rss("after the slowloris")

    def test_ten_thousand_connections_opened_and_dropped(self):
        """10,000 connections held open at once, then dropped (half FIN, half RST): the
        server counts every one closed, gives back its file descriptors and memory, and
        answers the next request."""
        want = 10000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = want + 256
        if soft < need:
            if hard != resource.RLIM_INFINITY and hard < need:
                self.skipTest("RLIMIT_NOFILE hard limit %d < %d" % (hard, need))
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        s = self.start()
        fds0, rss0 = self.settle(s)
        conns0 = stats_totals(s.get("/stats"))["connections"]
        socks = []
        deadline = time.monotonic() + 60
        try:
            for i in range(want):
                if time.monotonic() > deadline:
                    self.fail("only %d connections opened in 60 s" % i)
                socks.append(socket.create_connection(s.addr, timeout=10))
            poll_until(lambda: stats_totals(s.get("/stats"))["open_connections"] == want, timeout=30,
                       interval=0.1, what="%d open connections" % want)
            self.assertGreaterEqual(fd_count(self.pid), fds0 + want - 8)
            peak = self.check_rss("with %d connections open" % want)
            # Other clients are still answered while the crowd is there.
            self.assert_serves(s, "with %d connections open" % want)
        finally:
            for i, c in enumerate(socks):
                if i % 2:
                    rst_close(c)
                else:
                    c.close()
            socks.clear()
        self.back_to_baseline(s, fds0)
        st = stats_totals(s.get("/stats"))
        self.assertEqual(st["connections"] - conns0, want + 1, st)
        self.assert_serves(s, "after the crowd left")
        rss1 = self.check_rss("after the crowd left")
        # The crowd's memory went back (conn_free trims the heap once all are gone); the
        # sanitizer build keeps freed blocks in quarantine, so only the plain one is held to it.
        if not self.asan:
            self.assertLess(rss1, rss0 + 16 * 1024, "VmRSS %d KiB after, %d KiB before, %d KiB at the peak"
                            % (rss1, rss0, peak))

    def test_reset_mid_request(self):
        """Clients that RST after half a request, after half a body, while the plan stalls
        and while it dribbles: each is recorded as peer_reset (or a failed write), counted
        closed, and the server goes on."""
        s = self.start()
        fds0, _ = self.settle(s)
        s.admin("POST", "/stats/reset", body=b"")
        half_req = request_bytes("/ok/x")[:20]
        half_body = request_bytes("/keepalive_race/x", method="POST", headers=["Content-Length: 1000"]) + b"x" * 500
        n = 0
        for i in range(30):
            for payload, wait in ((half_req, 0), (half_body, 0),
                                  (request_bytes("/stall_headers/x"), 0.05),
                                  (request_bytes("/slow_drip/x"), 0.08)):
                c = s.connect()
                c.sendall(payload)
                if wait:
                    time.sleep(wait)  # the plan is running (stalled, or between drips)
                rst_close(c)
                n += 1
        self.assert_serves(s, "after resets")
        self.back_to_baseline(s, fds0)
        st = s.get("/stats")
        self.assertEqual(stats_totals(st)["connections"], n + 1, st)
        events = s.get("/events?limit=1000")
        records = events if isinstance(events, list) else events.get("connections") or events.get("events")
        ends = {}
        for rec in records:
            ends[rec["end"]] = ends.get(rec["end"], 0) + 1
        # Every reset connection ended on the peer's reset, or on the write it made fail.
        self.assertEqual(ends.get("peer_reset", 0) + ends.get("error", 0), n, ends)
        self.check_rss("after resets")

    def test_100_kib_of_request_headers_gets_431(self):
        """http-parser stops at 80 KiB of headers (HTTP_MAX_HEADER_SIZE): the server answers
        431 and closes, many headers or one long one; 70 KiB still passes."""
        s = self.start()
        fds0, _ = self.settle(s)
        many = ["X-Pad-%04d: %s" % (i, "a" * 90) for i in range(1024)]  # 1024 * 102 bytes
        one = ["X-Long: " + "b" * (100 * 1024)]
        for name, headers in (("many headers", many), ("one header", one)):
            req = request_bytes("/ok/x", headers=headers, close=True)
            self.assertGreater(len(req), 100 * 1024)
            r = s.exchange(req, timeout=10)
            self.assertEqual((r.data, r.end), (RESP_431, "fin"), "%s: %r" % (name, r))
            self.assert_serves(s, "after %s" % name)
        r = s.exchange(request_bytes("/ok/x", headers=["X-Pad: " + "c" * (70 * 1024)], close=True), timeout=10)
        self.assertEqual(r.data, OK_200, "70 KiB of headers: %r" % r)
        st = stats_totals(s.get("/stats"))
        self.assertEqual(st["bad_requests"], 2, st)
        events = s.get("/events?limit=10")
        text = repr(events)
        self.assertIn("HPE_HEADER_OVERFLOW", text)
        self.back_to_baseline(s, fds0)
        self.check_rss("after 100 KiB headers")

    def flood(self, c, limit):
        """Sends pipelined requests until the server stops taking them (the socket buffers
        are full), `limit` bytes, or 10 s; returns the bytes sent."""
        chunk = request_bytes("/ok/pipelined") * 400
        sent, deadline = 0, time.monotonic() + 10
        c.settimeout(0.5)
        while sent < limit and time.monotonic() < deadline:
            try:
                sent += c.send(chunk)
            except socket.timeout:
                break
        return sent

    def test_pipelined_flood_behind_a_stall_is_bounded(self):
        """Pipelined requests behind one that stalls for 2 s: the server buffers at most
        1 MiB, then stops reading (TCP pushes back), and its memory stays bounded. The
        client then resets: the connection ends when the stall does."""
        d = self.make_tempdir()
        write_scenario(d, "stall2", 'return scenario { summary = "stall 2 s", expect = 200,\n'
                       '  plan = { rxreq(), stall(2), txresp { status = 200, body = "late\\n" }, keepalive() } }\n')
        s = self.start(d, SCENARIOS)
        fds0, rss0 = self.settle(s)
        c = s.connect()
        c.sendall(request_bytes("/stall2/x"))
        # What the kernel buffers on both sides of loopback is a few MiB at most (tcp_rmem
        # and tcp_wmem); 64 MiB means the server kept taking input.
        sent = self.flood(c, 64 * MIB)
        self.assertLess(sent, 64 * MIB, "the server took 64 MiB of pipelined input without pushing back")
        self.assert_serves(s, "during the flood")
        rss1 = self.check_rss("during the flood")
        if not self.asan:
            self.assertLess(rss1 - rss0, 16 * 1024, "VmRSS grew %d KiB for one flooding peer" % (rss1 - rss0))
        rst_close(c)
        self.back_to_baseline(s, fds0)

    def test_flood_into_an_endless_stall_is_dropped(self):
        """The same flood behind stall() with no end: nothing will ever parse it, so the
        server reads and drops it (memory flat), and sees the client's RST at once."""
        s = self.start()
        fds0, rss0 = self.settle(s)
        c = s.connect()
        c.sendall(request_bytes("/stall_headers/x"))
        sent = self.flood(c, 32 * MIB)
        self.assertGreaterEqual(sent, 32 * MIB, "the server stopped reading after %d bytes" % sent)
        rss1 = self.check_rss("after the flood")
        if not self.asan:
            self.assertLess(rss1 - rss0, 16 * 1024, "VmRSS grew %d KiB for one flooding peer" % (rss1 - rss0))
        t0 = time.monotonic()
        rst_close(c)
        self.back_to_baseline(s, fds0)
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assert_serves(s, "after the flood")

    def test_request_body_kept_for_plan_functions_is_capped(self):
        """A 4 MiB body to a plan function: the request is answered, Lua sees the first
        1 MiB (REQUEST_MAX_BODY) and the memory stays bounded."""
        d = self.make_tempdir()
        write_scenario(d, "echo", echo_lua(continue100=False))
        s = self.start(d, args=["--default", "echo"])
        fds0, _ = self.settle(s)
        body = b"z" * (4 * MIB)
        r = s.exchange(request_bytes("/echo/x", method="POST", headers=["Content-Length: %d" % len(body)],
                                     body=body, close=True), timeout=20)
        self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK\r\n"), r)
        fields = parse_echo(r.data.split(b"\r\n\r\n", 1)[1])
        self.assertEqual(fields["body_len"], str(MIB))
        self.back_to_baseline(s, fds0)
        self.check_rss("after a 4 MiB body")


if __name__ == "__main__":
    unittest.main(verbosity=2)
