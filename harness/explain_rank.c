/* explain_rank.c: the reference as `badup explain` reads it, and the ranking.
 *
 * A line is compared with every recorded line in two parts:
 *   - signatures (SIGNATURE_SHARE of the score): the proxy's own verdict and the status,
 *     as a weighted Jaccard over (kind, key) pairs, plus the line's family. A verdict no
 *     recorded line has (another version's wording) is not simply different: its family
 *     stands in for it, at FAMILY_STANDIN of its weight. A status the line's format does
 *     not carry (an error log's) is left out, unless the line has no verdict at all;
 *   - the words outside the signatures, each weighed by how rare it is in the reference.
 *     A word no recorded line has weighs nothing: it cannot speak for any scenario, and it
 *     is what deployments add (a host, a frontend, a field of their own). A recorded word
 *     the line lacks counts half (RECORDED_ONLY): the line may be a shorter rendering of the
 *     same event (varnishlog's record of what varnishncsa writes in full, a format without
 *     that field), where a word the line has and the recorded one lacks is plain
 *     disagreement (a Tversky index, alpha 1, beta 1/2).
 * A line whose format one proxy is known to write is matched mainly against that proxy.
 * A field the harness's format adds to a proxy's default (squid's err=, nginx's us=, ...)
 * that the line lacks is left out of the recorded line: its signature, its words and the
 * family read from it (a default format's line cannot say what it has no field for).
 * A line that says only that something was logged (a status, no verdict) is scaled below
 * a match: its nearest candidates are worth showing, none of them is its cause. */
#include "explain_rank.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

/* The verdict decides; the words around it, once a deployment's parts are placeholders,
 * are context that separates lines of the same verdict only a little. */
#define SIGNATURE_SHARE 0.75
/* A verdict the reference never saw, of the same family, counts two thirds of the same
 * verdict: enough for a match when the rest agrees, never as much as the wording itself. */
#define FAMILY_STANDIN (2.0 / 3.0)
#define RECORDED_ONLY 0.5
/* The family is derived from the words the signatures already weigh: it corroborates. */
#define FAMILY_WEIGHT 1.0
/* A candidate of a proxy other than the one whose format the line has keeps this much. */
#define FOREIGN_PROXY_FACTOR 0.5
/* Versions whose score is this close to the best count as measured for the match. */
#define SAME_SCORE 0.005

struct doc_freq {
  char *token; /* borrowed from a ref_line */
  size_t lines;
};

struct known_sig {
  const char *kind, *key; /* borrowed from a ref_line */
};

/* ---- loading ---------------------------------------------------------------------------- */

static void add_lines(const struct catalog *cat, struct ref_case *c, const char *log) {
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
      logline_read(cat->rules, l->raw, &l->l);
    }
    p += len + (end ? 3 : 0);
  }
}

/* The request-side scenarios (req_*, http10_keepalive) and the forward ones (fwd_*) are about
 * the proxy's answer to its client (a 400, a 408, a 407): explain ranks upstream faults, what
 * a proxy logs for a 502 or a 504. Their lines would only tie with the upstream faults' access
 * lines (a proxy that logs a request line and a status for both), so they are left out. So are
 * the TLS scenarios (tls_*, client_tls_*) for now: several proxies log a failed TLS handshake
 * in the words of a failed connect (trafficserver's ERR_CONNECT_FAIL, apache's AH01084), and
 * those lines tied with the plain catalog's and pushed its answers down. The HTTP/2 ones
 * (h2_*) too: they run through other variants of the proxies (an HTTP/2 upstream), whose
 * failures log as the HTTP/1 catalog's (haproxy's SH--, nghttpx's 502), and a line from an
 * HTTP/1 upstream would be answered with HTTP/2 faults it cannot have met. */
bool explain_ranks_scenario(const char *scenario) {
  return strncmp(scenario, "req_", 4) != 0 && strncmp(scenario, "fwd_", 4) != 0 &&
         strncmp(scenario, "tls_", 4) != 0 && strncmp(scenario, "client_tls_", 11) != 0 &&
         strncmp(scenario, "h2_", 3) != 0 &&
         strcmp(scenario, "http10_keepalive") != 0;
}

static void add_case(struct catalog *cat, const char *proxy, const char *variant, const struct reference_record *rec) {
  if (!*rec->proxy_log) return; /* the proxy logged nothing for it: nothing to match */
  if (!explain_ranks_scenario(rec->scenario)) return;
  if (cat->ncases == cat->cap) {
    cat->cap = cat->cap ? cat->cap * 2 : 64;
    cat->cases = realloc(cat->cases, cat->cap * sizeof *cat->cases);
  }
  struct ref_case *c = &cat->cases[cat->ncases++];
  *c = (struct ref_case){.proxy = strdup(proxy),
                         .variant = strdup(variant),
                         .version = strdup(rec->version),
                         .scenario = strdup(rec->scenario),
                         .got = strdup(rec->got),
                         .expect = strdup(rec->expect),
                         .upstream_attempts = rec->upstream_attempts,
                         .elapsed_ms = rec->elapsed_ms};
  add_lines(cat, c, rec->proxy_log);
}

static int load_file(struct catalog *cat, const char *path, const char *stem) {
  char err[256];
  struct reference *ref = reference_read(path, err, sizeof err);
  if (!ref) {
    fprintf(stderr, "badup explain: %s:%s (skipped)\n", path, err);
    return -1;
  }
  const char *plus = strchr(stem, '+');
  char *proxy = strdup(reference_proxy(ref) ? reference_proxy(ref) : stem);
  if (!reference_proxy(ref) && plus) proxy[plus - stem] = 0;
  struct reference_iter it = {0};
  struct reference_record rec;
  while (reference_next(ref, &it, &rec)) add_case(cat, proxy, plus ? plus + 1 : "", &rec);
  free(proxy);
  reference_free(ref);
  return 0;
}

static int cmp_df(const void *a, const void *b) {
  return strcmp(((const struct doc_freq *)a)->token, ((const struct doc_freq *)b)->token);
}

/* In how many recorded lines each word appears: the rarer, the more it says. */
static void count_tokens(struct catalog *cat) {
  size_t total = 0;
  for (size_t c = 0; c < cat->ncases; c++)
    for (size_t l = 0; l < cat->cases[c].nlines; l++) total += cat->cases[c].lines[l].l.ntok, cat->nlines++;
  struct doc_freq *all = malloc((total ? total : 1) * sizeof *all);
  size_t n = 0;
  for (size_t c = 0; c < cat->ncases; c++)
    for (size_t l = 0; l < cat->cases[c].nlines; l++)
      for (size_t t = 0; t < cat->cases[c].lines[l].l.ntok; t++)
        all[n++] = (struct doc_freq){cat->cases[c].lines[l].l.tokens[t], 1};
  qsort(all, n, sizeof *all, cmp_df);
  size_t u = 0;
  for (size_t k = 0; k < n; k++) {
    if (u && !strcmp(all[u - 1].token, all[k].token)) all[u - 1].lines++;
    else all[u++] = all[k];
  }
  cat->df = all;
  cat->ndf = u;
}

static int cmp_known(const void *a, const void *b) {
  const struct known_sig *x = a, *y = b;
  int c = strcmp(x->kind, y->kind);
  return c ? c : strcmp(x->key, y->key);
}

/* Every signature some recorded line has: a line's verdict outside this set is a wording
 * the reference never saw. */
static void collect_signatures(struct catalog *cat) {
  size_t n = 0, cap = 64;
  cat->known = malloc(cap * sizeof *cat->known);
  for (size_t c = 0; c < cat->ncases; c++)
    for (size_t l = 0; l < cat->cases[c].nlines; l++)
      for (size_t s = 0; s < cat->cases[c].lines[l].l.nsig; s++) {
        const struct logline_sig *sig = &cat->cases[c].lines[l].l.sigs[s];
        if (n == cap) cat->known = realloc(cat->known, (cap *= 2) * sizeof *cat->known);
        cat->known[n++] = (struct known_sig){sig->kind, sig->key};
      }
  qsort(cat->known, n, sizeof *cat->known, cmp_known);
  cat->nknown = n;
}

bool catalog_knows(const struct catalog *cat, const struct logline_sig *s) {
  struct known_sig key = {s->kind, s->key};
  return bsearch(&key, cat->known, cat->nknown, sizeof *cat->known, cmp_known) != NULL;
}

static double token_weight(const struct catalog *cat, const char *token) {
  struct doc_freq key = {(char *)token, 0};
  const struct doc_freq *d = bsearch(&key, cat->df, cat->ndf, sizeof *cat->df, cmp_df);
  /* a word no recorded line has cannot speak for any scenario (see the top) */
  if (!d) return 0;
  return log(((double)cat->nlines + 1.0) / ((double)d->lines + 0.5));
}

/* Looked up once per line, not once per comparison. */
static void weigh_tokens(const struct catalog *cat, struct logline *l) {
  l->weights = malloc((l->ntok ? l->ntok : 1) * sizeof *l->weights);
  for (size_t t = 0; t < l->ntok; t++) l->weights[t] = token_weight(cat, l->tokens[t]);
}

void catalog_read(const struct catalog *cat, const char *raw, struct logline *out) {
  logline_read(cat->rules, raw, out);
  weigh_tokens(cat, out);
}

static bool same_group(const struct ref_case *a, const struct ref_case *b) {
  return !strcmp(a->proxy, b->proxy) && !strcmp(a->variant, b->variant) && !strcmp(a->scenario, b->scenario);
}

static bool same_file(const struct ref_case *a, const struct ref_case *b) {
  return !strcmp(a->proxy, b->proxy) && !strcmp(a->variant, b->variant);
}

static void index_catalog(struct catalog *cat) {
  for (size_t c = 0; c < cat->ncases; c++) {
    for (size_t l = 0; l < cat->cases[c].nlines; l++) weigh_tokens(cat, &cat->cases[c].lines[l].l);
    /* a group's cases are a scenario's versions in one file, which load one after another:
     * looking back through the file's cases is enough */
    size_t g = c;
    while (g > 0 && !same_group(&cat->cases[g - 1], &cat->cases[c]) && same_file(&cat->cases[g - 1], &cat->cases[c])) g--;
    cat->cases[c].group = g > 0 && same_group(&cat->cases[g - 1], &cat->cases[c]) ? cat->cases[g - 1].group : cat->ngroups++;
  }
}

int catalog_load(struct catalog *cat, const char *dir, const struct proxy_def *defs, size_t ndefs) {
  memset(cat, 0, sizeof *cat);
  cat->rules = logline_rules_new(defs, ndefs);
  struct dirent **names;
  int k = cat->rules ? scandir(dir, &names, NULL, alphasort) : -1;
  if (k < 0) return -1;
  for (int i = 0; i < k; i++) {
    const char *name = names[i]->d_name;
    size_t len = strlen(name);
    if (name[0] != '.' && len > 5 && !strcmp(name + len - 5, ".json")) {
      char path[PATH_MAX], stem[NAME_MAX + 1];
      snprintf(path, sizeof path, "%s/%s", dir, name);
      snprintf(stem, sizeof stem, "%.*s", (int)(len - 5), name);
      load_file(cat, path, stem);
    }
    free(names[i]);
  }
  free(names);
  count_tokens(cat);
  collect_signatures(cat);
  index_catalog(cat);
  return cat->nlines ? 0 : -1;
}

void catalog_free(struct catalog *cat) {
  for (size_t c = 0; c < cat->ncases; c++) {
    struct ref_case *rc = &cat->cases[c];
    for (size_t l = 0; l < rc->nlines; l++) {
      free(rc->lines[l].raw);
      logline_free(&rc->lines[l].l);
    }
    free(rc->lines);
    free(rc->proxy), free(rc->variant), free(rc->version);
    free(rc->scenario), free(rc->got), free(rc->expect);
  }
  free(cat->cases);
  free(cat->df);
  free(cat->known);
  logline_rules_free(cat->rules);
}

size_t catalog_versions(const struct catalog *cat, const char *proxy, const char **out, size_t max) {
  size_t n = 0;
  for (size_t c = 0; c < cat->ncases && n < max; c++) {
    if (strcmp(cat->cases[c].proxy, proxy)) continue;
    size_t k = 0;
    while (k < n && strcmp(out[k], cat->cases[c].version)) k++;
    if (k == n) out[n++] = cat->cases[c].version;
  }
  return n;
}

/* ---- scoring ------------------------------------------------------------------------------- */

/* The line being explained, with what is looked up once for all comparisons. */
struct query {
  const struct logline_rules *rules;
  const struct logline *l;
  bool *unseen;     /* per signature: no recorded line has it */
  unsigned absent;  /* the optional fields a line of its kind may carry and it lacks */
};

/* Lies only in fields the line lacks: what it says cannot count against the line. */
static bool left_out(unsigned fields, unsigned missing) { return fields && !(fields & ~missing); }

struct sig_score {
  double credit, total;
  bool exact, standin;
};

/* One kind: in->sigs[i0, i1) against ref->sigs[j0, j1), both sorted by key; ref's
 * signatures in fields the line lacks are left out. */
static void score_kind(const struct query *q, size_t i0, size_t i1, const struct logline *ref, size_t j0, size_t j1,
                       unsigned missing, struct sig_score *s) {
  const struct logline *in = q->l;
  const struct logline_sig *any = i1 > i0 ? &in->sigs[i0] : &ref->sigs[j0];
  size_t dropped = 0;
  for (size_t j = j0; j < j1; j++) dropped += left_out(ref->sigs[j].fields, missing);
  if (i0 == i1 && dropped == j1 - j0) return;
  /* a status the line's format does not carry is no evidence either way; but a line with
   * no verdict at all ("GET /x HTTP/1.1") has nothing to explain, and the recorded
   * line's status counts against it */
  if (i0 == i1 && logline_sig_generic(any->kind) && in->nsig) return;
  double w = any->weight;
  size_t shared = 0, unseen = 0;
  for (size_t i = i0, j = j0; i < i1 && j < j1;) {
    if (left_out(ref->sigs[j].fields, missing)) {
      j++;
      continue;
    }
    int c = strcmp(in->sigs[i].key, ref->sigs[j].key);
    if (c == 0) shared++;
    if (c <= 0) i++;
    if (c >= 0) j++;
  }
  for (size_t i = i0; i < i1; i++) unseen += q->unseen[i];
  size_t only_in = i1 - i0 - shared, only_ref = j1 - j0 - dropped - shared;
  if (!shared && only_in && only_ref && unseen == only_in) {
    /* the reference never saw this wording: its family stands in for it */
    double a = logline_family_agreement(in->family, ref->family);
    s->total += w;
    s->credit += w * FAMILY_STANDIN * a;
    s->standin |= a > 0;
    return;
  }
  s->total += w * (double)(shared + only_in + only_ref);
  s->credit += w * (double)shared;
  s->exact |= shared && !logline_sig_generic(any->kind);
}

static struct sig_score sig_similarity(const struct query *q, const struct logline *ref, unsigned missing) {
  struct sig_score s = {0};
  const struct logline *in = q->l;
  size_t i = 0, j = 0;
  while (i < in->nsig || j < ref->nsig) {
    int c = i == in->nsig ? 1 : j == ref->nsig ? -1 : strcmp(in->sigs[i].kind, ref->sigs[j].kind);
    const char *kind = c <= 0 ? in->sigs[i].kind : ref->sigs[j].kind;
    size_t i1 = i, j1 = j;
    while (i1 < in->nsig && c <= 0 && !strcmp(in->sigs[i1].kind, kind)) i1++;
    while (j1 < ref->nsig && c >= 0 && !strcmp(ref->sigs[j1].kind, kind)) j1++;
    score_kind(q, i, i1, ref, j, j1, missing, &s);
    i = i1, j = j1;
  }
  /* a family read from a field the line lacks is no more the line's business than the field */
  const char *ref_family = left_out(ref->family_fields, missing) ? NULL : ref->family;
  if (in->family || ref_family) {
    s.total += FAMILY_WEIGHT;
    s.credit += FAMILY_WEIGHT * logline_family_agreement(in->family, ref_family);
  }
  return s;
}

/* The weight of the shared words over itself, the line's other words and half the recorded
 * line's other words (but for those only in fields the line lacks). */
static double token_similarity(const struct logline *in, const struct logline *ref, unsigned missing) {
  double shared = 0, all = 0;
  for (size_t i = 0, j = 0; i < in->ntok || j < ref->ntok;) {
    int c = i == in->ntok ? 1 : j == ref->ntok ? -1 : strcmp(in->tokens[i], ref->tokens[j]);
    if (c == 0) shared += in->weights[i];
    if (c <= 0) all += in->weights[i++];
    else if (!left_out(ref->tok_fields[j], missing)) all += RECORDED_ONLY * ref->weights[j];
    if (c >= 0) j++;
  }
  return all > 0 ? shared / all : 0;
}

static double line_score(const struct query *q, const struct logline *ref, enum match_by *by) {
  unsigned missing = ref->fields & q->absent;
  struct sig_score s = sig_similarity(q, ref, missing);
  double tok = token_similarity(q->l, ref, missing);
  *by = s.exact ? MATCH_BY_SIGNATURE : s.standin ? MATCH_BY_FAMILY : MATCH_BY_WORDS;
  double score = s.total <= 0 ? tok : SIGNATURE_SHARE * s.credit / s.total + (1 - SIGNATURE_SHARE) * tok;
  /* signatures, but none that says why: the same status is where to look, not the cause */
  if (q->l->nsig && !q->l->verdict) score *= RANK_NO_VERDICT_FACTOR;
  return score;
}

/* ---- ranking -------------------------------------------------------------------------------- */

static int cmp_candidate(const void *a, const void *b) {
  const struct candidate *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  int c = strcmp(x->best->proxy, y->best->proxy);
  if (c) return c;
  c = strcmp(x->best->variant, y->best->variant);
  return c ? c : strcmp(x->best->scenario, y->best->scenario);
}

struct case_best {
  double score;
  const char *line;
  enum match_by by;
  unsigned missing;
};

/* The best of a case's recorded lines for q. */
static struct case_best best_line(const struct query *q, const struct ref_case *rc) {
  int d = logline_proxy_index(q->rules, rc->proxy);
  bool foreign = q->l->proxies && (d < 0 || !(q->l->proxies & (1u << d)));
  struct case_best b = {0, NULL, MATCH_BY_WORDS, 0};
  for (size_t l = 0; l < rc->nlines; l++) {
    enum match_by by;
    double s = line_score(q, &rc->lines[l].l, &by) * (foreign ? FOREIGN_PROXY_FACTOR : 1.0);
    if (s > b.score || !b.line) b = (struct case_best){s, rc->lines[l].raw, by, rc->lines[l].l.fields & q->absent};
  }
  return b;
}

static void query_init(struct query *q, const struct catalog *cat, const struct logline *in) {
  q->rules = cat->rules;
  q->l = in;
  q->unseen = calloc(in->nsig ? in->nsig : 1, sizeof *q->unseen);
  for (size_t s = 0; s < in->nsig; s++) q->unseen[s] = !catalog_knows(cat, &in->sigs[s]);
  q->absent = logline_absent_fields(cat->rules, in);
}

struct candidate *rank(const struct catalog *cat, const struct logline *in, size_t *ncand) {
  struct query q;
  query_init(&q, cat, in);
  size_t n = cat->ngroups;
  struct candidate *cands = calloc(n ? n : 1, sizeof *cands);
  struct case_best *best = calloc(cat->ncases ? cat->ncases : 1, sizeof *best);
  size_t *group_size = calloc(n ? n : 1, sizeof *group_size);
  for (size_t k = 0; k < n; k++) cands[k].score = -1;
  for (size_t c = 0; c < cat->ncases; c++) {
    const struct ref_case *rc = &cat->cases[c];
    struct candidate *k = &cands[rc->group];
    best[c] = best_line(&q, rc);
    group_size[rc->group]++;
    if (best[c].score > k->score)
      k->best = rc, k->score = best[c].score, k->matched_line = best[c].line, k->by = best[c].by,
      k->missing = best[c].missing;
  }
  for (size_t k = 0; k < n; k++) cands[k].versions = calloc(group_size[k] ? group_size[k] : 1, sizeof *cands[k].versions);
  for (size_t c = 0; c < cat->ncases; c++) {
    struct candidate *k = &cands[cat->cases[c].group];
    if (best[c].score >= k->score - SAME_SCORE) k->versions[k->nversions++] = cat->cases[c].version;
  }
  free(group_size);
  free(best);
  free(q.unseen);
  qsort(cands, n, sizeof *cands, cmp_candidate);
  *ncand = n;
  return cands;
}

void rank_free(struct candidate *cands, size_t n) {
  for (size_t k = 0; k < n; k++) free(cands[k].versions);
  free(cands);
}
