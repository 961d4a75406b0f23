/* explain_rank.h: the reference as `badup explain` reads it (every proxy version's log
 * lines for every scenario, from results/reference/<proxy>.json), and the ranking of the
 * recorded (proxy, scenario) pairs against one log line.
 *
 * The catalog owns everything it loads; candidates point into it and live until
 * rank_free. */
#ifndef BADUP_EXPLAIN_RANK_H
#define BADUP_EXPLAIN_RANK_H

#include <stdbool.h>
#include <stddef.h>

#include "logline.h"

struct ref_line {
  char *raw;
  struct logline l;
};

struct ref_case {
  size_t group;  /* cases of the same proxy (and variant) and scenario, across versions */
  char *proxy;   /* as in the file: haproxy */
  char *variant; /* "" or what follows '+' in the file name (haproxy+retries.json) */
  char *version, *scenario, *got, *expect;
  long upstream_attempts; /* -1 when not recorded */
  double elapsed_ms;      /* < 0 when not recorded */
  struct ref_line *lines;
  size_t nlines;
};

struct doc_freq;
struct known_sig;

struct catalog {
  struct ref_case *cases;
  size_t ncases, cap, ngroups;
  struct doc_freq *df; /* in how many recorded lines each word appears */
  size_t ndf, nlines;
  struct known_sig *known; /* every (kind, key) some recorded line has */
  size_t nknown;
  struct logline_rules *rules;
};

/* Loads every *.json of dir, reading its lines with the rules of defs (which must outlive
 * the catalog: see logline_rules_new). 0, or -1 (nothing usable; a message on stderr). */
int catalog_load(struct catalog *cat, const char *dir, const struct proxy_def *defs, size_t ndefs);
/* Is this scenario's recorded line one explain ranks? False for the request-side (req_*,
 * http10_keepalive) and forward (fwd_*) scenarios: the proxy's answer to its client; and for
 * the TLS ones (tls_*, client_tls_*), whose lines read like a failed connect's. */
bool explain_ranks_scenario(const char *scenario);
void catalog_free(struct catalog *cat);
/* Reads a line to explain, its words weighed by the reference. */
void catalog_read(const struct catalog *cat, const char *raw, struct logline *out);
/* Does some recorded line carry this signature? */
bool catalog_knows(const struct catalog *cat, const struct logline_sig *s);
/* The versions of proxy the reference holds, in file order, without repeats; returns how
 * many (at most max). */
size_t catalog_versions(const struct catalog *cat, const char *proxy, const char **out, size_t max);

/* How a candidate's best line met the line explained. */
enum match_by {
  MATCH_BY_WORDS,     /* no signature in common: the words around them */
  MATCH_BY_SIGNATURE, /* the same verdict (state, message, code, ...) */
  MATCH_BY_FAMILY     /* a verdict the reference never saw, of the same family */
};

struct candidate {
  const struct ref_case *best; /* the version with the best score */
  const char **versions;       /* where the line was measured with that score */
  size_t nversions;
  double score;
  const char *matched_line;
  enum match_by by;
  unsigned missing; /* the optional fields (logline_field_*) the matched line has and the
                       explained line lacks: left out of the comparison */
};

/* What a line with signatures but no verdict (a status alone) keeps of its score: below
 * any match, however alike the rest of the line. */
#define RANK_NO_VERDICT_FACTOR 0.5

/* Every recorded (proxy, variant, scenario) with its best score over the recorded lines of
 * every version, best first (ties by proxy, variant, scenario). */
struct candidate *rank(const struct catalog *cat, const struct logline *in, size_t *n);
void rank_free(struct candidate *cands, size_t n);

#endif
