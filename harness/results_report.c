/* results_report.c: report.md from a results.json document: the run's settings and
 * provenance, the proxies, the table, what did not pass, what was skipped, and a link to
 * every case's folder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "results_render.h"
#include "verdict.h"

/* The scenarios that gave the proxies an upstream read timeout of their own, each once. */
static void report_own_read_timeouts(FILE *f, const json_t *cases) {
  bool any = false;
  size_t n = json_array_size(cases);
  for (size_t i = 0; i < n; i++) {
    const json_t *c = json_array_get(cases, i);
    const char *s = results_str(c, "scenario");
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = !strcmp(results_str(json_array_get(cases, j), "scenario"), s);
    if (seen || !json_is_number(json_object_get(c, "read_timeout_s"))) continue;
    fprintf(f, "%s%s %g s", any ? ", " : "Upstream read timeout of the scenario's own (proxy_read_timeout): ", s,
            results_num(c, "read_timeout_s"));
    any = true;
  }
  if (any) fprintf(f, ".\n\n");
}

/* Which upstreams spoke TLS: every one (--upstream-tls), or the scenarios with a tls table. */
static void report_tls(FILE *f, const json_t *doc) {
  if (json_is_true(json_object_get(doc, "upstream_tls"))) {
    fprintf(f, "Upstreams over TLS (--upstream-tls): every proxy verified the upstream's certificate against the "
               "run's CA (tls/ca.crt); judged against the proxies' \"+tls\" references.\n\n");
    return;
  }
  size_t tls = 0, i;
  json_t *c;
  json_array_foreach(json_object_get(doc, "cases"), i, c) tls += json_is_true(json_object_get(c, "tls"));
  if (tls)
    fprintf(f, "Upstreams over TLS: %zu case%s whose scenario has a tls table (the run's CA: tls/ca.crt); the "
               "others plain HTTP.\n\n", tls, tls == 1 ? "" : "s");
  else
    fprintf(f, "Upstreams: plain HTTP.\n\n");
}

/* A command line as a shell would take it back: words with anything but safe characters
 * in single quotes. */
static void command_line(FILE *f, const json_t *argv) {
  size_t i;
  json_t *a;
  json_array_foreach(argv, i, a) {
    const char *w = json_string_value(a);
    if (!w) continue;
    fputs(i ? " " : "", f);
    if (w[0] && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=./,:+@%") == strlen(w)) {
      fputs(w, f);
      continue;
    }
    fputc('\'', f);
    for (const char *c = w; *c; c++) {
      if (*c == '\'') fputs("'\\''", f);
      else if (*c == '`') fputs("'\"`\"'", f); /* not to end the markdown code span */
      else fputc(*c, f);
    }
    fputc('\'', f);
  }
}

/* How the shard was chosen: given, or by --shard auto from the CI's variables. */
static void shard_from(FILE *f, const json_t *from) {
  const char *how = results_str(from, "how");
  if (strcmp(how, "auto") != 0) {
    fprintf(f, " (--shard)");
    return;
  }
  const char *system = results_str(from, "system");
  fprintf(f, " (--shard auto%s%s", system[0] ? ", " : ": no CI variable set", system);
  const char *k;
  json_t *v;
  bool first = true;
  json_object_foreach((json_t *)json_object_get(from, "variables"), k, v) {
    fprintf(f, "%s%s=%s", first ? ": " : ", ", k, json_string_value(v) ? json_string_value(v) : "");
    first = false;
  }
  fprintf(f, ")");
}

/* Where the results came from: enough to run the same matrix again, or to see why two
 * folders differ. */
static void report_provenance(FILE *f, const json_t *doc) {
  fprintf(f, "## Provenance\n\n");
  const json_t *shards = json_object_get(doc, "shards");
  if (json_array_size(shards)) {
    fprintf(f, "Merged by `badup merge` from %zu shard%s:\n\n", json_array_size(shards),
            json_array_size(shards) == 1 ? "" : "s");
    size_t i;
    json_t *s;
    json_array_foreach(shards, i, s) {
      const char *shard = results_str(s, "shard");
      fprintf(f, "- shard %s, started %s, %.1f s", shard[0] ? shard : "1/1", results_str(s, "started"),
              results_num(s, "duration_s"));
      if (json_is_object(json_object_get(s, "shard_from"))) shard_from(f, json_object_get(s, "shard_from"));
      fprintf(f, ": `");
      command_line(f, json_object_get(s, "command"));
      fprintf(f, "`\n");
    }
    fprintf(f, "\n");
  } else if (json_is_array(json_object_get(doc, "command"))) {
    fprintf(f, "- command: `");
    command_line(f, json_object_get(doc, "command"));
    fprintf(f, "`\n");
  }
  if (json_is_string(json_object_get(doc, "badup_version")))
    fprintf(f, "- badup %s\n", results_str(doc, "badup_version"));
  const json_t *sel = json_object_get(doc, "selection");
  if (json_is_object(sel)) {
    const char *p = results_str(sel, "proxy"), *s = results_str(sel, "scenario");
    fprintf(f, "- selection: --proxy %s, --scenario %s\n", p[0] ? p : "(all installed)", s[0] ? s : "(all)");
  }
  /* The seed and the --set values change what scenarios do (ctx): without them a run cannot
   * be repeated. */
  if (json_is_integer(json_object_get(doc, "seed")))
    fprintf(f, "- seed %lld\n", (long long)json_integer_value(json_object_get(doc, "seed")));
  const json_t *set = json_object_get(doc, "set");
  if (json_is_array(set)) {
    fprintf(f, "- --set:");
    size_t i;
    json_t *kv;
    json_array_foreach(set, i, kv) fprintf(f, "%s `%s`", i ? "," : "", json_string_value(kv) ? json_string_value(kv) : "");
    fprintf(f, "%s\n", json_array_size(set) ? "" : " none");
  }
  const json_t *cat = json_object_get(doc, "catalog");
  if (json_is_object(cat))
    fprintf(f, "- catalog: %g scenarios x %g proxies selected, %g cells, digest %.16s\n", results_num(cat, "scenarios"),
            results_num(cat, "proxies"), results_num(cat, "cells"), results_str(cat, "digest"));
  const json_t *pc = json_object_get(doc, "proxy_config");
  if (json_is_object(pc))
    fprintf(f, "- --proxy-config %s, SHA-256 %s\n", results_str(pc, "path"), results_str(pc, "sha256"));
  if (!json_array_size(shards) && json_is_string(json_object_get(doc, "shard"))) {
    fprintf(f, "- shard %s", results_str(doc, "shard"));
    if (json_is_object(json_object_get(doc, "shard_from"))) shard_from(f, json_object_get(doc, "shard_from"));
    fprintf(f, "\n");
  } else if (!json_array_size(shards) && json_is_object(json_object_get(doc, "shard_from"))) {
    fprintf(f, "- not sharded");
    shard_from(f, json_object_get(doc, "shard_from"));
    fprintf(f, "\n");
  }
  json_int_t retried = json_integer_value(json_object_get(doc, "retries_seen"));
  const json_t *t = json_object_get(doc, "timeouts");
  if (retried > 0 && !json_is_true(json_object_get(t, "retries")))
    fprintf(f, "- retries seen: %lld case%s reached the upstream more often than the client sent requests with --retries "
               "off: "
               "a config that retries, or a re-send after a reused connection closed (RFC 9112 9.3.1, which "
               "keepalive_race expects) (those cases have \"retried\": true in results.json)\n",
            (long long)retried, retried == 1 ? "" : "s");
  fprintf(f, "\n");
}

/* The proxies in the table's column order, with the version and binary the proxies table
 * of the document gives. */
static void report_proxies(FILE *f, const json_t *doc) {
  fprintf(f, "## Proxies\n\n| proxy | version | binary |\n|---|---|---|\n");
  const json_t *cases = json_object_get(doc, "cases"), *table = json_object_get(doc, "proxies");
  size_t n = json_array_size(cases);
  for (size_t i = 0; i < n; i++) {
    const char *name = results_str(json_array_get(cases, i), "proxy");
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = !strcmp(results_str(json_array_get(cases, j), "proxy"), name);
    if (seen) continue;
    const json_t *p = NULL, *e;
    size_t k;
    json_array_foreach(table, k, e) if (!p && !strcmp(results_str(e, "name"), name)) p = e;
    const char *version = p ? results_str(p, "version") : results_str(json_array_get(cases, i), "proxy_version");
    const char *binary = p ? results_str(p, "binary") : "";
    fprintf(f, "| %s | %s | %s |\n", name, version[0] ? version : "-", binary[0] ? binary : "not installed");
  }
}

int results_render_report(const char *path, const json_t *doc) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return -ENOMEM;
  const json_t *cases = json_object_get(doc, "cases"), *t = json_object_get(doc, "timeouts");
  size_t n = json_array_size(cases), i;
  json_t *r;
  size_t count[VERDICT__COUNT] = {0};
  json_array_foreach(cases, i, r) {
    int v = results_case_verdict(r);
    if (v >= 0) count[v]++;
  }
  char counts[256];
  verdict_summary(counts, sizeof counts, count);
  bool interrupted = json_is_true(json_object_get(doc, "interrupted"));
  fprintf(f, "# badup run %s\n\n", results_str(doc, "started"));
  fprintf(f, "%zu cases: %s%s. Duration %.1f s, %lld jobs%s. Upstream connect timeout %g s, read timeout %g s, "
             "retries %s. Client timeout %g s, request bodies up to %lld bytes.\n\n",
          n, counts, interrupted ? " (interrupted)" : "", results_num(doc, "duration_s"),
          (long long)json_integer_value(json_object_get(doc, "jobs")),
          json_integer_value(json_object_get(doc, "repeat")) > 1 ? ", every case run several times (--repeat)" : "",
          results_num(t, "connect_s"), results_num(t, "read_s"), json_is_true(json_object_get(t, "retries")) ? "on" : "off",
          results_num(t, "client_s"), (long long)json_integer_value(json_object_get(t, "max_body")));
  const json_t *shards = json_object_get(doc, "shards");
  if (json_array_size(shards))
    fprintf(f, "Shards: %zu merged; the duration is the longest shard's.\n\n", json_array_size(shards));
  else if (json_is_string(json_object_get(doc, "shard")))
    fprintf(f, "Shard: %s.\n\n", results_str(doc, "shard"));
  bool client_tls = json_is_true(json_object_get(doc, "client_tls"));
  if (client_tls)
    fprintf(f, "Client TLS (--client-tls): every proxy's frontend spoke TLS with a certificate of this run's own "
               "CA (tls/ca.crt), which the client verified; proxies without a TLS frontend were skipped.\n\n");
  if (json_is_true(json_object_get(doc, "client_http2")))
    fprintf(f, "Client HTTP/2 (--client-http2): the client spoke HTTP/2 to every proxy (%s); a body cut short is "
               "NNN+rst(CODE), a RST_STREAM with that error code; proxies without an HTTP/2 frontend and scenarios "
               "whose client sends raw HTTP/1 bytes were skipped.\n\n",
            client_tls ? "ALPN h2" : "h2c with prior knowledge");
  report_tls(f, doc);
  report_own_read_timeouts(f, cases);
  report_provenance(f, doc);
  report_proxies(f, doc);
  fprintf(f, "\n## Outcomes\n\n");
  results_render_table(f, doc, true);
  fprintf(f, "\n## Not passing\n\n");
  bool any = false;
  json_array_foreach(cases, i, r) {
    int v = results_case_verdict(r);
    if (v == VERDICT_PASS || (v >= 0 && !verdict_info[v].judged)) continue;
    any = true;
    const char *outcomes = results_str(r, "outcomes"), *reason = results_str(r, "reason"),
               *log = results_str(r, "proxy_log"), *dir = results_str(r, "case_dir");
    fprintf(f, "- **%s / %s**: %s, expected %s, got %s%s%s", results_str(r, "proxy"), results_str(r, "scenario"),
            results_str(r, "verdict"), results_str(r, "expect"), outcomes[0] ? outcomes : results_str(r, "got"),
            reason[0] ? " (" : "", reason);
    fprintf(f, "%s", reason[0] ? ")" : "");
    if (log[0]) fprintf(f, "; proxy log: `%.300s`", log);
    if (dir[0]) fprintf(f, " ([case](%s/))", dir);
    fprintf(f, "\n");
  }
  size_t judged = 0, not_run = count[VERDICT_NOT_RUN];
  for (int v = 0; v < VERDICT__COUNT; v++) judged += verdict_info[v].judged ? count[v] : 0;
  if (!any && judged) fprintf(f, "Nothing: every case that ran passed.\n");
  else if (!any) fprintf(f, "Nothing ran.\n");
  if (not_run) fprintf(f, "\nThe run was interrupted: %zu case%s did not run.\n", not_run, not_run == 1 ? "" : "s");
  if (count[VERDICT_SKIPPED]) fprintf(f, "\n## Skipped\n\n");
  results_render_skipped(f, doc, "- ");
  /* Every case's folder, where its evidence is (the proxy's config and log, what the
   * client and the upstream saw); a case that never ran has none. */
  fprintf(f, "\n## Cases\n\n");
  json_array_foreach(cases, i, r) {
    const char *dir = results_str(r, "case_dir");
    if (!dir[0]) continue;
    fprintf(f, "- [%s / %s](%s/): %s, %s\n", results_str(r, "proxy"), results_str(r, "scenario"), dir,
            results_str(r, "verdict"), results_str(r, "got"));
  }
  fclose(f);
  int rc = fileio_write_atomic(path, text, len);
  free(text);
  return rc;
}
