"""A user's own config (badup run --proxy P --proxy-config FILE) never reaches outside the case.

Before any case runs, badup refuses (exit 2, FILE:LINE: why) a config that listens
elsewhere than ${proxy_port}, sends elsewhere than ${upstream_port}, makes the proxy write
outside the case folder (a pid file, a log, a syslog socket, a folder it creates by
default), or that the proxy's own checker rejects; the checker runs in a scratch folder
under $TMPDIR, which is gone afterwards. A correct config still runs. Real outcomes with
real nginx and haproxy (skipped when they are not installed: `make test` installs both).
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from common import BADUP, SANITIZER_MARKERS, SCENARIOS, require_binary

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
have_nginx = unittest.skipUnless(os.access(NGINX, os.X_OK), "nginx is not installed (make test installs it)")
have_haproxy = unittest.skipUnless(os.access(HAPROXY, os.X_OK), "haproxy is not installed (make test installs it)")

# A user's nginx config, the way one is written for badup: every file under ${dir}.
NGINX_CONF = """\
# my nginx, for badup
daemon off;
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
        location / {
            proxy_pass http://${upstream_host}:${upstream_port};
            proxy_connect_timeout ${connect_timeout_ms}ms;
            proxy_read_timeout ${read_timeout_ms}ms;
        }
    }
}
"""

# A Debian production nginx config being adapted, six problems in it (the three %s: its pid,
# access_log and error_log paths; the addresses are loopback ones, so that nothing could reach
# out even if the check let it run).
SIX_PROBLEMS = """\
user root;
worker_processes 1;
pid %s;
daemon off;

events {
	worker_connections 768;
}

http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;

	access_log %s;
	error_log %s;
	proxy_temp_path ${dir}/proxy_temp;
	fastcgi_temp_path ${dir}/fastcgi_temp;

	upstream app {
		server 127.0.0.1:8080;
		keepalive 16;
	}

	server {
		listen 127.0.0.1:80;
		server_name app.example.com;
		uwsgi_temp_path ${dir}/uwsgi_temp;
		scgi_temp_path ${dir}/scgi_temp;

		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_read_timeout ${read_timeout_ms}ms;
		}
	}
}
"""

HAPROXY_CFG = """\
# my haproxy, for badup
global
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


def line_of(text, needle):
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError("%r is not in the config" % needle)


class UserConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="badup-e2e-pconf-")
        os.mkdir(os.path.join(self.tmp, "ref"))  # an empty reference: every answer is judged by expect alone
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.scratch = os.path.join(self.tmp, "scratch")  # $TMPDIR: where the checker works
        os.mkdir(self.scratch)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_badup(self, proxy, config, timeout=120):
        out = os.path.join(self.tmp, "out")
        argv = [BADUP, "run", "--proxy", proxy, "--scenario", "ok", "--proxy-config", config,
                "--scenarios", SCENARIOS, "--reference", os.path.join(self.tmp, "ref"), "--out", out]
        env = dict(os.environ, TMPDIR=self.scratch)
        t0 = time.monotonic()
        p = subprocess.run(argv, cwd=self.tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        p.elapsed = time.monotonic() - t0
        p.out = out
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, p.stderr, "sanitizer report:\n" + p.stderr)
        self.assertGreaterEqual(p.returncode, 0, "badup died of signal %d:\n%s" % (-p.returncode, p.stderr))
        self.assertEqual(os.listdir(self.scratch), [], "the check left its scratch folder behind")
        return p

    def refused(self, proxy, name, text, want, line=None, blamed=None):
        """badup run exits 2 before any case, with `FILE:line: ...want...`; FILE is the
        config, or `blamed` (a file it includes)."""
        path = self.write(name, text)
        p = self.run_badup(proxy, path)
        self.assertEqual(p.returncode, 2, "exit %d, want 2; stderr:\n%s" % (p.returncode, p.stderr))
        prefix = "badup run: %s:%s" % (blamed or path, "%d: " % line if line else " ")
        msg = [l for l in p.stderr.splitlines() if l.startswith(prefix)]
        self.assertTrue(msg, "no line starting with %r in:\n%s" % (prefix, p.stderr))
        self.assertIn(want, msg[0])
        self.assertFalse(os.path.exists(p.out), "a case ran: %s exists" % p.out)
        return p, msg[0]

    # ---- nginx

    def test_every_problem_in_one_run(self):
        """A production nginx config being adapted: every problem in one run, in the order of
        the file, then a count (before, each run named one, and this took six runs)."""
        pid, access, error = ("/run/nginx-badup-test.pid", "/var/log/nginx/badup-test-access.log",
                              "/var/log/nginx/badup-test-error.log")
        for f in (pid, access, error):
            if os.path.exists(f):
                self.skipTest("%s exists already" % f)
        # loopback addresses: nothing may listen or connect elsewhere, even if the check failed
        text = SIX_PROBLEMS % (pid, access, error)
        path = self.write("my.conf", text)
        p = self.run_badup("nginx", path)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stderr.splitlines(), [
            "badup run: %s:3: pid %s: writes outside the case folder; use ${dir}/nginx-badup-test.pid" % (path, pid),
            "badup run: %s:17: access_log %s: writes outside the case folder; use ${dir}/badup-test-access.log"
            % (path, access),
            "badup run: %s:18: error_log %s: writes outside the case folder; use ${dir}/badup-test-error.log"
            % (path, error),
            "badup run: %s:23: server 127.0.0.1:8080: sends to 127.0.0.1:8080, not the case's simulator; use "
            "`server ${upstream_host}:${upstream_port}`" % path,
            "badup run: %s:28: listen 127.0.0.1:80: the config must listen on ${proxy_port}, the port the case "
            "connects to; use `listen 127.0.0.1:${proxy_port}${client_http2}${client_tls}`" % path,
            "badup run: %s: no `client_body_temp_path` in it: nginx would use its default /var/lib/nginx/body, "
            "outside the case folder; add `client_body_temp_path ${dir}/client_body;`" % path,
            "badup run: %s: 6 problems; nothing was run" % path,
        ])
        self.assertFalse(os.path.exists(p.out), "a case ran")
        for f in (pid, access, error):
            self.assertFalse(os.path.exists(f), "%s was created" % f)

    def test_one_problem_is_counted_too(self):
        text = NGINX_CONF.replace("access_log ${dir}/access.log;", "access_log /var/log/nginx/badup-test.log;")
        path = self.write("my.conf", text)
        p = self.run_badup("nginx", path)
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 2, p.stderr)
        self.assertTrue(lines[0].startswith("badup run: %s:%d: access_log" % (path, line_of(text, "badup-test"))))
        self.assertEqual(lines[1], "badup run: %s: 1 problem; nothing was run" % path)

    @have_nginx
    def test_nginx_pid_outside_is_refused_and_not_written(self):
        pid = "/run/nginx-badup-test.pid"
        if os.path.exists(pid):
            self.skipTest("%s exists already" % pid)
        text = NGINX_CONF.replace("pid ${dir}/nginx.pid;", "pid %s;" % pid)
        _, msg = self.refused("nginx", "my.conf", text, "pid %s: writes outside the case folder; use ${dir}/" % pid,
                              line=line_of(text, "pid /run"))
        self.assertFalse(os.path.exists(pid), "%s was created" % pid)

    @have_nginx
    def test_nginx_absolute_error_log_outside_is_refused(self):
        log = os.path.join(tempfile.gettempdir(), "badup-test-%d-error.log" % os.getpid())
        text = NGINX_CONF.replace("error_log ${dir}/error.log info;", "error_log %s warn;" % log)
        self.refused("nginx", "my.conf", text, "error_log %s warn: writes outside the case folder" % log,
                     line=line_of(text, "error_log /"))
        self.assertFalse(os.path.exists(log), "%s was created" % log)

    @have_nginx
    def test_nginx_access_log_to_syslog_is_refused(self):
        text = NGINX_CONF.replace("access_log ${dir}/access.log;", "access_log syslog:server=unix:/dev/log;")
        self.refused("nginx", "my.conf", text, "sends to the system log", line=line_of(text, "access_log syslog"))

    @have_nginx
    def test_nginx_relative_path_that_climbs_out_is_refused(self):
        text = NGINX_CONF.replace("proxy_temp_path ${dir}/proxy_temp;", "proxy_temp_path ../../proxy_temp;")
        self.refused("nginx", "my.conf", text, "'..' leads out of the case folder", line=line_of(text, "../../"))

    @have_nginx
    def test_nginx_without_pid_is_refused_for_its_default(self):
        text = NGINX_CONF.replace("pid ${dir}/nginx.pid;\n", "")
        self.refused("nginx", "my.conf", text, "no `pid` in it: nginx would use its default /run/nginx.pid")

    @have_nginx
    def test_nginx_without_proxy_port_is_refused_at_once(self):
        text = NGINX_CONF.replace("listen 127.0.0.1:${proxy_port};", "listen 127.0.0.1:8080;")
        p, _ = self.refused("nginx", "my.conf", text, "listen 127.0.0.1:8080: the config must listen on ${proxy_port}",
                            line=line_of(text, "listen 127.0.0.1:8080"))
        # Before this check, every case waited out ready_timeout (15 s) for nothing.
        self.assertLess(p.elapsed, 5.0, "took %.1f s" % p.elapsed)

    @have_nginx
    def test_nginx_without_upstream_port_is_refused(self):
        # a loopback address that is not the simulator: nothing could leave the machine even if
        # the check let it run
        text = NGINX_CONF.replace("proxy_pass http://${upstream_host}:${upstream_port};",
                                  "proxy_pass http://127.0.0.2:8080;")
        self.refused("nginx", "my.conf", text, "proxy_pass http://127.0.0.2:8080: sends to http://127.0.0.2:8080, "
                     "not the case's simulator; use `proxy_pass http://${upstream_host}:${upstream_port}`",
                     line=line_of(text, "127.0.0.2"))

    def test_a_target_elsewhere_beside_the_simulator_is_refused_before_any_case(self):
        """The user's report: an upstream block names the simulator, a location proxies to
        another host; the run sent requests there. 127.0.0.2 stands for that host here: on the
        loopback, so that nothing could leave the machine even if the check let it run."""
        text = (NGINX_CONF.replace("proxy_pass http://${upstream_host}:${upstream_port};", "proxy_pass http://app;")
                .replace("    server {\n", "    upstream app { server ${upstream_host}:${upstream_port}; }\n    server {\n"
                         "        location /api/ { proxy_pass http://127.0.0.2:8080; }\n", 1))
        path = self.write("my.conf", text)
        p = self.run_badup("nginx", path)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stderr.splitlines(), [
            "badup run: %s:%d: proxy_pass http://127.0.0.2:8080: sends to http://127.0.0.2:8080, not the case's "
            "simulator; use `proxy_pass http://${upstream_host}:${upstream_port}`" % (path, line_of(text, "127.0.0.2")),
            "badup run: %s: 1 problem; nothing was run" % path,
        ])
        self.assertFalse(os.path.exists(p.out), "a case ran")

    def test_a_haproxy_server_elsewhere_is_refused(self):
        text = HAPROXY_CFG.replace("    server up ${upstream_host}:${upstream_port}\n",
                                   "    server up ${upstream_host}:${upstream_port}\n    server web2 127.0.0.2:8080 check\n")
        self.refused("haproxy", "my.cfg", text, "server web2 127.0.0.2:8080: sends to 127.0.0.2:8080, not the case's "
                     "simulator; use `server web2 ${upstream_host}:${upstream_port}`", line=line_of(text, "web2"))

    def test_a_path_on_the_next_line_is_seen(self):
        """nginx reads a statement to its ';': the path on the next line is access_log's."""
        log = os.path.join(tempfile.gettempdir(), "badup-test-%d-next-line.log" % os.getpid())
        text = NGINX_CONF.replace("access_log ${dir}/access.log;", "access_log\n        %s;" % log)
        self.refused("nginx", "my.conf", text, "access_log %s: writes outside the case folder" % log,
                     line=line_of(text, "access_log"))
        self.assertFalse(os.path.exists(log), "%s was created" % log)

    def test_an_include_that_climbs_out_of_the_case_is_refused(self):
        outside = os.path.join(self.tmp, "outside")
        os.mkdir(outside)
        with open(os.path.join(outside, "inc.conf"), "w") as f:
            f.write("access_log /var/log/nginx/badup-test-climb.log;\n")
        rel = "../" * 12 + outside.lstrip("/") + "/inc.conf"
        text = NGINX_CONF.replace("    server {\n", "    include %s;\n    server {\n" % rel, 1)
        self.refused("nginx", "my.conf", text, "include %s: '..' leads out of the case folder" % rel,
                     line=line_of(text, "inc.conf"))

    @have_nginx
    def test_nginx_include_that_writes_outside_is_refused(self):
        inc = self.write("site.conf", "# a production site\nserver {\n    access_log /var/log/nginx/badup-test-site.log;\n}\n")
        text = NGINX_CONF.replace("    server {\n", "    include %s;\n    include /etc/nginx/mime.types;\n    server {\n" % inc, 1)
        p, msg = self.refused("nginx", "my.conf", text, "access_log /var/log/nginx/badup-test-site.log: writes outside",
                              line=3, blamed=inc)
        self.assertIn("(included by %s:%d)" % (os.path.join(self.tmp, "my.conf"), line_of(text, "site.conf")), msg)

    @have_nginx
    def test_nginx_unknown_variable_is_refused(self):
        text = NGINX_CONF.replace("${read_timeout_ms}ms", "${read_timout_ms}ms")
        self.refused("nginx", "my.conf", text, "unknown template variable ${read_timout_ms}",
                     line=line_of(text, "read_timout"))

    @have_nginx
    def test_a_variable_in_a_comment_runs_as_written(self):
        """A ${name} in a comment is no template variable: the check passes it, and the case
        renders the comment as written (the rendering failed on it)."""
        text = NGINX_CONF.replace("    server {\n", "    # upstream was ${BACKEND_ADDR}, port ${upstream_port}\n"
                                  "    server {\n", 1)
        p = self.run_badup("nginx", self.write("my.conf", text))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(p.out, "results.json")) as f:
            self.assertEqual([c["got"] for c in json.load(f)["cases"]], ["200"])
        with open(os.path.join(p.out, "cases", "nginx", "ok", "nginx.conf")) as f:
            self.assertIn("    # upstream was ${BACKEND_ADDR}, port ", f.read())

    @have_nginx
    def test_nginx_syntax_error_is_refused_by_nginx_t(self):
        text = NGINX_CONF.replace("    server {\n", "    proxy_buffering maybe;\n    server {\n", 1)
        _, msg = self.refused("nginx", "my.conf", text, "nginx's own check refused it", line=line_of(text, "maybe"))
        self.assertIn('invalid value "maybe"', msg)
        self.assertIn("my.conf", msg.split("refused it", 1)[1], "the checker's words name the user's file")
        self.assertNotIn(self.scratch, msg)

    @have_nginx
    def test_a_correct_nginx_config_runs(self):
        path = self.write("my.conf", NGINX_CONF)
        p = self.run_badup("nginx", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(p.out, "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual([(c["proxy"], c["scenario"], c["got"]) for c in cases], [("nginx", "ok", "200")])
        with open(os.path.join(p.out, "cases", "nginx", "ok", "nginx.conf")) as f:
            rendered = f.read()
        self.assertIn("pid %s/nginx.pid;" % os.path.join(p.out, "cases", "nginx", "ok"), rendered)

    @have_nginx
    def test_quotes_inside_words_are_read_as_nginx_reads_them(self):
        """nginx opens a string only at a word's start, and `\\"` outside one is a character:
        `a"b`, `it's` and `\\"abc` are words. A statement between two of them is seen (it was
        read as a string), and a config made of them is valid and runs (one was refused)."""
        hidden = ('add_header X-A a"b;\n    access_log /var/log/nginx/badup-test-hidden.log;\n'
                  '    add_header X-B c"d;\n')
        text = NGINX_CONF.replace("    server {\n", "    " + hidden + "    server {\n", 1)
        self.refused("nginx", "my.conf", text, "access_log /var/log/nginx/badup-test-hidden.log: writes outside",
                     line=line_of(text, "hidden"))
        words = 'add_header X-A a"b;\n    add_header X-B it\'s;\n    add_header X-C \\"abc;\n'
        p = self.run_badup("nginx", self.write("words.conf", NGINX_CONF.replace("    server {\n",
                                                                                "    " + words + "    server {\n", 1)))
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(p.out, "results.json")) as f:
            self.assertEqual([c["got"] for c in json.load(f)["cases"]], ["200"])

    def test_a_file_that_cannot_be_read_says_why(self):
        """A --proxy-config or an include that cannot be read is refused with the reason, never
        skipped. File modes bind an unprivileged account only: as root, it runs as nobody."""
        p = subprocess.run([BADUP, "run", "--proxy", "nginx", "--proxy-config", os.path.join(self.tmp, "nope.conf"),
                            "--out", os.path.join(self.tmp, "out")], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--proxy-config %s: cannot read it: No such file or directory" % os.path.join(self.tmp, "nope.conf"),
                      p.stderr)
        os.chmod(self.tmp, 0o755)
        secret = self.write("secret.conf", "access_log /var/log/nginx/badup-test-secret.log;\n")
        os.chmod(secret, 0)
        config = self.write("my.conf", NGINX_CONF.replace("    server {\n", "    include %s;\n    server {\n" % secret, 1))
        os.chmod(config, 0o644)
        unreadable = self.write("unreadable.conf", NGINX_CONF)
        os.chmod(unreadable, 0)

        def as_nobody():
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)

        def run(cfg):
            return subprocess.run([BADUP, "run", "--proxy", "nginx", "--scenario", "ok", "--proxy-config", cfg,
                                   "--scenarios", SCENARIOS, "--out", os.path.join(self.tmp, "out")],
                                  cwd=self.tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                                  preexec_fn=as_nobody)

        p = run(unreadable)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--proxy-config %s: cannot read it: Permission denied" % unreadable, p.stderr)
        p = run(config)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("badup run: %s:%d: include %s: cannot read %s: Permission denied\n"
                      % (config, line_of(NGINX_CONF, "    server {"), secret, secret), p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")), "a case ran")

    # ---- haproxy

    @have_haproxy
    def test_a_second_listener_the_text_hides_is_seen_running(self):
        # A second address in haproxy's bind list holds ${proxy_port} on the same line, so a
        # reading of the text lets it by; the case sees the proxy's sockets in the kernel's
        # tables and refuses to run it: setup_error, exit 2, the port named.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        other = s.getsockname()[1]
        s.close()
        text = HAPROXY_CFG.replace("bind 127.0.0.1:${proxy_port}", "bind 127.0.0.1:${proxy_port},127.0.0.1:%d" % other)
        p = self.run_badup("haproxy", self.write("my.cfg", text))
        self.assertEqual(p.returncode, 2, p.stderr)
        with open(os.path.join(p.out, "results.json")) as f:
            case = json.load(f)["cases"][0]
        self.assertEqual(case["got"], "setup_error", case)
        self.assertIn("listens on port %d too" % other, case["detail"])

    def test_a_haproxy_health_check_elsewhere_is_refused(self):
        """`check port N` sends the server's health checks to port N: the simulator's port only."""
        text = HAPROXY_CFG.replace("server up ${upstream_host}:${upstream_port}",
                                   "server up ${upstream_host}:${upstream_port} check port 18081 inter 200")
        self.refused("haproxy", "my.cfg", text, "server up ${upstream_host}:${upstream_port} check port 18081: sends "
                     "to port 18081, not the case's simulator; use `server up ${upstream_host}:${upstream_port} "
                     "check port ${upstream_port}`", line=line_of(text, "18081"))

    @have_haproxy
    def test_haproxy_log_to_dev_log_is_refused(self):
        text = HAPROXY_CFG.replace("log stderr format raw local0 info", "log /dev/log local0")
        self.refused("haproxy", "my.cfg", text, "log /dev/log local0: sends to the system log",
                     line=line_of(text, "/dev/log"))

    @have_haproxy
    def test_haproxy_log_to_a_syslog_server_is_refused(self):
        text = HAPROXY_CFG.replace("log stderr format raw local0 info", "log 10.0.0.7:514 local0")
        self.refused("haproxy", "my.cfg", text, "10.0.0.7:514 is an address", line=line_of(text, "10.0.0.7"))

    @have_haproxy
    def test_haproxy_stats_socket_outside_is_refused(self):
        text = HAPROXY_CFG.replace("    pidfile ${dir}/haproxy.pid\n",
                                   "    pidfile ${dir}/haproxy.pid\n    stats socket /run/haproxy/admin.sock mode 660\n")
        self.refused("haproxy", "my.cfg", text, "writes outside the case folder", line=line_of(text, "stats socket"))

    @have_haproxy
    def test_haproxy_bind_without_proxy_port_is_refused(self):
        text = HAPROXY_CFG.replace("bind 127.0.0.1:${proxy_port}", "bind :80")
        self.refused("haproxy", "my.cfg", text, "bind :80: the config must listen on ${proxy_port}",
                     line=line_of(text, "bind :80"))

    @have_haproxy
    def test_haproxy_syntax_error_is_refused_by_haproxy_c(self):
        text = HAPROXY_CFG.replace("option httplog", "option httplgo")
        _, msg = self.refused("haproxy", "my.cfg", text, "haproxy's own check refused it", line=line_of(text, "httplgo"))
        self.assertIn("httplgo", msg)

    @have_haproxy
    def test_a_correct_haproxy_config_runs(self):
        path = self.write("my.cfg", HAPROXY_CFG)
        p = self.run_badup("haproxy", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(p.out, "results.json")) as f:
            cases = json.load(f)["cases"]
        self.assertEqual([(c["proxy"], c["scenario"], c["got"]) for c in cases], [("haproxy", "ok", "200")])

    # ---- any proxy

    def fake_proxies(self, check):
        """A proxy folder with one definition, `fake`, whose checker is `check` (sh -c)."""
        d = os.path.join(self.tmp, "proxies")
        os.mkdir(d)
        with open(os.path.join(d, "fake.lua"), "w") as f:
            f.write("""return proxy {
  name = "fake",
  binary = { "/bin/sh" },
  files = { ["fake.conf"] = "listen ${proxy_port}\\nsend ${upstream_port}\\n" },
  command = { "${binary}", "-c", "exit 3" },
  check = { "${binary}", "-c", [==[%s]==] },
  paths = { "^%%s*log%%s+(%%S+)" },
}
""" % check)
        return d

    def test_ctrl_c_during_the_check_leaves_nothing(self):
        # The checker can write into its scratch folder only (${dir}; the rest is read-only
        # for it, harness/confine.h): it leaves its pid there.
        proxies = self.fake_proxies("echo $$ > ${dir}/checker.pid; exec sleep 30")
        config = self.write("my.conf", "listen ${proxy_port}\nsend ${upstream_port}\nlog ${dir}/x.log\n")
        argv = [BADUP, "run", "--proxies", proxies, "--proxy", "fake", "--scenario", "ok", "--proxy-config", config,
                "--scenarios", SCENARIOS, "--reference", os.path.join(self.tmp, "ref"),
                "--out", os.path.join(self.tmp, "out")]
        p = subprocess.Popen(argv, cwd=self.tmp, env=dict(os.environ, TMPDIR=self.scratch), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 15
            def checker_pid():
                for d in os.listdir(self.scratch):
                    try:
                        with open(os.path.join(self.scratch, d, "checker.pid")) as f:
                            return int(f.read())
                    except (OSError, ValueError):
                        pass
                return None
            while checker_pid() is None:
                if p.poll() is not None:
                    self.fail("badup ended before its checker started: %s" % p.communicate()[1])
                self.assertLess(time.monotonic(), deadline, "the checker did not start")
                time.sleep(0.02)
            checker = checker_pid()
            self.assertEqual(len(os.listdir(self.scratch)), 1, "no scratch folder while the checker runs")
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 130, err)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        self.assertEqual(os.listdir(self.scratch), [], "the scratch folder survived Ctrl-C")
        try:
            os.kill(checker, 0)
            with open("/proc/%d/stat" % checker) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            self.assertEqual(state, "Z", "the checker %d survived Ctrl-C" % checker)
        except ProcessLookupError:
            pass

    def test_odd_configs_never_crash(self):
        """The statement splitter and the path judge on text no proxy would take."""
        proxies = self.fake_proxies("exit 0")
        base = "listen ${proxy_port}\nsend ${upstream_port}\n"
        odd = ["", "\n\n\n", "#" * 5000, "log ${dir", "log ${", "log $${dir}/x", "log \"unclosed\nlog 'also",
               "log " + "{" * 3000, "log " + "}" * 3000 + ";" * 3000, "log " + "a" * 200000, "log ${dir}/../x",
               "log ${dir}/" + "../" * 500, "log \"${dir}/a b\"", "log '/abs'", "log stdio:", "log :", "log @",
               "log |", "log //", "log syslog:", "log /dev/stderr", "log \\", "log \t\r\n", "\r\n" * 100,
               "log " + "\u00e9\u4e2d" * 100, "log ${dir}" + "/x" * 3000, "x" * 70000 + "\nlog /y"]
        for text in odd:
            with self.subTest(text=text[:40]):
                p = self.run_badup_fake(proxies, self.write("odd.conf", base + text + "\n"))
                self.assertIn(p.returncode, (1, 2), p.stderr[-2000:])

    def run_badup_fake(self, proxies, config):
        out = os.path.join(self.tmp, "out")
        shutil.rmtree(out, ignore_errors=True)
        p = subprocess.run([BADUP, "run", "--proxies", proxies, "--proxy", "fake", "--scenario", "ok",
                            "--proxy-config", config, "--scenarios", SCENARIOS, "--reference",
                            os.path.join(self.tmp, "ref"), "--out", out, "-q"],
                           cwd=self.tmp, env=dict(os.environ, TMPDIR=self.scratch), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, errors="replace", timeout=60)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, p.stderr, p.stderr)
        self.assertGreaterEqual(p.returncode, 0, "badup died of signal %d" % -p.returncode)
        self.assertEqual(os.listdir(self.scratch), [])
        return p

    def test_a_checker_that_fails_without_output(self):
        proxies = self.fake_proxies("exit 4")
        config = self.write("my.conf", "listen ${proxy_port}\nsend ${upstream_port}\n")
        p = self.run_badup_fake(proxies, config)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s: fake's own check refused it (exit status 4): (no output)" % config, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))

    def test_the_checkers_error_is_shown_not_its_noise(self):
        """varnishd -C writes a line about its build folder before every error: the message
        shows the error (it showed the noise)."""
        proxies = self.fake_proxies("echo \"Could not delete 'vcl_boot.1796029143.446808/vgc.sym': No such file or "
                                    "directory\"; echo 'Message from VCC-compiler:'; echo \"Symbol not found: 'x'\"; "
                                    "echo 'Running VCC-compiler failed, exited with 2'; exit 2")
        config = self.write("my.conf", "listen ${proxy_port}\nsend ${upstream_port}\n")
        p = self.run_badup_fake(proxies, config)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s: fake's own check refused it (exit status 2): Message from VCC-compiler: | Symbol not "
                      "found: 'x' | Running VCC-compiler failed, exited with 2\n" % config, p.stderr)

    def test_a_config_with_a_nul_byte_is_refused(self):
        path = self.write("my.conf", "daemon off;\0\n")
        p = self.run_badup("nginx", path)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s: contains a NUL byte" % path, p.stderr)


if __name__ == "__main__":
    unittest.main()
