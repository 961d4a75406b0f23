/* histogram.h: a log-linear latency histogram of fixed size, no allocation.
 *
 * Values are nanoseconds. Below 256 ns each value has its own bucket; above, every power of
 * two is split into 128 linear buckets, so a bucket is at most 1/128 of its values wide and
 * a percentile read back is within 0.4% of the true value (the bucket's midpoint is
 * returned, clamped to the exact min and max). The range ends at HIST_MAX_NS (2^36 ns, about
 * 68.7 s): larger values are counted in the last bucket, their exact maximum is kept.
 * Contract: a struct hist is plain data; zero it (hist_init) and record; nothing to free. */
#ifndef BADUP_HISTOGRAM_H
#define BADUP_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)      /* linear buckets per power of two */
#define HIST_MAX_LOG2 36                    /* values up to 2^36 ns (68.7 s) */
#define HIST_LINEAR (2u * HIST_SUB)         /* 0 .. 255 ns: one bucket each */
#define HIST_BUCKETS (HIST_LINEAR + (HIST_MAX_LOG2 - HIST_SUB_BITS - 1) * HIST_SUB)
#define HIST_MAX_NS ((UINT64_C(1) << HIST_MAX_LOG2) - 1)

struct hist {
  uint64_t count;
  uint64_t min, max; /* exact, ns; min is UINT64_MAX while empty */
  double sum;        /* ns, for the mean */
  uint64_t buckets[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t ns);
/* Adds every value of `from` into `into`. */
void hist_merge(struct hist *into, const struct hist *from);
/* The value at percentile p (0..100) in ns: the smallest bucket holding at least
 * ceil(p/100 * count) values, as its midpoint; p <= 0 gives min, p >= 100 gives max.
 * 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h); /* ns; 0 when empty */

/* Bucket arithmetic, exposed for the tests. */
unsigned hist_index(uint64_t ns);
uint64_t hist_bucket_low(unsigned index);
uint64_t hist_bucket_width(unsigned index);

#endif
