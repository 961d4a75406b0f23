#!/usr/bin/env python3
"""Several upstreams, what each received, and reach(): checked from outside.

`upstreams = N` / `upstreams = { {plan = ...}, ... }` make `badup serve` listen on a port
per upstream (docs/scenarios.md): raw sockets talk to each port, a refuse() upstream must
give ECONNREFUSED on its own port while the other answers, and /requests, /events and
/stats must say which upstream saw what. /requests must hold every request verbatim
(fields in order, as spelled), with its body's length and start, complete or not.
reach("name") must reach a barrier as POST /barriers/NAME does.
"""
import base64
import os
import re
import shutil
import socket
import tempfile
import time
import unittest

import common

F = common.TIME_FACTOR

NUMBERED = """
return scenario {
  summary = "two upstreams, each says which it is",
  expect  = 200,
  upstreams = 2,
  plan = function(req)
    return { txresp { body = "upstream " .. req.upstream }, close() }
  end,
}
"""

ONE_REFUSES = """
return scenario {
  summary = "upstream 1 refuses connections, upstream 2 answers",
  expect  = 200,
  upstreams = {
    { plan = { refuse() } },
    { plan = { txresp { body = "second" }, close() } },
  },
}
"""

STATIC = """
return scenario {
  summary = "a static plan: what it received is recorded all the same",
  expect  = 200,
  plan    = { txresp { body = "ok" }, keepalive() },
}
"""

REACH = """
return scenario {
  summary = "one request reaches 'go', another waits for it",
  expect  = 200,
  plan = function(req)
    if req.path == "/wait" then
      return { barrier("go", 5), txresp { body = "released" }, close() }
    end
    return { reach("go"), txresp { body = "reached" }, close() }
  end,
}
"""


def setUpModule():
    common.require_binary()


def upstream_addrs(server):
    """Every upstream's (host, port) from the start-up line, upstream 1 first."""
    m = re.search(r" upstreams=(\S+)", server.startup_line)
    if not m:
        return [server.addr]
    return [common.parse_hostport(a) for a in m.group(1).split(",")]


def exchange(addr, data, timeout=5.0):
    return common.exchange(addr, data, timeout=timeout * F)


class Tmp:
    @classmethod
    def scenario(cls, name, text):
        cls.d = getattr(cls, "d", None) or tempfile.mkdtemp(prefix="badup-e2e-ups-")
        cls.addClassCleanup(shutil.rmtree, cls.d, True)
        return common.write_scenario(cls.d, name, text)


class Numbered(unittest.TestCase, Tmp):
    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, cls.scenario("numbered", NUMBERED))

    def setUp(self):
        self.assertEqual(self.server.admin("POST", "/stats/reset")[0], 200)

    def test_startup_line_lists_every_upstream_and_keeps_listen_first(self):
        addrs = upstream_addrs(self.server)
        self.assertEqual(len(addrs), 2, self.server.startup_line)
        self.assertEqual(addrs[0], self.server.addr)
        self.assertNotEqual(addrs[0][1], addrs[1][1])
        self.assertEqual(self.server.startup_line.count("listen="), 1)

    def test_each_port_is_its_own_upstream(self):
        for k, addr in enumerate(upstream_addrs(self.server), 1):
            r = exchange(addr, common.request_bytes("/n/%d" % k))
            self.assertTrue(r.data.endswith(b"upstream %d" % k), r)
            self.assertEqual(r.end, "fin", r)
        reqs = self.server.get("/requests")["requests"]
        self.assertEqual([(q["upstream"], q["target"]) for q in reqs], [(1, "/n/1"), (2, "/n/2")])
        events = self.server.get("/events")
        self.assertEqual(sorted(e["upstream"] for e in events), [1, 2])
        ups = self.server.get("/stats")["upstreams"]
        self.assertEqual([(u["upstream"], u["connections"], u["requests"]) for u in ups], [(1, 1, 1), (2, 1, 1)])
        self.assertEqual(ups[1]["listen"], "%s:%d" % upstream_addrs(self.server)[1])

    def test_requests_filter_by_upstream(self):
        addrs = upstream_addrs(self.server)
        exchange(addrs[1], common.request_bytes("/only/2"))
        exchange(addrs[0], common.request_bytes("/only/1"))
        reqs = self.server.get("/requests?upstream=2")["requests"]
        self.assertEqual([q["target"] for q in reqs], ["/only/2"])


class Folder(unittest.TestCase):
    """Served with other scenarios: as many ports as the one that asks for the most."""

    @classmethod
    def setUpClass(cls):
        d = tempfile.mkdtemp(prefix="badup-e2e-ups-folder-")
        cls.addClassCleanup(shutil.rmtree, d, True)
        common.write_scenario(d, "numbered", NUMBERED)
        common.write_scenario(d, "static", STATIC)
        common.write_scenario(d, "one_refuses", ONE_REFUSES)
        cls.server = common.start_class_server(cls, d)

    def test_switching_the_default_switches_each_port_alone(self):
        first, second = upstream_addrs(self.server)
        self.addCleanup(self.server.admin, "PUT", "/default", {"name": "ok"})
        status, _ = self.server.admin("PUT", "/default", {"name": "one_refuses"})
        self.assertEqual(status, 200)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(first, timeout=5).close()
        self.assertTrue(exchange(second, common.request_bytes("/y")).data.endswith(b"second"))
        status, _ = self.server.admin("PUT", "/default", {"name": "ok"})
        self.assertEqual(status, 200)
        for addr in (first, second):
            r = exchange(addr, common.request_bytes("/z", close=True))
            self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK"), r)

    def test_routed_on_every_port(self):
        addrs = upstream_addrs(self.server)
        self.assertEqual(len(addrs), 2, self.server.startup_line)
        r = exchange(addrs[1], common.request_bytes("/numbered/x"))
        self.assertTrue(r.data.endswith(b"upstream 2"), r)
        # static has one upstream: on port 2 it runs its only plan
        r = exchange(addrs[1], common.request_bytes("/static/x", close=True))
        self.assertTrue(r.data.endswith(b"ok"), r)
        counts = {s["name"]: s["upstreams"] for s in self.server.get("/scenarios")}
        self.assertEqual((counts["numbered"], counts["static"], counts["ok"]), (2, 1, 1))
        reqs = self.server.get("/requests")["requests"]
        self.assertEqual([(q["upstream"], q["scenario"]) for q in reqs if q["target"].endswith("/x")],
                         [(2, "numbered"), (2, "static")])


class OneRefuses(unittest.TestCase, Tmp):
    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, cls.scenario("one_refuses", ONE_REFUSES))

    def test_refused_on_its_port_answered_on_the_other(self):
        first, second = upstream_addrs(self.server)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(first, timeout=5).close()
        r = exchange(second, common.request_bytes("/x"))
        self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK\r\n") and r.data.endswith(b"second"), r)
        reqs = self.server.get("/requests")["requests"]
        self.assertEqual([q["upstream"] for q in reqs], [2])
        listen = [u["listen"] for u in self.server.get("/stats")["upstreams"]]
        self.assertEqual(listen, ["%s:%d" % first, "%s:%d" % second])


class Received(unittest.TestCase, Tmp):
    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, cls.scenario("static", STATIC))

    def setUp(self):
        status, body = self.server.admin("DELETE", "/requests")
        self.assertEqual((status, body), (200, {"requests": []}))

    def last(self):
        reqs = common.poll_until(lambda: self.server.get("/requests")["requests"], what="a recorded request")
        return reqs[-1]

    def test_fields_verbatim_in_order_with_the_body(self):
        req = (b"POST /form?a=1 HTTP/1.1\r\nHost: up\r\nx-MiXed-Case: v1\r\nX-Dup: a\r\nX-Dup: b\r\n"
               b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
        r = exchange(self.server.addr, req)
        self.assertEqual(r.end, "fin", r)
        q = self.last()
        self.assertEqual((q["upstream"], q["seq"], q["method"], q["target"], q["version"]),
                         (1, 1, "POST", "/form?a=1", "HTTP/1.1"))
        self.assertEqual(q["headers"], [["Host", "up"], ["x-MiXed-Case", "v1"], ["X-Dup", "a"], ["X-Dup", "b"],
                                        ["Content-Length", "5"], ["Connection", "close"]])
        self.assertEqual((q["body_length"], q["body"], q["body_truncated"], q["complete"]), (5, "hello", False, True))
        self.assertNotIn("body_base64", q)
        conn = [e for e in self.server.get("/events") if e["id"] == q["conn"]]
        self.assertEqual(len(conn), 1)

    def test_chunked_body_is_counted_decoded(self):
        req = (b"PUT /c HTTP/1.1\r\nHost: up\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        exchange(self.server.addr, req)
        q = self.last()
        self.assertEqual((q["method"], q["body_length"], q["body"], q["complete"]), ("PUT", 5, "abcde", True))

    def test_a_body_that_never_all_came_is_recorded_incomplete(self):
        with self.server.connect() as s:
            s.sendall(b"POST /cut HTTP/1.1\r\nHost: up\r\nContent-Length: 100\r\n\r\n0123456789")
            q = self.last()  # the head is recorded as soon as it is in
            self.assertEqual((q["target"], q["complete"]), ("/cut", False))
            time.sleep(0.2)
        q = common.poll_until(lambda: [x for x in self.server.get("/requests")["requests"]
                                       if x["body_length"] == 10], what="the body's bytes after the close")[-1]
        self.assertEqual((q["body"], q["complete"]), ("0123456789", False))

    def test_a_long_body_keeps_its_start_and_counts_all(self):
        body = bytes(ord("a") + i % 26 for i in range(10000))
        req = (b"POST /big HTTP/1.1\r\nHost: up\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
        exchange(self.server.addr, req)
        q = self.last()
        self.assertEqual((q["body_length"], q["body_truncated"], q["complete"]), (10000, True, True))
        self.assertEqual(q["body"], body[:4096].decode())

    def test_a_body_that_is_not_utf8_comes_exactly_in_base64(self):
        body = b"\xff\xfeok\x00"
        req = b"POST /bin HTTP/1.1\r\nHost: up\r\nContent-Length: 5\r\nConnection: close\r\n\r\n" + body
        exchange(self.server.addr, req)
        q = self.last()
        self.assertEqual(base64.b64decode(q["body_base64"]), body)
        self.assertEqual(q["body"], "\ufffd\ufffdok\x00")

    def test_keepalive_requests_are_numbered_on_their_connection(self):
        with self.server.connect() as s:
            reader = common.HTTPReader(s)
            for path in ("/a", "/b"):
                s.sendall(common.request_bytes(path))
                self.assertEqual(reader.read_response()[0], 200)
        reqs = self.server.get("/requests")["requests"]
        self.assertEqual([(q["target"], q["seq"]) for q in reqs], [("/a", 1), ("/b", 2)])
        self.assertEqual(reqs[0]["conn"], reqs[1]["conn"])

    @common.skip_without_curl
    def test_curl_post(self):
        rc, code, err, _ = common.curl(self.server.url("/curl"), "-d", "x=1", "-H", "X-Test: yes")
        self.assertEqual((rc, code), (0, "200"), err)
        q = self.last()
        names = [h[0] for h in q["headers"]]
        self.assertIn("X-Test", names)
        self.assertEqual((q["method"], q["body"]), ("POST", "x=1"))


class Reach(unittest.TestCase, Tmp):
    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, cls.scenario("reach", REACH))

    def setUp(self):
        self.assertEqual(self.server.admin("DELETE", "/barriers")[0], 200)

    def test_reach_marks_the_barrier_reached(self):
        r = exchange(self.server.addr, common.request_bytes("/go"))
        self.assertTrue(r.data.endswith(b"reached"), r)
        self.assertEqual(self.server.get("/barriers")["barriers"], [{"name": "go", "reached": True, "reaches": 1}])

    def test_reach_releases_a_connection_waiting_at_the_barrier(self):
        with self.server.connect() as waiting:
            waiting.sendall(common.request_bytes("/wait"))
            common.poll_until(lambda: [e for e in self.server.get("/events")
                                       if e.get("state") == "at_barrier"], what="a connection at the barrier")
            t0 = time.monotonic()
            exchange(self.server.addr, common.request_bytes("/go"))
            r = common.read_to_end(waiting, timeout=6 * F)
            waited = time.monotonic() - t0
        self.assertTrue(r.data.endswith(b"released"), r)
        self.assertLess(waited, 2.0 * F)  # the barrier's bound is 5 s


BAD = {
    # name -> (text, line the error names, a word of the message)
    "zero": ('return scenario {\n  summary = "x", expect = 200,\n  upstreams = 0,\n  plan = { close() },\n}\n',
             1, "upstreams"),
    "nine": ('return scenario { summary = "x", expect = 200, upstreams = 9, plan = { close() } }\n', 1, "upstreams"),
    "string": ('\nreturn scenario { summary = "x", expect = 200, upstreams = "2", plan = { close() } }\n', 2,
               "upstreams"),
    "empty_list": ('return scenario { summary = "x", expect = 200, upstreams = {} }\n', 1, "upstreams"),
    "plan_twice": ('return scenario { summary = "x", expect = 200,\n upstreams = { { plan = { close() } } },\n'
                   ' plan = { close() } }\n', 1, "plan"),
    "unknown_field": ('return scenario { summary = "x", expect = 200, upstreams = { { plan = { close() }, port = 1 } } }\n',
                      1, "port"),
    "no_plan": ('return scenario { summary = "x", expect = 200, upstreams = { { plan = { close() } }, {} } }\n', 1,
                "upstreams[2].plan"),
    "bad_order": ('return scenario {\n  summary = "x", expect = 200,\n  upstreams = {\n    { plan = { close() } },\n'
                  '    { plan = {\n      close(),\n      rxreq() } },\n  },\n}\n', (6, 7), None),
    "reach_bad_name": ('return scenario {\n  summary = "x", expect = 200,\n  plan = { reach("no spaces"), close() },\n}\n',
                       3, "reach"),
    "reach_no_name": ('return scenario {\n  summary = "x", expect = 200,\n\n  plan = { reach(), close() },\n}\n',
                      4, "reach"),
}


class LoadErrors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="badup-e2e-ups-bad-")
        self.addCleanup(shutil.rmtree, self.dir, True)


def _bad_test(name):
    def test(self):
        text, line, word = BAD[name]
        path = common.write_scenario(self.dir, name, text)
        p = common.run_badup(["serve"] + common.FAST + [path], timeout=20)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 2, err)
        self.assertNotIn("badup serve: listen=", p.stdout.decode("utf-8", "replace"))
        lines = line if isinstance(line, tuple) else (line,)
        m = re.search(r"^%s:(%s): (.*)$" % (re.escape(path), "|".join(map(str, lines))), err, re.M)
        self.assertTrue(m, "no %s:%s: line in stderr:\n%s" % (path, line, err))
        if word:
            self.assertIn(word, m.group(2))
        for marker in common.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
    test.__name__ = "test_" + name
    return test


for _name in BAD:
    setattr(LoadErrors, "test_" + _name, _bad_test(_name))


if __name__ == "__main__":
    unittest.main()
