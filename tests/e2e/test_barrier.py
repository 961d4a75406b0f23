#!/usr/bin/env python3
"""barrier(name, bound) on the wire, and the control API that reaches it.

A plan that waits at a barrier must hold its next bytes (or its FIN/RST) until the name is
reached (POST /barriers/NAME) or the bound passes, whichever is first, and never longer.
Checked from outside with a raw socket: when the RST comes relative to the POST, and what
the event log says happened. Also the accept faults, which wait for the peer's whole request.
"""
import json
import os
import socket
import time
import unittest

import common

F = common.TIME_FACTOR

RESET_AT_BARRIER = """
return scenario {
  summary = "head, then RST at barrier response_head (bound 2 s)",
  expect  = "200+reset",
  plan    = { rxreq(), txresp { status = 200, body = "0123456789", length = 100 },
              barrier("response_head", 2), reset() },
}
"""

TWO_BARRIERS = """
return scenario {
  summary = "two named barriers in a row",
  expect  = 200,
  plan    = { rxreq(), barrier("first", 2), send("HTTP/1.1 200 OK\\r\\n"), barrier("second", 2),
              send("Content-Length: 0\\r\\n\\r\\n"), close() },
}
"""

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"


def setUpModule():
    common.require_binary()


def read_head(sock, timeout=5.0):
    """Reads until the head and its 10 body bytes are in; returns the bytes."""
    sock.settimeout(timeout)
    data = b""
    while len(data) < len(HEAD):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class Barrier(unittest.TestCase, common.TempDirMixin):
    @classmethod
    def setUpClass(cls):
        d = cls.d = __import__("tempfile").mkdtemp(prefix="badup-e2e-barrier-")
        cls.addClassCleanup(__import__("shutil").rmtree, d, True)
        common.write_scenario(d, "reset_at_barrier", RESET_AT_BARRIER)
        cls.server = common.start_class_server(cls, os.path.join(d, "reset_at_barrier.lua"))

    def setUp(self):
        status, _ = self.server.admin("DELETE", "/barriers")
        self.assertEqual(status, 200)

    def test_unreached_barrier_holds_the_fault_for_its_bound(self):
        with self.server.connect() as s:
            s.sendall(common.request_bytes("/x"))
            self.assertEqual(read_head(s), HEAD)
            r = common.read_to_end(s, timeout=6 * F)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)
        self.assertGreaterEqual(r.elapsed, 1.9)          # never before its bound
        self.assertLess(r.elapsed, 2.0 + 1.5 * F)        # nor long after
        last = self.server.get("/events?limit=1")[-1]
        whats = [e["what"] for e in last["events"]]
        self.assertIn("barrier_timeout", whats, last)
        self.assertNotIn("barrier_reached", whats, last)

    def test_reaching_the_barrier_releases_the_fault_at_once(self):
        with self.server.connect() as s:
            s.sendall(common.request_bytes("/x"))
            self.assertEqual(read_head(s), HEAD)
            time.sleep(0.3)
            status, body = self.server.admin("POST", "/barriers/response_head")
            t_post = time.monotonic()
            self.assertEqual(status, 200, body)
            self.assertEqual(body["barriers"], [{"name": "response_head", "reached": True, "reaches": 1}])
            r = common.read_to_end(s, timeout=5 * F)
            waited = time.monotonic() - t_post
        self.assertEqual((r.data, r.end), (b"", "reset"), r)
        self.assertLess(waited, 1.0 * F)  # well before the 2 s bound, and the 0.3 s before it
        events = self.server.get("/events?limit=1")[-1]["events"]
        reached = [e for e in events if e["what"] == "barrier_reached"]
        self.assertEqual(len(reached), 1, events)
        self.assertEqual(reached[0]["detail"], "response_head")
        self.assertGreaterEqual(reached[0]["t_ms"], 300)

    def test_a_barrier_reached_before_the_wait_passes_at_once(self):
        status, _ = self.server.admin("POST", "/barriers/response_head")
        self.assertEqual(status, 200)
        r = self.server.exchange(common.request_bytes("/x"), timeout=5 * F)
        self.assertEqual((r.data, r.end), (HEAD, "reset"), r)
        self.assertLess(r.elapsed, 1.0 * F)

    def test_delete_forgets_reached_barriers(self):
        self.server.admin("POST", "/barriers/response_head")
        status, body = self.server.admin("DELETE", "/barriers")
        self.assertEqual((status, body), (200, {"barriers": []}))
        status, body = self.server.admin("GET", "/barriers")
        self.assertEqual((status, body), (200, {"barriers": []}))
        with self.server.connect() as s:
            s.sendall(common.request_bytes("/x"))
            read_head(s)
            r = common.read_to_end(s, timeout=6 * F)
        self.assertGreaterEqual(r.elapsed, 1.9)

    def test_other_names_do_not_release_it(self):
        with self.server.connect() as s:
            s.sendall(common.request_bytes("/x"))
            read_head(s)
            self.assertEqual(self.server.admin("POST", "/barriers/other")[0], 200)
            r = common.read_to_end(s, timeout=6 * F)
        self.assertGreaterEqual(r.elapsed, 1.9)
        names = [b["name"] for b in self.server.get("/barriers")["barriers"]]
        self.assertEqual(names, ["other"])

    def test_control_api_errors(self):
        self.assertEqual(self.server.admin("POST", "/barriers/" + "x" * 32)[0], 400)
        self.assertEqual(self.server.admin("POST", "/barriers/a%2Fb")[0], 400)
        self.assertEqual(self.server.admin("POST", "/barriers/")[0], 400)
        self.assertEqual(self.server.admin("GET", "/barriers/response_head")[0], 405)
        self.assertEqual(self.server.admin("PUT", "/barriers", body={})[0], 405)
        self.assertEqual(self.server.admin("DELETE", "/barriers/response_head")[0], 405)


class BarriersInOrder(unittest.TestCase, common.TempDirMixin):
    def test_each_barrier_holds_its_own_bytes(self):
        d = self.make_tempdir()
        server = common.start_server(self, common.write_scenario(d, "two", TWO_BARRIERS))
        with server.connect() as s:
            s.sendall(common.request_bytes("/x"))
            s.settimeout(0.4)
            with self.assertRaises(socket.timeout):
                s.recv(100)  # nothing before "first"
            server.admin("POST", "/barriers/first")
            s.settimeout(5 * F)
            self.assertEqual(s.recv(100), b"HTTP/1.1 200 OK\r\n")
            s.settimeout(0.4)
            with self.assertRaises(socket.timeout):
                s.recv(100)  # the rest waits for "second"
            server.admin("POST", "/barriers/second")
            r = common.read_to_end(s, timeout=5 * F)
        self.assertEqual((r.data, r.end), (b"Content-Length: 0\r\n\r\n", "fin"), r)


class CatalogBarriers(unittest.TestCase):
    """Every catalog scenario that waits at response_head holds its fault until reached."""

    def test_mid_body_catalog(self):
        names = []
        for f in sorted(os.listdir(common.SCENARIOS)):
            with open(os.path.join(common.SCENARIOS, f)) as fh:
                # HTTP/1 here; the HTTP/2 ones' barriers are test_h2_wire's
                if 'barrier("response_head"' in fh.read() and not f.startswith("h2_"):
                    names.append(f[:-4])
        for required in ("close_mid_body", "reset_mid_body", "truncated_body", "truncated_chunked", "bad_chunk_size"):
            self.assertIn(required, names)
        # common.FAST: read_timeout 0.3, so the bound is 0.15 s; with --set read_timeout=4 it
        # is 2 s, long enough to tell "released by the POST" from "the bound passed".
        server = common.start_server(self, common.SCENARIOS, args=["--set", "read_timeout=4"], fast=False)
        for name in names:
            with self.subTest(name):
                server.admin("DELETE", "/barriers")
                with server.connect() as s:
                    s.sendall(common.request_bytes("/%s/x" % name))
                    s.settimeout(5)
                    head = s.recv(65536)
                    self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
                    held = common.read_to_end(s, timeout=0.3)
                    self.assertEqual(held.end, "open", "%s did not wait at its barrier: %r" % (name, held))
                    server.admin("POST", "/barriers/response_head")
                    t = time.monotonic()
                    r = common.read_to_end(s, timeout=5 * F)
                self.assertIn(r.end, ("fin", "reset"), r)
                self.assertLess(time.monotonic() - t, 1.5 * F, "%s waited for its bound, not the barrier" % name)


class ClientPartBarriers(unittest.TestCase, common.TempDirMixin):
    """A client part's requests each start with no barrier reached: what request 1 reached
    (the upstream's reach(), the client's response_head) is not request 2's. Checked with
    `badup client --admin` straight at `badup serve` (the same scripted client `badup run`
    uses), and through a proxy in test_client_script.py."""

    def client(self, server, path, timeout=10):
        host, port = server.addr
        ahost, aport = server.admin_addr
        p = common.run_badup(["client", path, "--to", "%s:%d" % (host, port), "--admin", "%s:%d" % (ahost, aport),
                              "--json", "--timeout", str(timeout)], timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        self.assertEqual(p.returncode, 0, err)
        return json.loads(p.stdout)

    def test_each_request_aborts_at_its_own_reach(self):
        d = self.make_tempdir()
        path = common.write_scenario(d, "reach_twice", """
return scenario {
  summary = "each request: the upstream reaches 'up' once it has it, the client resets there",
  expect  = "aborted",
  plan    = { rxreq(), reach("up"), stall(20) },
  client  = { request { abort = { at = "barrier", barrier = "up", how = "reset" } },
              request { connection = "new", abort = { at = "barrier", barrier = "up", how = "reset" } } },
}
""")
        server = common.start_server(self, path)
        out = self.client(server, path)
        self.assertEqual((out["outcome"], out["requests_sent"]), ("aborted", 2), out)
        # request 2 reached the upstream: it did not abort at request 1's barrier before a byte
        self.assertEqual(len(server.get("/requests")["requests"]), 2)
        # and a second run against the same badup serve starts afresh too
        out = self.client(server, path)
        self.assertEqual((out["outcome"], out["requests_sent"]), ("aborted", 2), out)
        self.assertEqual(len(server.get("/requests")["requests"]), 4)

    def test_each_connection_waits_for_its_own_response_head(self):
        d = self.make_tempdir()
        # The upstream waits at response_head before its head: no client can have that head,
        # so every connection must wait for the bound. A barrier left from connection 1
        # would let connection 2 answer at once.
        path = common.write_scenario(d, "head_twice", """
return scenario {
  summary = "each connection waits at response_head before its head",
  expect  = 200,
  plan    = { rxreq(), barrier("response_head", 1), txresp { body = "ok" } },
  client  = { request { }, request { connection = "new" } },
}
""")
        server = common.start_server(self, path)
        t = time.monotonic()
        out = self.client(server, path)
        self.assertEqual(out["outcome"], "200", out)
        self.assertEqual([r["status"] for r in out["responses"]], [200, 200])
        self.assertGreaterEqual(time.monotonic() - t, 1.9)
        conns = [c for c in server.get("/events?limit=10") if any(e["what"] == "barrier_timeout" or
                                                                   e["what"] == "barrier_reached" for e in c["events"])]
        self.assertEqual(len(conns), 2, conns)
        for c in conns:
            whats = [e["what"] for e in c["events"]]
            self.assertIn("barrier_timeout", whats, c)
            self.assertNotIn("barrier_reached", whats, c)


class AcceptWaitsForTheRequest(unittest.TestCase):
    """accept_close/accept_reset act once the peer's bytes are in (deterministic for a
    proxy: its connect is complete and its request written), or after 1 s without any."""

    def check(self, scenario, end):
        server = common.start_server(self, common.scenario_path(scenario))
        r = server.exchange(common.request_bytes("/x"), timeout=5 * F)
        self.assertEqual((r.data, r.end), (b"", end), r)
        self.assertLess(r.elapsed, 0.8 * F)
        with server.connect() as s:  # nothing sent: the fault comes after the 1 s bound
            t = time.monotonic()
            r = common.read_to_end(s, timeout=5 * F)
            waited = time.monotonic() - t
        self.assertEqual((r.data, r.end), (b"", end), r)
        self.assertGreaterEqual(waited, 0.9)
        self.assertLess(waited, 1.0 + 1.5 * F)

    def test_accept_reset(self):
        self.check("reset_on_accept", "reset")

    def test_accept_close(self):
        self.check("close_on_accept", "fin")

    @common.skip_without_curl
    def test_curl_sees_one_outcome_every_time(self):
        for scenario, rc_want, text in (("reset_on_accept", 56, "Connection reset by peer"),
                                        ("close_on_accept", 52, "Empty reply from server")):
            server = common.start_server(self, common.scenario_path(scenario))
            for _ in range(5):
                rc, code, err, _ = common.curl(server.url("/x"))
                self.assertEqual((rc, code), (rc_want, "000"), err)
                self.assertIn(text, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
