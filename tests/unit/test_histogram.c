/* test_histogram.c: loadgen/histogram.c, the latency histogram of `badup bench`: bucket
 * arithmetic, and percentiles within 1% of the exact ones on known distributions. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "histogram.h"

static struct hist h;

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The exact percentile of a sorted array, by the same rank rule as hist_percentile. */
static uint64_t exact(const uint64_t *v, size_t n, double p) {
  if (p <= 0) return v[0];
  if (p >= 100) return v[n - 1];
  size_t rank = (size_t)ceil(p / 100.0 * (double)n);
  if (rank < 1) rank = 1;
  return v[rank - 1];
}

static void check_within(const uint64_t *v, size_t n, double rel) {
  static const double ps[] = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
  for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
    double want = (double)exact(v, n, ps[i]);
    double got = (double)hist_percentile(&h, ps[i]);
    double err = fabs(got - want) / (want > 0 ? want : 1);
    ck_assert_msg(err <= rel, "p%g: got %.0f ns, exact %.0f ns (%.3f%% off)", ps[i], got, want, err * 100);
  }
}

/* xorshift64*: deterministic pseudo-random numbers */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static void setup(void) { hist_init(&h); }

START_TEST(test_buckets_cover_the_range_in_order) {
  /* Every bucket starts where the previous one ends, and is at most 1/128 of its values. */
  uint64_t next = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    ck_assert_uint_eq(hist_bucket_low(i), next);
    uint64_t w = hist_bucket_width(i);
    if (i >= HIST_LINEAR) ck_assert_msg((double)w / (double)hist_bucket_low(i) <= 1.0 / 128 + 1e-12, "bucket %u", i);
    ck_assert_uint_eq(hist_index(hist_bucket_low(i)), i);
    ck_assert_uint_eq(hist_index(hist_bucket_low(i) + w - 1), i);
    next += w;
  }
  ck_assert_uint_eq(next - 1, HIST_MAX_NS);
  /* 1 us .. 60 s are inside the range; beyond it, values land in the last bucket. */
  ck_assert_uint_lt(hist_index(60ull * 1000000000ull), HIST_BUCKETS - 1);
  ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}
END_TEST

START_TEST(test_empty_and_single) {
  ck_assert_uint_eq(hist_percentile(&h, 50), 0);
  ck_assert(hist_mean(&h) == 0);
  hist_record(&h, 123456);
  ck_assert_uint_eq(hist_percentile(&h, 0), 123456);
  ck_assert_uint_eq(hist_percentile(&h, 50), 123456); /* clamped to the exact min/max */
  ck_assert_uint_eq(hist_percentile(&h, 100), 123456);
  ck_assert_uint_eq(h.count, 1);
}
END_TEST

START_TEST(test_uniform_1us_to_100ms) {
  size_t n = 200000;
  uint64_t *v = malloc(n * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (size_t i = 0; i < n; i++) {
    v[i] = 1000 + rnd() % 100000000ull;
    hist_record(&h, v[i]);
  }
  qsort(v, n, sizeof *v, cmp_u64);
  check_within(v, n, 0.01);
  free(v);
}
END_TEST

START_TEST(test_lognormal_wide_range) {
  /* exp(N(ln 1 ms, 2)): spans microseconds to tens of seconds. */
  size_t n = 200000;
  uint64_t *v = malloc(n * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (size_t i = 0; i < n; i++) {
    double z = sqrt(-2 * log(rnd01() + 1e-300)) * cos(2 * M_PI * rnd01());
    double x = exp(log(1e6) + 2 * z);
    if (x < 1000) x = 1000;
    if (x > 60e9) x = 60e9;
    v[i] = (uint64_t)x;
    hist_record(&h, v[i]);
  }
  qsort(v, n, sizeof *v, cmp_u64);
  check_within(v, n, 0.01);
  free(v);
}
END_TEST

START_TEST(test_bimodal_tail) {
  /* 99% at ~100 us, 1% at ~2 s: p99.9 must land in the slow mode, p50 in the fast one. */
  size_t n = 100000;
  uint64_t *v = malloc(n * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (size_t i = 0; i < n; i++) {
    v[i] = i % 100 == 0 ? 2000000000ull + rnd() % 1000000 : 100000 + rnd() % 1000;
    hist_record(&h, v[i]);
  }
  qsort(v, n, sizeof *v, cmp_u64);
  check_within(v, n, 0.01);
  ck_assert_uint_gt(hist_percentile(&h, 99.9), 1900000000ull);
  ck_assert_uint_lt(hist_percentile(&h, 50), 110000ull);
  free(v);
}
END_TEST

START_TEST(test_extremes_and_merge) {
  hist_record(&h, 0);
  hist_record(&h, 90ull * 1000000000ull); /* beyond the range: max still exact */
  ck_assert_uint_eq(hist_percentile(&h, 100), 90ull * 1000000000ull);
  ck_assert_uint_eq(hist_percentile(&h, 0), 0);
  struct hist *other = malloc(sizeof *other);
  ck_assert_ptr_nonnull(other);
  hist_init(other);
  for (uint64_t i = 1; i <= 1000; i++) hist_record(other, i * 1000);
  hist_merge(&h, other);
  ck_assert_uint_eq(h.count, 1002);
  ck_assert_uint_eq(h.min, 0);
  double p50 = (double)hist_percentile(&h, 50);
  ck_assert_msg(fabs(p50 - 500000) / 500000 <= 0.01, "p50 %.0f", p50);
  ck_assert_msg(fabs(hist_mean(other) - 500500) < 1e-6, "mean %f", hist_mean(other));
  free(other);
}
END_TEST

static Suite *histogram_suite(void) {
  Suite *s = suite_create("histogram");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_buckets_cover_the_range_in_order);
  tcase_add_test(tc, test_empty_and_single);
  tcase_add_test(tc, test_uniform_1us_to_100ms);
  tcase_add_test(tc, test_lognormal_wide_range);
  tcase_add_test(tc, test_bimodal_tail);
  tcase_add_test(tc, test_extremes_and_merge);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(histogram_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
