/* test_shard_auto.c: harness/shard_auto.c, `badup run --shard auto`: each CI's variables
 * read with its own base (GitLab and BADUP_SHARD_* 1-based, Buildkite and CircleCI 0-based),
 * none set read as 1/1, and every inconsistency refused with a reason that names the
 * variables. */
#include <check.h>
#include <string.h>

#include "shard_auto.h"

/* The environment a test sets: NAME=VALUE pairs, NULL-terminated. */
static const char *const *env;

static const char *fake_get(const char *name) {
  for (size_t i = 0; env && env[i]; i += 2)
    if (!strcmp(env[i], name)) return env[i + 1];
  return NULL;
}

static int read_with(const char *const *vars, struct shard_auto *sa, char *err, size_t len) {
  env = vars;
  err[0] = 0;
  return shard_auto_read(fake_get, sa, err, len);
}

START_TEST(none_set_is_the_whole_matrix) {
  struct shard_auto sa;
  char err[512];
  static const char *const vars[] = {"HOME", "/root", NULL};
  ck_assert_int_eq(read_with(vars, &sa, err, sizeof err), 0);
  ck_assert(!sa.found);
  ck_assert_int_eq(sa.index, 1);
  ck_assert_int_eq(sa.total, 1);
  ck_assert_uint_eq(sa.nvars, 0);
}
END_TEST

START_TEST(each_system_with_its_own_base) {
  static const struct {
    const char *vars[5];
    long index, total;
    const char *system;
  } cases[] = {
      {{"BADUP_SHARD_INDEX", "2", "BADUP_SHARD_TOTAL", "4"}, 2, 4, "GitHub Actions (BADUP_SHARD_*)"},
      {{"CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "3"}, 1, 3, "GitLab CI"},
      {{"BUILDKITE_PARALLEL_JOB", "0", "BUILDKITE_PARALLEL_JOB_COUNT", "2"}, 1, 2, "Buildkite"},
      {{"CIRCLE_NODE_INDEX", "4", "CIRCLE_NODE_TOTAL", "5"}, 5, 5, "CircleCI"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct shard_auto sa;
    char err[512];
    ck_assert_msg(read_with(cases[i].vars, &sa, err, sizeof err) == 0, "%s: %s", cases[i].vars[0], err);
    ck_assert(sa.found);
    ck_assert_int_eq(sa.index, cases[i].index);
    ck_assert_int_eq(sa.total, cases[i].total);
    ck_assert_str_eq(sa.system, cases[i].system);
    /* which variables decided it, for results.json */
    ck_assert_uint_eq(sa.nvars, 2);
    ck_assert_str_eq(sa.names[0], cases[i].vars[0]);
    ck_assert_str_eq(sa.values[0], cases[i].vars[1]);
    ck_assert_str_eq(sa.names[1], cases[i].vars[2]);
  }
}
END_TEST

START_TEST(two_systems_that_agree_are_both_recorded) {
  struct shard_auto sa;
  char err[512];
  /* a CircleCI-style 0-based 1 and a 1-based 2 are the same shard */
  static const char *const vars[] = {"BADUP_SHARD_INDEX", "2", "BADUP_SHARD_TOTAL", "4", "CIRCLE_NODE_INDEX", "1",
                                     "CIRCLE_NODE_TOTAL", "4", NULL};
  ck_assert_int_eq(read_with(vars, &sa, err, sizeof err), 0);
  ck_assert_int_eq(sa.index, 2);
  ck_assert_int_eq(sa.total, 4);
  ck_assert_uint_eq(sa.nvars, 4);
  ck_assert_str_eq(sa.system, "GitHub Actions (BADUP_SHARD_*)");
}
END_TEST

START_TEST(inconsistent_values_are_refused) {
  static const struct {
    const char *vars[9];
    const char *says;
  } cases[] = {
      {{"CI_NODE_INDEX", "2"}, "CI_NODE_INDEX is set but CI_NODE_TOTAL is not"},
      {{"BADUP_SHARD_TOTAL", "4"}, "BADUP_SHARD_TOTAL is set but BADUP_SHARD_INDEX is not"},
      {{"CI_NODE_INDEX", "5", "CI_NODE_TOTAL", "4"}, "want CI_NODE_INDEX from 1 to the total"},
      {{"CI_NODE_INDEX", "0", "CI_NODE_TOTAL", "4"}, "want CI_NODE_INDEX from 1 to the total"},
      {{"BUILDKITE_PARALLEL_JOB", "2", "BUILDKITE_PARALLEL_JOB_COUNT", "2"},
       "want BUILDKITE_PARALLEL_JOB from 0 to the total minus 1"},
      {{"CIRCLE_NODE_INDEX", "0", "CIRCLE_NODE_TOTAL", "0"}, "a total from 1 to 10000"},
      {{"BADUP_SHARD_INDEX", "two", "BADUP_SHARD_TOTAL", "4"}, "not whole numbers"},
      {{"BADUP_SHARD_INDEX", "-1", "BADUP_SHARD_TOTAL", "4"}, "not whole numbers"},
      {{"BADUP_SHARD_INDEX", "1", "BADUP_SHARD_TOTAL", "4", "CI_NODE_INDEX", "2", "CI_NODE_TOTAL", "4"},
       "GitLab CI says shard 2/4 (CI_NODE_INDEX=2, CI_NODE_TOTAL=4) but GitHub Actions (BADUP_SHARD_*) says 1/4"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct shard_auto sa;
    char err[512];
    ck_assert_msg(read_with(cases[i].vars, &sa, err, sizeof err) == -1, "case %zu was taken", i);
    ck_assert_msg(strstr(err, cases[i].says) != NULL, "case %zu: '%s' does not say '%s'", i, err, cases[i].says);
    ck_assert_msg(!strncmp(err, "--shard auto: ", 14), "case %zu: '%s'", i, err);
  }
}
END_TEST

START_TEST(an_empty_variable_is_not_set) {
  struct shard_auto sa;
  char err[512];
  /* a CI template that expanded to nothing */
  static const char *const vars[] = {"CI_NODE_INDEX", "", "CI_NODE_TOTAL", "", NULL};
  ck_assert_int_eq(read_with(vars, &sa, err, sizeof err), 0);
  ck_assert(!sa.found);
}
END_TEST

/* Each scenario's copies (one per proxy) spread over the shards, and every cell has one
 * shard: 4 proxies x 8 scenarios in 4 shards gave plain cell % 4 one shard every proxy's
 * copy of scenarios 0 and 4. */
START_TEST(cells_spread_each_scenario_over_the_shards) {
  const size_t np = 4, ns = 8, n = 4;
  for (size_t s = 0; s < ns; s++) {
    size_t per[4] = {0};
    for (size_t p = 0; p < np; p++) {
      size_t k = shard_of_cell(p * ns + s, ns, n);
      ck_assert_uint_lt(k, n);
      per[k]++;
    }
    for (size_t k = 0; k < n; k++) ck_assert_msg(per[k] == 1, "scenario %zu: shard %zu has %zu copies", s, k, per[k]);
  }
  size_t sizes[4] = {0};
  for (size_t c = 0; c < np * ns; c++) sizes[shard_of_cell(c, ns, n)]++;
  for (size_t k = 0; k < n; k++) ck_assert_uint_eq(sizes[k], np * ns / n);
  ck_assert_uint_eq(shard_of_cell(5, 3, 1), 0);
}
END_TEST

static Suite *shard_auto_suite(void) {
  Suite *s = suite_create("shard_auto");
  TCase *tc = tcase_create("variables");
  tcase_add_test(tc, none_set_is_the_whole_matrix);
  tcase_add_test(tc, each_system_with_its_own_base);
  tcase_add_test(tc, two_systems_that_agree_are_both_recorded);
  tcase_add_test(tc, inconsistent_values_are_refused);
  tcase_add_test(tc, an_empty_variable_is_not_set);
  tcase_add_test(tc, cells_spread_each_scenario_over_the_shards);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(shard_auto_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
