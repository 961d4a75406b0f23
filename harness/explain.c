/* explain.c: `badup explain`: a proxy's log line in, the scenarios that make the proxy write
 * that line out, ranked, with the commands that reproduce them, the versions the answer
 * comes from, and, when several scenarios tie, what tells them apart.
 *
 * What a line says is logline.c's business, the reference and the ranking explain_rank.c's;
 * this file reads the arguments and writes the answer (text, or JSON with the same facts). */
#include "explain.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "explain_rank.h"
#include "logline.h"
#include "paths.h"
#include "reference.h"
#include "results.h"
#include "scenario.h"

#define EXIT_MATCH 0
#define EXIT_NO_MATCH 1
#define EXIT_USAGE 2

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

/* Where each proxy says why a request failed: what to look for when a line carries only a
 * status. log is the file of the proxy's definition (harness/proxies/<name>.lua, `logs`)
 * that holds it in badup's own set-up ("": the line itself); what says what it looks like
 * in production. A proxy added to the reference gets a row here. */
static const struct {
  const char *proxy, *log, *what;
} VERDICT_LOGS[] = {
    /* mod_proxy writes the reason to the error log; the access log has no field for it */
    {"apache2", "error.log",
     "the ErrorLog line of the same request, with mod_proxy's AH code and errno "
     "(\"(111)Connection refused: AH00957\", \"AH01102: error reading status line\")"},
    /* the access logger writes "handled request" for every request; the error logger the cause */
    {"caddy", "error.log",
     "the http.log.error logger's line of the same request: its \"msg\" (\"EOF\", \"dial tcp ...: connect: "
     "connection refused\")"},
    /* h2o's access log has no error field; proxy.c writes one error-log line per failure */
    {"h2o", "error.log", "the error-log line \"[lib/core/proxy.c] in request:PATH:...\" (\"I/O error (head)\", "
                         "\"connection timeout\")"},
    /* option httplog always writes the termination state on the line itself */
    {"haproxy", "",
     "the termination state on the same httplog line (SH--, sC--, ...): a haproxy line without it comes from a "
     "log-format that drops %tsc"},
    /* mod_proxy's reasons go to server.errorlog; an empty reply leaves none (see lighttpd.lua) */
    {"lighttpd", "error.log",
     "the server.errorlog line of mod_proxy (\"(gw_backend.c.NNN) establishing connection failed ...\"); an "
     "empty reply leaves none"},
    /* below log-level INFO, nghttpx writes only connect failures */
    {"nghttpx", "error.log",
     "the errorlog-file lines at log-level INFO (\"[DCONN:...] HTTP response ended prematurely\", \"Time out\")"},
    /* nginx's access log has no reason field in any format; the error log has the message */
    {"nginx", "error.log",
     "the error_log line of the same request (\"upstream prematurely closed connection while reading response "
     "header from upstream\")"},
    /* the harness's own proxy appends its error to the access line */
    {"node", "access.log", "the error=\"...\" at the end of its access line"},
    /* squid's verdict is the access line's error page, which the default logformat lacks */
    {"squid", "access.log",
     "the err=%err_code/%err_detail field of the access line (squid's default logformat lacks it), and cache.log"},
    /* tinyproxy writes the request first and the cause on later lines of the same log */
    {"tinyproxy", "tinyproxy.log", "the lines after the request's (\"process_server_headers failed: ...\")"},
    /* the result code (%<crc>) is trafficserver's verdict, on the access line itself */
    {"trafficserver", "access.log",
     "the result code on the access line (%<crc>: ERR_CONNECT_FAIL, ERR_READ_TIMEOUT) and error.log's CONNECT lines"},
    /* varnishncsa's default format is NCSA combined: the fetch error only with %{VSL:FetchError}x */
    {"varnish", "access.log",
     "the FetchError: varnishlog's record, or %{VSL:FetchError}x in varnishncsa's format (its default lacks it)"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- help ---------------------------------------------------------------------------------- */

/* "haproxy 2.6.12; nginx 1.22.1, 1.24.0; ..." from the reference folder's files, or NULL. */
static char *coverage(const char *dir_arg) {
  char *dir = repo_dir(dir_arg);
  struct dirent **names;
  int k = dir ? scandir(dir, &names, NULL, alphasort) : -1;
  if (k < 0) {
    free(dir);
    return NULL;
  }
  struct buf b = {0};
  for (int i = 0; i < k; i++) {
    size_t len = strlen(names[i]->d_name);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    char err[160];
    struct reference *ref =
        len > 5 && !strcmp(names[i]->d_name + len - 5, ".json") ? reference_read(path, err, sizeof err) : NULL;
    const char *proxy = reference_proxy(ref), *versions[64];
    /* "+retries" files hold the same versions, with retries on */
    if (proxy && !strchr(names[i]->d_name, '+')) {
      buf_printf(&b, "%s%s", b.len ? "; " : "", proxy);
      size_t nv = reference_versions(ref, versions, 64);
      for (size_t n = 0; n < nv; n++) buf_printf(&b, "%s%s", n ? ", " : " ", versions[n]);
    }
    reference_free(ref);
    free(names[i]);
  }
  free(names);
  free(dir);
  char *r = b.len ? strdup(buf_cstr(&b)) : NULL;
  buf_free(&b);
  return r;
}

/* text, folded at 88 columns. */
static void print_folded(FILE *out, const char *text) {
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

static void usage_for(FILE *out, const char *ref_arg) {
  fputs("usage: badup explain [options] [\"LOG LINE\"... | -]\n"
        "\n"
        "Finds the scenarios that make a proxy write a given log line, from the lines each\n"
        "proxy version wrote for each scenario in the reference (results/reference/). Each\n"
        "argument that is not one of the options below is one line, whatever it starts with\n"
        "(varnishlog's records start with '-'); with no line or '-', lines are read from\n"
        "stdin, one explanation per line. What differs by deployment does not count: times\n"
        "in any common format, syslog, journald and RFC 5424 headers, client addresses (IPv4\n"
        "or IPv6) and ports, pids and ids, methods, paths and query strings, host, frontend,\n"
        "backend, server and upstream names, response and error page sizes.\n"
        "\n"
        "For each line it prints the proxy whose format it recognises, the proxy's verdict\n"
        "(haproxy's termination state, nginx's message, apache's AH code, varnish's\n"
        "FetchError, squid's ERR_*, ...), the family of the failure (close, reset, timeout,\n"
        "refused, connect-timeout, connect-failed, invalid-response, too-large, client) and\n"
        "the versions of that proxy in the reference; then the matching scenarios ranked by\n"
        "score (1.00: the same verdict and status), each with the versions where the line\n"
        "was measured and the commands that reproduce it:\n"
        "  badup serve scenarios/S.lua              point a staging proxy's upstream at the\n"
        "                                           listen= address it prints\n"
        "  badup run --proxy P --scenario S         the built-in proxy set-up\n"
        "When scenarios tie, one line each says what differs in the recorded runs: what the\n"
        "upstream did, what the client saw, upstream attempts, time to the answer.\n"
        "A verdict worded in a way the reference never saw (another version's wording) is\n"
        "compared by its family, and says so. A line it cannot place gets \"no match\" and\n"
        "the nearest candidates.\n"
        "A status alone is not a verdict (every proxy writes 502 for a dozen faults): a line\n"
        "whose only signature is a status, such as most proxies' access lines, is never a\n"
        "match. It gets \"no match\", where the proxy writes why (its error log; every\n"
        "proxy's when the format is nobody's in particular) and the nearest candidates,\n"
        "below a match.\n"
        "A field the harness's log format adds to a proxy's default (squid's err=,\n"
        "trafficserver's sssc= cfsc= pfsc=, nginx's rt= ua= us= uct= urt=, varnishncsa's\n"
        "fetcherror=) that the line lacks is left out of the comparison, and where it would\n"
        "tell tied scenarios apart, each one's recorded value is shown.\n"
        "\n"
        "options:\n"
        "  --json            print a JSON array: one object per candidate (line, input,\n"
        "                    rank, match, matched_by, scenario, proxy, proxy_version,\n"
        "                    proxy_versions, reference_versions, recognised,\n"
        "                    recognised_versions, family, unseen, why, look_in, score,\n"
        "                    matched_line, got, expect, upstream_attempts, elapsed_ms,\n"
        "                    summary, tied_with, missing_fields, reproduce); a line with no\n"
        "                    match lists its nearest candidates with match false and the\n"
        "                    reason in why, a line with nothing near it one object with\n"
        "                    rank null\n"
        "  --top N           at most N candidates per line (default 5)\n"
        "  --reference DIR   reference folder (default results/reference)\n"
        "  --scenarios DIR   scenario folder, for the summaries (default scenarios)\n"
        "  --                what follows is log lines, even if it looks like an option\n"
        "  -h, --help        this help\n"
        "\n"
        "Exit codes: 0 every line matched, 1 a line matched nothing, 2 usage or set-up error.\n",
        out);
  char *covered = coverage(ref_arg);
  struct buf b = {0};
  buf_printf(&b, "The reference (%s) covers %s. A line from another version may word its verdict otherwise, "
             "or decide otherwise.", ref_arg, covered ? covered : "nothing: the folder is not found");
  fputc('\n', out);
  print_folded(out, buf_cstr(&b));
  buf_free(&b);
  free(covered);
}

void explain_usage(FILE *out) { usage_for(out, "results/reference"); }

/* ---- scenario summaries -------------------------------------------------------------------- */

struct summaries {
  char *dir; /* NULL when the scenario folder is not found */
  char **names, **texts;
  size_t n;
};

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

static void summaries_free(struct summaries *s) {
  for (size_t k = 0; k < s->n; k++) free(s->names[k]), free(s->texts[k]);
  free(s->names);
  free(s->texts);
  free(s->dir);
}

/* ---- one line's answer ------------------------------------------------------------------- */

struct answer {
  const struct catalog *cat;
  struct summaries *summaries;
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

static char *serve_command(const struct candidate *c) {
  struct buf b = {0};
  buf_printf(&b, "badup serve scenarios/%s.lua", c->best->scenario);
  char *r = strdup(buf_cstr(&b));
  buf_free(&b);
  return r;
}

static char *run_command(const struct candidate *c) {
  struct buf b = {0};
  buf_printf(&b, "badup run --proxy %s --scenario %s%s", c->best->proxy, c->best->scenario,
             !strcmp(c->best->variant, "retries") ? " --retries" : "");
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

/* The rows of VERDICT_LOGS to show: the recognised proxies', or every row when the line's
 * format is not one proxy's. Returns how many went into rows. */
static size_t look_in(const struct answer *a, size_t *rows) {
  size_t n = 0;
  for (size_t k = 0; k < COUNT(VERDICT_LOGS); k++) {
    int d = logline_proxy_index(VERDICT_LOGS[k].proxy);
    if (d >= 0 && (a->in.proxies & (1u << d))) rows[n++] = k;
  }
  for (size_t k = 0; !n && k < COUNT(VERDICT_LOGS); k++) rows[k] = k;
  return n ? n : COUNT(VERDICT_LOGS);
}

/* "a status (502)", "a status (502) and its backend (-:-)": what a line without a verdict
 * carries, the status first. */
static void carried(struct buf *b, const struct logline *in) {
  size_t n = 0;
  for (int generic = 1; generic >= 0; generic--)
    for (size_t k = 0; k < in->nsig; k++) {
      const struct logline_sig *s = &in->sigs[k];
      if (logline_sig_generic(s->kind) != (generic == 1)) continue;
      buf_printf(b, "%s%s %s (%s)", n++ ? " and " : "", generic ? "a" : "its", logline_sig_label(s->kind), s->value);
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
    carried(&b, &a->in);
    buf_puts(&b, status ? ", which is not the proxy's verdict: a proxy writes the same status for a dozen faults. "
                        : ", which is not the proxy's verdict: the proxy writes it for every request. ");
    size_t rows[COUNT(VERDICT_LOGS)], n = look_in(a, rows);
    if (n == COUNT(VERDICT_LOGS)) buf_puts(&b, "The proxy's error log line says why:");
    else if (n == 1) buf_printf(&b, "Where %s says why:", VERDICT_LOGS[rows[0]].proxy);
    else buf_puts(&b, "Where they say why:");
    /* in one sentence only where each proxy writes it; look_in has what it looks like */
    for (size_t k = 0; rows_inline && k < n; k++) {
      const char *log = VERDICT_LOGS[rows[k]].log;
      buf_printf(&b, "%s %s (%s)", k ? "," : "", VERDICT_LOGS[rows[k]].proxy, *log ? log : "the line itself");
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
  struct buf b = {0};
  for (size_t d = 0; d < logline_nproxies(); d++)
    if (in->proxies & (1u << d)) buf_printf(&b, "%s%s", b.len ? " or " : "", logline_proxy(d));
  if (!b.len) buf_puts(&b, "no known proxy format");
  for (size_t k = 0; k < in->nsig; k++)
    buf_printf(&b, "%s%s %s", k ? ", " : "; ", logline_sig_label(in->sigs[k].kind), in->sigs[k].value);
  if (in->family) buf_printf(&b, "; family %s (%s)", in->family, logline_family_meaning(in->family));
  printf("recognised: %s\n", buf_cstr(&b));
  buf_free(&b);
}

/* Which versions of the recognised proxies the reference holds: an answer is only as good
 * as the versions it was measured on. */
static void print_coverage(const struct answer *a) {
  struct buf b = {0};
  for (size_t d = 0; d < logline_nproxies(); d++) {
    if (!(a->in.proxies & (1u << d))) continue;
    const char *versions[MAX_VERSIONS];
    size_t nv = catalog_versions(a->cat, logline_proxy(d), versions, MAX_VERSIONS);
    buf_printf(&b, "%s%s ", b.len ? "; " : "", logline_proxy(d));
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
    printf("note: no recorded line has %s \"%s\"; compared by its family, %s\n", logline_sig_label(s->kind), s->value,
           a->in.family ? a->in.family : "(none)");
  }
}

/* Says which fields of the recorded lines the line lacks, and that they were left out. */
static void print_missing(const struct answer *a) {
  if (!a->n) return;
  for (size_t f = 0; f < logline_nfields(); f++)
    if (a->cands[0].missing & (1u << f))
      printf("note: the line has no %s field (%s); the recorded lines are compared without it\n",
             logline_field_name(f), logline_field_meaning(f));
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
    char *serve = serve_command(c), *run = run_command(c);
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
    for (size_t f = 0; f < logline_nfields(); f++)
      if (field_tells_apart(a, first, end, f)) apart |= 1u << f;
    for (size_t t = k; t < end && t < a->shown; t++) {
      const struct ref_case *rc = a->cands[t].best;
      const char *summary = summary_of(a->summaries, rc->scenario);
      struct buf b = {0};
      evidence(&b, rc);
      for (size_t f = 0; f < logline_nfields(); f++) {
        char *text = apart & (1u << f) ? logline_field_text(a->cat->rules, a->cands[t].matched_line, f) : NULL;
        if (text) buf_printf(&b, ", recorded %s", text);
        free(text);
      }
      printf("  %-24s %s; %s\n", rc->scenario, summary ? summary : "(no summary)", buf_cstr(&b));
      buf_free(&b);
    }
    if (end > a->shown) printf("  (%zu more tie: --top %zu shows them)\n", end - a->shown, end);
    for (size_t f = 0; f < logline_nfields(); f++)
      if (apart & (1u << f))
        printf("The line has no %s field, which would tell them apart: %s.\n", logline_field_name(f),
               logline_field_meaning(f));
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
    print_folded(stdout, buf_cstr(&b));
    size_t rows[COUNT(VERDICT_LOGS)], n = look_in(a, rows);
    for (size_t k = 0; k < n; k++) {
      const char *log = VERDICT_LOGS[rows[k]].log;
      printf("  %-14s %s%s%s\n", VERDICT_LOGS[rows[k]].proxy, log, *log ? ": " : "", VERDICT_LOGS[rows[k]].what);
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
  for (size_t d = 0; d < logline_nproxies(); d++) {
    if (!(a->in.proxies & (1u << d))) continue;
    json_array_append_new(names, json_string(logline_proxy(d)));
    json_object_set_new(versions, logline_proxy(d), versions_json(a->cat, logline_proxy(d)));
  }
  json_object_set_new(o, "recognised", names);
  json_object_set_new(o, "recognised_versions", versions);
  json_object_set_new(o, "family", a->in.family ? json_string(a->in.family) : json_null());
  /* the line's verdicts no recorded line has: compared by their family */
  json_t *unseen = json_array();
  for (size_t k = 0; k < a->in.nsig; k++) {
    const struct logline_sig *s = &a->in.sigs[k];
    if (logline_sig_generic(s->kind) || catalog_knows(a->cat, s)) continue;
    json_array_append_new(unseen, json_pack("{s:s, s:s}", "signature", logline_sig_label(s->kind), "value", s->value));
  }
  json_object_set_new(o, "unseen", unseen);
}

/* why (null for a match) and, for a line without a verdict, where the proxies say why. */
static void add_why(json_t *o, const struct answer *a) {
  json_object_set_new(o, "why", a->why ? json_string(a->why) : json_null());
  json_t *rows = json_array();
  size_t idx[COUNT(VERDICT_LOGS)], n = a->verdictless ? look_in(a, idx) : 0;
  for (size_t k = 0; k < n; k++)
    json_array_append_new(rows, json_pack("{s:s, s:s, s:s}", "proxy", VERDICT_LOGS[idx[k]].proxy, "log",
                                          VERDICT_LOGS[idx[k]].log, "what", VERDICT_LOGS[idx[k]].what));
  json_object_set_new(o, "look_in", rows);
}

/* The fields of the matched line the line lacks (left out of the comparison), with the
 * matched line's text for each. */
static void add_missing(json_t *o, const struct answer *a, size_t k) {
  json_t *arr = json_array();
  for (size_t f = 0; f < logline_nfields(); f++) {
    if (!(a->cands[k].missing & (1u << f))) continue;
    char *text = logline_field_text(a->cat->rules, a->cands[k].matched_line, f);
    json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "field", logline_field_name(f), "meaning",
                                         logline_field_meaning(f), "recorded", text ? json_string(text) : json_null()));
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
  char *serve = serve_command(c), *run = run_command(c);
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
static bool explain_line(const struct catalog *cat, struct summaries *sums, const char *line, size_t line_no,
                         bool several, size_t top, json_t *json_out) {
  struct answer a = {.cat = cat, .summaries = sums, .input = line, .line_no = line_no};
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

/* ---- arguments ------------------------------------------------------------------------------ */

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "badup explain: ");
  fprintf(stderr, msg, arg);
  fprintf(stderr, "\nTry 'badup explain --help'.\n");
  return EXIT_USAGE;
}

static void chomp(char *s) {
  size_t len = strlen(s);
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = 0;
}

static bool blank(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return !*s;
}

struct explain_args {
  const char *ref_arg, *scn_arg;
  bool json;
  size_t top;
  bool help;
  bool from_stdin; /* no line given, or '-' */
  char **lines;    /* borrowed from argv */
  size_t nlines;
};

/* An argument shaped like an option (one word after '-' or '--') that is not one of ours:
 * it is still a log line, but most likely a typo, so say so once on stderr. */
static bool looks_like_option(const char *a) {
  if (a[0] != '-') return false;
  const char *p = a + 1 + (a[1] == '-');
  if (!isalpha((unsigned char)*p)) return false;
  while (*p && *p != '=' && (isalnum((unsigned char)*p) || *p == '-')) p++;
  return !*p || *p == '=';
}

/* The value of --NAME VALUE or --NAME=VALUE at argv[*k], moving *k past it; NULL when argv[*k]
 * is not --NAME. *missing is set when --NAME comes without a value. */
static const char *option_value(int argc, char **argv, int *k, const char *name, bool *missing) {
  size_t n = strlen(name);
  const char *a = argv[*k];
  if (strncmp(a, name, n)) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n]) return NULL;
  if (*k + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*k];
}

/* Only the options below are options; every other argument is a log line, whatever it
 * starts with: varnishlog's records start with '-' ("-   FetchError ..."), and a line must
 * never be mistaken for an option cluster. '--' ends the options; a lone '-' is stdin. */
static int parse_args(int argc, char **argv, struct explain_args *a) {
  *a = (struct explain_args){.ref_arg = "results/reference", .scn_arg = "scenarios", .top = 5};
  a->lines = calloc((size_t)argc + 1, sizeof *a->lines);
  bool options = true, dash = false;
  for (int k = 1; k < argc; k++) {
    const char *arg = argv[k], *v;
    bool missing = false;
    if (!options || arg[0] != '-' || !arg[1]) {
      if (options && !strcmp(arg, "-")) dash = true;
      else a->lines[a->nlines++] = argv[k];
    } else if (!strcmp(arg, "--")) {
      options = false;
    } else if (!strcmp(arg, "--json")) {
      a->json = true;
    } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      a->help = true;
    } else if ((v = option_value(argc, argv, &k, "--top", &missing))) {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || end == v || n < 1 || n > 1000) return usage_error("--top wants a number from 1 to 1000, not '%s'", v);
      a->top = (size_t)n;
    } else if ((v = option_value(argc, argv, &k, "--reference", &missing))) {
      a->ref_arg = v;
    } else if ((v = option_value(argc, argv, &k, "--scenarios", &missing))) {
      a->scn_arg = v;
    } else if (missing) {
      return usage_error("option '%s' needs a value", arg);
    } else {
      if (looks_like_option(arg))
        fprintf(stderr, "badup explain: '%s' is not an option, so it is read as a log line "
                        "(options: --json, --top N, --reference DIR, --scenarios DIR, --help)\n", arg);
      a->lines[a->nlines++] = argv[k];
    }
  }
  if (dash && a->nlines) return usage_error("%s", "'-' (read stdin) cannot be mixed with log lines");
  a->from_stdin = !a->nlines;
  return 0;
}

/* The lines to explain, blank ones left out: the arguments, or stdin's lines. */
static char **gather_lines(const struct explain_args *args, size_t *n) {
  char **lines = NULL;
  size_t cap = 0;
  *n = 0;
  char *line = NULL;
  size_t len = 0;
  if (args->from_stdin && isatty(STDIN_FILENO))
    fprintf(stderr, "badup explain: reading log lines from stdin (Ctrl-D to end)\n");
  for (size_t k = 0;; k++) {
    const char *l;
    if (args->from_stdin) {
      if (getline(&line, &len, stdin) == -1) break;
      chomp(line);
      l = line;
    } else {
      if (k == args->nlines) break;
      l = args->lines[k];
    }
    if (blank(l)) continue;
    if (*n == cap) lines = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof *lines);
    lines[(*n)++] = strdup(l);
  }
  free(line);
  return lines;
}

static int explain_all(const struct catalog *cat, struct summaries *sums, const struct explain_args *args) {
  size_t n;
  char **lines = gather_lines(args, &n);
  int rc;
  if (!n) {
    rc = usage_error("%s", "no log line given (as an argument, or on stdin)");
  } else {
    json_t *out = args->json ? json_array() : NULL;
    bool all_matched = true;
    for (size_t k = 0; k < n; k++) all_matched &= explain_line(cat, sums, lines[k], k + 1, n > 1, args->top, out);
    if (out) {
      char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
      if (text) puts(text);
      free(text);
      json_decref(out);
    }
    rc = all_matched ? EXIT_MATCH : EXIT_NO_MATCH;
  }
  for (size_t k = 0; k < n; k++) free(lines[k]);
  free(lines);
  return rc;
}

int explain_main(int argc, char **argv) {
  struct explain_args args;
  int rc = parse_args(argc, argv, &args);
  if (rc || args.help) {
    free(args.lines);
    if (args.help) usage_for(stdout, args.ref_arg);
    return rc;
  }
  char *ref_dir = repo_dir(args.ref_arg);
  struct catalog cat;
  if (!ref_dir) {
    rc = usage_error("cannot find the reference folder '%s' (run from the repository, or give --reference)", args.ref_arg);
  } else if (catalog_load(&cat, ref_dir)) {
    fprintf(stderr, "badup explain: no recorded proxy log lines in %s\n", ref_dir);
    catalog_free(&cat);
    rc = EXIT_USAGE;
  } else {
    /* without the scenario folder, ties only lack their summaries */
    struct summaries sums = {.dir = repo_dir(args.scn_arg)};
    if (!sums.dir && strcmp(args.scn_arg, "scenarios") != 0)
      fprintf(stderr, "badup explain: --scenarios %s: no such folder; tied candidates are shown without their summaries\n",
              args.scn_arg);
    rc = explain_all(&cat, &sums, &args);
    summaries_free(&sums);
    catalog_free(&cat);
  }
  free(ref_dir);
  free(args.lines);
  return rc;
}
