#!/usr/bin/env python3
"""badup merge: the shards of a run, merged, are the unsharded run; and --shard auto.

One small matrix (haproxy and nginx x six fast scenarios, one of them skipped for both)
runs unsharded and as four shards chosen by --shard auto from BADUP_SHARD_INDEX/TOTAL; the
merge of the four must equal the unsharded run cell for cell, in the same order, and its
results.csv, junit.xml and report.md must agree with the unsharded ones. Then every folder
that is not a shard of that run is refused with its reason and exit 2: a shard missing or
twice, another shard total, other settings, another catalog, another proxy version, an
interrupted shard, a folder that is no results folder, a broken results.json, --out that
is a shard. Real haproxy and nginx on loopback, on ports the kernel hands out.
"""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BADUP = os.environ.get("BADUP") or os.path.join(REPO, "build", "badup")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
SCENARIOS = "ok,refuse,empty_reply,close_mid_body,hop_by_hop_stripped,fwd_refused"
SHARD_VARS = ("BADUP_SHARD_INDEX", "BADUP_SHARD_TOTAL", "CI_NODE_INDEX", "CI_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB",
              "BUILDKITE_PARALLEL_JOB_COUNT", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SHARD_VARS}
    env.update(extra)
    return env


def checked(p):
    for m in SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


def run_args(out, *extra):
    return [BADUP, "run", "--proxy", "haproxy,nginx", "--scenario", SCENARIOS, "--connect-timeout", "0.5",
            "--read-timeout", "0.5", "--jobs", "1", "-q", "--out", out] + list(extra)


def merge(*args, timeout=60):
    return checked(subprocess.run([BADUP, "merge"] + list(args), cwd=REPO, capture_output=True, text=True,
                                  timeout=timeout, env=clean_env()))


def load(folder):
    with open(os.path.join(folder, "results.json")) as f:
        return json.load(f)


def cells(doc):
    return [(c["proxy"], c["scenario"], c["expect"], c["got"], c["verdict"], c["cell"]) for c in doc["cases"]]


def csv_rows(folder):
    with open(os.path.join(folder, "results.csv"), newline="") as f:
        return [(r["proxy"], r["scenario"], r["expect"], r["got"], r["verdict"]) for r in csv.DictReader(f)]


def section(folder, title):
    with open(os.path.join(folder, "report.md")) as f:
        text = f.read()
    m = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % re.escape(title), text, re.S | re.M)
    return m.group(1) if m else None


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for binary in ("/usr/sbin/haproxy", "/usr/sbin/nginx"):
            if not os.access(binary, os.X_OK):
                raise unittest.SkipTest(f"{binary} is not installed (make test installs it)")
        cls.tmp = tempfile.mkdtemp(prefix="badup-merge-")
        cls.full = os.path.join(cls.tmp, "full")
        cls.shards = [os.path.join(cls.tmp, "shard%d" % i) for i in range(1, 5)]
        t0 = time.monotonic()
        # the unsharded run and the four shards at once: five small runs, one job each
        procs = [subprocess.Popen(run_args(cls.full), cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)]
        for i, out in enumerate(cls.shards, 1):
            procs.append(subprocess.Popen(run_args(out, "--shard", "auto"), cwd=REPO,
                                          env=clean_env(BADUP_SHARD_INDEX=str(i), BADUP_SHARD_TOTAL="4"),
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        cls.runs = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=240)
            for m in SANITIZER_MARKERS:
                assert m not in stderr, stderr
            cls.runs.append((p.returncode, stdout, stderr))
        cls.run_seconds = time.monotonic() - t0
        cls.merged = os.path.join(cls.tmp, "merged")
        # shards given out of order: the merge puts them back in the unsharded order
        cls.merge_p = merge(cls.shards[2], cls.shards[0], cls.shards[3], cls.shards[1], "--out", cls.merged)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def test_runs_and_merge_succeed(self):
        for rc, stdout, stderr in self.runs:
            self.assertEqual(rc, 0, stdout + stderr)
        self.assertEqual(self.merge_p.returncode, 0, self.merge_p.stdout + self.merge_p.stderr)
        self.assertIn("4 shards merged: 12 cases", self.merge_p.stdout)

    def test_merged_equals_unsharded_cell_for_cell(self):
        full, merged = load(self.full), load(self.merged)
        self.assertEqual(len(full["cases"]), 12)
        self.assertEqual(cells(merged), cells(full))
        # every shard ran a share: four of them, nothing twice
        per_shard = [len(load(s)["cases"]) for s in self.shards]
        self.assertEqual(sum(per_shard), 12)
        self.assertTrue(all(per_shard), per_shard)
        for key in ("timeouts", "repeat", "client_tls", "upstream_tls", "client_http2", "selection", "catalog",
                    "badup_version", "proxies"):
            self.assertEqual(merged[key], full[key], key)
        self.assertEqual([s["shard"] for s in merged["shards"]], ["1/4", "2/4", "3/4", "4/4"])
        self.assertNotIn("shard", merged)

    def test_csv_junit_report_agree(self):
        self.assertEqual(csv_rows(self.merged), csv_rows(self.full))
        # JUnit: one testsuite per shard, named for it; the same testcases and verdicts
        full = ET.parse(os.path.join(self.full, "junit.xml")).getroot()
        merged = ET.parse(os.path.join(self.merged, "junit.xml")).getroot()
        self.assertEqual([s.get("name") for s in full], ["badup run"])
        self.assertEqual([s.get("name") for s in merged], ["badup run shard %d/4" % i for i in range(1, 5)])

        def testcases(root):
            return sorted((c.get("classname"), c.get("name"), tuple(sorted(x.tag for x in c))) for s in root for c in s)

        self.assertEqual(testcases(merged), testcases(full))
        for attr in ("tests", "failures", "errors", "skipped"):
            self.assertEqual(merged.get(attr), full.get(attr), attr)
            self.assertEqual(sum(int(s.get(attr)) for s in merged), int(full.get(attr)), attr)
        # each shard's own junit.xml names its shard
        shard2 = ET.parse(os.path.join(self.shards[1], "junit.xml")).getroot()
        self.assertEqual([s.get("name") for s in shard2], ["badup run shard 2/4"])
        for title in ("Outcomes", "Proxies", "Not passing", "Skipped", "Cases"):
            self.assertEqual(re.sub(r"\d", "", section(self.merged, title)), re.sub(r"\d", "", section(self.full, title)),
                             title)
        self.assertIn("- [haproxy / ok](cases/haproxy/ok/): pass, 200\n", section(self.merged, "Cases"))
        self.assertNotIn("fwd_refused", section(self.merged, "Cases"))
        self.assertIn("Merged by `badup merge` from 4 shards", section(self.merged, "Provenance"))

    def test_case_folders_are_hard_links_of_the_shards(self):
        for c in load(self.merged)["cases"]:
            if c["case_dir"] is None:
                self.assertEqual(c["verdict"], "skipped", c)
                continue
            merged_dir = os.path.join(self.merged, c["case_dir"])
            self.assertTrue(os.path.isdir(merged_dir), merged_dir)
            # six scenarios a proxy: the shard of (proxy p, scenario s) is (s + p) % 4
            shard = self.shards[(c["cell"] % 6 + c["cell"] // 6) % 4]
            names = [n for n in os.listdir(os.path.join(shard, c["case_dir"]))
                     if os.path.isfile(os.path.join(shard, c["case_dir"], n))]
            self.assertTrue(names, c["case_dir"])
            for n in names:
                a, b = os.stat(os.path.join(shard, c["case_dir"], n)), os.stat(os.path.join(merged_dir, n))
                self.assertEqual((a.st_dev, a.st_ino), (b.st_dev, b.st_ino), n)

    def test_provenance(self):
        full, shard = load(self.full), load(self.shards[2])
        self.assertEqual(full["command"][:2], ["badup", "run"])
        self.assertIn(SCENARIOS, full["command"])
        self.assertEqual(full["selection"], {"proxy": "haproxy,nginx", "scenario": SCENARIOS})
        self.assertIsNone(full["shard_from"])
        self.assertIsNone(full["proxy_config"])
        self.assertRegex(full["badup_version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(full["catalog"]["cells"], 12)
        self.assertEqual([p["name"] for p in full["proxies"]], ["haproxy", "nginx"])
        self.assertEqual(shard["shard"], "3/4")
        self.assertEqual(shard["shard_from"]["how"], "auto")
        self.assertEqual(shard["shard_from"]["variables"], {"BADUP_SHARD_INDEX": "3", "BADUP_SHARD_TOTAL": "4"})
        self.assertEqual(full["retries_seen"], 0)
        prov = section(self.full, "Provenance")
        self.assertIn("- command: `badup run --proxy haproxy,nginx", prov)
        self.assertIn("--shard auto", section(self.shards[2], "Provenance"))

    # ---- refusals ---------------------------------------------------------------------

    def copy_shard(self, i, name, edit=None):
        dst = os.path.join(self.tmp, name)
        shutil.rmtree(dst, True)
        shutil.copytree(self.shards[i], dst, symlinks=True)
        if edit:
            doc = load(dst)
            edit(doc)
            with open(os.path.join(dst, "results.json"), "w") as f:
                json.dump(doc, f)
        return dst

    def refused(self, args, says):
        out = os.path.join(self.tmp, "refused-out")
        p = merge(*args, "--out", out)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn(says, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "results.json")), "a refused merge wrote results")
        return p

    def test_refuses_a_missing_or_duplicated_shard(self):
        s = self.shards
        self.refused([s[0], s[1], s[3]], "shard 3/4 is missing")
        self.refused([s[0], s[1], s[1], s[3]], "shard 2/4 is given twice")

    def test_refuses_other_shard_totals(self):
        self.refused(self.shards + [self.full], "is of 4 shards: not one run's shards")

    def test_refuses_other_settings_and_catalogs(self):
        s = self.shards

        def timeouts(d):
            d["timeouts"]["read_s"] = 2

        def retries(d):
            d["timeouts"]["retries"] = True

        def flag(key):
            return lambda d: d.__setitem__(key, True)

        def repeat(d):
            d["repeat"] = 3

        def selection(d):
            d["selection"]["scenario"] = "ok"

        def catalog(d):
            d["catalog"]["digest"] = "0" * 64

        def version(d):
            d["proxies"][0]["version"] = "0.0.1"

        for name, edit, says in (("timeouts", timeouts, "differ in timeouts"),
                                 ("retries", retries, "differ in timeouts, retries"),
                                 ("client_tls", flag("client_tls"), "differ in --client-tls"),
                                 ("upstream_tls", flag("upstream_tls"), "differ in --upstream-tls"),
                                 ("client_http2", flag("client_http2"), "differ in --client-http2"),
                                 ("repeat", repeat, "differ in --repeat"),
                                 ("selection", selection, "differ in --proxy / --scenario"),
                                 ("catalog", catalog, "differ in the selected scenarios"),
                                 ("version", version, "ran different versions of")):
            with self.subTest(name):
                other = self.copy_shard(3, "other-" + name, edit)
                self.refused([s[0], s[1], s[2], other], says)

    def test_interrupted_shard_is_refused_unless_allow_partial(self):
        s = self.shards
        cut = self.copy_shard(1, "interrupted", lambda d: d.__setitem__("interrupted", True))
        self.refused([s[0], cut, s[2], s[3]], "is an interrupted run")
        out = os.path.join(self.tmp, "partial")
        p = merge(s[0], cut, s[2], s[3], "--out", out, "--allow-partial")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(load(out)["interrupted"])

    def test_refuses_what_is_no_results_folder(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty, exist_ok=True)
        self.refused([self.shards[0], empty], "is not a results folder: no results.json in it")
        broken = self.copy_shard(0, "broken")
        with open(os.path.join(broken, "results.json"), "w") as f:
            f.write('{"cases": [')
        p = self.refused([broken, self.shards[1]], "broken/results.json: broken: line")
        noshape = self.copy_shard(0, "noshape", lambda d: d["cases"][0].pop("cell"))
        self.refused([noshape, self.shards[1]], "noshape/results.json: broken: case 1 has no")
        self.refused([os.path.join(self.tmp, "nope")], "nope: No such file or directory")
        del p

    def test_refuses_out_that_is_a_shard_and_needs_out(self):
        p = merge(*self.shards, "--out", self.shards[0])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("is one of the shards", p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.shards[0], "results.json")))
        p = merge(*self.shards)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--out DIR is required", p.stderr)
        p = merge("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: badup merge", p.stdout)

    def test_refuses_out_inside_a_shard_or_holding_one(self):
        s = self.shards
        before = load(s[1])
        link = os.path.join(self.tmp, "link-to-shard2")
        if not os.path.islink(link):
            os.symlink(s[1], link)
        for out, says in ((os.path.join(s[1], "cases", "haproxy", "ok", "merged"), "is inside the shard"),
                          (os.path.join(s[1], "sub"), "is inside the shard"),
                          (os.path.join(s[1], "new", "..", "deeper", "x"), "is inside the shard"),
                          (os.path.join(link, "cases", "new"), "is inside the shard"),
                          (self.tmp, "is inside --out"),
                          (os.path.join(s[0], ".."), "is inside --out")):
            with self.subTest(out):
                p = merge(*s, "--out", out)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(says, p.stderr)
        # nothing written, the shard untouched
        self.assertFalse(os.path.exists(os.path.join(s[1], "sub")))
        self.assertFalse(os.path.exists(os.path.join(s[1], "deeper")))
        self.assertFalse(os.path.exists(os.path.join(s[1], "cases", "new")))
        self.assertEqual(load(s[1]), before)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "full", "results.json")))

    def test_cells_follow_the_shard_rule(self):
        # each shard holds its own cells: (scenario + proxy) % 4, counted among the selected
        full = load(self.full)
        scenarios = sorted({c["scenario"] for c in full["cases"]}, key=lambda n: [c["scenario"] for c in full[
            "cases"]].index(n))
        proxies = [c["proxy"] for c in full["cases"]][::len(scenarios)]
        for i, shard in enumerate(self.shards):
            for c in load(shard)["cases"]:
                s, p = scenarios.index(c["scenario"]), proxies.index(c["proxy"])
                self.assertEqual(c["cell"], p * len(scenarios) + s)
                self.assertEqual((s + p) % 4, i, c)

    def test_refuses_cells_that_are_not_the_shards(self):
        s = self.shards
        mine = load(s[0])["cases"]
        other = load(s[1])["cases"][0]

        def drop(d):
            d["cases"].pop()

        def twice(d):
            d["cases"].append(dict(d["cases"][0]))

        def outside(d):
            d["cases"][0]["cell"] = 12

        def foreign(d):
            d["cases"][0]["cell"] = other["cell"]

        def escape(d):
            d["cases"][0]["case_dir"] = "cases/%s/%s/../../../../shard3" % (mine[0]["proxy"], mine[0]["scenario"])

        def wrong_dir(d):
            ran = [c for c in d["cases"] if c["case_dir"]][0]
            ran["case_dir"] = "cases/%s/%s" % (other["proxy"], other["scenario"])

        for name, edit, says in (("drop", drop, "is missing (the catalog has 12 cells)"),
                                 ("twice", twice, "two shards, or one twice, hold it"),
                                 ("outside", outside, "outside the catalog's 0..11"),
                                 ("foreign", foreign, "belongs to shard 2/4, not 1/4"),
                                 ("escape", escape, "not cases/"),
                                 ("wrong_dir", wrong_dir, "not cases/")):
            with self.subTest(name):
                bad = self.copy_shard(0, "cells-" + name, edit)
                self.refused([bad, s[1], s[2], s[3]], says)
        gone = self.copy_shard(0, "cells-gone")
        ran = [c for c in load(gone)["cases"] if c["case_dir"]][0]
        shutil.rmtree(os.path.join(gone, ran["case_dir"]))
        self.refused([gone, s[1], s[2], s[3]], "is missing")

    def test_a_refusal_leaves_an_earlier_out_as_it_was(self):
        s = self.shards
        out = os.path.join(self.tmp, "kept")
        p = merge(*s, "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        before = load(out)
        # a case folder in two shards is found before the earlier merge is removed
        clash = self.copy_shard(0, "clash")
        theirs = [c for c in load(s[1])["cases"] if c["case_dir"]][0]["case_dir"]
        shutil.copytree(os.path.join(s[1], theirs), os.path.join(clash, theirs))
        for shards, says in (([clash, s[1], s[2], s[3]], "two shards hold this case"),
                             ([self.copy_shard(0, "kept-bad", lambda d: d["cases"].pop()), s[1], s[2], s[3]],
                              "is missing")):
            with self.subTest(says):
                p = merge(*shards, "--out", out)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(says, p.stderr)
                self.assertEqual(load(out), before)
                self.assertTrue(os.path.isdir(os.path.join(out, theirs)))

    def test_an_interrupted_merge_leaves_no_results_json_beside_part_of_its_cases(self):
        # Ctrl-C at a few moments, into a new folder and over an earlier merge: wherever it
        # lands, a results.json there is whole (every case folder it names is there), and
        # exit 130 (or death by the signal before merge set its handler) leaves none of its own
        earlier = os.path.join(self.tmp, "stop-earlier")
        for delay in (0, 0.005, 0.02, 0.05, 0.1):
            for out in (os.path.join(self.tmp, "stop-%s" % delay), earlier):
                with self.subTest(delay=delay, out=out):
                    if out == earlier and not os.path.exists(os.path.join(out, "results.json")):
                        self.assertEqual(merge(*self.shards, "--out", out).returncode, 0)
                    p = subprocess.Popen([BADUP, "merge", *self.shards, "--out", out, "-q"], cwd=REPO,
                                         env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    time.sleep(delay)
                    p.send_signal(signal.SIGINT)
                    stdout, stderr = p.communicate(timeout=60)
                    for m in SANITIZER_MARKERS:
                        self.assertNotIn(m, stderr)
                    self.assertIn(p.returncode, (0, 130, -signal.SIGINT), stdout + stderr)
                    results = os.path.join(out, "results.json")
                    if p.returncode == 0:
                        self.assertTrue(os.path.exists(results))
                    if os.path.exists(results):
                        for c in load(out)["cases"]:
                            if c["case_dir"]:
                                self.assertTrue(os.path.isdir(os.path.join(out, c["case_dir"])), c["case_dir"])
                    elif out != earlier:
                        self.assertNotEqual(p.returncode, 0)

    def test_a_replace_cut_short_is_no_results_folder_and_is_reusable(self):
        # what a replace stopped half way leaves: results.json gone first, part of cases/
        cut = os.path.join(self.tmp, "cut-replace")
        self.assertEqual(merge(*self.shards, "--out", cut).returncode, 0)
        os.unlink(os.path.join(cut, "results.json"))
        os.unlink(os.path.join(cut, "report.md"))
        shutil.rmtree(os.path.join(cut, "cases", "haproxy"))
        p = merge(cut, "--out", os.path.join(self.tmp, "from-cut"))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("is not a results folder: no results.json in it", p.stderr)
        p = merge(*self.shards, "--out", cut)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(cells(load(cut)), cells(load(self.full)))
        self.assertTrue(os.path.isdir(os.path.join(cut, "cases", "haproxy", "ok")))

    def test_out_follows_the_run_rules(self):
        # a folder someone else's files are in is left alone
        foreign = os.path.join(self.tmp, "foreign")
        os.makedirs(foreign, exist_ok=True)
        with open(os.path.join(foreign, "notes.txt"), "w") as f:
            f.write("mine\n")
        p = merge(*self.shards, "--out", foreign)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not empty and no badup run made it", p.stderr)
        # an earlier merge's folder is replaced
        again = os.path.join(self.tmp, "again")
        for _ in range(2):
            p = merge(*self.shards, "--out", again)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(cells(load(again)), cells(load(self.full)))


class ShardAuto(unittest.TestCase):
    def run_auto(self, env, out=None):
        tmp = tempfile.mkdtemp(prefix="badup-shard-auto-")
        self.addCleanup(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "out")
        p = checked(subprocess.run([BADUP, "run", "--proxy", "haproxy", "--scenario", "ok,empty_reply", "--jobs", "1",
                                    "-q", "--shard", "auto", "--out", out], cwd=REPO, capture_output=True, text=True,
                                   timeout=120, env=clean_env(**env)))
        p.out = out
        return p

    def test_inconsistent_variables_are_a_set_up_error(self):
        for env, says in (({"CI_NODE_INDEX": "2"}, "CI_NODE_INDEX is set but CI_NODE_TOTAL is not"),
                          ({"BADUP_SHARD_INDEX": "5", "BADUP_SHARD_TOTAL": "4"}, "want BADUP_SHARD_INDEX from 1"),
                          ({"BADUP_SHARD_INDEX": "1", "BADUP_SHARD_TOTAL": "2", "CI_NODE_INDEX": "2",
                            "CI_NODE_TOTAL": "2"}, "GitLab CI says shard 2/2")):
            with self.subTest(env=env):
                p = self.run_auto(env)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(says, p.stderr)
                self.assertFalse(os.path.exists(p.out), "a refused run made its folder")

    def test_zero_based_buildkite_and_no_variable(self):
        if not os.access("/usr/sbin/haproxy", os.X_OK):
            self.skipTest("haproxy is not installed")
        p = self.run_auto({"BUILDKITE_PARALLEL_JOB": "1", "BUILDKITE_PARALLEL_JOB_COUNT": "2"})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = load(p.out)
        self.assertEqual(doc["shard"], "2/2")
        # scenarios in name order: empty_reply is cell 0, ok cell 1, the second of two shards
        self.assertEqual([c["scenario"] for c in doc["cases"]], ["ok"])
        self.assertEqual(doc["shard_from"]["system"], "Buildkite")
        self.assertEqual(doc["shard_from"]["variables"],
                         {"BUILDKITE_PARALLEL_JOB": "1", "BUILDKITE_PARALLEL_JOB_COUNT": "2"})
        p = self.run_auto({})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("--shard auto: no CI shard variable is set", p.stderr)
        self.assertIn("1/1", p.stderr)
        doc = load(p.out)
        self.assertNotIn("shard", doc)
        self.assertEqual(len(doc["cases"]), 2)
        self.assertEqual(doc["shard_from"]["how"], "auto")


# A user's haproxy config that retries, though the run is without --retries.
RETRYING_HAPROXY = """\
global
    log stderr format raw local0 info
    pidfile ${dir}/haproxy.pid

defaults
    mode http
    log global
    option httplog
    timeout connect ${connect_timeout_ms}ms
    timeout server ${read_timeout_ms}ms
    timeout client 30s
    retries 3
    option redispatch
    retry-on all-retryable-errors

frontend fe
    bind 127.0.0.1:${proxy_port}
    default_backend be

backend be
    server up ${upstream_host}:${upstream_port}
"""


class RetriesSeen(unittest.TestCase):
    def test_a_config_that_retries_without_retries_is_told(self):
        if not os.access("/usr/sbin/haproxy", os.X_OK):
            self.skipTest("haproxy is not installed")
        tmp = tempfile.mkdtemp(prefix="badup-retries-seen-")
        self.addCleanup(shutil.rmtree, tmp, True)
        config = os.path.join(tmp, "my-haproxy.cfg")
        with open(config, "w") as f:
            f.write(RETRYING_HAPROXY)
        os.mkdir(os.path.join(tmp, "ref"))
        out = os.path.join(tmp, "out")
        p = checked(subprocess.run([BADUP, "run", "--proxy", "haproxy", "--scenario", "fail_first_then_ok,ok",
                                    "--proxy-config", config, "--reference", os.path.join(tmp, "ref"), "--out", out,
                                    "-q"], cwd=REPO, capture_output=True, text=True, timeout=120, env=clean_env()))
        # the first attempt is closed, haproxy's retry gets the 200: a failure against expect 502
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        doc = load(out)
        import hashlib
        with open(config, "rb") as f:
            self.assertEqual(doc["proxy_config"], {"path": config, "sha256": hashlib.sha256(f.read()).hexdigest()})
        self.assertEqual(doc["retries_seen"], 1)
        by = {c["scenario"]: c for c in doc["cases"]}
        self.assertEqual((by["fail_first_then_ok"]["upstream_attempts"], by["fail_first_then_ok"].get("retried")),
                         (2, True))
        self.assertNotIn("retried", by["ok"])
        prov = section(out, "Provenance")
        self.assertIn("retries seen: 1 case reached the upstream more often than the client sent requests", prov)
        self.assertIn("SHA-256 " + doc["proxy_config"]["sha256"], prov)


if __name__ == "__main__":
    unittest.main(verbosity=2)
