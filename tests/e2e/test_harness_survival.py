"""The harness survives its proxies.

One `badup run` over five proxies and two scenarios (ok, empty_reply), with proxy
definitions of our own (--proxies DIR): four fakes made of small Python or shell scripts and
one real haproxy. The fakes:

  crash     listens, and dies of SIGSEGV on its first request   -> proxy_died, with the signal
  hang      starts and never listens (ready_timeout = 1)         -> error "did not become ready"
  quit      exits at once with status 3                          -> error, with the exit status
  stubborn  answers 502, ignores SIGTERM, and has a child that   -> stopped by SIGKILL after
            ignores it too                                          stop_grace_ms, nothing left

Every case gets its verdict, haproxy's cases still pass, and no process of the run (pid or
process group, seen at any moment during the run) survives it.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BADUP = os.environ.get("BADUP", os.path.join(REPO, "build", "badup"))
SCENARIOS = os.environ.get("BADUP_SCENARIOS") or os.path.join(REPO, "scenarios")
PYTHON = sys.executable
HAPROXY = "/usr/sbin/haproxy"
RUN_TIMEOUT = 120

# Scripts are rendered as proxy files: ${proxy_port} is substituted, so they hold no other "${".
CRASH_PY = r'''
import os, resource, signal, socket
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file for the crash below
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ${proxy_port}))
s.listen(16)
while True:
    c, _ = s.accept()
    if c.recv(4096):                      # the readiness probe sends nothing: skip it
        os.kill(os.getpid(), signal.SIGSEGV)
    c.close()
'''

HANG_PY = r'''
import time
for _ in range(3600):                     # never listens; bounded all the same
    time.sleep(1)
'''

STUBBORN_PY = r'''
import os, signal, socket, subprocess
def ignore(sig, frame):
    with open("sigterm-ignored", "a") as f:
        f.write("%d\n" % os.getpid())
signal.signal(signal.SIGTERM, ignore)
# A child in the same process group that ignores SIGTERM too: only the group's SIGKILL ends it.
child = subprocess.Popen(["/bin/sh", "-c", "trap '' TERM; sleep 600 & wait"])
with open("child.pid", "w") as f:
    f.write("%d\n" % child.pid)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ${proxy_port}))
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        if c.recv(65536):
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    c.close()
'''


def python_proxy(name, summary, script, extra=""):
    return '''return proxy {
  name = "%s",
  summary = "%s",
  binary = { "%s" },
  files = { ["proxy.py"] = [==[%s]==] },
  command = { "${binary}", "-u", "${dir}/proxy.py" },
  logs = {},
  %s
}
''' % (name, summary, PYTHON, script, extra)


DEFINITIONS = {
    "crash": python_proxy("crash", "dies of SIGSEGV on its first request", CRASH_PY, "ready_timeout = 10,"),
    "hang": python_proxy("hang", "never listens", HANG_PY, "ready_timeout = 1,"),
    "stubborn": python_proxy("stubborn", "ignores SIGTERM", STUBBORN_PY, "ready_timeout = 10, stop_grace_ms = 500,"),
    "quit": '''return proxy {
  name = "quit",
  summary = "exits at once",
  binary = { "/bin/sh" },
  files = { ["note.txt"] = "nothing here\\n" },
  command = { "${binary}", "-c", "echo leaving now >&2; exit 3" },
  logs = {},
  ready_timeout = 10,
}
''',
}


def proc_table():
    """pid -> (ppid, pgrp, state) for every process, from /proc."""
    table = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                table[int(d)] = (int(fields[1]), int(fields[2]), fields[0])
            except (OSError, IndexError, ValueError):
                pass
    return table


def descendants(root, table):
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        for c, (pp, _, _) in table.items():
            if pp == p and c not in out:
                out.add(c)
                todo.append(c)
    return out


def survivors(pids, groups):
    """Processes (not zombies) with one of these pids or in one of these groups."""
    table = proc_table()
    return sorted(p for p, (_, pg, st) in table.items() if st != "Z" and (p in pids or pg in groups))


class HarnessSurvivesItsProxies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(HAPROXY, os.X_OK):
            raise unittest.SkipTest("%s is not installed (make test installs it)" % HAPROXY)
        if not (os.path.isfile(BADUP) and os.access(BADUP, os.X_OK)):
            raise RuntimeError("badup binary not found at %s (build it, or set BADUP)" % BADUP)
        cls.tmp = tempfile.mkdtemp(prefix="badup-survival-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        pdir = os.path.join(cls.tmp, "proxies")
        os.mkdir(pdir)
        for name, text in DEFINITIONS.items():
            with open(os.path.join(pdir, name + ".lua"), "w") as f:
                f.write(text)
        shutil.copy(os.path.join(REPO, "harness", "proxies", "haproxy.lua"), pdir)
        cls.out = os.path.join(cls.tmp, "out")
        ref = os.path.join(cls.tmp, "reference")
        os.mkdir(ref)
        argv = [BADUP, "run", "--proxies", pdir, "--scenarios", SCENARIOS,
                "--proxy", "crash,hang,quit,stubborn,haproxy", "--scenario", "ok,empty_reply",
                "--read-timeout", "1", "--out", cls.out, "--reference", ref, "--jobs", "2"]
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=cls.tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        # Every process the run starts, seen while it runs: pids and process groups.
        cls.pids, cls.groups = set(), set()
        deadline = t0 + RUN_TIMEOUT
        while p.poll() is None and time.monotonic() < deadline:
            table = proc_table()
            for pid in descendants(p.pid, table):
                cls.pids.add(pid)
                cls.groups.add(table[pid][1])
            time.sleep(0.01)
        try:
            cls.stdout, cls.stderr = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            cls.stdout, cls.stderr = p.communicate()
            raise AssertionError("badup run did not finish within %d s:\n%s" % (RUN_TIMEOUT, cls.stderr))
        cls.elapsed = time.monotonic() - t0
        cls.rc = p.returncode
        cls.groups.discard(os.getpgrp())  # ours, should badup ever share it
        with open(os.path.join(cls.out, "results.json")) as f:
            cls.cases = {(c["proxy"], c["scenario"]): c for c in json.load(f)["cases"]}

    def case(self, proxy, scenario):
        c = self.cases.get((proxy, scenario))
        self.assertIsNotNone(c, "no case %s/%s in results.json; stderr:\n%s" % (proxy, scenario, self.stderr))
        return c

    def text(self, c):
        return "%s %s" % (c.get("reason", ""), c.get("detail", ""))

    def test_every_case_ran_and_the_run_ended(self):
        # Cases that could not be run (hang, quit) make it a set-up error: exit 2.
        self.assertEqual(self.rc, 2, "exit code (a case could not be run)\n" + self.stdout + self.stderr)
        self.assertEqual(len(self.cases), 10, sorted(self.cases))
        for key, c in self.cases.items():
            self.assertNotIn(c["verdict"], ("not_run", "skipped"), (key, c))
        self.assertIn("10 cases:", self.stdout)

    def test_crash_is_proxy_died_with_the_signal(self):
        for scn in ("ok", "empty_reply"):
            c = self.case("crash", scn)
            self.assertEqual(c["got"], "proxy_died", c)
            self.assertEqual(c["verdict"], "fail", c)
            self.assertIn("killed by signal 11 (SIGSEGV)", self.text(c), c)

    def test_hang_is_a_clear_error_after_ready_timeout(self):
        for scn in ("ok", "empty_reply"):
            c = self.case("hang", scn)
            self.assertEqual(c["verdict"], "error", c)
            self.assertIn("did not become ready", self.text(c), c)
            if "ready_ms" in c:
                self.assertGreaterEqual(c["ready_ms"], 900, c)
                self.assertLess(c["ready_ms"], 5000, c)
            self.assertIn("ERROR hang/%s" % scn, self.stdout)

    def test_quit_is_an_error_with_its_exit_status(self):
        for scn in ("ok", "empty_reply"):
            c = self.case("quit", scn)
            self.assertEqual(c["verdict"], "error", c)
            self.assertIn("did not become ready", self.text(c), c)
            self.assertIn("exit status 3", self.text(c), c)
            self.assertIn("leaving now", self.text(c), c)  # the last lines of its stderr

    def test_stubborn_is_killed_with_its_child(self):
        for scn in ("ok", "empty_reply"):
            c = self.case("stubborn", scn)
            self.assertEqual(c["got"], "502", c)
            cdir = os.path.join(self.out, "cases", "stubborn", scn)
            with open(os.path.join(cdir, "sigterm-ignored")) as f:
                self.assertTrue(f.read().strip(), "SIGTERM reached it and was ignored")
            with open(os.path.join(cdir, "child.pid")) as f:
                child = int(f.read())
            self.assertIn(child, self.pids, "the child was seen during the run")
            self.assertEqual(survivors({child}, set()), [], "the stubborn proxy's child survived")

    def test_real_proxy_in_the_same_run_passes(self):
        self.assertEqual(self.case("haproxy", "ok")["verdict"], "pass", self.case("haproxy", "ok"))
        self.assertEqual(self.case("haproxy", "empty_reply")["got"], "502")
        self.assertEqual(self.case("haproxy", "empty_reply")["verdict"], "pass")

    def test_nothing_survives_the_run(self):
        self.assertGreaterEqual(len(self.pids), 8, "saw too few processes of the run: %s" % sorted(self.pids))
        left = survivors(self.pids, self.groups)
        self.assertEqual(left, [], "processes left behind: %s" % left)

    def test_bounded_time(self):
        # 10 cases on 2 jobs: two 1 s ready timeouts and two 0.5 s stop graces dominate.
        self.assertLess(self.elapsed, 60, "the run took %.1f s" % self.elapsed)


if __name__ == "__main__":
    unittest.main(verbosity=2)
