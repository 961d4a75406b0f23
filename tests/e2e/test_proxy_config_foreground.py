"""Every proxy stays in the foreground, whatever its --proxy-config says.

A proxy that detaches (a daemon in a session of its own) leaves the process group the harness
stops: every case fails and the daemon outlives badup. Each definition keeps its proxy in the
foreground by a flag on its command line that no config can undo (haproxy -db, squid -N,
lighttpd -D, ...), or, where none exists, the check refuses a config that would detach
(nginx without `daemon off;`, nghttpx `daemon=yes`, apache2 `UnDefine FOREGROUND`, a node
script spawning a detached child) before anything is started.

This test process is the subreaper of whatever badup leaves behind (PR_SET_CHILD_SUBREAPER):
a daemon that escaped becomes its child once badup exits, is found by its parent pid, killed
by that pid, and fails the test. Proxies that are not installed are skipped (CI has haproxy,
nginx and squid); a refusal is checked whether or not the proxy is installed.
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from common import BADUP, REPO, SANITIZER_MARKERS, SCENARIOS, require_binary

PR_SET_CHILD_SUBREAPER = 36

# nginx, every other check satisfied; %s is what it says about daemon.
NGINX_CONF = """\
# my nginx, for badup
%s
worker_processes 1;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy_temp;
    fastcgi_temp_path ${dir}/fastcgi_temp;
    uwsgi_temp_path ${dir}/uwsgi_temp;
    scgi_temp_path ${dir}/scgi_temp;
    server {
        listen 127.0.0.1:${proxy_port};
        location / { proxy_pass http://${upstream_host}:${upstream_port}; }
    }
}
"""

NGHTTPX_CONF = """\
frontend=127.0.0.1,${proxy_port};no-tls
backend=${upstream_host},${upstream_port};;proto=http/1.1
workers=1
pid-file=${dir}/nghttpx.pid
accesslog-file=${dir}/access.log
errorlog-file=${dir}/error.log
daemon=yes
"""

APACHE2_CONF = """\
ServerRoot "/etc/apache2"
ServerName 127.0.0.1
UnDefine FOREGROUND
Listen 127.0.0.1:${proxy_port}
PidFile ${dir}/apache2.pid
DefaultRuntimeDir ${dir}
Mutex file:${dir} default
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
User www-data
Group www-data
ErrorLog ${dir}/error.log
CustomLog ${dir}/access.log common
ProxyPass / http://${upstream_host}:${upstream_port}/
"""

# The shipped node proxy, made to daemonize the usual way: spawn itself detached, then exit.
NODE_DETACH = """\
if (!process.env.BADUP_TEST_DETACHED) {
  require('child_process').spawn(process.execPath, process.argv.slice(1),
    { detached: true, stdio: 'ignore', env: Object.assign({}, process.env, { BADUP_TEST_DETACHED: '1' }) }).unref();
  process.exit(0);
}
"""

HAPROXY_DAEMON = """\
global
    daemon
    log stderr format raw local0 info
    pidfile ${dir}/haproxy.pid

defaults
    mode http
    log global
    option httplog
    timeout connect ${connect_timeout_ms}ms
    timeout server ${read_timeout_ms}ms
    timeout client 30s

frontend fe
    bind 127.0.0.1:${proxy_port}
    default_backend be

backend be
    server up ${upstream_host}:${upstream_port}
"""


def installed_proxies():
    p = subprocess.run([BADUP, "list", "--scenarios", SCENARIOS], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=60)
    names, in_proxies = set(), False
    for line in p.stdout.splitlines():
        if line.startswith("proxies"):
            in_proxies = True
        elif in_proxies and line.split()[1:2] == ["installed"]:
            names.add(line.split()[0])
    return names


def setUpModule():
    require_binary()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise unittest.SkipTest("cannot become a subreaper: errno %d" % ctypes.get_errno())
    global INSTALLED
    INSTALLED = installed_proxies()


def children():
    """(pid, state, cmdline) of this process's children: what badup left behind."""
    me, found = os.getpid(), []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[1]) != me:
                continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            found.append((int(d), rest[0], cmd))
        except (OSError, IndexError, ValueError):
            pass
    return found


class Foreground(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-fg-")
        os.mkdir(os.path.join(self.tmp, "ref"))  # an empty reference: every answer is judged by expect alone
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def need(self, proxy):
        if proxy not in INSTALLED:
            self.skipTest("%s is not installed" % proxy)

    def badup_run(self, proxy, config_text=None, name="my.conf", tmpdir=None):
        argv = [BADUP, "run", "--proxy", proxy, "--scenario", "ok", "--scenarios", SCENARIOS,
                "--reference", os.path.join(self.tmp, "ref"), "--out", os.path.join(self.tmp, "out"), "-q"]
        if config_text is not None:
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(config_text)
            argv += ["--proxy-config", path]
        env = dict(os.environ, TMPDIR=tmpdir or self.tmp)
        p = subprocess.run(argv, cwd=self.tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", timeout=300)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, p.stderr, p.stderr)
        self.assertGreaterEqual(p.returncode, 0, "badup died of signal %d:\n%s" % (-p.returncode, p.stderr))
        self.assert_nothing_left()
        return p

    def assert_nothing_left(self):
        """Whatever badup left running is now ours: each one fails the test, and is killed."""
        # A daemon's fork has had time by then; a process still dying of badup's SIGKILL has
        # become a zombie (reaped here), so only what is alive at the end counts.
        deadline = time.monotonic() + 0.5
        while True:
            for pid, state, _ in children():
                if state == "Z":
                    os.waitpid(pid, os.WNOHANG)
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        left = [(pid, cmd) for pid, state, cmd in children() if state != "Z"]
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.assertEqual(left, [], "still running after badup exited")

    def refused_before_anything_ran(self, proxy, text, want, count="1 problem"):
        """Refused with `want` on a line of the config; nothing started: not the proxy's
        checker (TMPDIR is a file: it would fail to make its scratch folder and say so), not
        a case (no results folder), and nothing left running."""
        not_a_folder = os.path.join(self.tmp, "tmpdir-is-a-file")
        open(not_a_folder, "w").close()
        p = self.badup_run(proxy, text, tmpdir=not_a_folder)
        self.assertEqual(p.returncode, 2, p.stderr)
        path = os.path.join(self.tmp, "my.conf")
        self.assertTrue(any(l.startswith("badup run: " + path) and want in l for l in p.stderr.splitlines()),
                        "no line with %r in:\n%s" % (want, p.stderr))
        self.assertIn("badup run: %s: %s; nothing was run" % (path, count), p.stderr)
        self.assertNotIn("scratch folder", p.stderr, "the proxy's checker ran")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")), "a case ran")

    def passed(self, p):
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.tmp, "out", "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual([c["got"] for c in cases], ["200"], cases)

    # ---- the config must say it, or must not undo it: refused before anything starts

    def test_nginx_daemon_on_is_refused(self):
        self.refused_before_anything_ran("nginx", NGINX_CONF % "daemon on;",
                                         ":2: daemon on: nginx would detach into the background")

    def test_nginx_daemon_off_in_a_map_is_no_daemon_off(self):
        """A map's entry `daemon off;` is a key and a value: nginx still detaches."""
        self.refused_before_anything_ran("nginx", NGINX_CONF % "map $host $unused {\n    daemon off;\n}",
                                         "no `daemon off;` in it: nginx detaches into the background by default")

    def test_nginx_daemon_off_in_a_string_is_no_daemon_off(self):
        """A string may span lines in nginx: a line of it that reads `;daemon off;` is text (env
        is a directive of the main context, so only the string keeps it from counting)."""
        self.refused_before_anything_ran("nginx", NGINX_CONF % 'env "BADUP_NOTE=up\n;daemon off;\n";',
                                         "no `daemon off;` in it: nginx detaches into the background")

    def test_nginx_daemon_off_inside_a_block_is_refused(self):
        text = (NGINX_CONF % "").replace("events { worker_connections 64; }", "events { worker_connections 64; daemon off; }")
        self.refused_before_anything_ran("nginx", text, "no `daemon off;` in its main context (%s:%d says it inside "
                                         "`events`, where it may not apply)" % (os.path.join(self.tmp, "my.conf"),
                                                                               text.splitlines().index(
                                                                                   "events { worker_connections 64; "
                                                                                   "daemon off; }") + 1))

    def test_nginx_without_daemon_off_is_refused(self):
        """Debian's nginx.conf has no daemon line: nginx then detaches by default."""
        self.refused_before_anything_ran("nginx", NGINX_CONF % "", "no `daemon off;` in it: nginx detaches into "
                                         "the background by default")

    def test_nghttpx_daemon_yes_is_refused(self):
        self.refused_before_anything_ran("nghttpx", NGHTTPX_CONF, ":7: daemon=yes: nghttpx would detach into the "
                                         "background, out of the harness's reach (every case would fail, and it would "
                                         "outlive badup); use `daemon=no`")

    def test_apache2_undefine_foreground_is_refused(self):
        self.refused_before_anything_ran("apache2", APACHE2_CONF, ":3: UnDefine FOREGROUND: apache2 would detach into "
                                         "the background")

    def test_a_node_script_that_detaches_is_refused(self):
        with open(os.path.join(REPO, "harness", "proxies", "node-proxy.js")) as f:
            script = f.read().replace("'use strict';\n", "'use strict';\n" + NODE_DETACH, 1)
        self.refused_before_anything_ran("node", script, "remove `detached: true`")

    def test_every_problem_and_the_daemon_together(self):
        """A Debian-style config: no daemon line among its other problems, all in one run."""
        text = (NGINX_CONF % "").replace("pid ${dir}/nginx.pid;", "pid /run/nginx-badup-test.pid;")
        self.refused_before_anything_ran("nginx", text, "no `daemon off;` in it", count="2 problems")

    # ---- kept in the foreground by the definition's command line: the case runs, nothing escapes

    def test_nginx_with_daemon_off_runs(self):
        self.need("nginx")
        self.passed(self.badup_run("nginx", NGINX_CONF % "daemon off;"))

    def test_haproxy_daemon_in_global_is_overruled_by_db(self):
        self.need("haproxy")
        self.passed(self.badup_run("haproxy", HAPROXY_DAEMON, name="my.cfg"))

    def shipped_stays(self, proxy):
        """No config directive of this proxy detaches it: its shipped config, as a case runs it."""
        self.need(proxy)
        self.passed(self.badup_run(proxy))

    def test_squid_stays(self):
        self.shipped_stays("squid")

    def test_lighttpd_stays(self):
        self.shipped_stays("lighttpd")

    def test_h2o_stays(self):
        self.shipped_stays("h2o")

    def test_tinyproxy_stays(self):
        self.shipped_stays("tinyproxy")

    def test_trafficserver_stays(self):
        self.shipped_stays("trafficserver")

    def test_caddy_stays(self):
        self.shipped_stays("caddy")

    def test_varnish_stays(self):
        self.shipped_stays("varnish")

    def test_apache2_stays(self):
        self.shipped_stays("apache2")

    def test_nghttpx_stays(self):
        self.shipped_stays("nghttpx")

    def test_node_stays(self):
        self.shipped_stays("node")


if __name__ == "__main__":
    unittest.main()
