/* reference.h: the reference, results/reference/<key>.json: what each version of a proxy
 * gave for each scenario when it was recorded. It turns a known deviation into "deviates",
 * orders a run's cases by how long they took, and is what `badup explain` matches log lines
 * against. This module is the one that knows the file's shape:
 *
 *   { "proxy": "<key>",
 *     "versions": {
 *       "<version>": { "binary": "/usr/sbin/haproxy", "recorded": "YYYY-MM-DD",
 *         "scenarios": {                              (keys sorted: the file diffs well)
 *           "<scenario>": { "got": "502", "seen": ["502", ...], "expect": "502",
 *                           "elapsed_ms": 1.7, "case_ms": 267.3, "upstream_attempts": 1,
 *                           "proxy_log": "...", "scenario_digest": "2b1cc9bd15b0e6c5" } } } } }
 *
 * The key is the proxy's name, with "+retries" for runs with retries on and "+ctls" for runs
 * with --client-tls (other answers: a TLS frontend reads the request itself), "+ch2" for runs
 * with --client-http2 (a body cut short is a RST_STREAM there, not a FIN).
 * Everything it hands out is a plain record whose strings point into the loaded file: they
 * live until reference_free. A loaded reference is read-only, so worker threads may read one
 * concurrently. */
#ifndef BADUP_REFERENCE_H
#define BADUP_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

struct reference;

/* At most this many outcomes of one cell are handed out in `seen` (a cell that varies takes
 * two or three; a deterministic one, one). */
#define REFERENCE_SEEN_MAX 32

/* One scenario of one proxy version. Strings are "" when the file does not say. */
struct reference_record {
  const char *version;    /* the proxy version it was recorded for */
  const char *scenario;
  const char *got;        /* the outcome (with --repeat, the most frequent); for a table expect
                             its signature, "200 !headers.absent:X-Badup-Hop" (expect_eval.h) */
  const char *seen[REFERENCE_SEEN_MAX]; /* every outcome recorded for this version and scenario */
  size_t nseen;
  const char *expect;     /* the scenario's expect when it was recorded, as reports show it
                             ("502|200" for alternatives, scenario_expect_text): shown by
                             badup explain, never compared */
  double elapsed_ms;      /* the client's exchange; < 0 when not recorded */
  double case_ms;         /* the whole case, start to end; < 0 when not recorded */
  long upstream_attempts; /* -1 when not recorded */
  const char *proxy_log;  /* the proxy's lines for the request, joined with " | " */
  const char *digest;     /* the scenario file's digest (scenario.h); "" when not recorded */
};

/* "<proxy>", then "+retries" (--retries), "+tls" (--upstream-tls: every upstream speaks TLS,
 * which a proxy may answer differently), "+ctls" (--client-tls) and "+ch2" (--client-http2),
 * those that hold, in that order ("nginx+retries+ctls+ch2"), into out. */
void reference_key(char *out, size_t len, const char *proxy, bool retries, bool upstream_tls, bool client_tls,
                   bool client_http2);

/* dir/<key>.json; a missing file reads as an empty reference (a run without one compares
 * with nothing). NULL when the file does not parse or has the wrong shape (not an object,
 * another key's "proxy", a field of the wrong type), or memory runs out: then err (size
 * errlen) says "dir/<key>.json: why". A run judged against a broken file would be judged
 * against nothing, and recording over it would lose what it held. */
struct reference *reference_load(const char *dir, const char *key, char *err, size_t errlen);

/* The file at path, or NULL when it cannot be read or parsed: then err (size errlen) says
 * "LINE: why". */
struct reference *reference_read(const char *path, char *err, size_t errlen);

/* A reference from the text of a file, or NULL when it does not parse. */
struct reference *reference_parse(const char *text);

void reference_free(struct reference *ref);

/* The file's "proxy" field (its key), or NULL when it has none. */
const char *reference_proxy(const struct reference *ref);

/* The versions recorded, in file order, into out; returns how many (at most max). */
size_t reference_versions(const struct reference *ref, const char **out, size_t max);

/* The version a run of `version` is compared with: itself when it was recorded, else the
 * newest recorded one (so a change between versions shows as a difference); NULL when
 * nothing is recorded. */
const char *reference_version_for(const struct reference *ref, const char *version);

/* The record of one scenario for one exact version (its version and scenario are the
 * pointers given). Returns false (and *out untouched) when there is none. */
bool reference_lookup(const struct reference *ref, const char *version, const char *scenario,
                      struct reference_record *out);

/* Was got among the record's seen outcomes? */
bool reference_record_seen(const struct reference_record *rec, const char *got);

/* The record's seen outcomes, ", "-joined, into out (size len). */
void reference_record_seen_list(const struct reference_record *rec, char *out, size_t len);

/* How long a case of this version and scenario is expected to take, in ms: the recorded
 * case_ms, else the recorded elapsed_ms, else unknown_ms. */
double reference_case_ms(const struct reference *ref, const char *version, const char *scenario, double unknown_ms);

/* Every record of the file, version by version in file order: start with an iterator set
 * to {0}; each call fills *out and returns true, until it returns false. */
struct reference_iter {
  void *version, *scenario; /* the file's own iterators */
  bool started;
};
bool reference_next(const struct reference *ref, struct reference_iter *it, struct reference_record *out);

/* Records a run: merges the records of one proxy version (recs[i].version is ignored) into
 * dir/<key>.json, atomically. A scenario's entry is replaced; its `seen` keeps the outcomes
 * recorded before (unless they were recorded for another file of that scenario: another
 * digest) and adds the record's. Returns 0 (also when n is 0: nothing is written), or
 * -errno (-EINVAL when the file there does not load: it is left as it is). */
int reference_update(const char *dir, const char *key, const char *version, const char *binary,
                     const struct reference_record *recs, size_t n);

#endif
