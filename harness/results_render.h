/* results_render.h: results.csv, junit.xml, report.md and the terminal's table, rendered
 * from a results.json document (results.h's results_doc, or one `badup merge` joined from
 * shards), never from a run's rows: what a file says is what results.json holds.
 *
 * The document's shape: top-level settings (timeouts, repeat, client_tls, ...), provenance
 * (command, badup_version, selection, proxy_config, shard, shard_from, catalog), "proxies"
 * (name, version, binary) and "cases", one object per cell (proxy, scenario, expect, got,
 * verdict, reason, cell, case_dir, ...). A merged document also has "shards": one object
 * per shard folder (shard "I/N", started, duration_s, command, ...). */
#ifndef BADUP_RESULTS_RENDER_H
#define BADUP_RESULTS_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "jsonio.h"

/* Renders results.csv, junit.xml and report.md into dir (each written atomically), then
 * the results page: the one place where both `badup run` and `badup merge` publish a
 * results folder. 0, or -errno of the first file that could not be written. */
int results_publish(const char *dir, const json_t *doc);

/* The three files alone: 0, or -errno. */
int results_render_csv(const char *path, const json_t *doc);
int results_render_junit(const char *path, const json_t *doc);
int results_render_report(const char *path, const json_t *doc);

/* The table: scenarios as rows, proxies as columns, in the order the cases first name them.
 * markdown: a table of report.md ("|" in a cell escaped). */
void results_render_table(FILE *out, const json_t *doc, bool markdown);

/* Why cells are "-": one line per skip reason, "<lead>N cases: reason", in the order the
 * reasons first come; nothing when no case was skipped. */
void results_render_skipped(FILE *out, const json_t *doc, const char *lead);

/* The enum verdict of a case's "verdict" word, or -1 for a word badup does not write. */
int results_case_verdict(const json_t *c);

/* The exit code `badup run` gives for these cases: the highest any verdict asks for (fail 1,
 * error 2), and 2 when not one case was judged (everything skipped). */
int results_exit_code(const json_t *doc);

/* A member's text, "" when it is missing or not a string (null included). */
static inline const char *results_str(const json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

/* A member's number (integer or real), 0 when missing. */
static inline double results_num(const json_t *o, const char *key) {
  return json_number_value(json_object_get(o, key));
}

#endif
