#!/usr/bin/env python3
"""The JSON control API of `badup serve` (docs/serve.md): /health, /scenarios, /default,
/stats, /stats/reset, /events, /metrics, checked against known traffic."""

import re
import socket
import struct
import time
import unittest

import common
from common import WIRE, request_bytes, as_list, scenario_stats, stats_totals


def setUpModule():
    common.require_binary()


class ReadOnly(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)

    def test_health(self):
        status, body = self.server.admin("GET", "/health")
        self.assertEqual((status, body), (200, {"ok": True}))

    def test_scenarios_lists_every_file(self):
        items = as_list(self.server.get("/scenarios"), "scenarios")
        by_name = {i["name"]: i for i in items}
        import os
        files = sorted(f[:-4] for f in os.listdir(common.SCENARIOS) if f.endswith(".lua"))
        self.assertEqual(sorted(by_name), files)
        for name, item in by_name.items():
            self.assertIsInstance(item.get("summary"), str, name)
            self.assertTrue(item["summary"], name)
            self.assertIn("expect", item, name)
            self.assertIn(item.get("kind"), ("static", "function", "listener"), name)
            self.assertTrue(str(item.get("file", "")).endswith(name + ".lua"), item)
        self.assertEqual(common.expect_value(by_name["ok"]["expect"]), 200)
        self.assertEqual(by_name["stall_body"]["expect"], "200+truncated")
        for name in common.LISTENER_SCENARIOS:
            self.assertEqual(by_name[name]["kind"], "listener", name)
        for name in ("keepalive_race", "fail_first_then_ok"):
            self.assertEqual(by_name[name]["kind"], "function", name)
        self.assertEqual(by_name["empty_reply"]["kind"], "static")

    def test_default_is_ok(self):
        self.assertEqual(self.server.get("/default").get("name"), "ok")

    def test_unknown_path_is_404(self):
        status, _ = self.server.admin("GET", "/no/such/thing")
        self.assertEqual(status, 404)


class Counters(unittest.TestCase):
    """A fresh server per test: counters start at zero."""

    def setUp(self):
        self.server = common.start_server(self, common.SCENARIOS)

    def traffic(self):
        """Known traffic: 3 connections, 4 requests, all finished when this returns."""
        with self.server.connect() as s:  # ok: 2 requests on one connection
            reader = common.HTTPReader(s)
            s.sendall(request_bytes("/ok/1"))
            reader.read_response()
            s.sendall(request_bytes("/ok/2", close=True))
            reader.read_response()
            common.read_to_end(s, timeout=3.0)
        r = self.server.exchange(request_bytes("/empty_reply/x"))
        self.assertEqual(r.end, "fin")
        r = self.server.exchange(request_bytes("/reset_before_response/x"))
        self.assertEqual(r.end, "reset")

    def wait_stats(self, requests, connections):
        def settled():
            st = self.server.get("/stats")
            t = stats_totals(st)
            if t.get("requests") == requests and t.get("connections") == connections \
                    and st.get("open_connections", t.get("open_connections")) == 0:
                return st
            return None
        return common.poll_until(settled, what="totals requests=%d connections=%d, 0 open"
                                 % (requests, connections))

    def test_stats_after_known_traffic(self):
        self.traffic()
        st = self.wait_stats(4, 3)
        ok = scenario_stats(st, "ok")
        self.assertEqual((ok.get("connections"), ok.get("requests"), ok.get("errors")), (1, 2, 0), ok)
        self.assertEqual(ok["steps"].get("txresp"), 2, ok)
        er = scenario_stats(st, "empty_reply")
        self.assertEqual((er.get("connections"), er.get("requests")), (1, 1), er)
        self.assertEqual(er["steps"].get("close"), 1, er)
        self.assertFalse(er["steps"].get("txresp"), er)
        rb = scenario_stats(st, "reset_before_response")
        self.assertEqual(rb["steps"].get("reset"), 1, rb)
        idle = scenario_stats(st, "status_444")
        self.assertFalse(idle.get("requests"), idle)

    def test_totals_include_errors(self):
        # docs/serve.md: "totals and per-scenario counters: connections, requests, errors,
        # steps".
        self.traffic()
        st = self.wait_stats(4, 3)
        t = stats_totals(st)
        self.assertTrue("errors" in t, "no errors total in /stats: keys %s" % sorted(t))
        self.assertEqual(t["errors"], 0)

    def test_stats_reset(self):
        self.traffic()
        self.wait_stats(4, 3)
        status, _ = self.server.admin("POST", "/stats/reset", body=b"")
        self.assertIn(status, (200, 204))
        st = self.server.get("/stats")
        t = stats_totals(st)
        self.assertEqual((t.get("requests"), t.get("connections")), (0, 0))
        ok = scenario_stats(st, "ok")
        self.assertFalse(ok.get("requests"), ok)
        self.assertFalse(any((ok.get("steps") or {}).values()), ok)
        self.assertEqual(as_list(self.server.get("/events"), "events"), [])
        # Counting starts again.
        self.server.exchange(request_bytes("/ok/x", close=True))
        self.wait_stats(1, 1)

    def find_event(self, scenario, count=1):
        def found():
            evs = [e for e in as_list(self.server.get("/events"), "events") if e.get("scenario") == scenario]
            return evs if len(evs) >= count else None
        return common.poll_until(found, what="an event for %s" % scenario)

    def test_events_show_how_connections_ended(self):
        self.traffic()
        rb = self.find_event("reset_before_response")[-1]
        self.assertEqual(rb["end"], "reset")
        self.assertEqual(rb["requests"], 1)
        whats = [(e["what"], e.get("detail")) for e in rb["events"]]
        self.assertEqual(whats[0][0], "accept")
        self.assertIn(("request", "GET /reset_before_response/x"), whats)
        self.assertIn(("step", "reset"), whats)
        times = [e["t_ms"] for e in rb["events"]]
        self.assertEqual(times, sorted(times))
        self.assertGreaterEqual(times[0], 0)
        er = self.find_event("empty_reply")[-1]
        self.assertEqual(er["end"], "fin")
        self.assertIn(("step", "close"), [(e["what"], e.get("detail")) for e in er["events"]])
        ok = self.find_event("ok")[-1]
        self.assertEqual(ok["requests"], 2)
        self.assertEqual(ok["end"], "fin")
        for ev in (rb, er, ok):
            self.assertRegex(ev["peer"], r"^127\.0\.0\.1:\d+$")
            self.assertIsInstance(ev["id"], int)
        # newest last: the three connections finished in this order
        evs = as_list(self.server.get("/events"), "events")
        self.assertEqual([e["scenario"] for e in evs], ["ok", "empty_reply", "reset_before_response"])
        self.assertEqual(len(set(e["id"] for e in evs)), 3)

    def test_events_peer_fin_and_peer_reset(self):
        c = self.server.connect()
        c.sendall(request_bytes("/stall_headers/fin"))
        time.sleep(0.1)
        c.close()
        self.assertEqual(self.find_event("stall_headers")[-1]["end"], "peer_fin")
        c = self.server.connect()
        c.sendall(request_bytes("/stall_headers/rst"))
        time.sleep(0.1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        self.assertEqual(self.find_event("stall_headers", 2)[-1]["end"], "peer_reset")

    def test_events_list_connections_still_open(self):
        # A connection a proxy keeps in its pool never finishes while the proxy lives: it
        # is evidence too, listed after the finished ones with "end": "open" and its state.
        self.server.exchange(request_bytes("/empty_reply/done"))
        kept = self.server.connect()
        self.addCleanup(kept.close)
        reader = common.HTTPReader(kept)
        kept.sendall(request_bytes("/ok/kept"))
        reader.read_response()
        stalled = self.server.connect()
        self.addCleanup(stalled.close)
        stalled.sendall(request_bytes("/stall_headers/held"))
        # The third connection is listed from its accept, before its request names a
        # scenario: wait until the simulator has read the request and stalled it.
        def third_stalled():
            evs = as_list(self.server.get("/events"), "events")
            return len(evs) == 3 and evs[2].get("state") == "stalled"
        common.poll_until(third_stalled, what="3 connections, the third stalled")
        evs = as_list(self.server.get("/events"), "events")
        self.assertEqual([(e["scenario"], e["end"]) for e in evs],
                         [("empty_reply", "fin"), ("ok", "open"), ("stall_headers", "open")])
        self.assertNotIn("state", evs[0])
        self.assertEqual(evs[1]["state"], "reading")  # kept alive, waiting for the next request
        self.assertEqual(evs[2]["state"], "stalled")
        self.assertIn(("request", "GET /ok/kept"), [(e["what"], e.get("detail")) for e in evs[1]["events"]])
        self.assertEqual(len(as_list(self.server.get("/events?limit=2"), "events")), 2)
        kept.close()
        stalled.close()
        common.poll_until(lambda: all(e["end"] != "open" for e in as_list(self.server.get("/events"), "events")),
                          what="both connections closed")
        evs = as_list(self.server.get("/events"), "events")
        self.assertEqual([e["end"] for e in evs], ["fin", "peer_fin", "peer_fin"])

    def test_events_limit(self):
        for i in range(5):
            self.server.exchange(request_bytes("/empty_reply/%d" % i))
        evs = self.find_event("empty_reply", 5)
        limited = as_list(self.server.get("/events?limit=2"), "events")
        self.assertEqual(len(limited), 2)
        self.assertEqual([e["id"] for e in limited], [e["id"] for e in evs[-2:]])
        self.assertIn(("request", "GET /empty_reply/4"),
                      [(e["what"], e.get("detail")) for e in limited[-1]["events"]])

    def test_faults_are_not_errors(self):
        # Faults on purpose are not errors (plan errors are counted: test_sandbox.py).
        for name in ("reset_mid_body", "garbage", "http09"):
            self.server.exchange(request_bytes("/%s/x" % name))
        st = self.wait_stats(3, 3)
        for name in ("reset_mid_body", "garbage", "http09"):
            self.assertEqual(scenario_stats(st, name).get("errors"), 0, name)

    def test_metrics(self):
        self.traffic()
        self.wait_stats(4, 3)
        status, text = self.server.admin("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIsInstance(text, str)
        samples = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+0-9.eE]+|NaN|[+-]Inf)$', line)
            self.assertTrue(m, "not a Prometheus sample line: %r" % line)
            samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        total = lambda metric: sum(v for k, v in samples.items() if k == metric or k.startswith(metric + "{"))
        self.assertEqual(total("badup_requests_total"), 4)
        self.assertEqual(total("badup_connections_total"), 3)
        self.assertEqual(total("badup_errors_total"), 0)
        self.assertEqual(samples.get('badup_connections_total{scenario="ok"}'), 1)
        self.assertEqual(total("badup_open_connections"), 0)
        steps = {k: v for k, v in samples.items() if k.startswith("badup_steps_total{")}
        self.assertTrue(any('scenario="ok"' in k and 'step="txresp"' in k and v == 2
                            for k, v in steps.items()), steps)
        self.assertIn("# TYPE badup_requests_total counter", text)

    def test_open_connections(self):
        c = self.server.connect()
        self.addCleanup(c.close)
        c.sendall(request_bytes("/stall_headers/x"))

        def one_open():
            st = self.server.get("/stats")
            return st.get("open_connections", stats_totals(st).get("open_connections")) == 1
        common.poll_until(one_open, what="open_connections == 1")
        c.close()

        def none_open():
            st = self.server.get("/stats")
            return st.get("open_connections", stats_totals(st).get("open_connections")) == 0
        common.poll_until(none_open, what="open_connections == 0")


class SwitchDefault(unittest.TestCase):

    def setUp(self):
        self.server = common.start_server(self, common.SCENARIOS)

    def put_default(self, name):
        status, body = self.server.admin("PUT", "/default", body={"name": name})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.server.get("/default").get("name"), name)

    def ok_answers(self):
        r = self.server.exchange(request_bytes("/x", close=True), timeout=3.0)
        return r.data == WIRE["ok"]["bytes"]

    def test_switch_unrouted_default(self):
        self.put_default("status_444")
        r = self.server.exchange(request_bytes("/unrouted", close=True))
        self.assertEqual(r.data, WIRE["status_444"]["bytes"])
        r = self.server.exchange(request_bytes("/ok/routed", close=True))
        self.assertEqual(r.data, WIRE["ok"]["bytes"])
        self.put_default("ok")
        self.assertTrue(self.ok_answers())

    def test_switch_to_refuse_and_back(self):
        self.put_default("refuse")

        def refused():
            try:
                socket.create_connection(self.server.addr, timeout=2).close()
            except ConnectionRefusedError:
                return True
            return False
        common.poll_until(refused, timeout=2.0, what="connects refused")
        with self.assertRaises(ConnectionRefusedError):  # routed paths too: no accept at all
            self.server.exchange(request_bytes("/ok/x"))
        self.assertEqual(self.server.get("/health"), {"ok": True})
        self.put_default("ok")
        common.poll_until(self.ok_answers, timeout=2.0, what="ok answering again")

    def test_switch_to_blackhole_and_back(self):
        self.put_default("blackhole")
        s = socket.socket()
        self.addCleanup(s.close)
        s.settimeout(1.0)
        with self.assertRaises(socket.timeout):
            s.connect(self.server.addr)
        self.put_default("ok")
        common.poll_until(self.ok_answers, timeout=3.0, what="ok answering again")

    def test_switch_to_accept_reset(self):
        self.put_default("reset_on_accept")
        r = self.server.exchange(b"", timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "reset"))
        self.put_default("ok")
        self.assertTrue(self.ok_answers())

    def test_unknown_name_is_404(self):
        status, _ = self.server.admin("PUT", "/default", body={"name": "no_such_scenario"})
        self.assertEqual(status, 404)
        self.assertEqual(self.server.get("/default").get("name"), "ok")

    def test_bad_body_is_rejected(self):
        status, _ = self.server.admin("PUT", "/default", body=b"not json")
        self.assertEqual(status // 100, 4)
        self.assertEqual(self.server.get("/default").get("name"), "ok")

    def test_single_file_server_switch(self):
        s = common.start_server(self, common.scenario_path("ok"))
        status, _ = s.admin("PUT", "/default", body={"name": "refuse"})
        self.assertEqual(status, 404, "only ok is loaded")
        self.assertEqual(s.get("/default").get("name"), "ok")


if __name__ == "__main__":
    unittest.main()
