"""badup run against real haproxy and nginx: the codes their clients really get.

The expected outcomes below were measured on Debian 12 (haproxy 2.6.12, nginx 1.22.1);
they are what those proxies do, not what we wish they did. The suite also checks the
results folder (json, csv, junit, report), the reference workflow (fail, then
--update-reference, then deviates) and that Ctrl-C leaves no process and no partial file.
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BADUP = os.environ.get("BADUP", os.path.join(REPO, "build", "badup"))

# (proxy, scenario) -> what the client saw, measured.
MEASURED = {
    ("haproxy", "refuse"): "503",
    ("haproxy", "empty_reply"): "502",
    ("haproxy", "reset_before_response"): "502",
    ("haproxy", "stall_headers"): "504",
    ("haproxy", "no_colon_header"): "502",
    ("haproxy", "truncated_body"): "200+truncated",
    ("nginx", "refuse"): "502",
    ("nginx", "empty_reply"): "502",
    ("nginx", "reset_before_response"): "502",
    ("nginx", "stall_headers"): "504",
    ("nginx", "no_colon_header"): "200",
    ("nginx", "truncated_body"): "200+truncated",
    # Sent with the raw-socket client: both refuse the smuggling-class request themselves.
    ("haproxy", "req_dup_content_length_conflict"): "400",
    ("nginx", "req_dup_content_length_conflict"): "400",
}
EXPECT = {"refuse": "502", "empty_reply": "502", "reset_before_response": "502", "stall_headers": "504",
          "no_colon_header": "502", "truncated_body": "200+truncated", "req_dup_content_length_conflict": "400"}
SCENARIOS = ",".join(EXPECT)
READ_TIMEOUT = 1.0


def run(args, timeout=240):
    return subprocess.run([BADUP, "run"] + args, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def descendants(root):
    """PIDs and process groups of every process below root, from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parent[int(d)] = (int(fields[1]), int(fields[2]))  # ppid, pgrp
            except (OSError, IndexError, ValueError):
                pass
    out, groups, todo = set(), set(), [root]
    while todo:
        p = todo.pop()
        for c, (pp, pg) in parent.items():
            if pp == p and c not in out:
                out.add(c)
                groups.add(pg)
                todo.append(c)
    return out, groups


def alive(pid):
    """Running, not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def in_groups(groups):
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) in groups and fields[0] != "Z":
                    found.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return found


class HarnessAgainstRealProxies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for binary in ("/usr/sbin/haproxy", "/usr/sbin/nginx"):
            if not os.access(binary, os.X_OK):
                raise unittest.SkipTest(f"{binary} is not installed (make test installs it)")
        cls.tmp = tempfile.mkdtemp(prefix="badup-harness-")
        cls.ref = os.path.join(cls.tmp, "reference")
        os.mkdir(cls.ref)
        cls.out1 = os.path.join(cls.tmp, "run1")
        cls.first = run(["--proxy", "haproxy,nginx", "--scenario", SCENARIOS, "--read-timeout", str(READ_TIMEOUT),
                         "--reference", cls.ref, "--out", cls.out1, "--jobs", "2"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def cases(self, out):
        with open(os.path.join(out, "results.json")) as f:
            return {(c["proxy"], c["scenario"]): c for c in json.load(f)["cases"]}

    def test_codes_the_clients_see(self):
        cases = self.cases(self.out1)
        self.assertEqual(set(cases), set(MEASURED), self.first.stderr)
        for key, got in MEASURED.items():
            self.assertEqual(cases[key]["got"], got, f"{key}: {cases[key]}")

    def test_verdicts_and_exit_code_without_reference(self):
        # No reference yet: every answer that differs from expect is a failure.
        self.assertEqual(self.first.returncode, 1, self.first.stdout + self.first.stderr)
        cases = self.cases(self.out1)
        for key, c in cases.items():
            self.assertEqual(c["verdict"], "pass" if c["got"] == c["expect"] else "fail", key)
        self.assertIn("FAIL haproxy/refuse: expected 502, got 503", self.first.stdout)

    def test_malformed_client_request_never_reaches_the_upstream(self):
        cases = self.cases(self.out1)
        for proxy in ("haproxy", "nginx"):
            self.assertEqual(cases[(proxy, "req_dup_content_length_conflict")]["upstream_attempts"], 0)

    def test_stall_504_comes_after_the_read_timeout(self):
        cases = self.cases(self.out1)
        for proxy in ("haproxy", "nginx"):
            c = cases[(proxy, "stall_headers")]
            self.assertGreaterEqual(c["elapsed_ms"], READ_TIMEOUT * 1000 * 0.9, c)
            self.assertLess(c["elapsed_ms"], READ_TIMEOUT * 1000 + 5000, c)
            self.assertEqual(c["upstream_attempts"], 1, c)

    def test_results_folder(self):
        with open(os.path.join(self.out1, "results.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(MEASURED))
        for col in ("proxy", "proxy_version", "scenario", "expect", "got", "verdict", "elapsed_ms",
                    "upstream_attempts", "proxy_log"):
            self.assertIn(col, rows[0])
        haproxy_empty = [r for r in rows if r["proxy"] == "haproxy" and r["scenario"] == "empty_reply"][0]
        self.assertIn("SH--", haproxy_empty["proxy_log"])  # haproxy's termination state
        suite = ET.parse(os.path.join(self.out1, "junit.xml")).getroot()
        testcases = suite.findall(".//testcase")
        self.assertEqual(len(testcases), len(MEASURED))
        failures = [t for t in testcases if t.find("failure") is not None]
        self.assertEqual({(t.get("classname"), t.get("name")) for t in failures},
                         {("badup." + p, s) for (p, s), got in MEASURED.items() if got != EXPECT[s]})
        self.assertIn("expected 502, got 503", failures[0].find("failure").get("message") + "".join(
            f.find("failure").get("message") for f in failures))
        with open(os.path.join(self.out1, "report.md")) as f:
            self.assertIn("| refuse", f.read())
        for cdir in ("haproxy/empty_reply", "nginx/empty_reply"):
            self.assertTrue(os.path.exists(os.path.join(self.out1, "cases", cdir, "proxy.err")))
        self.assertFalse([n for n in os.listdir(self.out1) if ".tmp." in n])

    def test_reference_turns_known_deviations_into_deviates(self):
        # Recording: the run says what it records, and judges itself against it.
        record = run(["--proxy", "haproxy,nginx", "--scenario", "refuse,no_colon_header,empty_reply",
                      "--reference", self.ref, "--out", os.path.join(self.tmp, "record"), "--jobs", "2",
                      "--update-reference"])
        self.assertEqual(record.returncode, 0, record.stdout + record.stderr)
        self.assertIn("recording haproxy 2.6.12 / refuse: (new) 503", record.stderr)
        self.assertEqual(self.cases(os.path.join(self.tmp, "record"))[("haproxy", "refuse")]["verdict"], "deviates")
        with open(os.path.join(self.ref, "haproxy.json")) as f:
            ref = json.load(f)
        self.assertEqual(ref["versions"]["2.6.12"]["scenarios"]["refuse"]["got"], "503")
        out2 = os.path.join(self.tmp, "run2")
        second = run(["--proxy", "haproxy,nginx", "--scenario", "refuse,no_colon_header,empty_reply",
                      "--reference", self.ref, "--out", out2, "--jobs", "2"])
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        cases = self.cases(out2)
        self.assertEqual(cases[("haproxy", "refuse")]["verdict"], "deviates")
        self.assertEqual(cases[("nginx", "no_colon_header")]["verdict"], "deviates")
        self.assertEqual(cases[("nginx", "empty_reply")]["verdict"], "pass")


class DefaultResultsFolder(unittest.TestCase):
    def test_relative_default_out_and_latest(self):
        # Without --out the run writes results/<timestamp> under the working directory, a
        # relative path; proxies run inside their case folder, so the harness must make it
        # absolute (a relative ${dir} once pointed nginx into itself).
        if not os.access("/usr/sbin/nginx", os.X_OK):
            self.skipTest("nginx is not installed")
        tmp = tempfile.mkdtemp(prefix="badup-default-out-")
        self.addCleanup(shutil.rmtree, tmp, True)
        res = subprocess.run([BADUP, "run", "--proxy", "nginx,haproxy", "--scenario", "ok,empty_reply",
                              "--scenarios", os.path.join(REPO, "scenarios"),
                              "--proxies", os.path.join(REPO, "harness", "proxies"), "--reference", tmp],
                             cwd=tmp, capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        latest = os.path.join(tmp, "results", "latest")
        self.assertTrue(os.path.islink(latest))
        with open(os.path.join(latest, "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual({c["got"] for c in cases if c["scenario"] == "ok"}, {"200"})
        self.assertEqual({c["verdict"] for c in cases}, {"pass"})


class LogAssertion(unittest.TestCase):
    def test_check_log_fails_a_case_whose_log_does_not_match(self):
        if not os.access("/usr/sbin/haproxy", os.X_OK):
            self.skipTest("haproxy is not installed")
        tmp = tempfile.mkdtemp(prefix="badup-logcheck-")
        self.addCleanup(shutil.rmtree, tmp, True)
        scn = os.path.join(tmp, "scenarios")
        os.mkdir(scn)
        with open(os.path.join(scn, "empty_logged.lua"), "w") as f:
            f.write('return scenario { summary = "empty reply", expect = 502, plan = { rxreq(), close() },\n'
                    '  check = { log = { haproxy = "SH--", nginx = "no such words in any log" } } }\n')
        res = run(["--proxy", "haproxy,nginx", "--scenarios", scn, "--reference", tmp, "--out",
                   os.path.join(tmp, "out")])
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        with open(os.path.join(tmp, "out", "results.json")) as f:
            cases = {c["proxy"]: c for c in json.load(f)["cases"]}
        self.assertEqual(cases["haproxy"]["verdict"], "pass", cases["haproxy"])
        self.assertEqual(cases["nginx"]["got"], "502")
        self.assertEqual(cases["nginx"]["verdict"], "fail")
        # Which check failed, and why: the pattern and what the proxy wrote instead.
        self.assertIn("the log check failed: no log line matched /no such words in any log/", cases["nginx"]["reason"])
        self.assertIn("upstream prematurely closed connection", cases["nginx"]["reason"])
        self.assertIn("FAIL nginx/empty_logged: expected 502, got 502 (the status is right, but the log check failed",
                      res.stdout)


class Interrupt(unittest.TestCase):
    def test_sigint_mid_case_leaves_nothing_behind(self):
        for binary in ("/usr/sbin/haproxy", "/usr/sbin/nginx"):
            if not os.access(binary, os.X_OK):
                self.skipTest(f"{binary} is not installed")
        tmp = tempfile.mkdtemp(prefix="badup-sigint-")
        self.addCleanup(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "out")
        p = subprocess.Popen([BADUP, "run", "--proxy", "haproxy,nginx", "--scenario", "stall_headers,stall_body,ok",
                              "--read-timeout", "20", "--reference", tmp, "--out", out, "--jobs", "2"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait until both stalled cases are running: a proxy and a simulator each.
        deadline = time.time() + 30
        pids, groups = set(), set()
        while time.time() < deadline:
            pids, groups = descendants(p.pid)
            names = set()
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        names.add(f.read().strip())
                except OSError:
                    pass
            if {"haproxy", "nginx"} <= names or ({"haproxy"} <= names and len(pids) >= 4):
                break
            time.sleep(0.05)
        self.assertTrue(pids, "the run started no process")
        time.sleep(0.3)
        pids, groups = descendants(p.pid)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, stderr)
        self.assertIn("interrupted", stderr)
        left = [pid for pid in pids if alive(pid)] + in_groups(groups)
        self.assertEqual(left, [], f"processes left behind: {left}")
        # Result files are whole or absent; never a temporary left over.
        names = os.listdir(out) if os.path.isdir(out) else []
        self.assertFalse([n for n in names if ".tmp." in n], names)
        if "results.json" in names:
            with open(os.path.join(out, "results.json")) as f:
                doc = json.load(f)
            self.assertTrue(doc["interrupted"])
        if "junit.xml" in names:
            ET.parse(os.path.join(out, "junit.xml"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
