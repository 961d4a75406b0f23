"""A user's own proxy config can write only into its case's folders (harness/confine.h).

The checks of --proxy-config read a config the way its proxy does; what they cannot see (a
path nginx builds at request time, a program a config starts) the mounts stop: the keeper of
such a proxy, and of its checker, makes every mount read-only for the proxy's tree but the
case's folders. Seen from outside: a write elsewhere fails with EROFS, nothing appears
outside, and the host's own mounts are as they were. Skipped, with the reason, where this
process may not confine (no CAP_SYS_ADMIN): the run then warns and relies on the checks.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from common import BADUP, SANITIZER_MARKERS, SCENARIOS, require_binary
from test_proxy_config import NGINX_CONF, have_nginx
from test_proxy_one_file import TINY_LUA, TINY_PY

# What the keeper exits with when it cannot confine (harness/supervise.h).
CANNOT_CONFINE = 124


def keeper(writable, command, timeout=30):
    argv = [BADUP, "__supervise", "1000"]
    for w in writable:
        argv += ["--writable", w]
    return subprocess.run(argv + ["--"] + command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def mounts():
    with open("/proc/self/mountinfo") as f:
        return sorted(" ".join(line.split()[4:6]) for line in f)


class Confine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        tmp = tempfile.mkdtemp(prefix="badup-e2e-confine-probe-")
        try:
            p = keeper([tmp], ["true"])
        finally:
            shutil.rmtree(tmp, True)
        if p.returncode == CANNOT_CONFINE:
            raise unittest.SkipTest("this process may not confine a tree: " + p.stderr.strip())

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-confine-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.inside = os.path.join(self.tmp, "case")
        self.outside = os.path.join(self.tmp, "elsewhere")
        os.mkdir(self.inside)
        os.mkdir(self.outside)

    def test_writes_inside_succeed_and_elsewhere_fail_with_erofs(self):
        before = mounts()
        script = ("echo in > %s/a && (echo out > %s/b) 2>%s/why; echo done > %s/c"
                  % (self.inside, self.outside, self.inside, self.inside))
        p = keeper([self.inside], ["sh", "-c", script])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.inside, "a")) as f:
            self.assertEqual(f.read(), "in\n")
        with open(os.path.join(self.inside, "c")) as f:
            self.assertEqual(f.read(), "done\n")
        self.assertFalse(os.path.exists(os.path.join(self.outside, "b")), "a write outside went through")
        with open(os.path.join(self.inside, "why")) as f:
            self.assertIn("Read-only file system", f.read())
        # The namespace was the tree's own: the host's mounts are as they were, and writable.
        self.assertEqual(mounts(), before)
        with open(os.path.join(self.outside, "after"), "w") as f:
            f.write("still writable\n")

    def test_children_of_children_are_confined_too(self):
        script = "sh -c 'sh -c \"touch %s/deep\" 2>/dev/null'; touch %s/ok" % (self.outside, self.inside)
        p = keeper([self.inside], ["sh", "-c", script])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.inside, "ok")))
        self.assertFalse(os.path.exists(os.path.join(self.outside, "deep")))

    def test_without_writable_folders_nothing_is_confined(self):
        p = keeper([], ["touch", os.path.join(self.outside, "free")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.outside, "free")))

    def test_a_writable_folder_that_does_not_exist_starts_nothing(self):
        p = keeper([os.path.join(self.tmp, "missing")], ["touch", os.path.join(self.inside, "x")])
        self.assertEqual(p.returncode, CANNOT_CONFINE, p.stderr)
        self.assertIn("cannot confine", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.inside, "x")))

    @have_nginx
    def test_a_user_config_that_writes_where_its_checks_cannot_see_writes_nothing_there(self):
        # proxy_store writes each response to a file named at request time: nginx -t opens
        # nothing there, the checks of the config do not read it as a path. The case runs;
        # nginx's store fails inside the confinement, and the client still gets its 200.
        store = os.path.join(self.outside, "response")
        text = NGINX_CONF.replace("proxy_pass http://${upstream_host}:${upstream_port};",
                                  "proxy_pass http://${upstream_host}:${upstream_port};\n"
                                  "            proxy_store %s;" % store)
        config = os.path.join(self.tmp, "my.conf")
        with open(config, "w") as f:
            f.write(text)
        os.mkdir(os.path.join(self.tmp, "ref"))
        scratch = os.path.join(self.tmp, "scratch")
        os.mkdir(scratch)
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([BADUP, "run", "--proxy", "nginx", "--scenario", "ok", "--proxy-config", config,
                            "--scenarios", SCENARIOS, "--reference", os.path.join(self.tmp, "ref"), "--out", out],
                           env=dict(os.environ, TMPDIR=scratch), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=120)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("cannot confine", p.stderr)
        self.assertEqual(os.listdir(self.outside), [], "nginx stored a response outside its case")
        with open(os.path.join(out, "cases", "nginx", "ok", "error.log")) as f:
            self.assertIn("Read-only file system", f.read())

    def tiny_with_checker(self, check):
        """A proxy defined in a folder of the test's (tiny, tests/e2e/test_proxy_one_file.py),
        with a config file (tiny.conf) and a checker `sh -c CHECK` run in the check's scratch
        folder (${dir}). Returns the definitions' folder."""
        defs = os.path.join(self.tmp, "proxies")
        os.mkdir(defs)
        files = '["tiny.py"] = { from = "tiny-proxy.py" } },'
        lua = TINY_LUA.replace(files, files + '\n  config = "tiny.conf",\n  check = { "sh", "-c", "%s" },' % check, 1)
        lua = lua.replace('files = { ["tiny.py"]', 'files = { ["tiny.conf"] = "${dir}/x\\n", ["tiny.py"]', 1)
        for name, text in (("tiny.lua", lua), ("tiny-proxy.py", TINY_PY)):
            with open(os.path.join(defs, name), "w") as f:
                f.write(text)
        return defs

    def run_tiny(self, defs, config_text, signal_after=None):
        config = os.path.join(self.tmp, "my.conf")
        with open(config, "w") as f:
            f.write(config_text)
        self.scratch = os.path.join(self.tmp, "scratch")
        os.makedirs(self.scratch, exist_ok=True)
        self.out = os.path.join(self.tmp, "out")
        p = subprocess.Popen([BADUP, "run", "--proxies", defs, "--proxy", "tiny", "--scenario", "ok",
                              "--proxy-config", config, "--scenarios", SCENARIOS, "--out", self.out],
                             env=dict(os.environ, TMPDIR=self.scratch), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if signal_after:
            # Once the checker runs (it touches ${dir}/started): a signal before it would be
            # a signal to a run that has nothing to clean up yet.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and p.poll() is None and not any(
                    os.path.exists(os.path.join(self.scratch, d, "started")) for d in os.listdir(self.scratch)):
                time.sleep(0.05)
            p.send_signal(signal_after)
        out, err = p.communicate(timeout=120)
        p.stdout_text, p.stderr_text = out, err
        return p

    def test_the_checker_of_a_user_config_writes_inside_its_scratch_only(self):
        # The checker writes where the config says (as nginx -t opens every log it names):
        # confined like the proxy, its write elsewhere fails, the check refuses with the
        # checker's own words, and nothing is there.
        target = os.path.join(self.outside, "written-by-the-checker")
        defs = self.tiny_with_checker("touch $(cat ${dir}/tiny.conf) && echo checked")
        p = self.run_tiny(defs, target + "\n")
        self.assertEqual(p.returncode, 2, p.stdout_text + p.stderr_text)
        self.assertIn("own check refused it", p.stderr_text)
        self.assertIn("Read-only file system", p.stderr_text)
        self.assertFalse(os.path.exists(target), "the checker wrote outside its scratch folder")
        self.assertEqual(os.listdir(self.scratch), [], "the check left its scratch folder behind")
        self.assertFalse(os.path.exists(self.out), "a case ran")

    def test_a_signal_while_the_checker_runs_is_an_interrupted_run(self):
        # SIGINT or SIGTERM while the config is checked: exit 130 as for any interrupted
        # run, the checker stopped, its scratch folder gone, no case run.
        defs = self.tiny_with_checker("touch ${dir}/started; sleep 30")
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=sig.name):
                p = self.run_tiny(defs, "x\n", signal_after=sig)
                self.assertEqual(p.returncode, 130, p.stderr_text)
                self.assertIn("interrupted while", p.stderr_text)
                self.assertNotIn("problem", p.stderr_text)
                self.assertEqual(os.listdir(self.scratch), [], "the check left its scratch folder behind")
                self.assertFalse(os.path.exists(self.out), "a case ran")

if __name__ == "__main__":
    unittest.main()
