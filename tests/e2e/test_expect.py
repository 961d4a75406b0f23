#!/usr/bin/env python3
"""`expect` as a table (docs/scenarios.md, "Assertions"): a bad table does not load
(`badup serve` and `badup run` exit 2 with FILE:LINE: message), and a failed assertion is in
the case's signature: `badup run` through a one-file Python proxy (tests/e2e/
test_proxy_one_file.py's `tiny`) fails on it, names it in results.json, junit.xml and the
list under the table, and once recorded with --update-reference the same signature deviates.
`--set NAME=VALUE` gives the scenario the field name its assertion reads (ctx.field).
upstream_closed says who ended the upstream connection once the client gave up, from the
case's upstream-events.json; curl's GET leaves client-sent.txt and client-received.txt."""

import json
import xml.dom.minidom
import os
import re
import shutil
import tempfile
import unittest

import common
from test_proxy_config import HAPROXY_CFG
from test_proxy_one_file import TINY_LUA, TINY_PY

# name -> (file text, line the error must name, words the message must contain)
BAD = {
    "shortened_by_ctx": ("""-- bad: ctx.hop is not set, so the absent list loses an entry
return scenario {
  summary = "x",
  expect  = { status = 200, headers = { absent = { "X-Foo", ctx.hop } } },
  plan    = { rxreq(), close() },
}
""", 2, "the file read ctx.hop (not set), and its expect is a table"),
    "unknown_field": ("""-- bad: an assertion that does not exist
return scenario {
  summary = "x",
  expect  = { status = 200, colour = "red" },
  plan    = { rxreq(), close() },
}
""", 2, "unknown field 'colour'"),
    "wrong_type": ("""-- bad: headers.absent is a list of names
return scenario {
  summary = "x",
  expect  = { status = 200, headers = { absent = "Via" } },
  plan    = { rxreq(), close() },
}
""", 2, "expect.headers: absent must be a table"),
    "bad_regex": ("""-- bad: an ERE that does not compile is a load error, not a failed case
return scenario {
  summary = "x",
  expect  = { status = 200, headers = { match = { Server = "(nginx" } } },
  plan    = { rxreq(), close() },
}
""", 2, "is not a valid POSIX ERE"),
    "bad_outcome_word": ("""-- bad: alternatives are outcome words
return scenario {
  summary = "x",
  expect  = { 502, "sometimes" },
  plan    = { rxreq(), close() },
}
""", 2, "expect[2]: status 'sometimes' is not"),
    "no_status": ("""-- bad: a set of assertions says which status
return scenario {
  summary = "x",
  expect  = { reason = "OK" },
  plan    = { rxreq(), close() },
}
""", 2, "status is required"),
    "bad_connection": ("""-- bad: connection is closed or kept
return scenario {
  summary = "x",
  expect  = { status = 200, connection = "open" },
  plan    = { rxreq(), close() },
}
""", 2, "connection must be \"closed\" or \"kept\""),
    "upstream_closed_s_alone": ("""-- bad: how soon the proxy closed them needs upstream_closed = true
return scenario {
  summary = "x",
  expect  = { status = 502, upstream_closed_s = 1 },
  plan    = { rxreq(), close() },
}
""", 2, "upstream_closed_s (how soon the proxy closed them) needs upstream_closed = true"),
    # An assertion built from a ctx value that is not set (no --set field=...) comes out empty:
    # it would assert nothing, and the case pass having tested nothing.
    "empty_from_ctx": ("""-- bad without --set field=...: present = { nil } is { }
return scenario {
  summary = "x",
  expect  = { status = 200, headers = { present = { ctx.field } } },
  plan    = { rxreq(), txresp { status = 200 } },
}
""", 2, "expect.headers: present is empty: it asserts nothing; a ctx value that is not set (badup run --set "
        "NAME=VALUE) leaves it empty, and this file read ctx.field, not set"),
    "empty_map_from_ctx": ("""-- bad without --set value=...: equal = { Via = nil } is { }
return scenario {
  summary = "x",
  expect  = { 502, { status = 200, headers = { equal = { Via = ctx.value } } } },
  plan    = { rxreq(), txresp { status = 200 } },
}
""", 2, "expect[2].headers: equal is empty: it asserts nothing; a ctx value that is not set"),
    "empty_log": ("""-- bad: a log map with no proxy in it
return scenario {
  summary = "x",
  expect  = { status = 502, log = {} },
  plan    = { rxreq(), close() },
}
""", 2, "expect: log is empty: it asserts nothing"),
    "min_after_max": ("""-- bad: no exchange lasts at least 3 s and at most 1 s
return scenario {
  summary = "x",
  expect  = { status = 502, min_s = 3, max_s = 1 },
  plan    = { rxreq(), close() },
}
""", 2, "min_s (3 s) is greater than max_s (1 s)"),
    "check_min_after_max": ("""-- bad: the same in check
return scenario {
  summary = "x",
  expect  = 502,
  check   = { min_s = 3, max_s = 1 },
  plan    = { rxreq(), close() },
}
""", 2, "check.min_s (3 s) is greater than check.max_s (1 s)"),
    "upstream_past_the_last": ("""-- bad: there is one upstream
return scenario {
  summary = "x",
  expect  = { status = 200, upstream = { upstream = 2 } },
  plan    = { rxreq(), txresp { status = 200 } },
}
""", 2, "expect.upstream: upstream = 2, but the scenario has 1 upstream"),
    "upstream_requests_past_the_last": ("""-- bad: there are two upstreams
return scenario {
  summary = "x",
  upstreams = 2,
  expect  = { status = 200, upstream_requests = { { upstream = 1 }, { upstream = 3 } } },
  plan    = { rxreq(), txresp { status = 200 } },
}
""", 2, "expect.upstream_requests[2]: upstream = 3, but the scenario has 2 upstreams"),
    "more_responses_than_requests": ("""-- bad: the client sends two requests
return scenario {
  summary = "x",
  expect  = { status = 200, responses = { { status = 200 }, { status = 200 }, { status = 200 } } },
  client  = { request {}, request {} },
  plan    = { rxreq(), txresp { status = 200 } },
}
""", 2, "expect: responses lists 3 responses, but the client part sends 2 requests"),
}

# ok, with an assertion no proxy can meet: a field the upstream never sends and `tiny`
# never adds. Its name comes from `badup run --set field=...`, which the simulator's load
# of the file gets too (or the upstream closes, and the outcome is 502).
NEVER = """-- the upstream answers 200 "ok"; expect a field nobody sends
return scenario {
  summary = '200 ok, and a field <nobody> adds & "quotes"',  -- XML's special characters
  expect  = { status = 200, headers = { present = { ctx.field } }, attempts = 1 },
  -- without ctx.field in the simulator too, the upstream closes: the proxy answers 502
  plan    = ctx.field and { rxreq(), txresp { status = 200, body = "ok" } } or { rxreq(), close() },
}
"""


def setUpModule():
    common.require_binary()


# one badup run to completion
badup = common.badup_text


class LoadErrors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="badup-e2e-expect-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def check(self, name):
        text, line, word = BAD[name]
        path = common.write_scenario(self.dir, name, text)
        p = badup(["serve"] + common.FAST + [path], timeout=20)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertNotIn("badup serve: listen=", p.stdout)
        m = re.search(r"^(%s|%s):%d: (.*)$" % (re.escape(path), re.escape(os.path.basename(path)), line), p.stderr,
                      re.M)
        self.assertTrue(m, "no %s:%d: line in:\n%s" % (path, line, p.stderr))
        self.assertIn(word, m.group(2))

    def test_a_set_ctx_value_fills_the_assertion(self):
        # the same file loads once --set gives the field its name
        path = common.write_scenario(self.dir, "empty_from_ctx", BAD["empty_from_ctx"][0])
        server = common.Server(path, args=["--set", "field=Via"]).start()
        self.addCleanup(server.kill)
        self.assertTrue(server.startup_line.startswith("badup serve: listen="), server.startup_line)
        server.stop_and_check()

    def test_an_optional_ctx_value_read_with_rawget_loads(self):
        path = common.write_scenario(self.dir, "rawget", """-- an optional ctx value
local extra = rawget(ctx, "extra") or "X-Bar"
return scenario {
  summary = "x",
  expect  = { status = 200, headers = { absent = { "X-Foo", extra } } },
  plan    = { rxreq(), close() },
}
""")
        server = common.Server(path).start()
        self.addCleanup(server.kill)
        server.stop_and_check()
        # and the shortened list loads once the value is set
        path = common.write_scenario(self.dir, "shortened_by_ctx", BAD["shortened_by_ctx"][0])
        server = common.Server(path, args=["--set", "hop=X-Hop"]).start()
        self.addCleanup(server.kill)
        server.stop_and_check()

    def test_raw_bytes_may_hold_more_responses_than_requests(self):
        # one request{} whose raw bytes are two pipelined requests: two responses
        path = common.write_scenario(self.dir, "raw_two", """-- two requests in one raw write
return scenario {
  summary = "x",
  expect  = { status = 200, responses = { { status = 200 }, { status = 200 } } },
  client  = { request { raw = "GET /a HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" } },
  plan    = { rxreq(), txresp { status = 200 } },
}
""")
        server = common.Server(path).start()
        self.addCleanup(server.kill)
        server.stop_and_check()

    def test_run_refuses_a_folder_with_a_bad_table(self):
        path = common.write_scenario(self.dir, "bad_regex", BAD["bad_regex"][0])
        p = badup(["run", "--scenarios", self.dir, "--proxy", "all", "--out", os.path.join(self.dir, "out"),
                   "--quiet"])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"%s:2: .*is not a valid POSIX ERE" % re.escape(path))


def _bad(name):
    def test(self):
        self.check(name)
    test.__name__ = "test_" + name
    return test


for _name in BAD:
    setattr(LoadErrors, "test_" + _name, _bad(_name))


class FailedAssertion(unittest.TestCase):
    """One scenario through `tiny`: fail, then recorded, then deviates."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-expect-run-")
        cls.defs = os.path.join(cls.tmp, "proxies")
        cls.scns = os.path.join(cls.tmp, "scenarios")
        os.makedirs(cls.defs)
        os.makedirs(cls.scns)
        for name, text in (("tiny.lua", TINY_LUA), ("tiny-proxy.py", TINY_PY)):
            with open(os.path.join(cls.defs, name), "w") as f:
                f.write(text)
        with open(os.path.join(cls.scns, "never.lua"), "w") as f:
            f.write(NEVER)
        cls.ref = os.path.join(cls.tmp, "reference")
        os.makedirs(cls.ref)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def run_once(self, out, *extra):
        return badup(["run", "--proxies", self.defs, "--proxy", "tiny", "--scenarios", self.scns,
                      "--reference", self.ref, "--out", os.path.join(self.tmp, out), "--quiet",
                      "--set", "field=X-Badup-Never"] + list(extra), timeout=120)

    def case(self, out):
        with open(os.path.join(self.tmp, out, "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual(len(cases), 1, cases)
        return cases[0]

    def test_fail_then_recorded_then_deviates(self):
        signature = "200 !headers.present:X-Badup-Never"
        p = self.run_once("first")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        c = self.case("first")
        self.assertEqual((c["expect"], c["got"], c["verdict"]), ("200", signature, "fail"))
        by_id = {a["id"]: a for a in c["assertions"]}
        self.assertEqual(sorted(by_id), ["attempts", "headers.present:X-Badup-Never", "status"])
        self.assertEqual((by_id["status"]["ok"], by_id["status"]["got"]), (True, "200"))
        self.assertEqual(by_id["attempts"], {"id": "attempts", "expected": "1", "got": "1", "ok": True})
        failed = by_id["headers.present:X-Badup-Never"]
        self.assertEqual((failed["ok"], failed["expected"]), (False, "present"))
        named = "headers.present:X-Badup-Never: expected present, got %s" % failed["got"]
        self.assertTrue(c["reason"].startswith(named), c["reason"])
        # the list under the table, and the JUnit failure
        self.assertIn("FAIL tiny/never: expected 200, got %s (%s" % (signature, named), p.stdout)
        with open(os.path.join(self.tmp, "first", "junit.xml")) as f:
            junit = f.read()
        self.assertIn('<failure message="expected 200, got %s: %s' % (signature, named), junit)
        self.assertIn("assertion headers.present:X-Badup-Never: expected present, got", junit)
        # a summary's '<', '&' and '"' are escaped: the file is well-formed XML
        xml.dom.minidom.parseString(junit)
        self.assertIn("(200 ok, and a field &lt;nobody&gt; adds &amp; &quot;quotes&quot;)", junit)
        # the CSV keeps its columns; got holds the signature
        with open(os.path.join(self.tmp, "first", "results.csv")) as f:
            rows = f.read().splitlines()
        self.assertTrue(rows[0].startswith("proxy,proxy_version,scenario,expect,got,verdict,"), rows[0])
        self.assertIn(",never,200,%s,fail," % signature, rows[1])

        p = self.run_once("recorded", "--update-reference")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual((self.case("recorded")["got"], self.case("recorded")["verdict"]), (signature, "deviates"))
        with open(os.path.join(self.ref, "tiny.json")) as f:
            ref = json.load(f)
        (version,) = ref["versions"].values()
        self.assertEqual(version["scenarios"]["never"]["got"], signature)
        self.assertEqual(version["scenarios"]["never"]["seen"], [signature])

        p = self.run_once("again")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = self.case("again")
        self.assertEqual((c["got"], c["verdict"]), (signature, "deviates"))
        self.assertIn("expected present, got", c["reason"])

    @unittest.skipUnless(shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy"), "haproxy is not installed")
    def test_set_goes_with_a_proxy_config(self):
        cfg = os.path.join(self.tmp, "my.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG)
        out = os.path.join(self.tmp, "pconf")
        p = badup(["run", "--proxy", "haproxy", "--proxy-config", cfg, "--scenarios", self.scns, "--reference",
                   self.ref, "--out", out, "--quiet", "--set", "field=X-Badup-Never"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        with open(os.path.join(out, "results.json")) as f:
            (c,) = json.load(f)["cases"]
        self.assertEqual((c["got"], c["verdict"]), ("200 !headers.present:X-Badup-Never", "fail"))

    def test_set_is_checked(self):
        for bad, word in (("field", "--set wants NAME=VALUE"), ("1x=2", "--set wants NAME=VALUE"),
                          ("read_timeout=1", "give --read-timeout instead")):
            p = badup(["run", "--proxies", self.defs, "--proxy", "tiny", "--scenarios", self.scns, "--set", bad])
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
            self.assertIn(word, p.stderr)
        p = badup(["run", "--help"])
        self.assertIn("--set NAME=VALUE", p.stdout)


# The client gives up (a FIN 0.3 s into a 1.5 s stall; `tiny` does not notice and waits for
# the answer). Then either the upstream closes its connection itself, or it keeps it and
# `tiny` closes it once it has the answer: the proxy's close, but 1.5 s after the accept.
GIVES_UP = """-- the client gives up 0.3 s into a 1.5 s stall
return scenario {
  summary = "the client gives up; %(summary)s",
  expect  = { status = 200, %(expect)s },
  client  = { request { abort = { at = "time", after_s = 0.3, how = "fin" } } },
  plan    = { rxreq(), stall(1.5), txresp { status = 200, body = "late" }%(end)s },
}
"""
UPSTREAM_CLOSES = GIVES_UP % {"summary": "the upstream ends its connection", "expect": "upstream_closed = false",
                              "end": ", close()"}
PROXY_CLOSES = GIVES_UP % {"summary": "the proxy ends it, late",
                           "expect": "upstream_closed = true, upstream_closed_s = 1", "end": ""}
# Alternatives: every one's status is the expect a report shows, once each.
ALTERNATIVES = """-- 502 or 200; `tiny` passes the upstream's 200 on
return scenario {
  summary = "alternatives: 502, or 200 with its body",
  expect  = { 502, 200, { status = 200, body = "ok" } },
  plan    = { rxreq(), txresp { status = 200, body = "ok" } },
}
"""
# A method `tiny` (Python's http.server) does not know: it answers 501 by itself. A status
# outcome the upstream never saw fails unless an alternative asserts the attempts.
BY_ITSELF = """-- a method the proxy does not know; it answers by itself
return scenario {
  summary = "BREW, answered by the proxy alone",
  expect  = %s,
  client_request = "BREW /by_itself/1 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n",
  plan    = { rxreq(), txresp { status = 200 } },
}
"""
# No client part: curl's GET.
PLAIN = """-- curl's GET, answered
return scenario { summary = "a plain GET", expect = 200, plan = { rxreq(), txresp { status = 200, body = "ok" } } }
"""


class UpstreamClosedAndTranscripts(unittest.TestCase):
    """How `tiny` left its upstream connection once its client gave up (upstream_closed,
    upstream_closed_s from upstream-events.json), and curl's bytes in the case folder."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-expect-upclosed-")
        defs, scns = os.path.join(cls.tmp, "proxies"), os.path.join(cls.tmp, "scenarios")
        os.makedirs(defs)
        os.makedirs(scns)
        for name, text in (("tiny.lua", TINY_LUA), ("tiny-proxy.py", TINY_PY)):
            with open(os.path.join(defs, name), "w") as f:
                f.write(text)
        for name, text in (("upstream_closes", UPSTREAM_CLOSES), ("proxy_closes", PROXY_CLOSES), ("plain", PLAIN),
                           ("alternatives", ALTERNATIVES), ("by_itself", BY_ITSELF % '{ 501, "closed" }'),
                           ("by_itself_said", BY_ITSELF % '{ { status = 501, attempts = 0 }, "closed" }')):
            with open(os.path.join(scns, name + ".lua"), "w") as f:
                f.write(text)
        cls.scns = scns
        cls.out = os.path.join(cls.tmp, "out")
        cls.done = badup(["run", "--proxies", defs, "--proxy", "tiny", "--scenarios", scns, "--out", cls.out,
                         "--quiet"], timeout=120)
        with open(os.path.join(cls.out, "results.json")) as f:
            cls.cases = {c["scenario"]: c for c in json.load(f)["cases"]}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def assertion(self, scenario, id):
        by_id = {a["id"]: a for a in self.cases[scenario]["assertions"]}
        return by_id[id]

    def test_the_upstream_ended_it(self):
        c = self.cases["upstream_closes"]
        self.assertEqual((c["got"], c["verdict"]), ("200", "pass"), c)
        a = self.assertion("upstream_closes", "upstream_closed")
        self.assertTrue(a["ok"], a)
        self.assertEqual(a["expected"], "an upstream connection not closed by the proxy")
        self.assertRegex(a["got"], r"^connection \d+ ended by the upstream \(fin\) at 1\.\d\d s$")

    def test_the_proxy_ended_it_but_too_late(self):
        self.assertEqual(self.done.returncode, 1, self.done.stdout + self.done.stderr)
        c = self.cases["proxy_closes"]
        self.assertEqual((c["got"], c["verdict"]), ("200 !upstream_closed_s", "fail"), c)
        held = self.assertion("proxy_closes", "upstream_closed")
        self.assertTrue(held["ok"], held)
        self.assertRegex(held["got"], r"^connection \d+ closed by the proxy \(peer_fin\) at 1\.\d\d s$")
        late = self.assertion("proxy_closes", "upstream_closed_s")
        self.assertFalse(late["ok"], late)
        self.assertEqual((late["expected"], late["got"]), ("closed by the proxy within 1 s of its accept", held["got"]))
        self.assertIn("upstream_closed_s: expected closed by the proxy within 1 s of its accept, got connection",
                      c["reason"])
        # the evidence it was read from
        with open(os.path.join(self.out, "cases", "tiny", "proxy_closes", "upstream-events.json")) as f:
            (conn,) = json.load(f)
        self.assertEqual(conn["end"], "peer_fin")

    def test_the_expect_shown_is_every_alternative(self):
        # not the first alternative's 502 alone: "pass: got 200 (expect 502)" read as a lie
        c = self.cases["alternatives"]
        self.assertEqual((c["expect"], c["got"], c["verdict"]), ("502|200", "200", "pass"), c)
        with open(os.path.join(self.out, "junit.xml")) as f:
            self.assertIn("pass: got 200 (expect 502|200)", f.read())
        with open(os.path.join(self.out, "results.csv")) as f:
            self.assertIn(",alternatives,502|200,200,pass,", f.read())
        with open(os.path.join(self.out, "report.md")) as f:
            report = f.read()
        # a markdown cell: its "|" escaped, or the row splits
        self.assertRegex(report, r"\| alternatives +\| 502\\\|200 +\| 200 +\|")
        self.assertIn("| plain ", report)
        p = badup(["list", "--scenarios", self.scns], timeout=30)
        self.assertRegex(p.stdout, r"\n  alternatives +502\|200 +alternatives: 502, or 200 with its body\n")
        self.assertRegex(p.stdout, r"\n  plain +200 +a plain GET\n")

    def test_a_proxy_that_answers_by_itself_is_told_so(self):
        # 501 held, but with 0 upstream attempts: the reason says that is why, not that the
        # config may send the request elsewhere
        c = self.cases["by_itself"]
        self.assertEqual((c["expect"], c["got"], c["verdict"], c["upstream_attempts"]),
                         ("501|closed", "501", "fail", 0), c)
        self.assertTrue(c["reason"].startswith("the proxy answered 501 by itself (0 upstream attempts); add "
                                               "attempts = 0 (or connections = 0) to the alternative if that is "
                                               "right"), c["reason"])
        self.assertNotIn("does the config send it", c["reason"])
        c = self.cases["by_itself_said"]
        self.assertEqual((c["got"], c["verdict"]), ("501", "pass"), c)

    def test_curl_leaves_its_bytes_in_the_case_folder(self):
        self.assertEqual(self.cases["plain"]["got"], "200")
        folder = os.path.join(self.out, "cases", "tiny", "plain")
        with open(os.path.join(folder, "client-sent.txt"), "rb") as f:
            sent = f.read()
        with open(os.path.join(folder, "client-received.txt"), "rb") as f:
            received = f.read()
        self.assertTrue(sent.startswith(b"--- connection 1 ---\nGET /plain/1 HTTP/1.1\r\nHost: 127.0.0.1:"), sent)
        self.assertTrue(sent.endswith(b"\r\n\r\n"), sent)
        self.assertTrue(received.startswith(b"--- connection 1 ---\nHTTP/1.0 200 OK\r\n"), received)
        self.assertTrue(received.endswith(b"\r\n\r\nok"), received)


if __name__ == "__main__":
    unittest.main()
