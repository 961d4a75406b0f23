/* results.h: the document a run writes, results.json, made from its rows.
 *
 * A run's folder gets results.json (the source of truth), then results.csv, junit.xml and
 * report.md rendered from that same document (results_render.h), so that `badup merge`,
 * which has only the shards' results.json, renders them the same way. Every file is written
 * to a temporary name and renamed, so an interrupted run never leaves half a file. The
 * reference is reference.h's. */
#ifndef BADUP_RESULTS_H
#define BADUP_RESULTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>


#include "case.h"
#include "jsonio.h"
#include "verdict.h"

struct row {
  size_t cell;             /* its place in the whole matrix before --shard took every N-th */
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
  /* Where the results came from (provenance.h): the command line, badup's version, the
   * selection, --proxy-config and its SHA-256, how the shard was chosen, the catalog's
   * digest. Its keys are copied into the document's top level; may be NULL. */
  const json_t *provenance;
};

/* The document of results.json (its keys: docs/ci.md): the run's settings, its provenance,
 * a proxies table, and one object per row in "cases". NULL when memory runs out. */
json_t *results_doc(const struct row *rows, size_t n, const struct run_info *info);

/* Writes results.json from the rows into dir, then renders results.csv, junit.xml and
 * report.md from that document (results_publish). 0, or -errno of the first that failed.
 * If doc_out is not NULL it gets the document (the caller json_decref()s it). */
int results_write(const char *dir, const struct row *rows, size_t n, const struct run_info *info, json_t **doc_out);

/* The table: scenarios as rows, proxies as columns (results_render_table over the rows'
 * cases). */
void results_table(FILE *out, const struct row *rows, size_t n, bool markdown);

#endif
