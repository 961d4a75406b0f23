/* results.c: results.json from the rows; the other files are rendered from it (results_render.c). */
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "jsonio.h"
#include "results_render.h"

/* ---- writers -------------------------------------------------------------------- */

static json_t *assertions_json(const struct case_result *cr);

/* Did the upstream see more requests than the client sent while retries were off? Only
 * for a scenario whose client sends its `requests` through curl: a client part or raw
 * bytes may hold several requests the harness does not count. */
static bool row_retried(const struct row *r, const struct run_opts *opts) {
  if (!opts || opts->retries || r->scn->client || r->scn->client_request) return false;
  long sent = r->scn->requests > 0 ? r->scn->requests : 1;
  for (int i = 0; i < r->repeat && (i == 0 || r->more); i++) {
    const struct case_result *cr = row_run_const(r, i);
    if (cr->ran && cr->attempts > sent) return true;
  }
  return false;
}

/* opts may be NULL (a table of rows alone): then no TLS and no retries are told. */
static json_t *row_json(const struct row *r, const struct run_opts *opts) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "proxy", r->proxy->name, "proxy_version",
                        r->proxy->version ? r->proxy->version : "", "scenario", r->scn->name, "expect", scenario_expect_text(r->scn),
                        "got", row_got(r), "verdict", verdict_word(r->verdict));
  json_object_set_new(o, "reason", json_text(r->reason));
  /* the cell's place in the unsharded matrix: badup merge puts shards back in this order */
  json_object_set_new(o, "cell", json_integer((json_int_t)r->cell));
  json_object_set_new(o, "summary", json_text(r->scn->summary));
  /* Its folder, relative to the results folder; none for a case that never ran. */
  if (r->r.ran) {
    char dir[1024];
    snprintf(dir, sizeof dir, "cases/%s/%s", r->proxy->name, r->scn->name);
    json_object_set_new(o, "case_dir", json_text(dir));
  } else {
    json_object_set_new(o, "case_dir", json_null());
  }
  if (r->alternatives[0]) json_object_set_new(o, "alternatives", json_string(r->alternatives));
  if (row_retried(r, opts)) json_object_set_new(o, "retried", json_true());
  /* the upstream spoke TLS (its scenario's tls table, or --upstream-tls) */
  json_object_set_new(o, "tls", json_boolean(opts && case_is_tls(r->scn, opts)));
  /* the upstream spoke HTTP/2 (its scenario's http2) */
  json_object_set_new(o, "http2", json_boolean(case_is_http2(r->scn)));
  json_object_set_new(o, "reference", r->reference[0] ? json_string(r->reference) : json_null());
  json_object_set_new(o, "reference_version", r->reference_version[0] ? json_string(r->reference_version) : json_null());
  json_object_set_new(o, "elapsed_ms", json_real(r->r.elapsed_ms));
  json_object_set_new(o, "first_byte_ms", json_real(r->r.first_byte_ms));
  json_object_set_new(o, "proxy_ready_ms", json_real(r->r.ready_ms));
  json_object_set_new(o, "overhead_ms", json_real(r->r.overhead_ms));
  json_object_set_new(o, "upstream_attempts", json_integer(r->r.attempts));
  json_object_set_new(o, "upstream_connections", json_integer(r->r.upstream_connections));
  json_object_set_new(o, "proxy_log", json_text(r->r.proxy_log));
  json_object_set_new(o, "detail", json_text(r->r.detail));
  /* The upstream read timeout the proxy got, where the scenario gave its own in place of
   * the run's (timeouts.read_s): a reader of one case must not assume the run's. */
  if (r->scn->proxy_read_timeout > 0) json_object_set_new(o, "read_timeout_s", json_real(r->scn->proxy_read_timeout));
  json_t *assertions = assertions_json(&r->r);
  if (assertions) json_object_set_new(o, "assertions", assertions);
  if (r->outcomes[0]) json_object_set_new(o, "outcomes", json_string(r->outcomes));
  if (r->repeat > 1 && r->more) {
    json_t *runs = json_array();
    for (int i = 0; i < r->repeat; i++) {
      const struct case_result *cr = row_run_const(r, i);
      if (!cr->ran) continue;
      json_t *run = json_pack("{s:s, s:f, s:I}", "got", cr->got, "elapsed_ms", round(cr->elapsed_ms * 1000) / 1000,
                              "upstream_attempts", (json_int_t)cr->attempts);
      json_object_set_new(run, "detail", json_text(cr->detail));
      json_t *run_assertions = assertions_json(cr);
      if (run_assertions) json_object_set_new(run, "assertions", run_assertions);
      json_array_append_new(runs, run);
    }
    json_object_set_new(o, "runs", runs);
  }
  return o;
}

/* The assertions of a table expect: [{id, expected, got, ok}], or NULL without one. */
static json_t *assertions_json(const struct case_result *cr) {
  if (!cr->expect.evaluated) return NULL;
  json_t *arr = json_array();
  for (size_t i = 0; i < cr->expect.n; i++) {
    const struct expect_assertion *a = &cr->expect.a[i];
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "id", a->id, "expected", a->expected, "got",
                                         a->got, "ok", a->ok));
  }
  return arr;
}

/* The proxies of the rows, each once, in the order the rows first name them (the table's
 * columns): name, version, binary (null when not installed). */
static json_t *proxies_json(const struct row *rows, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = rows[j].proxy == rows[i].proxy;
    if (seen) continue;
    const struct proxy_def *p = rows[i].proxy;
    json_t *o = json_pack("{s:s}", "name", p->name);
    json_object_set_new(o, "version", p->version ? json_text(p->version) : json_null());
    json_object_set_new(o, "binary", p->binary ? json_text(p->binary) : json_null());
    json_array_append_new(arr, o);
  }
  return arr;
}

json_t *results_doc(const struct row *rows, size_t n, const struct run_info *info) {
  json_t *arr = json_array();
  size_t retried = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *c = row_json(&rows[i], info->opts);
    retried += json_is_true(json_object_get(c, "retried"));
    json_array_append_new(arr, c);
  }
  json_t *doc = json_pack("{s:s, s:f, s:b, s:i, s:i, s:{s:f, s:f, s:b, s:f, s:I}, s:o}", "started", info->started,
                          "duration_s", info->duration_s, "interrupted", info->interrupted, "jobs", info->jobs, "repeat",
                          info->repeat > 0 ? info->repeat : 1, "timeouts", "connect_s", info->opts->connect_timeout,
                          "read_s", info->opts->read_timeout, "retries", info->opts->retries, "client_s",
                          info->opts->client_timeout, "max_body", (json_int_t)info->opts->max_body, "cases", arr);
  if (!doc) return NULL;
  if (info->shard) json_object_set_new(doc, "shard", json_string(info->shard));
  /* --client-tls: the client spoke TLS to every proxy (the CA in tls/ca.crt beside it) */
  json_object_set_new(doc, "client_tls", json_boolean(info->opts->client_tls));
  json_object_set_new(doc, "upstream_tls", json_boolean(info->opts->upstream_tls));
  /* --client-http2: the client spoke HTTP/2 to every proxy */
  json_object_set_new(doc, "client_http2", json_boolean(info->opts->client_http2));
  json_object_set_new(doc, "proxies", proxies_json(rows, n));
  /* Cases whose upstream saw more requests than the client sent, with --retries off: the
   * proxy's config retries (a --proxy-config of the user's, most often). */
  json_object_set_new(doc, "retries_seen", json_integer((json_int_t)retried));
  if (info->provenance) json_object_update_missing(doc, (json_t *)info->provenance);
  return doc;
}

int results_write(const char *dir, const struct row *rows, size_t n, const struct run_info *info, json_t **doc_out) {
  if (doc_out) *doc_out = NULL;
  json_t *doc = results_doc(rows, n, info);
  if (!doc) return -ENOMEM;
  char path[4096];
  snprintf(path, sizeof path, "%s/results.json", dir);
  int rc = jsonio_write(path, doc);
  int rc2 = results_publish(dir, doc);
  if (doc_out) *doc_out = doc;
  else json_decref(doc);
  return rc ? rc : rc2;
}

void results_table(FILE *out, const struct row *rows, size_t n, bool md) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, row_json(&rows[i], NULL));
  json_t *doc = json_pack("{s:o}", "cases", arr);
  results_render_table(out, doc, md);
  json_decref(doc);
}
