#!/usr/bin/env python3
"""`badup explain`: lines the real proxies wrote (taken from results/reference/*.json, never
written by hand), with their variable parts changed the way production changes them (other
timestamps, client addresses and ports, pids, connection and request ids, paths), must lead
back to the scenario that produced them.

When several scenarios make a proxy write the same line (haproxy logs SH-- for an upstream
that closes before the status line, however it closes), any of them is a right answer: the
test computes those groups from the reference itself, with a normalisation coarser than
badup's (every number masked), so a group can only be too wide, never too narrow.

Everything runs against the checked-in reference: no proxy, no server, a few badup runs."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import common

REFERENCE = os.path.join(common.REPO, "results", "reference")
TIMEOUT = 60  # generous: the ASan build is slower, and it reads all twelve reference files
# varnish 6.0's varnishlog record for an upstream that closed before answering (7.1 writes
# "HTC eof (-1)" for the same thing): a real line that starts with '-'.
VARNISHLOG_EOF = "-   FetchError     http first read error: EOF"


# The tests read only the plain runs' files (<proxy>.json); the variants' (+tls, +ctls, +ch2,
# ...) triple the lines explain reads at every start. The rankings over the whole reference
# (FromTheReference, ProductionVariants, RequestSideLeftOut) give it the whole folder, so the
# variants' lines compete there; the rest read a folder of the plain files alone, a third as
# long to load, which kept the sanitized build's run inside its timeout.
PLAIN_REFERENCE = None


def run(args, stdin=None, whole_reference=False):
    # the whole reference is the default: results/reference, found from the repository
    if not whole_reference and "--reference" not in args and not any(a in ("--help", "-h") for a in args):
        args = ["--reference", PLAIN_REFERENCE] + args
    proc = subprocess.run([common.BADUP, "explain"] + args, input=stdin, capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=common.REPO)
    for marker in common.SANITIZER_MARKERS:
        assert marker not in proc.stderr, proc.stderr
    return proc


def reference_cases():
    """(proxy, version, scenario) -> the recorded lines, for every file of the reference."""
    cases = {}
    for name in sorted(os.listdir(REFERENCE)):
        if not name.endswith(".json") or "+" in name:
            continue
        with open(os.path.join(REFERENCE, name)) as f:
            ref = json.load(f)
        for version, v in ref["versions"].items():
            for scenario, s in v["scenarios"].items():
                log = s.get("proxy_log") or ""
                # explain ranks upstream faults; the request-side and forward scenarios (the
                # proxy's answer to its client), the TLS and the HTTP/2 ones are left out of its
                # catalog
                if log and not scenario.startswith(("req_", "fwd_", "tls_", "client_tls_", "h2_")) \
                        and scenario != "http10_keepalive":
                    cases[(ref["proxy"], version, scenario)] = [l for l in log.split(" | ") if l]
    return cases


DATE_WORDS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
              "mon", "tue", "wed", "thu", "fri", "sat", "sun"}


METHODS = r"GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH"


def coarse(line, keep_case=False):
    """A normalisation coarser than badup's: addresses, URLs, paths, methods, the bytes an
    upstream sent quoted back (header names, status lines; not the escaped byte nginx
    stops at) and every number masked, order and case ignored. Lines equal here are lines
    no tool could tell apart once a deployment's own names and content are set aside."""
    # ids a proxy makes up per request (caddy's err_id: random letters, digits or not)
    s = re.sub(r'"(err_id|request_id|req_id|trace_id|span_id|id)":"[^"]*"', r'"\1":"ID"', line)
    s = re.sub(r'\\"([^"\\]|\\[^"])*\\"', " DATA ", s)
    s = re.sub(r"'[^']*'", " DATA ", s)
    s = re.sub(r'header: "[^"\\]+', 'header: " DATA ', s)
    s = re.sub(r"(?<=[\"(: ])(%s)(?=[ )\"])" % METHODS, " METHOD ", s)
    # squid's and trafficserver's content type: the application's (here the scenario's
    # bytes, "text/pl" of a header cut in half), never production's
    s = re.sub(r"((HIER_[A-Z_]+|[A-Z_]*DIRECT|NONE)/\S+) (-|[a-z-]+/\S+)(?= |$)", r"\1", s)
    s = re.sub(r"[a-z][a-z0-9+.-]*://[^\s\"'<>|]+", " URL ", s)
    s = re.sub(r"\d+\.\d+\.\d+\.\d+(:\d+)?", " IP ", s)
    s = re.sub(r"(^|(?<=[\s\"'=:(,\[]))/[^\s\"'?,;:()\[\]{}|<>]*(\?[^\s\"',]*)?", " PATH ", s)
    s = re.sub(r"\b\d+(\.\d+)?(ms|us|ns|s)\b", r"N\2", s)  # a duration, not an id: 1002ms
    s = re.sub(r"\b(?=[a-z0-9]*[a-z])[a-z0-9]*\d[a-z0-9]*\b", lambda m: " ID " if len(m.group()) >= 6 else m.group(), s)
    s = re.sub(r"\d+", "N", s)
    words = {w for w in re.split(r"[\s\"',;()\[\]{}=|:/.]+", s if keep_case else s.lower())
             if w and w.lower() not in DATE_WORDS}
    return tuple(sorted(words))


# A line that says only that a request was logged: an access line (a quoted request and its
# status, caddy's "handled request", tinyproxy's request line) without any field where a
# proxy says why (haproxy's termination state, squid's and trafficserver's result code and
# err=, varnishncsa's fetcherror, node's error=). Every proxy writes the same 502 for a
# dozen faults, so such a line is never a match; its nearest candidates are still listed.
ACCESS_LINE = re.compile(r'"[A-Z]+ [^"]*" \d{3}|"msg":"handled request"|\]: Request \(file descriptor')
VERDICT_FIELD = re.compile(r' [-A-Za-z]{4} \d+/\d+/\d+/\d+/\d+ \d+/\d+ "|[A-Z_]+/\d{3} | fetcherror="(?!-")[^"]'
                           r'| error="| err=ERR_')


def carries_only_status(line):
    return bool(ACCESS_LINE.search(line)) and not VERDICT_FIELD.search(line)


def same_score(r, first):
    """r ties with first: the same score to the printed precision, relative to the score (a
    line that carries only a status keeps a fraction of its score, and its differences)."""
    return r["score"] >= first["score"] * (1 - 0.006)


def distinctive_line(lines, proxy, scenario, by_coarse):
    """The line a developer would paste: the one the fewest scenarios of this proxy share
    (the error line rather than the access line); the last one on a tie."""
    best = None
    for line in lines:
        n = len(by_coarse[(proxy, coarse(line))])
        if best is None or n <= best[0]:
            best = (n, line)
    return best[1]


def production(line, scenario):
    """The same line as it would read in production: other time, client, pids, ids, path."""
    s = line
    # paths and URLs: the reference's /<scenario>/1 would give the answer away
    s = re.sub(r"/%s/\d+\??" % re.escape(scenario), "/api/v2/orders/8812", s)
    # addresses and ports
    s = re.sub(r"127\.0\.0\.1:\d+", "10.42.7.19:61544", s)
    s = s.replace("127.0.0.1", "10.42.7.19")
    s = re.sub(r'"remote_port":"\d+"', '"remote_port":"51515"', s)
    # timestamps in every shape the twelve proxies write
    s = re.sub(r"\d{4}([-/])\d\d\1\d\d", r"2027\g<1>03\g<1>03", s)
    s = re.sub(r"\d\d/[A-Z][a-z]{2}/\d{4}", "03/Mar/2027", s)
    s = re.sub(r"\b[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d (\d\d:\d\d:\d\d\.\d+) \d{4}", r"Wed Mar 03 \1 2027", s)
    s = re.sub(r"^([A-Z]+ +)[A-Z][a-z]{2} \d\d ", r"\1Mar 03 ", s)
    s = re.sub(r"(?<!\d)\d\d:\d\d:\d\d", "09:12:44", s)
    s = re.sub(r"\d{8}\.\d\dh\d\dm\d\ds", "20270303.09h12m44s", s)
    s = re.sub(r"\b1[67]\d{8}\.\d+", "1803100000.5", s)
    s = re.sub(r"(09:12:44[.,])\d+", r"\g<1>917", s)
    # pids, connection ids, request ids, file descriptors
    s = re.sub(r"\[pid \d+:tid \d+\]", "[pid 4242:tid 4250]", s)
    s = re.sub(r"\b\d+#\d+: \*\d+", "4242#4242: *918273", s)
    s = re.sub(r"\[\d+\]:", "[31337]:", s)
    s = re.sub(r"Z \d+ \d+ [0-9a-f]{8} ", "Z 777 778 0badc0de ", s)
    s = re.sub(r"0x[0-9a-f]{6,}", "0x7f00deadbe00", s)
    s = re.sub(r'"err_id":"[a-z0-9]+"', '"err_id":"zq81mk2lp"', s)
    s = re.sub(r"file descriptor \d+", "file descriptor 23", s)
    # durations
    s = re.sub(r"\b0\.\d{3,}", "0.0137", s)
    return s


# ---- deployments: what production changes in a recorded line --------------------------

# The program name each proxy logs under to syslog or journald (a proxy added to the
# reference later logs under its own name).
PROGRAMS = {"apache2": "httpd", "varnish": "varnishncsa", "trafficserver": "traffic_server"}
CLIENT6 = "2001:db8:4::17"
QUERY_PATH = "/api/v2/orders/8812/items?fields=id,total&page=2&sort=-created_at"


def renamed(s):
    """A deployment's own names for what the harness calls fe, be/up, 127.0.0.1."""
    s = re.sub(r"\] (\S+) (\S+)/(\S+) (?=[-+\d]+/)", "] fe_https~ be_api/api-3.internal ", s)  # haproxy
    s = s.replace(", server: ,", ", server: shop.example.com,")  # nginx's server_name
    s = re.sub(r', host: "[^"]*"', ', host: "shop.example.com"', s)
    s = re.sub(r'"host":"[^"]*"', '"host":"shop.example.com"', s)  # caddy
    s = re.sub(r'"logger":"http\.log\.(access|error)\.[^"]*"', r'"logger":"http.log.\1.shop"', s)
    s = re.sub(r"remote server [^ ,]+", "remote server api.internal:8080", s)  # apache
    s = re.sub(r"connection to backend: [^ ,]+", "connection to backend: api.internal", s)
    s = re.sub(r"attempt to connect to \S+ \([^)]*\)", "attempt to connect to 10.20.30.40:8080 (api.internal)", s)
    s = re.sub(r"(HIER_[A-Z_]+|DIRECT)/127\.0\.0\.1", r"\1/api.internal", s)  # squid, trafficserver
    s = re.sub(r"host='[^']*'", "host='api.internal'", s)
    s = re.sub(r' host "[^"]*"', ' host "api.internal"', s)  # tinyproxy
    s = re.sub(r"connection to 127\.0\.0\.1:\d+$", "connection to api.internal:8080", s)
    s = re.sub(r" backend=127\.0\.0\.1:\d+", " backend=api.internal:8080", s)  # nghttpx ("-:-": none reached)
    s = re.sub(r"backend (\w+): fail", "backend api_v2: fail", s)  # varnish
    s = s.replace(" on  are down", " on shop.example.com are down")  # lighttpd
    return re.sub(r"http://127\.0\.0\.1:\d+", "http://api.internal:8080", s)


def method(s, verb):
    return re.sub(r'(?<=["(: ])GET(?=[ )"])', verb, s)


def query_path(s, scenario):
    # lighttpd writes "PATH?QUERY": its "?" goes with the recorded path
    return re.sub(r"/%s/\d+\??" % re.escape(scenario), QUERY_PATH, s)


def ipv6_client(s):
    """The client on IPv6, written the way each format writes it; upstreams elsewhere."""
    s = re.sub(r"^127\.0\.0\.1:(\d+) \[", CLIENT6 + r":\1 [", s)  # haproxy: no brackets
    s = re.sub(r"^(c )?127\.0\.0\.1 \[", r"\g<1>%s [" % CLIENT6, s)  # access lines
    s = re.sub(r"\[client 127\.0\.0\.1:(\d+)\]", r"[client %s:\1]" % CLIENT6, s)  # apache
    s = s.replace("client: 127.0.0.1,", "client: %s," % CLIENT6)  # nginx
    s = re.sub(r"^(\S+ +\d+) 127\.0\.0\.1 ", r"\1 %s " % CLIENT6, s)  # squid, trafficserver
    s = s.replace('"remote_ip":"127.0.0.1"', '"remote_ip":"%s"' % CLIENT6)  # caddy
    s = re.sub(r"127\.0\.0\.1:\d+", "10.20.30.40:8080", s)
    return s.replace("127.0.0.1", "10.20.30.40")


def other_times(s):
    """Another date, and where a format lets a deployment choose, another format."""
    s = re.sub(r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", "[2027-11-30T04:12:01+01:00]", s)  # CLF -> ISO
    s = re.sub(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d+", "30/Nov/2027:04:12:01.123", s)  # haproxy's own
    s = re.sub(r'"ts":[0-9.]+', '"ts":"2027-11-30T04:12:01.123+01:00"', s)  # caddy's iso8601
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", "2027-11-30T04:12:01.123+01:00", s)
    s = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "2027-11-30 04:12:01", s)
    s = re.sub(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", "2027/11/30 04:12:01", s)
    s = re.sub(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d+ \d{4}", "Tue Nov 30 04:12:01.123456 2027", s)
    s = re.sub(r"^([A-Z]+ +)[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d+", r"\1Nov 30 04:12:01.123", s)
    s = re.sub(r"\b1[67]\d{8}\.\d+", "1827637921.123", s)
    return re.sub(r"\d{8}\.\d\dh\d\dm\d\ds", "20271130.04h12m01s", s)


def prefixed(s, proxy, style):
    program = PROGRAMS.get(proxy, proxy)
    if style == "rfc3164":
        return "Nov 30 04:12:01 lb1 %s[1234]: %s" % (program, s)
    if style == "rfc5424":
        return "<134>1 2027-11-30T04:12:01.123456+01:00 lb1.example.com %s 1234 - - %s" % (program, s)
    return "%s[1234]: %s" % (program, s)  # journald's tag alone


# Each variant is what one production deployment would log for the same event.
VARIANTS = {
    "names, POST, query string, ids": lambda s, p, sc: production(method(query_path(renamed(s), sc), "POST"), sc),
    "RFC 3164 prefix, IPv6 client, PUT, ISO times": lambda s, p, sc: prefixed(
        other_times(method(query_path(ipv6_client(s), sc), "PUT")), p, "rfc3164"),
    "RFC 5424 prefix, names, IPv6 client, HEAD": lambda s, p, sc: prefixed(
        method(query_path(ipv6_client(renamed(s)), sc), "HEAD"), p, "rfc5424"),
    "journald tag, names, query string, other dates": lambda s, p, sc: prefixed(
        other_times(query_path(renamed(s), sc)), p, "journald"),
}


def explain_json(lines, top=100, whole_reference=False):
    proc = run(["--json", "--top", str(top)], stdin="\n".join(lines) + "\n", whole_reference=whole_reference)
    if proc.returncode not in (0, 1):
        raise AssertionError("exit %d: %s" % (proc.returncode, proc.stderr))
    return json.loads(proc.stdout)


def setUpModule():
    common.require_binary()
    global PLAIN_REFERENCE
    PLAIN_REFERENCE = tempfile.mkdtemp(prefix="badup-explain-")
    for name in os.listdir(REFERENCE):
        if name.endswith(".json") and "+" not in name:
            os.symlink(os.path.join(REFERENCE, name), os.path.join(PLAIN_REFERENCE, name))


def tearDownModule():
    if PLAIN_REFERENCE:
        shutil.rmtree(PLAIN_REFERENCE)


class RequestSideLeftOut(unittest.TestCase):
    """explain ranks upstream faults: a recorded line of a request-side or forward scenario (the
    proxy's answer to its client) never comes back as a candidate."""

    def test_no_request_side_or_forward_candidate(self):
        lines = []
        for name in sorted(os.listdir(REFERENCE)):
            if not name.endswith(".json") or "+" in name:
                continue
            with open(os.path.join(REFERENCE, name)) as f:
                ref = json.load(f)
            for v in ref["versions"].values():
                for scenario, s in v["scenarios"].items():
                    if scenario.startswith(("req_", "fwd_", "tls_")) and s.get("proxy_log"):
                        lines.append(s["proxy_log"].split(" | ")[0])
        self.assertGreater(len(lines), 20, "the reference records request-side and forward lines")
        found = {r["scenario"] for r in explain_json(lines[:40], whole_reference=True) if r.get("scenario")}
        self.assertTrue(found, "explain proposes upstream faults for them")
        self.assertFalse({s for s in found if s.startswith(("req_", "fwd_", "tls_", "client_tls_", "h2_"))
                          or s == "http10_keepalive"}, found)


class FromTheReference(unittest.TestCase):
    """Every recorded (proxy, scenario) whose line is distinctive enough, in one run."""

    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()
        cls.by_coarse = {}
        for (proxy, _version, scenario), lines in cls.cases.items():
            for line in lines:
                cls.by_coarse.setdefault((proxy, coarse(line)), set()).add(scenario)
        cls.inputs = []  # (proxy, scenario, accepted scenarios, line)
        for (proxy, _version, scenario), lines in sorted(cls.cases.items()):
            line = distinctive_line(lines, proxy, scenario, cls.by_coarse)
            changed = production(line, scenario)
            accepted = cls.by_coarse[(proxy, coarse(line))]
            cls.inputs.append((proxy, scenario, accepted, changed, line))
        cls.results = explain_json([i[3] for i in cls.inputs], whole_reference=True)

    def test_enough_proxies(self):
        proxies = {i[0] for i in self.inputs}
        self.assertGreaterEqual(len(proxies), 8, proxies)
        self.assertGreaterEqual(len(self.inputs), 100)

    def test_variable_parts_were_changed(self):
        for proxy, scenario, _accepted, changed, line in self.inputs:
            with self.subTest(proxy=proxy, scenario=scenario):
                if re.search(r"\d\d", line):  # "received fatal signal 6" has nothing to change
                    self.assertNotEqual(changed, line)
                self.assertNotIn("/%s/" % scenario, changed)

    def test_the_scenario_is_ranked_first(self):
        by_line = {}
        for r in self.results:
            by_line.setdefault(r["line"], []).append(r)
        for n, (proxy, scenario, accepted, changed, line) in enumerate(self.inputs, 1):
            with self.subTest(proxy=proxy, scenario=scenario, line=changed):
                ranked = by_line.get(n)
                self.assertTrue(ranked, "no candidate at all")
                first = ranked[0]
                if carries_only_status(changed):
                    # the scenario leaves only its access line: nearest, never a match
                    self.assertFalse(first["match"], first)
                    self.assertIn("carries only", first["why"])
                else:
                    self.assertTrue(first["match"], "no match: best %s" % first)
                self.assertEqual(first["proxy"], proxy)
                tied = {r["scenario"] for r in ranked if r["proxy"] == proxy and same_score(r, first)}
                self.assertIn(scenario, tied, "ranked first: %s" % sorted(tied))
                # a tie is only right when the lines really are the same
                self.assertLessEqual(tied, accepted, "tied with scenarios that log something else")


class ProductionVariants(unittest.TestCase):
    """Every recorded line of every proxy, as four deployments would log it (other names,
    methods, paths with query strings, syslog, RFC 5424 and journald prefixes, IPv6
    clients, other time formats): what differs by deployment must not lower the score, so
    the recorded line's scenario group ranks first, at 0.9 or more. An access line that
    carries only a status ranks its group first too, but below a match."""

    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()
        by_coarse = {}
        for (proxy, _version, scenario), lines in cls.cases.items():
            for line in lines:
                by_coarse.setdefault((proxy, coarse(line)), set()).add(scenario)
        cls.proxies = sorted({p for (p, _v, _s) in cls.cases})
        cls.inputs = {p: [] for p in cls.proxies}  # proxy -> (scenario, accepted, variant, line, original)
        # Against the sanitized build, each line as one of the deployments in turn (every
        # deployment and every line still seen, a quarter of the ranking): the whole product
        # of the two took it over four minutes, and the plain build's run checks all of it.
        names = sorted(VARIANTS)
        turn = 0
        for (proxy, _version, scenario), lines in sorted(cls.cases.items()):
            for line in lines:
                accepted = by_coarse[(proxy, coarse(line))]
                chosen = [names[turn % len(names)]] if common.SANITIZED else names
                turn += 1
                for name in chosen:
                    cls.inputs[proxy].append((scenario, accepted, name, VARIANTS[name](line, proxy, scenario), line))

    def test_every_proxy_has_variants(self):
        self.assertGreaterEqual(len(self.proxies), 12)
        for proxy in self.proxies:
            with self.subTest(proxy=proxy):
                self.assertTrue(self.inputs[proxy])
                unchanged = {}
                for scenario, _acc, name, changed, line in self.inputs[proxy]:
                    unchanged[line] = unchanged.get(line, 0) + (changed == line)
                    self.assertNotIn("/%s/" % scenario, changed, name)
                # a line with nothing of a deployment's own in it only changes by its prefix
                self.assertLessEqual(max(unchanged.values()), 1)

    def test_the_scenario_group_ranks_first_at_0_9(self):
        for proxy in self.proxies:
            inputs = self.inputs[proxy]
            # one badup run per proxy: each stays well inside the sanitized build's timeout
            results = explain_json([i[3] for i in inputs], top=60, whole_reference=True)
            by_line = {}
            for r in results:
                by_line.setdefault(r["line"], []).append(r)
            for n, (scenario, accepted, name, changed, line) in enumerate(inputs, 1):
                with self.subTest(proxy=proxy, scenario=scenario, variant=name, line=changed):
                    ranked = by_line.get(n)
                    self.assertTrue(ranked, "no candidate at all")
                    first = ranked[0]
                    self.assertEqual(first["proxy"], proxy, first)
                    if carries_only_status(changed):
                        self.assertFalse(first["match"], first)
                        self.assertLess(first["score"], 0.6, first)
                        self.assertIn("carries only", first["why"])
                    else:
                        self.assertTrue(first["match"], first)
                        self.assertGreaterEqual(first["score"], 0.9, "recorded: %s\nbest: %s" % (line, first))
                    tied = {r["scenario"] for r in ranked if r["proxy"] == proxy and same_score(r, first)}
                    self.assertIn(scenario, tied, "ranked first: %s" % sorted(tied))
                    self.assertLessEqual(tied, accepted, "tied with scenarios that log something else")


class Output(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()

    def haproxy_line(self, scenario):
        version = sorted(v for (p, v, s) in self.cases if p == "haproxy" and s == scenario)[-1]
        return production(self.cases[("haproxy", version, scenario)][0], scenario)

    def test_text_output(self):
        proc = run([self.haproxy_line("empty_reply")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertIn("recognised: haproxy", out)
        self.assertIn("termination state SH--", out)
        self.assertRegex(out, r"\d+ scenarios match")
        self.assertIn("badup serve scenarios/empty_reply.lua", out)
        self.assertIn("badup run --proxy haproxy --scenario empty_reply", out)
        self.assertRegex(out, r"empty_reply +score 1\.00 +haproxy \d")

    def test_json_shape(self):
        proc = run(["--json", "--top", "3", self.haproxy_line("blackhole")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = json.loads(proc.stdout)
        self.assertIsInstance(out, list)
        self.assertTrue(1 <= len(out) <= 3)
        for key in ("scenario", "proxy", "proxy_version", "proxy_versions", "score", "reproduce",
                    "matched_line", "match", "rank", "line", "input"):
            self.assertIn(key, out[0])
        first = out[0]
        self.assertEqual((first["scenario"], first["proxy"], first["rank"], first["line"]),
                         ("blackhole", "haproxy", 1, 1))
        self.assertIsInstance(first["score"], float)
        self.assertTrue(first["match"])
        self.assertIn(first["proxy_version"], first["proxy_versions"])
        self.assertIn("sC--", first["matched_line"])
        # a reference other than the default is carried into the run that compares with it
        self.assertEqual(first["reproduce"], {"serve": "badup serve scenarios/blackhole.lua",
                                              "run": "badup run --proxy haproxy --scenario blackhole"
                                                     " --reference " + PLAIN_REFERENCE})
        # a match needs no reason why not, and compares every field the recorded line has
        self.assertIsNone(first["why"])
        self.assertEqual((first["look_in"], first["missing_fields"]), ([], []))

    def recorded(self, proxy, scenario, words):
        """The recorded line of proxy's newest version for scenario that has `words`."""
        version = sorted(v for (p, v, s) in self.cases if p == proxy and s == scenario)[-1]
        return [l for l in self.cases[(proxy, version, scenario)] if words in l][0]

    def test_several_lines_on_stdin(self):
        nginx = self.recorded("nginx", "refuse", "[error]")
        varnish = self.recorded("varnish", "stall_headers", "fetcherror=\"first byte")
        lines = [self.haproxy_line("blackhole"), production(nginx, "refuse"), "",
                 production(varnish, "stall_headers")]
        proc = run(["-"], stdin="\n".join(lines) + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.count("recognised:"), 3)  # the blank line is skipped
        for n, (proxy, scenario) in enumerate([("haproxy", "blackhole"), ("nginx", "refuse"),
                                               ("varnish", "stall_headers")], 1):
            self.assertIn("line %d: " % n, proc.stdout)
            self.assertIn("badup run --proxy %s --scenario %s" % (proxy, scenario), proc.stdout)
        out = explain_json(lines, top=1)
        self.assertEqual([(r["line"], r["proxy"]) for r in out], [(1, "haproxy"), (2, "nginx"), (3, "varnish")])
        self.assertEqual(out[1]["scenario"], "refuse")

    def test_no_match(self):
        # a real haproxy line, with a termination state no scenario produces (KR--: an
        # administrator killed the session while it waited for the request)
        line = self.haproxy_line("ok")
        line = re.sub(r" 200 (\d+) - - ---- ", r" 400 \1 - - KR-- ", line)
        self.assertIn("KR--", line)
        proc = run([line])
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("no match", proc.stdout)
        self.assertIn("Nearest candidates:", proc.stdout)
        self.assertRegex(proc.stdout, r"  1\. \w+ +score 0\.\d\d +haproxy")
        self.assertNotIn("reproduce:", proc.stdout)
        out = json.loads(run(["--json", line]).stdout)
        self.assertTrue(out and not any(r["match"] for r in out))
        # the nearest candidates carry the reason, as the text does
        for r in out:
            self.assertIn("no recorded line looks like this one (best score 0.", r["why"])

    def test_nothing_like_a_log_line(self):
        # words, or a request line with no verdict and no status: nothing to explain
        for line in ("the quick brown fox", "GET /checkout?cart=42 HTTP/1.1", "POST /api/v2/orders HTTP/2.0"):
            with self.subTest(line=line):
                proc = run([line])
                self.assertEqual(proc.returncode, 1, proc.stdout)
                self.assertIn("no match", proc.stdout)

    def test_nothing_near_still_answers_in_json(self):
        # a line with no candidate at all is still in the JSON, with why, not left out
        out = json.loads(run(["--json", "the quick brown fox"]).stdout)
        self.assertEqual(len(out), 1, out)
        self.assertEqual((out[0]["line"], out[0]["rank"], out[0]["match"], out[0]["scenario"]), (1, None, False, None))
        self.assertIn("nothing in the reference comes near it", out[0]["why"])

    def test_one_unmatched_line_among_several_exits_1(self):
        proc = run([], stdin=self.haproxy_line("refuse") + "\nthe quick brown fox\n")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("badup run --proxy haproxy --scenario refuse", proc.stdout)


PROXIES = os.path.join(common.REPO, "harness", "proxies")


def definition_logs(proxy):
    """The logs = { ... } of harness/proxies/<proxy>.lua: the files the proxy writes."""
    with open(os.path.join(PROXIES, proxy + ".lua")) as f:
        m = re.search(r"^\s*logs\s*=\s*\{([^}]*)\}", f.read(), re.M)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


# A request that failed at the upstream, as a production access log writes it in each
# proxy's default format (written here from the formats' documentation; made-up values).
COMBINED_502 = '203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] "GET /api/cart HTTP/1.1" 502 157 "-" "Mozilla/5.0"'


class StatusOnly(unittest.TestCase):
    """A line whose only signature is a status (every proxy writes 502 for a dozen faults)
    is never a match: it gets "no match", exit 1, the reason, where the proxy writes its
    verdict (from its definition's logs), and its nearest candidates, in text and JSON."""

    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()
        cls.proxies = sorted({p for (p, _v, _s) in cls.cases})

    def test_combined_access_line(self):
        proc = run([COMBINED_502])
        self.assertEqual(proc.returncode, 1, proc.stdout)
        out = " ".join(proc.stdout.split())
        self.assertIn("no match: the line carries only a status (502)", out)
        self.assertIn("Nearest candidates", out)
        self.assertNotIn("reproduce:", out)
        self.assertNotRegex(out, r"score (0\.[6-9]|1\.)")
        # the line is nobody's in particular: every proxy's place for its verdict is named
        for proxy in self.proxies:
            self.assertRegex(proc.stdout, r"(?m)^  %s +" % re.escape(proxy))
        results = json.loads(run(["--json", "--top", "100", COMBINED_502]).stdout)
        self.assertTrue(results, "no nearest candidate")
        for r in results:
            self.assertFalse(r["match"], r)
            self.assertLess(r["score"], 0.6, r)
            self.assertIn("the line carries only a status (502)", r["why"])
        self.assertEqual({row["proxy"] for row in results[0]["look_in"]}, set(self.proxies))
        self.assertEqual(results[0]["recognised"], [])

    def test_the_verdict_is_in_a_log_the_proxy_writes(self):
        # each proxy's place for its verdict names one of the logs its definition lists
        rows = json.loads(run(["--json", COMBINED_502]).stdout)[0]["look_in"]
        for row in rows:
            with self.subTest(proxy=row["proxy"]):
                self.assertTrue(row["what"])
                if row["log"]:
                    self.assertIn(row["log"], definition_logs(row["proxy"]))

    def test_every_proxys_status_only_line(self):
        # every proxy's recorded line that carries only a status, from a deployment that
        # names the proxy (its syslog tag): no match, and its own log is named
        inputs = []
        for (proxy, _version, scenario), lines in sorted(self.cases.items()):
            for line in lines:
                if carries_only_status(line) and proxy not in [i[0] for i in inputs]:
                    inputs.append((proxy, scenario, prefixed(production(line, scenario), proxy, "rfc3164")))
        self.assertGreaterEqual(len(inputs), 8, [i[0] for i in inputs])
        results = explain_json([i[2] for i in inputs], top=3)
        for n, (proxy, scenario, line) in enumerate(inputs, 1):
            with self.subTest(proxy=proxy, line=line):
                ranked = [r for r in results if r["line"] == n]
                self.assertTrue(ranked, "no nearest candidate")
                first = ranked[0]
                self.assertFalse(first["match"], first)
                self.assertLess(first["score"], 0.6, first)
                self.assertEqual(first["recognised"], [proxy])
                self.assertEqual([row["proxy"] for row in first["look_in"]], [proxy])
                log = first["look_in"][0]["log"]
                self.assertIn(log, definition_logs(proxy))
                self.assertIn("Where %s says why: %s (%s)" % (proxy, proxy, log), first["why"])
                self.assertEqual(first["proxy"], proxy)
        proc = run([inputs[0][2]])
        self.assertEqual(proc.returncode, 1)
        self.assertIn("Where %s says why:" % inputs[0][0], " ".join(proc.stdout.split()))


class DefaultFormats(unittest.TestCase):
    """Lines in each proxy's own default format, which the harness's formats extend: a
    field the line's format lacks (squid's err=, trafficserver's sssc=, nginx's us=,
    varnishncsa's fetcherror=) does not count against it; fields it adds that only say
    what a client or deployment sent (caddy's headers, squid's user) do not either. The
    lines are written here from each format's documentation, with made-up values."""

    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()

    def scenarios_with(self, proxy, pattern):
        """The scenarios whose recorded lines of proxy (any version) have pattern (a regex)."""
        return {s for (p, _v, s), lines in self.cases.items() if p == proxy and any(re.search(pattern, l) for l in lines)}

    def matched(self, line):
        out = explain_json([line], top=100)
        self.assertTrue(out, "no candidate")
        return out, [r for r in out if r["match"]]

    def check_match(self, proxy, line, scenarios):
        """line matches, every match is proxy's and one of scenarios, and the best are all of
        them (a tie) at 0.9 or more."""
        out, matched = self.matched(line)
        self.assertTrue(matched, "no match: best %s" % out[0])
        self.assertEqual({r["proxy"] for r in matched}, {proxy}, matched)
        self.assertLessEqual({r["scenario"] for r in matched}, scenarios)
        best = {r["scenario"] for r in matched if r["score"] >= matched[0]["score"] - 0.006}
        self.assertEqual(best, scenarios)
        self.assertGreaterEqual(matched[0]["score"], 0.9)
        return matched

    def check_no_match(self, line, status, proxy=None):
        proc = run([line])
        self.assertEqual(proc.returncode, 1, proc.stdout)
        out, matched = self.matched(line)
        self.assertFalse(matched, matched)
        self.assertIn("the line carries only a status (%s)" % status, out[0]["why"])
        self.assertEqual(out[0]["recognised"], [proxy] if proxy else [])
        if proxy:
            self.assertEqual([row["proxy"] for row in out[0]["look_in"]], [proxy])
        return out

    def test_squid_native(self):
        # logformat squid: %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
        line = ("1796013161.440      0 10.1.2.3 TCP_MISS/502 3360 GET http://app.internal/checkout - "
                "HIER_DIRECT/10.0.0.5 text/html")
        tied = self.scenarios_with("squid", r" TCP_MISS/502 ")
        self.assertGreaterEqual(len(tied), 2)
        matched = self.check_match("squid", line, tied)
        for r in matched:
            self.assertEqual([f["field"] for f in r["missing_fields"]], ["err="], r)
            self.assertIn("%err_code", r["missing_fields"][0]["meaning"])
            self.assertRegex(r["missing_fields"][0]["recorded"], r"^err=ERR_[A-Z_]+/")
        proc = run(["--top", str(len(tied)), line])
        self.assertEqual(proc.returncode, 0)
        self.assertIn("%d scenarios tie" % len(tied), proc.stdout)
        self.assertIn("The line has no err= field, which would tell them apart: squid's %err_code", proc.stdout)
        self.assertRegex(proc.stdout, r"client saw 502, .*, recorded err=ERR_ZERO_SIZE_OBJECT/")
        self.assertRegex(proc.stdout, r"client saw 502, .*, recorded err=ERR_INVALID_RESP/")
        # the same with a user squid authenticated and another content type
        self.check_match("squid", line.replace(" - HIER", " alice HIER").replace("text/html", "text/plain"), tied)

    def test_trafficserver_squid_format(self):
        # %<cqtq> %<ttms> %<chi> %<crc>/%<pssc> %<psql> %<cqhm> %<cquc> %<caun> %<phr>/%<shn> %<psct>
        line = ("1796013161.440 1004 10.1.2.3 ERR_CONNECT_FAIL/502 421 GET http://app.internal/checkout - "
                "DIRECT/app.internal text/html")
        matched = self.check_match("trafficserver", line, self.scenarios_with("trafficserver", r" ERR_CONNECT_FAIL/502 "))
        self.assertEqual(matched[0]["recognised"], ["trafficserver"])
        self.assertEqual([f["field"] for f in matched[0]["missing_fields"]], ["sssc= cfsc= pfsc="])

    def test_haproxy_httplog(self):
        # option httplog is the harness's format too: the same line, from syslog
        line = ('Nov 30 06:11:02 lb1 haproxy[2817]: 203.0.113.9:52114 [30/Nov/2026:06:11:02.440] www~ app/app1 '
                '0/0/1/-1/3 502 209 - - SH-- 3/3/0/0/0 0/0 "GET /api/cart HTTP/1.1"')
        matched = self.check_match("haproxy", line, self.scenarios_with("haproxy", r" 502 \d+ - - SH-- "))
        self.assertGreaterEqual(matched[0]["score"], 0.99)

    def test_nginx(self):
        self.check_no_match(COMBINED_502, "502")
        # nginx's error log has one format: the harness's is the default
        error = ('2026/11/30 06:11:02 [error] 2817#2817: *918273 connect() failed (111: Connection refused) while '
                 'connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /api/cart '
                 'HTTP/1.1", upstream: "http://10.0.0.5:8080/api/cart", host: "shop.example.com"')
        self.check_match("nginx", error, self.scenarios_with("nginx", r"\(111: Connection refused\)"))

    def test_apache(self):
        # LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
        self.check_no_match('203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] "GET /api/cart HTTP/1.1" 503 299 '
                            '"https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)"', "503")
        # the default ErrorLogFormat
        error = ("[Mon Nov 30 06:11:02.440123 2026] [proxy:error] [pid 2817:tid 140522] (111)Connection refused: "
                 "AH00957: http: attempt to connect to 10.0.0.5:8080 (app.internal:8080) failed")
        self.check_match("apache2", error, self.scenarios_with("apache2", r"\(111\)Connection refused: AH00957"))

    def test_caddy(self):
        # the default JSON encoder: the request's headers (and the TLS session over HTTPS),
        # the response's headers on the access line
        request = ('"request":{"remote_ip":"203.0.113.9","remote_port":"52114","proto":"HTTP/2.0","method":"GET",'
                   '"host":"shop.example.com","uri":"/api/cart","headers":{"User-Agent":["Mozilla/5.0 (X11; Linux '
                   'x86_64)"],"Accept":["application/json"],"Accept-Encoding":["gzip, br"]},"tls":{"resumed":false,'
                   '"version":772,"cipher_suite":4865,"proto":"h2","server_name":"shop.example.com"}}')
        access = ('{"level":"error","ts":1796013161.4407,"logger":"http.log.access.log0","msg":"handled request",'
                  + request + ',"user_id":"","duration":0.000812,"size":0,"status":502,'
                  '"resp_headers":{"Server":["Caddy"]}}')
        self.check_no_match(access, "502", "caddy")
        error = ('{"level":"error","ts":1796013161.4406,"logger":"http.log.error","msg":"dial tcp 10.0.0.5:8080: '
                 'connect: connection refused",' + request + ',"duration":0.000812,"status":502,'
                 '"err_id":"k2xvq9mzt","err_trace":"reverseproxy.statusError (reverseproxy.go:1299)"}')
        matched = self.check_match("caddy", error, self.scenarios_with("caddy", r"connect: connection refused"))
        self.assertGreaterEqual(matched[0]["score"], 0.99)

    def test_varnishncsa(self):
        # %h %l %u %t "%r" %s %b "%{Referer}i" "%{User-agent}i": no FetchError
        out = self.check_no_match('203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] "GET http://shop.example.com/api/cart '
                                  'HTTP/1.1" 503 282 "-" "Mozilla/5.0 (X11; Linux x86_64)"', "503")
        varnish = [row for row in out[0]["look_in"] if row["proxy"] == "varnish"]
        self.assertIn("%{VSL:FetchError}x", varnish[0]["what"])

    def test_lighttpd_h2o_nghttpx(self):
        # lighttpd: %h %V %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" (the Host second)
        self.check_no_match('203.0.113.9 shop.example.com - [30/Nov/2026:06:11:02 +0000] "GET /api/cart HTTP/1.1" '
                            '500 365 "-" "Mozilla/5.0 (X11; Linux x86_64)"', "500", "lighttpd")
        # h2o and nghttpx write NCSA combined by default
        self.check_no_match('203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] "GET /api/cart HTTP/2" 502 129 "-" '
                            '"Mozilla/5.0 (X11; Linux x86_64)"', "502")


def scenario_summary(name):
    """The summary = "..." of scenarios/<name>.lua, as the file has it."""
    with open(os.path.join(common.SCENARIOS, name + ".lua")) as f:
        m = re.search(r'summary\s*=\s*"((?:[^"\\]|\\.)*)"', f.read())
    return m.group(1).replace('\\"', '"') if m else None


def reference_entries():
    """proxy -> {"versions": [...in file order], "entries": {(version, scenario): entry}}."""
    out = {}
    for name in sorted(os.listdir(REFERENCE)):
        if not name.endswith(".json") or "+" in name:
            continue
        with open(os.path.join(REFERENCE, name)) as f:
            ref = json.load(f)
        p = out.setdefault(ref["proxy"], {"versions": [], "entries": {}})
        for version, v in ref["versions"].items():
            p["versions"].append(version)
            for scenario, e in v["scenarios"].items():
                p["entries"][(version, scenario)] = e
    return out


KIN = {"close": {"close", "reset"}, "reset": {"close", "reset"}, "timeout": {"timeout"}}
OPPOSITE = {"close": {"timeout"}, "reset": {"timeout"}, "timeout": {"close", "reset"}}

# Other versions' (or other code paths') wordings of a verdict, none of them in the
# reference: (proxy, family, what a recorded line's verdict looks like, the other wording).
OTHER_WORDINGS = [
    ("varnish", "close", r'fetcherror="(?!-")[^"]*eof[^"]*"', 'fetcherror="http first read error: EOF"'),
    ("nginx", "reset", r"\*\d+ [^,]*104: Connection reset by peer[^,]*",
     "*7 writev() failed (104: Connection reset by peer) while sending request to upstream"),
    ("nginx", "timeout", r"\*\d+ upstream timed out[^,]*while reading response header[^,]*",
     "*7 upstream timed out (110: Connection timed out) while sending request to upstream"),
    ("apache2", "reset", r"\(104\)Connection reset by peer: (\[client [^]]*\] )?AH\d+: [^|]*",
     "(32)Broken pipe: [client 127.0.0.1:40350] AH01084: pass request body failed to 127.0.0.1:36883 (127.0.0.1)"),
    ("caddy", "reset", r'"msg":"read tcp [^"]*connection reset by peer"',
     '"msg":"readfrom tcp 127.0.0.1:56570->127.0.0.1:36505: write: connection reset by peer"'),
    ("node", "close", r'error="ECONNRESET"', 'error="socket hang up"'),
]


class OtherVersions(unittest.TestCase):
    """A verdict worded in a way the reference never saw is compared by its family: a line
    that says the upstream closed or reset ranks close and reset scenarios, never
    stall or timeout ones, and the other way round; the answer says which versions the
    reference covers."""

    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()
        cls.refs = reference_entries()

    def families_of(self, lines):
        """The family badup gives each line (None: none)."""
        out = explain_json(lines, top=1)
        got = {r["line"]: r["family"] for r in out}
        return [got.get(n) for n in range(1, len(lines) + 1)]

    def check_ranking(self, line, family):
        """line matches by family, and only scenarios recorded with a verdict of that family
        (or its kin) match: never one of the opposite kind (a timeout for a close or reset,
        and the other way round). Only matches are listed when there is one."""
        out = explain_json([line], top=100)
        self.assertTrue(out, "no candidate")
        self.assertEqual(out[0]["family"], family, out[0])
        matched = [r for r in out if r["match"]]
        self.assertTrue(matched, "no match: best %s" % out[0])
        self.assertEqual(matched[0]["matched_by"], "family", matched[0])
        fams = self.families_of([r["matched_line"] for r in out])
        for r, f in zip(matched, fams):
            self.assertIn(f, KIN[family], "%s (%s) matched: %s" % (r["scenario"], f, r["matched_line"]))
        self.assertEqual(len(matched), len(out))
        self.assertFalse([r["scenario"] for r, f in zip(out, fams) if f in OPPOSITE[family]])
        return out

    def test_varnish_6_eof(self):
        # varnish 6.0 writes "http first read error: EOF" where 7.1 writes "HTC eof (-1)"
        out = self.check_ranking(VARNISHLOG_EOF, "close")
        self.assertEqual(out[0]["proxy"], "varnish")
        self.assertEqual(out[0]["unseen"], [{"signature": "FetchError", "value": "http first read error: EOF"}])
        self.assertLess(out[0]["score"], 0.9)  # below any match on the wording itself
        proc = run([VARNISHLOG_EOF])
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("family close", proc.stdout)
        self.assertIn('note: no recorded line has FetchError "http first read error: EOF"', proc.stdout)
        self.assertNotIn("stall", proc.stdout.split("scenarios tie")[0])
        for name in ("stall_headers", "stall_body", "stop_reading"):
            self.assertNotIn("badup serve scenarios/%s.lua" % name, proc.stdout)

    def test_other_wordings_rank_their_family(self):
        tried = 0
        for proxy, family, verdict, wording in OTHER_WORDINGS:
            recorded = [l for (p, _v, _s), lines in sorted(self.cases.items()) if p == proxy
                        for l in lines if re.search(verdict, l)]
            with self.subTest(proxy=proxy, wording=wording):
                self.assertTrue(recorded, "no recorded %s line like %s" % (proxy, verdict))
                line = re.sub(verdict, lambda m: wording, recorded[0], count=1)
                self.assertNotEqual(line, recorded[0])
                self.check_ranking(line, family)
                tried += 1
        self.assertEqual(tried, len(OTHER_WORDINGS))

    def test_reference_versions_are_named(self):
        for proxy in ("haproxy", "varnish"):
            versions = self.refs[proxy]["versions"]
            version, scenario = next(iter(self.refs[proxy]["entries"]))
            line = [l for l in self.cases[(proxy, version, "empty_reply")] if "fetcherror=\"-\"" not in l][0]
            with self.subTest(proxy=proxy):
                proc = run([line])
                self.assertIn("reference covers %s %s; your line may come from another version"
                              % (proxy, ", ".join(versions)), proc.stdout)
                r = json.loads(run(["--json", "--top", "1", line]).stdout)[0]
                self.assertEqual(r["recognised"], [proxy])
                self.assertEqual(r["recognised_versions"], {proxy: versions})
                self.assertEqual(r["reference_versions"], versions)
                self.assertIn(r["proxy_version"], versions)
        # --help says which proxy versions the reference covers
        help_text = " ".join(run(["--help"]).stdout.split())
        for proxy, p in self.refs.items():
            self.assertIn("%s %s" % (proxy, ", ".join(p["versions"])), help_text)


class Ties(unittest.TestCase):
    """Several scenarios at the same score: the answer says, for each, what differs in the
    recorded evidence (the scenario's summary, what the client saw, upstream attempts, time),
    in text and in JSON."""

    @classmethod
    def setUpClass(cls):
        cls.cases = reference_cases()
        cls.refs = reference_entries()
        cls.version = cls.refs["haproxy"]["versions"][-1]
        cls.line = production(cls.cases[("haproxy", cls.version, "empty_reply")][0], "empty_reply")
        # case counts here: haproxy's sH-- (a timeout) is not SH-- (the server closed)
        same = coarse(cls.cases[("haproxy", cls.version, "empty_reply")][0], keep_case=True)
        cls.tied = {s for (p, v, s), lines in cls.cases.items() if p == "haproxy" and v == cls.version
                    and coarse(lines[0], keep_case=True) == same}

    def test_text_says_what_differs(self):
        self.assertGreaterEqual(len(self.tied), 2, "haproxy writes empty_reply's line for it alone now")
        top = len(self.tied)
        proc = run(["--top", str(top), self.line])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("%d scenarios tie at 1.00" % len(self.tied), proc.stdout)
        block = proc.stdout.split("scenarios tie at")[1]
        for scenario in sorted(self.tied):
            e = self.refs["haproxy"]["entries"][(self.version, scenario)]
            with self.subTest(scenario=scenario):
                row = [l for l in block.splitlines() if l.split() and l.split()[0] == scenario]
                self.assertEqual(len(row), 1, block)
                self.assertIn(scenario_summary(scenario), row[0])
                self.assertIn("client saw %s" % e["got"], row[0])
                n = e["upstream_attempts"]
                self.assertIn("%d upstream attempt%s" % (n, "" if n == 1 else "s"), row[0])
                self.assertRegex(row[0], r" [\d.]+ ms$")
        # fewer shown than tie: the rest is counted, with the --top that shows them
        proc = run(["--top", "2", self.line])
        self.assertIn("(%d more tie: --top %d shows them)" % (len(self.tied) - 2, len(self.tied)), proc.stdout)

    def test_json_carries_the_same_facts(self):
        out = explain_json([self.line], top=len(self.tied))
        self.assertEqual({r["scenario"] for r in out}, self.tied)
        for r in out:
            e = self.refs["haproxy"]["entries"][(self.version, r["scenario"])]
            with self.subTest(scenario=r["scenario"]):
                self.assertEqual(r["summary"], scenario_summary(r["scenario"]))
                self.assertEqual(r["got"], e["got"])
                self.assertEqual(r["upstream_attempts"], e["upstream_attempts"])
                self.assertAlmostEqual(r["elapsed_ms"], e["elapsed_ms"], places=3)
                self.assertEqual(set(r["tied_with"]), self.tied - {r["scenario"]})
                self.assertEqual(r["matched_by"], "signature")

    def test_scenario_folder_elsewhere_or_missing(self):
        # --scenarios names the folder the summaries come from; without one, the rest stays
        out = json.loads(run(["--json", "--scenarios", common.SCENARIOS, self.line]).stdout)
        self.assertEqual(out[0]["summary"], scenario_summary(out[0]["scenario"]))
        proc = run(["--scenarios", "/nonexistent/scenarios", self.line])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("(no summary); client saw", proc.stdout)
        out = json.loads(run(["--json", "--scenarios", "/nonexistent/scenarios", self.line]).stdout)
        self.assertIsNone(out[0]["summary"])
        self.assertTrue(out[0]["tied_with"])

    def test_no_tie_no_block(self):
        # a line only one scenario writes has nothing to tell apart
        unique = [(s, l) for (p, v, s), lines in sorted(self.cases.items()) if p == "haproxy" and v == self.version
                  for l in lines if len({s2 for (p2, v2, s2), l2 in self.cases.items() if p2 == p and v2 == v
                                         and coarse(l2[0], True) == coarse(l, True)}) == 1]
        self.assertTrue(unique, "every haproxy line is shared now")
        scenario, line = unique[0]
        proc = run(["--top", "1", production(line, scenario)])
        self.assertNotIn("tie at", proc.stdout)
        self.assertEqual(json.loads(run(["--json", "--top", "1", production(line, scenario)]).stdout)[0]["tied_with"], [])


class Usage(unittest.TestCase):
    def test_help(self):
        proc = run(["--help"])
        self.assertEqual(proc.returncode, 0)
        self.assertIn("usage: badup explain", proc.stdout)
        help_cmd = subprocess.run([common.BADUP, "help", "explain"], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(help_cmd.stdout, proc.stdout)
        top = subprocess.run([common.BADUP, "--help"], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertIn("explain", top.stdout)
        # --json's fields, of a match, of a no match and of a line with nothing near, are all named
        listed = set(re.findall(r"[a-z_]+", proc.stdout.split("--json", 1)[1].split("--top")[0]))
        for line in (COMBINED_502, "the quick brown fox", "-   FetchError     http first read error: EOF"):
            for key in json.loads(run(["--json", line]).stdout)[0]:
                self.assertIn(key, listed, line)

    def test_usage_errors(self):
        for args, stdin, what in [
            (["--top", "0", "x"], None, "--top wants a number from 1 to 1000, not '0'"),
            (["--top", "many", "x"], None, "not 'many'"),
            (["--top=many", "x"], None, "not 'many'"),
            (["--top"], None, "option '--top' needs a value"),
            (["x", "--reference"], None, "option '--reference' needs a value"),
            # the value of --top is the next argument, even one that looks like a log line
            (["--top", VARNISHLOG_EOF], None, "not '%s'" % VARNISHLOG_EOF),
            (["--reference", "/nonexistent/reference", "x"], None, "reference folder"),
            ([], "\n  \n", "no log line"),
            (["a line", "-"], None, "cannot be mixed"),
        ]:
            with self.subTest(args=args):
                proc = run(args, stdin=stdin or "")
                self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
                self.assertIn(what, proc.stderr)
                self.assertEqual(proc.stdout, "")

    def test_lines_starting_with_a_dash_are_log_lines(self):
        # varnishlog's records start with '-': never an option cluster, never "unknown option"
        for args in ([VARNISHLOG_EOF], ["--top", "1", VARNISHLOG_EOF], [VARNISHLOG_EOF, "--top", "1"],
                     ["--", VARNISHLOG_EOF], ["--json", VARNISHLOG_EOF]):
            with self.subTest(args=args):
                proc = run(args)
                self.assertIn(proc.returncode, (0, 1), proc.stderr)
                self.assertNotIn("option", proc.stderr)
                if "--json" in args:
                    self.assertEqual({r["input"] for r in json.loads(proc.stdout)}, {VARNISHLOG_EOF})
                else:
                    self.assertIn("recognised: varnish", proc.stdout)
                    self.assertEqual(proc.stdout.count("recognised:"), 1)

    def test_only_known_options_are_options(self):
        # an unknown --word is a log line (exit 1: it matches nothing), and stderr names it
        proc = run(["--bogus", "x y"])
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout.count("recognised:"), 2)
        self.assertIn("line 1: --bogus", proc.stdout)
        self.assertIn("'--bogus' is not an option", proc.stderr)
        # after '--' even a known option is a line; options may follow lines
        proc = run(["--", "--json"])
        self.assertEqual(proc.returncode, 1)
        self.assertIn("recognised:", proc.stdout)
        proc = run(["x y", "--json"])
        self.assertEqual(proc.returncode, 1)
        self.assertIsInstance(json.loads(proc.stdout), list)
        # a lone '-' is stdin
        proc = run(["-"], stdin=VARNISHLOG_EOF + "\n")
        self.assertIn("recognised: varnish", proc.stdout)

    def test_reference_found_next_to_the_binary(self):
        # from another folder, the default results/reference is found from the binary's place
        # only when the binary sits in a checkout's build folder; --reference always works
        proc = subprocess.run([common.BADUP, "explain", "--reference", REFERENCE, "--json", "x y z"],
                              capture_output=True, text=True, timeout=TIMEOUT, cwd="/")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIsInstance(json.loads(proc.stdout), list)


if __name__ == "__main__":
    unittest.main(verbosity=2)
