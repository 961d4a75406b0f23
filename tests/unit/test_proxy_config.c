/* test_proxy_config.c: every shipped proxy definition passes its own --proxy-config checks.
 *
 * For each definition under harness/proxies/: its shipped config is rendered into a scratch
 * folder and its own checker (`check`) runs on it, after the static checks (${proxy_port}
 * and ${upstream_port}, every `paths` capture under ${dir}). A proxy that is not installed
 * is skipped, except haproxy and nginx, which the test suite installs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "proxy_config.h"

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
  char msg[2048];
  int rc = proxy_config_check(p, NULL, msg, sizeof msg);
  printf("%s: %s\n", p->name, msg);
  ck_assert_msg(rc == 0, "%s's shipped config fails its own check: %s", p->name, msg);
  if (p->check) ck_assert_msg(strstr(msg, "checked by") != NULL, "%s: the checker did not run: %s", p->name, msg);
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

static Suite *proxy_config_suite(void) {
  Suite *s = suite_create("proxy_config");
  TCase *tc = tcase_create("shipped");
  tcase_add_checked_fixture(tc, load, unload);
  tcase_set_timeout(tc, 90); /* a checker is bounded to 30 s; varnish compiles its VCL with gcc */
  tcase_add_loop_test(tc, test_shipped_config_passes_its_own_check, 0, MAX_DEFS);
  tcase_add_test(tc, test_definitions_declare_their_paths);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(proxy_config_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
