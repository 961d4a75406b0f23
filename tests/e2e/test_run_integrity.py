#!/usr/bin/env python3
"""`badup run` tells the truth about each case, and only about this run's cases.

Each test is one kind of false verdict found by using badup as a new user would, made
impossible: a second run into the same folder reading the first one's files, a bad --out
reported per case, a scenario's own Lua error blamed on the proxy, a pass the upstream never
saw, the readiness probe logged as the case's request, a proxy that switches users unable to
write under a 0700 folder, a racy cell reported as a failure. Runs real haproxy, nginx and
(when installed) squid on loopback, on ports the kernel hands out.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BADUP = os.environ.get("BADUP", os.path.join(REPO, "build", "badup"))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def installed(binary):
    return os.access(binary, os.X_OK)


def run(args, timeout=180, env=None):
    p = subprocess.run([BADUP, "run"] + args, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)
    for m in SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


def cases(out):
    with open(os.path.join(out, "results.json")) as f:
        return {(c["proxy"], c["scenario"]): c for c in json.load(f)["cases"]}


def proxy_version(name):
    p = subprocess.run([BADUP, "list"], cwd=REPO, capture_output=True, text=True, timeout=60)
    m = re.search(r"^  %s\s+installed\s+(\S+)" % re.escape(name), p.stdout, re.M)
    return m.group(1) if m else None


class Base(unittest.TestCase):
    def setUp(self):
        for binary in ("/usr/sbin/haproxy", "/usr/sbin/nginx"):
            if not installed(binary):
                self.skipTest(f"{binary} is not installed (make test installs it)")
        self.tmp = tempfile.mkdtemp(prefix="badup-integrity-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ref = os.path.join(self.tmp, "reference")
        os.mkdir(self.ref)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        return p


class OutFolder(Base):
    def test_second_run_into_the_same_folder_reads_nothing_of_the_first(self):
        out = self.path("out")
        for attempt in (1, 2):
            p = run(["--proxy", "nginx,haproxy", "--scenario", "ok", "--out", out, "--reference", self.ref])
            self.assertEqual(p.returncode, 0, f"run {attempt}: {p.stdout}{p.stderr}")
            for proxy in ("nginx", "haproxy"):
                c = cases(out)[(proxy, "ok")]
                self.assertEqual((c["got"], c["verdict"]), ("200", "pass"), c)
                case = os.path.join(out, "cases", proxy, "ok")
                with open(os.path.join(case, "simulator.out")) as f:
                    self.assertEqual(len(re.findall("listen=", f.read())), 1)
            if attempt == 2:
                self.assertIn("replacing the earlier run", p.stderr)
        # only this run's lines in the proxy's log
        with open(os.path.join(out, "cases", "nginx", "ok", "access.log")) as f:
            self.assertEqual(len(f.read().splitlines()), 1)

    def test_out_that_is_a_file_is_refused_before_any_case(self):
        f = self.write("a-file", "not a folder\n")
        t = time.monotonic()
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", f, "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("is not a folder", p.stderr)
        self.assertNotIn("cannot start the simulator", p.stdout + p.stderr)
        self.assertLess(time.monotonic() - t, 10)
        with open(f) as fh:
            self.assertEqual(fh.read(), "not a folder\n")

    def test_a_folder_that_only_looks_like_a_run_is_left_alone(self):
        # cases/ and report.md of the user's own, no marker of a badup run: nothing removed
        d = self.path("looks")
        self.write("looks/cases/customer-123/ticket.txt", "keep me\n")
        self.write("looks/report.md", "my report\n")
        self.write("looks/db.tmp.bak", "mine too\n")
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", d, "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("no badup run made it", p.stderr)
        with open(os.path.join(d, "cases", "customer-123", "ticket.txt")) as f:
            self.assertEqual(f.read(), "keep me\n")
        with open(os.path.join(d, "report.md")) as f:
            self.assertEqual(f.read(), "my report\n")
        self.assertTrue(os.path.exists(os.path.join(d, "db.tmp.bak")))

    def test_report_provenance_names_the_seed_and_set(self):
        out = self.path("prov")
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", out, "--reference", self.ref, "--seed", "7",
                 "--set", "tenant=a1"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "report.md")) as f:
            prov = f.read().split("## Provenance", 1)[1]
        self.assertIn("- seed 7\n", prov)
        self.assertIn("- --set: `tenant=a1`\n", prov)

    def test_a_run_folder_with_a_file_of_mine_is_left_alone(self):
        out = self.path("out")
        self.assertEqual(run(["--proxy", "nginx", "--scenario", "ok", "--out", out, "--reference", self.ref]).returncode, 0)
        self.write("out/notes.txt", "mine\n")
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", out, "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("holds 'notes.txt', which no badup run wrote", p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(out, "results.json")))

    def test_a_folder_of_other_files_is_refused_and_left_alone(self):
        d = self.path("mine")
        self.write("mine/notes.txt", "keep me\n")
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", d, "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("is not empty", p.stderr)
        self.assertEqual(os.listdir(d), ["notes.txt"])


class ScenarioErrors(Base):
    def test_a_scenario_that_raises_is_an_error_of_the_scenario(self):
        scn = self.path("scenarios")
        self.write("scenarios/boom.lua",
                   'return scenario {\n  summary = "raises", expect = 502,\n  plan = function(req)\n'
                   '    local t = nil\n    return t.steps\n  end,\n}\n')
        p = run(["--proxy", "nginx", "--scenarios", scn, "--scenario", "boom", "--out", self.path("out"),
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        c = cases(self.path("out"))[("nginx", "boom")]
        self.assertEqual(c["verdict"], "error", c)
        where = os.path.join(scn, "boom.lua") + ":5:"
        self.assertIn(where, c["reason"])
        self.assertIn("attempt to index a nil value", c["reason"])
        self.assertNotIn("reference", c["reason"])
        self.assertIn("ERROR nginx/boom", p.stdout)
        self.assertIn(where, p.stdout)
        # JUnit: an error, not a failure of the proxy
        import xml.etree.ElementTree as ET
        root = ET.parse(os.path.join(self.path("out"), "junit.xml")).getroot()
        self.assertEqual((root.get("errors"), root.get("failures")), ("1", "0"))
        case = root.find(".//testcase")
        self.assertIsNotNone(case.find("error"))
        self.assertIsNone(case.find("failure"))


NGINX_BY_ITSELF = """daemon off;
master_process off;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy_temp;
    fastcgi_temp_path ${dir}/fastcgi_temp;
    uwsgi_temp_path ${dir}/uwsgi_temp;
    scgi_temp_path ${dir}/scgi_temp;
    upstream unused { server 127.0.0.1:${upstream_port}; }
    server {
        listen 127.0.0.1:${proxy_port};
        location / { return 502; }
    }
}
"""


class Selection(Base):
    def test_a_proxy_named_but_not_installed_is_a_setup_error(self):
        px = self.path("proxies")
        self.write("proxies/ghost.lua", 'return proxy { name = "ghost", binary = { "/nonexistent/ghost" },\n'
                   '  files = { ["ghost.conf"] = "x" }, command = { "${binary}" } }\n')
        p = run(["--proxies", px, "--proxy", "ghost", "--scenario", "ok", "--out", self.path("out"),
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("ghost is not installed (looked for /nonexistent/ghost)", p.stderr)
        self.assertFalse(os.path.exists(self.path("out")))

    def test_a_reference_folder_that_does_not_exist_is_a_typo(self):
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", self.path("out"), "--reference", self.path("typo")])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--reference %s: no such folder" % self.path("typo"), p.stderr)
        self.assertFalse(os.path.exists(self.path("typo")))

    def test_a_user_config_is_never_recorded_as_the_reference(self):
        conf = self.write("nginx.conf", NGINX_BY_ITSELF)
        p = run(["--proxy", "nginx", "--scenario", "ok", "--proxy-config", conf, "--update-reference",
                 "--out", self.path("out"), "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("cannot go with --proxy-config", p.stderr)
        self.assertEqual(os.listdir(self.ref), [])


DAEMONIZING = """#!/bin/sh
# A proxy whose command forks a server into its own session and returns at once, as nginx
# without `daemon off;` does.
setsid python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(120)
' "$1" "$2" >/dev/null 2>&1 < /dev/null &
exit 0
"""


# The same, with the daemon's environment emptied and a pause before the command returns:
# nothing of the case's is left on it to recognise it by, and it already listens when the
# command ends.
DAEMONIZING_QUIETLY = DAEMONIZING.replace("setsid python3", "setsid env -i python3").replace("exit 0", "sleep 0.5\nexit 0")


def descendants_alive(root_pids, marker):
    left = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if marker in f.read():
                    left.append(pid)
        except OSError:
            pass
    return left


class Escapees(Base):
    def test_a_quiet_daemon_is_caught_too(self):
        px = self.path("proxies")
        script = self.write("proxies/daemonizer.sh", DAEMONIZING_QUIETLY)
        os.chmod(script, 0o755)
        self.write("proxies/daemonizer.lua", 'return proxy { name = "daemonizer", binary = { "%s" },\n'
                   '  files = { ["d.conf"] = "${upstream_port}" }, command = { "${binary}", "${proxy_port}", "${dir}" },\n'
                   '  ready_timeout = 3 }\n' % script)
        p = run(["--proxies", px, "--proxy", "daemonizer", "--scenario", "ok,empty_reply,refuse", "--out",
                 self.path("out"), "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        for c in cases(self.path("out")).values():
            self.assertEqual(c["verdict"], "error", c)
            self.assertIn("left the foreground", c["reason"])
        time.sleep(0.2)
        self.assertEqual(descendants_alive(None, self.tmp.encode()), [])

    def test_killing_badup_stops_every_proxy_and_simulator(self):
        # A CI job that times out kills badup with SIGKILL: nothing it started may live on.
        out = self.path("out")
        proc = subprocess.Popen([BADUP, "run", "--proxy", "haproxy,nginx", "--scenario", "stall_headers",
                                 "--read-timeout", "30", "--out", out, "--reference", self.ref, "-q"],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Wait until processes of both cases are up. The count is kept from the loop, not read
        # again: a process of a case may come and go between two reads (a proxy started again
        # on a new port), and the proxies having started is all this needs.
        deadline = time.monotonic() + 30
        seen = 0
        while time.monotonic() < deadline and seen < 2:
            seen = max(seen, len(descendants_alive(None, out.encode())))
            time.sleep(0.05)
        self.assertGreaterEqual(seen, 2, "the proxies did not start")
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10  # the proxies' stop grace, and a margin
        while time.monotonic() < deadline and descendants_alive(None, out.encode()):
            time.sleep(0.1)
        self.assertEqual(descendants_alive(None, out.encode()), [])

    def test_a_proxy_that_leaves_the_foreground_is_an_error_and_killed(self):
        px = self.path("proxies")
        script = self.write("proxies/daemonizer.sh", DAEMONIZING)
        os.chmod(script, 0o755)
        self.write("proxies/daemonizer.lua", 'return proxy { name = "daemonizer", binary = { "%s" },\n'
                   '  files = { ["d.conf"] = "${upstream_port}" }, command = { "${binary}", "${proxy_port}", "${dir}" },\n'
                   '  ready_timeout = 3 }\n' % script)
        p = run(["--proxies", px, "--proxy", "daemonizer", "--scenario", "ok,empty_reply", "--out", self.path("out"),
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        for c in cases(self.path("out")).values():
            self.assertEqual(c["verdict"], "error", c)
            self.assertIn("left the foreground", c["reason"])
        # nothing of it is left running (its command line holds our folder)
        time.sleep(0.2)
        self.assertEqual(descendants_alive(None, self.tmp.encode()), [], "escaped processes still running")


class Interrupted(Base):
    def test_ctrl_c_twice_keeps_the_finished_cases(self):
        # People press Ctrl-C twice: the second must not cost the results of the cases
        # that finished; a half-run case leaves no folder behind.
        out = self.path("out")
        proc = subprocess.Popen([BADUP, "run", "--proxy", "haproxy,nginx", "--scenario", "ok,empty_reply,stall_headers",
                                 "--read-timeout", "20", "--jobs", "2", "--out", out, "--reference", self.ref],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the two stalled cases are the ones running
            if os.path.isdir(out) and len(os.listdir(os.path.join(out, "cases"))) >= 2 and \
                    all(os.path.exists(os.path.join(out, "cases", px, "stall_headers")) for px in ("haproxy", "nginx")):
                break
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        # The second Ctrl-C once the run says it is stopping, so it lands while the stop is
        # under way: a fixed pause could come after a stop that is quick.
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "interrupted; stopping" in line:
                proc.send_signal(signal.SIGINT)
                break
        stdout, rest = proc.communicate(timeout=60)
        stderr = "".join(seen) + rest
        self.assertEqual(proc.returncode, 130, stderr)
        self.assertIn("still writing the finished cases", stderr)
        with open(os.path.join(out, "results.json")) as f:
            doc = json.load(f)
        self.assertTrue(doc["interrupted"])
        verdicts = {(c["proxy"], c["scenario"]): c["verdict"] for c in doc["cases"]}
        self.assertEqual(verdicts[("haproxy", "stall_headers")], "not_run")
        self.assertIn(verdicts[("haproxy", "ok")], ("pass", "not_run"))
        # an in-flight case stopped by the interrupt says nothing either (no "setup_error")
        self.assertEqual({c["got"] for c in doc["cases"] if c["verdict"] == "not_run"}, {""})
        for px in ("haproxy", "nginx"):
            self.assertFalse(os.path.exists(os.path.join(out, "cases", px, "stall_headers")))
        self.assertFalse([n for n in os.listdir(out) if ".tmp." in n])


class Recording(Base):
    def test_a_scenario_of_my_own_is_not_judged_by_the_catalogs_reference(self):
        # My own refuse.lua answers 503 itself; the reference's refuse is the catalog's.
        scn = self.path("scenarios")
        self.write("scenarios/refuse.lua", 'return scenario { summary = "mine", expect = 502,\n'
                   '  plan = { rxreq(), txresp { status = 503 }, close() } }\n')
        ref = os.path.join(REPO, "results", "reference")
        p = run(["--proxy", "haproxy", "--scenarios", scn, "--out", self.path("out"), "--reference", ref])
        c = cases(self.path("out"))[("haproxy", "refuse")]
        self.assertEqual((c["got"], c["verdict"]), ("503", "fail"), p.stdout + p.stderr)
        self.assertIn("recorded for another file of scenario refuse", c["reason"])

    def test_a_reference_that_cannot_be_written_is_a_setup_error(self):
        not_a_folder = self.write("ref-file", "x\n")
        p = run(["--proxy", "haproxy", "--scenario", "ok", "--out", self.path("out"), "--reference", not_a_folder,
                 "--update-reference"])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("is not a folder", p.stderr)

    def test_two_runs_into_one_folder_at_once(self):
        out = self.path("out")
        first = subprocess.Popen([BADUP, "run", "--proxy", "nginx", "--scenario", "stall_headers", "--out", out,
                                  "--reference", self.ref, "-q"], cwd=REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not os.path.exists(os.path.join(out, "cases", "nginx", "stall_headers")):
            time.sleep(0.05)
        second = run(["--proxy", "haproxy", "--scenario", "ok", "--out", out, "--reference", self.ref])
        self.assertEqual(second.returncode, 2, second.stdout + second.stderr)
        self.assertIn("is in use by another badup run", second.stderr)
        stdout, stderr = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, stderr)
        self.assertEqual(set(cases(out)), {("nginx", "stall_headers")})

    def test_an_empty_shard_is_a_green_run(self):
        p = run(["--proxy", "haproxy", "--scenario", "ok", "--shard", "2/2", "--out", self.path("out"),
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(self.path("out"), "results.json")) as f:
            self.assertEqual(json.load(f)["cases"], [])
        for bad in ("1/4x", "2/2/2", "0/3", "3/2"):
            self.assertEqual(run(["--shard", bad]).returncode, 2, bad)

    def test_timeouts_below_a_millisecond_are_refused(self):
        p = run(["--read-timeout", "0.0001", "--proxy", "haproxy", "--scenario", "ok"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("timeouts want seconds from 0.001 to 600", p.stderr)


class BrokenReference(Base):
    """A reference file that exists but does not load stops the run before any case: judged
    against it the run would be judged against nothing, and recording over it would lose it."""

    def shipped(self):
        with open(os.path.join(REPO, "results", "reference", "haproxy.json")) as f:
            return f.read()

    def test_a_reference_that_does_not_load_stops_the_run_and_is_left_as_it_is(self):
        good = json.loads(self.shipped())
        entry = next(iter(next(iter(good["versions"].values()))["scenarios"].values()))
        broken = {
            "truncated": (self.shipped()[:-2], "line "),
            "not an object": ("[1, 2]\n", "not a JSON object"),
            "another proxy's": (json.dumps(dict(good, proxy="nginx")), 'it is the reference of "nginx", not of "haproxy"'),
            "versions a list": (json.dumps({"proxy": "haproxy", "versions": []}), '"versions" is missing or not'),
            "got a number": (json.dumps({"proxy": "haproxy", "versions": {"1": {"scenarios": {
                "ok": dict(entry, got=200)}}}}), 'version "1", scenario "ok": got has the wrong type'),
            "seen of numbers": (json.dumps({"proxy": "haproxy", "versions": {"1": {"scenarios": {
                "ok": dict(entry, seen=[502])}}}}), 'version "1", scenario "ok": seen has the wrong type'),
        }
        for what, (text, why) in broken.items():
            for update in ([], ["--update-reference"]):
                with self.subTest(what=what, update=update):
                    path = os.path.join(self.ref, "haproxy.json")
                    with open(path, "w") as f:
                        f.write(text)
                    out = self.path("out")
                    p = run(["--proxy", "haproxy", "--scenario", "ok", "--reference", self.ref, "--out", out] + update)
                    self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                    self.assertIn("%s: %s" % (path, why), p.stderr)
                    self.assertNotIn("cases", p.stderr)  # stopped before announcing any case
                    self.assertFalse(os.path.exists(out), "a refused run made its results folder")
                    with open(path) as f:
                        self.assertEqual(f.read(), text, "the broken reference was rewritten")
                    self.assertEqual(os.listdir(self.ref), ["haproxy.json"])

    def test_a_broken_reference_of_a_proxy_not_run_is_none_of_this_runs_business(self):
        self.write("reference/nginx.json", "{")
        p = run(["--proxy", "haproxy", "--scenario", "ok", "--reference", self.ref, "--out", self.path("out")])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_update_reference_with_my_definitions_needs_my_reference_folder(self):
        # A definition of my own named like a shipped one would rewrite the shipped reference.
        defs = self.path("proxies")
        os.mkdir(defs)
        shutil.copy(os.path.join(REPO, "harness", "proxies", "haproxy.lua"), defs)
        shipped = os.path.join(REPO, "results", "reference", "haproxy.json")
        before = os.stat(shipped).st_mtime_ns
        p = run(["--proxies", defs, "--proxy", "haproxy", "--scenario", "ok", "--update-reference",
                 "--out", self.path("out")])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--update-reference with --proxies records a reference for your definitions: "
                      "give --reference DIR", p.stderr)
        self.assertEqual(os.stat(shipped).st_mtime_ns, before)
        self.assertFalse(os.path.exists(self.path("out")))
        # with a reference folder of my own it records there
        p = run(["--proxies", defs, "--proxy", "haproxy", "--scenario", "ok", "--update-reference",
                 "--reference", self.ref, "--out", self.path("out")])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(os.listdir(self.ref), ["haproxy.json"])
        self.assertEqual(os.stat(shipped).st_mtime_ns, before)


class InterruptedWaits(Base):
    def test_ctrl_c_during_a_long_warmup_or_settle_ends_the_run_at_once(self):
        # A definition's warmup_ms and settle_ms may be seconds; an interrupted run must not
        # wait them out before it exits.
        from test_proxy_one_file import TINY_LUA, TINY_PY
        defs = self.path("proxies")
        os.mkdir(defs)
        for wait in ("warmup_ms", "settle_ms"):
            with self.subTest(wait=wait):
                lua = TINY_LUA.replace("settle_ms = 50,", "%s = 30000," % wait, 1)
                self.assertIn("%s = 30000" % wait, lua)
                for name, text in (("tiny.lua", lua), ("tiny-proxy.py", TINY_PY)):
                    with open(os.path.join(defs, name), "w") as f:
                        f.write(text)
                out = self.path("out-" + wait)
                proc = subprocess.Popen([BADUP, "run", "--proxies", defs, "--proxy", "tiny", "--scenario", "ok",
                                         "--out", out, "--reference", self.ref],
                                        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                case = os.path.join(out, "cases", "tiny", "ok")
                deadline = time.monotonic() + 30
                log = os.path.join(case, "access.log")

                def in_the_wait():  # the proxy has started (warmup), or answered (settle)
                    return os.path.exists(log) and (wait == "warmup_ms" or os.path.getsize(log) > 0)
                while time.monotonic() < deadline and not in_the_wait():
                    time.sleep(0.05)
                time.sleep(1)
                self.assertIsNone(proc.poll(), "the run ended before its wait")
                sent = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                stdout, stderr = proc.communicate(timeout=60)
                took = time.monotonic() - sent
                self.assertEqual(proc.returncode, 130, stdout + stderr)
                self.assertLess(took, 5, "the interrupted run waited out its %s" % wait)


class InterimResponses(Base):
    def test_a_1xx_is_never_the_outcome(self):
        # nginx 1.22 forwards the upstream's 103 Early Hints, then ends the client's
        # connection without the final 200: the client got no response at all.
        out = self.path("out")
        run(["--proxy", "nginx,haproxy", "--scenario", "early_hints", "--out", out, "--reference", self.ref])
        c = cases(out)
        self.assertEqual(c[("haproxy", "early_hints")]["got"], "200", c)
        nginx = c[("nginx", "early_hints")]
        self.assertEqual(nginx["got"], "closed", nginx)
        self.assertIn("curl: (52) Empty reply from server", nginx["detail"])


class Attempts(Base):
    def test_a_pass_the_upstream_never_saw_is_a_failure(self):
        conf = self.write("nginx.conf", NGINX_BY_ITSELF)
        p = run(["--proxy", "nginx", "--scenario", "empty_reply", "--proxy-config", conf, "--out", self.path("out"),
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        c = cases(self.path("out"))[("nginx", "empty_reply")]
        self.assertEqual((c["got"], c["verdict"], c["upstream_attempts"]), ("502", "fail", 0), c)
        self.assertIn("never reached the upstream", c["reason"])

    def test_a_pass_the_scenario_allows_without_upstream_says_so(self):
        p = run(["--proxy", "nginx", "--scenario", "req_dup_content_length_conflict", "--out", self.path("out"),
                 "--reference", self.ref])
        c = cases(self.path("out"))[("nginx", "req_dup_content_length_conflict")]
        self.assertEqual((c["got"], c["verdict"]), ("400", "pass"), p.stdout + p.stderr)
        self.assertIn("answered by itself", c["detail"])


HAPROXY_LOGS_NULL = """global
    log stderr format raw local0 info
    pidfile ${dir}/haproxy.pid
defaults
    mode http
    log global
    option httplog
    timeout connect ${connect_timeout_ms}ms
    timeout server ${read_timeout_ms}ms
    timeout client 30s
frontend fe
    bind 127.0.0.1:${proxy_port}
    default_backend be
backend be
    server up ${upstream_host}:${upstream_port}
"""


class Readiness(Base):
    def test_the_readiness_check_is_never_logged_as_a_request(self):
        # Without `option dontlognull` haproxy logs every connection that sent nothing: a
        # connect-based readiness probe became a "<BADREQ> 400 CR--" line in the case's log.
        conf = self.write("haproxy.cfg", HAPROXY_LOGS_NULL)
        out = self.path("out")
        p = run(["--proxy", "haproxy", "--scenario", "empty_reply", "--proxy-config", conf, "--out", out,
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = cases(out)[("haproxy", "empty_reply")]
        self.assertNotIn("BADREQ", c["proxy_log"])
        self.assertIn("SH--", c["proxy_log"])
        with open(os.path.join(out, "cases", "haproxy", "empty_reply", "proxy.err")) as f:
            log = f.read()
        self.assertNotIn("BADREQ", log)
        self.assertEqual(len([l for l in log.splitlines() if "HTTP/1.1" in l]), 1, log)

    def test_a_proxy_that_exits_before_it_listens_starts_again_on_a_new_port(self):
        # Any process's outgoing connection may take the ephemeral port a case handed its
        # proxy, and be gone before anyone looks: the proxy then fails its bind and exits
        # (tinyproxy: "Could not create listening sockets", exit 71), which was a false
        # setup_error one matrix run in five. The case starts it again on a new port.
        from test_proxy_one_file import TINY_LUA, TINY_PY
        defs = self.path("proxies")
        os.mkdir(defs)
        first = 'command = { "${binary}", "${dir}/tiny.py",'
        self.assertIn(first, TINY_LUA)
        # The first start exits as a lost bind does; the next ones run the proxy.
        lua = TINY_LUA.replace(first, 'command = { "/bin/sh", "-c", [[test -e ${dir}/.started || '
                               '{ touch ${dir}/.started; echo "Could not create listening sockets" >&2; exit 71; }; '
                               'exec "$0" "$@"]], "${binary}", "${dir}/tiny.py",', 1)
        for name, text in (("tiny.lua", lua), ("tiny-proxy.py", TINY_PY)):
            with open(os.path.join(defs, name), "w") as f:
                f.write(text)
        out = self.path("out")
        p = run(["--proxies", defs, "--proxy", "tiny", "--scenario", "ok", "--out", out, "--reference", self.ref])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = cases(out)[("tiny", "ok")]
        self.assertEqual((c["got"], c["verdict"]), ("200", "pass"), c)
        with open(os.path.join(out, "cases", "tiny", "ok", "proxy.err")) as f:
            self.assertIn("Could not create listening sockets", f.read())

    def test_a_proxy_that_never_starts_is_tried_on_three_ports_and_says_why(self):
        from test_proxy_one_file import TINY_LUA, TINY_PY
        defs = self.path("proxies")
        os.mkdir(defs)
        first = 'command = { "${binary}", "${dir}/tiny.py",'
        lua = TINY_LUA.replace(first, 'command = { "/bin/sh", "-c", [[echo "no such luck" >&2; exit 71]], '
                               '"${binary}", "${dir}/tiny.py",', 1)
        for name, text in (("tiny.lua", lua), ("tiny-proxy.py", TINY_PY)):
            with open(os.path.join(defs, name), "w") as f:
                f.write(text)
        out = self.path("out")
        p = run(["--proxies", defs, "--proxy", "tiny", "--scenario", "ok", "--out", out, "--reference", self.ref])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        c = cases(out)[("tiny", "ok")]
        self.assertEqual(c["got"], "setup_error", c)
        self.assertIn("started 3 times, each on a new port", c["detail"])
        self.assertIn("no such luck", c["detail"])
        with open(os.path.join(out, "cases", "tiny", "ok", "proxy.err")) as f:
            self.assertEqual(f.read().count("no such luck"), 3)


class Evidence(Base):
    def test_upstream_events_list_the_connection_a_proxy_kept_open(self):
        # nginx keeps its upstream connection in a keep-alive pool: it never ended while the
        # proxy lived, and the evidence used to be an empty list.
        out = self.path("out")
        p = run(["--proxy", "nginx", "--scenario", "ok", "--out", out, "--reference", self.ref])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "cases", "nginx", "ok", "upstream-events.json")) as f:
            events = json.load(f)
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["requests"], 1)
        whats = [e["what"] for e in events[0]["events"]]
        self.assertEqual(whats[:3], ["accept", "request", "step"])


class Unstable(Base):
    def test_a_cell_the_reference_saw_vary_is_unstable_never_fail(self):
        version = proxy_version("nginx")
        self.assertTrue(version)
        with open(os.path.join(self.ref, "nginx.json"), "w") as f:
            json.dump({"proxy": "nginx", "versions": {version: {"scenarios": {
                "refuse": {"got": "503", "seen": ["503", "502"], "expect": "502"}}}}}, f)
        out = self.path("out")
        p = run(["--proxy", "nginx", "--scenario", "refuse", "--out", out, "--reference", self.ref])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = cases(out)[("nginx", "refuse")]
        self.assertEqual((c["got"], c["verdict"]), ("502", "unstable"), c)
        self.assertIn("known to vary", c["reason"])
        self.assertIn("UNSTABLE nginx/refuse", p.stdout)
        self.assertRegex(p.stdout, r"refuse\s+502\s+50[23]\|50[23] \?")

    def test_repeat_runs_every_case_and_reports_the_distribution(self):
        out = self.path("out")
        p = run(["--proxy", "haproxy", "--scenario", "ok,empty_reply", "--repeat", "3", "--out", out,
                 "--reference", self.ref])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["repeat"], 3)
        for c in doc["cases"]:
            self.assertEqual(len(c["runs"]), 3, c)
            self.assertEqual({r["got"] for r in c["runs"]}, {c["got"]}, c)
            self.assertEqual(c["outcomes"], "%s x3" % c["got"])
        for name in ("ok", "ok.run2", "ok.run3", "empty_reply.run3"):
            self.assertTrue(os.path.isdir(os.path.join(out, "cases", "haproxy", name)), name)

    def test_repeat_usage(self):
        p = run(["--repeat", "0"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--repeat wants 1 to 100", p.stderr)


class UserSwitchingProxy(Base):
    def test_squid_under_a_0700_folder(self):
        if not installed("/usr/sbin/squid"):
            self.skipTest("squid is not installed")
        if os.geteuid() != 0:
            self.skipTest("squid switches users only when started as root")
        parent = tempfile.mkdtemp(prefix="badup-0700-")  # like mktemp -d: 0700, owned by us
        self.addCleanup(shutil.rmtree, parent, True)
        self.assertEqual(stat.S_IMODE(os.stat(parent).st_mode), 0o700)
        out = os.path.join(parent, "out")
        # The scratch folder goes under $TMPDIR: a private one shows what is left behind,
        # whatever other runs do in /tmp at the same time.
        scratch = tempfile.mkdtemp(prefix="badup-scratch-")
        self.addCleanup(shutil.rmtree, scratch, True)
        os.chmod(scratch, 0o711)
        p = run(["--proxy", "squid", "--scenario", "ok,empty_reply", "--out", out, "--reference", self.ref],
                env=dict(os.environ, TMPDIR=scratch))
        got = cases(out)
        self.assertEqual(got[("squid", "ok")]["got"], "200", p.stdout + p.stderr)
        self.assertEqual(got[("squid", "empty_reply")]["got"], "502", p.stdout + p.stderr)
        case = os.path.join(out, "cases", "squid", "ok")
        self.assertIn("access.log", os.listdir(case))
        self.assertIn("TCP_MISS/200", got[("squid", "ok")]["proxy_log"])
        # squid worked in a scratch folder (its user cannot reach the 0700 parent), and the
        # folder is gone
        self.assertEqual(os.listdir(scratch), [])
        with open(os.path.join(case, "squid.conf")) as f:
            self.assertIn(os.path.join(scratch, "badup-squid-"), f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
