/* test_outcome.c: the outcome words (outcome.h): formatting what a client saw, and which
 * words a scenario may expect. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"

static const char *fmt(int status, enum outcome_end end) {
  static char out[OUTCOME_MAX];
  ck_assert_int_eq(outcome_format(out, sizeof out, status, end), 0);
  return out;
}

START_TEST(test_format) {
  ck_assert_str_eq(fmt(200, OUTCOME_COMPLETE), "200");
  ck_assert_str_eq(fmt(502, OUTCOME_COMPLETE), "502");
  ck_assert_str_eq(fmt(999, OUTCOME_COMPLETE), "999");
  ck_assert_str_eq(fmt(200, OUTCOME_FIN), "200+truncated");
  ck_assert_str_eq(fmt(200, OUTCOME_RESET), "200+reset");
  ck_assert_str_eq(fmt(200, OUTCOME_INVALID), "200+invalid");
  ck_assert_str_eq(fmt(200, OUTCOME_TIMEOUT), "200+timeout");
  ck_assert_str_eq(fmt(0, OUTCOME_FIN), "closed");
  ck_assert_str_eq(fmt(0, OUTCOME_RESET), "reset");
  ck_assert_str_eq(fmt(0, OUTCOME_INVALID), "invalid");
  ck_assert_str_eq(fmt(0, OUTCOME_ABORTED), "aborted");
  ck_assert_str_eq(fmt(200, OUTCOME_ABORTED), "200+aborted");
  ck_assert_str_eq(fmt(0, OUTCOME_TIMEOUT), "timeout");
  ck_assert_str_eq(fmt(0, OUTCOME_REFUSED), "refused");
  ck_assert_str_eq(fmt(0, OUTCOME_ERROR), "error");
  /* error has no "+" form: a client that failed in its own way after a status says error. */
  ck_assert_str_eq(fmt(200, OUTCOME_ERROR), "error");
  ck_assert_str_eq(fmt(OUTCOME_HTTP09, OUTCOME_COMPLETE), "http09");
  ck_assert_str_eq(fmt(OUTCOME_HTTP09, OUTCOME_TIMEOUT), "http09+timeout");
  ck_assert_str_eq(fmt(OUTCOME_HTTP09, OUTCOME_RESET), "http09+reset");
}
END_TEST

START_TEST(test_format_refuses) {
  char out[OUTCOME_MAX];
  /* Complete, with nothing that completed. */
  ck_assert_int_eq(outcome_format(out, sizeof out, 0, OUTCOME_COMPLETE), -EINVAL);
  ck_assert_str_eq(out, "error");
  ck_assert_int_eq(outcome_format(out, sizeof out, 99, OUTCOME_COMPLETE), -EINVAL);
  ck_assert_int_eq(outcome_format(out, sizeof out, 1000, OUTCOME_FIN), -EINVAL);
  ck_assert_int_eq(outcome_format(out, sizeof out, -7, OUTCOME_FIN), -EINVAL);
  ck_assert_int_eq(outcome_format(out, sizeof out, 200, OUTCOME_ENDS_COUNT), -EINVAL);
  ck_assert_str_eq(out, "error");
  char small[5];
  ck_assert_int_eq(outcome_format(small, sizeof small, 200, OUTCOME_FIN), -ENOSPC);
  ck_assert_str_eq(small, "200+");
}
END_TEST

/* Every word a client can report with a status or alone is valid to expect exactly when
 * the list says so; refused, error and the http09 forms never are. */
START_TEST(test_formatted_words_and_expect) {
  static const char *const never[] = {"refused", "error", "http09", "http09+timeout", "http09+reset"};
  for (int end = 0; end < OUTCOME_ENDS_COUNT; end++) {
    char out[OUTCOME_MAX];
    if (outcome_format(out, sizeof out, 504, (enum outcome_end)end) == 0) {
      bool listed = end == OUTCOME_COMPLETE || end == OUTCOME_FIN || end == OUTCOME_RESET ||
                    end == OUTCOME_INVALID || end == OUTCOME_TIMEOUT || end == OUTCOME_ABORTED;
      ck_assert_msg(outcome_expect_valid(out) == listed, "%s", out);
    }
    if (end != OUTCOME_COMPLETE && outcome_format(out, sizeof out, 0, (enum outcome_end)end) == 0) {
      bool listed = end == OUTCOME_FIN || end == OUTCOME_RESET || end == OUTCOME_INVALID || end == OUTCOME_TIMEOUT ||
                    end == OUTCOME_ABORTED;
      ck_assert_msg(outcome_expect_valid(out) == listed, "%s", out);
    }
  }
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) ck_assert(!outcome_expect_valid(never[i]));
  ck_assert(!outcome_expect_valid(NULL));
}
END_TEST

START_TEST(test_describe) {
  char out[256];
  ck_assert_int_eq(outcome_expect_describe(out, sizeof out), 0);
  ck_assert_str_eq(out, "a status (100-999), \"NNN+truncated\", \"NNN+reset\", \"NNN+invalid\", \"NNN+timeout\", "
                        "\"NNN+aborted\", \"closed\", \"reset\", \"invalid\", \"timeout\" or \"aborted\"");
  char small[10];
  ck_assert_int_eq(outcome_expect_describe(small, sizeof small), -ENOSPC);
  ck_assert_int_eq(outcome_expect_describe(small, 0), -ENOSPC);
}
END_TEST

/* HTTP/2: a stream reset or a GOAWAY, with the RFC 9113 7 name of its code. */
START_TEST(test_format_h2) {
  char out[OUTCOME_MAX];
  ck_assert_int_eq(outcome_format_h2(out, sizeof out, 200, OUTCOME_RST, 2), 0);
  ck_assert_str_eq(out, "200+rst(INTERNAL_ERROR)");
  ck_assert_int_eq(outcome_format_h2(out, sizeof out, 0, OUTCOME_RST, 7), 0);
  ck_assert_str_eq(out, "rst(REFUSED_STREAM)");
  ck_assert_int_eq(outcome_format_h2(out, sizeof out, 0, OUTCOME_GOAWAY, 0), 0);
  ck_assert_str_eq(out, "goaway(NO_ERROR)");
  ck_assert_int_eq(outcome_format_h2(out, sizeof out, 200, OUTCOME_RST, 0x1f), 0);
  ck_assert_str_eq(out, "200+rst(0x1f)");
  ck_assert_int_eq(outcome_format_h2(out, sizeof out, 200, OUTCOME_FIN, 2), 0);
  ck_assert_str_eq(out, "200+truncated");
  /* the longest name fits beside a status */
  ck_assert_int_eq(outcome_format_h2(out, sizeof out, 200, OUTCOME_GOAWAY, 12), 0);
  ck_assert_str_eq(out, "200+goaway(INADEQUATE_SECURITY)");
  ck_assert_str_eq(outcome_h2_error_name(13), "HTTP_1_1_REQUIRED");
  ck_assert_ptr_null(outcome_h2_error_name(14));
}
END_TEST

/* An expected truncation is met by a reset stream after the same status, nothing else. */
START_TEST(test_meets) {
  ck_assert(outcome_meets("502", "502"));
  ck_assert(outcome_meets("200+truncated", "200+truncated"));
  ck_assert(outcome_meets("200+rst(INTERNAL_ERROR)", "200+truncated"));
  ck_assert(outcome_meets("200+rst(0x1f)", "200+truncated"));
  ck_assert(!outcome_meets("502+rst(INTERNAL_ERROR)", "200+truncated"));
  ck_assert(!outcome_meets("rst(INTERNAL_ERROR)", "closed"));
  ck_assert(!outcome_meets("200+goaway(NO_ERROR)", "200+truncated"));
  ck_assert(!outcome_meets("200+rst(CANCEL)", "200"));
  ck_assert(!outcome_meets("200", "200+truncated"));
  ck_assert(!outcome_meets(NULL, "200"));
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("outcome");
  TCase *tc = tcase_create("words");
  tcase_set_timeout(tc, 10);
  tcase_add_test(tc, test_format);
  tcase_add_test(tc, test_format_refuses);
  tcase_add_test(tc, test_formatted_words_and_expect);
  tcase_add_test(tc, test_describe);
  tcase_add_test(tc, test_format_h2);
  tcase_add_test(tc, test_meets);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
