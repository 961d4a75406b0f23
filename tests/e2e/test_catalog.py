#!/usr/bin/env python3
"""The scenario catalog as a whole: every file loads (alone and as a folder), every
required name is there with a summary and the expectation the design asks for, and each
file is documented."""

import os
import re
import unittest

import common

# What the client of an RFC 9110-conforming proxy should see, per the design brief.
EXPECT = {
    "ok": 200, "refuse": 502, "blackhole": 504, "close_on_accept": 502, "reset_on_accept": 502,
    "empty_reply": 502, "reset_before_response": 502, "stall_headers": 504,
    "stall_body": "200+truncated", "slow_drip": 200, "close_mid_headers": 502,
    "reset_mid_headers": 502, "close_mid_body": "200+truncated",
    "reset_mid_body": "200+truncated", "truncated_body": "200+truncated",
    "malformed_status_line": 502, "status_999": 502, "status_444": 444, "http09": 502,
    "garbage": 502, "no_colon_header": 502, "space_before_colon": 200, "nul_in_header": 502,
    "bare_lf": 200, "obs_fold": 502, "dup_content_length": 502, "bad_content_length": 502,
    "te_and_cl": 502, "bad_chunk_size": "200+truncated", "truncated_chunked": "200+truncated",
    "huge_header": 502, "interim_1xx_then_close": 502, "keepalive_race": 200,
    "fail_first_then_ok": 502,
    # the first alternative's status (the table's expect column)
    "head_chunked": 200, "hop_by_hop_stripped": 200, "te_cl_response": 502, "request_cl_removed": 400,
    "upload_early_reject": 413, "expect_100_continue": 200, "expect_100_upstream_rejects": 417,
    "client_abort_waiting": "closed", "client_abort_mid_body": "200+aborted", "retry_next_upstream": 502,
    "pipelined_two": 200,
    "fwd_absolute_form_ok": 200, "fwd_auth_required": 407, "fwd_auth_wrong": 407, "fwd_auth_ok": 200,
    "fwd_acl_denied": 403, "fwd_refused": 502, "fwd_connect_ok": 200, "fwd_connect_refused": 502,
    "fwd_connect_denied": 403, "fwd_upstream_empty_reply": 502,
    # the request side (the first alternative's status)
    "req_method_invalid": 400, "req_method_unknown_token": 501, "req_version_invalid": 400,
    "req_version_2_in_h1": 505, "req_target_non_ascii": 400, "req_header_name_non_ascii": 400,
    "req_header_space_before_colon": 400, "req_dup_content_length_conflict": 400,
    "req_content_length_invalid": 400, "req_content_length_negative": 400, "req_te_and_cl": 400,
    "req_post_no_length": 200, "req_dup_host": 400, "req_missing_host": 400,
    "req_dup_authorization": 400, "req_uri_too_long": 414, "req_header_too_large": 431,
    "req_body_too_large": 413, "req_slow_headers": 408, "req_headers_stall": 408,
    "req_body_stall": 408, "req_chunked_bad_size": 400, "http10_keepalive": 200,
}
FUNCTION_PLANS = {"keepalive_race", "fail_first_then_ok", "pipelined_two", "h2_rst_refused_stream"}


def scenario_files():
    return sorted(f for f in os.listdir(common.SCENARIOS) if f.endswith(".lua"))


def setUpModule():
    common.require_binary()


class Documentation(unittest.TestCase):
    """Static checks of the files themselves (no server needed)."""

    def test_every_file_starts_with_a_comment_block(self):
        for f in scenario_files():
            with self.subTest(file=f):
                text = open(os.path.join(common.SCENARIOS, f)).read()
                lines = text.split("\n")
                self.assertTrue(lines[0].startswith("-- " + f[:-4] + ":"),
                                "first line should name the scenario: %r" % lines[0])
                block = []
                for line in lines:
                    if not line.startswith("--"):
                        break
                    block.append(line)
                block = "\n".join(block)
                self.assertGreaterEqual(len(block.split("\n")), 6, "comment block too short")
                self.assertRegex(block, r"RFC 91(10|12|13) \d", "no RFC section cited")
                self.assertIn("curl", block, "does not say what curl sees")
                self.assertIn("Models:", block, "does not say what it models")
                self.assertRegex(text, r"\nreturn scenario \{\n")
                self.assertRegex(text, r'\n  summary = "')
                self.assertRegex(text, r"\n  expect  = ")

    def test_no_hard_coded_long_sleeps(self):
        # Stalls that must outlast a proxy timeout use stall() or ctx.*; a literal stall
        # longer than a second is a slow test or a flaky expectation.
        for f in scenario_files():
            text = open(os.path.join(common.SCENARIOS, f)).read()
            for m in re.finditer(r"stall\(\s*([0-9.]+)\s*\)", text):
                self.assertLessEqual(float(m.group(1)), 1.0, "%s: stall(%s)" % (f, m.group(1)))


class Catalog(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)
        cls.items = {i["name"]: i for i in common.as_list(cls.server.get("/scenarios"), "scenarios")}

    def test_folder_loads_every_file(self):
        names = sorted(f[:-4] for f in scenario_files())
        self.assertEqual(sorted(self.items), names)
        self.assertEqual(self.server.info.get("scenarios"), str(len(names)))

    def test_required_names_present(self):
        missing = [n for n in common.REQUIRED_SCENARIOS if n not in self.items]
        self.assertEqual(missing, [])

    def test_summary_and_expect(self):
        valid_strings = {"200+truncated", "200+aborted", "aborted", "closed", "reset", "timeout"}
        for name, item in self.items.items():
            with self.subTest(name=name):
                self.assertIsInstance(item["summary"], str)
                self.assertGreater(len(item["summary"]), 10)
                self.assertNotIn("\n", item["summary"])
                e = common.expect_value(item["expect"])
                if isinstance(e, str):
                    self.assertIn(e, valid_strings)
                else:
                    self.assertIsInstance(e, int)
                    self.assertTrue(100 <= e <= 599, e)

    def test_expectations_match_the_design(self):
        for name, want in EXPECT.items():
            with self.subTest(name=name):
                self.assertEqual(common.expect_value(self.items[name]["expect"]), want)

    def test_kinds(self):
        for name, item in self.items.items():
            with self.subTest(name=name):
                if name in common.LISTENER_SCENARIOS:
                    want = "listener"
                elif name in FUNCTION_PLANS:
                    want = "function"
                else:
                    want = "static"
                self.assertEqual(item["kind"], want)

    def test_every_file_loads_alone(self):
        for f in scenario_files():
            with self.subTest(file=f):
                s = common.Server(os.path.join(common.SCENARIOS, f)).start()
                try:
                    self.assertEqual(s.info.get("scenarios"), "1")
                    self.assertEqual(s.get("/default").get("name"), f[:-4])
                finally:
                    s.stop_and_check()

    def test_every_scenario_answers_by_path(self):
        # Every static or function scenario handles a request without an error (listener
        # and stalling ones are only connected to and closed).
        quick = [n for n in self.items if n not in ("blackhole", "stall_headers", "stall_body",
                                                     "stop_reading", "slow_drip", "idle_close",
                                                     "client_abort_waiting", "client_abort_mid_body",
                                                     "h2_stall_headers", "h2_stall_body")]
        for name in quick:
            r = self.server.exchange(common.request_bytes("/%s/x" % name, close=True), timeout=5.0)
            self.assertIn(r.end, ("fin", "reset"), "%s: %r" % (name, r))
        st = self.server.get("/stats")
        errors = {n: common.scenario_stats(st, n).get("errors") for n in self.items}
        self.assertEqual({n: e for n, e in errors.items() if e != 0}, {}, "errors per scenario")


if __name__ == "__main__":
    unittest.main()
