#!/usr/bin/env python3
"""Malformed responses, checked from outside: the exact (broken) bytes each scenario
writes, that it ends with a FIN, and what curl 7.88.1 makes of them (measured, then
asserted; skipped on other curl versions, whose parser differs)."""

import unittest

import common
from common import CURL_CORE, CURL_788

MALFORMED_SCENARIOS = [
    "malformed_status_line", "status_999", "http09", "garbage", "no_colon_header",
    "space_before_colon", "nul_in_header", "bare_lf", "obs_fold", "dup_content_length",
    "bad_content_length", "te_and_cl", "bad_chunk_size", "huge_header",
]


def setUpModule():
    common.require_binary()


class Malformed(common.WireChecks, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)

    def test_garbage_is_the_same_in_every_run_and_seed(self):
        # garbage.lua uses its own fixed-seed generator, not math.random: --seed does not
        # change it, and it does not look like a status line.
        other = common.start_server(self, common.SCENARIOS, args=["--seed", "12345"])
        a = self.server.exchange(common.request_bytes("/garbage/x"))
        b = other.exchange(common.request_bytes("/garbage/x"))
        self.assertEqual(a.data, b.data)
        self.assertEqual(len(a.data), 256)
        self.assertFalse(a.data.startswith(b"HTTP/"))

    def test_huge_header_line_is_64_kib(self):
        r = self.server.exchange(common.request_bytes("/huge_header/x"))
        lines = r.data.split(b"\r\n")
        self.assertEqual(max(len(l) for l in lines), 65536)


common.add_wire_tests(Malformed, MALFORMED_SCENARIOS)
common.add_curl_tests(Malformed, [n for n in MALFORMED_SCENARIOS if n in CURL_CORE], CURL_CORE)
common.add_curl_tests(Malformed, [n for n in MALFORMED_SCENARIOS if n in CURL_788], CURL_788,
                      only_measured=True)


if __name__ == "__main__":
    unittest.main()
