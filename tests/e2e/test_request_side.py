#!/usr/bin/env python3
"""The request-side catalog (scenarios/req_*.lua, http10_keepalive.lua) puts on the wire the
broken request each file says it does: `badup client FILE` against a listener of the test's
own, which records every byte (and when it came) and answers like a strict server."""

import json
import os
import socket
import subprocess
import threading
import time
import unittest

import common

ANSWER_400 = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Listener:
    """Accepts connections on a kernel-chosen port; for each, records (time, bytes) of every
    recv until `quiet` seconds pass without a byte (or `hold` seconds since the accept), then
    writes `answer` and closes."""

    def __init__(self, answer=ANSWER_400, quiet=0.4, hold=None):
        self.answer, self.quiet, self.hold = answer, quiet, hold
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.conns = []  # one list of (seconds since accept, bytes) per connection
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            got, t0 = [], time.monotonic()
            self.conns.append(got)
            c.settimeout(self.quiet)
            while True:
                if self.hold is not None and time.monotonic() - t0 >= self.hold:
                    break
                try:
                    b = c.recv(65536)
                except socket.timeout:
                    if self.hold is None:
                        break
                    continue
                except OSError:
                    break
                if not b:
                    break
                got.append((time.monotonic() - t0, b))
            try:
                c.sendall(self.answer)
                c.shutdown(socket.SHUT_WR)
                c.settimeout(1.0)
                while c.recv(65536):  # read on until the client closes: no reset
                    pass
            except OSError:
                pass
            c.close()

    def data(self, k=0):
        return b"".join(b for _, b in self.conns[k])

    def close(self):
        self.sock.close()


def client(name, to, timeout=10):
    p = subprocess.run([common.BADUP, "client", common.scenario_path(name), "--to", to, "--json", "--timeout", "8"],
                       capture_output=True, timeout=timeout + 20)
    return json.loads(p.stdout.decode()), p


def setUpModule():
    common.require_binary()


class Bytes(unittest.TestCase):
    """Each file's request, byte for byte where the rule is broken."""

    def sent(self, name, **kw):
        lst = Listener(**kw)
        self.addCleanup(lst.close)
        out, p = client(name, lst.addr)
        self.assertEqual(out.get("outcome"), "400", p.stdout + p.stderr)
        return lst.data()

    def test_request_lines(self):
        self.assertTrue(self.sent("req_method_invalid").startswith(b"G(ET /req_method_invalid/1 HTTP/1.1\r\n"))
        self.assertTrue(self.sent("req_method_unknown_token").startswith(b"GET123 /req_method_unknown_token/1 "))
        self.assertTrue(self.sent("req_version_invalid").startswith(b"GET /req_version_invalid/1 HTTP/0.3\r\n"))
        self.assertTrue(self.sent("req_version_2_in_h1").startswith(b"GET /req_version_2_in_h1/1 HTTP/2.0\r\n"))
        target = self.sent("req_target_non_ascii")
        self.assertTrue(target.startswith(b"GET /req_target_non_ascii/\xab\xfa HTTP/1.1\r\n"))
        long = self.sent("req_uri_too_long")
        self.assertTrue(long.startswith(b"GET /req_uri_too_long/" + b"a" * 65536 + b" HTTP/1.1\r\n"))

    def test_fields(self):
        self.assertIn(b"\r\nX-R\xe9sum\xe9: 1\r\n", self.sent("req_header_name_non_ascii"))
        self.assertIn(b"\r\nX-A : 1\r\n", self.sent("req_header_space_before_colon"))
        two = self.sent("req_dup_host")
        self.assertIn(b"\r\nHost: a.example\r\nHost: b.example\r\n", two)
        self.assertEqual(two.count(b"Host:"), 1 + 1)
        self.assertNotIn(b"Host:", self.sent("req_missing_host"))
        self.assertIn(b"\r\nAuthorization: Basic YTph\r\nAuthorization: Basic Yjpi\r\n",
                      self.sent("req_dup_authorization"))
        big = self.sent("req_header_too_large")
        self.assertIn(b"\r\nX-Big: " + b"x" * 65536 + b"\r\n\r\n", big)

    def test_framing(self):
        self.assertTrue(self.sent("req_dup_content_length_conflict").endswith(
            b"\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"))
        self.assertTrue(self.sent("req_content_length_invalid").endswith(b"\r\nContent-Length: abc\r\n\r\n"))
        self.assertTrue(self.sent("req_content_length_negative").endswith(b"\r\nContent-Length: -10\r\n\r\n"))
        both = self.sent("req_te_and_cl")
        self.assertIn(b"\r\nTransfer-Encoding: chunked\r\n", both)
        self.assertIn(b"\r\nContent-Length: 100\r\n", both)
        self.assertTrue(both.endswith(b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
        bare = self.sent("req_post_no_length")
        self.assertTrue(bare.startswith(b"POST /req_post_no_length/1 HTTP/1.1\r\n"))
        self.assertNotIn(b"Content-Length", bare)
        self.assertNotIn(b"Transfer-Encoding", bare)
        self.assertTrue(self.sent("req_chunked_bad_size").endswith(
            b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"))

    def test_the_whole_big_body_is_sent(self):
        body = self.sent("req_body_too_large")
        self.assertIn(b"\r\nContent-Length: 2097152\r\n\r\n", body)
        self.assertEqual(len(body) - body.index(b"\r\n\r\n") - 4, 2 * 1048576)


class Timing(unittest.TestCase):
    """The slow and stalled requests: what stops, and when bytes come."""

    def test_slow_headers_come_a_byte_at_a_time(self):
        lst = Listener(answer=b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                       hold=2.0)
        self.addCleanup(lst.close)
        out, p = client("req_slow_headers", lst.addr)
        self.assertEqual(out.get("outcome"), "408", p.stdout + p.stderr)
        pieces = lst.conns[0]
        got = b"".join(b for _, b in pieces)
        # a byte per recv (two, should the listener fall behind once)
        self.assertTrue(all(len(b) <= 2 for _, b in pieces), pieces)
        self.assertEqual(got, b"GET /req_slow_headers/1 HTTP/1.1\r\n"[:len(got)])
        # 2 s at one byte every 0.3 s: about 7 bytes (generous bounds)
        self.assertTrue(4 <= len(got) <= 9, pieces)

    def test_stalls_stop_where_they_say(self):
        lst = Listener(quiet=1.0)
        self.addCleanup(lst.close)
        out, p = client("req_headers_stall", lst.addr)
        self.assertEqual(out.get("outcome"), "400", p.stdout + p.stderr)
        self.assertEqual(lst.data(0), b"GET /req_headers_stall/1 HT")
        out, p = client("req_body_stall", lst.addr)
        self.assertEqual(out.get("outcome"), "400", p.stdout + p.stderr)
        self.assertTrue(lst.data(1).endswith(b"\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10), lst.data(1)[-80:])


class KeepAlive(unittest.TestCase):
    def test_http10_keepalive_reuses_a_kept_connection(self):
        # badup serve keeps an HTTP/1.0 keep-alive connection: both requests on one
        server = common.start_server(self, common.scenario_path("http10_keepalive"))
        out, p = client("http10_keepalive", "%s:%d" % server.addr)
        self.assertEqual(out.get("outcome"), "200", p.stdout + p.stderr)
        self.assertEqual(out.get("connections"), 1, out)


if __name__ == "__main__":
    unittest.main()
