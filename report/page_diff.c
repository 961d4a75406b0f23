/* page_diff.c: which side of dir/diff.json a results folder is (page_diff.h). */
#include "page_diff.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static json_t *verdict(const char *state, json_t *doc, const char *note) {
  return json_pack("{s:s, s:o, s:o}", "state", state, "doc", doc ? doc : json_null(), "note",
                   note ? json_string(note) : json_null());
}

/* The side's path names this folder: the folder itself or its results.json. Paths are as
 * `badup diff` was given them, relative to where it ran: one that no longer resolves from
 * here simply does not match. */
static bool names_folder(const json_t *side, const char *dir) {
  const char *path = json_string_value(json_object_get(side, "path"));
  char want[PATH_MAX], got[PATH_MAX], file[PATH_MAX + 16];
  if (!path || !realpath(dir, want)) return false;
  snprintf(file, sizeof file, "%s/results.json", want);
  if (!realpath(path, got)) return false;
  return !strcmp(got, want) || !strcmp(got, file);
}

static bool same_start(const json_t *side, const char *started) {
  const char *s = json_string_value(json_object_get(side, "started"));
  return started && s && !strcmp(s, started);
}

static bool is_results(const json_t *side) {
  const char *k = json_string_value(json_object_get(side, "kind"));
  return k && !strcmp(k, "results");
}

json_t *page_diff_load(const char *dir, const json_t *results) {
  char path[4096];
  snprintf(path, sizeof path, "%s/diff.json", dir);
  struct stat st;
  if (stat(path, &st) != 0) return NULL;
  char note[600];
  if (!S_ISREG(st.st_mode)) return verdict("unreadable", NULL, "diff.json is not a regular file");
  if ((unsigned long long)st.st_size > PAGE_DIFF_MAX) {
    snprintf(note, sizeof note, "diff.json is %lld bytes, more than the page embeds (%u): read it, or `badup diff` "
             "the two runs in a terminal", (long long)st.st_size, PAGE_DIFF_MAX);
    return verdict("too_large", NULL, note);
  }
  json_error_t err;
  json_t *doc = json_load_file(path, 0, &err);
  const json_t *a = json_object_get(doc, "a"), *b = json_object_get(doc, "b");
  if (!json_is_object(a) || !json_is_object(b) || !json_is_object(json_object_get(doc, "counts"))) {
    if (doc) snprintf(note, sizeof note, "diff.json is not a diff of `badup diff` (no sides a and b, no counts)");
    else snprintf(note, sizeof note, "diff.json does not parse: line %d, column %d: %s", err.line, err.column, err.text);
    json_decref(doc);
    return verdict("unreadable", NULL, note);
  }
  const char *started = json_string_value(json_object_get(results, "started"));
  bool start_a = is_results(a) && same_start(a, started), start_b = is_results(b) && same_start(b, started);
  bool path_a = is_results(a) && names_folder(a, dir), path_b = is_results(b) && names_folder(b, dir);
  if (start_a && start_b) /* a run compared with itself, or with a copy: the path says which */
    return verdict(path_a && !path_b ? "a" : "b", doc, NULL);
  if (start_a || start_b) return verdict(start_a ? "a" : "b", doc, NULL);
  if (!started && (path_a || path_b)) /* an older results.json without a start time */
    return verdict(path_b ? "b" : "a", doc, NULL);
  if (path_a || path_b) {
    const char *was = json_string_value(json_object_get(path_b ? b : a, "started"));
    snprintf(note, sizeof note, "diff.json compares an earlier run of this folder (started %s; this run started %s): "
             "run `badup diff --out` again", was ? was : "unknown", started ? started : "unknown");
    return verdict("stale", doc, note);
  }
  snprintf(note, sizeof note, "diff.json compares two other runs (A started %s, B started %s; this run started %s): "
           "this folder is neither side, so no cell here is marked",
           json_is_string(json_object_get(a, "started")) ? json_string_value(json_object_get(a, "started")) : "unknown",
           json_is_string(json_object_get(b, "started")) ? json_string_value(json_object_get(b, "started")) : "unknown",
           started ? started : "unknown");
  return verdict("neither", doc, note);
}
