#!/usr/bin/env python3
"""index.html, the results page (`badup page DIR`, and `badup run` beside results.json), checked
as a file and in a real browser: a headless Chromium over the DevTools protocol on a pipe
(tests/e2e/cdp.py), standard library only.

The folder is synthetic and full-size: 12 proxies x 120 scenarios with case folders (a config,
upstream events), a proxy log line that tries to close the data's <script>, an events file too
large to embed whole, and two graphs. The browser loads the page from disk with name resolution
mapped to nothing, and the test checks that no request left the file, that the page is drawn
in under 1 s, that the matrix has the cells of results.json, that the filters hide what they
should, and that a click (mouse, or Enter on a focused cell) shows the case's evidence.

A screenshot of the page with a case open is saved as an artifact of the ctest build folder:
BUILD/Testing/artifacts/page.png (page-asan.png for the sanitized binary), BUILD being the
folder of $BADUP.

Without Chromium (apt-get install chromium) the browser tests are skipped,
except with CI=true (scripts/install-deps.sh test installs it): there it is a failure. The file
checks run either way."""

import base64
import html.parser
import json
import os
import re
import shutil
import struct
import tempfile
import time
import unittest
import zlib

import cdp
import common

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = cdp.find_chromium()

PROXIES = ["haproxy", "nginx", "apache", "squid", "varnish", "trafficserver", "caddy", "h2o", "lighttpd",
           "nghttpx", "tinyproxy", "envoy"]
FAMILY_SIZES = [("", 60), ("tls_", 15), ("client_tls_", 5), ("h2_", 15), ("req_", 15), ("fwd_", 10)]
SCENARIOS = [("%sfault_%02d" % (prefix or "upstream_", k)) for prefix, n in FAMILY_SIZES for k in range(n)]
HOSTILE_LOG = 'GET /</script><script>document.title="pwned"</script><!-- | second line'
HUGE_EVENTS = (0, 3)  # (proxy, scenario) index of the case whose events are too many to embed
VERDICT_OF = ["pass"] * 15 + ["deviates", "deviates", "unstable", "fail", "error", "skipped", "skipped", "not_run"]
LABEL = {"pass": "", "deviates": " ~", "unstable": " ?", "fail": " !", "error": " !", "skipped": "", "not_run": ""}


def config_port(pi, si):
    return 20000 + pi * 200 + si


def png_1x1():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def make_case(pi, si):
    proxy, scenario = PROXIES[pi], SCENARIOS[si]
    verdict = VERDICT_OF[(pi * 7 + si * 3) % len(VERDICT_OF)]
    got = {"pass": "502", "deviates": "503", "unstable": "closed", "fail": "200+truncated", "error": "error",
           "skipped": "skipped", "not_run": "not run"}[verdict]
    c = {"proxy": proxy, "proxy_version": "1.%d" % pi, "scenario": scenario, "expect": "502", "got": got,
         "verdict": verdict, "reason": "reason of %s/%s" % (proxy, scenario),
         "reference": "503" if verdict == "deviates" else None, "elapsed_ms": 10.0 + si, "upstream_attempts": 1,
         "proxy_log": "%s log line one for %s | %s log line two" % (proxy, scenario, proxy), "detail": ""}
    if verdict == "unstable":  # older folders say outcomes; newer ones alternatives (the reference's: no counts)
        c["outcomes"] = "closed x2, 502 x1"
        if pi % 2:
            c["alternatives"] = "closed, 502"
    if pi:  # the first proxy's cases as an older results.json has them: no case_dir
        c["case_dir"] = None if verdict in ("skipped", "not_run") else "cases/%s/%s" % (proxy, scenario)
    if si % 5 == 0:
        c["assertions"] = [{"id": "status", "expected": "502", "got": got, "ok": verdict == "pass"},
                           {"id": "headers.absent:X-Badup-Hop", "expected": "absent", "got": "'1'", "ok": False}]
    if (pi, si) == (1, 1):
        c["proxy_log"] = HOSTILE_LOG
    return c


def write_case_folder(root, pi, si):
    d = os.path.join(root, "cases", PROXIES[pi], SCENARIOS[si])
    os.makedirs(d)
    conf = ["# %s config for the case" % PROXIES[pi]] + ["setting_%02d value;" % k for k in range(50)]
    conf.insert(3, "listen 127.0.0.1:%d;" % config_port(pi, si))
    with open(os.path.join(d, PROXIES[pi] + ".conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    for name in ("proxy.err", "client-sent.txt"):  # the harness's files: no config
        with open(os.path.join(d, name), "w") as f:
            f.write("not a config\n")
    n = 2000 if (pi, si) == HUGE_EVENTS else 3
    events = [{"id": 1, "start_unix_ms": 1700000000000, "peer": "127.0.0.1:40000", "scenario": SCENARIOS[si],
               "upstream": 1, "requests": 1, "end": "fin", "dropped_events": 0,
               "events": [{"t_ms": 0.02, "what": "accept", "detail": "127.0.0.1:40000"}] +
                         [{"t_ms": 0.1 + k, "what": "step", "detail": "send %d" % k} for k in range(n)]}]
    with open(os.path.join(d, "upstream-events.json"), "w") as f:
        json.dump(events, f)


def make_folder(root):
    cases = [make_case(pi, si) for pi in range(len(PROXIES)) for si in range(len(SCENARIOS))]
    doc = {"started": "2026-01-02T03:04:05Z", "duration_s": 123.4, "interrupted": False, "jobs": 2, "repeat": 1,
           "timeouts": {"connect_s": 3.0, "read_s": 2.0, "retries": False, "client_s": 2.0, "max_body": 1048576},
           "client_tls": True, "upstream_tls": False, "client_http2": False,
           "command": ["badup", "run", "--proxy", "all", "--client-tls", "--set", "field=Via", "--seed", "7"],
           "set": ["field=Via"], "seed": 7, "proxy_config": None, "future_field": {"a": 1}, "cases": cases}
    with open(os.path.join(root, "results.json"), "w") as f:
        json.dump(doc, f, indent=2)
    for pi in range(len(PROXIES)):
        for si in range(len(SCENARIOS)):
            if cases[pi * len(SCENARIOS) + si]["verdict"] not in ("skipped", "not_run"):
                write_case_folder(root, pi, si)
    with open(os.path.join(root, "time_to_error.svg"), "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" '
                'fill="#36c"/></svg>\n')
    os.makedirs(os.path.join(root, "plots"))
    with open(os.path.join(root, "plots", "dot.png"), "wb") as f:
        f.write(png_1x1())
    return doc


def split_page(text):
    """(the page without its data element's content, the data's JSON text)."""
    m = re.search(r'(<script type="application/json" id="badup-data">)(.*?)(</script>)', text, re.S)
    assert m, "no data element"
    return text[:m.start(2)] + text[m.end(2):], m.group(2)


class Attributes(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href", "action", "srcset", "data", "poster")]


class PageFolder:
    """One synthetic folder and its index.html for the whole module (written once: ~1 s)."""
    root = None
    doc = None
    write_s = None

    @classmethod
    def get(cls):
        if cls.root is None:
            # In memory where there is /dev/shm: ~9000 small files, which some disks take 20 s to
            # create and the page needs only to read.
            shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
            cls.root = tempfile.mkdtemp(prefix="badup-page-", dir=shm)
            cls.doc = make_folder(cls.root)
            t = time.monotonic()
            p = common.badup_text(["page", cls.root])
            cls.write_s = time.monotonic() - t
            assert p.returncode == 0, p.stderr
        return cls

    @classmethod
    def cleanup(cls):
        if cls.root:
            shutil.rmtree(cls.root, ignore_errors=True)


def setUpModule():
    common.require_binary()


def tearDownModule():
    PageFolder.cleanup()


class PageFileTest(unittest.TestCase):
    """The file itself: one, self-contained, bounded, its data escaped."""

    @classmethod
    def setUpClass(cls):
        cls.f = PageFolder.get()
        with open(os.path.join(cls.f.root, "index.html"), encoding="utf-8") as fh:
            cls.text = fh.read()
        cls.rest, cls.data_text = split_page(cls.text)

    def test_size_is_reasonable_for_12_by_120(self):
        size = len(self.text.encode())
        print("\nindex.html for %d cases: %.2f MB, written in %.2f s" % (len(self.f.doc["cases"]), size / 1e6,
                                                                        self.f.write_s))
        self.assertLess(size, 5_000_000)

    def test_nothing_outside_is_referenced(self):
        for scheme in ("http://", "https://", "//cdn", "url(", "@import"):
            self.assertNotIn(scheme, self.rest.lower(), "the page's markup, style or script refers to " + scheme)
        p = Attributes()
        p.feed(self.rest)
        self.assertEqual(p.refs, [], "no attribute of the page's own markup may load or link anything")
        self.assertNotIn("link", p.tags)
        self.assertNotIn("iframe", p.tags)
        self.assertIn("default-src 'none'", self.rest)

    def test_data_is_the_results_and_cannot_close_its_element(self):
        self.assertNotIn("<", self.data_text, "every '<' of the data is escaped")
        data = json.loads(self.data_text)
        self.assertEqual(data["results"], self.f.doc)
        self.assertEqual(len(data["evidence"]), len(self.f.doc["cases"]))
        hostile = next(c for c in data["results"]["cases"] if c["proxy_log"] == HOSTILE_LOG)
        self.assertEqual(hostile["proxy_log"], HOSTILE_LOG)

    def test_case_evidence_is_embedded_and_bounded(self):
        data = json.loads(self.data_text)
        i = 2 * len(SCENARIOS) + 7
        ev = data["evidence"][i]
        self.assertEqual(ev["folder"], "cases/%s/%s" % (PROXIES[2], SCENARIOS[7]))
        self.assertEqual([c["name"] for c in ev["configs"]], [PROXIES[2] + ".conf"], "only the config, no log")
        text = "\n".join(data["lines"][k] for k in ev["configs"][0]["lines"])
        self.assertIn("listen 127.0.0.1:%d;" % config_port(2, 7), text)
        self.assertEqual([x.split() for x in ev["events"].splitlines()], [
            "connection 1 +0 ms from 127.0.0.1:40000: upstream 1, 1 request, end fin".split(),
            ["0.020", "accept", "127.0.0.1:40000"], ["0.100", "step", "send", "0"], ["1.100", "step", "send", "1"],
            ["2.100", "step", "send", "2"]])
        huge = data["evidence"][HUGE_EVENTS[0] * len(SCENARIOS) + HUGE_EVENTS[1]]
        self.assertIn("cut", huge["events_note"])
        self.assertLessEqual(len(huge["events"]), data["limits"]["events_bytes"])
        self.assertEqual(sorted(g["name"] for g in data["graphs"]), ["plots/dot.png", "time_to_error.svg"])

    def test_older_folder_with_missing_fields(self):
        d = tempfile.mkdtemp(prefix="badup-page-old-")
        try:
            with open(os.path.join(d, "results.json"), "w") as f:
                json.dump({"cases": [{"proxy": "a", "scenario": "../../etc", "verdict": "new_word"}],
                           "future_field": [1, 2]}, f)
            p = common.badup_text(["page", d])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.isfile(os.path.join(d, "index.html")))
            self.assertEqual([n for n in os.listdir(d) if ".tmp." in n], [], "no temporary file left")
        finally:
            shutil.rmtree(d)

    def test_usage_and_errors(self):
        self.assertEqual(common.badup_text(["page", "--help"]).returncode, 0)
        self.assertIn("index.html", common.badup_text(["page", "--help"]).stdout)
        self.assertEqual(common.badup_text(["page"]).returncode, 2)
        d = tempfile.mkdtemp(prefix="badup-page-bad-")
        try:
            p = common.badup_text(["page", d])
            self.assertEqual(p.returncode, 2)
            self.assertIn("results.json", p.stderr)
            with open(os.path.join(d, "results.json"), "w") as f:
                f.write('{"cases": [\n  1,\n  2 x')
            p = common.badup_text(["page", d])
            self.assertEqual(p.returncode, 2)
            self.assertIn("results.json:3:", p.stderr)  # line and column of the broken text
            # the file itself names the folder, as for `badup diff`
            with open(os.path.join(d, "results.json"), "w") as f:
                f.write('{"cases": []}')
            p = common.badup_text(["page", os.path.join(d, "results.json")])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.isfile(os.path.join(d, "index.html")))
            with open(os.path.join(d, "index.html")) as f:
                self.assertIn("<title>badup results</title>", f.read())
            with open(os.path.join(d, "results.json"), "w") as f:
                f.write('{"cases": [], "shards": [{"shard": "1/2"}, {"shard": "2/2"}]}')
            self.assertEqual(common.badup_text(["page", d]).returncode, 0)
            with open(os.path.join(d, "index.html")) as f:
                self.assertIn("<title>badup merge results</title>", f.read())  # a merged folder says so
            p = common.badup_text(["page", "--bogus", d])
            self.assertEqual(p.returncode, 2)
            # one error line (not getopt's and then ours), then the usual pointer to --help
            self.assertEqual(p.stderr.strip().splitlines(), ["badup page: unknown option --bogus",
                                                             "Try 'badup page --help'."])
            self.assertIn("--bogus", p.stderr)
        finally:
            shutil.rmtree(d)

    @unittest.skipUnless(common.proxy_installed("haproxy") or IN_CI, "haproxy not installed")
    def test_badup_run_writes_the_page(self):
        d = tempfile.mkdtemp(prefix="badup-page-run-")
        try:
            for _ in range(2):  # the second into the first's folder: index.html is one of a run's files
                p = common.badup_text(["run", "--proxy", "haproxy", "--scenario", "ok", "--out", d, "--quiet"])
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(os.path.join(d, "index.html"), encoding="utf-8") as fh:
                data = json.loads(split_page(fh.read())[1])
            with open(os.path.join(d, "results.json")) as fh:
                self.assertEqual(data["results"], json.load(fh))
            self.assertEqual(data["evidence"][0]["configs"][0]["name"], "haproxy.cfg")
        finally:
            shutil.rmtree(d)


class PageInBrowserTest(unittest.TestCase):
    """The page in headless Chromium, loaded once; each test resets the filters it touches."""

    @classmethod
    def setUpClass(cls):
        if not CHROMIUM:
            if IN_CI:
                raise RuntimeError("chromium missing in CI (scripts/install-deps.sh test installs it)")
            raise unittest.SkipTest("chromium not installed (apt-get install chromium)")
        cls.f = PageFolder.get()
        cls.url = "file://" + os.path.join(cls.f.root, "index.html")
        cls.b = cdp.Browser(CHROMIUM)
        try:
            for domain in ("Page", "Network", "Runtime"):
                cls.b.call(domain + ".enable")
            # Up to three loads, until one is under 1 s: the first also pays for the browser's
            # renderer start-up, and a machine busy with other suites slows any one of them;
            # neither is a property of the page.
            cls.loads = []
            while len(cls.loads) < 3 and not any(load < 1000 for load, _ in cls.loads):
                cls.b.call("Page.navigate", {"url": cls.url})
                cls.b.wait_event("Page.loadEventFired")
                cls.loads.append(cls.b.evaluate("[performance.getEntriesByType('navigation')[0].loadEventEnd, "
                                                "+document.body.dataset.ready]"))
        except BaseException:
            cls.b.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.b.close()

    def setUp(self):
        self.b.evaluate("""(() => { let changed = false;
            for (const x of document.querySelectorAll('#filters input')) { changed ||= !x.checked; x.checked = true; }
            if (changed) document.getElementById('filters').dispatchEvent(new Event('change')); })()""")

    def case_index(self, proxy, scenario):
        return next(i for i, c in enumerate(self.f.doc["cases"]) if c["proxy"] == proxy and c["scenario"] == scenario)

    def test_drawn_in_under_a_second_with_no_request_outside_the_file(self):
        print("\n%d cases: drawn, then loaded, %s ms after navigation start" % (
            len(self.f.doc["cases"]), " and ".join("%.0f, %.0f" % (ready, load) for load, ready in self.loads)))
        for load, ready in self.loads:
            self.assertLessEqual(ready, load, "the matrix is drawn by the load event")
        self.assertLess(min(load for load, _ in self.loads), 1000)
        urls = [e["params"]["request"]["url"] for e in self.b.events if e["method"] == "Network.requestWillBeSent"]
        self.assertIn(self.url, urls)
        self.assertEqual([u for u in urls if u != self.url and not u.startswith("data:")], [])
        resources = self.b.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        self.assertEqual([u for u in resources if not u.startswith("data:")], [])
        self.assertNotEqual(self.b.evaluate("document.title"), "pwned")

    def test_matrix_has_the_cells_of_results_json(self):
        cells = self.b.evaluate("""(() => {
            const heads = [...document.querySelectorAll('#matrix thead th[data-col]')].map(th => th.textContent);
            return [...document.querySelectorAll('#matrix tbody tr')].flatMap(tr =>
              [...tr.querySelectorAll('button.cell')].map(b => [heads[+b.parentNode.dataset.col], tr.dataset.scenario,
                b.textContent, b.dataset.verdict, [...b.classList].join(' ')]));
        })()""")
        want = []
        for c in self.f.doc["cases"]:
            label = "-" if c["verdict"] == "skipped" else "not run" if c["verdict"] == "not_run" else (
                "closed|502" if c["verdict"] == "unstable" else c["got"])  # as report.md: every outcome seen
            want.append([c["proxy"], c["scenario"], label + LABEL[c["verdict"]], c["verdict"]])
        self.assertEqual(sorted(x[:4] for x in cells), sorted(want))
        for x in cells:
            self.assertIn("v-" + x[3].replace("_", "-"), x[4].split())
        heads = self.b.evaluate("[...document.querySelectorAll('#matrix thead th[data-col]')].map(th => th.textContent)")
        self.assertEqual(heads, PROXIES)
        counts = self.b.evaluate("Object.fromEntries([...document.querySelectorAll('#counts li')].map(l => "
                                 "[l.dataset.verdict, parseInt(l.textContent)]))")
        for v, n in counts.items():
            self.assertEqual(n, sum(c["verdict"] == v for c in self.f.doc["cases"]), v)
        settings = self.b.evaluate("document.getElementById('settings').textContent")
        self.assertIn("badup run --proxy all --client-tls --set field=Via --seed 7", settings, "provenance is shown")
        self.assertIn("future_field", settings, "a field the page does not know is shown as it is")
        self.assertIn("proxy_confignone", settings, "a setting not given reads none")

    def visible(self):
        return self.b.evaluate("""[...document.querySelectorAll('#matrix tbody tr:not([hidden]) button.cell')]
            .filter(b => !b.classList.contains('filtered') && !b.parentNode.hidden)
            .map(b => [b.closest('tr').dataset.scenario, b.dataset.verdict, +b.dataset.case])""")

    def toggle(self, name, value):
        self.b.evaluate("document.querySelector('#filters input[name=%s][value=\"%s\"]').click()" % (name, value))

    def test_filters(self):
        total = len(self.visible())
        self.assertEqual(total, len(self.f.doc["cases"]))
        self.toggle("verdict", "pass")
        shown = self.visible()
        self.assertEqual(len(shown), sum(c["verdict"] != "pass" for c in self.f.doc["cases"]))
        self.assertNotIn("pass", {v for _, v, _ in shown})
        self.toggle("verdict", "pass")
        self.toggle("proxy", "nginx")
        self.assertTrue(self.b.evaluate("document.querySelector('#matrix thead th[data-col=\"1\"]').hidden"))
        self.assertNotIn("nginx", {self.f.doc["cases"][i]["proxy"] for _, _, i in self.visible()})
        self.toggle("proxy", "nginx")
        for family in self.b.evaluate("[...document.querySelectorAll('#filters input[name=family]')].map(x => x.value)"):
            if family != "h2":
                self.toggle("family", family)
        scenarios = {s for s, _, _ in self.visible()}
        self.assertEqual(scenarios, {s for s in SCENARIOS if s.startswith("h2_")})

    def open_by_mouse(self, i):
        rect = self.b.evaluate("""(() => { const b = document.querySelector('button[data-case="%d"]');
            b.scrollIntoView({block: 'center', inline: 'center'}); const r = b.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; })()""" % i)
        for kind in ("mousePressed", "mouseReleased"):
            self.b.call("Input.dispatchMouseEvent", {"type": kind, "x": rect[0], "y": rect[1], "button": "left",
                                                     "clickCount": 1})

    def test_click_shows_the_evidence(self):
        si = next(s for s in range(0, len(SCENARIOS), 5)
                  if self.f.doc["cases"][3 * len(SCENARIOS) + s]["verdict"] not in ("skipped", "not_run"))
        i = 3 * len(SCENARIOS) + si
        c = self.f.doc["cases"][i]
        self.open_by_mouse(i)
        # the panel has a column only once a case is open (until then the matrix has the width)
        self.assertEqual(self.b.evaluate("[document.querySelector('.layout').classList.contains('has-case'), "
                                         "getComputedStyle(document.getElementById('evidence')).display]"),
                         [True, "block"])
        ev = self.b.evaluate("""(() => { const q = s => document.querySelector(s);
            const t = s => (q(s) || {}).textContent;
            return {title: t('#evidence-title'), expected: t('[data-fact=expected]'), got: t('[data-fact=got]'),
              reason: t('[data-fact=reason]'), log: t('#evidence-log'), events: t('#evidence-events'),
              config: [...document.querySelectorAll('.evidence-config')].map(p => p.textContent).join('\\n'),
              reproduce: t('#evidence-reproduce'),
              assertions: [...document.querySelectorAll('#evidence-assertions tr')].slice(1)
                .map(tr => [...tr.cells].map(td => td.textContent)),
              pressed: q('button[aria-pressed=true]').dataset.case}; })()""")
        self.assertEqual(ev["title"], "%s / %s" % (c["proxy"], c["scenario"]))
        self.assertEqual((ev["expected"], ev["got"], ev["reason"]), (c["expect"], c["got"], c["reason"]))
        self.assertEqual(ev["assertions"], [[a["id"], a["expected"], a["got"], "yes" if a["ok"] else "no"]
                                            for a in c["assertions"]])
        self.assertEqual(ev["log"].split("\n"), c["proxy_log"].split(" | "))
        self.assertIn("listen 127.0.0.1:%d;" % config_port(3, si), ev["config"])
        self.assertIn("accept", ev["events"])
        self.assertEqual(ev["reproduce"].split("\n"), [
            "badup run --proxy %s --scenario %s --client-tls --connect-timeout 3 --set field=Via --seed 7" % (
                c["proxy"], c["scenario"]),
            "badup serve scenarios/%s.lua" % c["scenario"]])
        self.assertEqual(int(ev["pressed"]), i)
        self.save_screenshot()

    def key(self, name, code, text=None):
        for kind in ("keyDown", "keyUp"):
            ev = {"type": kind, "key": name, "code": name, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
            if text and kind == "keyDown":
                ev["text"] = text  # what makes a focused button's Enter a click
            self.b.call("Input.dispatchKeyEvent", ev)

    def test_keyboard_moves_between_cells_and_opens_one(self):
        i = self.case_index("haproxy", SCENARIOS[0])
        self.b.evaluate("document.querySelector('button[data-case=\"%d\"]').focus()" % i)
        self.key("ArrowRight", 39)
        j = self.case_index("nginx", SCENARIOS[0])
        self.assertEqual(self.b.evaluate("document.activeElement.dataset.case"), str(j))
        self.key("Enter", 13, "\r")
        self.assertEqual(self.b.evaluate("document.getElementById('evidence-title').textContent"),
                         "nginx / " + SCENARIOS[0])

    def test_hostile_log_line_is_shown_as_text(self):
        i = self.case_index(PROXIES[1], SCENARIOS[1])
        self.b.evaluate("document.querySelector('button[data-case=\"%d\"]').click()" % i)
        self.assertEqual(self.b.evaluate("document.getElementById('evidence-log').textContent").split("\n"),
                         HOSTILE_LOG.split(" | "))
        self.assertNotEqual(self.b.evaluate("document.title"), "pwned")

    def test_cut_events_say_so(self):
        i = self.case_index(PROXIES[HUGE_EVENTS[0]], SCENARIOS[HUGE_EVENTS[1]])
        self.b.evaluate("document.querySelector('button[data-case=\"%d\"]').click()" % i)
        text = self.b.evaluate("document.getElementById('evidence').textContent")
        self.assertIn("cut: the first", text)
        self.assertIn("upstream-events.json", text)

    def test_graphs_are_embedded_images(self):
        imgs = self.b.evaluate("[...document.querySelectorAll('#graphs img')].map(i => "
                               "[i.src.slice(0, 15), i.complete && i.naturalWidth > 0])")
        self.assertEqual(sorted(imgs), [["data:image/png;", True], ["data:image/svg+", True]])

    def save_screenshot(self):
        self.b.evaluate("window.scrollTo(0, 0)")
        shot = self.b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        png = base64.b64decode(shot["data"])
        self.assertTrue(png.startswith(b"\x89PNG"))
        build = os.path.dirname(os.path.abspath(common.BADUP))
        folder = os.path.join(build, "Testing", "artifacts")
        os.makedirs(folder, exist_ok=True)
        name = "page-asan.png" if common.SANITIZED else "page.png"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(png)


if __name__ == "__main__":
    unittest.main(verbosity=2)
