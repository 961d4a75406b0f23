/* bench_report.h: `badup bench`'s results, between the load (bench.c), which measures, and
 * the report (bench_report.c), which prints the summary on stdout and writes
 * DIR/summary.json and DIR/latency.dat. */
#ifndef BADUP_BENCH_REPORT_H
#define BADUP_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"
#include "outcome.h"

/* How a request can fail, in the order the status line prints them. Each is named by the
 * outcome word (outcome.h) of an exchange that ended that way: `alone` when no byte of the
 * response came, the `suffix` after a status when the response was cut short ("truncated"). */
#define BENCH_FAILS(X)                                   \
  /* id         how it ended      after bytes */         \
  X(CLOSED,     OUTCOME_FIN,      false)                  \
  X(RESET,      OUTCOME_RESET,    false)                  \
  X(TIMEOUT,    OUTCOME_TIMEOUT,  false)                  \
  X(REFUSED,    OUTCOME_REFUSED,  false)                  \
  X(TRUNCATED,  OUTCOME_FIN,      true)                   \
  X(INVALID,    OUTCOME_INVALID,  false)                  \
  X(ERROR,      OUTCOME_ERROR,    false)

enum fail_kind {
#define BENCH_FAIL_ENUM(id, end, cut) F_##id,
  BENCH_FAILS(BENCH_FAIL_ENUM)
#undef BENCH_FAIL_ENUM
  F_KINDS
};

/* Its outcome word (outcome.h): "closed", ..., "truncated", ... */
const char *bench_fail_name(enum fail_kind k);

/* Statuses are counted 0..999 (0: a status the parser could not give). */
#define BENCH_STATUSES 1000

/* What one load measured. Pointers borrow the load's own counters. */
struct bench_report {
  const char *url, *out;        /* --url, --out (NULL: nothing written) */
  const char *method;           /* --method (GET by default) */
  long long body_bytes;         /* the --body sent with each request, bytes; -1: no body */
  bool open_loop, interrupted;  /* --rate given; Ctrl-C ended the load early */
  double rate, duration, timeout; /* --rate (requests/s), --duration and --timeout (s) */
  unsigned connections;
  double elapsed_s;             /* how long the load ran */
  uint64_t not_sent;            /* open loop: requests due that no connection was free to send */
  const uint64_t *status;       /* [BENCH_STATUSES]: complete responses by status */
  const uint64_t *fails;        /* [F_KINDS]: failed requests by kind */
  uint64_t responses;           /* complete responses, any status */
  const struct hist *hist;      /* their latencies, ns */
  bool upstream;                /* --upstream-admin given */
  long long upstream_attempts, upstream_connections; /* differences over the load; -1 unknown */
};

/* Failed requests of every kind. */
uint64_t bench_failures(const uint64_t *fails);

/* The summary, on stdout. */
void bench_print_summary(const struct bench_report *r);

/* r->out/summary.json and r->out/latency.dat, each atomically. 0, or 1 after saying on
 * stderr what could not be written. */
int bench_write_results(const struct bench_report *r);

#endif
