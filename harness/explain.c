/* explain.c: `badup explain`: a proxy's log line in, the scenarios that make the proxy write
 * that line out, ranked, with the commands that reproduce them.
 *
 * The catalog is results/reference/<proxy>.json: for every proxy version and scenario, the
 * proxy's own log lines for the request (proxy_log, lines joined with " | "). A production
 * line never equals a recorded one: timestamps, addresses, ports, pids, connection and
 * request ids, paths and durations differ. So both sides are normalised first (those parts
 * become placeholders), then compared in two ways:
 *   - signatures: the few fields a proxy uses to say what went wrong (haproxy's termination
 *     state, nginx's error message, apache's AHnnnnn code, varnish's FetchError, squid's
 *     ERR_* id, ...), extracted with one regular expression each and weighed strongly;
 *   - the rest of the line as a set of tokens, each weighed by how rare it is in the
 *     reference (a token every line has, like GET, says nothing).
 * A line whose format one proxy is known to write is matched mainly against that proxy. */
#include "explain.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "logline.h"
#include "paths.h"

#define EXIT_MATCH 0
#define EXIT_NO_MATCH 1
#define EXIT_USAGE 2

/* Below this a candidate is only "nearest", not a match. Calibrated on the reference: a line
 * whose signature agrees scores 0.8 or more even with foreign tokens (a syslog prefix, other
 * frontend names); one whose signature disagrees stays under 0.5. */
#define MATCH_THRESHOLD 0.6
/* How much of a score the signatures make when either side has one. */
#define SIGNATURE_SHARE 0.6
/* A candidate of a proxy other than the one whose format the line has keeps this much. */
#define FOREIGN_PROXY_FACTOR 0.5
/* Versions whose score is this close to the best count as measured for the match. */
#define SAME_SCORE 0.005

void explain_usage(FILE *out) {
  fputs("usage: badup explain [options] [\"LOG LINE\"... | -]\n"
        "\n"
        "Finds the scenarios that make a proxy write a given log line, from the lines each\n"
        "proxy version wrote for each scenario in the reference (results/reference/). Each\n"
        "argument is one line; with no argument or '-', lines are read from stdin, one\n"
        "explanation per line. Timestamps, addresses, ports, pids, connection and request\n"
        "ids, paths and durations may differ from the recorded lines.\n"
        "\n"
        "For each line it prints the proxy whose format it recognises, then the matching\n"
        "scenarios ranked by score (1.00: same signature and same shape), each with the proxy\n"
        "versions where the line was measured and the commands that reproduce it:\n"
        "  badup serve scenarios/S.lua              point a staging proxy's upstream at the\n"
        "                                           listen= address it prints\n"
        "  badup run --proxy P --scenario S         the built-in proxy set-up\n"
        "A line it cannot place gets \"no match\" and the nearest candidates.\n"
        "\n"
        "options:\n"
        "  --json            print a JSON array: one object per candidate (line, input,\n"
        "                    rank, match, scenario, proxy, proxy_version, proxy_versions,\n"
        "                    score, matched_line, got, expect, reproduce)\n"
        "  --top N           at most N candidates per line (default 5)\n"
        "  --reference DIR   reference folder (default results/reference)\n"
        "  -h, --help        this help\n"
        "\n"
        "Exit codes: 0 every line matched, 1 a line matched nothing, 2 usage or set-up error.\n",
        out);
}


/* ---- the reference ---- */

struct ref_line {
  char *raw;
  struct logline f;
};

struct ref_case {
  size_t group; /* cases of the same proxy (and variant) and scenario, across versions */
  char *proxy;   /* as in the file: haproxy */
  char *variant; /* "" or what follows '+' in the file name (haproxy+retries.json) */
  char *version, *scenario, *got, *expect;
  struct ref_line *lines;
  size_t nlines;
};

struct doc_freq {
  char *token; /* borrowed from a ref_line */
  size_t lines;
};

struct catalog {
  struct ref_case *cases;
  size_t ncases, cap;
  struct doc_freq *df;
  size_t ndf, nlines;
  size_t ngroups;
};

static const char *json_str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static void add_case(struct catalog *cat, const struct logline_matcher *m, const char *proxy, const char *variant,
                     const char *version, const char *scenario, json_t *sc) {
  const char *log = json_str(sc, "proxy_log");
  if (!*log) return; /* the proxy logged nothing for it: nothing to match */
  if (cat->ncases == cat->cap) {
    cat->cap = cat->cap ? cat->cap * 2 : 64;
    cat->cases = realloc(cat->cases, cat->cap * sizeof *cat->cases);
  }
  struct ref_case *c = &cat->cases[cat->ncases++];
  *c = (struct ref_case){0, strdup(proxy), strdup(variant), strdup(version), strdup(scenario),
                         strdup(json_str(sc, "got")), strdup(json_str(sc, "expect")), NULL, 0};
  /* the harness joins a request's lines with " | " */
  size_t cap = 2;
  c->lines = malloc(cap * sizeof *c->lines);
  for (const char *p = log; *p;) {
    const char *end = strstr(p, " | ");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len) {
      if (c->nlines == cap) c->lines = realloc(c->lines, (cap *= 2) * sizeof *c->lines);
      struct ref_line *l = &c->lines[c->nlines++];
      l->raw = strndup(p, len);
      logline_read(m, l->raw, &l->f);
    }
    p += len + (end ? 3 : 0);
  }
}

static int load_file(struct catalog *cat, const struct logline_matcher *m, const char *path, const char *stem) {
  json_error_t err;
  json_t *root = json_load_file(path, 0, &err);
  if (!root) {
    fprintf(stderr, "badup explain: %s:%d: %s (skipped)\n", path, err.line, err.text);
    return -1;
  }
  const char *plus = strchr(stem, '+');
  char *proxy = strdup(json_string_value(json_object_get(root, "proxy")) ? json_str(root, "proxy") : stem);
  if (!json_string_value(json_object_get(root, "proxy")) && plus) proxy[plus - stem] = 0;
  const char *version, *scenario;
  json_t *vobj, *sobj;
  json_object_foreach(json_object_get(root, "versions"), version, vobj) {
    json_object_foreach(json_object_get(vobj, "scenarios"), scenario, sobj) {
      add_case(cat, m, proxy, plus ? plus + 1 : "", version, scenario, sobj);
    }
  }
  free(proxy);
  json_decref(root);
  return 0;
}

static int cmp_df(const void *a, const void *b) {
  return strcmp(((const struct doc_freq *)a)->token, ((const struct doc_freq *)b)->token);
}

/* In how many recorded lines each token appears: the rarer, the more it says. */
static void count_tokens(struct catalog *cat) {
  size_t total = 0;
  for (size_t c = 0; c < cat->ncases; c++)
    for (size_t l = 0; l < cat->cases[c].nlines; l++) total += cat->cases[c].lines[l].f.ntok, cat->nlines++;
  struct doc_freq *all = malloc((total ? total : 1) * sizeof *all);
  size_t n = 0;
  for (size_t c = 0; c < cat->ncases; c++)
    for (size_t l = 0; l < cat->cases[c].nlines; l++)
      for (size_t t = 0; t < cat->cases[c].lines[l].f.ntok; t++) all[n++] = (struct doc_freq){cat->cases[c].lines[l].f.tokens[t], 1};
  qsort(all, n, sizeof *all, cmp_df);
  size_t u = 0;
  for (size_t k = 0; k < n; k++) {
    if (u && !strcmp(all[u - 1].token, all[k].token)) all[u - 1].lines++;
    else all[u++] = all[k];
  }
  cat->df = all;
  cat->ndf = u;
}

/* A token no recorded line has (a host name, a frontend's name, a syslog prefix) cannot tell
 * one scenario from another; weighed like a rare one it would only drag every score down, so
 * it weighs like a token a third of the lines have. */
#define UNSEEN_TOKEN_WEIGHT 1.0

static double token_weight(const struct catalog *cat, const char *token) {
  struct doc_freq key = {(char *)token, 0};
  const struct doc_freq *d = bsearch(&key, cat->df, cat->ndf, sizeof *cat->df, cmp_df);
  if (!d) return UNSEEN_TOKEN_WEIGHT;
  return log(((double)cat->nlines + 1.0) / ((double)d->lines + 0.5));
}

/* Looked up once per line, not once per comparison. */
static void weigh_tokens(const struct catalog *cat, struct logline *f) {
  f->weights = malloc((f->ntok ? f->ntok : 1) * sizeof *f->weights);
  for (size_t t = 0; t < f->ntok; t++) f->weights[t] = token_weight(cat, f->tokens[t]);
}

static bool same_group(const struct ref_case *a, const struct ref_case *b) {
  return !strcmp(a->proxy, b->proxy) && !strcmp(a->variant, b->variant) && !strcmp(a->scenario, b->scenario);
}

static void index_catalog(struct catalog *cat) {
  for (size_t c = 0; c < cat->ncases; c++) {
    for (size_t l = 0; l < cat->cases[c].nlines; l++) weigh_tokens(cat, &cat->cases[c].lines[l].f);
    size_t g = 0;
    while (g < c && !same_group(&cat->cases[g], &cat->cases[c])) g++;
    cat->cases[c].group = g < c ? cat->cases[g].group : cat->ngroups++;
  }
}

static void catalog_free(struct catalog *cat) {
  for (size_t c = 0; c < cat->ncases; c++) {
    struct ref_case *rc = &cat->cases[c];
    for (size_t l = 0; l < rc->nlines; l++) {
      free(rc->lines[l].raw);
      logline_free(&rc->lines[l].f);
    }
    free(rc->lines);
    free(rc->proxy);
    free(rc->variant);
    free(rc->version);
    free(rc->scenario);
    free(rc->got);
    free(rc->expect);
  }
  free(cat->cases);
  free(cat->df);
}

static int load_catalog(struct catalog *cat, const struct logline_matcher *m, const char *dir) {
  struct dirent **names;
  int k = scandir(dir, &names, NULL, alphasort);
  if (k < 0) return -1;
  for (int i = 0; i < k; i++) {
    const char *name = names[i]->d_name;
    size_t len = strlen(name);
    if (name[0] != '.' && len > 5 && !strcmp(name + len - 5, ".json")) {
      char path[PATH_MAX], stem[NAME_MAX + 1];
      snprintf(path, sizeof path, "%s/%s", dir, name);
      snprintf(stem, sizeof stem, "%.*s", (int)(len - 5), name);
      load_file(cat, m, path, stem);
    }
    free(names[i]);
  }
  free(names);
  count_tokens(cat);
  index_catalog(cat);
  return 0;
}

/* ---- scoring ---- */

/* Weighted Jaccard: the weight of the shared tokens over the weight of all of them. */
static double token_similarity(const struct catalog *cat, const struct logline *a, const struct logline *b) {
  double shared = 0, all = 0;
  size_t i = 0, j = 0;
  while (i < a->ntok || j < b->ntok) {
    int c = i == a->ntok ? 1 : j == b->ntok ? -1 : strcmp(a->tokens[i], b->tokens[j]);
    double w = c <= 0 ? a->weights[i] : b->weights[j];
    all += w;
    if (c == 0) shared += w, i++, j++;
    else if (c < 0) i++;
    else j++;
  }
  return all > 0 ? shared / all : 0;
}

static double sig_similarity(const struct logline *a, const struct logline *b) {
  double shared = 0, all = 0;
  size_t i = 0, j = 0;
  while (i < a->nsig || j < b->nsig) {
    int c = i == a->nsig ? 1 : j == b->nsig ? -1 : logline_cmp_sig(&a->sigs[i], &b->sigs[j]);
    double w = c <= 0 ? a->sigs[i].weight : b->sigs[j].weight;
    all += w;
    if (c == 0) shared += w, i++, j++;
    else if (c < 0) i++;
    else j++;
  }
  return all > 0 ? shared / all : 0;
}

static int detector_of(const char *proxy) {
  for (size_t d = 0; d < logline_nproxies(); d++)
    if (!strcmp(logline_proxy(d), proxy)) return (int)d;
  return -1;
}

static double line_score(const struct catalog *cat, const struct logline *in, const struct logline *ref) {
  double tok = token_similarity(cat, in, ref);
  if (!in->nsig && !ref->nsig) return tok;
  return SIGNATURE_SHARE * sig_similarity(in, ref) + (1 - SIGNATURE_SHARE) * tok;
}

struct candidate {
  const struct ref_case *best; /* the version with the best score */
  const char **versions;       /* where the line was measured with that score */
  size_t nversions;
  double score;
  const char *matched_line;
};

static int cmp_candidate(const void *a, const void *b) {
  const struct candidate *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  int c = strcmp(x->best->proxy, y->best->proxy);
  if (c) return c;
  c = strcmp(x->best->variant, y->best->variant);
  return c ? c : strcmp(x->best->scenario, y->best->scenario);
}

/* Every (proxy, scenario) with its best score over the recorded lines of every version. */
static struct candidate *rank(const struct catalog *cat, const struct logline *in, size_t *ncand) {
  struct candidate *cands = calloc(cat->ncases ? cat->ncases : 1, sizeof *cands);
  double *case_score = calloc(cat->ncases ? cat->ncases : 1, sizeof *case_score);
  const char **case_line = calloc(cat->ncases ? cat->ncases : 1, sizeof *case_line);
  for (size_t c = 0; c < cat->ncases; c++) {
    const struct ref_case *rc = &cat->cases[c];
    int d = detector_of(rc->proxy);
    bool foreign = in->proxies && (d < 0 || !(in->proxies & (1u << d)));
    for (size_t l = 0; l < rc->nlines; l++) {
      double s = line_score(cat, in, &rc->lines[l].f) * (foreign ? FOREIGN_PROXY_FACTOR : 1.0);
      if (s > case_score[c] || !case_line[c]) case_score[c] = s, case_line[c] = rc->lines[l].raw;
    }
  }
  size_t n = cat->ngroups;
  size_t *group_size = calloc(n ? n : 1, sizeof *group_size);
  for (size_t k = 0; k < n; k++) cands[k].score = -1;
  for (size_t c = 0; c < cat->ncases; c++) {
    const struct ref_case *rc = &cat->cases[c];
    struct candidate *k = &cands[rc->group];
    group_size[rc->group]++;
    if (case_score[c] > k->score) k->best = rc, k->score = case_score[c], k->matched_line = case_line[c];
  }
  for (size_t k = 0; k < n; k++) cands[k].versions = calloc(group_size[k] ? group_size[k] : 1, sizeof *cands[k].versions);
  for (size_t c = 0; c < cat->ncases; c++) {
    struct candidate *k = &cands[cat->cases[c].group];
    if (case_score[c] >= k->score - SAME_SCORE) k->versions[k->nversions++] = cat->cases[c].version;
  }
  free(group_size);
  free(case_score);
  free(case_line);
  qsort(cands, n, sizeof *cands, cmp_candidate);
  *ncand = n;
  return cands;
}

static void free_candidates(struct candidate *cands, size_t n) {
  for (size_t k = 0; k < n; k++) free(cands[k].versions);
  free(cands);
}

/* ---- output ---- */

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

static void print_recognised(const struct logline *in) {
  struct buf b = {0};
  if (in->proxies) {
    for (size_t d = 0; d < logline_nproxies(); d++)
      if (in->proxies & (1u << d)) buf_printf(&b, "%s%s", b.len ? " or " : "", logline_proxy(d));
  } else {
    buf_puts(&b, "no known proxy format");
  }
  for (size_t k = 0; k < in->nsig; k++)
    buf_printf(&b, "%s%s %s", k ? ", " : "; ", logline_sig_label(in->sigs[k].kind), in->sigs[k].value);
  printf("recognised: %s\n", buf_cstr(&b));
  buf_free(&b);
}

static void print_candidate(size_t rank_no, const struct candidate *c, bool match) {
  char label[128];
  proxy_label(c->best, label, sizeof label);
  struct buf versions = {0};
  for (size_t v = 0; v < c->nversions; v++) buf_printf(&versions, "%s%s", v ? ", " : "", c->versions[v]);
  printf("  %zu. %-24s score %.2f  %s %s  (client saw %s, RFC 9110 expects %s)\n", rank_no, c->best->scenario, c->score,
         label, buf_cstr(&versions), c->best->got, c->best->expect);
  printf("     recorded:  %s\n", c->matched_line);
  if (match) {
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

static json_t *candidate_json(size_t line_no, const char *input, size_t rank_no, const struct candidate *c, bool match) {
  char label[128];
  proxy_label(c->best, label, sizeof label);
  json_t *versions = json_array();
  for (size_t v = 0; v < c->nversions; v++) json_array_append_new(versions, json_string(c->versions[v]));
  char *serve = serve_command(c), *run = run_command(c);
  json_t *o = json_pack("{s:I, s:s, s:I, s:b, s:s, s:s, s:s, s:o, s:f, s:s, s:s, s:s, s:{s:s, s:s}}", "line",
                        (json_int_t)line_no, "input", input, "rank", (json_int_t)rank_no, "match", match, "scenario",
                        c->best->scenario, "proxy", label, "proxy_version", c->nversions ? c->versions[0] : c->best->version,
                        "proxy_versions", versions, "score", round(c->score * 1000) / 1000, "matched_line",
                        c->matched_line, "got", c->best->got, "expect", c->best->expect, "reproduce", "serve", serve,
                        "run", run);
  free(serve);
  free(run);
  return o;
}

/* Explains one line; returns whether anything matched. */
static bool explain_line(const struct catalog *cat, const struct logline_matcher *m, const char *line, size_t line_no,
                         bool several, size_t top, json_t *json_out) {
  struct logline in;
  logline_read(m, line, &in);
  weigh_tokens(cat, &in);
  size_t n;
  struct candidate *cands = rank(cat, &in, &n);
  size_t matched = 0;
  while (matched < n && cands[matched].score >= MATCH_THRESHOLD) matched++;
  bool match = matched > 0;
  /* a candidate with nothing in common with the line is no candidate at all */
  size_t near = 0;
  while (near < n && cands[near].score > 0.05) near++;
  size_t shown = match ? (matched < top ? matched : top) : (near < top ? near : top);
  if (json_out) {
    for (size_t k = 0; k < shown; k++) json_array_append_new(json_out, candidate_json(line_no, line, k + 1, &cands[k], match));
  } else {
    if (several) printf("%sline %zu: %s\n", line_no > 1 ? "\n" : "", line_no, line);
    print_recognised(&in);
    if (match) {
      printf("%zu scenario%s match%s", matched, matched == 1 ? "" : "s", matched == 1 ? "es" : "");
      if (matched > shown) printf(" (the best %zu shown; --top N for more)", shown);
      printf(":\n");
    } else {
      printf("no match: no recorded line looks like this one (best score %.2f, a match needs %.2f).\n",
             n ? cands[0].score : 0.0, MATCH_THRESHOLD);
      printf(shown ? "Nearest candidates:\n" : "Nothing in the reference comes near it.\n");
    }
    for (size_t k = 0; k < shown; k++) print_candidate(k + 1, &cands[k], match);
  }
  free_candidates(cands, n);
  logline_free(&in);
  return match;
}

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
  const char *ref_arg;
  bool json;
  size_t top;
  bool help;
  bool from_stdin;   /* no line given, or '-' */
  char **lines;      /* borrowed from argv */
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
  *a = (struct explain_args){.ref_arg = "results/reference", .top = 5};
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
    } else if (missing) {
      return usage_error("option '%s' needs a value", arg);
    } else {
      if (looks_like_option(arg))
        fprintf(stderr, "badup explain: '%s' is not an option, so it is read as a log line "
                        "(options: --json, --top N, --reference DIR, --help)\n", arg);
      a->lines[a->nlines++] = argv[k];
    }
  }
  if (dash && a->nlines) return usage_error("%s", "'-' (read stdin) cannot be mixed with log lines");
  a->from_stdin = !a->nlines;
  return 0;
}

int explain_main(int argc, char **argv) {
  struct explain_args args;
  int prc = parse_args(argc, argv, &args);
  if (prc || args.help) {
    free(args.lines);
    if (args.help) explain_usage(stdout);
    return prc;
  }
  const char *ref_arg = args.ref_arg;
  bool json = args.json, from_stdin = args.from_stdin;
  size_t top = args.top;

  char *ref_dir = repo_dir(ref_arg);
  struct logline_matcher m;
  if (!ref_dir || logline_matcher_init(&m)) {
    free(args.lines);
    if (ref_dir) free(ref_dir);
    else usage_error("cannot find the reference folder '%s' (run from the repository, or give --reference)", ref_arg);
    return EXIT_USAGE;
  }
  struct catalog cat = {0};
  int rc = EXIT_USAGE;
  if (load_catalog(&cat, &m, ref_dir) || cat.nlines == 0) {
    fprintf(stderr, "badup explain: no recorded proxy log lines in %s\n", ref_dir);
    goto done;
  }

  /* the lines to explain */
  char **lines = NULL;
  size_t nlines = 0, cap = 0;
  if (from_stdin) {
    if (isatty(STDIN_FILENO)) fprintf(stderr, "badup explain: reading log lines from stdin (Ctrl-D to end)\n");
    char *line = NULL;
    size_t len = 0;
    while (getline(&line, &len, stdin) != -1) {
      chomp(line);
      if (blank(line)) continue;
      if (nlines == cap) lines = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof *lines);
      lines[nlines++] = strdup(line);
    }
    free(line);
  } else {
    for (size_t k = 0; k < args.nlines; k++) {
      if (blank(args.lines[k])) continue;
      if (nlines == cap) lines = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof *lines);
      lines[nlines++] = strdup(args.lines[k]);
    }
  }
  if (!nlines) {
    rc = usage_error("%s", "no log line given (as an argument, or on stdin)");
  } else {
    json_t *out = json ? json_array() : NULL;
    bool all_matched = true;
    for (size_t k = 0; k < nlines; k++) all_matched &= explain_line(&cat, &m, lines[k], k + 1, nlines > 1, top, out);
    if (out) {
      char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
      if (text) puts(text);
      free(text);
      json_decref(out);
    }
    rc = all_matched ? EXIT_MATCH : EXIT_NO_MATCH;
  }
  for (size_t k = 0; k < nlines; k++) free(lines[k]);
  free(lines);
done:
  catalog_free(&cat);
  logline_matcher_free(&m);
  free(ref_dir);
  free(args.lines);
  return rc;
}
