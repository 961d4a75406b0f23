#!/usr/bin/env python3
"""Adding a proxy is adding one file: a proxy defined only in a temporary folder (`tiny`, a
reverse proxy of a few lines of Python, with a log format of its own) is listed, run through
scenarios, recorded as a reference, recognised and explained by its own patterns, rendered for
an upstream and started from the command `badup proxy render` prints, and benchmarked by the
scripts of bench/, all with `--proxies DIR` (PROXY_DEFS for the scripts) and nothing else.

It needs python3 only (the proxy is Python); the benchmark part needs gnuplot, and is skipped
without it, except with CI=true."""

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import unittest
import urllib.request

import common

IN_CI = os.environ.get("CI", "").lower() == "true"

# The proxy: GET only, one upstream, one line per request: "tiny-proxy: GET PATH status=N
# upstream=WHAT". argv: PORT UPSTREAM_HOST UPSTREAM_PORT READ_TIMEOUT_S LOG.
TINY_PY = r'''import http.client, http.server, socket, sys

port, host, up_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
timeout, log = float(sys.argv[4]), open(sys.argv[5], "a", buffering=1)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, body, what = 502, b"bad gateway\n", "ok"
        try:
            c = http.client.HTTPConnection(host, up_port, timeout=timeout)
            c.request("GET", self.path)
            r = c.getresponse()
            status, body = r.status, r.read()
        except ConnectionRefusedError:
            what = "refused"
        except socket.timeout:
            status, body, what = 504, b"gateway timeout\n", "timeout"
        except http.client.RemoteDisconnected:
            what = "closed-early"
        except (ConnectionResetError, BrokenPipeError):
            what = "reset"
        except Exception:
            what = "invalid"
        # logged first: once the client has its answer, the line is there
        log.write("tiny-proxy: GET %s status=%d upstream=%s\n" % (self.path, status, what))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''

TINY_LUA = r'''-- tiny: a reverse proxy of a few lines of Python (tiny-proxy.py, beside this file).
return proxy {
  name = "tiny",
  summary = "a reverse proxy in Python, defined outside the repository",
  binary = { "python3" },
  version = { args = { "--version" }, pattern = "Python (%d+%.%d+%.%d+)" },
  files = { ["tiny.py"] = { from = "tiny-proxy.py" } },
  command = { "${binary}", "${dir}/tiny.py", "${proxy_port}", "${upstream_host}", "${upstream_port}",
              "${read_timeout}", "${dir}/access.log" },
  logs = { "access.log" },
  log_match = "^tiny-proxy: ",
  settle_ms = 50,
  explain = {
    detect = { "^tiny-proxy: " },
    tags = { "tiny" },
    signatures = {
      -- "ok" is written for every answered request: it says nothing about a failure
      { kind = "tiny-upstream", label = "upstream", pattern = " upstream=([a-z-]+)", group = 1,
        not_verdict = "^ok$" },
    },
    families = {
      { kind = "tiny-upstream", pattern = "^closed-early$", family = "close" },
      { kind = "tiny-upstream", pattern = "^refused$", family = "refused" },
    },
    look_in = { log = "access.log", what = "the upstream= field of its line" },
  },
}
'''

SCENARIOS = ["ok", "empty_reply", "refuse"]


def setUpModule():
    common.require_binary()


# one badup run to completion
badup = common.badup_text


class OneFileProxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-tiny-")
        cls.defs = os.path.join(cls.tmp, "proxies")
        os.makedirs(cls.defs)
        for name, text in (("tiny.lua", TINY_LUA), ("tiny-proxy.py", TINY_PY)):
            with open(os.path.join(cls.defs, name), "w") as f:
                f.write(text)
        cls.ref = os.path.join(cls.tmp, "reference")
        cls.out = os.path.join(cls.tmp, "run")
        # One run, recorded as the reference the explain tests read.
        cls.ran = badup(["run", "--proxies", cls.defs, "--proxy", "tiny", "--scenario", ",".join(SCENARIOS),
                         "--scenarios", common.SCENARIOS, "--jobs", "2", "--out", cls.out, "--reference", cls.ref,
                         "--update-reference", "--quiet"], timeout=240)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def test_list_shows_it(self):
        p = badup(["list", "--proxies", self.defs, "--scenarios", common.SCENARIOS])
        self.assertEqual(p.returncode, 0, p.stderr)
        proxies = p.stdout.split("\nproxies")[1].split("\nclient-side knobs")[0]
        rows = [l.split() for l in proxies.splitlines()[1:] if l.strip()]
        self.assertEqual([r[:2] for r in rows], [["tiny", "installed"]], p.stdout)

    def test_run_passes_and_reads_its_log(self):
        self.assertEqual(self.ran.returncode, 0, self.ran.stderr + self.ran.stdout)
        with open(os.path.join(self.out, "results.json")) as f:
            results = json.load(f)
        cases = {c["scenario"]: c for c in results["cases"] if c["proxy"] == "tiny"}
        self.assertEqual(sorted(cases), sorted(SCENARIOS))
        self.assertEqual({s: c["got"] for s, c in cases.items()},
                         {"ok": "200", "empty_reply": "502", "refuse": "502"})
        self.assertEqual({s: c["verdict"] for s, c in cases.items()}, {s: "pass" for s in SCENARIOS})
        self.assertEqual(cases["empty_reply"]["proxy_log"],
                         "tiny-proxy: GET /empty_reply/1 status=502 upstream=closed-early")
        self.assertTrue(os.path.isfile(os.path.join(self.ref, "tiny.json")), os.listdir(self.ref))

    def explain(self, *lines):
        return badup(["explain", "--json", "--proxies", self.defs, "--reference", self.ref, "--scenarios",
                      common.SCENARIOS] + list(lines))

    def test_explain_recognises_its_format_and_finds_the_scenario(self):
        self.assertEqual(self.ran.returncode, 0, self.ran.stderr)
        # a production line: another path, behind syslog
        line = "Nov 30 10:00:00 web1 tiny[4242]: tiny-proxy: GET /api/cart?id=7 status=502 upstream=closed-early"
        p = self.explain(line)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        first = json.loads(p.stdout)[0]
        self.assertEqual(first["recognised"], ["tiny"])
        self.assertEqual((first["scenario"], first["proxy"], first["match"]), ("empty_reply", "tiny", True))
        self.assertEqual(first["family"], "close")
        self.assertEqual(first["matched_by"], "signature")
        text = badup(["explain", "--proxies", self.defs, "--reference", self.ref, line]).stdout
        self.assertIn("recognised: tiny; upstream closed-early; family close", text)

    def test_explain_says_where_it_says_why(self):
        p = self.explain("tiny-proxy: GET /x status=502 upstream=ok")
        self.assertEqual(p.returncode, 1, p.stderr + p.stdout)
        first = json.loads(p.stdout)[0]
        self.assertFalse(first["match"])
        self.assertEqual(first["look_in"],
                         [{"proxy": "tiny", "log": "access.log", "what": "the upstream= field of its line"}])

    def test_explain_reproduces_with_the_folders_it_was_given(self):
        # The run it prints runs this definition against this reference: without --proxies
        # there is no proxy named tiny.
        self.assertEqual(self.ran.returncode, 0, self.ran.stderr)
        p = self.explain("tiny-proxy: GET /x status=502 upstream=closed-early")
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        repro = json.loads(p.stdout)[0]["reproduce"]
        self.assertEqual(repro["run"], "badup run --proxy tiny --scenario empty_reply --proxies %s --reference %s "
                         "--scenarios %s" % (self.defs, self.ref, common.SCENARIOS))
        self.assertEqual(repro["serve"], "badup serve %s/empty_reply.lua" % common.SCENARIOS)
        out = os.path.join(self.tmp, "reproduced")
        argv = shlex.split(repro["run"])
        self.assertEqual(argv[0], "badup")
        ran = badup(argv[1:] + ["--out", out, "--quiet"], cwd=self.tmp)  # from elsewhere than the repository
        self.assertEqual(ran.returncode, 0, ran.stderr + ran.stdout)
        with open(os.path.join(out, "results.json")) as f:
            case = json.load(f)["cases"][0]
        self.assertEqual((case["proxy"], case["scenario"], case["got"], case["verdict"]),
                         ("tiny", "empty_reply", "502", "pass"))
        # the options given, and only those
        text = badup(["explain", "--reference", self.ref, "--proxies", self.defs,
                      "tiny-proxy: GET /x status=502 upstream=closed-early"]).stdout
        self.assertIn("badup run --proxy tiny --scenario empty_reply --proxies %s --reference %s\n"
                      % (self.defs, self.ref), text)

    def test_explain_without_the_definition_does_not_know_it(self):
        # the shipped definitions know nothing of tiny's format
        p = badup(["explain", "--json", "--reference", self.ref, "tiny-proxy: GET /x status=502 upstream=closed-early"])
        self.assertEqual(json.loads(p.stdout)[0]["recognised"], [])

    def render(self, upstream_port, d):
        p = badup(["proxy", "render", "tiny", "--proxies", self.defs, "--upstream", str(upstream_port), "--dir", d,
                   "--read-timeout", "1.5"])
        self.assertEqual(p.returncode, 0, p.stderr)
        fields = dict(l.split(": ", 1) for l in p.stdout.splitlines())
        return fields

    def test_render_and_start_it(self):
        srv = common.start_server(self, common.scenario_path("ok"))
        upstream = srv.addr[1]
        d = os.path.join(self.tmp, "rendered")
        fields = self.render(upstream, d)
        self.assertEqual(fields["dir"], os.path.realpath(d))
        self.assertTrue(fields["proxy"].startswith("tiny "), fields)
        with open(os.path.join(d, "tiny.py")) as f:
            self.assertEqual(f.read(), TINY_PY)
        port = int(fields["port"])
        self.assertIn(" %d 127.0.0.1 %d 1.5 " % (port, upstream), fields["command"])
        proc = subprocess.Popen(["sh", "-c", fields["command"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no http_proxy of the machine's

            def answers():
                with direct.open("http://127.0.0.1:%d/through" % port, timeout=2) as r:
                    return r.status, r.read()
            got = common.poll_until(answers, timeout=10, what="the rendered proxy answering")
            self.assertEqual(got, (200, b"ok\n"))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        with open(os.path.join(d, "access.log")) as f:
            self.assertIn("tiny-proxy: GET /through status=200 upstream=ok", f.read())

    @unittest.skipIf(not shutil.which("gnuplot") and not IN_CI, "gnuplot not installed")
    def test_a_benchmark_runs_through_it(self):
        out = os.path.join(self.tmp, "bench")
        env = dict(os.environ, BADUP=common.BADUP, PROXY_DEFS=self.defs, PROXIES="tiny", DIRECT="0",
                   CONCURRENCY="1", LATENCIES="0", LAT_CONNECTIONS="1", DURATION="1", TMPDIR=self.tmp)
        p = subprocess.run(["sh", os.path.join(common.REPO, "bench", "latency_sweep.sh"), out], env=env,
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "latency_concurrency.dat")) as f:
            rows = [l.split() for l in f if l.strip() and not l.startswith("#")]
        self.assertEqual([r[:3] for r in rows], [["tiny", "1", "0"]])
        self.assertGreater(int(rows[0][9]), 0, rows)  # requests
        self.assertEqual(rows[0][10], "0", rows)  # no errors


class RenderUsage(unittest.TestCase):
    """badup proxy render: --help, and exit 2 with a message for what cannot be rendered."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-render-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_help(self):
        for args in (["proxy", "--help"], ["proxy", "render", "--help"], ["help", "proxy"]):
            p = badup(args)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("usage: badup proxy render NAME --upstream [HOST:]PORT --dir DIR", p.stdout)
            self.assertIn("(it holds .badup-render): then its contents are removed first", p.stdout)
        self.assertIn("proxy render NAME", badup(["--help"]).stdout)

    def test_usage_errors(self):
        d = os.path.join(self.tmp, "d")
        cases = [
            (["proxy"], "usage: badup proxy render"),
            (["proxy", "frob"], "unknown subcommand 'frob'"),
            (["proxy", "render", "--upstream", "80", "--dir", d], "which proxy?"),
            (["proxy", "render", "haproxy", "--dir", d], "--upstream [HOST:]PORT is required"),
            (["proxy", "render", "haproxy", "--upstream", "80"], "--dir DIR is required"),
            (["proxy", "render", "haproxy", "--upstream", "70000", "--dir", d], "--upstream wants [HOST:]PORT"),
            (["proxy", "render", "haproxy", "--upstream", "::1:80", "--dir", d], "--upstream wants [HOST:]PORT"),
            (["proxy", "render", "haproxy", "--upstream", "80", "--dir", d, "--listen", "0"], "--listen wants a port"),
            (["proxy", "render", "haproxy", "--upstream", "80", "--dir", d, "--read-timeout", "0"],
             "timeouts want seconds"),
            (["proxy", "render", "haproxy", "--upstream", "80", "--dir", d, "--max-connections", "x"],
             "--max-connections wants"),
            (["proxy", "render", "haproxy", "--upstream", "80", "--dir", d, "--frob"], "unknown option '--frob'"),
            (["proxy", "render", "haproxy", "nginx", "--upstream", "80", "--dir", d], "unexpected argument 'nginx'"),
            (["proxy", "render", "no-such", "--upstream", "80", "--dir", d], "no proxy is named 'no-such'"),
            (["proxy", "render", "haproxy", "--upstream", "80", "--dir", d, "--proxies", os.path.join(self.tmp, "x")],
             "cannot find the proxy definitions"),
            (["proxy", "render", "haproxy", "--upstream", "80", "--dir", "/proc/badup"], "--dir /proc/badup: cannot"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                p = badup(args)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(want, p.stderr)
                self.assertEqual(p.stdout, "")
        self.assertFalse(os.path.exists(d), "a refused render made its folder")

    def render_into(self, d):
        return badup(["proxy", "render", "haproxy", "--upstream", "8081", "--dir", d])

    def test_a_folder_of_someone_elses_files_is_refused_and_left_alone(self):
        d = os.path.join(self.tmp, "mine")
        os.mkdir(d)
        with open(os.path.join(d, "haproxy.cfg"), "w") as f:
            f.write("my own config\n")
        p = self.render_into(d)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--dir %s: is not empty, and not a folder `badup proxy render` made (it has no .badup-render)"
                      % d, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(os.listdir(d), ["haproxy.cfg"])
        with open(os.path.join(d, "haproxy.cfg")) as f:
            self.assertEqual(f.read(), "my own config\n")

    def test_a_folder_render_made_is_replaced(self):
        d = os.path.join(self.tmp, "rendered")
        os.mkdir(d)  # empty: taken
        self.assertEqual(self.render_into(d).returncode, 0)
        self.assertEqual(sorted(os.listdir(d)), [".badup-render", "haproxy.cfg"])
        with open(os.path.join(d, "stale.log"), "w") as f:
            f.write("from the proxy the last render started\n")
        p = self.render_into(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(d)), [".badup-render", "haproxy.cfg"])

    def test_a_file_is_not_a_folder(self):
        f = os.path.join(self.tmp, "file")
        with open(f, "w") as fh:
            fh.write("x\n")
        p = self.render_into(f)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--dir %s: is not a folder" % f, p.stderr)
        with open(f) as fh:
            self.assertEqual(fh.read(), "x\n")

    def test_render_options(self):
        d = os.path.join(self.tmp, "a b")  # a folder whose name needs quoting
        p = badup(["proxy", "render", "haproxy", "--upstream", "localhost:8081", "--dir", d, "--listen", "18080",
                   "--connect-timeout", "0.25", "--read-timeout", "3", "--retries", "--max-connections", "4096"])
        self.assertEqual(p.returncode, 0, p.stderr)
        fields = dict(l.split(": ", 1) for l in p.stdout.splitlines())
        self.assertEqual(fields["port"], "18080")
        self.assertEqual(fields["url"], "http://127.0.0.1:18080/")
        self.assertEqual(fields["command"].split(" && exec ")[0], "cd '%s'" % os.path.realpath(d))
        with open(os.path.join(d, "haproxy.cfg")) as f:
            cfg = f.read()
        for want in ("maxconn 4096", "timeout connect 250ms", "timeout server  3000ms", "bind 127.0.0.1:18080",
                     "server up localhost:8081", "retries 3"):
            self.assertIn(want, cfg)


if __name__ == "__main__":
    unittest.main()
