#!/usr/bin/env python3
"""`badup diff A B`: run-to-run differences. Results folders are written by hand (results.json
in a temporary folder: fast), and so is a reference folder; then one real pair of haproxy runs
(skipped without haproxy): the same run twice (nothing changed, exit 0), a run with --retries
(changed cells, exit 1), and a run against the shipped reference. Text, JSON, HTML and every
error path. Standard library only."""

import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import common
from common import BADUP, REPO, SANITIZER_MARKERS


def case(proxy, scenario, got, verdict="pass", version="2.6.12", expect=None, **more):
    c = {"proxy": proxy, "proxy_version": version, "scenario": scenario, "expect": expect or got, "got": got,
         "verdict": verdict, "reason": "", "reference": None, "elapsed_ms": 1.0}
    c.update(more)
    return c


def results(cases, read_s=2.0, retries=False, client_tls=False, repeat=1):
    return {"started": "2026-11-30T10:00:00Z", "duration_s": 1.0, "interrupted": False, "jobs": 2, "repeat": repeat,
            "timeouts": {"connect_s": 1.0, "read_s": read_s, "retries": retries, "client_s": 2.0,
                         "max_body": 1048576},
            "cases": cases, "client_tls": client_tls, "upstream_tls": False, "client_http2": False}


EXPECT = {"refuse": "502", "stall_headers": "504"}  # what the fixtures' scenarios expect
BASE = [case("haproxy", "ok", "200"), case("haproxy", "stall_headers", "504"),
        case("haproxy", "refuse", "503", "deviates", expect="502"), case("nginx", "ok", "200", version="1.22.1")]


def diff(*args, cwd=None):
    p = subprocess.run([BADUP, "diff"] + list(args), cwd=cwd or REPO, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace", timeout=60)
    for marker in SANITIZER_MARKERS:
        if marker in p.stderr:
            raise AssertionError("sanitizer report from badup diff %s:\n%s" % (" ".join(args), p.stderr))
    return p


class Fixtures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-diff-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def folder(self, name, doc):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "results.json"), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return d

    def json_of(self, a, b):
        p = diff("--json", a, b)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p.returncode, json.loads(p.stdout)

    def test_the_same_run_is_no_change(self):
        a = self.folder("a", results(BASE))
        b = self.folder("b", results(BASE))
        p = diff(a, b)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("summary: 0 changed, 0 unstable, 0 new, 0 vanished, 4 same", p.stdout)
        self.assertIn("nothing changed", p.stdout)
        self.assertNotIn("warning", p.stdout)
        rc, doc = self.json_of(a, os.path.join(b, "results.json"))  # the file itself also names a side
        self.assertEqual(rc, 0)
        self.assertFalse(doc["differs"])
        self.assertEqual(doc["counts"]["same"], 4)
        self.assertEqual(doc["changed"], [])
        self.assertEqual(doc["a"]["kind"], "results")
        self.assertEqual(doc["a"]["settings"]["read_s"], 2.0)

    def test_changed_new_vanished_cells_and_proxies(self):
        later = copy.deepcopy(BASE)
        later[1] = case("haproxy", "stall_headers", "502", "fail", expect="504")  # changed
        del later[2]                                                             # refuse vanished
        later.append(case("haproxy", "empty_reply", "502"))                      # new
        later[0]["proxy_version"] = "2.8.1"                                     # another version
        later = [c for c in later if c["proxy"] != "nginx"]                     # nginx vanished
        later.append(case("squid", "ok", "200", version="5.7"))                 # squid new
        a = self.folder("a", results(BASE))
        b = self.folder("b", results(later, read_s=5.0))
        p = diff(a, b)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        out = p.stdout
        self.assertIn("changed (1):\n  haproxy / stall_headers: 504 -> 502 (pass -> fail)\n", out)
        self.assertIn("new: only B has these (1):\n  haproxy / empty_reply: 502 (pass)\n", out)
        self.assertIn("vanished: only A has these (1):\n  haproxy / refuse: 503 (deviates)\n", out)
        self.assertIn("proxy haproxy: 2.6.12 -> 2.8.1", out)
        self.assertIn("proxy nginx: vanished from B, 1.22.1, 1 cell", out)
        self.assertIn("proxy squid: new in B, 5.7, 1 cell", out)
        self.assertIn("warning: the settings differ", out)
        self.assertIn("  read_s: 2 -> 5\n", out)
        self.assertIn("summary: 1 changed, 0 unstable, 1 new, 1 vanished, 1 same; proxies: 1 new, 1 vanished, "
                      "1 with another version; 1 setting differs: the runs differ", out)
        rc, doc = self.json_of(a, b)
        self.assertEqual(rc, 1)
        self.assertTrue(doc["differs"])
        self.assertEqual(doc["counts"], {"changed": 1, "unstable": 0, "new": 1, "vanished": 1, "same": 1,
                                         "new_proxies": 1, "vanished_proxies": 1, "versions": 1, "settings": 1,
                                         "not_run": 0, "not_compared": 0})
        ch = doc["changed"][0]
        self.assertEqual((ch["proxy"], ch["scenario"]), ("haproxy", "stall_headers"))
        self.assertEqual((ch["a"]["got"], ch["a"]["verdict"], ch["b"]["got"], ch["b"]["verdict"]),
                         ("504", "pass", "502", "fail"))
        self.assertEqual(ch["b"]["alternatives"], ["502"])
        self.assertIsNone(doc["new"][0]["a"])
        self.assertIsNone(doc["vanished"][0]["b"])
        self.assertEqual(doc["settings"], [{"name": "read_s", "a": 2.0, "b": 5.0}])
        changes = {p["proxy"]: p["change"] for p in doc["proxies"]}
        self.assertEqual(changes, {"haproxy": "version", "nginx": "vanished", "squid": "new"})

    def test_skipped_against_absent_is_not_compared(self):
        # a default run skips h2_* for a proxy without h2; the other side (or the reference) has no
        # such cell: not a change either way
        with_skip = BASE + [case("haproxy", "h2_ok", "", "skipped", expect="200")]
        a, b = self.folder("a", results(with_skip)), self.folder("b", results(BASE))
        for x, y in ((a, b), (b, a)):
            p = diff(x, y)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("1 skipped on one side and absent on the other (not compared)", p.stdout)
            self.assertNotIn("h2_ok", p.stdout)
            rc, doc = self.json_of(x, y)
            self.assertEqual((rc, doc["counts"]["not_compared"], doc["new"], doc["vanished"]), (0, 1, [], []))

    def test_not_run_cells_are_counted_apart(self):
        # an interrupted run: an in-flight case (got "setup_error") and a never-started one
        later = copy.deepcopy(BASE)
        later[1] = case("haproxy", "stall_headers", "setup_error", "not_run", expect="504")
        later[2] = case("haproxy", "refuse", "", "not_run", expect="502")
        later.append(case("haproxy", "empty_reply", "", "not_run", expect="502"))  # only B, not run
        a, b = self.folder("a", results(BASE)), self.folder("b", results(later))
        for x, y in ((a, b), (b, a)):
            p = diff(x, y)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("3 not run (an interrupted run: not compared, not a change)", p.stdout)
            self.assertIn("nothing changed", p.stdout)
            rc, doc = self.json_of(x, y)
            self.assertEqual((rc, doc["counts"]["not_run"], doc["changed"], doc["counts"]["same"]), (0, 3, [], 2))

    def test_verdict_change_alone_is_a_change(self):
        later = copy.deepcopy(BASE)
        later[2]["verdict"] = "fail"
        p = diff(self.folder("a", results(BASE)), self.folder("b", results(later)))
        self.assertEqual(p.returncode, 1)
        self.assertIn("  haproxy / refuse: 503 -> 503 (deviates -> fail)\n", p.stdout)

    def test_unstable_cell_taking_the_other_outcome_is_not_a_change(self):
        flaky = copy.deepcopy(BASE)
        flaky[1] = case("haproxy", "stall_headers", "504", "unstable", outcomes="504 x2, 502 x1",
                        alternatives="504 x2, 502 x1")
        # an older results.json without "alternatives": its "outcomes" say the same
        older = copy.deepcopy(BASE)
        older[1] = case("haproxy", "stall_headers", "502", "unstable", expect="504", outcomes="502 x2, 504 x1")
        a = self.folder("a", results(BASE))
        for name, doc in (("b", flaky), ("c", older)):
            b = self.folder(name, results(doc, repeat=3))
            p = diff(a, b)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("unstable: the outcome varies, and the other side's is among the outcomes it takes: not "
                          "counted as a change (1):\n  haproxy / stall_headers: 504 -> ", p.stdout)
            self.assertIn(" (pass -> unstable)\n", p.stdout)
            self.assertIn("  repeat: 1 -> 3\n", p.stdout)
            rc, d = self.json_of(a, b)
            self.assertEqual((rc, d["counts"]["unstable"], d["counts"]["changed"]), (0, 1, 0))
            self.assertEqual(sorted(d["unstable"][0]["b"]["alternatives"]), ["502", "504"])
        # an outcome the unstable cell never took is a change
        other = copy.deepcopy(BASE)
        other[1] = case("haproxy", "stall_headers", "timeout", "fail", expect="504")
        p = diff(self.folder("d", results(other)), b)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("  haproxy / stall_headers: timeout -> 502|504 (fail -> unstable)\n", p.stdout)

    def write_reference(self, name, proxy, versions):
        d = os.path.join(self.tmp, "ref")
        os.makedirs(d, exist_ok=True)
        doc = {"proxy": name, "versions": {}}
        for version, scenarios in versions.items():
            doc["versions"][version] = {"binary": "/usr/sbin/" + proxy, "scenarios": {
                s: {"got": got[0], "seen": got, "expect": EXPECT.get(s, got[0])}
                for s, got in scenarios.items()}}
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump(doc, f)
        return d

    def test_against_a_reference_folder(self):
        self.write_reference("haproxy", "haproxy", {
            "2.6.12": {"ok": ["200"], "stall_headers": ["504"], "refuse": ["503", "502"], "unused": ["200"]},
            "2.4.0": {"ok": ["200"], "stall_headers": ["502"]}})
        ref = self.write_reference("haproxy+ctls", "haproxy", {"2.6.12": {"ok": ["200"], "stall_headers": ["400"]}})
        cases = [c for c in BASE if c["proxy"] == "haproxy"]
        a = self.folder("a", results(cases))
        p = diff(a, ref)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("B: %s (reference: each proxy's file for the other side's settings, at the version it ran "
                      "unless said below)" % ref, p.stdout)
        self.assertNotIn("proxy haproxy", p.stdout)  # the version the run had: nothing to say
        # refuse: the reference saw it vary (503, 502), and the run's 503 is one of them
        self.assertIn("  haproxy / refuse: 503 -> 503|502 (deviates -> unstable)\n", p.stdout)
        # the scenarios the run did not run are not compared ("unused")
        self.assertIn("2 same", p.stdout)
        rc, doc = self.json_of(a, ref)
        self.assertEqual(doc["b"]["kind"], "reference")
        haproxy = doc["proxies"][0]
        self.assertEqual((haproxy["proxy"], haproxy["change"]), ("haproxy", "same"))
        self.assertEqual(haproxy["b"]["note"], "haproxy 2.6.12 from haproxy.json: the version the other side ran")
        self.assertEqual(haproxy["b"]["version_from"], "ran")
        self.assertEqual(doc["b"]["settings"]["read_s"], 2.0)
        self.assertEqual(doc["b"]["settings"]["retries"], False)
        self.assertEqual(doc["counts"]["same"], 2)

        # a version the reference does not have: the newest recorded stands in, said so
        older = copy.deepcopy(cases)
        for c in older:
            c["proxy_version"] = "2.2.0"
        p = diff(ref, self.folder("b", results(older)))  # the reference as A
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("A: haproxy 2.6.12 from haproxy.json: the newest recorded (the other side ran 2.2.0, "
                      "not recorded)", p.stdout)
        self.assertIn("proxy haproxy: 2.6.12 -> 2.2.0", p.stdout)

        # --client-tls: the +ctls file is the one that stands in
        p = diff(self.folder("c", results(cases, client_tls=True)), ref)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("haproxy 2.6.12 from haproxy+ctls.json", json.loads(diff("--json", self.folder("c", results(
            cases, client_tls=True)), ref).stdout)["proxies"][0]["b"]["note"])
        self.assertIn("  haproxy / stall_headers: 504 -> 400 (pass -> recorded)\n", p.stdout)
        self.assertIn("vanished: only A has these (1):\n  haproxy / refuse: 503 (deviates)\n", p.stdout)

        # no file for the variant (--retries): the proxy has no cells there, and the file is named
        p = diff(self.folder("d", results(cases, retries=True)), ref)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("nothing recorded in %s/haproxy+retries.json" % ref, p.stdout)
        self.assertIn("proxy haproxy: vanished from B", p.stdout)

    def test_out_writes_diff_json(self):
        later = copy.deepcopy(BASE)
        later[0]["got"] = "502"
        a, b = self.folder("a", results(BASE)), self.folder("b", results(later))
        out = os.path.join(self.tmp, "out")
        p = diff("--out", out, a, b)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("haproxy / ok: 200 -> 502", p.stdout)  # the text is still printed
        with open(os.path.join(out, "diff.json")) as f:
            written = json.load(f)
        self.assertEqual(written, self.json_of(a, b)[1])

    def test_html_section(self):
        later = copy.deepcopy(BASE)
        later[0]["got"] = "200 !headers.absent:X<b>&"
        p = diff("--html", self.folder("a", results(BASE)), self.folder("b", results(later)))
        self.assertEqual(p.returncode, 1, p.stderr)
        html = p.stdout
        self.assertTrue(html.startswith('<section class="diff">'), html)
        self.assertTrue(html.rstrip().endswith("</section>"), html)
        self.assertIn('<tr class="changed"><td>changed</td><td>haproxy</td><td>ok</td><td>200 (pass)</td>'
                      "<td>200 !headers.absent:X&lt;b&gt;&amp; (pass)</td></tr>", html)
        self.assertNotIn("<b>", html)
        self.assertIn("1 changed", html)

    def test_help(self):
        p = diff("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: badup diff", p.stdout)
        p = subprocess.run([BADUP, "help", "diff"], capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout.startswith("usage: badup diff")), (0, True))

    def expect_error(self, args, *words):
        p = diff(*args)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")
        for w in words:
            self.assertIn(w, p.stderr)
        return p

    def test_error_paths(self):
        good = self.folder("good", results(BASE))
        missing = os.path.join(self.tmp, "missing")
        self.expect_error([missing, good], missing, "no such file or folder")
        self.expect_error([good, missing], missing, "no such file or folder")
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.expect_error([good, empty], empty, "not a results folder")
        broken = self.folder("broken", '{"cases": [')
        self.expect_error([good, broken], os.path.join(broken, "results.json") + ":1:", "not JSON")
        self.expect_error([good, self.folder("nocases", "{}")], "nocases/results.json", 'no "cases" array')
        self.expect_error([good, self.folder("array", "[]")], "array/results.json", 'no "cases" array')
        nogot = results([case("haproxy", "ok", "200"), {"proxy": "haproxy", "scenario": "x", "verdict": "pass"}])
        self.expect_error([good, self.folder("nogot", nogot)], "nogot/results.json: cases[1] has no string \"got\"")
        self.expect_error([good, self.folder("notobj", results([1]))], "cases[0] is not an object")
        ref = self.write_reference("haproxy", "haproxy", {"2.6.12": {"ok": ["200"]}})
        self.expect_error([ref, ref], "both reference folders")
        with open(os.path.join(ref, "haproxy.json"), "w") as f:
            f.write('{"proxy": "haproxy", "versions": {"2.6.12": ')
        os.makedirs(os.path.join(self.tmp, "ref2"))
        shutil.copy(os.path.join(ref, "haproxy.json"), os.path.join(self.tmp, "ref2", "nginx.json"))
        with open(os.path.join(self.tmp, "ref2", "haproxy.json"), "w") as f:
            json.dump({"proxy": "other", "versions": {}}, f)
        self.expect_error([good, os.path.join(self.tmp, "ref2")], "ref2/haproxy.json")
        # usage errors
        self.expect_error([good], "give two results folders")
        self.expect_error([good, good, good], "give two results folders")
        self.expect_error(["--bogus", good, good], "unknown option '--bogus'")
        self.expect_error(["--json", "--html", good, good], "give one")
        blocker = os.path.join(self.tmp, "file")
        open(blocker, "w").close()
        p = diff("--out", os.path.join(blocker, "sub"), good, good)
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot make", p.stderr)


@unittest.skipUnless(common.proxy_installed("haproxy"), "haproxy is not installed")
class RealRuns(unittest.TestCase):
    """Three small haproxy runs: the same twice, and once with --retries, which changes what
    fail_first_then_ok answers (a retry hides the fault: 200 where one attempt gives 502)."""

    SCENARIOS = "ok,fail_first_then_ok"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-diff-run-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.runs, procs = {}, []
        # side by side: each is a few seconds of waiting for haproxy to start and stop
        for name, extra in (("one", []), ("two", []), ("retries", ["--retries"])):
            cls.runs[name] = os.path.join(cls.tmp, name)
            procs.append(subprocess.Popen([BADUP, "run", "--proxy", "haproxy", "--scenario", cls.SCENARIOS, "--jobs",
                                           "1", "--out", cls.runs[name]] + extra, cwd=REPO, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for p, out in zip(procs, cls.runs.values()):
            text = p.communicate(timeout=120)[0]
            assert os.path.exists(os.path.join(out, "results.json")), text
        # A reference of its own that saw this haproxy answer `ok` two ways: the run's 200 is
        # one of them, so the cell is unstable and results.json names its alternatives.
        with open(os.path.join(cls.runs["one"], "results.json")) as f:
            version = json.load(f)["cases"][0]["proxy_version"]
        ref = os.path.join(cls.tmp, "ref")
        os.makedirs(ref)
        with open(os.path.join(ref, "haproxy.json"), "w") as f:
            json.dump({"proxy": "haproxy", "versions": {version: {"binary": "/usr/sbin/haproxy", "scenarios": {
                "ok": {"got": "502", "seen": ["502", "200"], "expect": "200"}}}}}, f)
        cls.runs["varies"] = os.path.join(cls.tmp, "varies")
        p = subprocess.run([BADUP, "run", "--proxy", "haproxy", "--scenario", "ok", "--reference", ref, "--out",
                            cls.runs["varies"]], cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr

    def test_the_same_run_twice_is_no_change(self):
        p = diff(self.runs["one"], self.runs["two"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("0 changed, 0 unstable, 0 new, 0 vanished, 2 same", p.stdout)

    def test_retries_change_the_outcome(self):
        p = diff(self.runs["one"], self.runs["retries"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("  retries: false -> true\n", p.stdout)
        self.assertIn("  haproxy / fail_first_then_ok: 502 -> 200 (pass -> pass), expect 502 -> 200\n", p.stdout)
        p = diff("--json", self.runs["one"], self.runs["retries"])
        doc = json.loads(p.stdout)
        self.assertEqual([(c["scenario"], c["a"]["got"], c["b"]["got"]) for c in doc["changed"]],
                         [("fail_first_then_ok", "502", "200")])

    def test_a_cell_the_reference_saw_vary_is_unstable_not_changed(self):
        with open(os.path.join(self.runs["varies"], "results.json")) as f:
            ok = json.load(f)["cases"][0]
        self.assertEqual((ok["verdict"], ok["alternatives"]), ("unstable", "502, 200"))
        p = diff(self.runs["one"], self.runs["varies"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # fail_first_then_ok vanished
        self.assertIn("not counted as a change (1):\n  haproxy / ok: 200 -> 502|200 (pass -> unstable)\n", p.stdout)
        self.assertIn("vanished: only A has these (1):\n  haproxy / fail_first_then_ok: 502 (pass)\n", p.stdout)

    def test_against_the_shipped_reference(self):
        p = diff(self.runs["one"], "reference")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("(reference: ", p.stdout)
        self.assertIn("2 same", p.stdout)
        doc = json.loads(diff("--json", self.runs["one"], "reference").stdout)
        self.assertRegex(doc["proxies"][0]["b"]["note"],
                         r"^haproxy \S+ from haproxy\.json: the version the other side ran$")


if __name__ == "__main__":
    common.require_binary()
    unittest.main()
