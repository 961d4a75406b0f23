"""The control API's token.

`--admin` on a non-loopback address needs `--admin-token`, or `badup serve` refuses to start
(usage error, exit 2). With a token, every request must carry `Authorization: Bearer TOKEN`:
without it, or with another token, the answer is 401 (with a WWW-Authenticate challenge).

The server binds 0.0.0.0 in some tests, but the tests only ever connect to 127.0.0.1.
"""
import http.client
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (OK_200, SCENARIOS, request_bytes, require_binary, run_badup,  # noqa: E402
                    start_class_server, start_server)

TOKEN = "s3cret-Token_42"
LOOPBACK = "127.0.0.1"


def setUpModule():
    require_binary()


def call(port, method, path, headers=None, body=None):
    """One request to the control API on 127.0.0.1 (whatever address it is bound to);
    returns (status, headers, parsed JSON or text)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read().decode("utf-8", "replace")
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        return resp.status, resp.headers, parsed
    finally:
        conn.close()


def bearer(token):
    return {"Authorization": "Bearer " + token}


class UsageErrors(unittest.TestCase):
    def check_refused(self, admin):
        p = run_badup(["serve", "--admin", admin, SCENARIOS])
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 2, "--admin %s without a token: exit %d, stderr %r" % (admin, p.returncode, err))
        self.assertIn("--admin-token", err)
        self.assertEqual(p.stdout, b"", "it must not have started")

    def test_any_address_without_token_is_a_usage_error(self):
        self.check_refused("0.0.0.0:0")

    def test_ipv6_any_address_without_token_is_a_usage_error(self):
        self.check_refused("[::]:0")


class WithToken(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_class_server(cls, SCENARIOS, args=["--admin", "0.0.0.0:0", "--admin-token", TOKEN])

    def setUp(self):
        self.port = self.server.admin_addr[1]

    def test_startup_line_says_where_it_listens(self):
        self.assertEqual(self.server.info.get("admin"), "0.0.0.0:%d" % self.port)

    def test_without_token_401(self):
        for method, path in (("GET", "/health"), ("GET", "/stats"), ("GET", "/scenarios"), ("GET", "/metrics"),
                             ("GET", "/events"), ("GET", "/default"), ("POST", "/stats/reset"),
                             ("GET", "/no/such/thing")):
            status, headers, body = call(self.port, method, path)
            self.assertEqual(status, 401, "%s %s: %r" % (method, path, body))
            self.assertIn("Bearer", headers.get("WWW-Authenticate", ""), "%s %s" % (method, path))
            self.assertNotIn("scenarios", json.dumps(body), "a 401 must not leak data")

    def test_with_token_200(self):
        status, _, body = call(self.port, "GET", "/health", bearer(TOKEN))
        self.assertEqual((status, body), (200, {"ok": True}))
        status, _, body = call(self.port, "GET", "/stats", bearer(TOKEN))
        self.assertEqual(status, 200)
        self.assertIn("open_connections", body)
        # The scheme is case-insensitive (RFC 9110 11.1); the token is not.
        status, _, _ = call(self.port, "GET", "/health", {"Authorization": "bearer " + TOKEN})
        self.assertEqual(status, 200)

    def test_wrong_token_401(self):
        for value in ("Bearer wrong", "Bearer " + TOKEN[:-1], "Bearer " + TOKEN + "x", "Bearer " + TOKEN.lower(),
                      "Bearer", "Bearer ", "Basic " + TOKEN, TOKEN, "Bearer  " + TOKEN):
            status, _, body = call(self.port, "GET", "/health", {"Authorization": value})
            self.assertEqual(status, 401, "Authorization: %r got %s %r" % (value, status, body))

    def test_writes_need_the_token(self):
        status, _, _ = call(self.port, "PUT", "/default", body={"name": "empty_reply"})
        self.assertEqual(status, 401)
        status, _, body = call(self.port, "GET", "/default", bearer(TOKEN))
        self.assertEqual(body.get("name"), "ok", "a refused PUT changed the default")
        status, _, _ = call(self.port, "PUT", "/default", bearer("nope"), body={"name": "empty_reply"})
        self.assertEqual(status, 401)
        status, _, _ = call(self.port, "PUT", "/default", bearer(TOKEN), body={"name": "ok"})
        self.assertEqual(status, 200)

    def test_data_plane_needs_no_token(self):
        r = self.server.exchange(request_bytes("/ok/x", close=True))
        self.assertEqual(r.data, OK_200)


class LoopbackWithToken(unittest.TestCase):
    def test_token_is_enforced_on_loopback_too(self):
        s = start_server(self, SCENARIOS, args=["--admin-token", TOKEN])
        port = s.admin_addr[1]
        self.assertEqual(call(port, "GET", "/health")[0], 401)
        self.assertEqual(call(port, "GET", "/health", bearer(TOKEN))[0], 200)

    def test_loopback_without_token_is_open(self):
        s = start_server(self, SCENARIOS)
        self.assertEqual(call(s.admin_addr[1], "GET", "/health")[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
