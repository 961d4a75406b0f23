/* results.c: results.json, results.csv, junit.xml, report.md. */
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

/* ---- writers -------------------------------------------------------------------- */

static json_t *assertions_json(const struct case_result *cr);

static json_t *row_json(const struct row *r, const struct run_opts *opts) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "proxy", r->proxy->name, "proxy_version",
                        r->proxy->version ? r->proxy->version : "", "scenario", r->scn->name, "expect", scenario_expect_text(r->scn),
                        "got", row_got(r), "verdict", verdict_word(r->verdict));
  json_object_set_new(o, "reason", json_text(r->reason));
  /* the upstream spoke TLS (its scenario's tls table, or --upstream-tls) */
  json_object_set_new(o, "tls", json_boolean(case_is_tls(r->scn, opts)));
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
  if (r->repeat > 1) {
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

static void csv_field(struct buf *b, const char *s, bool last) {
  bool quote = strpbrk(s, ",\"\n\r") != NULL;
  if (quote) buf_puts(b, "\"");
  for (const char *c = s; *c; c++) {
    if (*c == '"') buf_puts(b, "\"\"");
    else buf_append(b, c, 1);
  }
  if (quote) buf_puts(b, "\"");
  buf_puts(b, last ? "\r\n" : ",");
}

static void xml_text(struct buf *b, const char *s) {
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    switch (*c) {
    case '<': buf_puts(b, "&lt;"); break;
    case '>': buf_puts(b, "&gt;"); break;
    case '&': buf_puts(b, "&amp;"); break;
    case '"': buf_puts(b, "&quot;"); break;
    default:
      if (*c < 0x20 && *c != '\n' && *c != '\t') buf_puts(b, "?"); /* not allowed in XML 1.0 */
      else buf_append(b, c, 1);
    }
  }
}

/* An unstable cell names every outcome seen: "closed x2, 502 x1" (or a reference's
 * "closed, 502") becomes "closed|502". An outcome may be a signature with spaces
 * ("200 !connection"): items end at ", ", and a count is a last " xN". */
static void outcome_alternatives(const char *outcomes, char *out, size_t len) {
  size_t used = 0;
  out[0] = 0;
  for (const char *p = outcomes; *p;) {
    const char *end = strstr(p, ", ");
    size_t item = end ? (size_t)(end - p) : strlen(p), word = item;
    const char *x = memrchr(p, ' ', item);
    if (x && x[1] == 'x' && x + 2 < p + item && strspn(x + 2, "0123456789") == (size_t)(p + item - x - 2))
      word = (size_t)(x - p);
    int w = snprintf(out + used, len - used, "%s%.*s", used ? "|" : "", (int)word, p);
    if (w < 0 || (size_t)w >= len - used) break;
    used += (size_t)w;
    p += item;
    while (*p == ',' || *p == ' ') p++;
  }
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

static int write_junit(const char *path, const struct row *rows, size_t n, const struct run_info *info) {
  struct buf b = {0};
  size_t failures = 0, errors = 0, skipped = 0;
  for (size_t i = 0; i < n; i++) {
    const char *tag = verdict_info[rows[i].verdict].junit;
    failures += tag && !strcmp(tag, "failure");
    errors += tag && !strcmp(tag, "error");
    skipped += tag && !strcmp(tag, "skipped");
  }
  /* JUnit's own two kinds: a failure is the proxy's (an assertion that did not hold), an
   * error is the case's (it could not run, or the scenario raised). */
  buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"badup\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
             n, failures, errors, skipped, info->duration_s);
  buf_printf(&b, "  <testsuite name=\"badup run\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" timestamp=\"%s\">\n", n,
             failures, errors, skipped, info->started);
  for (size_t i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    buf_puts(&b, "    <testcase classname=\"badup.");
    xml_text(&b, r->proxy->name);
    buf_puts(&b, "\" name=\"");
    xml_text(&b, r->scn->name);
    buf_printf(&b, "\" time=\"%.3f\">", r->r.elapsed_ms / 1000);
    const char *tag = verdict_info[r->verdict].junit;
    if (tag && strcmp(tag, "skipped") != 0) {
      buf_printf(&b, "\n      <%s message=\"", tag);
      char msg[2048];
      snprintf(msg, sizeof msg, "expected %s, got %s%s%s", scenario_expect_text(r->scn), r->outcomes[0] ? r->outcomes : row_got(r),
               r->reason[0] ? ": " : "", r->reason);
      xml_text(&b, msg);
      buf_puts(&b, "\">");
      /* Every text here is a file's or a proxy's (a summary may hold '<' or '&'): escaped. */
      char text[2048];
      snprintf(text, sizeof text, "proxy %s %s, scenario %s (%s)\nexpected: %s\ngot: %s\n", r->proxy->name,
               r->proxy->version, r->scn->name, r->scn->summary, scenario_expect_text(r->scn),
               r->outcomes[0] ? r->outcomes : row_got(r));
      xml_text(&b, text);
      if (r->reference[0]) {
        snprintf(text, sizeof text, "reference (%s %s): %s\n", r->proxy->name, r->reference_version, r->reference);
        xml_text(&b, text);
      }
      for (size_t k = 0; k < r->r.expect.n; k++) {
        const struct expect_assertion *a = &r->r.expect.a[k];
        if (a->ok) continue;
        buf_puts(&b, "assertion ");
        xml_text(&b, a->id);
        buf_puts(&b, ": expected ");
        xml_text(&b, a->expected);
        buf_puts(&b, ", got ");
        xml_text(&b, a->got);
        buf_puts(&b, "\n");
      }
      if (r->r.detail[0]) {
        buf_puts(&b, "detail: ");
        xml_text(&b, r->r.detail);
        buf_puts(&b, "\n");
      }
      buf_puts(&b, "proxy log: ");
      xml_text(&b, r->r.proxy_log[0] ? r->r.proxy_log : "(nothing)");
      buf_printf(&b, "\n</%s>\n    ", tag);
    } else if (tag) {
      buf_printf(&b, "<%s message=\"", tag);
      xml_text(&b, r->reason);
      buf_puts(&b, "\"/>");
    } else {
      buf_puts(&b, "<system-out>");
      char msg[2048];
      snprintf(msg, sizeof msg, "%s: got %s (expect %s)%s%s", verdict_word(r->verdict), r->outcomes[0] ? r->outcomes : row_got(r),
               scenario_expect_text(r->scn), r->reason[0] ? ": " : "", r->reason);
      xml_text(&b, msg);
      buf_puts(&b, "</system-out>");
    }
    buf_puts(&b, "</testcase>\n");
  }
  buf_puts(&b, "  </testsuite>\n</testsuites>\n");
  int rc = b.oom ? -ENOMEM : fileio_write_atomic(path, b.data, b.len);
  buf_free(&b);
  return rc;
}

/* Column order: proxies in the order rows first name them; row order likewise. */
struct grid {
  const struct proxy_def *proxies[64];
  const struct scenario *scns[512];
  size_t np, ns;
};

static void grid_build(struct grid *g, const struct row *rows, size_t n) {
  memset(g, 0, sizeof *g);
  for (size_t i = 0; i < n; i++) {
    size_t k;
    for (k = 0; k < g->np && g->proxies[k] != rows[i].proxy; k++) {}
    if (k == g->np && g->np < 64) g->proxies[g->np++] = rows[i].proxy;
    for (k = 0; k < g->ns && g->scns[k] != rows[i].scn; k++) {}
    if (k == g->ns && g->ns < 512) g->scns[g->ns++] = rows[i].scn;
  }
}

static const struct row *grid_find(const struct row *rows, size_t n, const struct proxy_def *p, const struct scenario *s) {
  for (size_t i = 0; i < n; i++)
    if (rows[i].proxy == p && rows[i].scn == s) return &rows[i];
  return NULL;
}

static void cell(char *out, size_t len, const struct row *r) {
  if (!r) {
    snprintf(out, len, " ");
    return;
  }
  char alt[EXPECT_SIGNATURE_MAX];
  switch (r->verdict) {
  case VERDICT_PASS: snprintf(out, len, "%s", row_got(r)); break;
  case VERDICT_DEVIATES: snprintf(out, len, "%s ~", row_got(r)); break;
  case VERDICT_UNSTABLE:
    outcome_alternatives(r->alternatives[0] ? r->alternatives : row_got(r), alt, sizeof alt);
    snprintf(out, len, "%s ?", alt);
    break;
  case VERDICT_FAIL: snprintf(out, len, "%s !", row_got(r)); break;
  case VERDICT_ERROR: snprintf(out, len, "ERROR !"); break;
  case VERDICT_SKIPPED:
  case VERDICT_NOT_RUN: snprintf(out, len, "-"); break;
  case VERDICT__COUNT: break;
  }
}

/* A terminal cell longer than this is cut ("..."): a signature lists every failed assertion,
 * and one long cell must not push the other proxies off the screen. report.md and the list
 * under the table keep it whole. */
#define TEXT_CELL_MAX 44

/* A markdown table cell's text: its "|" ("502|200", "closed|502") escaped, or the row splits. */
static void md_escape(char *c, size_t len) {
  char copy[EXPECT_SIGNATURE_MAX + 8];
  snprintf(copy, sizeof copy, "%s", c);
  size_t used = 0;
  for (const char *p = copy; *p && used + 3 < len; p++) {
    if (*p == '|') c[used++] = '\\';
    c[used++] = *p;
  }
  c[used] = 0;
}

static void table_cell(char *c, size_t len, const struct row *r, bool md) {
  cell(c, len, r);
  if (md) md_escape(c, len);
  if (!md && strlen(c) > TEXT_CELL_MAX) {
    /* keep the verdict mark (" ~", " !", " ?") at the end */
    size_t n = strlen(c);
    bool mark = n >= 2 && c[n - 2] == ' ' && strchr("~!?", c[n - 1]);
    char tail[3] = "";
    if (mark) memcpy(tail, c + n - 2, 3);
    size_t at = TEXT_CELL_MAX - 3 - (mark ? 2 : 0);
    snprintf(c + at, len - at, "...%s", tail);
  }
}

void results_table(FILE *out, const struct row *rows, size_t n, bool md) {
  struct grid g;
  grid_build(&g, rows, n);
  int w0 = 8, we = 14; /* the scenario and expect columns: as wide as their longest text */
  for (size_t s = 0; s < g.ns; s++) {
    if ((int)strlen(g.scns[s]->name) > w0) w0 = (int)strlen(g.scns[s]->name);
    if ((int)strlen(scenario_expect_text(g.scns[s])) > we) we = (int)strlen(scenario_expect_text(g.scns[s]));
  }
  /* each proxy's column as wide as its name or its widest cell */
  int *w = calloc(g.np ? g.np : 1, sizeof *w);
  if (!w) return;
  for (size_t p = 0; p < g.np; p++) {
    w[p] = (int)strlen(g.proxies[p]->name);
    for (size_t s = 0; s < g.ns; s++) {
      char c[EXPECT_SIGNATURE_MAX + 8];
      table_cell(c, sizeof c, grid_find(rows, n, g.proxies[p], g.scns[s]), md);
      if ((int)strlen(c) > w[p]) w[p] = (int)strlen(c);
    }
  }
  const char *sep = md ? " | " : "  ";
  fprintf(out, "%s%-*s%s%-*s", md ? "| " : "", w0, "scenario", sep, we, "expect");
  for (size_t p = 0; p < g.np; p++) fprintf(out, "%s%-*s", sep, w[p], g.proxies[p]->name);
  fprintf(out, "%s\n", md ? " |" : "");
  if (md) {
    fprintf(out, "|%s|%s|", "---", "---");
    for (size_t p = 0; p < g.np; p++) fprintf(out, "---|");
    fprintf(out, "\n");
  }
  for (size_t s = 0; s < g.ns; s++) {
    char e[EXPECT_SIGNATURE_MAX + 8];
    snprintf(e, sizeof e, "%s", scenario_expect_text(g.scns[s]));
    if (md) md_escape(e, sizeof e);
    fprintf(out, "%s%-*s%s%-*s", md ? "| " : "", w0, g.scns[s]->name, sep, we, e);
    for (size_t p = 0; p < g.np; p++) {
      char c[EXPECT_SIGNATURE_MAX + 8];
      table_cell(c, sizeof c, grid_find(rows, n, g.proxies[p], g.scns[s]), md);
      fprintf(out, "%s%-*s", sep, w[p], c);
    }
    fprintf(out, "%s\n", md ? " |" : "");
  }
  free(w);
  fprintf(out, "%s%s\n", md ? "\n" : "", "cells: outcome as the client saw it; plain = pass (matches expect), ~ = deviates (matches the proxy's recorded reference), ? = unstable (the outcome varies; every one seen), ! = fail, ERROR ! = the case could not run or its scenario raised, - = skipped");
}

/* The scenarios that gave the proxies an upstream read timeout of their own, each once. */
static void report_own_read_timeouts(FILE *f, const struct row *rows, size_t n) {
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    const struct scenario *s = rows[i].scn;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = rows[j].scn == s;
    if (seen || !(s->proxy_read_timeout > 0)) continue;
    fprintf(f, "%s%s %g s", any ? ", " : "Upstream read timeout of the scenario's own (proxy_read_timeout): ", s->name,
            s->proxy_read_timeout);
    any = true;
  }
  if (any) fprintf(f, ".\n\n");
}

/* Why cells are "-" (results.h). Quadratic in the rows, which are a few thousand at most. */
void results_skipped(FILE *out, const struct row *rows, size_t n, const char *lead) {
  for (size_t i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    bool first = r->verdict == VERDICT_SKIPPED;
    for (size_t j = 0; first && j < i; j++)
      first = !(rows[j].verdict == VERDICT_SKIPPED && !strcmp(rows[j].reason, r->reason));
    if (!first) continue;
    size_t k = 0;
    for (size_t j = i; j < n; j++) k += rows[j].verdict == VERDICT_SKIPPED && !strcmp(rows[j].reason, r->reason);
    fprintf(out, "%s%zu case%s: %s\n", lead, k, k == 1 ? "" : "s", r->reason[0] ? r->reason : "(no reason given)");
  }
}

/* Which upstreams spoke TLS: every one (--upstream-tls), or the scenarios with a tls table. */
static void report_tls(FILE *f, const struct row *rows, size_t n, const struct run_opts *o) {
  if (o->upstream_tls) {
    fprintf(f, "Upstreams over TLS (--upstream-tls): every proxy verified the upstream's certificate against the "
               "run's CA (tls/ca.crt); judged against the proxies' \"+tls\" references.\n\n");
    return;
  }
  size_t tls = 0;
  for (size_t i = 0; i < n; i++) tls += case_is_tls(rows[i].scn, o);
  if (tls)
    fprintf(f, "Upstreams over TLS: %zu case%s whose scenario has a tls table (the run's CA: tls/ca.crt); the "
               "others plain HTTP.\n\n", tls, tls == 1 ? "" : "s");
  else
    fprintf(f, "Upstreams: plain HTTP.\n\n");
}

static int write_report(const char *path, const struct row *rows, size_t n, const struct run_info *info) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return -ENOMEM;
  size_t count[VERDICT__COUNT] = {0};
  for (size_t i = 0; i < n; i++) count[rows[i].verdict]++;
  char counts[256];
  verdict_summary(counts, sizeof counts, count);
  fprintf(f, "# badup run %s\n\n", info->started);
  fprintf(f, "%zu cases: %s%s. Duration %.1f s, %d jobs%s. Upstream connect timeout %g s, read timeout %g s, "
             "retries %s. Client timeout %g s, request bodies up to %ld bytes.\n\n",
          n, counts, info->interrupted ? " (interrupted)" : "", info->duration_s, info->jobs,
          info->repeat > 1 ? ", every case run several times (--repeat)" : "", info->opts->connect_timeout,
          info->opts->read_timeout, info->opts->retries ? "on" : "off", info->opts->client_timeout,
          info->opts->max_body);
  if (info->shard) fprintf(f, "Shard: %s.\n\n", info->shard);
  if (info->opts->client_tls)
    fprintf(f, "Client TLS (--client-tls): every proxy's frontend spoke TLS with a certificate of this run's own "
               "CA (tls/ca.crt), which the client verified; proxies without a TLS frontend were skipped.\n\n");
  if (info->opts->client_http2)
    fprintf(f, "Client HTTP/2 (--client-http2): the client spoke HTTP/2 to every proxy (%s); a body cut short is "
               "NNN+rst(CODE), a RST_STREAM with that error code; proxies without an HTTP/2 frontend and scenarios "
               "whose client sends raw HTTP/1 bytes were skipped.\n\n",
            info->opts->client_tls ? "ALPN h2" : "h2c with prior knowledge");
  report_tls(f, rows, n, info->opts);
  report_own_read_timeouts(f, rows, n);
  fprintf(f, "## Proxies\n\n| proxy | version | binary |\n|---|---|---|\n");
  struct grid g;
  grid_build(&g, rows, n);
  for (size_t p = 0; p < g.np; p++)
    fprintf(f, "| %s | %s | %s |\n", g.proxies[p]->name, g.proxies[p]->version ? g.proxies[p]->version : "-",
            g.proxies[p]->binary ? g.proxies[p]->binary : "not installed");
  fprintf(f, "\n## Outcomes\n\n");
  results_table(f, rows, n, true);
  fprintf(f, "\n## Not passing\n\n");
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    if (r->verdict == VERDICT_PASS || !verdict_info[r->verdict].judged) continue;
    any = true;
    fprintf(f, "- **%s / %s**: %s, expected %s, got %s%s%s", r->proxy->name, r->scn->name, verdict_word(r->verdict),
            scenario_expect_text(r->scn),
            r->outcomes[0] ? r->outcomes : row_got(r), r->reason[0] ? " (" : "", r->reason);
    fprintf(f, "%s", r->reason[0] ? ")" : "");
    if (r->r.proxy_log[0]) fprintf(f, "; proxy log: `%.300s`", r->r.proxy_log);
    fprintf(f, "\n");
  }
  size_t judged = 0, not_run = count[VERDICT_NOT_RUN];
  for (int v = 0; v < VERDICT__COUNT; v++) judged += verdict_info[v].judged ? count[v] : 0;
  if (!any && judged) fprintf(f, "Nothing: every case that ran passed.\n");
  else if (!any) fprintf(f, "Nothing ran.\n");
  if (not_run) fprintf(f, "\nThe run was interrupted: %zu case%s did not run.\n", not_run, not_run == 1 ? "" : "s");
  if (count[VERDICT_SKIPPED]) fprintf(f, "\n## Skipped\n\n");
  results_skipped(f, rows, n, "- ");
  fclose(f);
  int rc = fileio_write_atomic(path, text, len);
  free(text);
  return rc;
}

int results_write(const char *dir, const struct row *rows, size_t n, const struct run_info *info) {
  char path[4096];
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, row_json(&rows[i], info->opts));
  json_t *doc = json_pack("{s:s, s:f, s:b, s:i, s:i, s:{s:f, s:f, s:b, s:f, s:I}, s:o}", "started", info->started,
                          "duration_s", info->duration_s, "interrupted", info->interrupted, "jobs", info->jobs, "repeat",
                          info->repeat > 0 ? info->repeat : 1, "timeouts", "connect_s", info->opts->connect_timeout,
                          "read_s", info->opts->read_timeout, "retries", info->opts->retries, "client_s",
                          info->opts->client_timeout, "max_body", (json_int_t)info->opts->max_body, "cases", arr);
  if (info->shard) json_object_set_new(doc, "shard", json_string(info->shard));
  /* --client-tls: the client spoke TLS to every proxy (the CA in tls/ca.crt beside it) */
  json_object_set_new(doc, "client_tls", json_boolean(info->opts->client_tls));
  json_object_set_new(doc, "upstream_tls", json_boolean(info->opts->upstream_tls));
  /* --client-http2: the client spoke HTTP/2 to every proxy */
  json_object_set_new(doc, "client_http2", json_boolean(info->opts->client_http2));
  snprintf(path, sizeof path, "%s/results.json", dir);
  int rc = jsonio_write(path, doc);
  json_decref(doc);

  struct buf b = {0};
  buf_puts(&b, "proxy,proxy_version,scenario,expect,got,verdict,elapsed_ms,upstream_attempts,proxy_log,reason,reference,"
              "proxy_ready_ms,outcomes\r\n");
  for (size_t i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    char ms[32], att[32], ready[32];
    snprintf(ms, sizeof ms, "%.1f", r->r.elapsed_ms);
    snprintf(att, sizeof att, "%ld", r->r.attempts);
    snprintf(ready, sizeof ready, "%.1f", r->r.ready_ms);
    csv_field(&b, r->proxy->name, false);
    csv_field(&b, r->proxy->version ? r->proxy->version : "", false);
    csv_field(&b, r->scn->name, false);
    csv_field(&b, scenario_expect_text(r->scn), false);
    csv_field(&b, row_got(r), false);
    csv_field(&b, verdict_word(r->verdict), false);
    csv_field(&b, ms, false);
    csv_field(&b, att, false);
    csv_field(&b, r->r.proxy_log, false);
    csv_field(&b, r->reason, false);
    csv_field(&b, r->reference, false);
    csv_field(&b, ready, false);
    csv_field(&b, r->outcomes, true);
  }
  snprintf(path, sizeof path, "%s/results.csv", dir);
  int rc2 = b.oom ? -ENOMEM : fileio_write_atomic(path, b.data, b.len);
  buf_free(&b);
  snprintf(path, sizeof path, "%s/junit.xml", dir);
  int rc3 = write_junit(path, rows, n, info);
  snprintf(path, sizeof path, "%s/report.md", dir);
  int rc4 = write_report(path, rows, n, info);
  return rc ? rc : rc2 ? rc2 : rc3 ? rc3 : rc4;
}
