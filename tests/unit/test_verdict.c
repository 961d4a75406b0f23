/* test_verdict.c: what a row's runs and the reference make of it (harness/verdict.c).
 *
 * Rows are built by hand, as the run would fill them; the reference is a JSON document in
 * the shape of results/reference/<proxy>.json. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reference.h"
#include "results.h"
#include "verdict.h"

static struct proxy_def px;
static struct scenario scn;
static struct row row;
static struct case_result runs[4];

static void setup(void) {
  memset(&px, 0, sizeof px);
  memset(&scn, 0, sizeof scn);
  memset(&row, 0, sizeof row);
  memset(runs, 0, sizeof runs);
  px.name = "nginx";
  px.version = "1.22.1";
  scn.name = "reset_mid_body";
  scn.expect = "200+truncated";
  scn.kind = SCENARIO_STATIC;
  scn.check_min_s = scn.check_max_s = -1;
  scn.check_attempts = -1;
  row.proxy = &px;
  row.scn = &scn;
  row.repeat = 1;
}

/* Sets run i's outcome; one upstream attempt, as a proxy that tried. */
static void set_run(int i, const char *got) {
  struct case_result *cr = i == 0 ? &row.r : &runs[i - 1];
  memset(cr, 0, sizeof *cr);
  snprintf(cr->got, sizeof cr->got, "%s", got);
  cr->attempts = 1;
  cr->upstream_connections = 1;
  cr->ran = true;
  cr->elapsed_ms = 10;
}

static void repeat(int n) {
  row.repeat = n;
  row.more = n > 1 ? runs : NULL;
}

static struct reference *reference(const char *got, const char *seen_a, const char *seen_b) {
  json_t *seen = json_array();
  json_array_append_new(seen, json_string(seen_a));
  if (seen_b) json_array_append_new(seen, json_string(seen_b));
  json_t *doc = json_pack("{s:s, s:{s:{s:{s:{s:s, s:o}}}}}", "proxy", "nginx", "versions", "1.22.1", "scenarios",
                          "reset_mid_body", "got", got, "seen", seen);
  char *text = json_dumps(doc, 0);
  struct reference *ref = reference_parse(text);
  free(text);
  json_decref(doc);
  return ref;
}

START_TEST(test_pass) {
  set_run(0, "200+truncated");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "pass");
  ck_assert_str_eq(row.reason, "");
}
END_TEST

START_TEST(test_runs_that_disagree_are_unstable_never_fail) {
  repeat(3);
  set_run(0, "closed");
  set_run(1, "200+truncated");
  set_run(2, "closed");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "unstable");
  ck_assert_str_eq(row.outcomes, "closed x2, 200+truncated x1");
  ck_assert_str_eq(row.alternatives, "closed x2, 200+truncated x1");
  ck_assert_ptr_nonnull(strstr(row.reason, "varies from run to run"));
  ck_assert(!verdict_is_failure(row.verdict));
}
END_TEST

START_TEST(test_runs_that_agree_are_judged_once) {
  repeat(3);
  for (int i = 0; i < 3; i++) set_run(i, "502");
  struct reference *ref = reference("502", "502", NULL);
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "deviates");
  ck_assert_str_eq(row.outcomes, "502 x3");
  reference_free(ref);
}
END_TEST

START_TEST(test_a_reference_that_saw_several_outcomes_makes_the_cell_unstable) {
  set_run(0, "200+truncated");
  struct reference *ref = reference("closed", "closed", "200+truncated");
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "unstable");
  ck_assert_str_eq(row.alternatives, "closed, 200+truncated");
  ck_assert_ptr_nonnull(strstr(row.reason, "known to vary for nginx 1.22.1"));
  /* ... but an outcome it never saw is news: a failure */
  set_run(0, "502");
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  reference_free(ref);
}
END_TEST

START_TEST(test_no_reference_and_no_entry_say_which) {
  set_run(0, "502");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  ck_assert_ptr_nonnull(strstr(row.reason, "no reference recorded for nginx"));
  struct reference *ref = reference("502", "502", NULL);
  scn.name = "truncated_body";
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  ck_assert_ptr_nonnull(strstr(row.reason, "has no entry for scenario truncated_body"));
  reference_free(ref);
}
END_TEST

START_TEST(test_setup_and_scenario_errors_are_errors) {
  set_run(0, "setup_error");
  snprintf(row.r.detail, sizeof row.r.detail, "nginx did not listen");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "error");
  ck_assert_str_eq(row.reason, "nginx did not listen");
  set_run(0, "502");
  row.r.scenario_error = true;
  snprintf(row.r.detail, sizeof row.r.detail, "/s/x.lua:5: boom");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "error");
  ck_assert_str_eq(row.reason, "the scenario failed at run time: /s/x.lua:5: boom");
  ck_assert(verdict_is_failure(row.verdict));
}
END_TEST

START_TEST(test_a_pass_needs_an_upstream_attempt) {
  set_run(0, "200+truncated");
  row.r.attempts = 0;
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  ck_assert_ptr_nonnull(strstr(row.reason, "never reached the upstream (0 upstream attempts)"));
  /* Said first, with what to do if it is right; the config question once, not again after. */
  row.r.upstream_connections = 0;
  verdict_judge(&row, NULL);
  ck_assert_msg(strstr(row.reason, "the proxy answered 200+truncated by itself: the request never reached the "
                                   "upstream (0 upstream attempts); if that is right, say check = { attempts = 0 }, "
                                   "else does the config send it to ${upstream_host}:${upstream_port}?") == row.reason,
                "%s", row.reason);
  const char *ask = strstr(row.reason, "does the config send it");
  ck_assert_msg(ask && !strstr(ask + 1, "does the config send it"), "%s", row.reason);
  scn.check_attempts = 0; /* the scenario says none is right (a request the proxy must refuse) */
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "pass");
  ck_assert_ptr_nonnull(strstr(row.r.detail, "answered by itself"));
}
END_TEST

/* A request the proxy must refuse itself (expect { status = 400, connections = 0 }) that
 * timed out with no upstream connection: that is the scenario's point, not a config that
 * sends elsewhere. */
START_TEST(test_no_config_hint_when_the_expect_counts_connections) {
  scn.expect = "400";
  set_run(0, "timeout");
  row.r.attempts = row.r.upstream_connections = 0;
  verdict_judge(&row, NULL);
  ck_assert_ptr_nonnull(strstr(row.reason, "does the config send it"));
  row.r.expect = (struct expect_report){.evaluated = true, .n = 2, .failed = 1};
  row.r.expect.a[0] = (struct expect_assertion){.id = "status", .expected = "400", .got = "timeout"};
  row.r.expect.a[1] = (struct expect_assertion){.id = "connections", .expected = "0", .got = "0", .ok = true};
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  ck_assert_msg(!strstr(row.reason, "does the config send it"), "%s", row.reason);
}
END_TEST

START_TEST(test_listener_faults_count_connections) {
  static const struct step refuse = {.op = STEP_REFUSE};
  static const struct step reset = {.op = STEP_ACCEPT_RESET};
  const struct step *list[1] = {&reset};
  scn.kind = SCENARIO_LISTENER;
  scn.expect = "502";
  scn.plan = plan_build(list, 1, 0);
  set_run(0, "502");
  row.r.attempts = 0; /* the request is never read */
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "pass");
  row.r.upstream_connections = 0;
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  plan_free(scn.plan);
  list[0] = &refuse; /* refused: the upstream can never see it */
  scn.plan = plan_build(list, 1, 0);
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "pass");
  plan_free(scn.plan);
}
END_TEST

START_TEST(test_time_window) {
  scn.check_min_s = 1.5;
  set_run(0, "200+truncated");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  ck_assert_ptr_nonnull(strstr(row.reason, "expected no sooner than 1.500 s"));
}
END_TEST

static Suite *verdict_suite(void) {
  Suite *s = suite_create("verdict");
  TCase *tc = tcase_create("judge");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, test_pass);
  tcase_add_test(tc, test_runs_that_disagree_are_unstable_never_fail);
  tcase_add_test(tc, test_runs_that_agree_are_judged_once);
  tcase_add_test(tc, test_a_reference_that_saw_several_outcomes_makes_the_cell_unstable);
  tcase_add_test(tc, test_no_reference_and_no_entry_say_which);
  tcase_add_test(tc, test_setup_and_scenario_errors_are_errors);
  tcase_add_test(tc, test_a_pass_needs_an_upstream_attempt);
  tcase_add_test(tc, test_no_config_hint_when_the_expect_counts_connections);
  tcase_add_test(tc, test_listener_faults_count_connections);
  tcase_add_test(tc, test_time_window);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(verdict_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
