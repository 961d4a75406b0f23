"""A headless Chromium driven over the Chrome DevTools Protocol, standard library only.

Chromium's --remote-debugging-pipe speaks the protocol over two pipes (it reads commands on
its fd 3 and writes replies and events on its fd 4, each message JSON ended by a NUL byte):
no port, no websocket, nothing another process on the machine can reach.

Each Browser gets its own temporary --user-data-dir, runs in its own process group (its
group id is its PID) and is stopped by that PID: a polite Browser.close, then SIGKILL to the
group, so no renderer or zygote outlives the test. Network access is cut off at the resolver
(--host-resolver-rules) and the browser is told to use no proxy: whatever the page would ask
for outside its file fails, and the Network domain's events show the attempt.
"""

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, binary, width=1400, height=900, timeout=20.0):
        self.timeout = timeout
        self.events = []
        self._next_id = 0
        self._buf = b""
        self.profile = tempfile.mkdtemp(prefix="badup-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_pipes():  # in the child, before exec: its fd 3 reads, its fd 4 writes
            # Out of the way first: a pipe may itself be fd 3 or 4, and dup2 onto the same fd
            # would keep its close-on-exec flag.
            r, w = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [binary, "--headless=new", "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to start as root with its sandbox
        self.proc = subprocess.Popen(args, preexec_fn=wire_pipes, close_fds=False, start_new_session=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        try:
            self.session = self._attach()
        except BaseException:
            self.close()
            raise

    # ---- the wire ----
    def _send(self, method, params=None, session=None):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        return self._next_id

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("no answer from Chromium in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 16)
                if not chunk:
                    raise CDPError("Chromium closed its pipe (exit status %s)" % self.proc.poll())
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=None):
        """Sends a command and returns its result; events seen meanwhile are kept in .events."""
        want = self._send(method, params, session if session is not None else getattr(self, "session", None))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise CDPError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, timeout=None):
        """The first event named method, from those kept or those to come."""
        deadline = time.monotonic() + (timeout or self.timeout)
        for i, e in enumerate(self.events):
            if e["method"] == method:
                return self.events.pop(i)
        while True:
            msg = self._read_message(deadline)
            if msg.get("method") == method:
                return msg
            if "method" in msg:
                self.events.append(msg)

    def _attach(self):
        targets = self.call("Target.getTargets", session="")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        return self.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                         session="")["sessionId"]

    # ---- what the tests use ----
    def evaluate(self, expression):
        """The value of a JavaScript expression (JSON-serialisable); a thrown error fails."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CDPError("script error: %s" % json.dumps(r["exceptionDetails"])[:2000])
        return r["result"].get("value")

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self._send("Browser.close")
                except OSError:
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            # The whole group: the browser's child processes (zygote, renderers) are in it too.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # until the group is gone, not just signalled
                try:
                    os.killpg(self.proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.02)
            for fd in (self._to_child, self._from_child):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)
