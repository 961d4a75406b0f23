/* results_table.c: the table (scenarios x proxies) and the skip reasons, from the cases of
 * a results.json document: the terminal's after a run, and report.md's. */
#include <stdlib.h>
#include <string.h>

#include "expect_eval.h"
#include "results_render.h"
#include "verdict.h"

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

/* Column order: proxies in the order cases first name them; row order likewise. The
 * strings are the document's. */
struct grid {
  const char *proxies[64];
  const char *scns[512], *expects[512];
  size_t np, ns;
};

static void grid_build(struct grid *g, const json_t *cases) {
  memset(g, 0, sizeof *g);
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    const char *p = results_str(c, "proxy"), *s = results_str(c, "scenario");
    size_t k;
    for (k = 0; k < g->np && strcmp(g->proxies[k], p); k++) {}
    if (k == g->np && g->np < 64) g->proxies[g->np++] = p;
    for (k = 0; k < g->ns && strcmp(g->scns[k], s); k++) {}
    if (k == g->ns && g->ns < 512) {
      g->expects[g->ns] = results_str(c, "expect");
      g->scns[g->ns++] = s;
    }
  }
}

static const json_t *grid_find(const json_t *cases, const char *p, const char *s) {
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c)
    if (!strcmp(results_str(c, "proxy"), p) && !strcmp(results_str(c, "scenario"), s)) return c;
  return NULL;
}

static void cell(char *out, size_t len, const json_t *c) {
  if (!c) {
    snprintf(out, len, " ");
    return;
  }
  char alt[EXPECT_SIGNATURE_MAX];
  const char *got = results_str(c, "got"), *alternatives = results_str(c, "alternatives");
  switch (results_case_verdict(c)) {
  case VERDICT_PASS: snprintf(out, len, "%s", got); break;
  case VERDICT_DEVIATES: snprintf(out, len, "%s ~", got); break;
  case VERDICT_UNSTABLE:
    outcome_alternatives(alternatives[0] ? alternatives : got, alt, sizeof alt);
    snprintf(out, len, "%s ?", alt);
    break;
  case VERDICT_FAIL: snprintf(out, len, "%s !", got); break;
  case VERDICT_ERROR: snprintf(out, len, "ERROR !"); break;
  case VERDICT_SKIPPED:
  case VERDICT_NOT_RUN: snprintf(out, len, "-"); break;
  default: snprintf(out, len, "%s ?", results_str(c, "verdict")); break;
  }
}

/* A terminal cell longer than this is cut ("..."): a signature lists every failed assertion,
 * and one long cell must not push the other proxies off the screen. report.md and the list
 * under the table keep it whole. */
#define TEXT_CELL_MAX 44
#define CELL_MAX (2 * EXPECT_SIGNATURE_MAX + 8)

/* A markdown table cell's text: its "|" ("502|200", "closed|502") escaped, or the row splits. */
static void md_escape(char *c, size_t len) {
  char *copy = strdup(c);
  if (!copy) return;
  size_t used = 0;
  for (const char *p = copy; *p && used + 3 < len; p++) {
    if (*p == '|') c[used++] = '\\';
    c[used++] = *p;
  }
  c[used] = 0;
  free(copy);
}

static void table_cell(char *c, size_t len, const json_t *k, bool md) {
  cell(c, len, k);
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

void results_render_table(FILE *out, const json_t *doc, bool md) {
  const json_t *cases = json_object_get(doc, "cases");
  struct grid *g = malloc(sizeof *g);
  if (!g) return;
  grid_build(g, cases);
  int w0 = 8, we = 14; /* the scenario and expect columns: as wide as their longest text */
  for (size_t s = 0; s < g->ns; s++) {
    if ((int)strlen(g->scns[s]) > w0) w0 = (int)strlen(g->scns[s]);
    if ((int)strlen(g->expects[s]) > we) we = (int)strlen(g->expects[s]);
  }
  /* each proxy's column as wide as its name or its widest cell */
  int *w = calloc(g->np ? g->np : 1, sizeof *w);
  if (!w) {
    free(g);
    return;
  }
  char c[CELL_MAX];
  for (size_t p = 0; p < g->np; p++) {
    w[p] = (int)strlen(g->proxies[p]);
    for (size_t s = 0; s < g->ns; s++) {
      table_cell(c, sizeof c, grid_find(cases, g->proxies[p], g->scns[s]), md);
      if ((int)strlen(c) > w[p]) w[p] = (int)strlen(c);
    }
  }
  const char *sep = md ? " | " : "  ";
  fprintf(out, "%s%-*s%s%-*s", md ? "| " : "", w0, "scenario", sep, we, "expect");
  for (size_t p = 0; p < g->np; p++) fprintf(out, "%s%-*s", sep, w[p], g->proxies[p]);
  fprintf(out, "%s\n", md ? " |" : "");
  if (md) {
    fprintf(out, "|%s|%s|", "---", "---");
    for (size_t p = 0; p < g->np; p++) fprintf(out, "---|");
    fprintf(out, "\n");
  }
  for (size_t s = 0; s < g->ns; s++) {
    char e[EXPECT_SIGNATURE_MAX + 8];
    snprintf(e, sizeof e, "%s", g->expects[s]);
    if (md) md_escape(e, sizeof e);
    fprintf(out, "%s%-*s%s%-*s", md ? "| " : "", w0, g->scns[s], sep, we, e);
    for (size_t p = 0; p < g->np; p++) {
      table_cell(c, sizeof c, grid_find(cases, g->proxies[p], g->scns[s]), md);
      fprintf(out, "%s%-*s", sep, w[p], c);
    }
    fprintf(out, "%s\n", md ? " |" : "");
  }
  free(w);
  free(g);
  fprintf(out, "%s%s\n", md ? "\n" : "", "cells: outcome as the client saw it; plain = pass (matches expect), ~ = deviates (matches the proxy's recorded reference), ? = unstable (the outcome varies; every one seen), ! = fail, ERROR ! = the case could not run or its scenario raised, - = skipped");
}

/* Why cells are "-" (results_render.h). Quadratic in the cases, which are a few thousand
 * at most. */
void results_render_skipped(FILE *out, const json_t *doc, const char *lead) {
  const json_t *cases = json_object_get(doc, "cases");
  size_t n = json_array_size(cases);
  for (size_t i = 0; i < n; i++) {
    const json_t *r = json_array_get(cases, i);
    const char *reason = results_str(r, "reason");
    bool first = results_case_verdict(r) == VERDICT_SKIPPED;
    for (size_t j = 0; first && j < i; j++) {
      const json_t *o = json_array_get(cases, j);
      first = !(results_case_verdict(o) == VERDICT_SKIPPED && !strcmp(results_str(o, "reason"), reason));
    }
    if (!first) continue;
    size_t k = 0;
    for (size_t j = i; j < n; j++) {
      const json_t *o = json_array_get(cases, j);
      k += results_case_verdict(o) == VERDICT_SKIPPED && !strcmp(results_str(o, "reason"), reason);
    }
    fprintf(out, "%s%zu case%s: %s\n", lead, k, k == 1 ? "" : "s", reason[0] ? reason : "(no reason given)");
  }
}
