/* test_proxy_config.c: the --proxy-config checks.
 *
 * Every shipped proxy definition passes its own checks: for each definition under
 * harness/proxies/, its shipped config is rendered into a scratch folder and its own checker
 * (`check`) runs on it, after the static checks (${proxy_port} and ${upstream_port}, every
 * `paths` capture under ${dir}). A proxy that is not installed is skipped, except haproxy and
 * nginx, which the test suite installs.
 *
 * A user's config gets every problem in one report, in the order of the file, bounded, and
 * the proxy's checker only when nothing else is wrong. These use the definitions unprobed
 * (no binary: nothing is ever run), except the one that proves the checker's turn. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_config.h"
#include "supervise.h"
#include "unit_util.h"

#define MAX_DEFS 32

static struct proxy_def *defs;
static size_t ndefs;

static void load(void) {
  int failures = 0;
  defs = proxy_load_dir(uu_proxies_dir(), &ndefs, &failures);
  ck_assert_msg(failures == 0, "%d definitions under %s did not load", failures, uu_proxies_dir());
  ck_assert_uint_gt(ndefs, 0);
  ck_assert_uint_le(ndefs, MAX_DEFS);
}

static void unload(void) {
  proxy_free_all(defs, ndefs);
  defs = NULL;
  ndefs = 0;
}

START_TEST(test_shipped_config_passes_its_own_check) {
  if ((size_t)_i >= ndefs) return; /* the loop covers up to MAX_DEFS definitions */
  struct proxy_def *p = &defs[_i];
  proxy_probe(p);
  bool required = strcmp(p->name, "haproxy") == 0 || strcmp(p->name, "nginx") == 0;
  if (!p->binary) {
    ck_assert_msg(!required, "%s is not installed (make test installs it)", p->name);
    printf("%s: not installed, skipped\n", p->name);
    return;
  }
  struct buf report = {0};
  int problems = proxy_config_check(p, NULL, &report);
  const char *msg = buf_cstr(&report);
  printf("%s: %s", p->name, msg);
  ck_assert_msg(problems == 0, "%s's shipped config fails its own check: %s", p->name, msg);
  if (p->check) ck_assert_msg(strstr(msg, "checked by") != NULL, "%s: the checker did not run: %s", p->name, msg);
  buf_free(&report);
}
END_TEST

/* Every definition that writes files says where (varnish's VCL and node's script name
 * none: varnish writes only under -n, node's script takes its log file on argv). */
START_TEST(test_definitions_declare_their_paths) {
  for (size_t i = 0; i < ndefs; i++) {
    const struct proxy_def *p = &defs[i];
    if (strcmp(p->name, "varnish") == 0 || strcmp(p->name, "node") == 0) continue;
    ck_assert_msg(p->paths[0] != NULL, "%s declares no paths", p->name);
  }
}
END_TEST

/* ---- a user's config: every problem at once ------------------------------------------------- */

static struct proxy_def *def(const char *name) {
  for (size_t i = 0; i < ndefs; i++)
    if (strcmp(defs[i].name, name) == 0) return &defs[i];
  ck_abort_msg("no definition named %s under %s", name, uu_proxies_dir());
  return NULL;
}

/* Checks `text` as the user's config of proxy `name` (unprobed: the checker cannot run).
 * Returns the number of problems; *report gets the lines with the file's path as "CONF". */
static int check_text(const char *name, const char *text, struct buf *report) {
  struct proxy_def *p = def(name);
  ck_assert_ptr_null(p->binary);
  char *dir = uu_mkdtemp(), *path = uu_write_file(dir, "my.conf", text, strlen(text));
  struct buf raw = {0};
  int n = proxy_config_check(p, path, &raw);
  /* the path as a stable name, for comparing whole reports */
  const char *r = buf_cstr(&raw);
  for (const char *at; (at = strstr(r, path)); r = at + strlen(path)) {
    buf_append(report, r, (size_t)(at - r));
    buf_puts(report, "CONF");
  }
  buf_puts(report, r);
  buf_free(&raw);
  free(path);
  uu_rmtree(dir);
  return n;
}

/* A Debian production nginx config being adapted: before, one run found one of these. */
static const char SIX_PROBLEMS[] =
    "user root;\n"
    "worker_processes 1;\n"
    "pid /run/nginx.pid;\n"
    "daemon off;\n"
    "\n"
    "events {\n"
    "\tworker_connections 768;\n"
    "}\n"
    "\n"
    "http {\n"
    "\tsendfile on;\n"
    "\ttcp_nopush on;\n"
    "\ttypes_hash_max_size 2048;\n"
    "\tinclude /etc/nginx/mime.types;\n"
    "\tdefault_type application/octet-stream;\n"
    "\n"
    "\taccess_log /var/log/nginx/access.log;\n"
    "\terror_log /var/log/nginx/error.log;\n"
    "\tproxy_temp_path ${dir}/proxy_temp;\n"
    "\tfastcgi_temp_path ${dir}/fastcgi_temp;\n"
    "\n"
    "\tupstream app {\n"
    "\t\tserver 10.0.0.5:8080;\n"
    "\t\tkeepalive 16;\n"
    "\t}\n"
    "\n"
    "\tserver {\n"
    "\t\tlisten 80;\n"
    "\t\tserver_name app.example.com;\n"
    "\t\tuwsgi_temp_path ${dir}/uwsgi_temp;\n"
    "\t\tscgi_temp_path ${dir}/scgi_temp;\n"
    "\n"
    "\t\tlocation / {\n"
    "\t\t\tproxy_pass http://app;\n"
    "\t\t\tproxy_http_version 1.1;\n"
    "\t\t\tproxy_set_header Connection \"\";\n"
    "\t\t\tproxy_read_timeout ${read_timeout_ms}ms;\n"
    "\t\t}\n"
    "\t}\n"
    "}\n";

START_TEST(test_every_problem_in_one_report) {
  struct buf r = {0};
  int n = check_text("nginx", SIX_PROBLEMS, &r);
  ck_assert_str_eq(
      buf_cstr(&r),
      "CONF:3: pid /run/nginx.pid: writes outside the case folder; use ${dir}/nginx.pid\n"
      "CONF:17: access_log /var/log/nginx/access.log: writes outside the case folder; use ${dir}/access.log\n"
      "CONF:18: error_log /var/log/nginx/error.log: writes outside the case folder; use ${dir}/error.log\n"
      "CONF:23: server 10.0.0.5:8080: sends to 10.0.0.5:8080, not the case's simulator; use "
      "`server ${upstream_host}:${upstream_port}`\n"
      "CONF:28: listen 80: the config must listen on ${proxy_port}, the port the case connects to; use "
      "`listen 127.0.0.1:${proxy_port}${client_http2}${client_tls}`\n"
      "CONF: no `client_body_temp_path` in it: nginx would use its default /var/lib/nginx/body, outside the case "
      "folder; add `client_body_temp_path ${dir}/client_body;`\n");
  ck_assert_int_eq(n, 6);
  buf_free(&r);
}
END_TEST

/* The report follows the file: an included file's problems at its include, the problems
 * found by a later pass (an unknown variable, a port) at their own lines. */
START_TEST(test_problems_in_the_order_of_the_file) {
  char *dir = uu_mkdtemp();
  const char *site = "# a site\naccess_log /var/log/nginx/site.log;\n";
  char *inc = uu_write_file(dir, "site.conf", site, strlen(site));
  char text[4096];
  snprintf(text, sizeof text,
           "daemon off;\n"
           "pid ${dir}/nginx.pid;\n"
           "events { }\n"
           "http {\n"
           "    access_log /var/log/a.log;\n"     /* 5 */
           "    include %s;\n"                    /* 6 */
           "    proxy_read_timeout ${read_timout};\n" /* 7 */
           "    client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n"
           "    uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n"
           "    server { listen 127.0.0.1:${proxy_port}; listen 8080;\n" /* 10 */
           "        location / { proxy_pass http://${upstream_host}:${upstream_port}; } }\n"
           "    error_log /var/log/b.log;\n" /* 12 */
           "}\n",
           inc);
  struct buf r = {0};
  int n = check_text("nginx", text, &r);
  const char *out = buf_cstr(&r);
  const char *want[] = {"CONF:5: access_log /var/log/a.log", "site.conf:2: access_log /var/log/nginx/site.log",
                        "CONF:7: unknown template variable ${read_timout}", "CONF:10: listen 8080: the config must",
                        "CONF:12: error_log /var/log/b.log", NULL};
  const char *at = out;
  for (int i = 0; want[i]; i++) {
    const char *found = strstr(at, want[i]);
    ck_assert_msg(found != NULL, "\"%s\" missing, or out of order, in:\n%s", want[i], out);
    at = found + strlen(want[i]);
  }
  ck_assert_msg(strstr(out, "(included by CONF:6)") != NULL, "%s", out);
  ck_assert_int_eq(n, 5);
  buf_free(&r);
  free(inc);
  uu_rmtree(dir);
}
END_TEST

/* 70 problems: the first 50 in the order of the file, then a count of the rest, even when
 * the last ones were found first (the unknown variables are) or last (what is missing). */
START_TEST(test_the_list_is_bounded) {
  struct buf text = {0};
  buf_puts(&text, "daemon off; pid ${dir}/n.pid; http { listen 127.0.0.1:${proxy_port};\n"
                  "proxy_pass http://${upstream_host}:${upstream_port};\n");
  for (int i = 3; i <= 62; i++) buf_printf(&text, "access_log /var/log/x%d.log;\n", i);
  for (int i = 63; i <= 67; i++) buf_printf(&text, "proxy_read_timeout ${nope%d};\n", i);
  buf_puts(&text, "}\n");
  struct buf r = {0};
  /* 60 paths + 5 variables + 5 temp folders missing */
  int n = check_text("nginx", buf_cstr(&text), &r);
  ck_assert_int_eq(n, 70);
  const char *line = buf_cstr(&r);
  for (int i = 0; i < PROXY_CONFIG_SHOWN; i++) {
    char want[64];
    snprintf(want, sizeof want, "CONF:%d: access_log /var/log/x%d.log", i + 3, i + 3);
    ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "line %d: want %s, got %.80s", i + 1, want, line);
    line = strchr(line, '\n') + 1;
  }
  ck_assert_str_eq(line, "... and 20 more\n");
  buf_free(&r);
  buf_free(&text);
}
END_TEST

/* Every listener holds ${proxy_port}: `listen 80` beside it would listen outside the case;
 * a unix socket in the case folder is not a port. */
START_TEST(test_every_listener_holds_the_proxy_port) {
  struct buf r = {0};
  const char *text = "daemon off; pid ${dir}/n.pid; http { access_log off;\n"
                     "client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n"
                     "uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n"
                     "server { listen 127.0.0.1:${proxy_port}; listen [::]:80; listen unix:${dir}/n.sock;\n"
                     "location / { proxy_pass http://${upstream_host}:${upstream_port}; } } }\n";
  int n = check_text("nginx", text, &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF:4: listen [::]:80: the config must listen on ${proxy_port}, the port the "
                                 "case connects to; use `listen 127.0.0.1:${proxy_port}${client_http2}${client_tls}`\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
}
END_TEST

/* haproxy's `server NAME ADDRESS`: every server is judged, whatever its name. */
START_TEST(test_a_server_of_another_name_is_blamed) {
  struct buf r = {0};
  const char *text = "global\n    log stderr format raw local0\n    pidfile ${dir}/h.pid\n"
                     "frontend fe\n    bind 127.0.0.1:${proxy_port}\n    default_backend be\n"
                     "backend be\n    server web1 10.0.0.5:8080 check\n    server web2 10.0.0.6:8080 check\n";
  int n = check_text("haproxy", text, &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF:8: server web1 10.0.0.5:8080: sends to 10.0.0.5:8080, not the case's "
                                 "simulator; use `server web1 ${upstream_host}:${upstream_port}`\n"
                                 "CONF:9: server web2 10.0.0.6:8080: sends to 10.0.0.6:8080, not the case's "
                                 "simulator; use `server web2 ${upstream_host}:${upstream_port}`\n");
  ck_assert_int_eq(n, 2);
  buf_free(&r);
}
END_TEST

/* An upstream named through something that holds ${upstream_port} (apache's balancer://)
 * is no problem: only a config that names the port nowhere is. */
START_TEST(test_an_upstream_named_through_a_balancer_passes) {
  struct buf r = {0};
  const char *text = "PidFile ${dir}/a.pid\nErrorLog ${dir}/e.log\nDefaultRuntimeDir ${dir}\n"
                     "Listen 127.0.0.1:${proxy_port}\n"
                     "<Proxy \"balancer://up\">\n"
                     "    BalancerMember \"http://${upstream_host}:${upstream_port}\"\n"
                     "</Proxy>\n"
                     "ProxyPass / balancer://up/\n";
  int n = check_text("apache2", text, &r);
  ck_assert_msg(n == 0, "%s", buf_cstr(&r));
  buf_free(&r);
}
END_TEST

/* The proxy's checker runs the proxy's binary: never on a config with another problem, and
 * on one without. A definition whose checker leaves a mark tells. */
START_TEST(test_the_checker_runs_only_on_a_config_without_problems) {
  /* The checker can write into its scratch folder only (confine.h), so it says it ran on its
   * output, which a refusal quotes. */
  char *dir = uu_mkdtemp();
  char lua[8192];
  snprintf(lua, sizeof lua, "%s",
           "return proxy {\n  name = \"fake\",\n  binary = { \"/bin/sh\" },\n"
           "  files = { [\"fake.conf\"] = \"listen ${proxy_port}\\n\" },\n"
           "  command = { \"${binary}\", \"-c\", \"exit 3\" },\n"
           "  check = { \"${binary}\", \"-c\", \"echo fake-checker-ran; exit 1\" },\n"
           "  paths = { \"^%s*log%s+(%S+)\" },\n}\n");
  char sub[4096];
  snprintf(sub, sizeof sub, "%s/proxies", dir);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  free(uu_write_file(sub, "fake.lua", lua, strlen(lua)));
  size_t n = 0;
  int failures = 0;
  struct proxy_def *fake = proxy_load_dir(sub, &n, &failures);
  ck_assert_int_eq(failures, 0);
  ck_assert_uint_eq(n, 1);
  proxy_probe(fake);
  ck_assert_ptr_nonnull(fake->binary);

  const char *bad_text = "listen ${proxy_port}\nlog /var/log/fake.log\n";
  char *bad = uu_write_file(dir, "bad.conf", bad_text, strlen(bad_text));
  struct buf r = {0};
  ck_assert_int_eq(proxy_config_check(fake, bad, &r), 1);
  ck_assert_msg(strstr(buf_cstr(&r), "fake-checker-ran") == NULL, "the checker ran on a config with a problem: %s",
                buf_cstr(&r));
  buf_free(&r);

  const char *good_text = "listen ${proxy_port}\nlog ${dir}/fake.log\n";
  char *good = uu_write_file(dir, "good.conf", good_text, strlen(good_text));
  ck_assert_int_eq(proxy_config_check(fake, good, &r), 1);
  ck_assert_msg(strstr(buf_cstr(&r), "fake's own check refused it") != NULL, "%s", buf_cstr(&r));
  ck_assert_msg(strstr(buf_cstr(&r), "fake-checker-ran") != NULL, "the checker did not run: %s", buf_cstr(&r));
  buf_free(&r);
  free(bad);
  free(good);
  proxy_free_all(fake, n);
  char fake_lua[4200];
  snprintf(fake_lua, sizeof fake_lua, "%s/fake.lua", sub);
  unlink(fake_lua);
  rmdir(sub);
  uu_rmtree(dir);
}
END_TEST

/* ---- staying in the foreground ------------------------------------------------------------ */

/* nginx's config, every other check satisfied; %s: what it says about daemon. */
static const char NGINX_WITH[] =
    "%s\n"
    "pid ${dir}/n.pid;\n"
    "events { }\n"
    "http { access_log ${dir}/access.log;\n"
    "client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n"
    "uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n"
    "server { listen 127.0.0.1:${proxy_port};\n"
    "location / { proxy_pass http://${upstream_host}:${upstream_port}; } } }\n";

#define DETACHES                                                                                                 \
  "would detach into the background, out of the harness's reach (every case would fail, and it would outlive "    \
  "badup)"

/* A config that makes the proxy detach is refused on its line, saying what to write. */
START_TEST(test_a_config_that_detaches_is_refused) {
  static const struct {
    const char *proxy, *text, *want;
  } cases[] = {
      {"nginx", "daemon on;", "CONF:1: daemon on: nginx " DETACHES "; use `daemon off;`\n"},
      {"nginx", "daemon \"ON\";", "CONF:1: daemon \"ON\": nginx " DETACHES "; use `daemon off;`\n"},
      {"nginx", "# daemon off;",
       "CONF: no `daemon off;` in it: nginx detaches into the background by default, out of the harness's reach "
       "(every case would fail, and it would outlive badup); add `daemon off;`\n"},
      {"nghttpx",
       "frontend=127.0.0.1,${proxy_port};no-tls\nbackend=${upstream_host},${upstream_port};;proto=http/1.1\n"
       "pid-file=${dir}/n.pid\ndaemon=yes\n",
       "CONF:4: daemon=yes: nghttpx " DETACHES "; use `daemon=no`\n"},
      {"apache2",
       "PidFile ${dir}/a.pid\nErrorLog ${dir}/e.log\nDefaultRuntimeDir ${dir}\nListen 127.0.0.1:${proxy_port}\n"
       "ProxyPass / http://${upstream_host}:${upstream_port}/\nUnDefine FOREGROUND\n",
       "CONF:6: UnDefine FOREGROUND: apache2 " DETACHES "; remove `UnDefine FOREGROUND`\n"},
      {"node",
       "const cp = require('child_process');\n"
       "cp.spawn(process.execPath, process.argv.slice(1), { detached: true, stdio: 'ignore' }).unref();\n",
       "CONF:2: detached: true, stdio: 'ignore': node " DETACHES "; remove `detached: true`\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[2048];
    if (strcmp(cases[i].proxy, "nginx") == 0) snprintf(text, sizeof text, NGINX_WITH, cases[i].text);
    else snprintf(text, sizeof text, "%s", cases[i].text);
    struct buf r = {0};
    int n = check_text(cases[i].proxy, text, &r);
    ck_assert_msg(n == 1 && strcmp(buf_cstr(&r), cases[i].want) == 0, "%s, %s: %d problems:\n%swant:\n%s",
                  cases[i].proxy, cases[i].text, n, buf_cstr(&r), cases[i].want);
    buf_free(&r);
  }
}
END_TEST

/* What keeps it in the foreground passes, also from a file the config includes. */
START_TEST(test_a_config_that_stays_passes) {
  char *dir = uu_mkdtemp();
  const char *main_ctx = "daemon off;\nworker_processes 1;\n";
  char *inc = uu_write_file(dir, "main.conf", main_ctx, strlen(main_ctx));
  char line[4200], text[8192];
  snprintf(line, sizeof line, "include %s;", inc);
  const char *stays[] = {"daemon off;", "daemon  OFF ;", "daemon 'off';", line};
  for (size_t i = 0; i < sizeof stays / sizeof *stays; i++) {
    snprintf(text, sizeof text, NGINX_WITH, stays[i]);
    struct buf r = {0};
    int n = check_text("nginx", text, &r);
    ck_assert_msg(n == 0, "%s: %s", stays[i], buf_cstr(&r));
    buf_free(&r);
  }
  struct buf r = {0};
  ck_assert_msg(check_text("nghttpx", "frontend=127.0.0.1,${proxy_port};no-tls\n"
                                      "backend=${upstream_host},${upstream_port};;proto=http/1.1\ndaemon=no\n",
                           &r) == 0,
                "%s", buf_cstr(&r));
  buf_free(&r);
  free(inc);
  uu_rmtree(dir);
}
END_TEST

/* Every definition says how its proxy stays in the foreground: a flag on its command line
 * that no config can undo, or rules for what its config must (not) say. A definition that
 * loses its flag, or a new one that says nothing, fails here. */
START_TEST(test_every_definition_stays_in_the_foreground) {
  static const struct {
    const char *proxy, *flag; /* NULL: the config must say it (foreground) */
  } how[] = {
      {"apache2", "-DFOREGROUND"}, {"caddy", "run"}, {"h2o", NULL},   {"haproxy", "-db"},       {"lighttpd", "-D"},
      {"nghttpx", NULL},           {"nginx", NULL},  {"node", NULL},  {"squid", "-N"},          {"tinyproxy", "-d"},
      {"trafficserver", NULL},     {"varnish", "-F"},
      /* programs of the project's own around a library: they never detach, and proxy.json has
       * no key that could make them */
      {"go-reverseproxy", NULL},   {"http-proxy-middleware", NULL}, {"node-http-proxy", NULL},
  };
  for (size_t i = 0; i < ndefs; i++) {
    const struct proxy_def *p = &defs[i];
    size_t k = 0;
    while (k < sizeof how / sizeof *how && strcmp(how[k].proxy, p->name) != 0) k++;
    ck_assert_msg(k < sizeof how / sizeof *how, "%s: say how it stays in the foreground (docs/proxies.md)", p->name);
    if (how[k].flag) {
      bool found = false;
      for (char **a = p->command; *a && !found; a++) found = strcmp(*a, how[k].flag) == 0;
      ck_assert_msg(found, "%s: its command lost %s, which keeps it in the foreground", p->name, how[k].flag);
    }
  }
  /* the ones whose config can make them detach, with nothing on the command line to stop it */
  ck_assert_ptr_nonnull(def("nginx")->foreground.stays);
  ck_assert_ptr_nonnull(def("nginx")->foreground.detaches[0]);
  ck_assert_ptr_nonnull(def("nghttpx")->foreground.detaches[0]);
  ck_assert_ptr_nonnull(def("apache2")->foreground.detaches[0]);
  ck_assert_ptr_nonnull(def("node")->foreground.detaches[0]);
}
END_TEST

/* ---- where a config sends ------------------------------------------------------------------- */

/* Every definition says where its config sends requests (node's and varnish's too: node's
 * literal addresses, varnish's backends). A new definition without targets fails here. */
START_TEST(test_definitions_declare_their_targets) {
  for (size_t i = 0; i < ndefs; i++)
    ck_assert_msg(defs[i].ntargets > 0, "%s declares no targets: where does its config send requests?", defs[i].name);
}
END_TEST

/* Every shipped config passes the checks that only read files, whether or not its proxy is
 * installed (CI has three of them): its targets are the simulator, its statements read right. */
START_TEST(test_shipped_configs_pass_the_static_checks) {
  for (size_t i = 0; i < ndefs; i++) {
    ck_assert_ptr_null(defs[i].binary); /* unprobed: nothing runs */
    struct buf r = {0};
    int n = proxy_config_check(&defs[i], NULL, &r);
    ck_assert_msg(n == 0, "%s's shipped config: %s", defs[i].name, buf_cstr(&r));
    buf_free(&r);
  }
}
END_TEST

/* The user's report: a Debian production nginx config with every write fixed and an upstream
 * block that names the simulator, but a location that proxies to a real host. It passed, and
 * the run sent requests to 10.0.0.5. Nothing runs here: the definitions are not probed. */
static const char SNEAKY_NGINX[] =
    "user root;\n"
    "worker_processes 1;\n"
    "pid ${dir}/nginx.pid;\n"
    "daemon off;\n"
    "\n"
    "events {\n"
    "\tworker_connections 768;\n"
    "}\n"
    "\n"
    "http {\n"
    "\tsendfile on;\n"
    "\ttcp_nopush on;\n"
    "\ttypes_hash_max_size 2048;\n"
    "\tinclude /etc/nginx/mime.types;\n"
    "\tdefault_type application/octet-stream;\n"
    "\n"
    "\taccess_log ${dir}/access.log;\n"
    "\terror_log ${dir}/error.log;\n"
    "\tclient_body_temp_path ${dir}/client_body;\n"
    "\tproxy_temp_path ${dir}/proxy_temp;\n"
    "\tfastcgi_temp_path ${dir}/fastcgi_temp;\n"
    "\n"
    "\tupstream app {\n"
    "\t\tserver ${upstream_host}:${upstream_port};\n"
    "\t\tkeepalive 16;\n"
    "\t}\n"
    "\n"
    "\tserver {\n"
    "\t\tlisten 127.0.0.1:${proxy_port};\n"
    "\t\tserver_name app.example.com;\n"
    "\t\tuwsgi_temp_path ${dir}/uwsgi_temp;\n"
    "\t\tscgi_temp_path ${dir}/scgi_temp;\n"
    "\n"
    "\t\tlocation /app/ {\n"
    "\t\t\tproxy_pass http://app;\n"
    "\t\t}\n"
    "\t\tlocation / {\n"
    "\t\t\tproxy_pass http://10.0.0.5:8080;\n"
    "\t\t\tproxy_http_version 1.1;\n"
    "\t\t\tproxy_set_header Connection \"\";\n"
    "\t\t\tproxy_read_timeout ${read_timeout_ms}ms;\n"
    "\t\t}\n"
    "\t}\n"
    "}\n";

START_TEST(test_a_target_elsewhere_is_refused_beside_one_that_is_the_simulator) {
  struct buf r = {0};
  int n = check_text("nginx", SNEAKY_NGINX, &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF:38: proxy_pass http://10.0.0.5:8080: sends to http://10.0.0.5:8080, not the "
                                 "case's simulator; use `proxy_pass http://${upstream_host}:${upstream_port}`\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
}
END_TEST

/* nginx's config of NGINX_WITH with `target;` in its location instead of the simulator. */
static void nginx_sending_to(char *text, size_t len, const char *target) {
  snprintf(text, len, NGINX_WITH, "daemon off;");
  char *loc = strstr(text, "proxy_pass http://${upstream_host}:${upstream_port};");
  snprintf(loc, len - (size_t)(loc - text), "%s } } }\n", target);
}

/* Per proxy: a config with nothing else wrong and one target elsewhere is refused on its line,
 * with the statement to write; with the simulator there it passes. %s: the target statement. */
static const struct {
  const char *proxy, *base, *bad, *good, *want;
} TARGETS[] = {
    {"nginx", NULL, "proxy_pass http://10.0.0.5:8080;", "proxy_pass http://${upstream_host}:${upstream_port};",
     "CONF:8: proxy_pass http://10.0.0.5:8080: sends to http://10.0.0.5:8080, not the case's simulator; use "
     "`proxy_pass http://${upstream_host}:${upstream_port}`\n"},
    {"haproxy",
     "global\n    pidfile ${dir}/h.pid\nfrontend fe\n    bind 127.0.0.1:${proxy_port}\n"
     "    default_backend be\nbackend be\n    %s\n",
     "server web1 10.0.0.5:8080 check", "server web1 ${upstream_host}:${upstream_port} check",
     "CONF:7: server web1 10.0.0.5:8080: sends to 10.0.0.5:8080, not the case's simulator; use "
     "`server web1 ${upstream_host}:${upstream_port}`\n"},
    {"apache2",
     "PidFile ${dir}/a.pid\nErrorLog ${dir}/e.log\nDefaultRuntimeDir ${dir}\nListen 127.0.0.1:${proxy_port}\n%s\n",
     "ProxyPass / http://10.0.0.5:8080/ retry=0", "ProxyPass / http://${upstream_host}:${upstream_port}/ retry=0",
     "CONF:5: ProxyPass / http://10.0.0.5:8080/: sends to http://10.0.0.5:8080/, not the case's simulator; use "
     "`ProxyPass / http://${upstream_host}:${upstream_port}/`\n"},
    {"squid",
     "http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port} no-vhost\n"
     "pid_filename ${dir}/s.pid\ncache_log ${dir}/c.log\naccess_log stdio:${dir}/a.log\nnetdb_filename none\n%s\n",
     "cache_peer 10.0.0.5 parent 8080 0 originserver",
     "cache_peer ${upstream_host} parent ${upstream_port} 0 originserver",
     "CONF:6: cache_peer 10.0.0.5 parent 8080: sends to 10.0.0.5:8080, not the case's simulator; use "
     "`cache_peer ${upstream_host} parent ${upstream_port}`\n"},
    {"caddy", "{\n\tadmin off\n\tauto_https off\n}\nhttp://127.0.0.1:${proxy_port} {\n\t%s\n}\n", "reverse_proxy /api/* 10.0.0.5:8080",
     "reverse_proxy /api/* ${upstream_host}:${upstream_port}",
     "CONF:6: reverse_proxy 10.0.0.5:8080: sends to 10.0.0.5:8080, not the case's simulator; use "
     "`reverse_proxy ${upstream_host}:${upstream_port}`\n"},
    {"lighttpd", "server.port = ${proxy_port}\nserver.upload-dirs = ( \"${dir}\" )\n%s\n",
     "proxy.server = ( \"\" => ( ( \"host\" => \"10.0.0.5\", \"port\" => ${upstream_port} ) ) )",
     "proxy.server = ( \"\" => ( ( \"host\" => \"${upstream_host}\", \"port\" => ${upstream_port} ) ) )",
     "CONF:3: proxy.server = \"host\" => \"10.0.0.5\": sends to 10.0.0.5, not the case's simulator; use "
     "`\"host\" => \"${upstream_host}\"`\n"},
    {"h2o",
     "listen:\n  host: 127.0.0.1\n  port: ${proxy_port}\ntemp-buffer-path: ${dir}\nhosts:\n  \"default\":\n"
     "    paths:\n      \"/\":\n        %s\n",
     "proxy.reverse.url: \"http://10.0.0.5:8080/\"", "proxy.reverse.url: \"http://${upstream_host}:${upstream_port}/\"",
     "CONF:9: proxy.reverse.url: \"http://10.0.0.5:8080/\": sends to http://10.0.0.5:8080/, not the case's simulator; "
     "use `proxy.reverse.url: \"http://${upstream_host}:${upstream_port}/\"`\n"},
    {"nghttpx", "frontend=127.0.0.1,${proxy_port};no-tls\n%s\n", "backend=10.0.0.5,8080;;proto=http/1.1",
     "backend=${upstream_host},${upstream_port};;proto=http/1.1",
     "CONF:2: backend=10.0.0.5,8080: sends to 10.0.0.5:8080, not the case's simulator; use "
     "`backend=${upstream_host},${upstream_port}`\n"},
    {"tinyproxy", "Port ${proxy_port}\nLogFile \"${dir}/t.log\"\n%s\n", "ReversePath \"/\" \"http://10.0.0.5:8080/\"",
     "ReversePath \"/\" \"http://${upstream_host}:${upstream_port}/\"",
     "CONF:3: ReversePath \"/\" \"http://10.0.0.5:8080/\": sends to http://10.0.0.5:8080/, not the case's simulator; "
     "use `ReversePath \"/\" \"http://${upstream_host}:${upstream_port}/\"`\n"},
    {"varnish", "vcl 4.1;\nbackend up {\n    %s\n    .port = \"${upstream_port}\";\n}\n", ".host = \"10.0.0.5\";",
     ".host = \"${upstream_host}\";",
     "CONF:3: .host = \"10.0.0.5\": sends to 10.0.0.5, not the case's simulator; use `.host = \"${upstream_host}\"`\n"},
    {"node", "const http = require('http');\n%s\n", "http.get('http://10.0.0.5:8080/');",
     "http.get('http://${upstream_host}:${upstream_port}/');",
     "CONF:2: 'http://10.0.0.5:8080/': sends to http://10.0.0.5:8080/, not the case's simulator; use "
     "`'http://${upstream_host}:${upstream_port}/'`\n"},
};

START_TEST(test_every_proxy_refuses_a_target_elsewhere) {
  for (size_t i = 0; i < sizeof TARGETS / sizeof *TARGETS; i++) {
    char bad[4096], good[4096];
    if (!TARGETS[i].base) {
      nginx_sending_to(bad, sizeof bad, TARGETS[i].bad);
      nginx_sending_to(good, sizeof good, TARGETS[i].good);
    } else {
      snprintf(bad, sizeof bad, TARGETS[i].base, TARGETS[i].bad);
      snprintf(good, sizeof good, TARGETS[i].base, TARGETS[i].good);
    }
    struct buf r = {0};
    int n = check_text(TARGETS[i].proxy, bad, &r);
    ck_assert_msg(n == 1 && strcmp(buf_cstr(&r), TARGETS[i].want) == 0, "%s: %d problems:\n%swant:\n%s",
                  TARGETS[i].proxy, n, buf_cstr(&r), TARGETS[i].want);
    buf_free(&r);
    n = check_text(TARGETS[i].proxy, good, &r);
    ck_assert_msg(n == 0, "%s with the simulator: %s", TARGETS[i].proxy, buf_cstr(&r));
    buf_free(&r);
  }
}
END_TEST

/* trafficserver's records.config names the file its remap rules are in: read, and its targets
 * judged (a rule continued over lines too), at the include. */
START_TEST(test_trafficserver_remap_rules_are_judged) {
  char *dir = uu_mkdtemp();
  const char *remap = "map http://a/ http://${upstream_host}:${upstream_port}/\n"
                      "map http://b/ \\\n    http://10.0.0.5:8080/\n";
  char *rpath = uu_write_file(dir, "remap.config", remap, strlen(remap));
  char text[4096];
  snprintf(text, sizeof text,
           "CONFIG proxy.config.http.server_ports STRING ${proxy_port}:ip-in=127.0.0.1\n"
           "CONFIG proxy.config.url_remap.filename STRING %s\n",
           rpath);
  struct buf r = {0}, want = {0};
  int n = check_text("trafficserver", text, &r);
  buf_printf(&want, "%s:2: map http://b/ http://10.0.0.5:8080/: sends to http://10.0.0.5:8080/, not the case's "
                    "simulator; use `map http://b/ http://${upstream_host}:${upstream_port}/` (included by CONF:2)\n",
             rpath);
  ck_assert_str_eq(buf_cstr(&r), buf_cstr(&want));
  ck_assert_int_eq(n, 1);
  buf_free(&r);
  buf_free(&want);
  /* one that forwards what no rule maps to the host the request names */
  n = check_text("trafficserver",
                 "CONFIG proxy.config.http.server_ports STRING ${proxy_port}\n"
                 "CONFIG proxy.config.url_remap.remap_required INT 0\n",
                 &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF:2: CONFIG proxy.config.url_remap.remap_required INT 0: sends a request that "
                                 "no remap rule maps to the host it names, not only to the case's simulator; remove "
                                 "it\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
  free(rpath);
  uu_rmtree(dir);
}
END_TEST

/* Only ${upstream_host} (or 127.0.0.1, localhost) with ${upstream_port} is the simulator: a
 * name that resolves to the loopback, another loopback address, no port, a variable, a unix
 * socket are each refused. */
START_TEST(test_only_the_variables_are_the_simulator) {
  static const struct {
    const char *target;
    bool ok;
    const char *why; /* in the message, or NULL */
  } cases[] = {
      {"http://${upstream_host}:${upstream_port}", true, NULL},
      {"http://127.0.0.1:${upstream_port}/x/", true, NULL},
      {"http://localhost:${upstream_port}", true, NULL},
      {"http://${upstream_host}:${upstream_port}$request_uri", true, NULL},
      {"http://localhost.localdomain:${upstream_port}", false, NULL},
      {"http://127.0.0.2:${upstream_port}", false, NULL},
      {"http://127.1:${upstream_port}", false, NULL},
      {"http://[::1]:${upstream_port}", false, NULL},
      {"http://app.internal:${upstream_port}", false, NULL},
      {"http://${upstream_host}:8080", false, NULL},
      {"http://${upstream_host}", false, "(no port: it would go to the default one)"},
      {"http://$backend", false, "(a variable: where it leads is only known at run time)"},
      {"http://${upstream_host}:$port", false, "(a variable: where it leads is only known at run time)"},
      {"http://unix:/run/app.sock:/", false, "(a unix socket, not the simulator's address)"},
      {"http://${upstream_host}:${upstream_port}@10.0.0.5:80", false, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char stmt[512], text[4096], want[600];
    snprintf(stmt, sizeof stmt, "proxy_pass %s;", cases[i].target);
    nginx_sending_to(text, sizeof text, stmt);
    struct buf r = {0};
    int n = check_text("nginx", text, &r);
    snprintf(want, sizeof want, "CONF:8: proxy_pass %s: sends to %s, not the case's simulator", cases[i].target,
             cases[i].target);
    if (cases[i].ok)
      ck_assert_msg(n == 0, "%s: %s", cases[i].target, buf_cstr(&r));
    else
      ck_assert_msg(n == 1 && strncmp(buf_cstr(&r), want, strlen(want)) == 0 &&
                        (!cases[i].why || strstr(buf_cstr(&r), cases[i].why)),
                    "%s: %d problems: %s", cases[i].target, n, buf_cstr(&r));
    buf_free(&r);
  }
}
END_TEST

#define NGINX_PATHS                                                                                                    \
  "daemon off; pid ${dir}/n.pid; events { } http { access_log off;\n"                                                 \
  "client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n"                           \
  "uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n"

/* A name without a port is a group when the config declares one: nginx's upstream block (even
 * after its use), apache's balancer. Its members are judged on their own lines. */
START_TEST(test_a_group_is_judged_by_its_members) {
  static const struct {
    const char *proxy, *text, *want; /* want NULL: passes */
  } cases[] = {
      {"nginx",
       NGINX_PATHS "server { listen 127.0.0.1:${proxy_port}; location / { proxy_pass http://app; } }\n"
                   "upstream app { server ${upstream_host}:${upstream_port}; server localhost:${upstream_port} backup; } }\n",
       NULL},
      {"nginx",
       NGINX_PATHS "server { listen 127.0.0.1:${proxy_port}; location / { proxy_pass http://app; } }\n"
                   "upstream app { server ${upstream_host}:${upstream_port};\n server 10.0.0.5:8080 backup; } }\n",
       "CONF:6: server 10.0.0.5:8080: sends to 10.0.0.5:8080, not the case's simulator; use "
       "`server ${upstream_host}:${upstream_port}`\n"},
      {"nginx",
       NGINX_PATHS "server { listen 127.0.0.1:${proxy_port};\n"
                   "location / { proxy_pass http://${upstream_host}:${upstream_port}; }\n"
                   "location /b { proxy_pass http://backend; } } }\n",
       "CONF:6: proxy_pass http://backend: sends to http://backend, not the case's simulator; use "
       "`proxy_pass http://${upstream_host}:${upstream_port}`\n"},
      {"apache2",
       "PidFile ${dir}/a.pid\nErrorLog ${dir}/e.log\nDefaultRuntimeDir ${dir}\nListen 127.0.0.1:${proxy_port}\n"
       "<Proxy \"balancer://up\">\n    BalancerMember \"http://127.0.0.1:${upstream_port}\"\n</Proxy>\n"
       "ProxyPass / balancer://up/\nProxyPass /down balancer://down/\n",
       "CONF:9: ProxyPass /down balancer://down/: sends to balancer://down/, not the case's simulator (no balancer of "
       "that name in the config); use `ProxyPass /down http://${upstream_host}:${upstream_port}/`\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct buf r = {0};
    int n = check_text(cases[i].proxy, cases[i].text, &r);
    if (!cases[i].want) ck_assert_msg(n == 0, "case %zu: %s", i, buf_cstr(&r));
    else ck_assert_msg(n == 1 && strcmp(buf_cstr(&r), cases[i].want) == 0, "case %zu: %d: %s", i, n, buf_cstr(&r));
    buf_free(&r);
  }
}
END_TEST

/* Each proxy's config with a simulator target and nothing else wrong; a case's lines go last. */
static const struct {
  const char *proxy, *base, *end;
} BASES[] = {
    {"nginx",
     "daemon off;\npid ${dir}/n.pid;\nevents { }\nhttp { access_log ${dir}/access.log;\n"
     "client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n"
     "uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\nserver { listen 127.0.0.1:${proxy_port};\n"
     "location / { proxy_pass http://${upstream_host}:${upstream_port}; }\n",
     "} }\n"},
    {"haproxy",
     "global\n    pidfile ${dir}/h.pid\nfrontend fe\n    bind 127.0.0.1:${proxy_port}\n"
     "    default_backend be\nbackend be\n    server up ${upstream_host}:${upstream_port}\n",
     ""},
    {"apache2",
     "PidFile ${dir}/a.pid\nErrorLog ${dir}/e.log\nDefaultRuntimeDir ${dir}\n"
     "Listen 127.0.0.1:${proxy_port}\nProxyPass / http://${upstream_host}:${upstream_port}/\n",
     ""},
    {"squid",
     "http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port} no-vhost\n"
     "pid_filename ${dir}/s.pid\ncache_log ${dir}/c.log\naccess_log stdio:${dir}/a.log\nnetdb_filename none\n",
     ""},
    {"caddy", "{\n\tadmin off\n\tauto_https off\n}\nhttp://127.0.0.1:${proxy_port} {\n\treverse_proxy ${upstream_host}:${upstream_port}\n",
     "}\n"},
    {"nghttpx", "frontend=127.0.0.1,${proxy_port};no-tls\nbackend=${upstream_host},${upstream_port};;proto=http/1.1\n",
     ""},
    {"tinyproxy", "Port ${proxy_port}\nReversePath \"/\" \"http://${upstream_host}:${upstream_port}/\"\n", ""},
    {"varnish", "vcl 4.1;\nbackend up { .host = \"${upstream_host}\"; .port = \"${upstream_port}\"; }\n", ""},
    {"h2o",
     "listen:\n  port: ${proxy_port}\ntemp-buffer-path: ${dir}\nhosts:\n  \"default\":\n    paths:\n"
     "      \"/\":\n        proxy.reverse.url: \"http://${upstream_host}:${upstream_port}/\"\n",
     ""},
    {"lighttpd",
     "server.port = ${proxy_port}\nserver.upload-dirs = ( \"${dir}\" )\n"
     "proxy.server = ( \"\" => ( ( \"host\" => \"${upstream_host}\", \"port\" => ${upstream_port} ) ) )\n",
     ""},
};

/* BASES[proxy] with lines in it, into text; returns the line they start on. */
static int with_base(const char *proxy, const char *lines, char *text, size_t len) {
  const char *base = NULL, *end = "";
  int at = 1;
  for (size_t k = 0; k < sizeof BASES / sizeof *BASES; k++)
    if (strcmp(BASES[k].proxy, proxy) == 0) base = BASES[k].base, end = BASES[k].end;
  ck_assert_msg(base != NULL, "no base config for %s", proxy);
  for (const char *c = base; *c; c++) at += *c == '\n';
  snprintf(text, len, "%s%s\n%s", base, lines, end);
  return at;
}

static void expect_exactly(const char *proxy, const char *lines, const char *want);

/* Checks BASES[proxy] + lines: want NULL passes; else one problem, starting "CONF:<line>: want". */
static void expect_one(const char *proxy, const char *lines, int line, const char *want) {
  char text[8192], prefix[1200];
  int at = with_base(proxy, lines, text, sizeof text);
  struct buf r = {0};
  int n = check_text(proxy, text, &r);
  if (!want) {
    ck_assert_msg(n == 0, "%s, %s: %s", proxy, lines, buf_cstr(&r));
  } else {
    snprintf(prefix, sizeof prefix, "CONF:%d: %s", at + line, want);
    ck_assert_msg(n == 1 && strncmp(buf_cstr(&r), prefix, strlen(prefix)) == 0, "%s, %s: %d problems:\n%swant:\n%s",
                  proxy, lines, n, buf_cstr(&r), prefix);
  }
  buf_free(&r);
}

/* The other directives that name a target, and what sends where no pattern can follow: refused
 * on their line (line: of the case's lines, from 0). */
START_TEST(test_every_kind_of_target_is_judged) {
  static const struct {
    const char *proxy, *lines;
    int line;
    const char *want; /* the message's start after "CONF:N: ", or NULL: passes */
  } cases[] = {
      {"haproxy", "    server s1 ${upstream_host}:${upstream_port} check addr 10.0.0.9 port 80", 0,
       "server s1 ${upstream_host}:${upstream_port} check addr 10.0.0.9: sends to 10.0.0.9,"},
      {"haproxy", "    server s2 /run/app.sock", 0,
       "server s2 /run/app.sock: sends to /run/app.sock, not the case's simulator (a unix socket"},
      {"haproxy", "    server s3 ${upstream_host}:${upstream_port}#a comment", 0, NULL},
      {"haproxy", "    http-request set-dst hdr(x-dst)", 0,
       "http-request set-dst hdr(x-dst): sends the request to an address computed from it, not only to the case's "
       "simulator; remove it"},
      {"haproxy", "    option http_proxy", 0, "option http_proxy: sends each request to the host its URL names"},
      {"haproxy", "    dispatch 10.0.0.5:80", 0, "dispatch 10.0.0.5:80: sends to 10.0.0.5:80,"},
      {"haproxy", "    server s5 ${upstream_host}:${upstream_port} check port 18081 inter 200", 0,
       "server s5 ${upstream_host}:${upstream_port} check port 18081: sends to port 18081, not the case's simulator; "
       "use `server s5 ${upstream_host}:${upstream_port} check port ${upstream_port}`"},
      {"haproxy", "    server s6 ${upstream_host}:${upstream_port} check port ${upstream_port}", 0, NULL},
      {"haproxy", "    server port ${upstream_host}:${upstream_port}", 0, NULL},
      {"haproxy", "    default-server port 9000 inter 1s", 0, "default-server port 9000: sends to port 9000,"},
      {"haproxy", "    server s7 ${upstream_host}:${upstream_port} agent-check agent-port 9999", 0,
       "server s7 ${upstream_host}:${upstream_port} agent-check agent-port 9999: sends to port 9999,"},
      {"haproxy", "peers p\n    peer other 10.0.0.7:1024", 1, "peer other 10.0.0.7:1024: sends to 10.0.0.7:1024,"},
      {"apache2", "RewriteRule ^/(.*)$ http://10.0.0.5/$1 [L,P]", 0,
       "RewriteRule ^/(.*)$ http://10.0.0.5/$1: sends to http://10.0.0.5/$1,"},
      {"apache2", "RewriteRule ^/(.*)$ http://10.0.0.5/$1 [R=301,L]", 0, NULL},
      {"apache2", "SetHandler \"proxy:fcgi://10.0.0.5:9000\"", 0,
       "SetHandler \"proxy:fcgi://10.0.0.5:9000\": sends to fcgi://10.0.0.5:9000,"},
      {"apache2", "ProxyPass /x;y http://10.0.0.5/", 0, "ProxyPass /x;y http://10.0.0.5/: sends to http://10.0.0.5/,"},
      {"apache2", "ProxyPass /x !", 0, NULL},
      {"apache2", "<Location /l>\n    ProxyPass \"http://10.0.0.5/\" timeout=3\n</Location>", 1,
       "ProxyPass \"http://10.0.0.5/\": sends to http://10.0.0.5/,"},
      {"apache2", "ProxyRequests On", 0,
       "ProxyRequests On: sends each request to the host its URL names (a forward proxy), not only to the case's "
       "simulator; remove it"},
      {"squid", "http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port}", 0,
       "http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port}: sends each request to "
       "the host its Host header names (accel uses vhost unless no-vhost), not only to the case's simulator; use "
       "`http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port} no-vhost`"},
      {"squid", "http_port 127.0.0.1:${proxy_port} accel defaultsite=www.example.com no-vhost", 0,
       "http_port 127.0.0.1:${proxy_port} accel defaultsite=www.example.com: sends to www.example.com,"},
      {"squid", "http_port 127.0.0.1:${proxy_port}", 0,
       "http_port 127.0.0.1:${proxy_port}: sends each request to the host its URL names"},
      {"squid", "url_rewrite_program /usr/local/bin/rewrite", 0,
       "url_rewrite_program /usr/local/bin/rewrite: hands each URL to a program"},
      {"caddy", "\treverse_proxy {http.request.host}:80", 0,
       "reverse_proxy {http.request.host}:80: sends to {http.request.host}:80, not the case's simulator (a variable"},
      {"caddy", "\treverse_proxy {\n\t\tto ${upstream_host}:${upstream_port} 10.0.0.6:80\n\t}", 1,
       "to 10.0.0.6:80: sends to 10.0.0.6:80,"},
      {"caddy", "\tphp_fastcgi unix//run/php/php-fpm.sock", 0,
       "php_fastcgi unix//run/php/php-fpm.sock: sends to unix//run/php/php-fpm.sock,"},
      {"nghttpx", "backend=unix:/run/app.sock;/x", 0,
       "backend=unix:/run/app.sock: sends to unix:/run/app.sock, not the case's simulator (a unix socket"},
      {"nghttpx", "backend-http-proxy-uri=http://10.0.0.8:3128", 0,
       "backend-http-proxy-uri=http://10.0.0.8:3128: sends to http://10.0.0.8:3128,"},
      {"tinyproxy", "upstream socks5 user:secret@10.0.0.5:1080", 0,
       "upstream socks5 user:secret@10.0.0.5:1080: sends to"},
      {"tinyproxy", "Upstream none \".local\"", 0, NULL},
      {"varnish", "backend b2 { .path = \"/run/app.sock\"; }", 0, ".path = \"/run/app.sock\": sends to /run/app.sock,"},
      {"varnish", "backend b3 {\n  .host =\n     \"10.0.0.6\";\n  .port = \"${upstream_port}\"; }", 1,
       ".host = \"10.0.0.6\": sends to 10.0.0.6,"},
      {"varnish", "backend b4 { .host = \"${upstream_host}:8080\"; }", 0,
       ".host = \"${upstream_host}:8080\": sends to ${upstream_host}:8080,"},
      {"varnish", "backend b5 { .host = \"${upstream_host}\"; }", 0,
       ".host = \"${upstream_host}\": sends to ${upstream_host}, not the case's simulator (no port: it would go to "
       "the default one); add `.port = \"${upstream_port}\"` beside it"},
      {"varnish", "backend b6 { .port = \"${upstream_port}\"; .probe = { .url = \"/\"; } .host = \"${upstream_host}\"; }",
       0, NULL},
      {"varnish", "backend b7 { .host = \"${upstream_host}:${upstream_port}\"; }", 0, NULL},
      {"h2o", "      \"/b\": { proxy.reverse.url: \"http://10.0.0.7/\", proxy.timeout.io: 100 }", 0,
       "proxy.reverse.url: \"http://10.0.0.7/\": sends to http://10.0.0.7/,"},
      {"h2o", "      \"/c\":\n        proxy.reverse.url:\n          http://10.0.0.8/", 1,
       "proxy.reverse.url: http://10.0.0.8/: sends to http://10.0.0.8/,"},
      {"h2o", "      \"/d\":\n        - proxy.reverse.url: >-\n            http://10.0.0.9/", 1,
       "proxy.reverse.url: http://10.0.0.9/: sends to http://10.0.0.9/,"},
      {"h2o", "      \"/e\":\n        mruby.handler: |\n          Proc.new do |env| [200, {}, []] end", 1,
       "mruby.handler: Proc.new do |env| [200, {}, []] end: runs mruby"},
      {"lighttpd", "$HTTP[\"url\"] =~ \"^/x\" {\n  fastcgi.server = ( \"/\" => (( \"socket\" => \"/run/php.sock\" )) )\n}", 1,
       "fastcgi.server = \"socket\" => \"/run/php.sock\": sends to /run/php.sock,"},
      {"lighttpd", "proxy.server += ( \"/y\" => (( \"host\" => var.backend, \"port\" => 8080 )) )", 0,
       "proxy.server += \"host\" => var.backend: sends to var.backend,"},
      {"lighttpd", "proxy.server += ( \"/z\" => (( \"host\" => \"${upstream_host}\" )) )", 0,
       "proxy.server += \"host\" => \"${upstream_host}\": sends to ${upstream_host}, not the case's simulator (no "
       "port: it would go to the default one); add `\"port\" => ${upstream_port}` beside it"},
      {"lighttpd", "proxy.server += ( \"/w\" => (( \"port\" => ${upstream_port}, \"host\" => \"${upstream_host}\" )) )",
       0, NULL},
      {"lighttpd", "include_shell \"cat /etc/lighttpd/backends.conf\"", 0,
       "include_shell \"cat /etc/lighttpd/backends.conf\": takes config from a program's output"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    expect_one(cases[i].proxy, cases[i].lines, cases[i].line, cases[i].want);
}
END_TEST

/* What the message says to write is valid where it goes, on the line of the target: apache's
 * unix socket URL becomes an http:// one (the simulator speaks HTTP), a lighttpd backend's
 * pair is named in its list, on its own line. */
START_TEST(test_what_to_write_instead_is_valid_and_where_it_goes) {
  expect_one("apache2", "ProxyPass /php unix:/run/php/php-fpm.sock|fcgi://localhost/x/", 0,
             "ProxyPass /php unix:/run/php/php-fpm.sock|fcgi://localhost/x/: sends to "
             "unix:/run/php/php-fpm.sock|fcgi://localhost/x/, not the case's simulator (a unix socket, not the "
             "simulator's address); use `ProxyPass /php http://${upstream_host}:${upstream_port}/x/`");
  expect_exactly("lighttpd",
                 "proxy.server += ( \"/v\" => ( (\n    \"host\" => \"${upstream_host}\",\n    \"port\" => ${upstream_port}\n"
                 "), (\n    \"host\" => \"10.0.0.5\",\n    \"port\" => 8080\n) ) )",
                 "CONF:8: proxy.server += \"host\" => \"10.0.0.5\": sends to 10.0.0.5, not the case's simulator; use "
                 "`\"host\" => \"${upstream_host}\"`\n");
}
END_TEST

/* A VCL's include is read as part of it: a backend elsewhere in it is refused there. */
START_TEST(test_a_vcl_include_is_read) {
  char *dir = uu_mkdtemp(), line[4200], want[8192];
  const char *evil = "backend evil {\n    .host = \"10.0.0.5\";\n    .port = \"${upstream_port}\";\n}\n";
  char *inc = uu_write_file(dir, "evil.vcl", evil, strlen(evil));
  snprintf(line, sizeof line, "include \"%s\";", inc);
  snprintf(want, sizeof want,
           "%s:2: .host = \"10.0.0.5\": sends to 10.0.0.5, not the case's simulator; use `.host = "
           "\"${upstream_host}\"` (included by CONF:3)\n",
           inc);
  expect_exactly("varnish", line, want);
  free(inc);
  uu_rmtree(dir);
}
END_TEST

/* A config that sends nowhere is refused for that alone; one whose only mention of the
 * simulator is in a string or a comment sends nowhere. */
START_TEST(test_a_config_must_send_to_the_simulator_somewhere) {
  struct buf r = {0};
  int n = check_text("haproxy",
                     "global\n    pidfile ${dir}/h.pid\nfrontend fe\n    bind 127.0.0.1:${proxy_port}\n"
                     "    http-request return status 200 content-type text/plain string \"${upstream_port}\"\n"
                     "# server up ${upstream_host}:${upstream_port}\n",
                     &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF: nothing in it sends to ${upstream_host}:${upstream_port}, the case's "
                                 "simulator; add a statement like "
                                 "`server up ${upstream_host}:${upstream_port}${upstream_tls}${upstream_http2}`\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
}
END_TEST

/* ---- statements in their context ------------------------------------------------------------ */

/* `daemon off;` counts only in nginx's main context: not as an entry of a map, not in a string
 * over lines, not in a comment, not inside a block (where nginx never reads it). Each of these
 * configs detaches. */
START_TEST(test_daemon_off_counts_only_in_the_main_context) {
  static const struct {
    const char *text, *elsewhere; /* where the message says it was, if it names a place */
  } cases[] = {
      {"map $host $x {\n    default 1;\n    daemon off;\n}", NULL},
      {"# daemon off;", NULL},
      {"events { daemon off; }", "(CONF:1 says it inside `events`, where it may not apply)"},
      {"http { return 200 \"ok\ndaemon off;\n\"; }", NULL},
      {"http { return 200 'ok\n  daemon off;\n'; }", NULL},
      {"env \"NOTE=ok\n;daemon off;\n\";", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[2048];
    snprintf(text, sizeof text, NGINX_WITH, cases[i].text);
    struct buf r = {0};
    int n = check_text("nginx", text, &r);
    const char *want = cases[i].elsewhere ? "CONF: no `daemon off;` in its main context " : "CONF: no `daemon off;` in it:";
    ck_assert_msg(n == 1 && strncmp(buf_cstr(&r), want, strlen(want)) == 0 &&
                      (!cases[i].elsewhere || strstr(buf_cstr(&r), cases[i].elsewhere)),
                  "%s: %d problems:\n%s", cases[i].text, n, buf_cstr(&r));
    buf_free(&r);
  }
  /* `daemon on` as a map's entry does not detach nginx */
  char text[2048];
  snprintf(text, sizeof text, NGINX_WITH, "daemon off;\nmap $a $b { daemon on; }");
  struct buf r = {0};
  ck_assert_msg(check_text("nginx", text, &r) == 0, "%s", buf_cstr(&r));
  buf_free(&r);
}
END_TEST

/* A must_set statement where it may not apply does not set it: nginx's pid in a string, apache's
 * PidFile in an <IfModule>, squid's pid_filename under `if false`, caddy's admin in a string
 * over lines, h2o's temp-buffer-path in a block scalar. */
START_TEST(test_a_directive_counts_only_where_it_applies) {
  static const struct {
    const char *proxy, *text, *want;
  } cases[] = {
      {"nginx",
       "daemon off; env \"NOTE=x\n;pid ${dir}/n.pid;\n\"; events { } http { access_log off;\n"
       "client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n"
       "uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n"
       "server { listen 127.0.0.1:${proxy_port}; location / { proxy_pass http://${upstream_host}:${upstream_port}; } } }\n",
       "CONF: no `pid` in it: nginx would use its default /run/nginx.pid"},
      {"apache2",
       "<IfModule mod_nope.c>\n    PidFile ${dir}/a.pid\n</IfModule>\nErrorLog ${dir}/e.log\nDefaultRuntimeDir ${dir}\n"
       "Listen 127.0.0.1:${proxy_port}\nProxyPass / http://${upstream_host}:${upstream_port}/\n",
       "CONF: no `PidFile` in its main context (CONF:2 says it inside `<IfModule mod_nope.c>`, where it may not apply): "
       "apache2 would use its default /run/apache2.pid, outside the case folder; add `PidFile ${dir}/apache2.pid` "
       "outside every block\n"},
      {"apache2",
       "PidFile ${dir}/a.pid\nDefaultRuntimeDir ${dir}\nListen 127.0.0.1:${proxy_port}\n"
       "<VirtualHost 127.0.0.1:${proxy_port}>\n    ErrorLog ${dir}/e.log\n"
       "    ProxyPass / http://${upstream_host}:${upstream_port}/\n</VirtualHost>\n",
       "CONF: no `ErrorLog` in its main context (CONF:5 says it inside `<VirtualHost 127.0.0.1:${proxy_port}>`"},
      {"squid",
       "http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port} no-vhost\n"
       "if false\npid_filename ${dir}/s.pid\nendif\ncache_log ${dir}/c.log\naccess_log stdio:${dir}/a.log\n"
       "netdb_filename none\n",
       "CONF: no `pid_filename` in its main context (CONF:3 says it inside `if false`"},
      {"caddy",
       "{\n\tauto_https off\n}\nhttp://127.0.0.1:${proxy_port} {\n\trespond \"up\n\tadmin off\n\"\n\treverse_proxy "
       "${upstream_host}:${upstream_port}\n}\n",
       "CONF: no `admin` in it: caddy would use its default localhost:2019"},
      {"h2o",
       "listen:\n  port: ${proxy_port}\nhosts:\n  \"default\":\n    paths:\n      \"/\":\n"
       "        proxy.reverse.url: \"http://${upstream_host}:${upstream_port}/\"\n"
       "        header.add: |\n          temp-buffer-path: ${dir}\n",
       "CONF: no `temp-buffer-path` in it: h2o would use its default /tmp"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct buf r = {0};
    int n = check_text(cases[i].proxy, cases[i].text, &r);
    ck_assert_msg(n == 1 && strncmp(buf_cstr(&r), cases[i].want, strlen(cases[i].want)) == 0, "%s: %d problems:\n%s",
                  cases[i].proxy, n, buf_cstr(&r));
    buf_free(&r);
  }
}
END_TEST

/* `${proxy_port}` in a string or in another directive listens nowhere: nginx would listen on
 * its default port. Only a listening directive counts. */
START_TEST(test_only_a_listening_directive_listens) {
  struct buf r = {0};
  int n = check_text("nginx",
                     NGINX_PATHS "server { return 200 \"listen 127.0.0.1:${proxy_port};\";\n"
                                 "add_header X-Port ${proxy_port};\n"
                                 "location / { proxy_pass http://${upstream_host}:${upstream_port}; } } }\n",
                     &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF: the config must listen on ${proxy_port}, the port the case connects to (no "
                                 "statement listens on it); add a statement like `listen 127.0.0.1:${proxy_port}${client_http2}${client_tls}`\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
}
END_TEST

/* Comments and strings are never statements, by each proxy's own rule: apache's and squid's
 * comments only at a line's start (a '#' later is an argument), haproxy's and lighttpd's
 * anywhere, even inside a word; VCL's {"..."} strings span lines. */
START_TEST(test_comments_never_count) {
  /* a target in a comment is not judged */
  expect_one("haproxy", "    # server old 10.0.0.5:8080", 0, NULL);
  expect_one("haproxy", "    server s3 ${upstream_host}:${upstream_port} # server old 10.0.0.5:8080", 0, NULL);
  expect_one("haproxy", "    server s4 ${upstream_host}:${upstream_port}#old: addr 10.0.0.5", 0, NULL);
  expect_one("varnish", "sub vcl_recv {\n    set req.http.x-note = {\"a\";\n    .host = \"10.0.0.5\";\n\"};\n}", 0, NULL);
  expect_one("apache2", "# ProxyPass /old http://10.0.0.5/", 0, NULL);
  char text[2048];
  snprintf(text, sizeof text, NGINX_WITH, "daemon off;\nhttp { server { location /s { return 200 \"up\n;error_log "
                                          "/var/log/nginx/badup.log;\n\"; } } }");
  struct buf r = {0};
  ck_assert_msg(check_text("nginx", text, &r) == 0, "an error_log in a string: %s", buf_cstr(&r));
  buf_free(&r);
  expect_one("lighttpd", "server.tag = \"a#b\" # proxy.server = ( \"\" => (( \"host\" => \"10.0.0.5\" )) )", 0, NULL);
  expect_one("varnish", "/* backend old { .host = \"10.0.0.5\"; } */\n// .host = \"10.0.0.6\";", 0, NULL);
  /* apache: a '#' after an argument is one more argument, not a comment: the target is seen */
  expect_one("apache2", "ProxyPass /x #y http://10.0.0.5/", 0, "ProxyPass /x #y");
  /* squid: likewise, and a line continued with '\' goes on */
  expect_one("squid", "cache_peer 10.0.0.5 parent \\\n    8080 0 originserver", 0,
             "cache_peer 10.0.0.5 parent 8080: sends to 10.0.0.5:8080,");
}
END_TEST

/* A quote opens a string where the proxy's own reader opens one, and '\\' escapes where it does:
 * nginx, caddy and apache only at a word's start (`a"b` and `it's` are words: a string read
 * from there would hide the statements up to the next quote), haproxy, lighttpd and VCL
 * anywhere; nginx's `\\"` and haproxy's `\\"` are characters of a word, haproxy's '...' and
 * caddy's `...` take no escapes. Each of these configs is valid for its proxy. */
START_TEST(test_quotes_and_escapes_as_the_proxy_reads_them) {
  static const struct {
    const char *proxy, *lines;
    int line;
    const char *want; /* NULL: passes */
  } cases[] = {
      {"nginx", "add_header X-A a\"b;\naccess_log /var/log/x.log;\nadd_header X-B c\"d;", 1,
       "access_log /var/log/x.log: writes outside the case folder"},
      {"nginx", "add_header X-A it's;\naccess_log /var/log/x.log;\nadd_header X-B don't;", 1,
       "access_log /var/log/x.log: writes outside the case folder"},
      {"nginx", "add_header X-A \\\"abc;\nadd_header X-B \\\"def;", 0, NULL},
      {"nginx", "add_header X-A \\\"abc;\naccess_log /var/log/x.log;\nadd_header X-B \\\"def;", 1,
       "access_log /var/log/x.log: writes outside the case folder"},
      {"nginx", "add_header X-A \"a\\\"b;\naccess_log /var/log/x.log;\";", 0, NULL},
      {"caddy", "\theader X-A it\"s\n\tlog {\n\t\toutput file /var/log/x.log\n\t}\n\theader X-B it\"s", 2,
       "output file /var/log/x.log: writes outside the case folder"},
      {"caddy", "\theader X-A `a\\`\n\tlog {\n\t\toutput file /var/log/x.log\n\t}\n\theader X-B `b`", 2,
       "output file /var/log/x.log: writes outside the case folder"},
      {"caddy", "\treverse_proxy /a ${upstream_host}:${upstream_port} \\\n\t\t10.0.0.5:80", 1,
       "reverse_proxy 10.0.0.5:80: sends to 10.0.0.5:80,"},
      {"apache2", "Header set X-A it's\nCustomLog /var/log/x.log combined\nHeader set X-B don't", 1,
       "CustomLog /var/log/x.log combined: writes outside the case folder"},
      {"haproxy", "    server s2 ${upstream_host}:${upstream_port} cookie a\\\"b # addr 10.0.0.9", 0, NULL},
      {"haproxy", "    server s2 ${upstream_host}:${upstream_port} cookie 'a\\' # addr 10.0.0.9", 0, NULL},
      {"haproxy", "    server s2 ${upstream_host}:${upstream_port} cookie a\"b # c\"d addr 10.0.0.9", 0,
       "server s2 ${upstream_host}:${upstream_port} cookie a\"b # c\"d addr 10.0.0.9: sends to 10.0.0.9,"},
      {"h2o", "      \"/b\":\n        header.add: X-A:it's\n        proxy.reverse.url: http://10.0.0.5/\n"
       "        header.unset: don't", 2, "proxy.reverse.url: http://10.0.0.5/: sends to http://10.0.0.5/,"},
      {"varnish", "backend b2 { .host = {\"${upstream_host}\"}; .port = \"\"\"${upstream_port}\"\"\"; }", 0, NULL},
      {"varnish", "sub vcl_recv { set req.http.x = \"\"\"a\"b\"\"\"; } backend b3 { .host = \"10.0.0.5\"; }", 0,
       ".host = \"10.0.0.5\": sends to 10.0.0.5,"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    expect_one(cases[i].proxy, cases[i].lines, cases[i].line, cases[i].want);
}
END_TEST

/* A ${name} in a comment is no template variable: the proxy never reads it, and the rendering
 * leaves it as written (Debian's apache2.conf has `#Mutex file:${APACHE_LOCK_DIR} default`).
 * Anywhere else it is. */
START_TEST(test_a_variable_in_a_comment_is_no_problem) {
  expect_one("apache2", "#Mutex file:${APACHE_LOCK_DIR} default", 0, NULL);
  expect_one("nginx", "# upstream was ${BACKEND_ADDR}", 0, NULL);
  expect_one("haproxy", "    server s9 ${upstream_host}:${upstream_port} # was ${BACKEND}", 0, NULL);
  expect_one("varnish", "// was ${BACKEND}\n/* and ${OTHER} */", 0, NULL);
  expect_one("h2o", "# was ${BACKEND}", 0, NULL);
  expect_one("lighttpd", "server.tag = \"x\" # was ${BACKEND}", 0, NULL);
  expect_one("nginx", "add_header X-A \"${BACKEND_ADDR}\";", 0, "unknown template variable ${BACKEND_ADDR}");
  expect_one("apache2", "ServerAdmin ${APACHE_ADMIN}", 0, "unknown template variable ${APACHE_ADMIN}");
}
END_TEST

/* caddy: every site block listens (a domain on 80 and 443), and without auto_https off a site
 * with a domain name has caddy ask a public CA for a certificate over the network. */
START_TEST(test_every_caddy_site_listens_and_asks_no_ca) {
  expect_one("caddy", "}\nexample.com {\n\treverse_proxy ${upstream_host}:${upstream_port}", 1,
             "example.com: the config must listen on ${proxy_port}, the port the case connects to; use "
             "`${proxy_scheme}://${proxy_url_host}:${proxy_port}`");
  expect_one("caddy", "}\n(common) {\n\theader X-Badup 1", 0, NULL);
  struct buf r = {0};
  int n = check_text("caddy",
                     "{\n\tadmin off\n}\nhttp://127.0.0.1:${proxy_port} {\n\treverse_proxy "
                     "${upstream_host}:${upstream_port}\n}\n",
                     &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF: no `auto_https` in it: caddy would use its default automatic HTTPS "
                                 "(certificates asked of a public CA over the network), outside the case folder; add "
                                 "`auto_https off`\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
  /* a value that leaves some of it on is blamed on its line, not reported missing */
  n = check_text("caddy",
                 "{\n\tadmin off\n\tauto_https disable_redirects\n}\nhttp://127.0.0.1:${proxy_port} {\n\treverse_proxy "
                 "${upstream_host}:${upstream_port}\n}\n",
                 &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF:3: auto_https disable_redirects: not a value that keeps caddy from its default "
                                 "automatic HTTPS (certificates asked of a public CA over the network), outside the "
                                 "case folder; use `auto_https off`\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
}
END_TEST

/* Directive names are case-insensitive where the proxy says so (apache, tinyproxy). */
START_TEST(test_directive_names_in_any_case) {
  expect_one("apache2", "PROXYPASS /x http://10.0.0.5/", 0, "PROXYPASS /x http://10.0.0.5/: sends to");
  expect_one("apache2", "customlog /var/log/apache2/x.log combined", 0,
             "customlog /var/log/apache2/x.log combined: writes outside the case folder");
  expect_one("tinyproxy", "pidfile \"/run/tinyproxy.pid\"", 0, "pidfile \"/run/tinyproxy.pid\": writes outside");
  expect_one("tinyproxy", "reversepath \"/x/\" \"http://10.0.0.5/\"", 0, "reversepath \"/x/\" \"http://10.0.0.5/\": sends to");
}
END_TEST

/* ---- statements over lines, relative paths and includes ------------------------------------ */

/* A statement runs to its end, not to its line's: nginx's to its ';', apache's over a '\',
 * lighttpd's `name = value` wherever its parts are. */
START_TEST(test_a_statement_over_lines_is_one) {
  char text[2048];
  snprintf(text, sizeof text, NGINX_WITH, "daemon off;\nerror_log\n    /tmp/badup-x.log\n    info;");
  struct buf r = {0};
  int n = check_text("nginx", text, &r);
  ck_assert_str_eq(buf_cstr(&r), "CONF:2: error_log /tmp/badup-x.log info: writes outside the case folder; use "
                                 "${dir}/badup-x.log\n");
  ck_assert_int_eq(n, 1);
  buf_free(&r);
  expect_one("apache2", "CustomLog \\\n    /var/log/apache2/x.log combined", 0,
             "CustomLog /var/log/apache2/x.log combined: writes outside the case folder");
  expect_one("lighttpd", "server.errorlog\n  =\n  \"/var/log/x.log\" server.tag = \"x\"", 0,
             "server.errorlog = \"/var/log/x.log\": writes outside the case folder");
}
END_TEST

/* Relative paths and includes are resolved against the folder they are relative to: one that
 * stays in the case folder passes, one that climbs out is refused; an included file outside the
 * case is read, and so is what it includes relative to its own folder. */
START_TEST(test_relative_paths_and_includes_are_resolved) {
  char *dir = uu_mkdtemp();
  const char *inner = "access_log /var/log/nginx/inner.log;\n";
  char *in = uu_write_file(dir, "inner.conf", inner, strlen(inner));
  const char *outer = "include inner.conf;\n";
  char *out = uu_write_file(dir, "outer.conf", outer, strlen(outer));
  char text[4096];
  snprintf(text, sizeof text,
           "daemon off;\npid ${dir}/run/../nginx.pid;\nerror_log logs/../error.log;\nevents { }\n"
           "http { access_log ${dir}/../access.log;\n"                         /* 5 */
           "client_body_temp_path b/../../b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;\n" /* 6 */
           "uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n"
           "include ../../../../../../../../tmp/outside/inc.conf;\n" /* 8 */
           "include conf.d/../mime.types;\n"
           "include %s;\n" /* 10 */
           "server { listen 127.0.0.1:${proxy_port}; location / { proxy_pass http://${upstream_host}:${upstream_port}; "
           "} } }\n",
           out);
  struct buf r = {0}, want = {0};
  int n = check_text("nginx", text, &r);
  buf_printf(&want,
             "CONF:5: access_log ${dir}/../access.log: '..' leads out of the case folder; use ${dir}/access.log\n"
             "CONF:6: client_body_temp_path b/../../b: '..' leads out of the case folder; use ${dir}/b\n"
             "CONF:8: include ../../../../../../../../tmp/outside/inc.conf: '..' leads out of the case folder, to a "
             "file that depends on where the case folder is; name it by its absolute path (it is checked too) or use "
             "${dir}/inc.conf\n"
             "%s:1: access_log /var/log/nginx/inner.log: writes outside the case folder; use ${dir}/inner.log "
             "(included by %s:1)\n",
             in, out);
  ck_assert_str_eq(buf_cstr(&r), buf_cstr(&want));
  ck_assert_int_eq(n, 4);
  buf_free(&r);
  buf_free(&want);
  free(in);
  free(out);
  uu_rmtree(dir);
}
END_TEST

/* Checks BASES[proxy] + lines: exactly the one problem `want` (a whole line). */
static void expect_exactly(const char *proxy, const char *lines, const char *want) {
  char text[8192];
  with_base(proxy, lines, text, sizeof text);
  struct buf r = {0};
  int n = check_text(proxy, text, &r);
  ck_assert_msg(n == 1 && strcmp(buf_cstr(&r), want) == 0, "%s, %s: %d problems:\n%swant:\n%s", proxy, lines, n,
                buf_cstr(&r), want);
  buf_free(&r);
}

/* What the check does not read it cannot vouch for: each of these is a problem at the include
 * that leads to it, never a file silently left out (nginx's lines start on line 9). */
START_TEST(test_what_the_check_cannot_read_is_refused_at_its_include) {
  char *dir = uu_mkdtemp(), *many = uu_mkdtemp(), *folder = uu_mkdtemp();
  char text[8192], name[64], line[4200], want[8192];
  for (int i = 1; i <= 9; i++) { /* d1 includes d2 ... includes d9 */
    if (i < 9) snprintf(text, sizeof text, "include %s/d%d.conf;\n", dir, i + 1);
    else snprintf(text, sizeof text, "gzip on;\n");
    snprintf(name, sizeof name, "d%d.conf", i);
    free(uu_write_file(dir, name, text, strlen(text)));
  }
  snprintf(line, sizeof line, "include %s/d2.conf;", dir); /* 8 levels: read */
  expect_one("nginx", line, 0, NULL);
  snprintf(line, sizeof line, "include %s/d1.conf;", dir);
  snprintf(want, sizeof want,
           "%s/d8.conf:1: include %s/d9.conf: %s/d9.conf is 9 includes deep, deeper than the check follows (8): it "
           "would go unchecked; include it from a file nearer the config (included by %s/d7.conf:1)\n",
           dir, dir, dir, dir);
  expect_exactly("nginx", line, want);

  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "f%03d.conf", i);
    free(uu_write_file(many, name, "gzip on;\n", 9));
  }
  snprintf(line, sizeof line, "include %s/*.conf;", many);
  snprintf(want, sizeof want,
           "CONF:9: include %s/*.conf: the config and what it includes are more than 256 files, the most the check "
           "reads: %s/f255.conf and the files after it would go unchecked; include fewer files\n",
           many, many);
  expect_exactly("nginx", line, want);

  snprintf(text, sizeof text, "include %s/loop.conf;\n", dir);
  free(uu_write_file(dir, "loop.conf", text, strlen(text)));
  snprintf(line, sizeof line, "include %s/loop.conf;", dir);
  snprintf(want, sizeof want,
           "%s/loop.conf:1: include %s/loop.conf: an include loop (%s/loop.conf:1 > %s/loop.conf): nginx would "
           "read it again and again until it fails; remove the include (included by CONF:9)\n",
           dir, dir, dir, dir);
  expect_exactly("nginx", line, want);

  snprintf(line, sizeof line, "include %s;", folder);
  snprintf(want, sizeof want,
           "CONF:9: include %s: %s is a folder, which nginx does not read (it includes files); name its files: "
           "`include %s/*`\n",
           folder, folder, folder);
  expect_exactly("nginx", line, want);

  free(uu_write_file(dir, "nul.conf", "gzip on;\0access_log /var/log/x.log;\n", 37));
  snprintf(line, sizeof line, "include %s/nul.conf;", dir);
  snprintf(want, sizeof want,
           "CONF:9: include %s/nul.conf: %s/nul.conf contains a NUL byte, past which the check cannot read; not a "
           "config\n",
           dir, dir);
  expect_exactly("nginx", line, want);

  snprintf(text, sizeof text, "%s/self.conf", dir); /* a link to itself: unreadable, even by root */
  ck_assert_int_eq(symlink(text, text), 0);
  snprintf(line, sizeof line, "include %s/self.conf;", dir);
  snprintf(want, sizeof want,
           "CONF:9: include %s/self.conf: cannot read %s/self.conf: Too many levels of symbolic links\n", dir, dir);
  expect_exactly("nginx", line, want);

  /* a kernel file may never end (/proc/kmsg); /dev/null is empty */
  expect_exactly("nginx", "include /proc/self/status;", "CONF:9: include /proc/self/status: /proc/self/status is not a "
                                                        "config file\n");
  expect_one("nginx", "include /dev/null;", 0, NULL);

  /* apache reads a folder, dot files too */
  free(uu_write_file(folder, ".x.conf", "CustomLog /var/log/x.log combined\n", 34));
  snprintf(line, sizeof line, "Include %s", folder);
  snprintf(want, sizeof want,
           "%s/.x.conf:1: CustomLog /var/log/x.log combined: writes outside the case folder; use ${dir}/x.log "
           "(included by CONF:6)\n",
           folder);
  expect_exactly("apache2", line, want);
  uu_rmtree(dir);
  uu_rmtree(many);
  uu_rmtree(folder);
}
END_TEST

static Suite *proxy_config_suite(void) {
  Suite *s = suite_create("proxy_config");
  TCase *tc = tcase_create("shipped");
  tcase_add_checked_fixture(tc, load, unload);
  tcase_set_timeout(tc, 90); /* a checker is bounded to 30 s; varnish compiles its VCL with gcc */
  tcase_add_loop_test(tc, test_shipped_config_passes_its_own_check, 0, MAX_DEFS);
  tcase_add_test(tc, test_definitions_declare_their_paths);
  suite_add_tcase(s, tc);

  TCase *user = tcase_create("user");
  tcase_add_checked_fixture(user, load, unload);
  tcase_set_timeout(user, 60);
  tcase_add_test(user, test_every_problem_in_one_report);
  tcase_add_test(user, test_problems_in_the_order_of_the_file);
  tcase_add_test(user, test_the_list_is_bounded);
  tcase_add_test(user, test_every_listener_holds_the_proxy_port);
  tcase_add_test(user, test_a_server_of_another_name_is_blamed);
  tcase_add_test(user, test_an_upstream_named_through_a_balancer_passes);
  tcase_add_test(user, test_the_checker_runs_only_on_a_config_without_problems);
  tcase_add_test(user, test_a_config_that_detaches_is_refused);
  tcase_add_test(user, test_a_config_that_stays_passes);
  tcase_add_test(user, test_every_definition_stays_in_the_foreground);
  tcase_add_test(user, test_definitions_declare_their_targets);
  tcase_add_test(user, test_shipped_configs_pass_the_static_checks);
  tcase_add_test(user, test_a_target_elsewhere_is_refused_beside_one_that_is_the_simulator);
  tcase_add_test(user, test_every_proxy_refuses_a_target_elsewhere);
  tcase_add_test(user, test_trafficserver_remap_rules_are_judged);
  tcase_add_test(user, test_only_the_variables_are_the_simulator);
  tcase_add_test(user, test_a_group_is_judged_by_its_members);
  tcase_add_test(user, test_every_kind_of_target_is_judged);
  tcase_add_test(user, test_a_config_must_send_to_the_simulator_somewhere);
  tcase_add_test(user, test_a_vcl_include_is_read);
  tcase_add_test(user, test_what_to_write_instead_is_valid_and_where_it_goes);
  tcase_add_test(user, test_daemon_off_counts_only_in_the_main_context);
  tcase_add_test(user, test_a_directive_counts_only_where_it_applies);
  tcase_add_test(user, test_only_a_listening_directive_listens);
  tcase_add_test(user, test_comments_never_count);
  tcase_add_test(user, test_quotes_and_escapes_as_the_proxy_reads_them);
  tcase_add_test(user, test_a_variable_in_a_comment_is_no_problem);
  tcase_add_test(user, test_directive_names_in_any_case);
  tcase_add_test(user, test_every_caddy_site_listens_and_asks_no_ca);
  tcase_add_test(user, test_a_statement_over_lines_is_one);
  tcase_add_test(user, test_relative_paths_and_includes_are_resolved);
  tcase_add_test(user, test_what_the_check_cannot_read_is_refused_at_its_include);
  suite_add_tcase(s, user);
  return s;
}

int main(int argc, char **argv) {
  /* A proxy's checker runs under a keeper, which the harness starts as its own binary
   * (/proc/self/exe __supervise ...): here that binary is this one, so it must be a keeper
   * too, or every checker would run this suite again. */
  if (argc > 1 && strcmp(argv[1], "__supervise") == 0) return supervise_main(argc - 1, argv + 1);
  SRunner *sr = srunner_create(proxy_config_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
