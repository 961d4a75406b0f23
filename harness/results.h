/* results.h: everything a run writes, in one place.
 *
 * A run's folder gets results.json (the source of truth), results.csv, junit.xml and
 * report.md. Every file is written to a temporary name and renamed, so an interrupted run
 * never leaves half a file. The reference (results/reference/<proxy>.json) records, per
 * proxy version, what each scenario gave; it turns a known deviation into "deviates". */
#ifndef BADUP_RESULTS_H
#define BADUP_RESULTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "case.h"
#include "verdict.h"

struct row {
  const struct proxy_def *proxy;
  const struct scenario *scn;
  struct case_result r;    /* the first run: the row's evidence */
  struct case_result *more; /* runs 2..repeat with --repeat, else NULL */
  int repeat;              /* runs asked for (1 without --repeat) */
  _Atomic int runs_done;
  enum verdict verdict;
  char reason[512];        /* why it is not a pass */
  char outcomes[256];      /* with --repeat: every outcome of the runs, with counts: "closed x2, 502 x1" */
  char alternatives[256];  /* unstable: the outcomes the cell takes, from the runs or the reference */
  char most[40];           /* with --repeat: the most frequent outcome of the runs, else "" */
  char reference[40];      /* the recorded outcome used, "" when none */
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

/* Loads results/reference/<key>.json, or an empty reference. Caller decrefs. The key is
 * the proxy's name, with "+retries" for runs with retries on (other answers). */
json_t *reference_load(const char *dir, const char *key);
void reference_key(char *out, size_t len, const char *proxy, bool retries);
/* The recorded outcome for proxy version / scenario; falls back to the newest recorded
 * version when this one has none (and says which in *from). NULL when nothing. */
const char *reference_lookup(json_t *ref, const char *version, const char *scenario, const char **from);
/* The recorded entry of one scenario for one exact proxy version, or NULL. */
json_t *reference_entry(json_t *ref, const char *version, const char *scenario);
/* Was `got` ever recorded for this exact version and scenario? */
bool reference_seen(json_t *ref, const char *version, const char *scenario, const char *got);
/* How many different outcomes were recorded for this exact version and scenario. */
size_t reference_seen_count(json_t *ref, const char *version, const char *scenario);
/* The recorded outcomes for this version and scenario, ", "-joined, into out. */
void reference_seen_list(json_t *ref, const char *version, const char *scenario, char *out, size_t len);
/* Merges the rows of one proxy into its reference file (atomically). */
int reference_update(const char *dir, const char *key, const struct proxy_def *p, const struct row *rows, size_t n);

/* Writes results.json, results.csv, junit.xml and report.md into dir. */
int results_write(const char *dir, const struct row *rows, size_t n, const struct run_info *info);

/* The table: scenarios as rows, proxies as columns. */
void results_table(FILE *out, const struct row *rows, size_t n, bool markdown);

/* A JSON string of s, valid even when s is not UTF-8 (invalid bytes become the text \xNN). */
json_t *json_text(const char *s);

#endif
