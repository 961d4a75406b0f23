/* histogram.c: see histogram.h. */
#include "histogram.h"

#include <math.h>
#include <string.h>

void hist_init(struct hist *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

/* floor(log2(v)) for v > 0 */
static unsigned log2_floor(uint64_t v) { return 63u - (unsigned)__builtin_clzll(v); }

unsigned hist_index(uint64_t ns) {
  if (ns > HIST_MAX_NS) ns = HIST_MAX_NS;
  if (ns < HIST_LINEAR) return (unsigned)ns;
  unsigned m = log2_floor(ns); /* >= HIST_SUB_BITS + 1 */
  unsigned shift = m - HIST_SUB_BITS;
  unsigned top = (unsigned)(ns >> shift); /* HIST_SUB .. 2*HIST_SUB-1 */
  return HIST_LINEAR + (m - HIST_SUB_BITS - 1) * HIST_SUB + (top - HIST_SUB);
}

uint64_t hist_bucket_low(unsigned index) {
  if (index < HIST_LINEAR) return index;
  unsigned k = index - HIST_LINEAR;
  unsigned m = k / HIST_SUB + HIST_SUB_BITS + 1;
  uint64_t top = HIST_SUB + k % HIST_SUB;
  return top << (m - HIST_SUB_BITS);
}

uint64_t hist_bucket_width(unsigned index) {
  if (index < HIST_LINEAR) return 1;
  unsigned m = (index - HIST_LINEAR) / HIST_SUB + HIST_SUB_BITS + 1;
  return UINT64_C(1) << (m - HIST_SUB_BITS);
}

void hist_record(struct hist *h, uint64_t ns) {
  h->buckets[hist_index(ns)]++;
  h->count++;
  h->sum += (double)ns;
  if (ns < h->min) h->min = ns;
  if (ns > h->max) h->max = ns;
}

void hist_merge(struct hist *into, const struct hist *from) {
  for (unsigned i = 0; i < HIST_BUCKETS; i++) into->buckets[i] += from->buckets[i];
  into->count += from->count;
  into->sum += from->sum;
  if (from->min < into->min) into->min = from->min;
  if (from->max > into->max) into->max = from->max;
}

uint64_t hist_percentile(const struct hist *h, double p) {
  if (h->count == 0) return 0;
  if (p <= 0) return h->min;
  if (p >= 100) return h->max;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= rank) {
      uint64_t v = hist_bucket_low(i) + hist_bucket_width(i) / 2;
      if (v < h->min) v = h->min;
      if (v > h->max) v = h->max;
      return v;
    }
  }
  return h->max;
}

double hist_mean(const struct hist *h) { return h->count ? h->sum / (double)h->count : 0.0; }
