/* verdict.h: what a case's outcome means: pass, deviates, unstable, fail or error.
 *
 * A row (one proxy x one scenario) holds one run, or --repeat N of them. Its verdict:
 *   error     a run could not be made (setup_error), or the scenario itself raised a Lua
 *             error at run time: the scenario's fault, not the proxy's;
 *   unstable  the runs disagree, or the reference recorded several outcomes for this proxy
 *             version and this run gave one of them: the outcome depends on scheduling in
 *             the proxy, so it is reported with every outcome seen and never as a failure;
 *   pass      the outcome is the scenario's `expect` (a table: one of its alternatives held,
 *             expect_eval.h), and its checks hold (time window, upstream attempts, the
 *             proxy's log line);
 *   deviates  another outcome, the one the reference recorded for this proxy version
 *             (outcomes are compared as signatures: "200 !connection" is not "200");
 *   fail      anything else, with the reason.
 * A row that was never judged is skipped (its proxy is not installed) or not_run (the run
 * was interrupted before it ended).
 * judge() reads the reference but never changes it: worker threads call it concurrently. */
#ifndef BADUP_VERDICT_H
#define BADUP_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

/* Every verdict, once, in the order the summaries count them. Columns:
 *   word      in results.json, results.csv, report.md and the progress lines
 *   progress  its count's label on the progress line (NULL: not counted there)
 *   summary   its count's label in the closing line "N pass, N deviate, ..."; verdicts with
 *             the same label next to each other count together
 *   junit     the element its testcase gets in junit.xml (NULL: a passing testcase)
 *   exit      the exit code it asks of `badup run` (the highest asked wins)
 *   judged    the case ran and its outcome was judged
 *   listed    its headline in the list under the table (NULL: not listed) */
#define BADUP_VERDICTS(X)                                                                    \
  /* id        word        progress    summary     junit       exit  judged  listed */       \
  X(PASS,      "pass",     "pass",     "pass",     NULL,       0,    true,   NULL)           \
  X(DEVIATES,  "deviates", "deviate",  "deviate",  NULL,       0,    true,   NULL)           \
  X(UNSTABLE,  "unstable", "unstable", "unstable", NULL,       0,    true,   "UNSTABLE")     \
  X(FAIL,      "fail",     "fail",     "fail",     "failure",  1,    true,   "FAIL")         \
  X(ERROR,     "error",    "error",    "errors",   "error",    2,    true,   "ERROR")        \
  X(SKIPPED,   "skipped",  NULL,       "skipped",  "skipped",  0,    false,  NULL)           \
  X(NOT_RUN,   "not_run",  NULL,       "skipped",  "skipped",  0,    false,  NULL)

enum verdict {
#define BADUP_VERDICT_ENUM(id, word, progress, summary, junit, exit, judged, listed) VERDICT_##id,
  BADUP_VERDICTS(BADUP_VERDICT_ENUM)
#undef BADUP_VERDICT_ENUM
  VERDICT__COUNT
};

struct verdict_info {
  const char *word, *progress, *summary, *junit;
  int exit;
  bool judged;
  const char *listed;
};

/* The columns above, indexed by enum verdict. */
extern const struct verdict_info verdict_info[VERDICT__COUNT];

static inline const char *verdict_word(enum verdict v) { return verdict_info[v].word; }

/* Is this verdict a reason for a non-zero exit? (fail: 1; error: 2) */
static inline bool verdict_is_failure(enum verdict v) { return verdict_info[v].exit != 0; }

/* "N pass, N deviate, N unstable, N fail, N errors, N skipped" from counts per verdict,
 * into out. */
void verdict_summary(char *out, size_t len, const size_t counts[VERDICT__COUNT]);

/* "N pass, N deviate, N unstable, N fail, N error": the progress line's counts. */
void verdict_progress(char *out, size_t len, const size_t counts[VERDICT__COUNT]);

struct row;
struct reference;

/* Sets r->verdict, r->reason, r->outcomes, r->reference and r->reference_version from the
 * row's runs and the proxy's reference (reference.h; may be NULL). */
void verdict_judge(struct row *r, const struct reference *ref);

#endif
