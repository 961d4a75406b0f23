"""Helpers shared by the end-to-end tests of `badup serve`.

Every test file in this folder runs standalone (`python3 tests/e2e/test_listener.py`), so
ctest can run them in parallel. Only the standard library is used.

Environment:
  BADUP            the binary (default <repo>/build/badup)
  BADUP_SCENARIOS  the scenario folder (default <repo>/scenarios)
  BADUP_TIME_FACTOR  scales the waits for the server (start, stop, polls, response reads);
                   tests/valgrind/run.sh sets 5: a server under valgrind is much slower

Rules kept here so no test forgets them: ports are always picked by the kernel (never a
fixed port), every wait has a timeout, every server started is stopped with SIGTERM (then
SIGKILL after a timeout) and must exit 0 with no sanitizer report on stderr.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BADUP = os.environ.get("BADUP") or os.path.join(REPO, "build", "badup")
SCENARIOS = os.environ.get("BADUP_SCENARIOS") or os.path.join(REPO, "scenarios")
# The sanitized build (ctest's *-asan tests): about three times slower. A suite whose cost grows
# with the reference may run a sample there, and the whole of it against the plain build.
SANITIZED = os.path.basename(BADUP).endswith("-asan")

# Timeouts the scenarios see as ctx.*: short, so stall tests are fast.
READ_TIMEOUT = 0.3
CONNECT_TIMEOUT = 0.3
FAST = ["--set", "read_timeout=%g" % READ_TIMEOUT, "--set", "connect_timeout=%g" % CONNECT_TIMEOUT]

TIME_FACTOR = float(os.environ.get("BADUP_TIME_FACTOR") or 1)
STARTUP_TIMEOUT = 15.0 * TIME_FACTOR  # generous: an ASan build starts slower
STOP_TIMEOUT = 5.0 * TIME_FACTOR
SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "ThreadSanitizer",
)
STARTUP_RE = re.compile(r"^badup serve: listen=(\S+) admin=(\S+)")

REQUIRED_SCENARIOS = [
    "ok", "refuse", "blackhole", "close_on_accept", "reset_on_accept", "empty_reply",
    "reset_before_response", "stall_headers", "stall_body", "slow_drip", "close_mid_headers",
    "reset_mid_headers", "close_mid_body", "reset_mid_body", "truncated_body",
    "malformed_status_line", "status_999", "status_444", "http09", "garbage",
    "no_colon_header", "space_before_colon", "nul_in_header", "bare_lf", "obs_fold",
    "dup_content_length", "bad_content_length", "te_and_cl", "bad_chunk_size",
    "truncated_chunked", "huge_header", "interim_1xx_then_close", "keepalive_race",
    "fail_first_then_ok",
    # the client half: requests of the client's own, assertions beyond the status
    "head_chunked", "hop_by_hop_stripped", "te_cl_response", "request_cl_removed",
    "upload_early_reject", "expect_100_continue", "expect_100_upstream_rejects",
    "client_abort_waiting", "client_abort_mid_body", "retry_next_upstream", "pipelined_two",
    # through a forward proxy (forward = true): absolute form, CONNECT, proxy authentication
    "fwd_absolute_form_ok", "fwd_auth_required", "fwd_auth_wrong", "fwd_auth_ok", "fwd_acl_denied",
    "fwd_refused", "fwd_connect_ok", "fwd_connect_refused", "fwd_connect_denied", "fwd_upstream_empty_reply",
    # the request side: what a proxy answers when the client breaks a rule
    "req_method_invalid", "req_method_unknown_token", "req_version_invalid", "req_version_2_in_h1",
    "req_target_non_ascii", "req_header_name_non_ascii", "req_header_space_before_colon",
    "req_dup_content_length_conflict", "req_content_length_invalid", "req_content_length_negative",
    "req_te_and_cl", "req_post_no_length", "req_dup_host", "req_missing_host",
    "req_dup_authorization", "req_uri_too_long", "req_header_too_large", "req_body_too_large",
    "req_slow_headers", "req_headers_stall", "req_body_stall", "req_chunked_bad_size",
    "http10_keepalive",
]
LISTENER_SCENARIOS = ["refuse", "blackhole", "close_on_accept", "reset_on_accept", "fwd_refused",
                      "fwd_connect_refused"]


def require_binary():
    """Called from setUpModule: a missing binary is an error, not a skip."""
    if not (os.path.isfile(BADUP) and os.access(BADUP, os.X_OK)):
        raise RuntimeError("badup binary not found at %s (build it, or set BADUP)" % BADUP)
    if not os.path.isdir(SCENARIOS):
        raise RuntimeError("scenario folder not found at %s (set BADUP_SCENARIOS)" % SCENARIOS)


def scenario_path(name):
    return os.path.join(SCENARIOS, name + ".lua")


def garbage_bytes():
    """The 256 bytes scenarios/garbage.lua sends: glibc rand() LCG, fixed seed."""
    state = 20240601
    out = bytearray()
    for _ in range(256):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((state >> 16) & 0xFF)
    return bytes(out)


# What each scenario puts on the wire for one plain GET, and how the connection ends.
#   bytes: the exact bytes, as the scenario file says;
#   end:   "fin" (recv returns b''), "reset" (ConnectionResetError) or "open" (nothing
#          more arrives and the connection stays open: stalls);
#   close: whether the test request carries "Connection: close" (scenarios that end in
#          keepalive() only send their FIN when asked to).
OK_200 = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
HEAD_100 = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
WIRE = {
    "ok": dict(bytes=OK_200, end="fin", close=True),
    "empty_reply": dict(bytes=b"", end="fin"),
    "reset_before_response": dict(bytes=b"", end="reset"),
    "close_mid_headers": dict(bytes=b"HTTP/1.1 200 OK\r\nContent-Type: text/pl", end="fin"),
    "reset_mid_headers": dict(bytes=b"HTTP/1.1 200 OK\r\nContent-Type: text/pl", end="reset"),
    "close_mid_body": dict(bytes=HEAD_100 + b"0123456789" * 4, end="fin"),
    "reset_mid_body": dict(bytes=HEAD_100 + b"0123456789" * 4, end="reset"),
    "truncated_body": dict(bytes=HEAD_100 + b"0123456789", end="fin"),
    "malformed_status_line": dict(bytes=b"HTTP/1.1 OK\r\nContent-Length: 3\r\n\r\nok\n", end="fin"),
    "status_999": dict(bytes=b"HTTP/1.1 999 Request Denied\r\nContent-Length: 3\r\n\r\nok\n", end="fin"),
    "status_444": dict(bytes=b"HTTP/1.1 444 No Response\r\nContent-Length: 12\r\n\r\nno response\n",
                       end="fin", close=True),
    "http09": dict(bytes=b"<html>no status line, no headers</html>\n", end="fin"),
    "garbage": dict(bytes=garbage_bytes(), end="fin"),
    "no_colon_header": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-No-Colon-Here\r\n\r\nok\n", end="fin"),
    "space_before_colon": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Spaced : yes\r\n\r\nok\n", end="fin"),
    "nul_in_header": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Nul: a\x00b\r\n\r\nok\n", end="fin"),
    "bare_lf": dict(bytes=b"HTTP/1.1 200 OK\nContent-Length: 3\n\nok\n", end="fin"),
    "obs_fold": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Folded: first\r\n second\r\n\r\nok\n",
        end="fin"),
    "dup_content_length": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nok\n", end="fin"),
    "bad_content_length": dict(bytes=b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok\n", end="fin"),
    "te_and_cl": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"3\r\nok\n\r\n0\r\n\r\n", end="fin"),
    "bad_chunk_size": dict(
        bytes=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\nzz\r\nmore\r\n0\r\n\r\n",
        end="fin"),
    "truncated_chunked": dict(
        bytes=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello\n\r\n6\r\nworld\n\r\n",
        end="fin"),
    "huge_header": dict(
        bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Badup-Huge: " + b"a" * (65536 - 14)
              + b"\r\n\r\nok\n", end="fin"),
    "interim_1xx_then_close": dict(bytes=b"HTTP/1.1 100 Continue\r\n\r\n", end="fin"),
    "slow_drip": dict(bytes=b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\ndripped slowly\n",
                      end="fin", close=True),
    "chunked_ok": dict(
        bytes=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n8\r\nchunked\n\r\n0\r\n\r\n",
        end="fin", close=True),
    "status_204_with_body": dict(bytes=b"HTTP/1.1 204 No Content\r\n\r\nunexpected body\n",
                                 end="fin", close=True),
    "reset_after_response": dict(bytes=OK_200, end="reset"),
    "half_close": dict(bytes=OK_200, end="fin"),
    "idle_close": dict(bytes=OK_200, end="fin", close=True),
    "close_delimited": dict(bytes=b"HTTP/1.0 200 OK\r\n\r\nbody until close\n", end="fin"),
}

# What curl does talking to each scenario directly (folder mode, GET /NAME/x), run as
# `curl -sS -o /dev/null -w '%{http_code}' --max-time 5 URL`: (exit code, http_code, a piece
# of its error message or None). Measured with curl 7.88.1 (Debian 12). CURL_CORE holds the
# outcomes every curl since 7.x shares; CURL_788 those measured on 7.88.x only (curl's
# parser has become stricter since), checked only when that version is installed.
CURL_CORE = {
    "ok": (0, "200", None),
    "slow_drip": (0, "200", None),
    "status_444": (0, "444", None),
    "chunked_ok": (0, "200", None),
    "close_delimited": (0, "200", None),
    "half_close": (0, "200", None),
    "idle_close": (0, "200", None),
    "reset_after_response": (0, "200", None),
    "empty_reply": (52, "000", "Empty reply from server"),
    "reset_before_response": (56, "000", "Connection reset by peer"),
    "reset_mid_headers": (56, "200", "Connection reset by peer"),
    "reset_mid_body": (56, "200", "Connection reset by peer"),
    "close_mid_body": (18, "200", "transfer closed with 60 bytes remaining to read"),
    "truncated_body": (18, "200", "transfer closed with 90 bytes remaining to read"),
    "truncated_chunked": (18, "200", "transfer closed with outstanding read data remaining"),
    "bad_chunk_size": (56, "200", "Illegal or missing hexadecimal sequence in chunked-encoding"),
    "interim_1xx_then_close": (52, "100", "Empty reply from server"),
    "http09": (1, "000", "Received HTTP/0.9 when not allowed"),
    "garbage": (1, "000", "Received HTTP/0.9 when not allowed"),
    "status_204_with_body": (0, "204", None),
    "space_before_colon": (0, "200", None),
    "bare_lf": (0, "200", None),
    "huge_header": (0, "200", None),
}
CURL_788 = {
    "close_mid_headers": (0, "200", None),
    "malformed_status_line": (1, "000", "Unsupported HTTP version in response"),
    "status_999": (0, "999", None),
    "no_colon_header": (8, "200", "Header without colon"),
    "nul_in_header": (8, "200", "Nul byte in header"),
    "obs_fold": (0, "200", None),
    "dup_content_length": (18, "200", "transfer closed with 2 bytes remaining to read"),
    "bad_content_length": (8, "200", "Invalid Content-Length: value"),
    "te_and_cl": (0, "200", None),
}


def request_bytes(path, method="GET", headers=(), body=b"", close=False, version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, path, version), "Host: t"]
    lines.extend(headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Received:
    """What a raw socket got: the bytes, how it ended, and when."""

    def __init__(self):
        self.data = b""
        self.end = None        # "fin", "reset" or "open" (nothing more before the timeout)
        self.elapsed = None    # seconds from the start of the read to the end (or timeout)
        self.first_byte = None  # seconds from the start to the first byte
        self.pieces = []       # (seconds, bytes) per recv()

    def __repr__(self):
        return "Received(end=%r, elapsed=%.3f, %d bytes: %r)" % (
            self.end, self.elapsed or 0, len(self.data), self.data[:200])


def read_to_end(sock, timeout=5.0, quiet=None):
    """Reads until FIN, RST, or `timeout` seconds without the connection ending; with
    `quiet`, also stops after `quiet` seconds without a byte. Never raises for those."""
    r = Received()
    start = time.monotonic()
    deadline = start + timeout
    while True:
        now = time.monotonic()
        left = deadline - now
        if quiet is not None:
            left = min(left, quiet)
        if left <= 0:
            r.end = "open"
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            r.end = "open"
            break
        except ConnectionResetError:
            r.end = "reset"
            break
        t = time.monotonic() - start
        if not chunk:
            r.end = "fin"
            break
        if r.first_byte is None:
            r.first_byte = t
        r.pieces.append((t, chunk))
        r.data += chunk
    r.elapsed = time.monotonic() - start
    return r


def exchange(addr, request, timeout=5.0, quiet=None):
    """Connects, sends `request`, reads to the end (see read_to_end). A RST that comes
    before connect() or send() returns (accept-then-reset) ends it as "reset", no bytes."""
    try:
        s = socket.create_connection(addr, timeout=5)
    except ConnectionResetError:
        return _reset_early()
    with s:
        if request:
            try:
                s.sendall(request)
            except (ConnectionResetError, BrokenPipeError):
                return _reset_early()
        return read_to_end(s, timeout=timeout, quiet=quiet)


def _reset_early():
    r = Received()
    r.end = "reset"
    r.elapsed = 0.0
    return r


class HTTPReader:
    """Reads HTTP/1.1 responses one by one from a socket (for keep-alive tests)."""

    def __init__(self, sock, timeout=5.0):
        self.sock = sock
        self.buf = b""
        self.timeout = timeout * TIME_FACTOR
        self.eof = False

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out waiting for response bytes (have %r)" % self.buf[:200])
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            self.eof = True
            raise AssertionError("connection closed mid-response (have %r)" % self.buf[:200])
        self.buf += chunk

    def _take_line(self, deadline):
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head_request=False):
        """Returns (status, [(name, value)], body). 1xx responses are returned too."""
        deadline = time.monotonic() + self.timeout
        status_line = self._take_line(deadline)
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ?(.*)$", status_line)
        if not m:
            raise AssertionError("bad status line %r" % status_line)
        status = int(m.group(1))
        headers = []
        while True:
            line = self._take_line(deadline)
            if not line:
                break
            name, _, value = line.partition(b":")
            headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
        hmap = {n.lower(): v for n, v in headers}
        if status < 200 or status in (204, 304) or head_request:
            return status, headers, b""
        if hmap.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._take_line(deadline).split(b";")[0], 16)
                if size == 0:
                    while self._take_line(deadline):
                        pass
                    return status, headers, body
                body += self._take(size, deadline)
                if self._take(2, deadline) != b"\r\n":
                    raise AssertionError("chunk not followed by CRLF")
        if "content-length" in hmap:
            return status, headers, self._take(int(hmap["content-length"]), deadline)
        body = self.buf  # close-delimited
        self.buf = b""
        try:
            while True:
                self._fill(deadline)
        except AssertionError:
            if not self.eof:
                raise
        return status, headers, body + self.buf


def poll_until(fn, timeout=3.0, interval=0.02, what="condition"):
    """Calls fn() until it returns a truthy value; returns it, or raises after timeout."""
    deadline = time.monotonic() + timeout * TIME_FACTOR
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except (OSError, AssertionError, KeyError, ValueError) as e:  # retried
            last = e
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(interval)


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Server:
    """One `badup serve` child process."""

    def __init__(self, *paths, args=(), fast=True):
        self.paths = list(paths)
        self.args = (list(FAST) if fast else []) + list(args)
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-")
        self.out_path = os.path.join(self.tmp, "stdout")
        self.err_path = os.path.join(self.tmp, "stderr")
        self.proc = None
        self.rc = None
        self.startup_line = None
        self.info = {}
        self.addr = None
        self.admin_addr = None

    def start(self):
        self.argv = [BADUP, "serve"] + self.args + self.paths
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with open(self.out_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if "\n" in text:
                self.startup_line = text.split("\n", 1)[0]
                break
            if self.proc.poll() is not None:
                raise AssertionError("badup serve exited with %s before its startup line; stderr:\n%s"
                                     % (self.proc.returncode, self.stderr()))
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("no startup line within %.0fs; stderr:\n%s" % (STARTUP_TIMEOUT, self.stderr()))
            time.sleep(0.01)
        m = STARTUP_RE.match(self.startup_line)
        if not m:
            self.kill()
            raise AssertionError("unexpected startup line %r" % self.startup_line)
        self.info = dict(kv.split("=", 1) for kv in self.startup_line.split()[2:] if "=" in kv)
        self.addr = parse_hostport(m.group(1))
        self.admin_addr = None if m.group(2) == "off" else parse_hostport(m.group(2))
        return self

    def stderr(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns (rc, problems) where problems is a list of strings."""
        problems = []
        if self.proc is None:
            return None, problems
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append("did not stop within %.0fs of %s; killed" % (STOP_TIMEOUT, sig.name))
                self.kill()
        self.rc = self.proc.returncode
        if self.rc != 0:
            problems.append("exit code %s, expected 0" % self.rc)
        err = self.stderr()
        for marker in SANITIZER_MARKERS:
            if marker in err:
                problems.append("sanitizer report (%r) on stderr" % marker)
        return self.rc, problems

    def stop_and_check(self, sig=signal.SIGTERM):
        rc, problems = self.stop(sig)
        err = self.stderr()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if problems:
            raise AssertionError("badup serve %s: %s\nstderr:\n%s" % (
                " ".join(self.paths), "; ".join(problems), err[-4000:]))

    # ---- data plane
    def url(self, path):
        return "http://%s:%d%s" % (self.addr[0] if ":" not in self.addr[0] else "[%s]" % self.addr[0],
                                    self.addr[1], path)

    def exchange(self, request, timeout=5.0, quiet=None):
        return exchange(self.addr, request, timeout=timeout, quiet=quiet)

    def connect(self, timeout=5.0):
        return socket.create_connection(self.addr, timeout=timeout)

    # ---- control API
    def admin(self, method, path, body=None, timeout=5.0):
        """Returns (http status, parsed JSON or text)."""
        if self.admin_addr is None:
            raise AssertionError("admin API is off")
        url = "http://%s:%d%s" % (self.admin_addr[0], self.admin_addr[1], path)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with _NO_PROXY.open(req, timeout=timeout) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        text = raw.decode("utf-8", "replace")
        if "json" in ctype or text[:1] in ("{", "["):
            try:
                return status, json.loads(text)
            except ValueError:
                pass
        return status, text

    def get(self, path):
        status, body = self.admin("GET", path)
        if status != 200:
            raise AssertionError("GET %s: HTTP %s %r" % (path, status, body))
        return body


def start_server(test, *paths, args=(), fast=True):
    """Starts a server for one test; stopped (and checked) by the test's cleanup."""
    s = Server(*paths, args=args, fast=fast).start()
    test.addCleanup(s.stop_and_check)
    return s


def start_class_server(cls, *paths, args=(), fast=True):
    """Starts a server shared by a TestCase class; stopped (and checked) at class cleanup."""
    s = Server(*paths, args=args, fast=fast).start()
    cls.addClassCleanup(s.stop_and_check)
    return s


def badup_text(args, cwd=None, timeout=120):
    """Runs badup to completion from cwd (default the repository), stdin closed, its output as
    text; a sanitizer report on its stderr fails the test."""
    p = subprocess.run([BADUP] + list(args), cwd=cwd or REPO, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, errors="replace", timeout=timeout)
    for marker in SANITIZER_MARKERS:
        if marker in p.stderr:
            raise AssertionError("sanitizer report from badup %s:\n%s" % (" ".join(args), p.stderr))
    return p


def small_definition(conf, fields="", by="a test"):
    """A proxy definition that loads: proxy `t`, /bin/sh as its binary, one file t.conf holding
    conf (Lua string escapes), and `fields` (lines of Lua, each "  name = value,\n"). Its
    proxy{} call is on line 4, where a load error that blames the call points."""
    return ("-- a definition written by %s\n"
            "-- (the proxy{} call is on line 4)\n"
            "local unused = 1\n"
            "return proxy {\n"
            '  name = "t",\n'
            '  binary = { "/bin/sh" },\n'
            '  files = { ["t.conf"] = "%s" },\n'
            '  command = { "${binary}", "-c", "exit 0" },\n'
            "%s"
            "}\n" % (by, conf, fields))


def list_definition(parent, text):
    """Writes text as t.lua in a fresh folder under parent and runs `badup list` on that folder
    (from it); returns (the file's path, the CompletedProcess)."""
    d = tempfile.mkdtemp(dir=parent)
    path = os.path.join(d, "t.lua")
    with open(path, "w") as f:
        f.write(text)
    return path, badup_text(["list", "--proxies", d, "--scenarios", SCENARIOS], cwd=d)


def proxy_installed(name):
    """Is the proxy's binary on PATH or in /usr/sbin (where Debian puts the daemons)?"""
    return shutil.which(name) is not None or os.path.exists("/usr/sbin/" + name)


def definitions_folder(parent, text):
    """Writes text as the one definition t.lua of the folder parent/defs; returns the folder."""
    d = os.path.join(parent, "defs")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "t.lua"), "w") as f:
        f.write(text)
    return d


def run_badup(args, timeout=15.0):
    """Runs badup to completion (load errors, usage errors); returns CompletedProcess."""
    return subprocess.run([BADUP] + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout)


def write_scenario(dirpath, name, text):
    path = os.path.join(dirpath, name + ".lua")
    with open(path, "w") as f:
        f.write(text)
    return path


class TempDirMixin:
    def make_tempdir(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-scn-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


# ---- curl
CURL_BIN = shutil.which("curl")


def curl_version():
    if not CURL_BIN:
        return None
    out = subprocess.run([CURL_BIN, "--version"], capture_output=True, text=True, timeout=10).stdout
    m = re.match(r"curl (\d+\.\d+\.\d+)", out)
    return m.group(1) if m else None


CURL_VERSION = curl_version()
# The measured table above is for this version; other versions are only checked on the
# cases whose outcome every curl since 7.x shares.
CURL_MEASURED = CURL_VERSION is not None and CURL_VERSION.startswith("7.88.")

skip_without_curl = unittest.skipIf(CURL_BIN is None, "curl is not installed")


def curl(url, *extra, max_time=5):
    """Runs curl like a user would; returns (exit code, http_code, stderr, seconds).
    -q: ignore ~/.curlrc; --noproxy '*': ignore proxy variables of the environment."""
    argv = [CURL_BIN, "-q", "-sS", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}",
            "--max-time", str(max_time)] + list(extra) + [url]
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, timeout=max_time + 10)
    return (p.returncode, p.stdout.decode("latin-1").strip(), p.stderr.decode("latin-1"),
            time.monotonic() - t0)


class WireChecks:
    """Mixin for TestCase classes with a folder-mode `server` class attribute."""

    server = None

    def check_wire(self, name):
        spec = WIRE[name]
        req = request_bytes("/%s/x" % name, close=spec.get("close", False))
        r = self.server.exchange(req, timeout=5.0)
        if r.data != spec["bytes"]:
            self.fail("%s: got %d bytes %r..., expected %d bytes %r..." % (
                name, len(r.data), r.data[:300], len(spec["bytes"]), spec["bytes"][:300]))
        self.assertEqual(r.end, spec["end"], "%s: connection ended with %s, expected %s (%r)"
                         % (name, r.end, spec["end"], r))
        return r

    def check_curl(self, name, table, *extra):
        want_rc, want_code, want_msg = table[name]
        rc, code, err, _ = curl(self.server.url("/%s/x" % name), *extra)
        self.assertEqual((rc, code), (want_rc, want_code),
                         "%s: curl exit %s http_code %s stderr %r" % (name, rc, code, err))
        if want_msg:
            self.assertIn(want_msg, err)


def add_wire_tests(cls, names):
    for name in names:
        def test(self, name=name):
            self.check_wire(name)
        test.__name__ = "test_wire_" + name
        test.__doc__ = "%s: exact bytes and how the connection ends" % name
        setattr(cls, test.__name__, test)


def add_curl_tests(cls, names, table, only_measured=False):
    for name in names:
        def test(self, name=name):
            if CURL_BIN is None:
                self.skipTest("curl is not installed")
            if only_measured and not CURL_MEASURED:
                self.skipTest("measured with curl 7.88.x, this is curl %s" % CURL_VERSION)
            self.check_curl(name, table)
        test.__name__ = "test_curl_" + name
        test.__doc__ = "%s: curl's exit code and http_code" % name
        setattr(cls, test.__name__, test)


# A plan function that answers with what it saw of the request, one "key=value" per line,
# the body last (test_plan.py, test_keepalive.py).
ECHO_LUA = """-- test: echo the request's fields
return scenario {
  summary = "echo the request",
  expect  = 200,
  continue100 = CONTINUE100,
  plan    = function(req)
    local hl = {}
    for _, h in ipairs(req.header_list) do hl[#hl + 1] = h[1] .. "=" .. h[2] end
    local lines = {
      "method=" .. req.method,
      "target=" .. req.target,
      "path=" .. req.path,
      "query=" .. tostring(req.query),
      "version=" .. req.version,
      "x-test=" .. tostring(req.headers["x-test"]),
      "x-rep=" .. tostring(req.headers["x-rep"]),
      "header_list=" .. table.concat(hl, "|"),
      "conn_id=" .. req.conn_id,
      "conn_seq=" .. req.conn_seq,
      "seq=" .. req.seq,
      "peer=" .. req.peer,
      "scenario=" .. req.scenario,
      "read_timeout=" .. tostring(ctx.read_timeout),
      "connect_timeout=" .. tostring(ctx.connect_timeout),
      "random=" .. math.random(1, 1000000000),
      "body_len=" .. #req.body,
    }
    return { txresp { status = 200, body = table.concat(lines, "\\n") .. "\\nbody=" .. req.body } }
  end,
}
"""


def echo_lua(continue100=True):
    return ECHO_LUA.replace("CONTINUE100", "true" if continue100 else "false")


def parse_echo(body):
    head, _, rest = body.partition(b"\nbody=")
    fields = {}
    for line in head.decode("latin-1").split("\n"):
        k, _, v = line.partition("=")
        fields[k] = v
    fields["body"] = rest
    return fields


# ---- control API shapes. docs/serve.md names the fields but not the nesting of /stats,
# /scenarios and /events; these accept the plausible shapes and fail clearly otherwise.
def as_list(body, key):
    """A JSON list, either bare or under `key`."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return body[key]
    raise AssertionError("expected a list (or {%r: [...]}), got %r" % (key, body))


def scenario_stats(stats, name):
    """Per-scenario counters from /stats: {"scenarios": {name: {...}}} or a list of
    {"name": name, ...}. A scenario with no traffic may be absent: returns {}."""
    sc = stats.get("scenarios") if isinstance(stats, dict) else None
    if isinstance(sc, dict):
        return sc.get(name) or {}
    if isinstance(sc, list):
        for item in sc:
            if item.get("name") == name:
                return item
        return {}
    raise AssertionError("no per-scenario counters in /stats: %r" % stats)


def stats_totals(stats):
    t = stats.get("totals") or stats.get("total")
    if isinstance(t, dict):
        return t
    return stats


def expect_value(e):
    """`expect` as the API gives it. docs/serve.md does not say whether a status is a JSON
    number (502) or a string ("502"); the simulator writes strings. Normalised to int."""
    if isinstance(e, str) and e.isdigit():
        return int(e)
    return e
