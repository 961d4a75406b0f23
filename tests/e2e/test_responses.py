#!/usr/bin/env python3
"""Well-formed and truncated responses, checked from outside: the exact bytes each
scenario writes, how the connection ends (FIN or RST), and what curl makes of it."""

import unittest

import common
from common import WIRE, CURL_CORE, request_bytes

RESPONSE_SCENARIOS = [
    "ok", "empty_reply", "reset_before_response", "close_mid_headers", "reset_mid_headers",
    "close_mid_body", "reset_mid_body", "truncated_body", "status_444", "truncated_chunked",
    "interim_1xx_then_close", "slow_drip", "chunked_ok", "status_204_with_body",
    "reset_after_response", "half_close", "idle_close", "close_delimited",
]
CURL_SCENARIOS = [
    "ok", "slow_drip", "status_444", "empty_reply", "reset_before_response",
    "reset_mid_headers", "reset_mid_body", "close_mid_body", "truncated_body",
    "truncated_chunked", "interim_1xx_then_close", "chunked_ok", "status_204_with_body",
    "reset_after_response", "half_close", "idle_close", "close_delimited",
]


def setUpModule():
    common.require_binary()


class Responses(common.WireChecks, unittest.TestCase):
    """One folder-mode server for the whole class: GET /NAME/x picks scenario NAME."""

    @classmethod
    def setUpClass(cls):
        cls.server = common.start_class_server(cls, common.SCENARIOS)

    def test_unrouted_request_gets_default_ok(self):
        r = self.server.exchange(request_bytes("/no-such-scenario/x", close=True))
        self.assertEqual(r.data, WIRE["ok"]["bytes"])
        self.assertEqual(r.end, "fin")

    def test_root_path_gets_default_ok(self):
        r = self.server.exchange(request_bytes("/", close=True))
        self.assertEqual(r.data, WIRE["ok"]["bytes"])

    def test_route_ignores_query_string(self):
        r = self.server.exchange(request_bytes("/empty_reply?x=1"))
        self.assertEqual((r.data, r.end), (b"", "fin"))

    def test_head_request_to_ok(self):
        # HEAD is answered with the same bytes the plan says: badup does not fix responses.
        r = self.server.exchange(request_bytes("/ok/x", method="HEAD", close=True))
        self.assertEqual(r.data, WIRE["ok"]["bytes"])

    def test_empty_reply_request_was_read(self):
        # A request with a body: rxreq() reads it all before closing, so the close is a FIN
        # (a close with unread bytes would have been a RST).
        body = b"x" * 5000
        r = self.server.exchange(request_bytes("/empty_reply/x", method="POST",
                                               headers=["Content-Length: %d" % len(body)], body=body))
        self.assertEqual((r.data, r.end), (b"", "fin"))

    def test_many_sequential_connections(self):
        for i in range(20):
            r = self.server.exchange(request_bytes("/ok/%d" % i, close=True))
            self.assertEqual(r.data, WIRE["ok"]["bytes"], "connection %d" % i)


common.add_wire_tests(Responses, RESPONSE_SCENARIOS)
common.add_curl_tests(Responses, CURL_SCENARIOS, CURL_CORE)


if __name__ == "__main__":
    unittest.main()
