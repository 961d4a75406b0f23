#!/usr/bin/env python3
"""Listener-level faults: refuse, blackhole, accept_close, accept_reset. Served as a single
file they act on the listening socket itself; picked by path in a folder, the connection
is already accepted and they answer with RST, FIN or silence (docs/scenarios.md)."""

import errno
import signal
import socket
import time
import unittest

import common
from common import request_bytes, skip_without_curl


def setUpModule():
    common.require_binary()


class Refuse(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.scenario_path("refuse"))

    def test_connect_is_refused(self):
        for _ in range(3):
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(self.server.addr, timeout=2).close()

    def test_server_alive_while_refusing(self):
        self.assertEqual(self.server.get("/health"), {"ok": True})
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(self.server.addr, timeout=2).close()

    def test_startup_line(self):
        self.assertEqual(self.server.info.get("scenarios"), "1")
        self.assertEqual(self.server.addr[0], "127.0.0.1")
        self.assertGreater(self.server.addr[1], 0)
        self.assertNotEqual(self.server.addr, self.server.admin_addr)

    @skip_without_curl
    def test_curl_exit_7(self):
        rc, code, err, _ = common.curl(self.server.url("/x"))
        self.assertEqual((rc, code), (7, "000"), err)
        self.assertIn("Failed to connect", err)


class Blackhole(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.scenario_path("blackhole"))

    def test_connect_times_out(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.settimeout(1.0)
        t0 = time.monotonic()
        with self.assertRaises(socket.timeout):
            s.connect(self.server.addr)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        # ... while the server is alive and answers its control API.
        self.assertEqual(self.server.get("/health"), {"ok": True})

    def test_nonblocking_connect_never_completes(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.setblocking(False)
        rc = s.connect_ex(self.server.addr)
        self.assertIn(rc, (errno.EINPROGRESS, errno.EAGAIN))
        import selectors
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        sel.register(s, selectors.EVENT_WRITE)
        self.assertEqual(sel.select(timeout=1.0), [], "connect completed (or failed) within 1 s")

    @skip_without_curl
    def test_curl_connect_timeout_exit_28(self):
        rc, code, err, secs = common.curl(self.server.url("/x"), "--connect-timeout", "1")
        self.assertEqual((rc, code), (28, "000"), err)
        self.assertGreaterEqual(secs, 0.9)
        self.assertLess(secs, 4.5)


class AcceptClose(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.scenario_path("close_on_accept"))

    def test_fin_without_a_byte_and_without_sending(self):
        with self.server.connect() as s:
            r = common.read_to_end(s, timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "fin"), r)
        self.assertLess(r.elapsed, 2.0)

    @skip_without_curl
    def test_curl_empty_reply(self):
        # The FIN waits for curl's request (and drains it), so it is never a RST and never
        # comes before curl has written: "Empty reply from server" every time.
        rc, code, err, _ = common.curl(self.server.url("/x"))
        self.assertEqual((rc, code), (52, "000"), err)


class AcceptReset(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.scenario_path("reset_on_accept"))

    def test_rst_without_a_byte(self):
        # Nothing sent: the RST comes after accept_reset()'s 1 s wait for the request.
        r = self.server.exchange(b"", timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)

    def test_rst_even_after_sending_a_request(self):
        r = self.server.exchange(request_bytes("/x"), timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)

    @skip_without_curl
    def test_curl_exit_56(self):
        # The RST waits for curl's request, so curl's connect has always completed: 56
        # "Connection reset by peer", never 7 "Couldn't connect" (the race of a RST at accept).
        rc, code, err, _ = common.curl(self.server.url("/x"))
        self.assertEqual((rc, code), (56, "000"), err)
        self.assertIn("Connection reset by peer", err)


class AcceptFaultsWaitForTheWholeRequest(unittest.TestCase):
    """A proxy may write its request in pieces (tinyproxy: the request line, then each
    header). The fault waits for the whole request, never the first piece, so the proxy
    meets it reading every time, never writing. A 30 s bound, so only the request's end
    can explain a fault within seconds."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="badup-accept-wait-")
        cls.paths = {}
        for name, step in (("rst_after_request", "accept_reset(30)"), ("fin_after_request", "accept_close(30)")):
            cls.paths[name] = common.write_scenario(cls.tmp, name, (
                'return scenario { summary = "t", expect = 502, plan = { %s } }\n' % step))

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, name, end):
        server = common.start_server(self, self.paths[name])
        with server.connect(timeout=10) as s:
            s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n")
            # The request line and one header are in, the head is not over: nothing comes.
            s.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                s.recv(1)
            s.sendall(b"X-Piece: 2\r\n\r\n")
            r = common.read_to_end(s, timeout=10.0)
        self.assertEqual((r.data, r.end), (b"", end), r)
        self.assertLess(r.elapsed, 5.0, "the fault waited for its bound, not for the request's end")

    def test_reset_after_the_last_header(self):
        self.check("rst_after_request", "reset")

    def test_fin_after_the_last_header(self):
        self.check("fin_after_request", "fin")

    def test_a_body_is_part_of_the_request(self):
        server = common.start_server(self, self.paths["rst_after_request"])
        with server.connect(timeout=10) as s:
            s.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
            s.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                s.recv(1)
            s.sendall(b"cd")
            r = common.read_to_end(s, timeout=10.0)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)
        self.assertLess(r.elapsed, 5.0)

    def test_bytes_that_are_no_request_end_the_wait(self):
        server = common.start_server(self, self.paths["rst_after_request"])
        r = server.exchange(b"\x16\x03\x01\x00\x05hello", timeout=10.0)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)
        self.assertLess(r.elapsed, 5.0)


class ListenerScenariosByPath(unittest.TestCase):
    """In folder mode the connection is accepted before the path is known."""

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)

    def test_refuse_by_path_is_rst(self):
        r = self.server.exchange(request_bytes("/refuse/x"), timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)

    def test_reset_on_accept_by_path_is_rst(self):
        r = self.server.exchange(request_bytes("/reset_on_accept/x"), timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "reset"), r)

    def test_close_on_accept_by_path_is_fin(self):
        r = self.server.exchange(request_bytes("/close_on_accept/x"), timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "fin"), r)

    def test_blackhole_by_path_is_silence(self):
        r = self.server.exchange(request_bytes("/blackhole/x"), timeout=0.8)
        self.assertEqual((r.data, r.end), (b"", "open"), r)
        # The server still serves others meanwhile.
        ok = self.server.exchange(request_bytes("/ok/x", close=True))
        self.assertEqual(ok.data, common.WIRE["ok"]["bytes"])


class SingleFile(unittest.TestCase):

    def test_single_file_handles_every_path(self):
        s = common.start_server(self, common.scenario_path("empty_reply"))
        for path in ("/", "/ok/x", "/empty_reply/x", "/anything?q=1"):
            r = s.exchange(request_bytes(path), timeout=3.0)
            self.assertEqual((r.data, r.end), (b"", "fin"), path)

    def test_sigint_stops_cleanly(self):
        s = common.Server(common.scenario_path("ok")).start()
        r = s.exchange(request_bytes("/x", close=True))
        self.assertEqual(r.data, common.WIRE["ok"]["bytes"])
        s.stop_and_check(signal.SIGINT)

    def test_sigterm_with_open_connections(self):
        # Connections mid-stall and kept alive must not keep the server from exiting 0.
        s = common.Server(common.SCENARIOS).start()
        stalled = s.connect()
        self.addCleanup(stalled.close)
        stalled.sendall(request_bytes("/stall_headers/x"))
        idle = s.connect()
        self.addCleanup(idle.close)
        idle.sendall(request_bytes("/ok/x"))
        common.HTTPReader(idle).read_response()
        time.sleep(0.1)
        s.stop_and_check()

    def test_ipv6_listen(self):
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            self.skipTest("no IPv6 loopback here")
        s = common.start_server(self, common.scenario_path("ok"), args=["--listen", "[::1]:0"])
        self.assertEqual(s.addr[0], "::1")
        with socket.create_connection(("::1", s.addr[1]), timeout=5) as c:
            c.sendall(request_bytes("/x", close=True))
            r = common.read_to_end(c)
        self.assertEqual(r.data, common.WIRE["ok"]["bytes"])

    def test_admin_off(self):
        s = common.start_server(self, common.scenario_path("ok"), args=["--admin", "off"])
        self.assertIn("admin=off", s.startup_line)
        self.assertIsNone(s.admin_addr)
        r = s.exchange(request_bytes("/x", close=True))
        self.assertEqual(r.data, common.WIRE["ok"]["bytes"])


if __name__ == "__main__":
    unittest.main()
