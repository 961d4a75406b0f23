/* results.h: everything a run writes, in one place.
 *
 * A run's folder gets results.json (the source of truth), results.csv, junit.xml and
 * report.md. Every file is written to a temporary name and renamed, so an interrupted run
 * never leaves half a file. The reference (results/reference/<proxy>.json) records, per
 * proxy version, what each scenario gave; it turns a known deviation into "deviates". */
#ifndef BADUP_RESULTS_H
#define BADUP_RESULTS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "case.h"

struct row {
  const struct proxy_def *proxy;
  const struct scenario *scn;
  struct case_result r;
  const char *verdict;     /* pass, deviates, fail, error, skipped, not_run */
  char reason[256];        /* why it is not a pass */
  char reference[40];      /* the recorded outcome used, "" when none */
  char reference_version[48];
};

struct run_info {
  char started[32];        /* ISO 8601, UTC */
  double duration_s;
  const struct run_opts *opts;
  bool interrupted;
  int jobs;
  const char *shard;       /* "i/n" or NULL */
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
/* Merges the rows of one proxy into its reference file (atomically). */
int reference_update(const char *dir, const char *key, const struct proxy_def *p, const struct row *rows, size_t n);

/* Writes results.json, results.csv, junit.xml and report.md into dir. */
int results_write(const char *dir, const struct row *rows, size_t n, const struct run_info *info);

/* The table: scenarios as rows, proxies as columns. */
void results_table(FILE *out, const struct row *rows, size_t n, bool markdown);

/* Atomic write helper: text to path through path.tmp.PID and rename. */
int write_atomic(const char *path, const char *text, size_t len);

#endif
