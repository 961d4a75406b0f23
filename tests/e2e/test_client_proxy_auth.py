"""`badup client --proxy-auth USER:PASSWORD`: the values of ${proxy_user}, ${proxy_password}
and ${proxy_credentials} (RFC 9110 11.7.1, RFC 7617 2). Without it a scenario that uses them is
refused (exit 2) with how to give them; a value over the limit is refused with the limit, and
--help states it."""
import base64
import os
import shutil
import socket
import tempfile
import unittest

import common
from test_client_script import SLOW, Peer, badup, read_head

FWD_AUTH = ('return scenario {\n  summary = "credentials", expect = 200, forward = { auth = true },\n'
            '  plan = { rxreq(), txresp { body = "ok" } },\n'
            '  client = { request { headers = { "Proxy-Authorization: Basic ${proxy_credentials}" } } },\n}\n')


def setUpModule():
    common.require_binary()


class ProxyAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-client-auth-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.path = os.path.join(cls.tmp, "fwd_cred.lua")
        with open(cls.path, "w") as f:
            f.write(FWD_AUTH)

    def closed_port(self):
        """A port nothing listens on: the refusals come before any connection."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def test_without_proxy_auth_says_how_to_give_it(self):
        p = badup(["client", self.path, "--to", "127.0.0.1:%d" % self.closed_port(), "--upstream", "127.0.0.1:9"])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("${proxy_credentials} has no value in this run: pass --proxy-auth USER:PASSWORD", p.stderr)

    def test_a_value_over_the_limit_is_refused_with_the_limit(self):
        value = "u:" + "p" * 199  # 201 bytes
        p = badup(["client", self.path, "--to", "127.0.0.1:%d" % self.closed_port(), "--proxy-auth", value])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("at most 200 bytes in all", p.stderr)
        self.assertIn("(201 bytes)", p.stderr)
        self.assertIn("at most 200 bytes in all", badup(["client", "--help"]).stdout)

    def test_control_characters_are_refused(self):
        # a CR LF in the user-id would end the header line it is written into
        for value in ("u\r\nEvil: 1:p", "u:p\x7f", "u\t:p"):
            with self.subTest(value=value):
                p = badup(["client", self.path, "--to", "127.0.0.1:%d" % self.closed_port(), "--proxy-auth", value])
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("must not hold control characters", p.stderr)

    def test_the_credentials_go_on_the_wire(self):
        got = {}

        def h(peer, i, s):
            got["head"], _ = read_head(s)
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        peer = Peer(h)
        value = "u:" + "p" * 198  # 200 bytes: the limit itself is taken
        p = badup(["client", self.path, "--to", "127.0.0.1:%d" % peer.port, "--upstream", "127.0.0.1:9",
                   "--proxy-auth", value, "--timeout", str(SLOW)])
        peer.join(self)
        self.assertEqual(p.returncode, 0, p.stderr)
        want = b"Proxy-Authorization: Basic " + base64.b64encode(value.encode()) + b"\r\n"
        self.assertIn(want, got["head"])


if __name__ == "__main__":
    unittest.main()
