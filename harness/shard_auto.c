/* shard_auto.c: --shard auto from the CI's variables (shard_auto.h). */
#include "shard_auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *system, *index, *total;
  int base; /* what the first job's index is */
} SYSTEMS[SHARD_AUTO_SYSTEMS] = {
    {"GitHub Actions (BADUP_SHARD_*)", "BADUP_SHARD_INDEX", "BADUP_SHARD_TOTAL", 1},
    {"GitLab CI", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1},
    {"Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0},
    {"CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0},
};

/* A whole decimal number, nothing else around it. */
static bool whole(const char *s, long *v) {
  if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) return false;
  *v = strtol(s, NULL, 10);
  return true;
}

int shard_auto_read(const char *(*get)(const char *name), struct shard_auto *out, char *err, size_t errlen) {
  *out = (struct shard_auto){.index = 1, .total = 1};
  for (int k = 0; k < SHARD_AUTO_SYSTEMS; k++) {
    const char *iv = get(SYSTEMS[k].index), *tv = get(SYSTEMS[k].total);
    /* An empty variable counts as not set: a CI template that expands to nothing. */
    if (iv && !*iv) iv = NULL;
    if (tv && !*tv) tv = NULL;
    if (!iv && !tv) continue;
    if (!iv || !tv) {
      snprintf(err, errlen, "--shard auto: %s is set but %s is not (%s)", iv ? SYSTEMS[k].index : SYSTEMS[k].total,
               iv ? SYSTEMS[k].total : SYSTEMS[k].index, SYSTEMS[k].system);
      return -1;
    }
    long i, n;
    if (!whole(iv, &i) || !whole(tv, &n)) {
      snprintf(err, errlen, "--shard auto: %s=%s, %s=%s: not whole numbers (%s)", SYSTEMS[k].index, iv,
               SYSTEMS[k].total, tv, SYSTEMS[k].system);
      return -1;
    }
    long index = i + 1 - SYSTEMS[k].base;
    if (n < 1 || n > 10000 || index < 1 || index > n) {
      snprintf(err, errlen, "--shard auto: %s=%s, %s=%s: want %s from %d to the total%s, and a total from 1 to "
               "10000 (%s)", SYSTEMS[k].index, iv, SYSTEMS[k].total, tv, SYSTEMS[k].index, SYSTEMS[k].base,
               SYSTEMS[k].base ? "" : " minus 1", SYSTEMS[k].system);
      return -1;
    }
    if (out->found && (index != out->index || n != out->total)) {
      snprintf(err, errlen, "--shard auto: %s says shard %ld/%ld (%s=%s, %s=%s) but %s says %ld/%ld; unset one",
               SYSTEMS[k].system, index, n, SYSTEMS[k].index, iv, SYSTEMS[k].total, tv, out->system, out->index,
               out->total);
      return -1;
    }
    if (!out->found) {
      out->index = index;
      out->total = n;
      out->system = SYSTEMS[k].system;
      out->found = true;
    }
    out->names[out->nvars] = SYSTEMS[k].index;
    out->values[out->nvars++] = iv;
    out->names[out->nvars] = SYSTEMS[k].total;
    out->values[out->nvars++] = tv;
  }
  return 0;
}

size_t shard_of_cell(size_t cell, size_t nscenarios, size_t nshards) {
  if (nshards == 0) return 0;
  if (nscenarios == 0) return cell % nshards;
  return (cell % nscenarios + cell / nscenarios) % nshards;
}
