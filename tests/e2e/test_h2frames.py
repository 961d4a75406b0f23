"""tests/tools/h2frames, the frame-level HTTP/2 client of the HTTP/2 wire tests, checked before
it checks anything: against nghttpd (a reference HTTP/2 server, with curl's view of the same
response as a cross-check), and against a scripted server that writes frames by hand, the
malformed ones a correct HTTP/2 library refuses, so the tool is seen to show them as sent."""

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

import common
import h2peer
from h2peer import (ACK, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING, RST_STREAM, SETTINGS,
                    WINDOW_UPDATE, frame, h2frames, hpack_literal, read_frames, settings)

skip_without_nghttpd = unittest.skipIf(h2peer.NGHTTPD is None, "nghttpd (nghttp2-server) is not installed")


def setUpModule():
    h2peer.require_h2frames()


class Scripted:
    """A one-connection server on 127.0.0.1 (kernel port): `script(sock)` runs in a thread on the
    accepted connection; its return value is `result`. close: "fin" or "reset" (SO_LINGER 0)
    once the script returns, or None to leave the connection open until stop()."""

    def __init__(self, test, script, close="fin"):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.port = self.lsock.getsockname()[1]
        self.script, self.close = script, close
        self.result = self.error = self.conn = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        test.addCleanup(self.stop)

    def _run(self):
        try:
            self.lsock.settimeout(10 * common.TIME_FACTOR)
            self.conn, _ = self.lsock.accept()
            self.result = self.script(self.conn)
            if self.close == "reset":
                self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.conn.close()
            elif self.close == "fin":
                # FIN now, then read until the client closes: a close() with the client's last
                # frames (an ACK) unread would send a RST in place of the FIN.
                self.conn.shutdown(socket.SHUT_WR)
                read_frames(self.conn, timeout=10.0, preface=False)
                self.conn.close()
        except Exception as e:  # reported by the test through self.error
            self.error = e
        finally:
            self.done.set()

    def stop(self):
        self.done.wait(20 * common.TIME_FACTOR)
        if self.conn is not None:
            self.conn.close()
        self.lsock.close()

    def wait(self, test):
        test.assertTrue(self.done.wait(20 * common.TIME_FACTOR), "the scripted server did not finish")
        test.assertIsNone(self.error, "scripted server: %r" % self.error)
        return self.result


def request_seen(frames):
    return any(t == HEADERS for t, _, _, _ in frames)


class ToolVersusScriptedServer(unittest.TestCase):
    def serve(self, reply, close="fin", until=request_seen):
        """Waits for the request's HEADERS, writes `reply`, closes as told; result: what the
        tool sent (preface, frames)."""
        def script(sock):
            got = read_frames(sock, until=until)
            sock.sendall(reply)
            return got
        return Scripted(self, script, close)

    def test_malformed_frames_shown_as_sent(self):
        block = b"\x88" + hpack_literal(b"X-Upper", b"1") + hpack_literal(b"connection", b"close")
        reply = (settings((3, 100)) + frame(HEADERS, END_HEADERS, 1, block)
                 + frame(DATA, END_STREAM, 1, b"ok\n") + frame(DATA, 0, 1, b"late")
                 + frame(HEADERS, END_HEADERS | END_STREAM, 3, hpack_literal(b"x-no-status", b"a b"))
                 + frame(0xEE, 0x3, 5, b"\x00\xff") + frame(RST_STREAM, 0, 1, struct.pack(">I", 0x99))
                 + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0) + b"bye"))
        s = self.serve(reply)
        rc, lines, err = h2frames(s.port, "--path", "/p", "--header", "x-test:one")
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines, [
            "SETTINGS stream=0 flags=0x0 MAX_CONCURRENT_STREAMS=100",
            "HEADERS stream=1 flags=END_HEADERS :status=200 X-Upper=1 connection=close",
            'DATA stream=1 flags=END_STREAM len=3 data="ok\\n"',
            'DATA stream=1 flags=0x0 len=4 data="late"',
            'HEADERS stream=3 flags=END_STREAM|END_HEADERS x-no-status="a b"',
            'FRAME type=0xee stream=5 flags=0x3 len=2 payload="\\x00\\xff"',
            "RST_STREAM stream=1 code=0x99",
            'GOAWAY last_stream_id=1 code=NO_ERROR debug="bye"',
            "EOF"])
        preface, frames = s.wait(self)
        self.assertEqual(preface, h2peer.PREFACE)
        # its SETTINGS (ENABLE_PUSH 0), then the request: one HEADERS that ends the stream
        self.assertEqual(frames[0], (SETTINGS, 0, 0, struct.pack(">HI", 2, 0)))
        self.assertEqual([(t, f, sid) for t, f, sid, _ in frames[1:]], [(HEADERS, END_STREAM | END_HEADERS, 1)])

    def test_continuation_and_padding(self):
        """A header block split over HEADERS (padded, with a priority) and CONTINUATION: each
        line shows the fields its fragment finished; the padding is no field."""
        block = b"\x88" + hpack_literal(b"x-one", b"1") + hpack_literal(b"x-two", b"2")
        cut = 1 + len(hpack_literal(b"x-one", b"1")) + 3  # inside x-two's name
        headers = bytes([2]) + struct.pack(">IB", 0, 15) + block[:cut] + b"\0\0"
        reply = (frame(HEADERS, 0x8 | 0x20, 1, headers) + frame(9, END_HEADERS, 1, block[cut:])
                 + frame(DATA, END_STREAM | 0x8, 1, b"\x01ok\0"))
        s = self.serve(reply)
        rc, lines, err = h2frames(s.port)
        self.assertEqual(lines, ["HEADERS stream=1 flags=PADDED|PRIORITY dep=0 weight=16 :status=200 x-one=1",
                                 "CONTINUATION stream=1 flags=END_HEADERS x-two=2",
                                 'DATA stream=1 flags=END_STREAM|PADDED len=2 data="ok"', "EOF"])
        s.wait(self)

    def test_http1_reply_is_raw(self):
        s = self.serve(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", until=lambda f: True)
        rc, lines, err = h2frames(s.port)
        self.assertEqual((rc, lines), (0, ['RAW "HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n"', "EOF"]))
        s.wait(self)

    def test_reset_and_timeout(self):
        s = self.serve(settings(), close="reset")
        rc, lines, err = h2frames(s.port)
        self.assertEqual((rc, lines), (0, ["SETTINGS stream=0 flags=0x0", "RST"]))
        s.wait(self)
        s = self.serve(settings(), close=None)
        rc, lines, err = h2frames(s.port, timeout=1.0)
        self.assertEqual((rc, lines), (0, ["SETTINGS stream=0 flags=0x0", "TIMEOUT"]))

    def acks(self, *args):
        """What the tool sends back for the server's SETTINGS and PING (8 bytes)."""
        def script(sock):
            read_frames(sock, until=request_seen)
            sock.sendall(settings((4, 1000)) + frame(PING, 0, 0, b"12345678"))
            return read_frames(sock, timeout=1.5, until=lambda f: len(f) >= 2, preface=False)[1]
        s = Scripted(self, script)
        rc, lines, err = h2frames(s.port, *args)
        self.assertEqual(lines, ["SETTINGS stream=0 flags=0x0 INITIAL_WINDOW_SIZE=1000",
                                 'PING stream=0 flags=0x0 data="12345678"', "EOF"])
        return s.wait(self)

    def test_acks_settings_and_ping(self):
        self.assertEqual(self.acks(), [(SETTINGS, ACK, 0, b""), (PING, ACK, 0, b"12345678")])

    def test_no_ack(self):
        self.assertEqual(self.acks("--no-ack"), [])

    def test_body_within_the_windows(self):
        """INITIAL_WINDOW_SIZE 0: no DATA; a WINDOW_UPDATE of 3 on the stream: 3 bytes, no more,
        and at the timeout the line that says the body was blocked."""
        def script(sock):
            _, first = read_frames(sock, until=request_seen)
            sock.sendall(settings((4, 0)))
            _, before = read_frames(sock, timeout=1.0, until=lambda f: any(t == DATA for t, _, _, _ in f),
                                    preface=False)
            sock.sendall(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 3)))
            _, after = read_frames(sock, timeout=1.0, until=lambda f: any(t == DATA for t, _, _, _ in f),
                                   preface=False)
            return first, before, after
        s = Scripted(self, script, close=None)
        rc, lines, err = h2frames(s.port, "--method", "POST", "--body", "hello", "--window", "7", timeout=3.0)
        self.assertEqual(lines, ["SETTINGS stream=0 flags=0x0 INITIAL_WINDOW_SIZE=0",
                                 "WINDOW_UPDATE stream=1 increment=3",
                                 "BODY blocked sent=3 of=5 stream_window=0 connection_window=65532", "TIMEOUT"])
        first, before, after = s.wait(self)
        self.assertEqual(first[0], (SETTINGS, 0, 0, struct.pack(">HIHI", 2, 0, 4, 7)))
        self.assertEqual([(t, f) for t, f, _, _ in first[1:]], [(HEADERS, END_HEADERS)])  # the body follows
        self.assertEqual([t for t, _, _, _ in before], [SETTINGS])  # only the ACK
        self.assertEqual(after, [(DATA, 0, 1, b"hel")])

    def test_usage_and_connect_errors(self):
        for args in ([], ["--bogus", "1"], ["--window", "-1", "1"], ["--header", "novalue", "1"],
                     ["--timeout", "0", "1"], ["70000"], ["--cacert", "x", "1"]):
            p = subprocess.run([h2peer.H2FRAMES] + args, capture_output=True, timeout=10)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(b"usage: h2frames", p.stderr)
        with socket.socket() as unused:  # bound, never listening: the connect is refused
            unused.bind(("127.0.0.1", 0))
            rc, lines, err = h2frames(unused.getsockname()[1])
        self.assertEqual((rc, lines), (2, []))
        self.assertIn("cannot connect to 127.0.0.1:", err)
        self.assertIn("Connection refused", err)


@skip_without_nghttpd
class ToolVersusNghttpd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="badup-e2e-h2certs-")
        cls.addClassCleanup(shutil.rmtree, cls.certs, True)
        cls.server = h2peer.Nghttpd({"x": b"ok\n"})
        cls.addClassCleanup(cls.server.stop)

    def test_get(self):
        rc, lines, err = h2frames(self.server.port, "--path", "/x", timeout=1.5)
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines[:2], ["SETTINGS stream=0 flags=0x0 MAX_CONCURRENT_STREAMS=100",
                                     "SETTINGS stream=0 flags=ACK"])
        self.assertRegex(lines[2], r"^HEADERS stream=1 flags=END_HEADERS :status=200 .*content-length=3")
        self.assertEqual(lines[3:], ['DATA stream=1 flags=END_STREAM len=3 data="ok\\n"', "TIMEOUT"])

    @common.skip_without_curl
    def test_curl_agrees(self):
        """curl (libnghttp2 inside) over h2c prior knowledge reads the same response."""
        p = subprocess.run([common.CURL_BIN, "-q", "-sS", "--noproxy", "*", "--http2-prior-knowledge",
                            "-w", "\\n%{http_version} %{http_code}", "--max-time", "10",
                            "http://127.0.0.1:%d/x" % self.server.port], capture_output=True, timeout=20)
        self.assertEqual((p.returncode, p.stdout), (0, b"ok\n\n2 200"), p.stderr)

    def test_post_body_echoed(self):
        rc, lines, err = h2frames(self.server.port, "--method", "POST", "--path", "/x", "--body", "hello",
                                  timeout=1.5)
        self.assertIn('DATA stream=1 flags=END_STREAM len=5 data="hello"', lines)
        self.assertFalse([l for l in lines if l.startswith("BODY")], lines)

    def test_own_window_zero_holds_the_response_body(self):
        rc, lines, err = h2frames(self.server.port, "--path", "/x", "--window", "0", timeout=1.5)
        self.assertTrue(lines[2].startswith("HEADERS stream=1 flags=END_HEADERS :status=200"), lines)
        self.assertEqual(lines[3:], ["TIMEOUT"])

    def test_uppercase_name_goes_out_as_given(self):
        """nghttpd refuses the request stream: so the tool did send "X-Upper" (RFC 9113 8.2.1)."""
        rc, lines, err = h2frames(self.server.port, "--path", "/x", "--header", "X-Upper:1", timeout=1.5)
        self.assertIn("RST_STREAM stream=1 code=PROTOCOL_ERROR", lines)

    def test_tls_alpn_h2(self):
        p = common.run_badup(["certs", self.certs])
        self.assertEqual(p.returncode, 0, p.stderr)
        tls = h2peer.Nghttpd({"x": b"ok\n"}, key=os.path.join(self.certs, "valid.key"),
                             cert=os.path.join(self.certs, "valid.crt"))
        self.addCleanup(tls.stop)
        rc, lines, err = h2frames(tls.port, "--tls", "--cacert", os.path.join(self.certs, "ca.crt"),
                                  "--path", "/x", timeout=1.5)
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines[0], "ALPN h2")
        self.assertIn('DATA stream=1 flags=END_STREAM len=3 data="ok\\n"', lines)
        # the CA verifies: another CA's files fail the handshake, exit 2
        rc, lines, err = h2frames(tls.port, "--tls", "--cacert", os.path.join(self.certs, "untrusted.crt"),
                                  timeout=1.5)
        self.assertEqual(rc, 2)
        self.assertIn("TLS handshake", err)


if __name__ == "__main__":
    unittest.main()
