#!/usr/bin/env python3
"""What a plan function sees (req.*, ctx, math.random seeded from --seed) and the exact
bytes the response{} builder produces (docs/scenarios.md)."""

import unittest

import common
from common import request_bytes, parse_echo

BUILDER_LUA = r"""-- test: response{} builder cases, picked by the path /case/NAME (/tx/NAME: txresp)
local cases = {
  default     = {},
  notfound    = { status = 404, body = "nope" },
  s999        = { status = 999 },
  reason      = { status = 200, reason = "Fine" },
  v10         = { version = "HTTP/1.0", body = "x" },
  line        = { status_line = "HTTP/1.1 OK", body = "x" },
  list        = { headers = { "X-A: 1", "X-B: 2" }, body = "hi" },
  pairs       = { headers = { { "X-A", "1" }, { "X-B", "2" } }, body = "hi" },
  map         = { headers = { ["X-B"] = "2", ["X-A"] = "1" }, body = "hi" },
  lie         = { body = "abc", length = 10 },
  nolen       = { body = "abc", length = false },
  s204        = { status = 204 },
  s304        = { status = 304 },
  s100        = { status = 100 },
  chunks      = { chunks = { "ab", "cde" } },
  chunks_open = { chunks = { "ab" }, last_chunk = false },
  own_cl      = { headers = { "Content-Length: 7" }, body = "abc" },
  own_te      = { headers = { "Transfer-Encoding: chunked" }, body = "0\r\n\r\n" },
  broken      = { headers = { "no colon", "X-Nul: a\0b", "X-Sp : v" } },
  binary      = { body = "\0\1\2\255" },
}
return scenario {
  summary = "response{} builder cases",
  expect  = 200,
  plan    = function(req)
    if req.path == "/cut" then
      return { send(response { body = "0123456789" }:sub(1, 20)), close() }
    end
    local how, name = req.path:match("^/(%w+)/([%w_]+)$")
    if how == "tx" then return { txresp(cases[name]), close() } end
    return { send(response(cases[name])), close() }
  end,
}
"""

HL = b"HTTP/1.1 200 OK\r\n"
BUILT = {
    "default": HL + b"Content-Length: 0\r\n\r\n",
    "notfound": b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
    # RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
    "s999": b"HTTP/1.1 999 \r\nContent-Length: 0\r\n\r\n",
    "reason": b"HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n",
    "v10": b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
    "line": b"HTTP/1.1 OK\r\nContent-Length: 1\r\n\r\nx",
    "list": HL + b"X-A: 1\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nhi",
    "pairs": HL + b"X-A: 1\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nhi",
    "map": HL + b"X-A: 1\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nhi",
    "lie": HL + b"Content-Length: 10\r\n\r\nabc",
    "nolen": HL + b"\r\nabc",
    "s204": b"HTTP/1.1 204 No Content\r\n\r\n",
    "s304": b"HTTP/1.1 304 Not Modified\r\n\r\n",
    "s100": b"HTTP/1.1 100 Continue\r\n\r\n",
    "chunks": HL + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
    "chunks_open": HL + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n",
    "own_cl": HL + b"Content-Length: 7\r\n\r\nabc",
    "own_te": HL + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "broken": HL + b"no colon\r\nX-Nul: a\x00b\r\nX-Sp : v\r\nContent-Length: 0\r\n\r\n",
    "binary": HL + b"Content-Length: 4\r\n\r\n\x00\x01\x02\xff",
}
# Where docs/scenarios.md does not say where the automatic Content-Length goes relative to
# the given headers, compare without caring about its position.
CL_POSITION_FREE = {"list", "pairs", "map", "broken"}


def normalise_cl(raw):
    """(status line, other header lines in order, Content-Length values, body)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    cls = [l for l in lines[1:] if l.lower().startswith(b"content-length:")]
    rest = [l for l in lines[1:] if not l.lower().startswith(b"content-length:")]
    return lines[0], rest, cls, body


def setUpModule():
    common.require_binary()


class RequestFields(common.TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        import shutil, tempfile
        d = tempfile.mkdtemp(prefix="badup-e2e-echo-")
        cls.addClassCleanup(shutil.rmtree, d, True)
        cls.path = common.write_scenario(d, "echo", common.echo_lua())
        cls.server = common.start_class_server(cls, cls.path, args=["--seed", "4242"])

    def ask(self, sock, req):
        sock.sendall(req)
        status, _, body = common.HTTPReader(sock).read_response()
        self.assertEqual(status, 200)
        return parse_echo(body)

    def test_request_line_headers_and_body(self):
        with self.server.connect() as s:
            e = self.ask(s, b"POST /some/path?a=1&b=two HTTP/1.1\r\nHost: t\r\nX-Test: hello there\r\n"
                            b"X-Rep: a\r\nx-rep: b\r\nContent-Length: 9\r\n\r\nthe\x00body!")
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["target"], "/some/path?a=1&b=two")
        self.assertEqual(e["path"], "/some/path")
        self.assertEqual(e["query"], "a=1&b=two")
        self.assertEqual(e["version"], "HTTP/1.1")
        self.assertEqual(e["x-test"], "hello there")
        self.assertEqual(e["x-rep"], "a, b")  # repeats joined with ", "
        self.assertEqual(e["header_list"],
                         "Host=t|X-Test=hello there|X-Rep=a|x-rep=b|Content-Length=9")
        self.assertEqual(e["body"], b"the\x00body!")
        self.assertEqual(e["body_len"], "9")
        self.assertEqual(e["scenario"], "echo")

    def test_missing_header_and_query(self):
        with self.server.connect() as s:
            e = self.ask(s, request_bytes("/p"))
        self.assertEqual(e["x-test"], "nil")
        self.assertIn(e["query"], ("", "nil"))
        self.assertEqual(e["body"], b"")

    def test_peer_is_our_address(self):
        with self.server.connect() as s:
            host, port = s.getsockname()[:2]
            e = self.ask(s, request_bytes("/p"))
        self.assertEqual(e["peer"], "%s:%d" % (host, port))

    def test_conn_id_conn_seq_seq(self):
        with self.server.connect() as a:
            a1 = self.ask(a, request_bytes("/a1"))
            a2 = self.ask(a, request_bytes("/a2"))
            with self.server.connect() as b:
                b1 = self.ask(b, request_bytes("/b1"))
                a3 = self.ask(a, request_bytes("/a3"))
        self.assertEqual([x["conn_seq"] for x in (a1, a2, b1, a3)], ["1", "2", "1", "3"])
        self.assertEqual(a1["conn_id"], a2["conn_id"])
        self.assertEqual(a1["conn_id"], a3["conn_id"])
        self.assertGreater(int(b1["conn_id"]), int(a1["conn_id"]))
        seqs = [int(x["seq"]) for x in (a1, a2, b1, a3)]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 4)))
        self.assertGreaterEqual(int(a1["conn_id"]), 1)

    def test_first_connection_is_1(self):
        d = self.make_tempdir()
        srv = common.start_server(self, common.write_scenario(d, "echo", common.echo_lua()))
        with srv.connect() as s:
            e = self.ask(s, request_bytes("/p"))
        self.assertEqual((e["conn_id"], e["conn_seq"], e["seq"]), ("1", "1", "1"))

    def test_ctx_from_set(self):
        with self.server.connect() as s:
            e = self.ask(s, request_bytes("/p"))
        self.assertEqual(float(e["read_timeout"]), common.READ_TIMEOUT)
        self.assertEqual(float(e["connect_timeout"]), common.CONNECT_TIMEOUT)

    def test_ctx_defaults(self):
        d = self.make_tempdir()
        srv = common.start_server(self, common.write_scenario(d, "echo", common.echo_lua()), fast=False)
        with srv.connect() as s:
            e = self.ask(s, request_bytes("/p"))
        self.assertEqual(float(e["connect_timeout"]), 1.0)
        self.assertEqual(float(e["read_timeout"]), 2.0)

    def test_seed_makes_math_random_repeat(self):
        path = common.write_scenario(self.make_tempdir(), "echo", common.echo_lua())

        def first_random(args):
            srv = common.start_server(self, path, args=args)
            with srv.connect() as s:
                return srv, self.ask(s, request_bytes("/p"))["random"]

        _, a = first_random(["--seed", "4242"])
        _, b = first_random(["--seed", "4242"])
        _, c = first_random(["--seed", "4243"])
        unseeded, u = first_random([])
        seed = unseeded.info.get("seed", "")
        self.assertRegex(seed, r"^\d+$", "no seed=N in %r" % unseeded.startup_line)
        _, replay = first_random(["--seed", seed])
        self.assertEqual(self.server.info.get("seed"), "4242")
        self.assertEqual(a, b, "same --seed, different math.random")
        self.assertNotEqual(a, c, "different --seed, same math.random")
        self.assertEqual(u, replay, "the printed seed does not replay the run")


class Builder(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        import shutil, tempfile
        d = tempfile.mkdtemp(prefix="badup-e2e-builder-")
        cls.addClassCleanup(shutil.rmtree, d, True)
        cls.server = common.start_class_server(cls, common.write_scenario(d, "builder", BUILDER_LUA))

    def get(self, path):
        r = self.server.exchange(request_bytes(path), timeout=3.0)
        self.assertEqual(r.end, "fin", r)
        return r.data

    def test_cut_response_string(self):
        self.assertEqual(self.get("/cut"), b"HTTP/1.1 200 OK\r\nCon")

    def test_txresp_equals_response(self):
        for name in BUILT:
            with self.subTest(name=name):
                self.assertEqual(self.get("/tx/" + name), self.get("/case/" + name))


def _builder_test(name):
    def test(self):
        got = self.get("/case/" + name)
        want = BUILT[name]
        if name in CL_POSITION_FREE:
            self.assertEqual(normalise_cl(got), normalise_cl(want), got)
        else:
            self.assertEqual(got, want)
    test.__name__ = "test_response_" + name
    return test


for _name in BUILT:
    setattr(Builder, "test_response_" + _name, _builder_test(_name))


if __name__ == "__main__":
    unittest.main()
