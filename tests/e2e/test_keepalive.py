#!/usr/bin/env python3
"""Connections that carry more than one request: keep-alive, pipelining, request bodies
(Content-Length and chunked), Expect: 100-continue, HTTP/1.0, Connection: close, and the
scenarios about reused connections (keepalive_race, fail_first_then_ok, half_close)."""

import socket
import time
import unittest

import common
from common import WIRE, request_bytes, parse_echo


def setUpModule():
    common.require_binary()


class FolderKeepAlive(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)

    def test_two_requests_one_connection(self):
        with self.server.connect() as s:
            reader = common.HTTPReader(s)
            s.sendall(request_bytes("/ok/1"))
            self.assertEqual(reader.read_response()[::2], (200, b"ok\n"))
            s.sendall(request_bytes("/ok/2"))
            self.assertEqual(reader.read_response()[::2], (200, b"ok\n"))
            s.sendall(request_bytes("/ok/3", close=True))
            self.assertEqual(reader.read_response()[::2], (200, b"ok\n"))
            r = common.read_to_end(s, timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "fin"))

    def test_keepalive_connection_stays_open(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/ok/1"))
            r = common.read_to_end(s, timeout=0.6)
        self.assertEqual((r.data, r.end), (WIRE["ok"]["bytes"], "open"))

    def test_different_scenarios_on_one_connection(self):
        with self.server.connect() as s:
            reader = common.HTTPReader(s)
            s.sendall(request_bytes("/status_444/1"))
            self.assertEqual(reader.read_response()[0], 444)
            s.sendall(request_bytes("/chunked_ok/2"))
            self.assertEqual(reader.read_response()[::2], (200, b"hello chunked\n"))
            s.sendall(request_bytes("/empty_reply/3"))
            r = common.read_to_end(s, timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "fin"))

    def test_pipelined_requests_answered_in_order(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/ok/a") + request_bytes("/status_444/b")
                      + request_bytes("/chunked_ok/c", close=True))
            r = common.read_to_end(s, timeout=5.0)
        self.assertEqual(r.end, "fin")
        self.assertEqual(r.data, WIRE["ok"]["bytes"] + WIRE["status_444"]["bytes"]
                         + WIRE["chunked_ok"]["bytes"])

    def test_http10_without_keepalive_gets_fin(self):
        r = self.server.exchange(request_bytes("/ok/x", version="HTTP/1.0"), timeout=3.0)
        self.assertEqual((r.data, r.end), (WIRE["ok"]["bytes"], "fin"))

    def test_http10_with_keepalive_stays_open(self):
        r = self.server.exchange(request_bytes("/ok/x", version="HTTP/1.0",
                                               headers=["Connection: keep-alive"]), timeout=0.6)
        self.assertEqual((r.data, r.end), (WIRE["ok"]["bytes"], "open"))

    def test_keepalive_race(self):
        with self.server.connect() as s:
            reader = common.HTTPReader(s)
            s.sendall(request_bytes("/keepalive_race/1"))
            self.assertEqual(reader.read_response(), (200, [("Content-Length", "6")], b"first\n"))
            s.sendall(request_bytes("/keepalive_race/2"))
            r = common.read_to_end(s, timeout=3.0)
        self.assertEqual((r.data, r.end), (b"", "fin"), "second request on the connection: %r" % r)
        # A new connection's first request is answered again (what a retrying proxy gets).
        with self.server.connect() as s:
            s.sendall(request_bytes("/keepalive_race/3"))
            self.assertEqual(common.HTTPReader(s).read_response()[::2], (200, b"first\n"))

    def test_half_close_keeps_reading(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/half_close/x"))
            r = common.read_to_end(s, timeout=3.0)
            self.assertEqual((r.data, r.end), (WIRE["half_close"]["bytes"], "fin"))
            # The read side is still open: bytes sent after the FIN are read, not answered
            # with a RST (after a full close, the second send would fail with EPIPE/ECONNRESET).
            try:
                s.sendall(request_bytes("/ok/more"))
                time.sleep(0.3)
                s.sendall(b"more bytes\r\n")
                time.sleep(0.1)
                s.sendall(b"and more\r\n")
            except (ConnectionResetError, BrokenPipeError) as e:
                self.fail("the half-closed connection was reset: %r" % e)

    def test_status_204_stray_bytes_precede_next_response(self):
        # The 204 has no body (RFC 9112 6.3): the stray bytes are what a reusing client
        # reads next, in front of the next response.
        with self.server.connect() as s:
            s.sendall(request_bytes("/status_204_with_body/1") + request_bytes("/ok/2", close=True))
            r = common.read_to_end(s, timeout=3.0)
        self.assertEqual(r.data, WIRE["status_204_with_body"]["bytes"] + WIRE["ok"]["bytes"])


class FailFirstThenOk(unittest.TestCase):
    """Its counter lives as long as the server: a fresh server per test."""

    def test_first_attempt_closed_later_ok(self):
        s = common.start_server(self, common.SCENARIOS)
        first = s.exchange(request_bytes("/fail_first_then_ok/x"), timeout=3.0)
        self.assertEqual((first.data, first.end), (b"", "fin"))
        for i in range(2):
            r = s.exchange(request_bytes("/fail_first_then_ok/x", close=True), timeout=3.0)
            self.assertEqual(r.data, b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nok after retry\n",
                             "attempt %d" % (i + 2))

    def test_single_file_counter_spans_connections(self):
        s = common.start_server(self, common.scenario_path("fail_first_then_ok"))
        with s.connect() as c:
            c.sendall(request_bytes("/x"))
            self.assertEqual(common.read_to_end(c, timeout=3.0).data, b"")
        with s.connect() as c:
            reader = common.HTTPReader(c)
            for _ in range(2):  # kept alive
                c.sendall(request_bytes("/x"))
                self.assertEqual(reader.read_response()[::2], (200, b"ok after retry\n"))

    @common.skip_without_curl
    def test_curl_52_then_200(self):
        s = common.start_server(self, common.scenario_path("fail_first_then_ok"))
        rc, code, err, _ = common.curl(s.url("/x"))
        self.assertEqual((rc, code), (52, "000"), err)
        rc, code, err, _ = common.curl(s.url("/x"))
        self.assertEqual((rc, code), (0, "200"), err)


class RequestBodies(common.TempDirMixin, unittest.TestCase):
    """A single-file echo scenario answers with what it read."""

    @classmethod
    def setUpClass(cls):
        import tempfile, shutil
        d = tempfile.mkdtemp(prefix="badup-e2e-echo-")
        cls.addClassCleanup(shutil.rmtree, d, True)
        cls.server = common.start_class_server(cls, common.write_scenario(d, "echo", common.echo_lua()))

    def ask(self, s, reader, req):
        s.sendall(req)
        status, _, body = reader.read_response()
        self.assertEqual(status, 200)
        return parse_echo(body)

    def test_post_with_content_length(self):
        with self.server.connect() as s:
            e = self.ask(s, common.HTTPReader(s), request_bytes(
                "/p", method="POST", headers=["Content-Length: 11"], body=b"hello world"))
        self.assertEqual((e["method"], e["body"], e["body_len"]), ("POST", b"hello world", "11"))

    def test_post_chunked_is_dechunked(self):
        chunked = b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
        with self.server.connect() as s:
            e = self.ask(s, common.HTTPReader(s), request_bytes(
                "/p", method="POST", headers=["Transfer-Encoding: chunked"], body=chunked))
        self.assertEqual(e["body"], b"hello world")

    def test_large_body(self):
        body = bytes(range(256)) * 1024  # 256 KiB, every byte value
        with self.server.connect() as s:
            e = self.ask(s, common.HTTPReader(s, timeout=10), request_bytes(
                "/p", method="PUT", headers=["Content-Length: %d" % len(body)], body=body))
        self.assertEqual(e["body_len"], str(len(body)))
        self.assertEqual(e["body"], body)

    def test_pipelined_bodies_in_order(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/one", method="POST", headers=["Content-Length: 3"], body=b"111")
                      + request_bytes("/two", method="POST", headers=["Transfer-Encoding: chunked"],
                                      body=b"3\r\n222\r\n0\r\n\r\n")
                      + request_bytes("/three"))
            reader = common.HTTPReader(s)
            got = [parse_echo(reader.read_response()[2]) for _ in range(3)]
        self.assertEqual([(e["path"], e["body"], e["conn_seq"]) for e in got],
                         [("/one", b"111", "1"), ("/two", b"222", "2"), ("/three", b"", "3")])

    def test_expect_100_continue(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("/up", method="POST",
                                    headers=["Content-Length: 5", "Expect: 100-continue"]))
            interim = b"HTTP/1.1 100 Continue\r\n\r\n"
            got = b""
            s.settimeout(3.0)
            while len(got) < len(interim):
                chunk = s.recv(len(interim) - len(got))
                self.assertTrue(chunk, "closed before 100 Continue")
                got += chunk
            self.assertEqual(got, interim)
            s.sendall(b"hello")
            status, _, body = common.HTTPReader(s).read_response()
        self.assertEqual((status, parse_echo(body)["body"]), (200, b"hello"))

    def test_continue100_false_sends_no_interim(self):
        d = self.make_tempdir()
        srv = common.start_server(self, common.write_scenario(d, "echo", common.echo_lua(False)))
        with srv.connect() as s:
            s.sendall(request_bytes("/up", method="POST",
                                    headers=["Content-Length: 5", "Expect: 100-continue"]))
            r = common.read_to_end(s, timeout=0.5)
            self.assertEqual((r.data, r.end), (b"", "open"))
            s.sendall(b"hello")
            status, _, body = common.HTTPReader(s).read_response()
        self.assertEqual((status, parse_echo(body)["body"]), (200, b"hello"))


if __name__ == "__main__":
    unittest.main()
