/* test_proxy_upstreams.c: several upstreams in a proxy definition (docs/proxies.md,
 * "Several upstreams"): a definition of its own rendered with one and with three upstreams
 * (each, join, ${upstream_suffix}, its own variables, the retries for several), whether a
 * case of a scenario with n upstreams can run through a shipped proxy, and a config as the
 * --proxy-config checks read it. Nothing is run: the definitions are not probed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "proxy.h"
#include "unit_util.h"

static const char *const DEF =
    "return proxy {\n"
    "  name = \"t\",\n"
    "  binary = { \"/bin/sh\" },\n"
    "  upstreams = {\n"
    "    each = \"server up${upstream_suffix} ${upstream_host}:${upstream_port} #${upstream_index}\",\n"
    "    join = \"\\n  \",\n"
    "    several = { tail = \"\\nlist ${members} of ${upstream_servers}\",\n"
    "                members = { each = \"m${upstream_index}\", join = \",\" } },\n"
    "    retries = { on = \"fail over\", off = \"stay\" },\n"
    "  },\n"
    "  retries = { on = \"retry\", off = \"no retry\" },\n"
    "  files = { [\"t.conf\"] = \"listen ${proxy_port}\\nup {\\n  ${upstream_servers}\\n}${tail}\\n${retries}\\n\" },\n"
    "  command = { \"${binary}\", \"${upstream_servers}\" },\n"
    "}\n";

static char *dir;
static struct proxy_def *defs;
static size_t ndefs;

static void setup(void) {
  dir = uu_mkdtemp();
  free(uu_write_file(dir, "t.lua", DEF, strlen(DEF)));
  int failures = 0;
  defs = proxy_load_dir(dir, &ndefs, &failures);
  ck_assert_int_eq(failures, 0);
  ck_assert_uint_eq(ndefs, 1);
  defs[0].binary = strdup("/bin/sh");
}

static void teardown(void) {
  proxy_free_all(defs, ndefs);
  uu_rmtree(dir);
}

/* The config rendered for these upstreams, malloc'd; argv[1] into *arg. */
static char *rendered(const int *ports, int n, bool retries, char **arg) {
  char *out = uu_mkdtemp();
  struct proxy_instance in = {.dir = out, .port = 1000, .upstream_host = "127.0.0.1", .upstream_port = ports[0],
                              .upstream_ports = ports, .nupstreams = n, .connect_timeout = 1, .read_timeout = 2,
                              .retries = retries, .scenario = ""};
  struct proxy_rendered rd;
  char err[512] = "";
  ck_assert_msg(proxy_render(&defs[0], &in, &rd, err, sizeof err) == 0, "%s", err);
  char path[4200];
  snprintf(path, sizeof path, "%s/t.conf", out);
  char *text = fileio_slurp(path, 0, NULL);
  ck_assert_ptr_nonnull(text);
  *arg = strdup(rd.argv[1]);
  proxy_rendered_free(&rd);
  uu_rmtree(out);
  return text;
}

START_TEST(test_one_upstream_renders_its_own_variables_empty) {
  int ports[] = {2001};
  char *arg, *text = rendered(ports, 1, true, &arg);
  ck_assert_str_eq(text, "listen 1000\nup {\n  server up 127.0.0.1:2001 #1\n}\nretry\n");
  ck_assert_str_eq(arg, "server up 127.0.0.1:2001 #1");
  free(text), free(arg);
}
END_TEST

START_TEST(test_three_upstreams_each_with_its_own_port_and_name) {
  int ports[] = {2001, 2002, 2003};
  char *arg, *text = rendered(ports, 3, false, &arg);
  ck_assert_str_eq(text, "listen 1000\nup {\n"
                         "  server up 127.0.0.1:2001 #1\n"
                         "  server up2 127.0.0.1:2002 #2\n"
                         "  server up3 127.0.0.1:2003 #3\n}\n"
                         "list m1,m2,m3 of server up 127.0.0.1:2001 #1\n"
                         "  server up2 127.0.0.1:2002 #2\n"
                         "  server up3 127.0.0.1:2003 #3\nstay\n");
  free(text), free(arg);
  text = rendered(ports, 2, true, &arg);
  ck_assert_ptr_nonnull(strstr(text, "\nfail over\n")); /* upstreams.retries, not retries */
  free(text), free(arg);
}
END_TEST

START_TEST(test_more_upstreams_than_it_takes_is_an_error) {
  int ports[PROXY_UPSTREAMS_MAX + 1];
  for (int i = 0; i <= PROXY_UPSTREAMS_MAX; i++) ports[i] = 3000 + i;
  char *out = uu_mkdtemp();
  struct proxy_instance in = {.dir = out, .port = 1000, .upstream_host = "127.0.0.1", .upstream_port = ports[0],
                              .upstream_ports = ports, .nupstreams = PROXY_UPSTREAMS_MAX + 1};
  struct proxy_rendered rd;
  char err[512] = "";
  ck_assert_int_eq(proxy_render(&defs[0], &in, &rd, err, sizeof err), -1);
  ck_assert_ptr_nonnull(strstr(err, "t sends to at most 8 upstreams"));
  proxy_rendered_free(&rd);
  uu_rmtree(out);
}
END_TEST

START_TEST(test_a_config_as_the_checks_read_it) {
  char *one = proxy_upstreams_as_one(&defs[0], "a ${upstream_servers};${tail} $${upstream_servers} ${dir}");
  ck_assert_str_eq(one, "a server up ${upstream_host}:${upstream_port} #1; $${upstream_servers} ${dir}");
  free(one);
  ck_assert(proxy_var_known(&defs[0], "members", 7));
  ck_assert(proxy_var_known(&defs[0], "upstream_servers", 16));
  ck_assert(!proxy_var_known(&defs[0], "member", 6));
}
END_TEST

static const struct proxy_def *shipped(struct proxy_def *all, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(all[i].name, name)) return &all[i];
  return NULL;
}

START_TEST(test_which_shipped_proxies_take_several) {
  int failures = 0;
  size_t n = 0;
  struct proxy_def *all = proxy_load_dir(uu_proxies_dir(), &n, &failures);
  ck_assert_int_eq(failures, 0);
  char why[512];
  const struct proxy_def *nginx = shipped(all, n, "nginx"), *tiny = shipped(all, n, "tinyproxy");
  ck_assert_ptr_nonnull(nginx);
  ck_assert_ptr_nonnull(tiny);
  ck_assert(!proxy_upstreams_refuse(nginx, 1, NULL, why, sizeof why));
  ck_assert(!proxy_upstreams_refuse(nginx, 2, NULL, why, sizeof why));
  ck_assert(proxy_upstreams_refuse(nginx, PROXY_UPSTREAMS_MAX + 1, NULL, why, sizeof why));
  ck_assert(!proxy_upstreams_refuse(tiny, 1, NULL, why, sizeof why));
  ck_assert(proxy_upstreams_refuse(tiny, 2, NULL, why, sizeof why));
  ck_assert_msg(!strncmp(why, "tinyproxy sends to one upstream only (", 38), "%s", why);
  /* a user's config: the upstreams written with ${upstream_servers}, or the first only */
  ck_assert(proxy_upstreams_refuse(nginx, 2, "upstream up { server ${upstream_host}:${upstream_port}; }", why,
                                   sizeof why));
  ck_assert_msg(strstr(why, "the --proxy-config sends to one upstream only") != NULL, "%s", why);
  ck_assert(!proxy_upstreams_refuse(nginx, 2, "upstream up { ${upstream_servers} }", why, sizeof why));
  ck_assert(!proxy_upstreams_refuse(nginx, 1, "upstream up { server ${upstream_host}:${upstream_port}; }", why,
                                    sizeof why));
  proxy_free_all(all, n);
}
END_TEST

static Suite *upstreams_suite(void) {
  Suite *s = suite_create("proxy_upstreams");
  TCase *tc = tcase_create("render");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_one_upstream_renders_its_own_variables_empty);
  tcase_add_test(tc, test_three_upstreams_each_with_its_own_port_and_name);
  tcase_add_test(tc, test_more_upstreams_than_it_takes_is_an_error);
  tcase_add_test(tc, test_a_config_as_the_checks_read_it);
  suite_add_tcase(s, tc);
  TCase *sh = tcase_create("shipped");
  tcase_add_test(sh, test_which_shipped_proxies_take_several);
  suite_add_tcase(s, sh);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(upstreams_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
