/* results_render.c: results.csv and junit.xml from a results.json document, and the one
 * place a results folder is published (results_render.h). report.md is
 * results_report.c's, the table results_table.c's. */
#include "results_render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "page.h"
#include "verdict.h"

int results_case_verdict(const json_t *c) {
  const char *w = results_str(c, "verdict");
  for (int v = 0; v < VERDICT__COUNT; v++)
    if (!strcmp(verdict_info[v].word, w)) return v;
  return -1;
}

int results_exit_code(const json_t *doc) {
  size_t i, judged = 0;
  json_t *c;
  int worst = 0;
  json_array_foreach(json_object_get(doc, "cases"), i, c) {
    int v = results_case_verdict(c);
    if (v < 0) {
      worst = 2; /* a word no badup writes: the document is not to be trusted */
      continue;
    }
    if (verdict_info[v].exit > worst) worst = verdict_info[v].exit;
    judged += verdict_info[v].judged;
  }
  if (!judged && json_array_size(json_object_get(doc, "cases")) && worst < 2) worst = 2;
  return worst;
}

/* ---- results.csv --------------------------------------------------------------------- */

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

int results_render_csv(const char *path, const json_t *doc) {
  struct buf b = {0};
  buf_puts(&b, "proxy,proxy_version,scenario,expect,got,verdict,elapsed_ms,upstream_attempts,proxy_log,reason,reference,"
              "proxy_ready_ms,outcomes\r\n");
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(doc, "cases"), i, r) {
    char ms[32], att[32], ready[32];
    snprintf(ms, sizeof ms, "%.1f", results_num(r, "elapsed_ms"));
    snprintf(att, sizeof att, "%lld", (long long)json_integer_value(json_object_get(r, "upstream_attempts")));
    snprintf(ready, sizeof ready, "%.1f", results_num(r, "proxy_ready_ms"));
    csv_field(&b, results_str(r, "proxy"), false);
    csv_field(&b, results_str(r, "proxy_version"), false);
    csv_field(&b, results_str(r, "scenario"), false);
    csv_field(&b, results_str(r, "expect"), false);
    csv_field(&b, results_str(r, "got"), false);
    csv_field(&b, results_str(r, "verdict"), false);
    csv_field(&b, ms, false);
    csv_field(&b, att, false);
    csv_field(&b, results_str(r, "proxy_log"), false);
    csv_field(&b, results_str(r, "reason"), false);
    csv_field(&b, results_str(r, "reference"), false);
    csv_field(&b, ready, false);
    csv_field(&b, results_str(r, "outcomes"), true);
  }
  int rc = b.oom ? -ENOMEM : fileio_write_atomic(path, b.data, b.len);
  buf_free(&b);
  return rc;
}

/* ---- junit.xml ----------------------------------------------------------------------- */

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

struct junit_counts {
  size_t tests, failures, errors, skipped;
};

static void junit_count(struct junit_counts *k, const json_t *c) {
  int v = results_case_verdict(c);
  const char *tag = v >= 0 ? verdict_info[v].junit : "error";
  k->tests++;
  k->failures += tag && !strcmp(tag, "failure");
  k->errors += tag && !strcmp(tag, "error");
  k->skipped += tag && !strcmp(tag, "skipped");
}

static void junit_case(struct buf *b, const json_t *r) {
  const char *proxy = results_str(r, "proxy"), *scn = results_str(r, "scenario"), *expect = results_str(r, "expect");
  const char *outcomes = results_str(r, "outcomes"), *got = outcomes[0] ? outcomes : results_str(r, "got");
  const char *reason = results_str(r, "reason");
  buf_puts(b, "    <testcase classname=\"badup.");
  xml_text(b, proxy);
  buf_puts(b, "\" name=\"");
  xml_text(b, scn);
  buf_printf(b, "\" time=\"%.3f\">", results_num(r, "elapsed_ms") / 1000);
  int v = results_case_verdict(r);
  const char *tag = v >= 0 ? verdict_info[v].junit : "error";
  if (tag && strcmp(tag, "skipped") != 0) {
    buf_printf(b, "\n      <%s message=\"", tag);
    char msg[2048];
    snprintf(msg, sizeof msg, "expected %s, got %s%s%s", expect, got, reason[0] ? ": " : "", reason);
    xml_text(b, msg);
    buf_puts(b, "\">");
    /* Every text here is a file's or a proxy's (a summary may hold '<' or '&'): escaped. */
    char text[2048];
    snprintf(text, sizeof text, "proxy %s %s, scenario %s (%s)\nexpected: %s\ngot: %s\n", proxy,
             results_str(r, "proxy_version"), scn, results_str(r, "summary"), expect, got);
    xml_text(b, text);
    if (json_is_string(json_object_get(r, "reference"))) {
      snprintf(text, sizeof text, "reference (%s %s): %s\n", proxy, results_str(r, "reference_version"),
               results_str(r, "reference"));
      xml_text(b, text);
    }
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(r, "assertions"), k, a) {
      if (json_is_true(json_object_get(a, "ok"))) continue;
      buf_puts(b, "assertion ");
      xml_text(b, results_str(a, "id"));
      buf_puts(b, ": expected ");
      xml_text(b, results_str(a, "expected"));
      buf_puts(b, ", got ");
      xml_text(b, results_str(a, "got"));
      buf_puts(b, "\n");
    }
    const char *detail = results_str(r, "detail"), *log = results_str(r, "proxy_log");
    if (detail[0]) {
      buf_puts(b, "detail: ");
      xml_text(b, detail);
      buf_puts(b, "\n");
    }
    buf_puts(b, "proxy log: ");
    xml_text(b, log[0] ? log : "(nothing)");
    buf_printf(b, "\n</%s>\n    ", tag);
  } else if (tag) {
    buf_printf(b, "<%s message=\"", tag);
    xml_text(b, reason);
    buf_puts(b, "\"/>");
  } else {
    buf_puts(b, "<system-out>");
    char msg[2048];
    snprintf(msg, sizeof msg, "%s: got %s (expect %s)%s%s", results_str(r, "verdict"), got, expect,
             reason[0] ? ": " : "", reason);
    xml_text(b, msg);
    buf_puts(b, "</system-out>");
  }
  buf_puts(b, "</testcase>\n");
}

/* Which shard ("I/N") a case of a merged document came from: shards took every N-th cell. */
static bool case_in_shard(const json_t *c, long index, long total) {
  json_int_t cell = json_integer_value(json_object_get(c, "cell"));
  return total > 0 && cell % total == index - 1;
}

/* One <testsuite> per shard, each named for it ("badup run shard 2/4"), so a CI's test
 * report tells which job ran a case; "badup run" for an unsharded run. */
static void junit_suite(struct buf *b, const json_t *doc, const json_t *shard_doc, long index, long total) {
  struct junit_counts k = {0};
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(doc, "cases"), i, c)
    if (!shard_doc || case_in_shard(c, index, total)) junit_count(&k, c);
  const json_t *own = shard_doc ? shard_doc : doc;
  const char *shard = results_str(own, "shard");
  char name[64] = "badup run";
  if (shard[0]) snprintf(name, sizeof name, "badup run shard %s", shard);
  buf_puts(b, "  <testsuite name=\"");
  xml_text(b, name);
  buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" timestamp=\"", k.tests, k.failures,
             k.errors, k.skipped);
  xml_text(b, results_str(own, "started"));
  buf_puts(b, "\">\n");
  json_array_foreach(json_object_get(doc, "cases"), i, c)
    if (!shard_doc || case_in_shard(c, index, total)) junit_case(b, c);
  buf_puts(b, "  </testsuite>\n");
}

int results_render_junit(const char *path, const json_t *doc) {
  struct buf b = {0};
  struct junit_counts k = {0};
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(doc, "cases"), i, c) junit_count(&k, c);
  /* JUnit's own two kinds: a failure is the proxy's (an assertion that did not hold), an
   * error is the case's (it could not run, or the scenario raised). */
  buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"badup\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
             k.tests, k.failures, k.errors, k.skipped, results_num(doc, "duration_s"));
  const json_t *shards = json_object_get(doc, "shards");
  if (json_array_size(shards)) {
    json_t *s;
    json_array_foreach(shards, i, s) {
      long index = 0, total = 0;
      sscanf(results_str(s, "shard"), "%ld/%ld", &index, &total);
      if (!total) index = total = 1; /* an unsharded run merged alone */
      junit_suite(&b, doc, s, index, total);
    }
  } else {
    junit_suite(&b, doc, NULL, 1, 1);
  }
  buf_puts(&b, "</testsuites>\n");
  int rc = b.oom ? -ENOMEM : fileio_write_atomic(path, b.data, b.len);
  buf_free(&b);
  return rc;
}

/* ---- the folder ---------------------------------------------------------------------- */

int results_publish(const char *dir, const json_t *doc) {
  char path[4096];
  snprintf(path, sizeof path, "%s/results.csv", dir);
  int rc = results_render_csv(path, doc);
  snprintf(path, sizeof path, "%s/junit.xml", dir);
  int rc2 = results_render_junit(path, doc);
  snprintf(path, sizeof path, "%s/report.md", dir);
  int rc3 = results_render_report(path, doc);
  /* The results page, from the same document: the one call for `badup run` and `badup merge`. */
  int rc4 = page_write(dir, doc);
  return rc ? rc : rc2 ? rc2 : rc3 ? rc3 : rc4;
}
