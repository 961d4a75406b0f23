/* results.h: everything a run writes, in one place.
 *
 * A run's folder gets results.json (the source of truth), results.csv, junit.xml and
 * report.md. Every file is written to a temporary name and renamed, so an interrupted run
 * never leaves half a file. The reference is reference.h's. */
#ifndef BADUP_RESULTS_H
#define BADUP_RESULTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>


#include "case.h"
#include "jsonio.h"
#include "verdict.h"

struct row {
  const struct proxy_def *proxy;
  const struct scenario *scn;
  struct case_result r;    /* the first run: the row's evidence */
  struct case_result *more; /* runs 2..repeat with --repeat, else NULL */
  int repeat;              /* runs asked for (1 without --repeat) */
  _Atomic int runs_done;
  enum verdict verdict;
  char reason[1024];       /* why it is not a pass */
  char outcomes[768];      /* with --repeat: every outcome of the runs, with counts: "closed x2, 502 x1" */
  char alternatives[768];  /* unstable: the outcomes the cell takes, from the runs or the reference */
  char most[EXPECT_SIGNATURE_MAX]; /* with --repeat: the most frequent outcome of the runs, else "" */
  char reference[EXPECT_SIGNATURE_MAX]; /* the recorded outcome (a signature) used, "" when none */
  char reference_version[48];
};

/* The row's outcome: its one outcome, or with --repeat the most frequent one. */
static inline const char *row_got(const struct row *r) { return r->most[0] ? r->most : r->r.got; }

/* Run i (0-based) of a row. */
static inline struct case_result *row_run(struct row *r, int i) { return i == 0 ? &r->r : &r->more[i - 1]; }
static inline const struct case_result *row_run_const(const struct row *r, int i) {
  return i == 0 ? &r->r : &r->more[i - 1];
}

struct run_info {
  char started[32];        /* ISO 8601, UTC */
  double duration_s;
  const struct run_opts *opts;
  bool interrupted;
  int jobs;
  const char *shard;       /* "i/n" or NULL */
  int repeat;              /* runs per case (--repeat) */
};

/* Writes results.json, results.csv, junit.xml and report.md into dir. */
int results_write(const char *dir, const struct row *rows, size_t n, const struct run_info *info);

/* The table: scenarios as rows, proxies as columns. */
void results_table(FILE *out, const struct row *rows, size_t n, bool markdown);
/* Why cells are "-": one line per skip reason, "<lead>N cases: reason", in the order the
 * reasons first come; nothing when no case was skipped. */
void results_skipped(FILE *out, const struct row *rows, size_t n, const char *lead);

#endif
