/* diff_render.c: the diff document (diff.h) as text and as an HTML section. Both say the
 * same things in the same order: the sides, settings, proxies, then the cells by group. */
#include "diff.h"

#include <string.h>

#include "buf.h"

static const char *str(const json_t *obj, const char *name) {
  const char *s = json_string_value(json_object_get(obj, name));
  return s ? s : "";
}

static long long num(const json_t *obj, const char *name) {
  return (long long)json_integer_value(json_object_get(obj, name));
}

/* A setting's value as a person reads it: 2, 0.5, true, 1/4, none. */
static void value_text(struct buf *b, const json_t *v) {
  if (json_is_integer(v)) buf_printf(b, "%lld", (long long)json_integer_value(v));
  else if (json_is_number(v)) buf_printf(b, "%g", json_number_value(v));
  else if (json_is_boolean(v)) buf_puts(b, json_is_true(v) ? "true" : "false");
  else if (json_is_string(v)) buf_puts(b, json_string_value(v));
  else buf_puts(b, "none");
}

/* What a cell does: its one outcome, or every outcome it takes, "closed|502"; "-" for none
 * (a skipped case has no outcome). */
static void outcome_text(struct buf *b, const json_t *cell) {
  const json_t *alts = json_object_get(cell, "alternatives");
  if (json_array_size(alts) > 1) {
    size_t i;
    json_t *v;
    json_array_foreach(alts, i, v) buf_printf(b, "%s%s", i ? "|" : "", json_string_value(v));
    return;
  }
  buf_puts(b, str(cell, "got")[0] ? str(cell, "got") : "-");
}

/* "504 -> 502 (pass -> fail)", or one side's "502 (pass)"; an expect that changed too. */
static void celldiff_text(struct buf *b, const json_t *cd) {
  const json_t *a = json_object_get(cd, "a"), *c = json_object_get(cd, "b");
  if (json_is_object(a) && json_is_object(c)) {
    outcome_text(b, a);
    buf_puts(b, " -> ");
    outcome_text(b, c);
    buf_printf(b, " (%s -> %s)", str(a, "verdict"), str(c, "verdict"));
    if (str(a, "expect")[0] && str(c, "expect")[0] && strcmp(str(a, "expect"), str(c, "expect")) != 0)
      buf_printf(b, ", expect %s -> %s", str(a, "expect"), str(c, "expect"));
  } else {
    const json_t *one = json_is_object(a) ? a : c;
    outcome_text(b, one);
    buf_printf(b, " (%s)", str(one, "verdict"));
  }
}

static void side_text(struct buf *b, const json_t *side) {
  buf_printf(b, "%s (%s", str(side, "path"), str(side, "kind"));
  if (!strcmp(str(side, "kind"), "reference"))
    buf_puts(b, ": each proxy's file for the other side's settings, at the version it ran unless said below");
  if (str(side, "started")[0]) buf_printf(b, ", started %s", str(side, "started"));
  if (json_integer_value(json_object_get(side, "repeat")) > 1)
    buf_printf(b, ", --repeat %lld", num(side, "repeat"));
  buf_puts(b, ")");
}

/* One proxy's line when it says something, "" else. */
static void proxy_text(struct buf *b, const json_t *p) {
  const char *change = str(p, "change");
  const json_t *a = json_object_get(p, "a"), *c = json_object_get(p, "b");
  if (!strcmp(change, "version")) {
    buf_printf(b, "%s -> %s", str(a, "version"), str(c, "version"));
  } else if (!strcmp(change, "new") || !strcmp(change, "vanished")) {
    const json_t *one = !strcmp(change, "new") ? c : a;
    buf_printf(b, "%s, %s, %lld cell%s (not listed one by one)",
               !strcmp(change, "new") ? "new in B" : "vanished from B",
               str(one, "version")[0] ? str(one, "version") : "no version", num(one, "cells"),
               num(one, "cells") == 1 ? "" : "s");
  }
  /* The reference at the version the run had is what the side's line says it is: a proxy's
   * note is worth a line when it stands in with another version, or with nothing. */
  const json_t *sides[2] = {a, c};
  for (int i = 0; i < 2; i++)
    if (str(sides[i], "note")[0] && strcmp(str(sides[i], "version_from"), "ran") != 0)
      buf_printf(b, "%s%s: %s", b->len ? "; " : "", i ? "B" : "A", str(sides[i], "note"));
}

static const struct group {
  const char *name, *title;
} GROUPS[] = {
    {"changed", "changed"},
    {"unstable", "unstable: the outcome varies, and the other side's is among the outcomes it takes: not counted as "
                 "a change"},
    {"new", "new: only B has these"},
    {"vanished", "vanished: only A has these"},
};

static void summary_text(struct buf *b, const json_t *doc) {
  const json_t *n = json_object_get(doc, "counts");
  buf_printf(b, "%lld changed, %lld unstable, %lld new, %lld vanished, %lld same", num(n, "changed"),
             num(n, "unstable"), num(n, "new"), num(n, "vanished"), num(n, "same"));
  if (num(n, "not_run"))
    buf_printf(b, "; %lld not run (an interrupted run: not compared, not a change)", num(n, "not_run"));
  if (num(n, "not_compared"))
    buf_printf(b, "; %lld skipped on one side and absent on the other (not compared)", num(n, "not_compared"));
  buf_printf(b, "; proxies: %lld new, %lld vanished, %lld with another version", num(n, "new_proxies"),
             num(n, "vanished_proxies"), num(n, "versions"));
  if (num(n, "settings"))
    buf_printf(b, "; %lld setting%s differ%s", num(n, "settings"), num(n, "settings") == 1 ? "" : "s",
               num(n, "settings") == 1 ? "s" : "");
  buf_puts(b, json_is_true(json_object_get(doc, "differs")) ? ": the runs differ" : ": nothing changed");
}

void diff_text(FILE *out, const json_t *doc) {
  struct buf b = {0};
  buf_puts(&b, "A: ");
  side_text(&b, json_object_get(doc, "a"));
  buf_puts(&b, "\nB: ");
  side_text(&b, json_object_get(doc, "b"));
  buf_puts(&b, "\n");
  const json_t *settings = json_object_get(doc, "settings");
  size_t i;
  json_t *v;
  if (json_array_size(settings)) {
    buf_puts(&b, "warning: the settings differ, so outcomes may differ for that reason alone (compared all the "
                 "same):\n");
    json_array_foreach(settings, i, v) {
      buf_printf(&b, "  %s: ", str(v, "name"));
      value_text(&b, json_object_get(v, "a"));
      buf_puts(&b, " -> ");
      value_text(&b, json_object_get(v, "b"));
      buf_puts(&b, "\n");
    }
  }
  json_array_foreach(json_object_get(doc, "proxies"), i, v) {
    struct buf line = {0};
    proxy_text(&line, v);
    if (line.len) buf_printf(&b, "proxy %s: %s\n", str(v, "proxy"), buf_cstr(&line));
    buf_free(&line);
  }
  for (size_t g = 0; g < sizeof GROUPS / sizeof *GROUPS; g++) {
    const json_t *list = json_object_get(doc, GROUPS[g].name);
    if (!json_array_size(list)) continue;
    buf_printf(&b, "%s (%zu):\n", GROUPS[g].title, json_array_size(list));
    json_array_foreach(list, i, v) {
      buf_printf(&b, "  %s / %s: ", str(v, "proxy"), str(v, "scenario"));
      celldiff_text(&b, v);
      buf_puts(&b, "\n");
    }
  }
  buf_puts(&b, "summary: ");
  summary_text(&b, doc);
  buf_puts(&b, "\n");
  fputs(buf_cstr(&b), out);
  buf_free(&b);
}

/* ---- HTML ------------------------------------------------------------------------------- */

static void html_escaped(struct buf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<': buf_puts(b, "&lt;"); break;
    case '>': buf_puts(b, "&gt;"); break;
    case '&': buf_puts(b, "&amp;"); break;
    case '"': buf_puts(b, "&quot;"); break;
    case '\'': buf_puts(b, "&#39;"); break;
    default: buf_append(b, s, 1);
    }
  }
}

/* Text built by one of the text helpers, escaped into b. */
static void html_from(struct buf *b, void (*fn)(struct buf *, const json_t *), const json_t *arg) {
  struct buf t = {0};
  fn(&t, arg);
  html_escaped(b, buf_cstr(&t));
  buf_free(&t);
}

static void html_cell(struct buf *b, const json_t *cell) {
  buf_puts(b, "<td>");
  if (json_is_object(cell)) {
    html_from(b, outcome_text, cell);
    buf_puts(b, " (");
    html_escaped(b, str(cell, "verdict"));
    buf_puts(b, ")");
  } else {
    buf_puts(b, "-");
  }
  buf_puts(b, "</td>");
}

int diff_html(FILE *out, const json_t *doc) {
  struct buf b = {0};
  size_t i;
  json_t *v;
  buf_puts(&b, "<section class=\"diff\">\n<h2>Compared with another run</h2>\n<p>A: ");
  html_from(&b, side_text, json_object_get(doc, "a"));
  buf_puts(&b, "<br>\nB: ");
  html_from(&b, side_text, json_object_get(doc, "b"));
  buf_puts(&b, "</p>\n");
  const json_t *settings = json_object_get(doc, "settings");
  if (json_array_size(settings)) {
    buf_puts(&b, "<p class=\"warning\">The settings differ, so outcomes may differ for that reason alone (compared "
                 "all the same).</p>\n<table class=\"diff-settings\">\n"
                 "<tr><th>setting</th><th>A</th><th>B</th></tr>\n");
    json_array_foreach(settings, i, v) {
      buf_puts(&b, "<tr><td>");
      html_escaped(&b, str(v, "name"));
      buf_puts(&b, "</td><td>");
      html_from(&b, value_text, json_object_get(v, "a"));
      buf_puts(&b, "</td><td>");
      html_from(&b, value_text, json_object_get(v, "b"));
      buf_puts(&b, "</td></tr>\n");
    }
    buf_puts(&b, "</table>\n");
  }
  bool any = false;
  json_array_foreach(json_object_get(doc, "proxies"), i, v) {
    struct buf line = {0};
    proxy_text(&line, v);
    if (line.len) {
      buf_puts(&b, any ? "" : "<ul class=\"diff-proxies\">\n");
      any = true;
      buf_puts(&b, "<li>");
      html_escaped(&b, str(v, "proxy"));
      buf_puts(&b, ": ");
      html_escaped(&b, buf_cstr(&line));
      buf_puts(&b, "</li>\n");
    }
    buf_free(&line);
  }
  if (any) buf_puts(&b, "</ul>\n");
  buf_puts(&b, "<table class=\"diff-cells\">\n<tr><th>change</th><th>proxy</th><th>scenario</th><th>A</th><th>B</th>"
               "</tr>\n");
  for (size_t g = 0; g < sizeof GROUPS / sizeof *GROUPS; g++) {
    json_array_foreach(json_object_get(doc, GROUPS[g].name), i, v) {
      buf_printf(&b, "<tr class=\"%s\"><td>%s</td><td>", GROUPS[g].name, GROUPS[g].name);
      html_escaped(&b, str(v, "proxy"));
      buf_puts(&b, "</td><td>");
      html_escaped(&b, str(v, "scenario"));
      buf_puts(&b, "</td>");
      html_cell(&b, json_object_get(v, "a"));
      html_cell(&b, json_object_get(v, "b"));
      buf_puts(&b, "</tr>\n");
    }
  }
  buf_puts(&b, "</table>\n<p class=\"diff-summary\">");
  html_from(&b, summary_text, doc);
  buf_puts(&b, "</p>\n</section>\n");
  int rc = b.oom || fputs(buf_cstr(&b), out) == EOF ? -1 : 0;
  buf_free(&b);
  return rc;
}
