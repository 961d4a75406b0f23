#!/usr/bin/env python3
"""Time-shaped faults: stalls, dribbles, idle closes, a zero receive window. Bounds are
generous (a 0.5 s stall must end between 0.45 and 3 s): never flaky, still failing when a
stall is skipped or never ends. The server runs with read_timeout=0.3, so ctx-relative
stalls are short."""

import socket
import time
import unittest

import common
from common import READ_TIMEOUT, WIRE, request_bytes, skip_without_curl

STALL_LUA = """-- test: stall 0.5 s, then a few bytes
return scenario {
  summary = "stall(0.5) then done",
  expect  = 200,
  plan    = { rxreq(), stall(0.5), send("done\\n"), close() },
}
"""
CTX_STALL_LUA = """-- test: a stall relative to the proxy's read timeout
return scenario {
  summary = "stall(ctx.read_timeout + 0.2) then done",
  expect  = 504,
  plan    = { rxreq(), stall(ctx.read_timeout + 0.2), send("done\\n"), close() },
}
"""


def setUpModule():
    common.require_binary()


class Timing(common.TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)

    def test_stall_headers_sends_nothing_and_keeps_the_connection(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/stall_headers/x"))
            r = common.read_to_end(s, timeout=1.0)
            self.assertEqual((r.data, r.end), (b"", "open"), r)
            self.assertGreaterEqual(r.elapsed, 0.95)
        # Our close ended the stall; the server goes on serving.
        ok = self.server.exchange(request_bytes("/ok/x", close=True))
        self.assertEqual(ok.data, WIRE["ok"]["bytes"])

    def test_stall_body_headers_then_silence_until_the_peer_closes(self):
        # Longer than any proxy's read timeout: it ends only when the proxy gives up.
        with self.server.connect() as s:
            s.sendall(request_bytes("/stall_body/x"))
            r = common.read_to_end(s, timeout=READ_TIMEOUT * 2 + 3)
        self.assertEqual(r.data, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        self.assertEqual(r.end, "open", r)
        self.assertLess(r.first_byte, 0.5 + READ_TIMEOUT)
        # our close ended the stall: the event log says the peer finished it
        common.poll_until(lambda: any(e["scenario"] == "stall_body" and e["end"] == "peer_fin"
                                      for e in self.server.get("/events")), what="stall_body ended by our FIN")

    def test_slow_drip_arrives_in_pieces(self):
        r = self.server.exchange(request_bytes("/slow_drip/x", close=True), timeout=8.0)
        self.assertEqual(r.data, WIRE["slow_drip"]["bytes"])
        self.assertEqual(r.end, "fin")
        # 54 bytes, 4 at a time: 14 pieces, 13 gaps of 0.05 s = 0.65 s.
        self.assertGreaterEqual(r.elapsed, 13 * 0.05 * 0.8, r)
        self.assertLess(r.elapsed, 5.0, r)
        self.assertGreaterEqual(len(r.pieces), 5, "the response was not dribbled: %r" % r.pieces)
        self.assertTrue(all(len(p) <= 8 for _, p in r.pieces), r.pieces)

    def test_idle_close_fin_after_idle(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/idle_close/x"))
            reader = common.HTTPReader(s)
            status, _, body = reader.read_response()
            self.assertEqual((status, body), (200, b"ok\n"))
            t0 = time.monotonic()
            r = common.read_to_end(s, timeout=5.0)
            waited = time.monotonic() - t0
        self.assertEqual((r.data, r.end), (b"", "fin"), r)
        self.assertGreaterEqual(waited, 0.45)
        self.assertLess(waited, 3.0)

    def test_idle_close_serves_a_request_within_idle(self):
        with self.server.connect() as s:
            reader = common.HTTPReader(s)
            for _ in range(3):
                s.sendall(request_bytes("/idle_close/x"))
                self.assertEqual(reader.read_response()[0], 200)
                time.sleep(0.2)  # < idle = 0.5: the connection stays up
            s.sendall(request_bytes("/idle_close/x", close=True))
            self.assertEqual(reader.read_response()[0], 200)

    def test_idle_close_with_connection_close_is_immediate(self):
        r = self.server.exchange(request_bytes("/idle_close/x", close=True), timeout=5.0)
        self.assertEqual((r.data, r.end), (WIRE["idle_close"]["bytes"], "fin"))
        self.assertLess(r.elapsed, 0.4, "FIN waited for the idle timer despite Connection: close")

    def test_stop_reading_zero_window_then_reset(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/stop_reading/x", method="POST",
                                    headers=["Content-Length: %d" % (64 << 20)]))
            t0 = time.monotonic()
            sent = 0
            block = b"x" * 65536
            s.settimeout(0.5)
            try:
                while sent < (64 << 20) and time.monotonic() - t0 < 10:
                    sent += s.send(block)
            except socket.timeout:
                pass
            # The upstream stopped reading: the body does not go through.
            self.assertLess(sent, 32 << 20, "the server kept reading the body")
            r = common.read_to_end(s, timeout=8.0)
        self.assertEqual(r.data, b"")
        self.assertEqual(r.end, "reset", r)
        # RST after stall(2 * read_timeout + 3), counted from the headers.
        self.assertGreaterEqual(time.monotonic() - t0, (2 * READ_TIMEOUT + 3.0) * 0.9)

    def test_explicit_stall_duration(self):
        d = self.make_tempdir()
        s = common.start_server(self, common.write_scenario(d, "stall_half", STALL_LUA))
        r = s.exchange(request_bytes("/x"), timeout=6.0)
        self.assertEqual((r.data, r.end), (b"done\n", "fin"))
        self.assertGreaterEqual(r.first_byte, 0.45)
        self.assertLess(r.first_byte, 3.0)

    def test_ctx_relative_stall_follows_set(self):
        d = self.make_tempdir()
        path = common.write_scenario(d, "ctx_stall", CTX_STALL_LUA)
        fast = common.start_server(self, path)  # read_timeout=0.3: 0.5 s
        slow = common.start_server(self, path, args=["--set", "read_timeout=1.2"])  # 1.4 s
        a = fast.exchange(request_bytes("/x"), timeout=8.0)
        b = slow.exchange(request_bytes("/x"), timeout=8.0)
        self.assertEqual((a.data, b.data), (b"done\n", b"done\n"))
        self.assertGreaterEqual(a.first_byte, 0.45)
        self.assertLess(a.first_byte, 1.3)
        self.assertGreaterEqual(b.first_byte, 1.3)
        self.assertLess(b.first_byte, 4.5)

    def test_stall_does_not_block_other_connections(self):
        stalled = []
        for _ in range(5):
            c = self.server.connect()
            self.addCleanup(c.close)
            c.sendall(request_bytes("/stall_headers/x"))
            stalled.append(c)
        t0 = time.monotonic()
        r = self.server.exchange(request_bytes("/ok/x", close=True))
        self.assertEqual(r.data, WIRE["ok"]["bytes"])
        self.assertLess(time.monotonic() - t0, 1.0)

    @skip_without_curl
    def test_curl_stall_headers_times_out(self):
        rc, code, err, secs = common.curl(self.server.url("/stall_headers/x"), max_time=1)
        self.assertEqual((rc, code), (28, "000"), err)
        self.assertGreaterEqual(secs, 0.9)

    @skip_without_curl
    def test_curl_stall_body_times_out_after_the_head(self):
        rc, code, err, secs = common.curl(self.server.url("/stall_body/x"), max_time=2)
        self.assertEqual((rc, code), (28, "200"), err)
        self.assertGreaterEqual(secs, 1.9)

    @skip_without_curl
    def test_curl_slow_drip(self):
        rc, code, err, secs = common.curl(self.server.url("/slow_drip/x"))
        self.assertEqual((rc, code), (0, "200"), err)
        self.assertGreaterEqual(secs, 0.5)


if __name__ == "__main__":
    unittest.main()
