/* diff_side.c: a results folder, or the reference standing in for one, as one side of
 * `badup diff`. See diff_side.h. */
#include "diff_side.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "paths.h"
#include "reference.h"
#include "timeouts.h"

/* The word that names the shipped reference on the command line, and where it lives. */
#define REFERENCE_WORD "reference"
#define REFERENCE_DIR "results/reference"

static int say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
  return -1;
}

void diff_cell_key(char *out, size_t len, const char *proxy, const char *scenario) {
  snprintf(out, len, "%s / %s", proxy, scenario);
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Does dir hold a reference file (a *.json whose top is an object with "versions")? Files are
 * read until the first that is one: a reference folder answers at its first file. */
static bool holds_reference(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return false;
  bool found = false;
  struct dirent *e;
  while (!found && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    json_t *doc = json_load_file(path, 0, NULL);
    found = json_is_object(json_object_get(doc, "versions"));
    json_decref(doc);
  }
  closedir(d);
  return found;
}

int diff_side_locate(const char *arg, enum diff_side_kind *kind, char **path, char *err, size_t errlen) {
  *path = NULL;
  if (!strcmp(arg, REFERENCE_WORD) && !is_dir(arg)) {
    *kind = DIFF_SIDE_REFERENCE;
    if (!(*path = repo_dir(REFERENCE_DIR)))
      return say(err, errlen, "%s: the shipped reference (%s) is not found next to badup", arg, REFERENCE_DIR);
    return 0;
  }
  if (is_file(arg)) {
    *kind = DIFF_SIDE_RESULTS;
    *path = strdup(arg);
    return *path ? 0 : say(err, errlen, "%s: out of memory", arg);
  }
  if (!is_dir(arg)) return say(err, errlen, "%s: no such file or folder", arg);
  char results[4096];
  snprintf(results, sizeof results, "%s/results.json", arg);
  if (is_file(results)) {
    *kind = DIFF_SIDE_RESULTS;
    *path = strdup(results);
  } else if (holds_reference(arg)) {
    *kind = DIFF_SIDE_REFERENCE;
    *path = strdup(arg);
  } else {
    return say(err, errlen, "%s: not a results folder (no results.json) nor a reference folder (no <proxy>.json)",
               arg);
  }
  return *path ? 0 : say(err, errlen, "%s: out of memory", arg);
}

/* ---- a results.json ------------------------------------------------------------------ */

/* A field of an object as a side keeps it: the value, or null when the file has none. */
static json_t *field_or_null(const json_t *obj, const char *name) {
  json_t *v = json_object_get(obj, name);
  return v ? json_incref(v) : json_null();
}

static json_t *results_settings(const json_t *doc) {
  const json_t *t = json_object_get(doc, "timeouts");
  json_t *s = json_object();
  json_object_set_new(s, "connect_s", field_or_null(t, "connect_s"));
  json_object_set_new(s, "read_s", field_or_null(t, "read_s"));
  json_object_set_new(s, "client_s", field_or_null(t, "client_s"));
  json_object_set_new(s, "max_body", field_or_null(t, "max_body"));
  json_object_set_new(s, "retries", field_or_null(t, "retries"));
  json_object_set_new(s, "client_tls", field_or_null(doc, "client_tls"));
  json_object_set_new(s, "upstream_tls", field_or_null(doc, "upstream_tls"));
  json_object_set_new(s, "client_http2", field_or_null(doc, "client_http2"));
  json_object_set_new(s, "shard", field_or_null(doc, "shard"));
  return s;
}

/* Appends the outcome word to set unless it is there. */
static void set_add(json_t *set, const char *word, size_t len) {
  size_t i;
  json_t *v;
  json_array_foreach(set, i, v) {
    const char *s = json_string_value(v);
    if (s && strlen(s) == len && !strncmp(s, word, len)) return;
  }
  json_array_append_new(set, json_stringn(word, len));
}

/* A --repeat cell's "outcomes", "closed x2, 502 x1", as its set ["closed", "502"]. An
 * outcome may be a signature with spaces ("200 !connection"): items end at ", ", and a
 * count is a last " xN". */
static void set_from_outcomes(json_t *set, const char *outcomes) {
  for (const char *p = outcomes; *p;) {
    const char *end = strstr(p, ", ");
    size_t item = end ? (size_t)(end - p) : strlen(p), word = item;
    const char *x = memrchr(p, ' ', item);
    if (x && x[1] == 'x' && x + 2 < p + item && strspn(x + 2, "0123456789") >= (size_t)(p + item - x - 2))
      word = (size_t)(x - p);
    if (word) set_add(set, p, word);
    p += item;
    while (*p == ',' || *p == ' ') p++;
  }
}

/* The outcomes a results cell takes: its "alternatives" (an unstable cell: its runs'
 * "closed x2, 502 x1", or the reference's "closed, 502"), else its "outcomes" (a --repeat
 * cell), else its one "got". */
static json_t *results_alternatives(const json_t *c, const char *got) {
  json_t *set = json_array();
  const char *alts = json_string_value(json_object_get(c, "alternatives"));
  const char *outcomes = json_string_value(json_object_get(c, "outcomes"));
  if (alts && alts[0]) set_from_outcomes(set, alts);
  else if (outcomes) set_from_outcomes(set, outcomes);
  if (json_array_size(set) == 0) set_add(set, got, strlen(got));
  return set;
}

/* One case of results.json as a side's cell, or NULL with err when a field is missing. */
static json_t *results_cell(const char *path, size_t i, const json_t *c, char *err, size_t errlen) {
  static const char *const required[] = {"proxy", "scenario", "got", "verdict"};
  if (!json_is_object(c)) {
    say(err, errlen, "%s: cases[%zu] is not an object", path, i);
    return NULL;
  }
  for (size_t k = 0; k < sizeof required / sizeof *required; k++) {
    if (!json_is_string(json_object_get(c, required[k]))) {
      say(err, errlen, "%s: cases[%zu] has no string \"%s\"", path, i, required[k]);
      return NULL;
    }
  }
  const char *got = json_string_value(json_object_get(c, "got"));
  const char *version = json_string_value(json_object_get(c, "proxy_version"));
  const char *expect = json_string_value(json_object_get(c, "expect"));
  return json_pack("{s:O, s:O, s:s, s:s, s:s, s:O, s:o}", "proxy", json_object_get(c, "proxy"), "scenario",
                   json_object_get(c, "scenario"), "version", version ? version : "", "expect",
                   expect ? expect : "", "got", got, "verdict", json_object_get(c, "verdict"), "alternatives",
                   results_alternatives(c, got));
}

/* Counts the cell into its proxy's entry; the version is the first one a case names (a
 * skipped case of a proxy that is not installed names none). */
static void proxy_count(json_t *proxies, const json_t *cell) {
  const char *name = json_string_value(json_object_get(cell, "proxy"));
  const char *version = json_string_value(json_object_get(cell, "version"));
  json_t *p = json_object_get(proxies, name);
  if (!p) {
    p = json_pack("{s:n, s:I, s:n}", "version", "cells", (json_int_t)0, "note");
    json_object_set_new(proxies, name, p);
  }
  json_object_set_new(p, "cells", json_integer(json_integer_value(json_object_get(p, "cells")) + 1));
  if (version && version[0] && json_is_null(json_object_get(p, "version")))
    json_object_set_new(p, "version", json_string(version));
}

json_t *diff_side_results(const char *path, char *err, size_t errlen) {
  json_error_t jerr;
  json_t *doc = json_load_file(path, 0, &jerr);
  if (!doc) {
    if (!is_file(path)) say(err, errlen, "%s: cannot read it: %s", path, strerror(errno));
    else say(err, errlen, "%s:%d:%d: not JSON: %s", path, jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  const json_t *cases = json_object_get(doc, "cases");
  if (!json_is_object(doc) || !json_is_array(cases)) {
    say(err, errlen, "%s: not a badup results file (no \"cases\" array)", path);
    json_decref(doc);
    return NULL;
  }
  json_t *repeat = json_object_get(doc, "repeat");
  json_t *side = json_pack("{s:s, s:s, s:O, s:O, s:o, s:{}, s:{}}", "kind", "results", "path", path, "started",
                           json_is_string(json_object_get(doc, "started")) ? json_object_get(doc, "started")
                                                                             : json_null(),
                           "repeat", json_is_integer(repeat) ? repeat : json_null(), "settings",
                           results_settings(doc), "proxies", "cells");
  json_t *proxies = json_object_get(side, "proxies"), *cells = json_object_get(side, "cells");
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    json_t *cell = results_cell(path, i, c, err, errlen);
    if (!cell) {
      json_decref(side);
      json_decref(doc);
      return NULL;
    }
    char key[512];
    diff_cell_key(key, sizeof key, json_string_value(json_object_get(cell, "proxy")),
                  json_string_value(json_object_get(cell, "scenario")));
    proxy_count(proxies, cell);
    json_object_set_new(cells, key, cell);
  }
  json_decref(doc);
  return side;
}

/* ---- the reference standing in -------------------------------------------------------- */

static bool setting_true(const json_t *settings, const char *name) {
  return json_is_true(json_object_get(settings, name));
}

/* The reference's settings: the defaults it is recorded with, and the other side's variant. */
static json_t *reference_settings(const json_t *other) {
  const json_t *o = json_object_get(other, "settings");
  return json_pack("{s:f, s:f, s:f, s:I, s:O, s:O, s:O, s:O, s:n}", "connect_s", BADUP_CONNECT_TIMEOUT_S, "read_s",
                   BADUP_READ_TIMEOUT_S, "client_s", BADUP_CLIENT_TIMEOUT_S, "max_body", (json_int_t)BADUP_MAX_BODY,
                   "retries", json_object_get(o, "retries") ? json_object_get(o, "retries") : json_false(),
                   "client_tls", json_boolean(setting_true(o, "client_tls")), "upstream_tls",
                   json_boolean(setting_true(o, "upstream_tls")), "client_http2",
                   json_boolean(setting_true(o, "client_http2")), "shard");
}

/* The reference's cell for one scenario of the other side, or NULL when none is recorded. */
static json_t *reference_cell(const struct reference *ref, const char *version, const char *proxy,
                              const char *scenario) {
  struct reference_record rec;
  if (!reference_lookup(ref, version, scenario, &rec) || !rec.got[0]) return NULL;
  json_t *set = json_array();
  for (size_t k = 0; k < rec.nseen; k++) set_add(set, rec.seen[k], strlen(rec.seen[k]));
  if (json_array_size(set) == 0) set_add(set, rec.got, strlen(rec.got));
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "proxy", proxy, "scenario", scenario, "version", version,
                   "expect", rec.expect, "got", rec.got, "verdict",
                   json_array_size(set) > 1 ? "unstable" : "recorded", "alternatives", set);
}

/* One proxy of the other side, from its file in dir, into side. 0, or -1 with err. */
static int reference_proxy_into(json_t *side, const char *dir, const json_t *other, const char *proxy,
                                const json_t *other_entry, char *err, size_t errlen) {
  const json_t *o = json_object_get(other, "settings");
  char key[256], why[1024];
  reference_key(key, sizeof key, proxy, setting_true(o, "retries"), setting_true(o, "upstream_tls"),
                setting_true(o, "client_tls"), setting_true(o, "client_http2"));
  struct reference *ref = reference_load(dir, key, why, sizeof why);
  if (!ref) return say(err, errlen, "%s", why);
  const char *ran = json_string_value(json_object_get(other_entry, "version"));
  const char *version = reference_version_for(ref, ran ? ran : "");
  json_t *entry = json_pack("{s:n, s:I, s:n, s:n}", "version", "cells", (json_int_t)0, "note", "version_from");
  json_object_set_new(json_object_get(side, "proxies"), proxy, entry);
  char note[1024];
  if (!version) {
    snprintf(note, sizeof note, "nothing recorded in %s/%s.json", dir, key);
  } else {
    json_object_set_new(entry, "version", json_string(version));
    bool same = ran && !strcmp(ran, version);
    json_object_set_new(entry, "version_from", json_string(same ? "ran" : "newest"));
    if (same)
      snprintf(note, sizeof note, "%s %s from %s.json: the version the other side ran", proxy, version, key);
    else
      snprintf(note, sizeof note, "%s %s from %s.json: the newest recorded (the other side ran %s, not recorded)",
               proxy, version, key, ran && ran[0] ? ran : "no version");
  }
  json_object_set_new(entry, "note", json_string(note));
  const char *k;
  json_t *c;
  json_object_foreach((json_t *)json_object_get(other, "cells"), k, c) {
    if (!version || strcmp(json_string_value(json_object_get(c, "proxy")), proxy) != 0) continue;
    json_t *cell = reference_cell(ref, version, proxy, json_string_value(json_object_get(c, "scenario")));
    if (!cell) continue;
    json_object_set_new(json_object_get(side, "cells"), k, cell);
    json_object_set_new(entry, "cells", json_integer(json_integer_value(json_object_get(entry, "cells")) + 1));
  }
  reference_free(ref);
  return 0;
}

json_t *diff_side_reference(const char *dir, const json_t *other, char *err, size_t errlen) {
  json_t *side = json_pack("{s:s, s:s, s:n, s:n, s:o, s:{}, s:{}}", "kind", "reference", "path", dir, "started",
                           "repeat", "settings", reference_settings(other), "proxies", "cells");
  const char *proxy;
  json_t *entry;
  json_object_foreach((json_t *)json_object_get(other, "proxies"), proxy, entry) {
    if (reference_proxy_into(side, dir, other, proxy, entry, err, errlen) < 0) {
      json_decref(side);
      return NULL;
    }
  }
  return side;
}
