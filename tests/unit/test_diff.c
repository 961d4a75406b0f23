/* test_diff.c: how `badup diff` compares one cell, and two sides (report/diff.c).
 *
 * Cells and sides are built by hand in the shape of report/diff_side.h. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diff.h"

/* A cell: got, verdict, and its alternatives as "a|b" ("" for got alone). */
static json_t *cell(const char *got, const char *verdict, const char *alts) {
  json_t *set = json_array();
  char copy[256];
  snprintf(copy, sizeof copy, "%s", alts[0] ? alts : got);
  for (char *save = NULL, *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save))
    json_array_append_new(set, json_string(w));
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "proxy", "haproxy", "scenario", "stall_headers", "version",
                   "2.6.12", "expect", "504", "got", got, "verdict", verdict, "alternatives", set);
}

static enum diff_cell_change compare(json_t *a, json_t *b) {
  enum diff_cell_change ch = diff_cell_compare(a, b);
  json_decref(a);
  json_decref(b);
  return ch;
}

START_TEST(same_outcome_same_verdict_is_same) {
  ck_assert_int_eq(compare(cell("504", "pass", ""), cell("504", "pass", "")), DIFF_CELL_SAME);
}
END_TEST

START_TEST(another_outcome_is_changed) {
  ck_assert_int_eq(compare(cell("504", "pass", ""), cell("502", "fail", "")), DIFF_CELL_CHANGED);
}
END_TEST

START_TEST(another_verdict_alone_is_changed) {
  /* The same 503, now judged against a reference that no longer records it. */
  ck_assert_int_eq(compare(cell("503", "deviates", ""), cell("503", "fail", "")), DIFF_CELL_CHANGED);
}
END_TEST

START_TEST(recorded_verdict_is_not_compared) {
  ck_assert_int_eq(compare(cell("503", "deviates", ""), cell("503", "recorded", "")), DIFF_CELL_SAME);
  ck_assert_int_eq(compare(cell("503", "recorded", ""), cell("502", "pass", "")), DIFF_CELL_CHANGED);
}
END_TEST

START_TEST(unstable_cell_taking_the_other_outcome_is_unstable) {
  ck_assert_int_eq(compare(cell("closed", "unstable", "closed|502"), cell("502", "pass", "")), DIFF_CELL_UNSTABLE);
  ck_assert_int_eq(compare(cell("502", "pass", ""), cell("closed", "unstable", "closed|502")), DIFF_CELL_UNSTABLE);
  /* a reference that saw the cell vary */
  ck_assert_int_eq(compare(cell("502", "unstable", "502|closed"), cell("closed", "deviates", "")),
                   DIFF_CELL_UNSTABLE);
}
END_TEST

START_TEST(unstable_cell_not_taking_the_other_outcome_is_changed) {
  ck_assert_int_eq(compare(cell("closed", "unstable", "closed|502"), cell("504", "fail", "")), DIFF_CELL_CHANGED);
  /* both vary, and each has an outcome the other never gave */
  ck_assert_int_eq(compare(cell("closed", "unstable", "closed|502"), cell("closed", "unstable", "closed|504")),
                   DIFF_CELL_CHANGED);
}
END_TEST

START_TEST(unstable_cells_with_one_set_are_same) {
  /* the most frequent of the outcomes is chance */
  ck_assert_int_eq(compare(cell("closed", "unstable", "closed|502"), cell("502", "unstable", "502|closed")),
                   DIFF_CELL_SAME);
}
END_TEST

START_TEST(unstable_cell_with_more_outcomes_is_unstable) {
  ck_assert_int_eq(compare(cell("closed", "unstable", "closed|502"), cell("closed", "unstable", "closed|502|504")),
                   DIFF_CELL_UNSTABLE);
}
END_TEST

/* A results side of cells "proxy/scenario=got:verdict", all of version 1.0. */
static json_t *side(const char *const *cells, size_t n, double read_s) {
  json_t *s = json_pack("{s:s, s:s, s:n, s:i, s:{s:f, s:b}, s:{}, s:{}}", "kind", "results", "path", "x", "started",
                        "repeat", 1, "settings", "read_s", read_s, "retries", 0, "proxies", "cells");
  for (size_t i = 0; i < n; i++) {
    char proxy[64], scenario[64], got[64], verdict[64], key[160];
    ck_assert_int_eq(sscanf(cells[i], "%63[^/]/%63[^=]=%63[^:]:%63s", proxy, scenario, got, verdict), 4);
    json_t *c = cell(got, verdict, "");
    json_object_set_new(c, "proxy", json_string(proxy));
    json_object_set_new(c, "scenario", json_string(scenario));
    snprintf(key, sizeof key, "%s / %s", proxy, scenario);
    json_object_set_new(json_object_get(s, "cells"), key, c);
    json_t *p = json_object_get(json_object_get(s, "proxies"), proxy);
    if (!p) {
      p = json_pack("{s:s, s:i, s:n}", "version", "1.0", "cells", 0, "note");
      json_object_set_new(json_object_get(s, "proxies"), proxy, p);
    }
    json_object_set_new(p, "cells", json_integer(json_integer_value(json_object_get(p, "cells")) + 1));
  }
  return s;
}

static long long counted(const json_t *doc, const char *name) {
  return (long long)json_integer_value(json_object_get(json_object_get(doc, "counts"), name));
}

START_TEST(sides_group_changed_new_vanished_and_proxies) {
  const char *a[] = {"haproxy/ok=200:pass", "haproxy/stall_headers=504:pass", "haproxy/refuse=503:deviates",
                     "squid/ok=200:pass"};
  const char *b[] = {"haproxy/ok=200:pass", "haproxy/stall_headers=502:fail", "haproxy/empty_reply=502:pass",
                     "nginx/ok=200:pass", "nginx/refuse=502:pass"};
  json_t *sa = side(a, 4, 2.0), *sb = side(b, 5, 5.0);
  json_t *doc = diff_compare(sa, sb);
  ck_assert_ptr_nonnull(doc);
  ck_assert_int_eq(counted(doc, "changed"), 1);
  ck_assert_int_eq(counted(doc, "same"), 1);
  ck_assert_int_eq(counted(doc, "new"), 1);      /* haproxy/empty_reply */
  ck_assert_int_eq(counted(doc, "vanished"), 1); /* haproxy/refuse */
  ck_assert_int_eq(counted(doc, "new_proxies"), 1);
  ck_assert_int_eq(counted(doc, "vanished_proxies"), 1);
  ck_assert_int_eq(counted(doc, "settings"), 1);
  ck_assert(json_is_true(json_object_get(doc, "differs")));
  const json_t *changed = json_array_get(json_object_get(doc, "changed"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(changed, "scenario")), "stall_headers");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(changed, "b"), "got")), "502");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(doc, "settings"), 0), "name")),
                   "read_s");
  /* the proxies: A's order, then B's new one */
  const json_t *proxies = json_object_get(doc, "proxies");
  ck_assert_int_eq(json_array_size(proxies), 3);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(proxies, 1), "change")), "vanished");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(proxies, 2), "change")), "new");
  json_decref(doc);
  json_decref(sa);
  json_decref(sb);
}
END_TEST

START_TEST(same_sides_do_not_differ) {
  const char *a[] = {"haproxy/ok=200:pass", "haproxy/stall_headers=504:pass"};
  json_t *sa = side(a, 2, 2.0), *sb = side(a, 2, 2.0);
  json_t *doc = diff_compare(sa, sb);
  ck_assert_int_eq(counted(doc, "same"), 2);
  ck_assert_int_eq(counted(doc, "settings"), 0);
  ck_assert(json_is_false(json_object_get(doc, "differs")));
  json_decref(doc);
  json_decref(sa);
  json_decref(sb);
}
END_TEST

int main(void) {
  Suite *s = suite_create("diff");
  TCase *tc = tcase_create("cells");
  tcase_add_test(tc, same_outcome_same_verdict_is_same);
  tcase_add_test(tc, another_outcome_is_changed);
  tcase_add_test(tc, another_verdict_alone_is_changed);
  tcase_add_test(tc, recorded_verdict_is_not_compared);
  tcase_add_test(tc, unstable_cell_taking_the_other_outcome_is_unstable);
  tcase_add_test(tc, unstable_cell_not_taking_the_other_outcome_is_changed);
  tcase_add_test(tc, unstable_cells_with_one_set_are_same);
  tcase_add_test(tc, unstable_cell_with_more_outcomes_is_unstable);
  suite_add_tcase(s, tc);
  TCase *ts = tcase_create("sides");
  tcase_add_test(ts, sides_group_changed_new_vanished_and_proxies);
  tcase_add_test(ts, same_sides_do_not_differ);
  suite_add_tcase(s, ts);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
