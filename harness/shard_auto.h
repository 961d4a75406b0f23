/* shard_auto.h: `badup run --shard auto`: which slice of the matrix this CI job runs, read
 * from the CI's parallel-job variables.
 *
 *   GitHub Actions  BADUP_SHARD_INDEX (1-based) / BADUP_SHARD_TOTAL: it has no variable of
 *                   its own; the workflow sets these from its matrix (docs/ci.md)
 *   GitLab CI       CI_NODE_INDEX (1-based) / CI_NODE_TOTAL (`parallel: N`)
 *   Buildkite       BUILDKITE_PARALLEL_JOB (0-based) / BUILDKITE_PARALLEL_JOB_COUNT
 *   CircleCI        CIRCLE_NODE_INDEX (0-based) / CIRCLE_NODE_TOTAL
 *
 * Several systems may be set at once (a GitHub job that also sets BADUP_SHARD_*, a CircleCI
 * job's always-present 0/1): they must then agree. */
#ifndef BADUP_SHARD_AUTO_H
#define BADUP_SHARD_AUTO_H

#include <stdbool.h>
#include <stddef.h>

#define SHARD_AUTO_SYSTEMS 4

struct shard_auto {
  long index, total;        /* 1-based index of total; 1/1 when no variable is set */
  bool found;               /* some system's variables were set */
  const char *system;       /* the first system that decided it ("GitLab CI"), or NULL */
  /* Every variable read that was set, as "NAME" and its value (pointers into the
   * environment as get returned them). */
  const char *names[2 * SHARD_AUTO_SYSTEMS], *values[2 * SHARD_AUTO_SYSTEMS];
  size_t nvars;
};

/* Reads the variables through get (getenv, or a test's table) into *out. 0; or -1 with why
 * in err: one variable of a pair without the other, a value that is not a whole number, an
 * index outside 1..total (0..total-1 for the 0-based ones), a total below 1 or above 10000,
 * or two systems that name different shards. */
int shard_auto_read(const char *(*get)(const char *name), struct shard_auto *out, char *err, size_t errlen);

/* The shard (0-based, 0..nshards-1) that runs a cell of the matrix. Cells count the
 * selected (proxy, scenario) pairs proxy-major from 0, nscenarios per proxy. Shard of proxy
 * p, scenario s is (s + p) % nshards: each proxy's copy of a scenario goes to the next
 * shard, so a slow scenario is spread over the shards rather than landing on one shard for
 * every proxy (which a plain cell % nshards does whenever nscenarios is a multiple of
 * nshards). badup run picks its cells with it and badup merge checks them with it. */
size_t shard_of_cell(size_t cell, size_t nscenarios, size_t nshards);

#endif
