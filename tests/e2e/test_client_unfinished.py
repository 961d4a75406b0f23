#!/usr/bin/env python3
"""The scripted client after a request whose body it did not send completely (a final
response came first, or send_body_bytes held the rest back): that connection is out of
step with the server (RFC 9112 9.3, 9.6), so the next `connection = "same"` request goes on a
fresh one, and the transcript says why. Also what `requests sent` counts (a request whose
head was written) and `badup client --admin` at an address where no control API answers.
Each server here is a raw Python socket server standing in for the proxy."""

import os
import re
import socket
import unittest

import common
from test_client_script import SLOW, Peer, ScenarioFiles, badup, read_head

EARLY = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def setUpModule():
    common.require_binary()


def answer_at_head(peer, i, s):
    """Answers as soon as a head is in, and again for every later head on the connection;
    records, per connection, the first line of every head it read and the body bytes that
    came after the first head (what a server would read as request 1's body)."""
    seen = peer.seen.setdefault(i, [])
    head, rest = read_head(s)
    seen.append(head.split(b"\r\n")[0])
    s.sendall(EARLY)
    s.settimeout(SLOW / 2)
    more = rest
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            more += d
    except (socket.timeout, ConnectionResetError):
        pass
    peer.after[i] = more


class Unfinished(ScenarioFiles):

    def run_two(self, first, name):
        peer = Peer(answer_at_head, conns=2)
        peer.seen, peer.after = {}, {}
        path = self.scenario('%s,\nrequest { target = "/second", connection = "same" },' % first, name=name)
        p = badup(["client", path, "--to", "127.0.0.1:%d" % peer.port, "--timeout", str(SLOW)])
        peer.join(self)
        return peer, p

    def check(self, first, name):
        peer, p = self.run_two(first, name)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The second request is never written behind the unfinished body: it has a
        # connection of its own, and the first connection carried nothing that starts with it.
        self.assertEqual((peer.accepted, peer.seen.get(1)), (2, [b"GET /second HTTP/1.1"]), (peer.seen, p.stdout))
        self.assertNotIn(b"GET /second", peer.after[0])
        self.assertIn("requests sent: 2, connections: 2", p.stdout)
        self.assertRegex(p.stdout, r"response 2 \(request 2, connection 2\): HTTP/1.1 200 OK")
        return peer

    def test_paced_body_cut_short_by_an_early_response(self):
        peer = self.check('request { method = "POST", body = "aaaaabbbbbcccccddddd", '
                          'pace = { bytes = 5, every = 0.2 } }', "paced")
        # The client stopped sending the body once the response came (as before).
        self.assertLess(len(peer.after[0]), 20, peer.after)

    def test_paced_chunks_cut_short_by_an_early_response(self):
        self.check('request { method = "POST", chunks = { "aaaaa", "bbbbb", "ccccc", "ddddd" }, '
                   'pace = { bytes = 5, every = 0.2 } }', "chunks")

    def test_send_body_bytes(self):
        self.check('request { method = "POST", body = "abcdef", send_body_bytes = 2 }', "held")

    def test_expect_100_answered_with_a_final_response(self):
        # The body was never sent (RFC 9110 10.1.1): the server may still wait for it.
        peer = self.check('request { method = "POST", body = "abc", expect_100 = 5 }', "expect")
        self.assertEqual(peer.after[0], b"")

    def test_a_request_cut_short_counts_as_sent(self):
        # One request, its head written, its body cut short by the early response: sent.
        peer = Peer(answer_at_head)
        peer.seen, peer.after = {}, {}
        path = self.scenario('request { method = "POST", body = "aaaaabbbbbcccccddddd", '
                             'pace = { bytes = 5, every = 0.2 } },', name="one")
        p = badup(["client", path, "--to", "127.0.0.1:%d" % peer.port, "--timeout", str(SLOW)])
        peer.join(self)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("requests sent: 1, connections: 1", p.stdout)
        help_text = " ".join(badup(["client", "--help"]).stdout.split())
        self.assertIn("counts the requests whose head (request line and header section) was written completely",
                      help_text)

    def test_admin_where_no_control_api_answers(self):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        port = ls.getsockname()[1]
        ls.close()
        peer = Peer(lambda peer, i, s: None)
        path = self.scenario('request { abort = { at = "barrier", barrier = "up" } },', name="admin")
        admin = "127.0.0.1:%d" % port
        p = badup(["client", path, "--to", "127.0.0.1:%d" % peer.port, "--admin", admin])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"^badup client: cannot reach the control API at %s \(.+\)" % re.escape(admin))
        self.assertEqual(peer.accepted, 0)
        peer.ls.close()


if __name__ == "__main__":
    unittest.main()
