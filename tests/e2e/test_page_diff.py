#!/usr/bin/env python3
"""The results page with a diff.json beside results.json (`badup diff --out DIR A B`, then
`badup page DIR`): the page embeds the diff, says which side its folder is, shows the counts and
the listed cells ("Changes against" the other run) and marks the cells that differ in the matrix;
a diff.json of an earlier run of the folder, of two other runs, one that does not parse and one
too large to embed are each named as such and mark nothing.

Small folders written by hand (a few cases each: fast), checked as files and, when Chromium is
there, in the browser over the DevTools protocol (tests/e2e/cdp.py) as test_page.py does.
Standard library only."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import cdp
import common
from test_page import CHROMIUM, IN_CI, split_page

STARTED_A, STARTED_B = "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z"


def case(proxy, scenario, got, verdict="pass", expect=None):
    return {"proxy": proxy, "proxy_version": "2.6.12", "scenario": scenario, "expect": expect or got, "got": got,
            "verdict": verdict, "reason": "", "elapsed_ms": 1.0}


def results(started, cases):
    return {"started": started, "duration_s": 1.0, "repeat": 1, "cases": cases,
            "timeouts": {"connect_s": 1.0, "read_s": 2.0, "retries": False, "client_s": 2.0, "max_body": 1048576}}


# B against A: stall_headers changed (504 -> 502), fresh is new, gone vanished, two the same.
CASES_A = [case("haproxy", "ok", "200"), case("haproxy", "stall_headers", "504"), case("haproxy", "gone", "502"),
           case("nginx", "ok", "200")]
CASES_B = [case("haproxy", "ok", "200"), case("haproxy", "stall_headers", "502", "fail", "504"),
           case("haproxy", "fresh", "502"), case("nginx", "ok", "200")]


def run(args):
    p = subprocess.run([common.BADUP] + args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       errors="replace", timeout=60)
    for marker in common.SANITIZER_MARKERS:
        if marker in p.stderr:
            raise AssertionError("sanitizer report from badup %s:\n%s" % (" ".join(args), p.stderr))
    return p


class Folders:
    """The folders, written once for the module: A and B (B's page made by `badup diff --out B`),
    A's page by `badup diff --out A` (A is the older side), and copies of B's diff.json where it
    does not belong."""
    root = None

    @classmethod
    def get(cls):
        if cls.root is None:
            cls.root = tempfile.mkdtemp(prefix="badup-e2e-pagediff-")
            cls.make()
        return cls

    @classmethod
    def folder(cls, name, doc):
        d = os.path.join(cls.root, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "results.json"), "w") as f:
            json.dump(doc, f)
        return d

    @classmethod
    def make(cls):
        a, b = cls.folder("A", results(STARTED_A, CASES_A)), cls.folder("B", results(STARTED_B, CASES_B))
        cls.diff_b = run(["diff", "--out", b, a, b])
        cls.diff_a = run(["diff", "--out", a, a, b])
        with open(os.path.join(b, "diff.json")) as f:
            diff = json.load(f)
        # Another run altogether, holding B's diff.json: neither side.
        other = cls.folder("other", results("2026-11-30T12:00:00Z", CASES_B))
        # A later run written into B's folder (its path, another start time): stale.
        stale = cls.folder("stale", results("2026-11-30T13:00:00Z", CASES_B))
        diff_stale = json.loads(json.dumps(diff))
        diff_stale["b"]["path"] = os.path.join(stale, "results.json")
        # The same run as B, but its stall_headers cell rewritten since: listed yet not matching.
        edited = cls.folder("edited", results(STARTED_B, CASES_B[:1] + [case("haproxy", "stall_headers", "503",
                                                                             "fail", "504")] + CASES_B[2:]))
        # A proxy name that tries to close the data's <script>.
        hostile = json.loads(json.dumps(diff))
        hostile["changed"][0]["proxy"] = "</script><script>document.title='pwned'</script>"
        for d, doc in ((other, hostile), (stale, diff_stale), (edited, diff)):
            with open(os.path.join(d, "diff.json"), "w") as f:
                json.dump(doc, f)
        broken = cls.folder("broken", results(STARTED_B, CASES_B))
        with open(os.path.join(broken, "diff.json"), "w") as f:
            f.write('{"a": {"kind": "results"')
        notdiff = cls.folder("notdiff", results(STARTED_B, CASES_B))
        with open(os.path.join(notdiff, "diff.json"), "w") as f:
            f.write("[1, 2, 3]")
        huge = cls.folder("huge", results(STARTED_B, CASES_B))
        with open(os.path.join(huge, "diff.json"), "w") as f:
            f.truncate(3 << 20)  # sparse: its size is all that matters
        cls.pages = {}
        for name in ("other", "stale", "edited", "broken", "notdiff", "huge"):
            p = run(["page", os.path.join(cls.root, name)])
            assert p.returncode == 0, p.stderr
        for name in ("A", "B", "other", "stale", "edited", "broken", "notdiff", "huge"):
            with open(os.path.join(cls.root, name, "index.html"), encoding="utf-8") as f:
                cls.pages[name] = f.read()

    @classmethod
    def data(cls, name):
        return json.loads(split_page(cls.pages[name])[1])

    @classmethod
    def cleanup(cls):
        if cls.root:
            shutil.rmtree(cls.root, ignore_errors=True)


def setUpModule():
    common.require_binary()


def tearDownModule():
    Folders.cleanup()


class PageDiffFileTest(unittest.TestCase):
    """What each page embeds of its diff.json, and which side it says the folder is."""

    @classmethod
    def setUpClass(cls):
        cls.f = Folders.get()

    def test_diff_out_rewrites_the_page_of_that_side(self):
        self.assertEqual(self.f.diff_b.returncode, 1, self.f.diff_b.stderr)
        self.assertEqual(self.f.diff_a.returncode, 1, self.f.diff_a.stderr)
        b, a = self.f.data("B")["diff"], self.f.data("A")["diff"]
        self.assertEqual((b["state"], b["note"]), ("b", None))
        self.assertEqual((a["state"], a["note"]), ("a", None))
        with open(os.path.join(self.f.root, "B", "diff.json")) as fh:
            self.assertEqual(b["doc"], json.load(fh))
        self.assertEqual({k: b["doc"]["counts"][k] for k in ("changed", "unstable", "new", "vanished", "same")},
                         {"changed": 1, "unstable": 0, "new": 1, "vanished": 1, "same": 2})

    def test_a_page_without_diff_json_has_no_diff(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-pagediff-none-")
        try:
            with open(os.path.join(d, "results.json"), "w") as f:
                json.dump(results(STARTED_A, CASES_A), f)
            self.assertEqual(run(["page", d]).returncode, 0)
            with open(os.path.join(d, "index.html"), encoding="utf-8") as f:
                self.assertNotIn("diff", json.loads(split_page(f.read())[1]))
            # --out into a folder that is no results folder writes diff.json alone
            out = os.path.join(d, "out")
            p = run(["diff", "--out", out, os.path.join(self.f.root, "A"), os.path.join(self.f.root, "B")])
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(os.listdir(out), ["diff.json"])
        finally:
            shutil.rmtree(d)

    def test_mismatched_diff_json_is_named_and_marks_nothing(self):
        other, stale = self.f.data("other")["diff"], self.f.data("stale")["diff"]
        self.assertEqual(other["state"], "neither")
        self.assertIn("neither side", other["note"])
        self.assertEqual(stale["state"], "stale")
        self.assertIn("earlier run of this folder", stale["note"])
        self.assertIn(STARTED_B, stale["note"])

    def test_unreadable_and_too_large_are_said_never_embedded(self):
        for name, state, words in (("broken", "unreadable", "does not parse"), ("notdiff", "unreadable", "not a diff"),
                                   ("huge", "too_large", "more than the page embeds")):
            d = self.f.data(name)["diff"]
            self.assertEqual((d["state"], d["doc"]), (state, None), name)
            self.assertIn(words, d["note"], name)
        self.assertLess(len(self.f.pages["huge"]), len(self.f.pages["B"]), "the 3 MiB file is not in the page")

    def test_diff_data_cannot_close_its_element(self):
        _, data_text = split_page(self.f.pages["other"])
        self.assertNotIn("<", data_text)
        self.assertIn("</script><script>", self.f.data("other")["diff"]["doc"]["changed"][0]["proxy"])

    def test_help_says_so(self):
        self.assertIn("index.html", run(["diff", "--help"]).stdout)
        self.assertIn("diff.json", run(["page", "--help"]).stdout)


class PageDiffInBrowserTest(unittest.TestCase):
    """The section and the marks as drawn, one browser for every page."""

    @classmethod
    def setUpClass(cls):
        if not CHROMIUM:
            if IN_CI:
                raise RuntimeError("chromium missing in CI (scripts/install-deps.sh test installs it)")
            raise unittest.SkipTest("chromium not installed (apt-get install chromium)")
        cls.f = Folders.get()
        cls.b = cdp.Browser(CHROMIUM)
        try:
            cls.b.call("Page.enable")
        except BaseException:
            cls.b.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.b.close()

    def load(self, name):
        self.b.call("Page.navigate", {"url": "file://" + os.path.join(self.f.root, name, "index.html")})
        self.b.wait_event("Page.loadEventFired")
        self.assertTrue(self.b.evaluate("!!document.body.dataset.ready"), "the page's script ran to the end")

    def section(self):
        return self.b.evaluate("""(() => { const q = s => document.querySelector(s);
            return {heading: (q('#diff h2') || {}).textContent, state: (q('#diff') || {dataset: {}}).dataset.state,
              note: (q('#diff-note') || {}).textContent, mismatch: (q('#diff-mismatch') || {}).textContent,
              counts: Object.fromEntries([...document.querySelectorAll('#diff-counts li')].map(li =>
                [li.dataset.count, li.textContent])),
              rows: [...document.querySelectorAll('#diff-cells tbody tr')].map(tr => [...tr.cells].map(c => c.textContent)),
              links: [...document.querySelectorAll('#diff button.diff-open')].map(b => b.textContent),
              marks: [...document.querySelectorAll('#matrix button.diff-mark')].map(b =>
                [b.closest('tr').dataset.scenario, b.dataset.diff, b.title,
                 getComputedStyle(b, '::after').borderRightColor]),
              title: document.title}; })()""")

    def test_newer_side_shows_changes_against_a_and_marks_cells(self):
        self.load("B")
        s = self.section()
        self.assertEqual(s["state"], "b")
        self.assertTrue(s["heading"].startswith("Changes against "), s["heading"])
        self.assertIn(os.path.join("A", "results.json"), s["heading"])
        self.assertEqual({k: s["counts"][k] for k in ("changed", "unstable", "new", "vanished", "same")},
                         {"changed": "1 changed", "unstable": "0 unstable", "new": "1 new", "vanished": "1 vanished",
                          "same": "2 same"})
        self.assertEqual(s["rows"], [["changed", "haproxy / stall_headers", "504 (pass)", "502 (fail)"],
                                     ["new", "haproxy / fresh", "-", "502 (pass)"],
                                     ["vanished", "haproxy / gone", "502 (pass)", "-"]])
        self.assertEqual(s["links"], ["haproxy / stall_headers", "haproxy / fresh"], "gone is not in this folder")
        marks = {m[0]: m[1:3] for m in s["marks"]}
        self.assertEqual(marks, {"stall_headers": ["changed", "changed: was 504 (pass) in A"],
                                 "fresh": ["new", "new: not in A"]})
        self.assertTrue(all(m[3] not in ("", "rgba(0, 0, 0, 0)") for m in s["marks"]), "the corner is drawn")
        # a listed cell opens its case
        self.b.evaluate("document.querySelector('#diff button.diff-open').click()")
        self.assertEqual(self.b.evaluate("document.querySelector('#evidence-title').textContent"),
                         "haproxy / stall_headers")
        self.assertEqual(self.b.evaluate("document.querySelector('#matrix button[aria-pressed=true]').title"),
                         "changed: was 504 (pass) in A")

    def test_older_side_says_what_b_has(self):
        self.load("A")
        s = self.section()
        self.assertEqual(s["state"], "a")
        self.assertIn(os.path.join("B", "results.json"), s["heading"])
        self.assertEqual({m[0]: m[1:3] for m in s["marks"]}, {"stall_headers": ["changed", "changed: is 502 (fail) in B"],
                                                               "gone": ["vanished", "vanished: not in B"]})

    def test_mismatched_pages_say_so_and_mark_nothing(self):
        for name, state, words in (("other", "neither", "neither side"), ("stale", "stale", "earlier run"),
                                   ("broken", "unreadable", "does not parse"),
                                   ("huge", "too_large", "more than the page embeds")):
            self.load(name)
            s = self.section()
            self.assertEqual(s["state"], state, name)
            self.assertIn(words, s["note"] or "", name)
            self.assertEqual((s["marks"], s["links"]), ([], []), name)
            self.assertNotEqual(s["title"], "pwned")
            self.assertTrue(self.b.evaluate("document.querySelectorAll('#matrix button.cell').length") == 4, name)

    def test_cell_changed_since_the_diff_is_not_marked(self):
        self.load("edited")
        s = self.section()
        self.assertEqual(s["state"], "b")
        self.assertIn("1 cell listed in diff.json no longer matches", s["mismatch"])
        self.assertEqual([m[:2] for m in s["marks"]], [["fresh", "new"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
