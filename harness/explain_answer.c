/* explain_answer.c: one line's answer for `badup explain`: the line read, the candidates
 * ranked (explain_rank.c), whether they match, and what the user is shown: the proxy whose
 * format it has, its verdict and family, the candidates with the commands that reproduce
 * them, what tells tied ones apart, and for a line that carries only a status, where each
 * proxy says why (its definition's explain.look_in). Text, or JSON with the same facts. */
#include "explain_answer.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "logline.h"
#include "results.h"
#include "scenario.h"

/* Below this a candidate is only "nearest", not a match. A line whose verdict and status
 * agree with a recorded line scores near 1 whatever the deployment's names, prefixes and
 * fields; a verdict the reference never saw, of the same family, near 0.8; a verdict that
 * disagrees stays under 0.5. */
#define MATCH_THRESHOLD 0.6
/* Candidates this close print the same score: for the user they tie. */
#define TIE 0.005
/* A candidate with nothing in common with the line is no candidate at all. */
#define NEAR 0.05
#define MAX_VERSIONS 64

_Static_assert(RANK_NO_VERDICT_FACTOR < MATCH_THRESHOLD, "a line without a verdict must stay below a match");

#define MAX_PROXIES 32 /* logline.h: the proxies are the bits of an unsigned */

void explain_fold(FILE *out, const char *text) {
  size_t col = 0;
  for (const char *p = text; *p;) {
    size_t word = strcspn(p, " ");
    if (col && col + 1 + word > 88) fputc('\n', out), col = 0;
    else if (col) fputc(' ', out), col++;
    fprintf(out, "%.*s", (int)word, p);
    col += word;
    p += word;
    while (*p == ' ') p++;
  }
  fputc('\n', out);
}

/* ---- scenario summaries -------------------------------------------------------------------- */


/* The scenario file's summary, loaded once (through the simulator's own loader, which
 * knows the language), or NULL. */
static const char *summary_of(struct summaries *s, const char *scenario) {
  for (size_t k = 0; k < s->n; k++)
    if (!strcmp(s->names[k], scenario)) return s->texts[k];
  char *text = NULL;
  if (s->dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.lua", s->dir, scenario);
    struct ctx_var ctx[] = {{"read_timeout", "2"}, {"connect_timeout", "1"}, {"retries", "false"}};
    struct scenario_opts so = {.seed = 1, .ctx = ctx, .nctx = 3};
    struct scenario scn;
    struct buf err = {0};
    if (access(path, R_OK) == 0 && scenario_load(&scn, path, &so, &err) == 0) {
      text = scn.summary ? strdup(scn.summary) : NULL;
      scenario_unload(&scn);
    }
    buf_free(&err);
  }
  s->names = realloc(s->names, (s->n + 1) * sizeof *s->names);
  s->texts = realloc(s->texts, (s->n + 1) * sizeof *s->texts);
  s->names[s->n] = strdup(scenario);
  s->texts[s->n] = text;
  return s->texts[s->n++];
}

void summaries_free(struct summaries *s) {
  for (size_t k = 0; k < s->n; k++) free(s->names[k]), free(s->texts[k]);
  free(s->names);
  free(s->texts);
  free(s->dir);
}

/* ---- one line's answer ------------------------------------------------------------------- */

struct answer {
  const struct catalog *cat;
  struct summaries *summaries;
  const struct reproduce *repro;
  const char *input;
  size_t line_no;
  struct logline in;
  struct candidate *cands;
  size_t n, matched, shown;
  bool match;
  bool verdictless; /* signatures, but none says why: never a match */
  char *why;        /* why there is no match (NULL for a match) */
};

static const char *const MATCH_BY[] = {"words", "signature", "family"};

static char *serve_command(const struct answer *a, const struct candidate *c) {
  struct buf b = {0};
  buf_printf(&b, "badup serve %s/%s.lua", a->repro->scenario_dir, c->best->scenario);
  char *r = strdup(buf_cstr(&b));
  buf_free(&b);
  return r;
}

static char *run_command(const struct answer *a, const struct candidate *c) {
  struct buf b = {0};
  buf_printf(&b, "badup run --proxy %s --scenario %s%s%s", c->best->proxy, c->best->scenario,
             !strcmp(c->best->variant, "retries") ? " --retries" : "", a->repro->run_options);
  char *r = strdup(buf_cstr(&b));
  buf_free(&b);
  return r;
}

static void proxy_label(const struct ref_case *rc, char *out, size_t size) {
  snprintf(out, size, "%s%s%s", rc->proxy, *rc->variant ? "+" : "", rc->variant);
}

/* [first, end): the candidates that tie with cands[k] (an empty tie is k, k + 1). */
static void tie_of(const struct answer *a, size_t k, size_t *first, size_t *end) {
  size_t f = k, e = k + 1;
  while (f > 0 && fabs(a->cands[f - 1].score - a->cands[k].score) < TIE) f--;
  while (e < a->n && fabs(a->cands[e].score - a->cands[k].score) < TIE && a->cands[e].score > NEAR) e++;
  *first = f, *end = e;
}

/* ---- a line that says only that something was logged ------------------------------------ */

/* The proxies whose place for their verdict to show (explain.look_in of their definitions):
 * the recognised proxies', or every one when the line's format is not one proxy's. Returns
 * how many went into rows (which has room for MAX_PROXIES); *all: every proxy's. */
static size_t look_in(const struct answer *a, size_t *rows, bool *all) {
  const struct logline_rules *r = a->cat->rules;
  size_t n = 0, every = 0;
  for (size_t d = 0; d < logline_nproxies(r); d++)
    if (logline_look_in_log(r, d) && (a->in.proxies & (1u << d))) rows[n++] = d;
  for (size_t d = 0; d < logline_nproxies(r); d++)
    if (logline_look_in_log(r, d)) {
      if (!n) rows[every] = d;
      every++;
    }
  *all = !n || n == every;
  return n ? n : every;
}

/* "a status (502)", "a status (502) and its backend (-:-)": what a line without a verdict
 * carries, the status first. */
static void carried(struct buf *b, const struct logline_rules *r, const struct logline *in) {
  size_t n = 0;
  for (int generic = 1; generic >= 0; generic--)
    for (size_t k = 0; k < in->nsig; k++) {
      const struct logline_sig *s = &in->sigs[k];
      if (logline_sig_generic(s->kind) != (generic == 1)) continue;
      buf_printf(b, "%s%s %s (%s)", n++ ? " and " : "", generic ? "a" : "its", logline_sig_label(r, s->kind), s->value);
    }
}

/* Why the line matches nothing, in one sentence for JSON; the text output prints the look_in
 * rows on lines of their own after the first part (up to `rows`). */
static char *why_no_match(const struct answer *a, bool rows_inline) {
  struct buf b = {0};
  if (a->verdictless) {
    bool status = false;
    for (size_t k = 0; k < a->in.nsig; k++) status |= logline_sig_generic(a->in.sigs[k].kind);
    buf_puts(&b, "the line carries only ");
    carried(&b, a->cat->rules, &a->in);
    buf_puts(&b, status ? ", which is not the proxy's verdict: a proxy writes the same status for a dozen faults. "
                        : ", which is not the proxy's verdict: the proxy writes it for every request. ");
    const struct logline_rules *rules = a->cat->rules;
    size_t rows[MAX_PROXIES];
    bool all;
    size_t n = look_in(a, rows, &all);
    if (all) buf_puts(&b, "The proxy's error log line says why:");
    else if (n == 1) buf_printf(&b, "Where %s says why:", logline_proxy(rules, rows[0]));
    else buf_puts(&b, "Where they say why:");
    /* in one sentence only where each proxy writes it; look_in has what it looks like */
    for (size_t k = 0; rows_inline && k < n; k++) {
      const char *log = logline_look_in_log(rules, rows[k]);
      buf_printf(&b, "%s %s (%s)", k ? "," : "", logline_proxy(rules, rows[k]), *log ? log : "the line itself");
    }
  } else {
    buf_printf(&b, "no recorded line looks like this one (best score %.2f, a match needs %.2f)",
               a->n ? a->cands[0].score : 0.0, MATCH_THRESHOLD);
    if (!a->shown) buf_puts(&b, ", and nothing in the reference comes near it");
  }
  char *r = strdup(buf_cstr(&b));
  buf_free(&b);
  return r;
}

/* The optional field f's text in each candidate of [first, end) whose line has it; true when
 * two of them differ (then the field would have told them apart). */
static bool field_tells_apart(const struct answer *a, size_t first, size_t end, size_t f) {
  char *seen = NULL;
  bool differ = false;
  for (size_t t = first; t < end && !differ; t++) {
    if (!(a->cands[t].missing & (1u << f))) continue;
    char *text = logline_field_text(a->cat->rules, a->cands[t].matched_line, f);
    if (!text) continue;
    if (!seen) seen = text;
    else differ = strcmp(seen, text) != 0, free(text);
  }
  free(seen);
  return differ;
}

/* ---- text ---------------------------------------------------------------------------------- */

static void print_recognised(const struct answer *a) {
  const struct logline *in = &a->in;
  const struct logline_rules *r = a->cat->rules;
  struct buf b = {0};
  size_t order[MAX_PROXIES], n = logline_recognised(r, in, order);
  for (size_t k = 0; k < n; k++) buf_printf(&b, "%s%s", b.len ? " or " : "", logline_proxy(r, order[k]));
  if (!b.len) buf_puts(&b, "no known proxy format");
  for (size_t k = 0; k < in->nsig; k++)
    buf_printf(&b, "%s%s %s", k ? ", " : "; ", logline_sig_label(r, in->sigs[k].kind), in->sigs[k].value);
  if (in->family) buf_printf(&b, "; family %s (%s)", in->family, logline_family_meaning(in->family));
  printf("recognised: %s\n", buf_cstr(&b));
  buf_free(&b);
}

/* Which versions of the recognised proxies the reference holds: an answer is only as good
 * as the versions it was measured on. */
static void print_coverage(const struct answer *a) {
  struct buf b = {0};
  size_t order[MAX_PROXIES], n = logline_recognised(a->cat->rules, &a->in, order);
  for (size_t k = 0; k < n; k++) {
    const char *proxy = logline_proxy(a->cat->rules, order[k]);
    const char *versions[MAX_VERSIONS];
    size_t nv = catalog_versions(a->cat, proxy, versions, MAX_VERSIONS);
    buf_printf(&b, "%s%s ", b.len ? "; " : "", proxy);
    for (size_t v = 0; v < nv; v++) buf_printf(&b, "%s%s", v ? ", " : "", versions[v]);
    if (!nv) buf_puts(&b, "(no version)");
  }
  if (b.len) printf("reference covers %s; your line may come from another version\n", buf_cstr(&b));
  buf_free(&b);
}

/* Says which of the line's verdicts the reference never saw, when that is why the first
 * candidate was found by family. */
static void print_unseen(const struct answer *a) {
  if (!a->n || a->cands[0].by != MATCH_BY_FAMILY) return;
  for (size_t k = 0; k < a->in.nsig; k++) {
    const struct logline_sig *s = &a->in.sigs[k];
    if (logline_sig_generic(s->kind) || catalog_knows(a->cat, s)) continue;
    printf("note: no recorded line has %s \"%s\"; compared by its family, %s\n",
           logline_sig_label(a->cat->rules, s->kind), s->value, a->in.family ? a->in.family : "(none)");
  }
}

/* Says which fields of the recorded lines the line lacks, and that they were left out. */
static void print_missing(const struct answer *a) {
  if (!a->n) return;
  for (size_t f = 0; f < logline_nfields(a->cat->rules); f++)
    if (a->cands[0].missing & (1u << f))
      printf("note: the line has no %s field (%s); the recorded lines are compared without it\n",
             logline_field_name(a->cat->rules, f), logline_field_meaning(a->cat->rules, f));
}

static void print_candidate(const struct answer *a, size_t k) {
  const struct candidate *c = &a->cands[k];
  char label[128];
  proxy_label(c->best, label, sizeof label);
  struct buf versions = {0};
  for (size_t v = 0; v < c->nversions; v++) buf_printf(&versions, "%s%s", v ? ", " : "", c->versions[v]);
  printf("  %zu. %-24s score %.2f  %s %s  (client saw %s, RFC 9110 expects %s)\n", k + 1, c->best->scenario, c->score,
         label, buf_cstr(&versions), c->best->got, c->best->expect);
  printf("     recorded:  %s\n", c->matched_line);
  if (a->match) {
    char *serve = serve_command(a, c), *run = run_command(a, c);
    printf("     reproduce: %s\n"
           "                  (then point %s's upstream at the listen= address it prints)\n"
           "                %s\n",
           serve, c->best->proxy, run);
    free(serve);
    free(run);
  }
  buf_free(&versions);
}

/* "client saw 502, 1 upstream attempt, 1.4 ms": what the recorded run of a case shows. */
static void evidence(struct buf *b, const struct ref_case *rc) {
  buf_printf(b, "client saw %s", rc->got);
  if (rc->upstream_attempts >= 0)
    buf_printf(b, ", %ld upstream attempt%s", rc->upstream_attempts, rc->upstream_attempts == 1 ? "" : "s");
  if (rc->elapsed_ms >= 0) buf_printf(b, ", %.*f ms", rc->elapsed_ms < 10 ? 1 : 0, rc->elapsed_ms);
}

/* For each tie among the shown candidates, one line per candidate with what differs. */
static void print_ties(const struct answer *a) {
  for (size_t k = 0; k < a->shown;) {
    size_t first, end;
    tie_of(a, k, &first, &end);
    if (end - first < 2) {
      k++;
      continue;
    }
    printf("%zu scenarios tie at %.2f: the line cannot tell them apart. What differs in the recorded runs:\n",
           end - first, a->cands[k].score);
    /* the fields the line lacks that would have told them apart: each row shows its own */
    unsigned apart = 0;
    for (size_t f = 0; f < logline_nfields(a->cat->rules); f++)
      if (field_tells_apart(a, first, end, f)) apart |= 1u << f;
    for (size_t t = k; t < end && t < a->shown; t++) {
      const struct ref_case *rc = a->cands[t].best;
      const char *summary = summary_of(a->summaries, rc->scenario);
      struct buf b = {0};
      evidence(&b, rc);
      for (size_t f = 0; f < logline_nfields(a->cat->rules); f++) {
        char *text = apart & (1u << f) ? logline_field_text(a->cat->rules, a->cands[t].matched_line, f) : NULL;
        if (text) buf_printf(&b, ", recorded %s", text);
        free(text);
      }
      printf("  %-24s %s; %s\n", rc->scenario, summary ? summary : "(no summary)", buf_cstr(&b));
      buf_free(&b);
    }
    if (end > a->shown) printf("  (%zu more tie: --top %zu shows them)\n", end - a->shown, end);
    for (size_t f = 0; f < logline_nfields(a->cat->rules); f++)
      if (apart & (1u << f))
        printf("The line has no %s field, which would tell them apart: %s.\n", logline_field_name(a->cat->rules, f),
               logline_field_meaning(a->cat->rules, f));
    k = end;
  }
}

static void print_answer(const struct answer *a, bool several) {
  if (several) printf("%sline %zu: %s\n", a->line_no > 1 ? "\n" : "", a->line_no, a->input);
  print_recognised(a);
  print_coverage(a);
  print_unseen(a);
  print_missing(a);
  if (a->match) {
    printf("%zu scenario%s match%s", a->matched, a->matched == 1 ? "" : "s", a->matched == 1 ? "es" : "");
    if (a->matched > a->shown) printf(" (the best %zu shown; --top N for more)", a->shown);
    printf(":\n");
  } else if (a->verdictless) {
    char *why = why_no_match(a, false);
    struct buf b = {0};
    buf_printf(&b, "no match: %s", why);
    explain_fold(stdout, buf_cstr(&b));
    const struct logline_rules *r = a->cat->rules;
    size_t rows[MAX_PROXIES];
    bool all;
    size_t n = look_in(a, rows, &all);
    for (size_t k = 0; k < n; k++) {
      const char *log = logline_look_in_log(r, rows[k]);
      printf("  %-14s %s%s%s\n", logline_proxy(r, rows[k]), log, *log ? ": " : "", logline_look_in_what(r, rows[k]));
    }
    printf(a->shown ? "Nearest candidates (alike, but the line alone cannot say which fault it was):\n"
                    : "Nothing in the reference comes near it.\n");
    buf_free(&b);
    free(why);
  } else {
    printf("no match: no recorded line looks like this one (best score %.2f, a match needs %.2f).\n",
           a->n ? a->cands[0].score : 0.0, MATCH_THRESHOLD);
    printf(a->shown ? "Nearest candidates:\n" : "Nothing in the reference comes near it.\n");
  }
  for (size_t k = 0; k < a->shown; k++) print_candidate(a, k);
  print_ties(a);
}

/* ---- JSON: the same facts as fields -------------------------------------------------------- */

static json_t *versions_json(const struct catalog *cat, const char *proxy) {
  const char *versions[MAX_VERSIONS];
  size_t nv = catalog_versions(cat, proxy, versions, MAX_VERSIONS);
  json_t *arr = json_array();
  for (size_t v = 0; v < nv; v++) json_array_append_new(arr, json_string(versions[v]));
  return arr;
}

static void add_recognised(json_t *o, const struct answer *a) {
  json_t *names = json_array(), *versions = json_object();
  size_t order[MAX_PROXIES], n = logline_recognised(a->cat->rules, &a->in, order);
  for (size_t k = 0; k < n; k++) {
    const char *proxy = logline_proxy(a->cat->rules, order[k]);
    json_array_append_new(names, json_string(proxy));
    json_object_set_new(versions, proxy, versions_json(a->cat, proxy));
  }
  json_object_set_new(o, "recognised", names);
  json_object_set_new(o, "recognised_versions", versions);
  json_object_set_new(o, "family", a->in.family ? json_string(a->in.family) : json_null());
  /* the line's verdicts no recorded line has: compared by their family */
  json_t *unseen = json_array();
  for (size_t k = 0; k < a->in.nsig; k++) {
    const struct logline_sig *s = &a->in.sigs[k];
    if (logline_sig_generic(s->kind) || catalog_knows(a->cat, s)) continue;
    const char *label = logline_sig_label(a->cat->rules, s->kind);
    json_array_append_new(unseen, json_pack("{s:s, s:s}", "signature", label, "value", s->value));
  }
  json_object_set_new(o, "unseen", unseen);
}

/* why (null for a match) and, for a line without a verdict, where the proxies say why. */
static void add_why(json_t *o, const struct answer *a) {
  json_object_set_new(o, "why", a->why ? json_string(a->why) : json_null());
  json_t *rows = json_array();
  const struct logline_rules *r = a->cat->rules;
  size_t idx[MAX_PROXIES];
  bool all;
  size_t n = a->verdictless ? look_in(a, idx, &all) : 0;
  for (size_t k = 0; k < n; k++)
    json_array_append_new(rows, json_pack("{s:s, s:s, s:s}", "proxy", logline_proxy(r, idx[k]), "log",
                                          logline_look_in_log(r, idx[k]), "what", logline_look_in_what(r, idx[k])));
  json_object_set_new(o, "look_in", rows);
}

/* The fields of the matched line the line lacks (left out of the comparison), with the
 * matched line's text for each. */
static void add_missing(json_t *o, const struct answer *a, size_t k) {
  const struct logline_rules *r = a->cat->rules;
  json_t *arr = json_array();
  for (size_t f = 0; f < logline_nfields(r); f++) {
    if (!(a->cands[k].missing & (1u << f))) continue;
    char *text = logline_field_text(r, a->cands[k].matched_line, f);
    json_t *recorded = text ? json_string(text) : json_null();
    json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "field", logline_field_name(r, f), "meaning",
                                         logline_field_meaning(r, f), "recorded", recorded));
    free(text);
  }
  json_object_set_new(o, "missing_fields", arr);
}

static void add_evidence(json_t *o, const struct answer *a, size_t k) {
  const struct ref_case *rc = a->cands[k].best;
  const char *summary = summary_of(a->summaries, rc->scenario);
  json_object_set_new(o, "upstream_attempts", rc->upstream_attempts >= 0 ? json_integer(rc->upstream_attempts) : json_null());
  json_object_set_new(o, "elapsed_ms", rc->elapsed_ms >= 0 ? json_real(rc->elapsed_ms) : json_null());
  json_object_set_new(o, "summary", summary ? json_string(summary) : json_null());
  json_t *tied = json_array();
  size_t first, end;
  tie_of(a, k, &first, &end);
  for (size_t t = first; t < end; t++)
    if (t != k) json_array_append_new(tied, json_string(a->cands[t].best->scenario));
  json_object_set_new(o, "tied_with", tied);
}

static json_t *candidate_json(const struct answer *a, size_t k) {
  const struct candidate *c = &a->cands[k];
  char label[128];
  proxy_label(c->best, label, sizeof label);
  json_t *versions = json_array();
  for (size_t v = 0; v < c->nversions; v++) json_array_append_new(versions, json_string(c->versions[v]));
  char *serve = serve_command(a, c), *run = run_command(a, c);
  json_t *o = json_pack("{s:I, s:o, s:I, s:b, s:s, s:s, s:s, s:s, s:o, s:o}", "line", (json_int_t)a->line_no, "input",
                        json_text(a->input), "rank", (json_int_t)(k + 1), "match", a->match, "matched_by", MATCH_BY[c->by],
                        "scenario", c->best->scenario, "proxy", label, "proxy_version",
                        c->nversions ? c->versions[0] : c->best->version, "proxy_versions", versions,
                        "reference_versions", versions_json(a->cat, c->best->proxy));
  add_recognised(o, a);
  add_why(o, a);
  json_object_set_new(o, "score", json_real(round(c->score * 1000) / 1000));
  json_object_set_new(o, "matched_line", json_text(c->matched_line));
  json_object_set_new(o, "got", json_string(c->best->got));
  json_object_set_new(o, "expect", json_string(c->best->expect));
  add_evidence(o, a, k);
  add_missing(o, a, k);
  json_object_set_new(o, "reproduce", json_pack("{s:s, s:s}", "serve", serve, "run", run));
  free(serve);
  free(run);
  return o;
}

/* A line with no candidate near it still gets an object: what it is, and why nothing. */
static json_t *no_candidate_json(const struct answer *a) {
  json_t *o = json_pack("{s:I, s:o, s:n, s:b, s:n, s:n}", "line", (json_int_t)a->line_no, "input", json_text(a->input), "rank",
                        "match", 0, "scenario", "proxy");
  add_recognised(o, a);
  add_why(o, a);
  return o;
}

/* Explains one line; returns whether anything matched. */
bool explain_line(const struct catalog *cat, struct summaries *sums, const struct reproduce *repro, const char *line,
                  size_t line_no, bool several, size_t top, json_t *json_out) {
  struct answer a = {.cat = cat, .summaries = sums, .repro = repro, .input = line, .line_no = line_no};
  catalog_read(cat, line, &a.in);
  a.cands = rank(cat, &a.in, &a.n);
  /* the ranking keeps such a line below the threshold; this says so where it is decided */
  a.verdictless = a.in.nsig && !a.in.verdict;
  while (!a.verdictless && a.matched < a.n && a.cands[a.matched].score >= MATCH_THRESHOLD) a.matched++;
  a.match = a.matched > 0;
  size_t near = 0;
  while (near < a.n && a.cands[near].score > NEAR) near++;
  a.shown = a.match ? (a.matched < top ? a.matched : top) : (near < top ? near : top);
  if (!a.match) a.why = why_no_match(&a, true);
  if (json_out && !a.shown)
    json_array_append_new(json_out, no_candidate_json(&a));
  else if (json_out)
    for (size_t k = 0; k < a.shown; k++) json_array_append_new(json_out, candidate_json(&a, k));
  else
    print_answer(&a, several);
  free(a.why);
  rank_free(a.cands, a.n);
  logline_free(&a.in);
  return a.match;
}
