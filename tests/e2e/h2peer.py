"""HTTP/2 peers for the end-to-end tests: tests/tools/h2frames (a client that prints every frame
it receives, one line each), nghttpd as a reference server, and the bytes of hand-made frames
for a scripted server. Only the standard library is used.

Environment:
  H2FRAMES  the h2frames binary (default <repo>/build/h2frames); ctest sets it
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile

import common

H2FRAMES = os.environ.get("H2FRAMES") or os.path.join(common.REPO, "build", "h2frames")
NGHTTPD = shutil.which("nghttpd")
NGHTTP = shutil.which("nghttp")
H2LOAD = shutil.which("h2load")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE = range(9)
END_STREAM = ACK = 0x1
END_HEADERS = 0x4


def require_h2frames():
    if not (os.path.isfile(H2FRAMES) and os.access(H2FRAMES, os.X_OK)):
        raise RuntimeError("h2frames not found at %s (build it, or set H2FRAMES)" % H2FRAMES)


def h2frames(port, *args, timeout=5.0):
    """Runs h2frames against 127.0.0.1:port; returns (exit code, stdout lines, stderr).
    `timeout` is its --timeout, scaled like every wait of these tests."""
    t = timeout * common.TIME_FACTOR
    argv = [H2FRAMES, "--timeout", "%g" % t] + list(args) + [str(port)]
    p = subprocess.run(argv, capture_output=True, timeout=t + 20, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace").splitlines(), p.stderr.decode("utf-8", "replace")


# ---- frames, as a scripted server writes them

def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def settings(*pairs, ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def hpack_literal(name, value):
    """A literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2): any
    bytes go through as they are, uppercase names included."""
    def string(b):
        assert len(b) < 127
        return bytes([len(b)]) + b
    return b"\x00" + string(name) + string(value)


def read_frames(sock, timeout=5.0, until=None, preface=True):
    """The client side as a scripted server sees it: the preface (when `preface`: the first
    read of a connection), then frames as (type, flags, stream, payload), until
    `until(frames)` is true, the peer closes, or the timeout. Returns (preface, frames)."""
    sock.settimeout(timeout * common.TIME_FACTOR)
    buf = b""
    frames = []
    preface = None if preface else b""
    while True:
        if preface is None and len(buf) >= len(PREFACE):
            preface, buf = buf[:len(PREFACE)], buf[len(PREFACE):]
        while preface is not None and len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            frames.append((buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + n]))
            buf = buf[9 + n:]
        if until is not None and until(frames):
            return preface, frames
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return preface, frames
        if not chunk:
            return preface, frames
        buf += chunk


# ---- nghttpd, the reference HTTP/2 server

def listening_port(pid, timeout=10.0):
    """The TCP port a process listens on, from /proc: the inodes of its sockets, then the
    LISTEN rows of /proc/net/tcp. nghttpd asked for port 0 prints ":0", not the port."""
    def find():
        inodes = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        with open("/proc/net/tcp") as f:
            for row in f.read().splitlines()[1:]:
                cols = row.split()
                if cols[3] == "0A" and cols[9] in inodes:  # 0A: TCP_LISTEN
                    return int(cols[1].split(":")[1], 16)
        return None
    return common.poll_until(find, timeout=timeout, what="nghttpd's listening port")


class Nghttpd:
    """nghttpd on 127.0.0.1, a kernel-chosen port, serving `docs` (a dict name -> bytes);
    h2c unless key and cert are given. --echo-upload: a POST's body comes back."""

    def __init__(self, docs, key=None, cert=None):
        self.dir = tempfile.mkdtemp(prefix="badup-e2e-nghttpd-")
        for name, data in docs.items():
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(data)
        tls = [key, cert] if key else []
        argv = [NGHTTPD, "-a", "127.0.0.1", "--echo-upload", "-d", self.dir] + ([] if key else ["--no-tls"])
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(argv + ["0"] + tls, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.port = listening_port(self.proc.pid, timeout=10.0 * common.TIME_FACTOR)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=common.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=common.STOP_TIMEOUT)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

