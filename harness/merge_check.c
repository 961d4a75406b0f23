/* merge_check.c: loading the shards' results.json, checking they belong together, and the
 * merged document (merge.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "merge.h"
#include "results_render.h"
#include "shard_auto.h"

json_t *merge_load(const char *dir, char *why, size_t len) {
  struct stat st;
  if (stat(dir, &st) != 0) {
    snprintf(why, len, "%s: %s", dir, strerror(errno));
    return NULL;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(why, len, "%s is not a folder (give the results folders of the shards)", dir);
    return NULL;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/results.json", dir);
  if (stat(path, &st) != 0) {
    snprintf(why, len, "%s is not a results folder: no results.json in it", dir);
    return NULL;
  }
  json_error_t e;
  json_t *doc = json_load_file(path, 0, &e);
  if (!doc) {
    snprintf(why, len, "%s: broken: line %d, column %d: %s", path, e.line, e.column, e.text);
    return NULL;
  }
  const char *bad = NULL;
  json_t *cases = json_object_get(doc, "cases");
  if (!json_is_object(doc)) bad = "not a JSON object";
  else if (!json_is_array(cases)) bad = "no \"cases\" list";
  else if (!json_is_object(json_object_get(doc, "catalog")))
    bad = "no \"catalog\": written by a badup older than badup merge; run the shard again";
  size_t i;
  json_t *c;
  static char item[160];
  json_array_foreach(cases, i, c) {
    if (bad) break;
    if (!json_is_string(json_object_get(c, "proxy")) || !json_is_string(json_object_get(c, "scenario")) ||
        results_case_verdict(c) < 0 || !json_is_integer(json_object_get(c, "cell")) ||
        json_integer_value(json_object_get(c, "cell")) < 0) {
      snprintf(item, sizeof item, "case %zu has no proxy, scenario, known verdict or cell", i + 1);
      bad = item;
    }
  }
  if (bad) {
    snprintf(why, len, "%s: broken: %s", path, bad);
    json_decref(doc);
    return NULL;
  }
  return doc;
}

/* "I/N" of a document; an unsharded run is 1/1. false for text that is not I/N. */
static bool shard_of(const json_t *doc, long *i, long *n) {
  const json_t *s = json_object_get(doc, "shard");
  if (!s || json_is_null(s)) {
    *i = *n = 1;
    return true;
  }
  int used = 0;
  const char *t = json_string_value(s);
  return t && sscanf(t, "%ld/%ld%n", i, n, &used) == 2 && !t[used] && *n >= 1 && *i >= 1 && *i <= *n;
}

/* The keys every shard of one run has alike, and what a difference means to a reader. */
static const struct {
  const char *key, *what;
} SAME[] = {
    {"catalog", "the selected scenarios (or their files) and proxies"},
    {"selection", "--proxy / --scenario"},
    {"timeouts", "timeouts, retries or --max-body"},
    {"repeat", "--repeat"},
    {"client_tls", "--client-tls"},
    {"upstream_tls", "--upstream-tls"},
    {"client_http2", "--client-http2"},
    {"seed", "--seed"},
    {"set", "--set"},
    {"proxy_config", "--proxy-config (its path or its SHA-256)"},
    {"badup_version", "badup's version"},
};

/* The version each proxy had in doc, checked against the first shard's. */
static int same_proxies(const json_t *a, const json_t *b, const char *da, const char *db, char *why, size_t len) {
  size_t i, j;
  json_t *p, *q;
  json_array_foreach(json_object_get(b, "proxies"), i, p) {
    json_array_foreach(json_object_get(a, "proxies"), j, q) {
      if (strcmp(results_str(p, "name"), results_str(q, "name")) != 0) continue;
      if (strcmp(results_str(p, "version"), results_str(q, "version")) != 0) {
        snprintf(why, len, "%s and %s ran different versions of %s (%s, %s): not one run's shards", da, db,
                 results_str(p, "name"), results_str(q, "version")[0] ? results_str(q, "version") : "not installed",
                 results_str(p, "version")[0] ? results_str(p, "version") : "not installed");
        return -1;
      }
    }
  }
  return 0;
}

/* A case's folder as the run wrote it: "cases/<proxy>/<scenario>" (or below it), no ".."
 * in it, and a folder in the shard. */
static int check_case_dir(const json_t *c, const char *dir, char *why, size_t len) {
  const json_t *cd = json_object_get(c, "case_dir");
  if (!cd || json_is_null(cd)) return 0; /* a case that never ran */
  const char *t = json_string_value(cd);
  char want[1024];
  snprintf(want, sizeof want, "cases/%s/%s", results_str(c, "proxy"), results_str(c, "scenario"));
  size_t w = strlen(want);
  if (!t || strncmp(t, want, w) != 0 || (t[w] && t[w] != '/') || strstr(t, "/..") || strstr(t, "../")) {
    snprintf(why, len, "%s/results.json: broken: case %s / %s has case_dir %.200s, not %s inside the shard", dir,
             results_str(c, "proxy"), results_str(c, "scenario"), t ? t : "(not text)", want);
    return -1;
  }
  char path[4096];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, t);
  if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(why, len, "%s: the folder of case %s / %s is %s", path, results_str(c, "proxy"), results_str(c, "scenario"),
             errno == ENOENT || !S_ISDIR(st.st_mode) ? "missing" : strerror(errno));
    return -1;
  }
  return 0;
}

/* Every cell 0..catalog.cells-1 once, each in the shard shard_of_cell gives it, and each
 * case's folder where the run puts it: what the merged results.json claims must be what
 * the shards hold. docs in any order, by_index from merge_check. */
static int check_cells(json_t *const *docs, const char *const *dirs, size_t n, const size_t *by_index, char *why,
                       size_t len) {
  const json_t *cat = json_object_get(docs[0], "catalog");
  json_int_t ncells = json_integer_value(json_object_get(cat, "cells"));
  json_int_t nscn = json_integer_value(json_object_get(cat, "scenarios"));
  if (ncells < 0 || nscn < 0 || ncells > 10000000) {
    snprintf(why, len, "%s/results.json: broken: catalog has %lld cells", dirs[0], (long long)ncells);
    return -1;
  }
  size_t *owner = calloc((size_t)ncells + 1, sizeof *owner); /* shard position + 1 per cell; 0 none */
  if (!owner) {
    snprintf(why, len, "out of memory");
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    size_t k = by_index[i];
    size_t at;
    json_t *c;
    json_array_foreach(json_object_get(docs[k], "cases"), at, c) {
      json_int_t cell = json_integer_value(json_object_get(c, "cell"));
      const char *who = results_str(c, "proxy"), *what = results_str(c, "scenario");
      if (cell >= ncells) {
        snprintf(why, len, "%s/results.json: broken: case %s / %s has cell %lld, outside the catalog's 0..%lld",
                 dirs[k], who, what, (long long)cell, (long long)ncells - 1);
        rc = -1;
      } else if (owner[cell]) {
        snprintf(why, len, "%s/results.json: cell %lld (%s / %s) is also in %s: two shards, or one twice, hold it",
                 dirs[k], (long long)cell, who, what, dirs[owner[cell] - 1]);
        rc = -1;
      } else if (shard_of_cell((size_t)cell, (size_t)nscn, n) != i) {
        snprintf(why, len, "%s/results.json: cell %lld (%s / %s) belongs to shard %zu/%zu, not %zu/%zu", dirs[k],
                 (long long)cell, who, what, shard_of_cell((size_t)cell, (size_t)nscn, n) + 1, n, i + 1, n);
        rc = -1;
      } else {
        owner[cell] = k + 1;
        rc = check_case_dir(c, dirs[k], why, len);
      }
      if (rc) break;
    }
  }
  for (json_int_t cell = 0; cell < ncells && rc == 0; cell++)
    if (!owner[cell]) {
      size_t i = shard_of_cell((size_t)cell, (size_t)nscn, n);
      snprintf(why, len, "%s/results.json: cell %lld of shard %zu/%zu is missing (the catalog has %lld cells)",
               dirs[by_index[i]], (long long)cell, i + 1, n, (long long)ncells);
      rc = -1;
    }
  free(owner);
  return rc;
}

int merge_check(json_t *const *docs, const char *const *dirs, size_t n, bool allow_partial, size_t *by_index,
                char *why, size_t len) {
  long total0 = 0;
  for (size_t k = 0; k < n; k++) {
    long i, t;
    if (!shard_of(docs[k], &i, &t)) {
      snprintf(why, len, "%s/results.json: broken: shard '%s' is not I/N", dirs[k], results_str(docs[k], "shard"));
      return -1;
    }
    if (k == 0) total0 = t;
    if (t != total0) {
      snprintf(why, len, "%s is shard %ld/%ld but %s is of %ld shards: not one run's shards", dirs[k], i, t, dirs[0],
               total0);
      return -1;
    }
    for (size_t s = 0; s < sizeof SAME / sizeof *SAME; s++) {
      if (json_equal(json_object_get(docs[0], SAME[s].key), json_object_get(docs[k], SAME[s].key)) ||
          (!json_object_get(docs[0], SAME[s].key) && !json_object_get(docs[k], SAME[s].key)))
        continue;
      char *x = json_dumps(json_object_get(docs[0], SAME[s].key), JSON_COMPACT | JSON_ENCODE_ANY);
      char *y = json_dumps(json_object_get(docs[k], SAME[s].key), JSON_COMPACT | JSON_ENCODE_ANY);
      snprintf(why, len, "%s and %s differ in %s (\"%s\": %.200s and %.200s): not one run's shards", dirs[0], dirs[k],
               SAME[s].what, SAME[s].key, x ? x : "(none)", y ? y : "(none)");
      free(x);
      free(y);
      return -1;
    }
    if (same_proxies(docs[0], docs[k], dirs[0], dirs[k], why, len) != 0) return -1;
    if (json_is_true(json_object_get(docs[k], "interrupted")) && !allow_partial) {
      snprintf(why, len, "%s is an interrupted run (some of its cases did not run); run that shard again, or give "
                         "--allow-partial",
               dirs[k]);
      return -1;
    }
  }
  for (long want = 1; want <= total0; want++) {
    size_t found = n;
    for (size_t k = 0; k < n; k++) {
      long i, t;
      shard_of(docs[k], &i, &t);
      if (i != want) continue;
      if (found != n) {
        snprintf(why, len, "shard %ld/%ld is given twice: %s and %s", want, total0, dirs[found], dirs[k]);
        return -1;
      }
      found = k;
    }
    if (found == n) {
      snprintf(why, len, "shard %ld/%ld is missing: %zu folder%s given for %ld shards", want, total0, n,
               n == 1 ? "" : "s", total0);
      return -1;
    }
    if ((size_t)(want - 1) < n) by_index[want - 1] = found;
  }
  if ((long)n != total0) {
    snprintf(why, len, "%zu folders given for %ld shards", n, total0);
    return -1;
  }
  return check_cells(docs, dirs, n, by_index, why, len);
}

static int by_cell(const void *a, const void *b) {
  json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "cell"));
  json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "cell"));
  return x < y ? -1 : x > y;
}

/* The proxies of every shard, each once, in the order the merged cases first name them. */
static json_t *merged_proxies(json_t *const *docs, size_t n, const json_t *cases) {
  json_t *out = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    const char *name = results_str(c, "proxy");
    bool seen = false;
    size_t j;
    json_t *p;
    json_array_foreach(out, j, p) seen = seen || !strcmp(results_str(p, "name"), name);
    for (size_t k = 0; k < n && !seen; k++)
      json_array_foreach(json_object_get(docs[k], "proxies"), j, p) if (!seen && !strcmp(results_str(p, "name"), name)) {
        json_array_append(out, p);
        seen = true;
      }
  }
  return out;
}

json_t *merge_docs(json_t *const *docs, const char *const *dirs, size_t n, json_t *merge_command) {
  json_t *doc = json_deep_copy(docs[0]);
  if (!doc) return NULL;
  size_t total = 0;
  for (size_t k = 0; k < n; k++) total += json_array_size(json_object_get(docs[k], "cases"));
  json_t **all = calloc(total ? total : 1, sizeof *all);
  json_t *shards = json_array();
  if (!all || !shards) {
    free(all);
    json_decref(shards);
    json_decref(doc);
    return NULL;
  }
  size_t at = 0;
  double longest = 0;
  json_int_t retried = 0, jobs = 0;
  bool interrupted = false;
  const char *earliest = results_str(docs[0], "started");
  for (size_t k = 0; k < n; k++) {
    const json_t *d = docs[k];
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(d, "cases"), i, c) all[at++] = c;
    if (results_num(d, "duration_s") > longest) longest = results_num(d, "duration_s");
    if (json_integer_value(json_object_get(d, "jobs")) > jobs) jobs = json_integer_value(json_object_get(d, "jobs"));
    retried += json_integer_value(json_object_get(d, "retries_seen"));
    interrupted = interrupted || json_is_true(json_object_get(d, "interrupted"));
    /* ISO 8601 UTC: text order is time order */
    if (strcmp(results_str(d, "started"), earliest) < 0) earliest = results_str(d, "started");
    json_t *s = json_pack("{s:O, s:s, s:s, s:O, s:O, s:O, s:O, s:O}", "shard",
                          json_object_get(d, "shard") ? json_object_get(d, "shard") : json_null(), "folder", dirs[k],
                          "started", results_str(d, "started"), "duration_s",
                          json_object_get(d, "duration_s") ? json_object_get(d, "duration_s") : json_null(), "jobs",
                          json_object_get(d, "jobs") ? json_object_get(d, "jobs") : json_null(), "interrupted",
                          json_object_get(d, "interrupted") ? json_object_get(d, "interrupted") : json_false(),
                          "command", json_object_get(d, "command") ? json_object_get(d, "command") : json_null(),
                          "shard_from", json_object_get(d, "shard_from") ? json_object_get(d, "shard_from") : json_null());
    json_array_append_new(shards, s ? s : json_null());
  }
  qsort(all, total, sizeof *all, by_cell);
  json_t *cases = json_array();
  for (size_t i = 0; i < total; i++) json_array_append(cases, all[i]);
  free(all);
  json_object_set_new(doc, "started", json_string(earliest));
  json_object_set_new(doc, "duration_s", json_real(longest));
  json_object_set_new(doc, "jobs", json_integer(jobs));
  json_object_set_new(doc, "interrupted", json_boolean(interrupted));
  json_object_set_new(doc, "retries_seen", json_integer(retried));
  json_object_set_new(doc, "proxies", merged_proxies(docs, n, cases));
  json_object_set_new(doc, "cases", cases);
  /* what belonged to one shard's run is under "shards" now */
  json_object_del(doc, "shard");
  json_object_del(doc, "shard_from");
  json_object_del(doc, "command");
  json_object_set_new(doc, "shards", shards);
  json_object_set_new(doc, "merge_command", merge_command ? merge_command : json_null());
  return doc;
}
