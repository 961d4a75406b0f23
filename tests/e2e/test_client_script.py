#!/usr/bin/env python3
"""The scripted client of a scenario's client part, checked on the wire: `badup client FILE
--to HOST:PORT` against a raw Python socket server that stands in for the proxy and records
what arrives and when: the exact bytes, the pace of a body, a held-back body, the wait for
100 Continue, pipelined requests in one write, reuse of a connection, and the client's own
end of an exchange (FIN or RST) at each point. Then `badup run` with a client part through a
one-file proxy, and the load errors of request{}."""

import functools
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import common
from test_proxy_one_file import TINY_LUA, TINY_PY

# Every wait of these tests is generous: a loaded machine or an ASan build is slow.
SLOW = 3.0 * common.TIME_FACTOR

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def setUpModule():
    common.require_binary()


# one badup run to completion (common.badup_text)
badup = functools.partial(common.badup_text, timeout=60)


class Peer:
    """A TCP server on 127.0.0.1 (port from the kernel) that plays the proxy: handler(peer,
    index, sock) runs for each accepted connection, on a thread, one after the other."""

    def __init__(self, handler, conns=1):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(8)
        self.ls.settimeout(SLOW * 3)
        self.port = self.ls.getsockname()[1]
        self.handler, self.conns = handler, conns
        self.accepted = 0
        self.error = None
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            for i in range(self.conns):
                s, _ = self.ls.accept()
                self.accepted += 1
                with s:
                    s.settimeout(SLOW)
                    self.handler(self, i, s)
        except Exception as e:  # reported by join()
            self.error = e

    def join(self, test):
        self.thread.join(SLOW * 4)
        self.ls.close()
        if self.error and not isinstance(self.error, socket.timeout):
            raise self.error

    def now(self):
        return time.monotonic() - self.t0


def read_head(s, buf=b""):
    """Reads up to the end of a header section; returns (head, rest)."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def read_n(s, buf, n):
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return buf


def client_end(s):
    """How the client ended the connection: 'fin' (recv sees EOF), 'reset' (ECONNRESET) or
    'none' (neither within SLOW); bytes that come first are skipped."""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return "fin"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "none"


class ScenarioFiles(unittest.TestCase):
    """A folder of scenario files for the class, and a scenario whose client part is given."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-client-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def scenario(self, client, name="sc"):
        path = os.path.join(self.tmp, name + ".lua")
        with open(path, "w") as f:
            f.write('return scenario {\n  summary = "client part", expect = 200,\n'
                    '  plan = { rxreq(), txresp { body = "ok" } },\n  client = {\n%s\n  },\n}\n' % client)
        return path


class ClientScript(ScenarioFiles):

    def client(self, path, port, *args, timeout=None):
        p = badup(["client", path, "--to", "127.0.0.1:%d" % port, "--json", "--timeout", str(timeout or SLOW)]
                  + list(args))
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    # ---- the bytes ------------------------------------------------------------------------

    def test_the_bytes_are_exactly_those_built(self):
        got = {}

        def h(peer, i, s):
            head, rest = read_head(s)
            got["bytes"] = head + read_n(s, rest, 5)
            s.sendall(b"HTTP/1.1 201 Made\r\nX-Y: z\r\nContent-Length: 3\r\n\r\nabc")

        peer = Peer(h)
        path = self.scenario('request { method = "POST", body = "hello", target = "/t/${n}?s=${scenario}",\n'
                             '  headers = { "X-A: 1", { "X-B", "2" }, Zed = "z", Alpha = "a" } },')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertEqual(got["bytes"], b"POST /t/1?s=sc HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-A: 1\r\nX-B: 2\r\n"
                         b"Alpha: a\r\nZed: z\r\nContent-Length: 5\r\n\r\nhello" % peer.port)
        self.assertEqual(out["outcome"], "201")
        r = out["responses"][0]
        self.assertEqual((r["status"], r["reason"], r["body"], r["body_length"]), (201, "Made", "abc", 3))
        self.assertEqual(r["headers"], [["X-Y", "z"], ["Content-Length", "3"]])

    def test_raw_chunks_host_and_length(self):
        got = []

        def h(peer, i, s):
            buf = b""
            if i == 0:
                buf = read_n(s, buf, len(b"BREW / HTCPCP/1.0\r\n\r\n"))
            else:
                head, rest = read_head(s)
                buf = head + (read_n(s, rest, len(b"3\r\nabc\r\n0\r\n\r\n")) if i == 1 else rest)
            got.append(buf)
            s.sendall(OK)

        peer = Peer(h, conns=3)
        path = self.scenario('request { raw = "BREW / HTCPCP/1.0\\r\\n\\r\\n" },\n'
                             'request { connection = "new", method = "PUT", chunks = { "abc", "" }, host = false },\n'
                             'request { connection = "new", method = "POST", length = false, '
                             'headers = { "host: elsewhere" } },')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertEqual(got[0], b"BREW / HTCPCP/1.0\r\n\r\n")
        self.assertEqual(got[1], b"PUT /sc/2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        self.assertEqual(got[2], b"POST /sc/3 HTTP/1.1\r\nhost: elsewhere\r\n\r\n")
        self.assertEqual((out["outcome"], out["connections"], out["requests_sent"]), ("200", 3, 3))

    # ---- when the bytes go ---------------------------------------------------------------

    def test_pace_writes_a_piece_every_interval(self):
        arrivals = []

        def h(peer, i, s):
            head, rest = read_head(s)
            t = peer.now()
            body = rest
            while len(body) < 6:
                d = s.recv(100)
                if not d:
                    break
                arrivals.append(peer.now() - t)
                body += d
            arrivals.append(body)
            s.sendall(OK)

        peer = Peer(h)
        path = self.scenario('request { method = "POST", body = "abcdef", pace = { bytes = 2, every = 0.2 } },')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertEqual(arrivals[-1], b"abcdef")
        times = arrivals[:-1]
        # three pieces, at ~0.2, 0.4, 0.6 s after the head: never all at once
        self.assertGreaterEqual(len(times), 2, times)
        self.assertGreaterEqual(times[-1], 0.35, times)
        self.assertLess(times[-1], SLOW, times)
        self.assertEqual(out["outcome"], "200")

    def test_send_body_bytes_stalls_after_them(self):
        got = {}

        def h(peer, i, s):
            head, rest = read_head(s)
            body = read_n(s, rest, 2)
            s.settimeout(0.5)
            try:
                more = s.recv(100)
            except socket.timeout:
                more = b"(nothing)"
            got["body"], got["more"] = body, more
            s.sendall(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        peer = Peer(h)
        path = self.scenario('request { method = "POST", body = "abcdef", send_body_bytes = 2 },')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertEqual((got["body"], got["more"]), (b"ab", b"(nothing)"))
        self.assertEqual(out["outcome"], "408")
        self.assertEqual(out["requests_sent"], 1)

    def test_expect_100_waits_for_the_100(self):
        got = {}

        def h(peer, i, s):
            head, rest = read_head(s)
            got["head"] = head
            s.settimeout(0.4)
            try:
                got["early"] = rest + s.recv(100)
            except socket.timeout:
                got["early"] = rest
            s.settimeout(SLOW)
            s.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            got["body"] = read_n(s, b"", 3)
            s.sendall(OK)

        peer = Peer(h)
        path = self.scenario('request { method = "POST", body = "abc", expect_100 = 5 },')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertIn(b"\r\nExpect: 100-continue\r\n", got["head"])
        self.assertEqual((got["early"], got["body"]), (b"", b"abc"))
        self.assertEqual(out["outcome"], "200")
        self.assertEqual(out["responses"][0]["interim"], [100])

    def test_expect_100_final_response_first_means_no_body(self):
        got = {}

        def h(peer, i, s):
            read_head(s)
            s.sendall(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
            got["after"] = client_end(s)

        peer = Peer(h)
        path = self.scenario('request { method = "POST", body = "abc", expect_100 = 5 },')
        out = self.client(path, peer.port)
        peer.join(self)
        # the client went without a body byte: the server read EOF straight away
        self.assertEqual(got["after"], "fin")
        self.assertEqual(out["outcome"], "417")

    def test_expect_100_without_an_answer_sends_the_body_after_the_wait(self):
        got = {}

        def h(peer, i, s):
            head, rest = read_head(s)
            t = peer.now()
            got["body"] = read_n(s, rest, 3)
            got["after"] = peer.now() - t
            s.sendall(OK)

        peer = Peer(h)
        path = self.scenario('request { method = "POST", body = "abc", expect_100 = 0.4 },')
        self.client(path, peer.port)
        peer.join(self)
        self.assertEqual(got["body"], b"abc")
        self.assertGreaterEqual(got["after"], 0.3)
        self.assertLess(got["after"], SLOW)

    # ---- connections ---------------------------------------------------------------------

    def test_pipelined_requests_go_in_one_write(self):
        got = {}

        def h(peer, i, s):
            time.sleep(0.2)  # both requests are in by now if they were written together
            got["first"] = s.recv(65536)
            s.sendall(OK + OK)

        peer = Peer(h)
        path = self.scenario('request { },\nrequest { connection = "pipelined", target = "/two" },')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertEqual(got["first"].count(b" HTTP/1.1\r\n"), 2, got["first"])
        self.assertIn(b"GET /two HTTP/1.1\r\n", got["first"])
        self.assertEqual([r["request"] for r in out["responses"]], [1, 2])
        self.assertEqual((out["outcome"], out["connections"]), ("200", 1))

    def test_same_connection_is_reused_and_a_closed_one_replaced(self):
        def reuse(peer, i, s):
            read_head(s)
            s.sendall(OK)
            read_head(s)
            s.sendall(OK)

        peer = Peer(reuse)
        out = self.client(self.scenario("request { },\nrequest { },"), peer.port)
        peer.join(self)
        self.assertEqual((peer.accepted, out["connections"], out["outcome"]), (1, 1, "200"))
        self.assertEqual([r["connection"] for r in out["responses"]], [1, 1])

        def close(peer, i, s):
            read_head(s)
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

        peer = Peer(close, conns=2)
        out = self.client(self.scenario("request { },\nrequest { },"), peer.port, "--watch-close")
        peer.join(self)
        self.assertEqual((peer.accepted, out["connections"], out["outcome"]), (2, 2, "200"))
        self.assertEqual(out["last_connection"], "closed")

    def test_how_the_proxy_left_the_last_connection(self):
        def kept(peer, i, s):
            read_head(s)
            s.sendall(OK)
            time.sleep(1.5 * common.TIME_FACTOR)

        def reset(peer, i, s):
            read_head(s)
            s.sendall(OK)
            time.sleep(0.2)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends an RST

        for handler, want in ((kept, "kept"), (reset, "reset")):
            with self.subTest(want=want):
                peer = Peer(handler)
                out = self.client(self.scenario("request { },"), peer.port, "--watch-close")
                peer.join(self)
                self.assertEqual((out["outcome"], out["last_connection"]), ("200", want))

    # ---- the client's own end ------------------------------------------------------------

    def test_abort_at_each_point_with_fin_and_reset(self):
        points = {
            "sent": ('at = "sent"', None),
            "response_head": ('at = "response_head"', b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
            "body_bytes": ('at = "body_bytes", bytes = 3', b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"),
            "time": ('at = "time", after_s = 0.3', None),
        }
        for name, (at, answer) in sorted(points.items()):
            for how in ("fin", "reset"):
                with self.subTest(point=name, how=how):
                    got = {}

                    def h(peer, i, s):
                        read_head(s)
                        t = peer.now()
                        if answer:
                            s.sendall(answer)
                        got["end"], got["after"] = client_end(s), peer.now() - t

                    peer = Peer(h)
                    path = self.scenario('request { abort = { %s, how = "%s" } },' % (at, how))
                    out = self.client(path, peer.port, "--watch-close")
                    peer.join(self)
                    self.assertEqual(got["end"], how, out)
                    if name == "time":
                        self.assertGreaterEqual(got["after"], 0.2)
                    self.assertLess(got["after"], SLOW)
                    # a FIN of the client's leaves the proxy to end the connection (here: FIN);
                    # an RST of its own ends the exchange there: "aborted"
                    if how == "reset":
                        want = "aborted" if answer is None else "200+aborted"
                    else:
                        want = "closed" if answer is None else "200+truncated"
                    self.assertEqual(out["outcome"], want, out)
                    self.assertEqual(out["last_connection"], "unknown")

    def test_abort_still_ends_the_connection_when_the_response_came_whole(self):
        for how in ("fin", "reset"):
            with self.subTest(how=how):
                got = {}

                def h(peer, i, s):
                    read_head(s)
                    s.sendall(OK)
                    got["end"] = client_end(s)

                peer = Peer(h)
                out = self.client(self.scenario('request { abort = { at = "response_head", how = "%s" } },' % how),
                                  peer.port)
                peer.join(self)
                self.assertEqual((got["end"], out["outcome"]), (how, "200"))

    # ---- barriers ------------------------------------------------------------------------

    def start_serve(self):
        path = self.scenario("request { },", name="upstream")
        p = subprocess.Popen([common.BADUP, "serve", path], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (p.kill(), p.wait(), p.stdout.close(), p.stderr.close()))
        line = p.stdout.readline()
        m = re.search(r"admin=(\S+)", line)
        self.assertTrue(m, line)
        return m.group(1)

    def test_wait_and_abort_on_barriers(self):
        admin = self.start_serve()
        got = {}

        def h(peer, i, s):
            got["arrived"] = peer.now()
            read_head(s)
            got["end"] = client_end(s)
            got["ended"] = peer.now()

        peer = Peer(h)
        path = self.scenario('request { wait = { barrier = "go", s = 10 }, abort = { at = "barrier", barrier = "stop" } },')

        def reach(name, after, done):
            # again and again until it took effect: badup client resets the barriers as it
            # starts, which may be after the first POST on a slow machine
            time.sleep(after)
            end = time.monotonic() + SLOW * 4
            while done not in got and time.monotonic() < end:
                urllib.request.urlopen(urllib.request.Request("http://%s/barriers/%s" % (admin, name), method="POST"),
                                       timeout=SLOW).read()
                time.sleep(0.05)

        threads = [threading.Thread(target=reach, args=("go", 0.4, "arrived")),
                   threading.Thread(target=reach, args=("stop", 1.0, "ended"))]
        for t in threads:
            t.start()
        out = self.client(path, peer.port, "--admin", admin)
        for t in threads:
            t.join()
        peer.join(self)
        self.assertGreaterEqual(got["arrived"], 0.3)
        self.assertEqual(got["end"], "fin")
        self.assertGreaterEqual(got["ended"], 0.9)
        self.assertEqual(out["outcome"], "closed")
        # the client reached request_sent on the simulator when its bytes were written
        with urllib.request.urlopen("http://%s/barriers" % admin, timeout=SLOW) as r:
            names = {b["name"]: b["reached"] for b in json.load(r)["barriers"]}
        self.assertTrue(names.get("request_sent"), names)

    def test_abort_when_the_upstream_reaches_a_barrier(self):
        # no proxy: badup client straight at badup serve, whose plan reaches the barrier
        path = os.path.join(self.tmp, "reach.lua")
        with open(path, "w") as f:
            f.write('return scenario { summary = "reach", expect = "aborted",\n'
                    '  plan = { rxhdrs(), reach("upstream_has_head"), stall(20) },\n'
                    '  client = { request { abort = { at = "barrier", barrier = "upstream_has_head", how = "reset" } } } }\n')
        p = subprocess.Popen([common.BADUP, "serve", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (p.kill(), p.wait(), p.stdout.close(), p.stderr.close()))
        m = re.search(r"listen=\S+:(\d+) admin=(\S+)", p.stdout.readline())
        self.assertTrue(m)
        t = time.monotonic()
        out = self.client(path, int(m.group(1)), "--admin", m.group(2), timeout=10)
        self.assertEqual(out["outcome"], "aborted")
        self.assertLess(time.monotonic() - t, 5 * common.TIME_FACTOR)

    # ---- the command ---------------------------------------------------------------------

    def test_client_request_bytes_run_too(self):
        got = {}

        def h(peer, i, s):
            got["bytes"] = read_head(s)[0]
            s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        peer = Peer(h)
        path = os.path.join(self.tmp, "raw.lua")
        with open(path, "w") as f:
            f.write('return scenario { summary = "raw", expect = 400, plan = { rxreq(), close() },\n'
                    '  client_request = "GET / HTTP/9.9\\r\\n\\r\\n" }\n')
        out = self.client(path, peer.port, "--watch-close")
        peer.join(self)
        self.assertEqual(got["bytes"], b"GET / HTTP/9.9\r\n\r\n")
        self.assertEqual((out["outcome"], out["last_connection"]), ("400", "closed"))

    def test_without_a_client_part_the_default_get(self):
        got = {}

        def h(peer, i, s):
            got["bytes"] = read_head(s)[0]
            s.sendall(OK)

        peer = Peer(h)
        path = os.path.join(self.tmp, "plain.lua")
        with open(path, "w") as f:
            f.write('return scenario { summary = "no client part", expect = 200, plan = { rxreq(), txresp{} } }\n')
        out = self.client(path, peer.port)
        peer.join(self)
        self.assertEqual(got["bytes"], b"GET /plain/1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % peer.port)
        self.assertEqual(out["outcome"], "200")

    def test_the_last_connection_is_watched_only_when_asked(self):
        def kept(peer, i, s):
            read_head(s)
            s.sendall(OK)
            time.sleep(1.5 * common.TIME_FACTOR)

        plain = self.scenario("request { },", name="plain_expect")
        asks = os.path.join(self.tmp, "asks.lua")
        with open(asks, "w") as f:
            f.write('return scenario { summary = "asks", expect = { status = 200, connection = "kept" },\n'
                    '  plan = { rxreq(), txresp{} }, client = { request { } } }\n')
        for path, args, want in ((plain, [], "not watched"), (plain, ["--watch-close"], "kept"), (asks, [], "kept")):
            with self.subTest(path=path, args=args):
                peer = Peer(kept)
                out = self.client(path, peer.port, *args)
                peer.join(self)
                self.assertEqual((out["outcome"], out["last_connection"]), ("200", want))
        # the text form says it too
        peer = Peer(kept)
        p = badup(["client", plain, "--to", "127.0.0.1:%d" % peer.port])
        peer.join(self)
        self.assertIn("last connection: not watched", p.stdout)

    def test_a_client_that_gave_up_does_not_say_kept(self):
        def stall(peer, i, s):
            read_head(s)
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            time.sleep(1.5 * common.TIME_FACTOR)

        peer = Peer(stall)
        out = self.client(self.scenario("request { },"), peer.port, "--watch-close", timeout=0.5)
        peer.join(self)
        self.assertEqual((out["outcome"], out["last_connection"]), ("200+timeout", "unknown"))

    def test_exit_codes(self):
        # refused: nobody listens on a port the kernel just handed out
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        port = ls.getsockname()[1]
        ls.close()
        p = badup(["client", self.scenario("request { },"), "--to", "127.0.0.1:%d" % port])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("outcome: refused", p.stdout)
        # barriers without a control API: a usage error naming the request
        path = self.scenario('request { },\nrequest { abort = { at = "barrier", barrier = "up" } },', name="needs")
        p = badup(["client", path, "--to", "127.0.0.1:%d" % port])
        self.assertEqual(p.returncode, 2)
        self.assertIn("request 2 aborts at barrier 'up': give --admin HOST:PORT", p.stderr)
        self.assertRegex(p.stderr, r"badup client: %s:\d+: " % re.escape(path))
        path = self.scenario('request { wait = { barrier = "go" } },', name="needs_wait")
        p = badup(["client", path, "--to", "127.0.0.1:%d" % port])
        self.assertEqual(p.returncode, 2)
        self.assertIn("request 1 waits for barrier 'go'", p.stderr)
        self.assertIn("give --admin HOST:PORT", p.stderr)
        help_text = badup(["client", "--help"]).stdout
        for words in ("--watch-close", "1 MiB", "1 no request was sent", "refused"):
            self.assertIn(words, " ".join(help_text.split()))

    def test_help_and_errors(self):
        p = badup(["client", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("--to HOST:PORT", p.stdout)
        self.assertIn("client FILE", badup(["--help"]).stdout)
        self.assertEqual(badup(["client", self.scenario("request { },")]).returncode, 2)
        bad = {
            'request { method = 1 },': "method must be a string",
            'request { pace = { bytes = 0, every = 1 } },': "pace.bytes must be an integer from 1",
            'request { raw = "x", body = "y" },': "'body' builds a request, and raw gives its exact bytes",
            'request { abort = { at = "time" } },': 'abort at "time" needs abort.after_s',
            'request { connection = "pipelined" },': 'connection must be "new"',
            'request { },\nrequest { connection = "pipelined", expect_100 = 1 },': "expect_100 cannot be used",
            'request { target = "/${nope}" },': "unknown placeholder '${nope}'",
            'request { wait = { barrier = "bad name" } },': "wait.barrier must be a barrier name",
            'request { target = "/${upstream2}" },': "${upstream2} names upstream 2, and the scenario has 1",
            'request { method = "POST", body = "ab", send_body_bytes = 3 },': "more than the body's 2 bytes",
            'request { wait = { barrier = "b", s = 0 } },': "wait.s must be more than 0 and at most 86400 seconds",
        }
        for text, why in bad.items():
            with self.subTest(text=text):
                path = self.scenario(text, name="bad")
                p = badup(["client", path, "--to", "127.0.0.1:1"])
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertRegex(p.stderr, r"^%s:\d+: " % re.escape(path))
                self.assertIn(why, p.stderr)


def run_through_tiny(test, name, text):
    """`badup run` of one scenario file (NAME.lua holding TEXT) through test_proxy_one_file.py's
    one-file Python proxy (HTTP/1.0: a connection per request); the process and its --out."""
    tmp = tempfile.mkdtemp(prefix="badup-e2e-client-run-")
    test.addCleanup(shutil.rmtree, tmp, True)
    defs, scen = os.path.join(tmp, "proxies"), os.path.join(tmp, "scenarios")
    os.makedirs(defs)
    os.makedirs(scen)
    for fname, ftext in (("tiny.lua", TINY_LUA), ("tiny-proxy.py", TINY_PY)):
        with open(os.path.join(defs, fname), "w") as f:
            f.write(ftext)
    with open(os.path.join(scen, name + ".lua"), "w") as f:
        f.write(text)
    out = os.path.join(tmp, "run")
    p = badup(["run", "--proxies", defs, "--proxy", "tiny", "--scenarios", scen, "--out", out, "--quiet"],
              timeout=120)
    return p, out


class RunWithClientPart(unittest.TestCase):
    def test_badup_run_sends_the_client_part_through_a_proxy(self):
        p, out = run_through_tiny(
            self, "two_gets",
            'return scenario {\n  summary = "two requests of the client part",\n'
            '  expect = { status = 200, body = "hello", connection = "closed",\n'
            '             responses = { { status = 200 }, { status = 200 } } },\n'
            '  plan = { rxreq(), txresp { body = "hello" } },\n'
            '  client = { request { headers = { "X-A: 1" } }, request { target = "/second" } },\n}\n')
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        with open(os.path.join(out, "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual([(c["scenario"], c["got"]) for c in cases], [("two_gets", "200")])
        # what the client saw reaches the assertions: content, the connection, each response
        self.assertEqual({a["id"]: a["ok"] for a in cases[0]["assertions"]},
                         {"status": True, "body.equal": True, "connection": True, "responses[1].status": True,
                          "responses[2].status": True})
        case_dirs = [os.path.join(dp) for dp, dn, fn in os.walk(out) if "client-sent.txt" in fn]
        self.assertEqual(len(case_dirs), 1, list(os.walk(out)))
        with open(os.path.join(case_dirs[0], "client-sent.txt"), "rb") as f:
            sent = f.read()
        with open(os.path.join(case_dirs[0], "client-received.txt"), "rb") as f:
            received = f.read()
        # HTTP/1.0 answers close the connection: the second request goes on a fresh one
        self.assertIn(b"--- connection 1 ---\nGET /two_gets/1 HTTP/1.1\r\nHost: 127.0.0.1:", sent)
        self.assertIn(b"X-A: 1\r\n", sent)
        self.assertIn(b"--- connection 2 (connection 1 could not be reused: the response said close) ---\n"
                      b"GET /second HTTP/1.1\r\n", sent)
        self.assertEqual(received.count(b"hello"), 2, received)


class RunResetsBarriersBetweenRequests(unittest.TestCase):
    def test_each_request_of_a_client_part_aborts_at_its_own_reach(self):
        # Request 1 resets at the upstream's reach("up"); request 2 must not find "up"
        # still reached (it would reset before writing a byte): the upstream gets both.
        p, out = run_through_tiny(
            self, "reach_twice",
            'return scenario {\n  summary = "each request resets once the upstream has it",\n'
            '  expect = "aborted",\n'
            '  plan = { rxreq(), reach("up"), stall(0.3), txresp { body = "late" } },\n'
            '  client = { request { abort = { at = "barrier", barrier = "up", how = "reset" } },\n'
            '             request { abort = { at = "barrier", barrier = "up", how = "reset" } } },\n}\n')
        with open(os.path.join(out, "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual([(c["scenario"], c["got"]) for c in cases], [("reach_twice", "aborted")], p.stdout)
        found = [dp for dp, dn, fn in os.walk(out) if "upstream-requests.json" in fn]
        self.assertEqual(len(found), 1, list(os.walk(out)))
        with open(os.path.join(found[0], "upstream-requests.json")) as f:
            reqs = json.load(f)["requests"]
        self.assertEqual([r["target"] for r in reqs], ["/reach_twice/1", "/reach_twice/2"])
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
