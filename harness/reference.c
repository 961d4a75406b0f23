/* reference.c: results/reference/<key>.json, read and recorded. See reference.h. */
#include "reference.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonio.h"

struct reference {
  json_t *doc; /* {"proxy": key, "versions": {...}}: "versions" is always an object */
};

void reference_key(char *out, size_t len, const char *proxy, bool retries, bool upstream_tls, bool client_tls,
                   bool client_http2) {
  snprintf(out, len, "%s%s%s%s%s", proxy, retries ? "+retries" : "", upstream_tls ? "+tls" : "",
           client_tls ? "+ctls" : "", client_http2 ? "+ch2" : "");
}

static struct reference *wrap(json_t *doc) {
  struct reference *ref = doc ? malloc(sizeof *ref) : NULL;
  if (!ref) {
    json_decref(doc);
    return NULL;
  }
  ref->doc = doc;
  return ref;
}

/* A parsed file with its "versions" object, or NULL (and doc released). */
static json_t *checked(json_t *doc) {
  if (doc && json_is_object(json_object_get(doc, "versions"))) return doc;
  json_decref(doc);
  return NULL;
}

/* Why a scenario's entry has the wrong shape, or NULL: every field the file may hold has its
 * type, so a hand-edited file cannot be half read. */
static const char *entry_error(json_t *e) {
  static const char *const texts[] = {"got", "expect", "proxy_log", "scenario_digest"};
  static const char *const numbers[] = {"elapsed_ms", "case_ms"};
  if (!json_is_object(e)) return "is not an object";
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    if (json_object_get(e, texts[i]) && !json_is_string(json_object_get(e, texts[i]))) return texts[i];
  for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
    if (json_object_get(e, numbers[i]) && !json_is_number(json_object_get(e, numbers[i]))) return numbers[i];
  json_t *attempts = json_object_get(e, "upstream_attempts");
  if (attempts && !json_is_integer(attempts)) return "upstream_attempts";
  json_t *seen = json_object_get(e, "seen"), *x;
  size_t i;
  if (seen && !json_is_array(seen)) return "seen";
  json_array_foreach(seen, i, x) if (!json_is_string(x)) return "seen";
  return NULL;
}

/* Says into why (size len) what is wrong with the shape of a parsed file of key; false when
 * nothing is. */
static bool shape_error(json_t *doc, const char *key, char *why, size_t len) {
  if (!json_is_object(doc)) return snprintf(why, len, "not a JSON object"), true;
  const char *proxy = json_string_value(json_object_get(doc, "proxy"));
  if (!proxy) return snprintf(why, len, "\"proxy\" is missing or not a string"), true;
  if (strcmp(proxy, key))
    return snprintf(why, len, "it is the reference of \"%s\", not of \"%s\"", proxy, key), true;
  json_t *versions = json_object_get(doc, "versions");
  if (!json_is_object(versions)) return snprintf(why, len, "\"versions\" is missing or not an object"), true;
  const char *version, *scenario;
  json_t *v, *e;
  json_object_foreach(versions, version, v) {
    if (!json_is_object(v)) return snprintf(why, len, "version \"%s\" is not an object", version), true;
    for (const char *const *f = (const char *const[]){"binary", "recorded", NULL}; *f; f++)
      if (json_object_get(v, *f) && !json_is_string(json_object_get(v, *f)))
        return snprintf(why, len, "version \"%s\": \"%s\" is not a string", version, *f), true;
    json_t *sc = json_object_get(v, "scenarios");
    if (sc && !json_is_object(sc))
      return snprintf(why, len, "version \"%s\": \"scenarios\" is not an object", version), true;
    json_object_foreach(sc, scenario, e) {
      const char *bad = entry_error(e);
      if (bad)
        return snprintf(why, len, "version \"%s\", scenario \"%s\": %s%s", version, scenario, bad,
                        json_is_object(e) ? " has the wrong type" : ""),
               true;
    }
  }
  return false;
}

struct reference *reference_load(const char *dir, const char *key, char *err, size_t errlen) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.json", dir, key);
  json_t *doc;
  if (access(path, F_OK) != 0 && errno == ENOENT) {
    doc = json_pack("{s:s, s:{}}", "proxy", key, "versions");
  } else {
    json_error_t jerr;
    char why[384];
    doc = json_load_file(path, 0, &jerr);
    if (!doc) {
      snprintf(err, errlen, "%s: line %d: %s", path, jerr.line, jerr.text);
      return NULL;
    }
    if (shape_error(doc, key, why, sizeof why)) {
      snprintf(err, errlen, "%s: %s", path, why);
      json_decref(doc);
      return NULL;
    }
  }
  struct reference *ref = wrap(doc);
  if (!ref) snprintf(err, errlen, "%s: out of memory", path);
  return ref;
}

struct reference *reference_read(const char *path, char *err, size_t errlen) {
  json_error_t jerr;
  json_t *doc = json_load_file(path, 0, &jerr);
  if (!doc) {
    snprintf(err, errlen, "%d: %s", jerr.line, jerr.text);
    return NULL;
  }
  /* A file without versions holds nothing, which is not an error for a reader. */
  if (!json_is_object(json_object_get(doc, "versions"))) json_object_set_new(doc, "versions", json_object());
  return wrap(doc);
}

struct reference *reference_parse(const char *text) { return wrap(checked(json_loads(text, 0, NULL))); }

void reference_free(struct reference *ref) {
  if (!ref) return;
  json_decref(ref->doc);
  free(ref);
}

const char *reference_proxy(const struct reference *ref) {
  return ref ? json_string_value(json_object_get(ref->doc, "proxy")) : NULL;
}

static json_t *versions_of(const struct reference *ref) { return json_object_get(ref->doc, "versions"); }

size_t reference_versions(const struct reference *ref, const char **out, size_t max) {
  size_t n = 0;
  const char *version;
  json_t *v;
  if (ref) json_object_foreach(versions_of(ref), version, v) if (n < max) out[n++] = version;
  return n;
}

const char *reference_version_for(const struct reference *ref, const char *version) {
  json_t *versions = versions_of(ref);
  if (!version) version = "";
  if (json_object_get(versions, version)) return version;
  const char *key, *best = NULL;
  json_t *val;
  json_object_foreach(versions, key, val) if (!best || strverscmp(key, best) > 0) best = key;
  return best;
}

static const char *text_of(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static double number_of(json_t *o, const char *key) {
  json_t *n = json_object_get(o, key);
  return json_is_number(n) ? json_number_value(n) : -1;
}

static void fill(struct reference_record *r, const char *version, const char *scenario, json_t *e) {
  json_t *attempts = json_object_get(e, "upstream_attempts");
  long n_attempts = json_is_integer(attempts) ? (long)json_integer_value(attempts) : -1;
  *r = (struct reference_record){.version = version,
                                 .scenario = scenario,
                                 .got = text_of(e, "got"),
                                 .expect = text_of(e, "expect"),
                                 .elapsed_ms = number_of(e, "elapsed_ms"),
                                 .case_ms = number_of(e, "case_ms"),
                                 .upstream_attempts = n_attempts,
                                 .proxy_log = text_of(e, "proxy_log"),
                                 .digest = text_of(e, "scenario_digest")};
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(e, "seen"), i, x) if (json_string_value(x) && r->nseen < REFERENCE_SEEN_MAX)
      r->seen[r->nseen++] = json_string_value(x);
}

static json_t *scenarios_of(json_t *version) { return json_object_get(version, "scenarios"); }

bool reference_lookup(const struct reference *ref, const char *version, const char *scenario,
                      struct reference_record *out) {
  if (!ref) return false;
  json_t *v = json_object_get(versions_of(ref), version ? version : "");
  json_t *e = json_object_get(scenarios_of(v), scenario);
  if (!json_is_object(e)) return false;
  fill(out, version ? version : "", scenario, e);
  return true;
}

bool reference_record_seen(const struct reference_record *rec, const char *got) {
  for (size_t i = 0; i < rec->nseen; i++)
    if (!strcmp(rec->seen[i], got)) return true;
  return false;
}

void reference_record_seen_list(const struct reference_record *rec, char *out, size_t len) {
  out[0] = 0;
  size_t used = 0;
  for (size_t i = 0; i < rec->nseen; i++) {
    int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "", rec->seen[i]);
    if (n < 0 || (size_t)n >= len - used) break;
    used += (size_t)n;
  }
}

double reference_case_ms(const struct reference *ref, const char *version, const char *scenario, double unknown_ms) {
  struct reference_record rec;
  if (!reference_lookup(ref, version, scenario, &rec)) return unknown_ms;
  return rec.case_ms >= 0 ? rec.case_ms : rec.elapsed_ms >= 0 ? rec.elapsed_ms : unknown_ms;
}

bool reference_next(const struct reference *ref, struct reference_iter *it, struct reference_record *out) {
  json_t *versions = versions_of(ref);
  if (!it->started) {
    it->started = true;
    it->version = json_object_iter(versions);
    it->scenario = it->version ? json_object_iter(scenarios_of(json_object_iter_value(it->version))) : NULL;
  } else if (it->scenario) {
    it->scenario = json_object_iter_next(scenarios_of(json_object_iter_value(it->version)), it->scenario);
  }
  while (it->version && !it->scenario) {
    it->version = json_object_iter_next(versions, it->version);
    if (it->version) it->scenario = json_object_iter(scenarios_of(json_object_iter_value(it->version)));
  }
  if (!it->version) return false;
  fill(out, json_object_iter_key(it->version), json_object_iter_key(it->scenario),
       json_object_iter_value(it->scenario));
  return true;
}

static bool array_has(json_t *arr, const char *s) {
  size_t i;
  json_t *x;
  json_array_foreach(arr, i, x) if (json_string_value(x) && !strcmp(json_string_value(x), s)) return true;
  return false;
}

/* The scenarios object with its keys sorted, so the checked-in file diffs well. */
static json_t *sorted(json_t *sc) {
  json_t *out = json_object();
  const char **keys = calloc(json_object_size(sc) + 1, sizeof *keys);
  size_t nk = 0;
  const char *name;
  json_t *val;
  json_object_foreach(sc, name, val) keys[nk++] = name;
  for (size_t i = 1; i < nk; i++)
    for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
      const char *t = keys[j];
      keys[j] = keys[j - 1];
      keys[j - 1] = t;
    }
  for (size_t i = 0; i < nk; i++) json_object_set(out, keys[i], json_object_get(sc, keys[i]));
  free(keys);
  return out;
}

int reference_update(const char *dir, const char *key, const char *version, const char *binary,
                     const struct reference_record *recs, size_t n) {
  if (n == 0) return 0;
  char why[512];
  /* A file that does not read is never replaced: what it held would be lost. */
  struct reference *ref = reference_load(dir, key, why, sizeof why);
  if (!ref) return -EINVAL;
  json_t *versions = versions_of(ref);
  json_t *v = json_object_get(versions, version);
  if (!v) {
    v = json_pack("{s:s, s:{}}", "binary", binary, "scenarios");
    json_object_set_new(versions, version, v);
  }
  json_t *sc = scenarios_of(v);
  char date[16];
  time_t now = time(NULL);
  struct tm tm;
  strftime(date, sizeof date, "%Y-%m-%d", gmtime_r(&now, &tm));
  json_object_set_new(v, "recorded", json_string(date));
  for (size_t i = 0; i < n; i++) {
    const struct reference_record *r = &recs[i];
    /* "seen" keeps every outcome recorded for this version: a proxy that answers one way
     * or another depending on scheduling is racy there, and every answer is what that
     * version does (the verdict of such a cell is "unstable", never "fail"). */
    json_t *old = json_object_get(sc, r->scenario);
    json_t *seen = json_array();
    size_t k;
    json_t *x;
    /* Outcomes recorded for another file of the same name (the scenario changed, or a
     * user's own scenario took a catalog name) say nothing about this one. */
    const char *old_digest = json_string_value(json_object_get(old, "scenario_digest"));
    if (!old_digest || !r->digest[0] || !strcmp(old_digest, r->digest))
      json_array_foreach(json_object_get(old, "seen"), k, x) json_array_append(seen, x);
    for (size_t s = 0; s < r->nseen; s++)
      if (!array_has(seen, r->seen[s])) json_array_append_new(seen, json_string(r->seen[s]));
    json_t *entry = json_pack("{s:s, s:o, s:s, s:f, s:f, s:I}", "got", r->got, "seen", seen, "expect", r->expect,
                              "elapsed_ms", round(r->elapsed_ms * 1000) / 1000, "case_ms",
                              round(r->case_ms * 1000) / 1000, "upstream_attempts", (json_int_t)r->upstream_attempts);
    json_object_set_new(entry, "proxy_log", json_text(r->proxy_log));
    if (r->digest[0]) json_object_set_new(entry, "scenario_digest", json_string(r->digest));
    json_object_set_new(sc, r->scenario, entry);
  }
  json_object_set_new(v, "scenarios", sorted(sc));
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.json", dir, key);
  int rc = jsonio_write(path, ref->doc);
  reference_free(ref);
  return rc;
}
