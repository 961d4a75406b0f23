"""The HTTP/2 catalog on the wire: each h2_* scenario served alone by `badup serve`, seen by
tests/tools/h2frames, which prints every frame it receives (one line each) and validates none:
the frames, their flags and error codes, and how the connection ends (EOF, RST, TIMEOUT).
Then reference peers that do validate agree on the control case: nghttp, h2load, curl with
prior knowledge; the events of GET /events show the frames; and h2 over TLS with ALPN h2."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import common
import h2peer
from h2peer import h2frames

SETTINGS_DEFAULT = "SETTINGS stream=0 flags=0x0 MAX_CONCURRENT_STREAMS=100"
SETTINGS_ACK = "SETTINGS stream=0 flags=ACK"
OK_HEADERS = "HEADERS stream=1 flags=END_HEADERS :status=200 content-type=text/plain content-length=3"
OK_DATA = 'DATA stream=1 flags=END_STREAM len=3 data="ok\\n"'
# Seconds h2frames waits where the connection is meant to stay open (a stall, a kept-alive
# connection): long enough that a frame still to come would have come.
QUIET = 2.0


def setUpModule():
    common.require_binary()
    h2peer.require_h2frames()


class H2Wire(unittest.TestCase):
    def serve(self, name, args=()):
        return common.start_server(self, common.scenario_path(name), args=args)

    def frames(self, name, *args, timeout=5.0):
        """h2frames' lines for GET /NAME/x against NAME served alone."""
        s = self.serve(name)
        rc, lines, err = h2frames(s.addr[1], "--path", "/%s/x" % name, *args, timeout=timeout)
        self.assertEqual(rc, 0, err)
        self.assertTrue(lines, "h2frames printed nothing; stderr: %s" % err)
        return lines

    # ---- the control case
    def test_h2_ok(self):
        lines = self.frames("h2_ok", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, OK_HEADERS, OK_DATA, "TIMEOUT"])

    def test_h2_ok_post(self):
        """A request body: the simulator gives the window back on its own (WINDOW_UPDATE)."""
        s = self.serve("h2_ok")
        rc, lines, err = h2frames(s.addr[1], "--method", "POST", "--path", "/h2_ok/x", "--body", "hello",
                                  timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, "WINDOW_UPDATE stream=0 increment=5",
                                 OK_HEADERS, OK_DATA, "TIMEOUT"])

    def test_settings_once_the_preface_came(self):
        """The server's SETTINGS (MAX_CONCURRENT_STREAMS 100) come once the client's 24-byte
        preface has (RFC 9113 3.4 lets the server send its preface then), and not before:
        a peer that turns out to speak HTTP/1 gets no frame it cannot read."""
        s = self.serve("h2_ok")
        with s.connect() as sock:
            sock.settimeout(0.5 * common.TIME_FACTOR)
            try:
                early = sock.recv(100)
            except socket.timeout:
                early = b""
            self.assertEqual(early, b"", "nothing before the client preface")
            sock.sendall(h2peer.PREFACE)
            sock.shutdown(socket.SHUT_WR)
            got = common.read_to_end(sock, timeout=QUIET * common.TIME_FACTOR)
        self.assertEqual(got.data[:15], h2peer.settings((3, 100)), got)

    # ---- the connection goes away
    def test_h2_goaway_before_response(self):
        lines = self.frames("h2_goaway_before_response")
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK,
                                 'GOAWAY last_stream_id=0 code=NO_ERROR debug=""', "EOF"])

    def test_h2_goaway_after_response(self):
        lines = self.frames("h2_goaway_after_response")
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, OK_HEADERS, OK_DATA,
                                 'GOAWAY last_stream_id=1 code=NO_ERROR debug=""', "EOF"])

    # ---- the stream is reset
    def test_h2_rst_refused_stream(self):
        """REFUSED_STREAM, nothing after it; the retry (a new connection) gets its 200."""
        s = self.serve("h2_rst_refused_stream")
        rc, lines, err = h2frames(s.addr[1], "--path", "/h2_rst_refused_stream/x", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, "RST_STREAM stream=1 code=REFUSED_STREAM",
                                 "TIMEOUT"])
        rc, lines, err = h2frames(s.addr[1], "--path", "/h2_rst_refused_stream/x", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK,
                                 "HEADERS stream=1 flags=END_HEADERS :status=200 content-type=text/plain "
                                 "content-length=15",
                                 'DATA stream=1 flags=END_STREAM len=15 data="ok after retry\\n"', "TIMEOUT"])

    def test_h2_rst_internal_mid_body(self):
        lines = self.frames("h2_rst_internal_mid_body", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK,
                                 "HEADERS stream=1 flags=END_HEADERS :status=200 content-type=text/plain "
                                 "content-length=100",
                                 'DATA stream=1 flags=0x0 len=50 data="%s"' % ("0123456789" * 5),
                                 "RST_STREAM stream=1 code=INTERNAL_ERROR", "TIMEOUT"])

    # ---- stalls
    def test_h2_stall_headers(self):
        lines = self.frames("h2_stall_headers", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, "TIMEOUT"])

    def test_h2_stall_body(self):
        lines = self.frames("h2_stall_body", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK,
                                 "HEADERS stream=1 flags=END_HEADERS :status=200 content-type=text/plain "
                                 "content-length=100", "TIMEOUT"])

    # ---- the connection's own faults
    def test_h2_no_settings(self):
        """No SETTINGS line at all: neither the server's nor the ACK of the client's."""
        lines = self.frames("h2_no_settings", timeout=QUIET)
        self.assertEqual(lines, [OK_HEADERS, OK_DATA, "TIMEOUT"])

    def test_h2_http1_reply(self):
        lines = self.frames("h2_http1_reply")
        self.assertEqual(lines, ['RAW "HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n'
                                 'Connection: close\\r\\n\\r\\n"', "EOF"])

    # ---- malformed responses (RFC 9113 8.1.1: a client treats them as a stream error)
    def test_h2_uppercase_header(self):
        lines = self.frames("h2_uppercase_header", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, OK_HEADERS + " X-Upper=1", OK_DATA, "TIMEOUT"])

    def test_h2_connection_header(self):
        lines = self.frames("h2_connection_header", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, OK_HEADERS + " connection=close", OK_DATA,
                                 "TIMEOUT"])

    def test_h2_missing_status(self):
        lines = self.frames("h2_missing_status", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK,
                                 "HEADERS stream=1 flags=END_HEADERS content-type=text/plain content-length=3",
                                 OK_DATA, "TIMEOUT"])

    def test_h2_data_after_end_stream(self):
        lines = self.frames("h2_data_after_end_stream", timeout=QUIET)
        self.assertEqual(lines, [SETTINGS_DEFAULT, SETTINGS_ACK, OK_HEADERS, OK_DATA,
                                 'DATA stream=1 flags=END_STREAM len=5 data="extra"', "TIMEOUT"])

    def test_h2_window_zero(self):
        """INITIAL_WINDOW_SIZE 0 and never a WINDOW_UPDATE: not a byte of the body goes out,
        so the request never ends and no response comes."""
        s = self.serve("h2_window_zero")
        rc, lines, err = h2frames(s.addr[1], "--method", "POST", "--path", "/h2_window_zero/x",
                                  "--header", "content-length:5", "--body", "hello", timeout=QUIET)
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines, ["SETTINGS stream=0 flags=0x0 MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=0",
                                 SETTINGS_ACK,
                                 "BODY blocked sent=0 of=5 stream_window=0 connection_window=65535", "TIMEOUT"])


class Flood(unittest.TestCase):
    """A peer that floods PING and never reads: the simulator stops reading it once its answers
    wait in the socket, so its memory stays put, and other clients are served meanwhile."""

    def test_ping_flood_of_a_peer_that_never_reads(self):
        s = common.start_server(self, common.scenario_path("h2_ok"))
        rss = lambda: int(open("/proc/%d/status" % s.proc.pid).read().split("VmRSS:")[1].split()[0])
        before = rss()
        ping = h2peer.frame(6, 0, 0, b"12345678")
        with socket.create_connection(s.addr) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(h2peer.PREFACE + h2peer.settings())
            sock.settimeout(0.2)
            blob, sent, end = ping * 4000, 0, time.monotonic() + 2.0
            while time.monotonic() < end:  # bounded in time; the server stops reading early
                try:
                    sent += sock.send(blob)
                except socket.timeout:
                    pass
            grown = rss() - before
            # unbounded, the answers took about 250 MB a second here
            self.assertLess(grown, 64 * 1024, "RSS grew by %d kB after %d bytes of PING" % (grown, sent))
            rc, lines, err = h2frames(s.addr[1], "--path", "/h2_ok/x", timeout=QUIET)
            self.assertIn(OK_DATA, lines, err)


class ReferencePeers(unittest.TestCase):
    """h2_ok with peers that validate every frame: they agree it is well-formed HTTP/2."""

    @classmethod
    def setUpClass(cls):
        common.require_binary()
        cls.server = common.start_class_server(cls, common.scenario_path("h2_ok"))
        cls.url = "http://127.0.0.1:%d/h2_ok/x" % cls.server.addr[1]

    @unittest.skipIf(h2peer.NGHTTP is None, "nghttp (nghttp2-client) is not installed")
    def test_nghttp(self):
        p = subprocess.run([h2peer.NGHTTP, "-nv", self.url], capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out + p.stderr.decode("utf-8", "replace"))
        self.assertRegex(out, r"recv \(stream_id=\d+\) :status: 200")
        self.assertRegex(out, r"recv DATA frame <length=3, flags=0x01, stream_id=\d+>")
        self.assertNotIn("PROTOCOL_ERROR", out)

    @unittest.skipIf(h2peer.H2LOAD is None, "h2load (nghttp2-client) is not installed")
    def test_h2load(self):
        p = subprocess.run([h2peer.H2LOAD, "-n", "20", "-c", "2", "-m", "5", self.url], capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("requests: 20 total, 20 started, 20 done, 20 succeeded, 0 failed", out)
        self.assertIn("status codes: 20 2xx, 0 3xx, 0 4xx, 0 5xx", out)

    @common.skip_without_curl
    def test_curl_prior_knowledge(self):
        p = subprocess.run([common.CURL_BIN, "-q", "-sS", "--noproxy", "*", "--http2-prior-knowledge",
                            "-w", "\\n%{http_version} %{http_code}", "--max-time", "10", self.url],
                           capture_output=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (0, b"ok\n\n2 200"), p.stderr)

    def test_events_show_frames(self):
        rc, lines, err = h2frames(self.server.addr[1], "--path", "/h2_ok/events", timeout=1.0)
        self.assertIn(OK_DATA, lines)

        def ours():
            for rec in self.server.get("/events"):
                evs = rec.get("events", [])
                if any(e.get("what") == "request" and e.get("detail") == "GET /h2_ok/events" for e in evs):
                    return evs
            return None
        evs = common.poll_until(ours, timeout=5.0, what="the connection of GET /h2_ok/events")
        by = {}
        for e in evs:
            by.setdefault(e["what"], []).append(e.get("detail", ""))
        self.assertEqual(by.get("h2_preface"), ["ok"], evs)
        self.assertTrue(any(d.startswith("HEADERS stream=1 ") for d in by.get("h2_frame_in", [])), evs)
        self.assertTrue(any(d.startswith("SETTINGS") for d in by.get("h2_frame_in", [])), evs)
        self.assertTrue(any(d.startswith("HEADERS stream=1 ") for d in by.get("h2_frame_out", [])), evs)
        self.assertTrue(any(d.startswith("DATA stream=1 ") and "END_STREAM" in d
                            for d in by.get("h2_frame_out", [])), evs)


class H2OverTls(unittest.TestCase, common.TempDirMixin):
    def test_alpn_h2(self):
        certs = tempfile.mkdtemp(prefix="badup-e2e-h2tls-")
        self.addCleanup(shutil.rmtree, certs, True)
        d = self.make_tempdir()
        path = common.write_scenario(d, "h2_tls_ok", """-- a test: h2 over TLS, ALPN h2
return scenario {
  summary = "h2 over TLS",
  expect  = 200,
  tls     = { alpn = {"h2"} },
  http2   = true,
  plan    = { rxreq(), headers { status = 200 }, data("ok\\n", { end_stream = true }) },
}
""")
        s = common.start_server(self, path, args=("--tls-dir", certs))
        rc, lines, err = h2frames(s.addr[1], "--tls", "--cacert", os.path.join(certs, "ca.crt"),
                                  "--path", "/h2_tls_ok/x", timeout=QUIET)
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines[:3], ["ALPN h2", SETTINGS_DEFAULT, SETTINGS_ACK], lines)
        self.assertEqual(lines[3:], ["HEADERS stream=1 flags=END_HEADERS :status=200", OK_DATA, "TIMEOUT"])


if __name__ == "__main__":
    unittest.main()
