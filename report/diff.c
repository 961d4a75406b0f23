/* diff.c: two sides compared cell by cell into the diff document. See diff.h. */
#include "diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff_side.h"

/* ---- one cell --------------------------------------------------------------------------- */

static bool set_has(const json_t *set, const char *word) {
  size_t i;
  json_t *v;
  json_array_foreach(set, i, v) {
    if (json_is_string(v) && !strcmp(json_string_value(v), word)) return true;
  }
  return false;
}

/* Is every outcome of sub in set? */
static bool set_within(const json_t *sub, const json_t *set) {
  size_t i;
  json_t *v;
  json_array_foreach(sub, i, v) {
    if (!json_is_string(v) || !set_has(set, json_string_value(v))) return false;
  }
  return true;
}

static const char *str(const json_t *obj, const char *name) {
  const char *s = json_string_value(json_object_get(obj, name));
  return s ? s : "";
}

/* A cell that varies: its verdict says so, or it takes several outcomes. */
static bool varies(const json_t *cell) {
  return !strcmp(str(cell, "verdict"), "unstable") || json_array_size(json_object_get(cell, "alternatives")) > 1;
}

enum diff_cell_change diff_cell_compare(const json_t *a, const json_t *b) {
  const json_t *sa = json_object_get(a, "alternatives"), *sb = json_object_get(b, "alternatives");
  bool same_set = set_within(sa, sb) && set_within(sb, sa);
  /* The most frequent of several outcomes is chance: only the set says what the cell does. */
  bool same_outcome = same_set && (!strcmp(str(a, "got"), str(b, "got")) || (varies(a) && varies(b)));
  const char *va = str(a, "verdict"), *vb = str(b, "verdict");
  bool verdicts = strcmp(va, "recorded") != 0 && strcmp(vb, "recorded") != 0;
  if (same_outcome && (!verdicts || !strcmp(va, vb))) return DIFF_CELL_SAME;
  if ((varies(a) && set_within(sb, sa)) || (varies(b) && set_within(sa, sb))) return DIFF_CELL_UNSTABLE;
  return DIFF_CELL_CHANGED;
}

/* ---- settings and proxies ------------------------------------------------------------------ */

/* Two recorded values of a setting: numbers by value (2 and 2.0 are one timeout). */
static bool setting_equal(const json_t *x, const json_t *y) {
  if (json_is_number(x) && json_is_number(y)) return fabs(json_number_value(x) - json_number_value(y)) < 1e-9;
  return json_equal((json_t *)x, (json_t *)y);
}

static void add_setting(json_t *list, const char *name, json_t *x, json_t *y) {
  if (!x || !y || json_is_null(x) || json_is_null(y) || setting_equal(x, y)) return;
  json_array_append_new(list, json_pack("{s:s, s:O, s:O}", "name", name, "a", x, "b", y));
}

static json_t *settings_diff(const json_t *a, const json_t *b) {
  json_t *list = json_array();
  const json_t *sb = json_object_get(b, "settings");
  const char *name;
  json_t *v;
  json_object_foreach((json_t *)json_object_get(a, "settings"), name, v) {
    add_setting(list, name, v, json_object_get(sb, name));
  }
  add_setting(list, "repeat", json_object_get(a, "repeat"), json_object_get(b, "repeat"));
  return list;
}

/* A proxy is on a side when it has a cell there; an entry without one still says why. */
static const json_t *present(const json_t *side, const char *proxy) {
  const json_t *p = json_object_get(json_object_get(side, "proxies"), proxy);
  return json_integer_value(json_object_get(p, "cells")) > 0 ? p : NULL;
}

static json_t *entry_or_null(const json_t *side, const char *proxy) {
  json_t *p = json_object_get(json_object_get(side, "proxies"), proxy);
  return p ? json_incref(p) : json_null();
}

static void count(json_t *counts, const char *name) {
  json_object_set_new(counts, name, json_integer(json_integer_value(json_object_get(counts, name)) + 1));
}

static void add_proxy(json_t *doc, const json_t *a, const json_t *b, const char *proxy) {
  const json_t *pa = present(a, proxy), *pb = present(b, proxy);
  const char *change = "same";
  json_t *counts = json_object_get(doc, "counts");
  if (pa && !pb) change = "vanished", count(counts, "vanished_proxies");
  else if (!pa && pb) change = "new", count(counts, "new_proxies");
  else if (pa && pb && !json_equal(json_object_get(pa, "version"), json_object_get(pb, "version")))
    change = "version", count(counts, "versions");
  json_t *entry = json_pack("{s:s, s:s, s:o, s:o}", "proxy", proxy, "change", change, "a", entry_or_null(a, proxy),
                            "b", entry_or_null(b, proxy));
  json_array_append_new(json_object_get(doc, "proxies"), entry);
}

/* A case an interrupted run never finished: it says nothing about the proxy, so it is
 * counted apart and never as a change. */
static bool not_run(const json_t *cell) { return !strcmp(str(cell, "verdict"), "not_run"); }

/* A case the run skipped (the proxy cannot take it, e.g. h2 or client TLS): one side
 * skipping a cell the other does not have is no change in behaviour. */
static bool skipped(const json_t *cell) { return !strcmp(str(cell, "verdict"), "skipped"); }

/* ---- the document ------------------------------------------------------------------------ */

static json_t *side_head(const json_t *side) {
  return json_pack("{s:O, s:O, s:O, s:O, s:O}", "kind", json_object_get(side, "kind"), "path",
                   json_object_get(side, "path"), "started", json_object_get(side, "started"), "repeat",
                   json_object_get(side, "repeat"), "settings", json_object_get(side, "settings"));
}

static void add_cell(json_t *doc, const char *list, const json_t *ca, const json_t *cb) {
  const json_t *any = ca ? ca : cb;
  json_array_append_new(json_object_get(doc, list),
                        json_pack("{s:O, s:O, s:O, s:O}", "proxy", json_object_get(any, "proxy"), "scenario",
                                  json_object_get(any, "scenario"), "a", ca ? ca : json_null(), "b",
                                  cb ? cb : json_null()));
  count(json_object_get(doc, "counts"), list);
}

json_t *diff_compare(const json_t *a, const json_t *b) {
  json_t *doc = json_pack("{s:o, s:o, s:o, s:[], s:[], s:[], s:[], s:[], s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}}",
                          "a", side_head(a), "b", side_head(b), "settings", settings_diff(a, b), "proxies", "changed",
                          "unstable", "new", "vanished", "counts", "changed", 0, "unstable", 0, "new", 0, "vanished", 0,
                          "same", 0, "new_proxies", 0, "vanished_proxies", 0, "versions", 0);
  if (!doc) return NULL;
  json_object_set_new(json_object_get(doc, "counts"), "not_run", json_integer(0));
  json_object_set_new(json_object_get(doc, "counts"), "not_compared", json_integer(0));
  json_t *counts = json_object_get(doc, "counts");
  json_object_set_new(counts, "settings", json_integer((json_int_t)json_array_size(json_object_get(doc, "settings"))));

  const json_t *pa = json_object_get(a, "proxies"), *pb = json_object_get(b, "proxies");
  const char *proxy;
  json_t *v;
  json_object_foreach((json_t *)pa, proxy, v) add_proxy(doc, a, b, proxy);
  json_object_foreach((json_t *)pb, proxy, v) {
    if (!json_object_get(pa, proxy)) add_proxy(doc, a, b, proxy);
  }

  static const char *const lists[] = {[DIFF_CELL_SAME] = "same", [DIFF_CELL_CHANGED] = "changed",
                                      [DIFF_CELL_UNSTABLE] = "unstable"};
  const json_t *cells_a = json_object_get(a, "cells"), *cells_b = json_object_get(b, "cells");
  const char *key;
  json_t *ca, *cb;
  json_object_foreach((json_t *)cells_a, key, ca) {
    cb = json_object_get(cells_b, key);
    const char *p = str(ca, "proxy");
    if (not_run(ca) || (cb && not_run(cb))) {
      count(counts, "not_run");
    } else if (cb) {
      enum diff_cell_change ch = diff_cell_compare(ca, cb);
      if (ch == DIFF_CELL_SAME) count(counts, "same");
      else add_cell(doc, lists[ch], ca, cb);
    } else if (present(b, p)) {
      if (skipped(ca)) count(counts, "not_compared");
      else add_cell(doc, "vanished", ca, NULL);
    }
  }
  json_object_foreach((json_t *)cells_b, key, cb) {
    if (json_object_get(cells_a, key) || !present(a, str(cb, "proxy"))) continue;
    if (not_run(cb)) count(counts, "not_run");
    else if (skipped(cb)) count(counts, "not_compared");
    else add_cell(doc, "new", NULL, cb);
  }
  bool differs = false;
  static const char *const differences[] = {"changed", "new", "vanished", "new_proxies", "vanished_proxies"};
  for (size_t i = 0; i < sizeof differences / sizeof *differences; i++)
    differs |= json_integer_value(json_object_get(counts, differences[i])) > 0;
  json_object_set_new(doc, "differs", json_boolean(differs));
  return doc;
}

/* ---- both sides from the command line ------------------------------------------------------- */

json_t *diff_load(const char *a, const char *b, char *err, size_t errlen) {
  enum diff_side_kind ka, kb;
  char *pa = NULL, *pb = NULL;
  json_t *sa = NULL, *sb = NULL, *doc = NULL;
  if (diff_side_locate(a, &ka, &pa, err, errlen) < 0 || diff_side_locate(b, &kb, &pb, err, errlen) < 0) goto out;
  if (ka == DIFF_SIDE_REFERENCE && kb == DIFF_SIDE_REFERENCE) {
    snprintf(err, errlen, "%s and %s are both reference folders: one side must be a results folder", a, b);
    goto out;
  }
  /* The reference stands in for the results side: read that one first. */
  if (ka == DIFF_SIDE_RESULTS && !(sa = diff_side_results(pa, err, errlen))) goto out;
  if (kb == DIFF_SIDE_RESULTS && !(sb = diff_side_results(pb, err, errlen))) goto out;
  if (ka == DIFF_SIDE_REFERENCE && !(sa = diff_side_reference(pa, sb, err, errlen))) goto out;
  if (kb == DIFF_SIDE_REFERENCE && !(sb = diff_side_reference(pb, sa, err, errlen))) goto out;
  if (!(doc = diff_compare(sa, sb))) snprintf(err, errlen, "out of memory");
out:
  json_decref(sa);
  json_decref(sb);
  free(pa);
  free(pb);
  return doc;
}
