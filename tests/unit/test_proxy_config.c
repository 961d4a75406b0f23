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
#include "unit_util.h"

#define MAX_DEFS 32

static struct proxy_def *defs;
static size_t ndefs;

/* $BADUP_PROXIES, or harness/proxies beside $BADUP_SCENARIOS (both set by ctest). */
static const char *proxies_dir(void) {
  static char dir[4096];
  const char *given = getenv("BADUP_PROXIES");
  if (given && *given) return given;
  const char *scn = getenv("BADUP_SCENARIOS");
  snprintf(dir, sizeof dir, "%s/../harness/proxies", scn && *scn ? scn : "scenarios");
  return dir;
}

static void load(void) {
  int failures = 0;
  defs = proxy_load_dir(proxies_dir(), &ndefs, &failures);
  ck_assert_msg(failures == 0, "%d definitions under %s did not load", failures, proxies_dir());
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
  ck_abort_msg("no definition named %s under %s", name, proxies_dir());
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
      "`listen 127.0.0.1:${proxy_port}`\n"
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
                                 "case connects to; use `listen 127.0.0.1:${proxy_port}`\n");
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
  char *dir = uu_mkdtemp();
  char lua[8192], mark[4096];
  snprintf(mark, sizeof mark, "%s/checker-ran", dir);
  snprintf(lua, sizeof lua,
           "return proxy {\n  name = \"fake\",\n  binary = { \"/bin/sh\" },\n"
           "  files = { [\"fake.conf\"] = \"listen ${proxy_port}\\n\" },\n"
           "  command = { \"${binary}\", \"-c\", \"exit 3\" },\n"
           "  check = { \"${binary}\", \"-c\", \"touch %s\" },\n"
           "  paths = { \"^%%s*log%%s+(%%S+)\" },\n}\n",
           mark);
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
  ck_assert_msg(access(mark, F_OK) != 0, "the checker ran on a config with a problem: %s", buf_cstr(&r));
  buf_free(&r);

  const char *good_text = "listen ${proxy_port}\nlog ${dir}/fake.log\n";
  char *good = uu_write_file(dir, "good.conf", good_text, strlen(good_text));
  ck_assert_int_eq(proxy_config_check(fake, good, &r), 0);
  ck_assert_msg(access(mark, F_OK) == 0, "the checker did not run: %s", buf_cstr(&r));
  ck_assert_msg(strstr(buf_cstr(&r), "checked by fake's own checker") != NULL, "%s", buf_cstr(&r));
  buf_free(&r);
  unlink(mark);
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
  suite_add_tcase(s, user);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(proxy_config_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
