/* run_parts.h: the stages of `badup run`, a file each, and what they hand each other.
 *
 *   run.c         the command line, then the stages in order, then the results and the
 *                 reference written and the closing lines printed
 *   run_matrix.c  the definitions loaded, the selection and the shard checked and made into
 *                 rows (one proxy x one scenario); the order the cases run in
 *   run_out.c     the results folder: checked, emptied of the earlier run it holds, locked
 *   run_pool.c    the worker threads that run the cases, the progress line, Ctrl-C
 *   list.c        `badup list`, over the same loaders
 *
 * Every stage that can refuse says why on stderr and returns EXIT_SETUP. */
#ifndef BADUP_RUN_PARTS_H
#define BADUP_RUN_PARTS_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"
#include "reference.h"
#include "results.h"

#define EXIT_SETUP 2
#define EXIT_INTERRUPTED 130
/* --set options a run takes. */
#define RUN_MAX_SET 32

/* The command line of `badup run`, checked. */
struct run_args {
  const char *proxy_list, *scenario_list; /* comma lists of names or globs; NULL: all */
  const char *out_arg;                    /* --out, or NULL for results/<timestamp> */
  const char *shard;                      /* "I/N" as given (or as --shard auto read it), or NULL */
  long shard_i, shard_n;                  /* 1/1 without --shard */
  bool shard_auto;                        /* --shard auto: from the CI's variables (shard_auto.h) */
  char shard_text[48];                    /* --shard auto's "I/N" */
  const char *ref_dir_arg, *scn_dir_arg, *px_dir_arg;
  bool update_ref, ref_given, quiet;
  long jobs, repeat;
  struct ctx_var set[RUN_MAX_SET]; /* --set NAME=VALUE, pointing into argv; o.ctx points here */
  struct run_opts o;
};

/* ---- run_matrix.c ---- */

/* Every *.lua of dir loaded for its metadata (each case's simulator loads its own), in name
 * order; *failures counts the files that did not load (their errors on stderr). */
struct scenario *run_load_scenarios(const char *dir, const struct run_opts *o, size_t *n, int *failures);

/* Does name match the comma list (names or globs; NULL or "all": everything)? */
bool run_selected(const char *name, const char *list);

/* What a run is made of. It owns everything in it. */
struct run_matrix {
  char *scn_dir, *px_dir;
  struct scenario *scns;
  size_t nscn;
  struct proxy_def *pxs;
  size_t npx, selected_px; /* proxies, and how many of them are selected (installed or not) */
  struct row *rows;        /* this shard's cells: the selected proxies x the selected scenarios */
  size_t nrows;
};

/* Loads the definitions, checks the selection (every name matches something, a proxy named
 * outright is installed, --proxy-config passes its checks) and makes the rows. 0, or
 * EXIT_SETUP, or EXIT_INTERRUPTED when a Ctrl-C stopped the check of a --proxy-config; the
 * matrix is to be freed either way. */
int run_matrix_build(struct run_matrix *m, const struct run_args *a);
void run_matrix_free(struct run_matrix *m);

/* One run of one row: --repeat N makes N jobs per row. */
struct run_job {
  size_t row;
  int rep;
};

/* Every job, longest expected first (by the reference's case times; unknown ones count as
 * unknown_ms), so the run ends sooner on few cores. NULL when memory runs out. */
struct run_job *run_order_by_reference(const struct row *rows, size_t nrows, int repeat, struct reference **refs,
                                       const struct proxy_def *pxs, double unknown_ms, size_t *njobs);

/* ---- run_out.c ---- */

/* Now as ISO 8601 UTC ("2026-11-30T08:00:00Z") into out, and as a folder stamp
 * ("20261130-080000") into stamp. */
void run_iso_now(char *out, size_t len, char *stamp, size_t slen);

/* mkdir -p. 0, or -errno. */
int run_mkdirs(const char *path);

/* Checks --out (or makes the default folder) before any case: a new or empty folder is used
 * as is, a folder an earlier run made is emptied of what that run wrote, anything else is
 * refused. The folder stays locked against other runs while this process lives. The
 * absolute path goes into out. cmd names the command in messages ("run", "merge"). 0, or
 * EXIT_SETUP after saying why. */
int run_prepare_out(const char *cmd, const char *out_arg, const char *stamp, const char *started, char *out, size_t len,
                    bool quiet);

/* ---- run_pool.c ---- */

/* Signals go to one thread from here on, which stops every proxy and simulator on the first
 * Ctrl-C (SIGINT, SIGTERM, SIGHUP); workers and children never see them. */
void run_pool_catch_signals(void);

/* Was the run interrupted? */
bool run_pool_interrupted(void);

/* The folder of run rep (0-based) of row r under out. */
void run_case_dir(const char *out, const struct row *r, int rep, char *dir, size_t len);

/* Runs the jobs on `threads` workers, judging each row when its last run ends against
 * refs[proxy index] (unless recording: the verdicts come after the reference is written),
 * with a progress line on stderr unless quiet. Returns, when every worker has stopped, the
 * seconds it took. */
double run_pool(struct row *rows, size_t nrows, const struct run_job *jobs, size_t njobs, long threads,
                const struct run_opts *o, const struct proxy_def *pxs, struct reference **refs, const char *out,
                bool quiet, bool recording);

#endif
