/* logline.c: from a proxy's log line to what it says (see logline.h).
 *
 * Reading a line runs, in order:
 *   1-4. logline_norm.c: every common timestamp shape becomes <time>; a syslog or journald
 *      header is cut off (its tag may name the proxy); the fields that are a deployment's
 *      own (names, hosts, methods, sizes, the bytes an upstream sent) become placeholders,
 *      each by the shape of its format; addresses, URLs, paths, numbers and ids become
 *      placeholders;
 *   5. signatures pick the proxy's verdict, detectors the formats, family rows the kind of
 *      failure; the words left outside the signatures are the line's tokens.
 * The rules are badup's own, for what no one proxy owns (a status in an access line,
 * http-parser's HPE_* codes, squid's native access format, which trafficserver writes too,
 * the families), and those of each proxy definition's `explain` field (its formats, masks,
 * signatures, families and optional fields): a proxy is known in its definition only.
 * Every table is data with the reason for each row next to it; rows are POSIX EREs. */
#include "logline.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "logline_int.h"
#include "proxy.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_BITS 32 /* proxies and optional fields are the bits of an unsigned */

/* ---- 5: badup's own signatures and families, on the normalised line ----------------- */

static const struct sig_rule SIG_RULES[] = {
    /* access lines in the common shapes: the status right after the quoted request */
    {"status", "status", "\"(<method>|[A-Z]+) [^\"]*\" ([0-9]{3}(\\+abort)?)( |$)", 2, 1, false, 0, -1},
    {"status", "status", "\"status\":([0-9]{3})", 1, 1, false, 0, -1},
    /* squid's native access format, which trafficserver writes too: the result code */
    {"squid-code", "result code", "(^| )([A-Z]+_[A-Z_]+/([0-9]{3}|<n>)) ", 2, 3, false, 0, -1},
    /* http-parser's error codes, in the lines of any proxy built on it (node, nghttpx) */
    {"http-parser-error", "parser error", "HPE_[A-Z_]+", 0, 3, true, 0, -1},
};

/* Signatures that say only that something was logged, not why: a line with nothing else
 * is no proxy's verdict (every proxy writes 502 for a dozen faults), and is never a match.
 * value is an ERE on the signature's value; NULL: every value of the kind. A definition adds
 * its own (explain.signatures' not_verdict). */
static const struct not_verdict NOT_VERDICTS[] = {
    /* a status says which way to look, not why: one 502 stands for a dozen faults */
    {"status", NULL},
};

/* The kind of failure a line says, in words no proxy owns: a wording the reference lacks
 * (another version's) still lands near the recorded lines of the same family. A row with
 * a kind reads the value of that signature; a row without reads the whole normalised line
 * (whose names, hosts, paths and quoted bytes are placeholders by now). The first row that
 * matches wins, so narrower rows come first. kin groups families that proxies blur. */
/* badup's own family rows; a definition's (explain.families) read its own signatures and come
 * first. */
static const struct family_rule FAMILY_RULES[] = {
    /* the client went away: not the upstream's doing (nginx's 499, squid's CLIENT_GONE) */
    {"client", NULL, "client (prematurely )?closed|client_gone|client (aborted|went away|disconnected)", true},
    /* a limit of the proxy's: header or response too big (nginx, lighttpd, squid's
     * ERR_TOO_BIG, varnish's overflow, apache's "over the limit") */
    {"too-large", NULL, "too (big|large|long)|overflow|over the limit|err_too_big", true},
    /* connecting timed out: the errno text "Connection timed out" alone is no proof (nginx
     * writes it for read timeouts too), so the words around it decide: nginx's "while
     * connecting", apache's AH00957 "attempt to connect", nghttpx's "Connect time out",
     * node's "connect timeout", h2o's "connection timeout", caddy's "dial tcp ...: i/o
     * timeout", trafficserver's connection_result, lighttpd's "establishing connection",
     * varnish's "fail errno 110" (its backend connect) */
    {"connect-timeout", NULL,
     "connect(ion)? ?time ?out|(timed out|timeout|has expired).*(while connecting|attempt to connect|connecting to)|"
     "dial tcp.*time ?out|connection_result=connection timed out|establishing connection failed.*timed out|"
     "fail errno 110",
     true},
    /* ECONNREFUSED, in words or as errno 111 */
    {"refused", NULL, "refused|econnrefused|errno[ =]111|\\(111\\)", true},
    /* ECONNRESET, in words or as errno 104; squid's ERR_READ_ERROR is a failed read(),
     * which from an upstream is a reset in practice; EPIPE is a write into a reset */
    {"reset", NULL, "reset by peer|econnreset|connection reset|errno[ =]104|\\(104\\)|err_read_error|broken pipe|epipe",
     true},
    /* connecting failed, how not said (squid's ERR_CONNECT_FAIL, tinyproxy, apache's
     * AH01114, nghttpx, nginx's "no live upstreams", lighttpd's "are down") */
    {"connect-failed", NULL,
     "err_connect_fail|could not (establish a )?connect|connection failed|failed to make connection|"
     "establishing connection failed|connection_error|connect failed|no live upstreams|are down",
     true},
    /* no answer in time; EAGAIN ("Resource temporarily unavailable") is a read timeout on a
     * socket with SO_RCVTIMEO (varnish, tinyproxy) */
    {"timeout", NULL, "timed? ?out|has expired|err_read_timeout|temporarily unavailable|eagain", true},
    /* the upstream closed early: EOF in any case (varnish's "HTC eof", 6.0's "http first
     * read error: EOF", caddy's "unexpected EOF", HPE_INVALID_EOF_STATE), nginx's
     * "prematurely closed", apache's (70014) "End of file found" and (70008) "Partial
     * results", squid's ZERO_SIZE_OBJECT, varnish's "insufficient bytes", tinyproxy's
     * "failed: Success" (read returned 0, errno untouched), node's "upstream aborted" and
     * "socket hang up", h2o's "I/O error" (EOF or a failed read) */
    {"close", NULL,
     "eof|prematurely|end of file|partial results|zero_size_object|no object data|insufficient bytes|"
     "could not retrieve all the headers|failed: success|empty reply|hang up|upstream aborted|i/o error|closed",
     true},
    /* not HTTP, or not valid HTTP */
    {"invalid-response", NULL,
     "invalid|malformed|pars(e|er|ing)|format error|bad (http|header|content-length|response|status)|no valid|"
     "err_invalid_resp|hpe_|non-hex|missing colon|null characters|more data than|cannot contain|expected http",
     true},
};

static const struct {
  const char *family, *kin, *meaning;
} FAMILIES[] = {
    {"close", "dropped", "the upstream closed the connection (FIN) before the response was complete"},
    {"reset", "dropped", "the upstream reset the connection (RST)"},
    {"timeout", "slow", "the upstream did not answer in time"},
    {"refused", "connect", "the upstream refused the connection"},
    {"connect-timeout", "connect", "connecting to the upstream timed out"},
    {"connect-failed", "connect", "connecting to the upstream failed"},
    {"invalid-response", "invalid", "the upstream's response was not valid HTTP"},
    {"too-large", "invalid", "the upstream's response went over one of the proxy's limits"},
    {"client", "client", "the client went away or was too slow, not the upstream"},
};

/* ---- 5: signatures, words, formats, family ------------------------------------------ */

static bool is_date_word(const char *t) {
  static const char *const words[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (size_t k = 0; k < COUNT(words); k++)
    if (!strcmp(t, words[k])) return true;
  return false;
}

/* Where each optional field lies in the normalised line: [so, eo), or so < 0. */
struct spans {
  size_t n;
  regoff_t so[MAX_BITS], eo[MAX_BITS];
};

static void find_fields(const struct logline_rules *r, const char *norm, struct spans *sp, struct logline *l) {
  sp->n = r->nfields;
  for (size_t f = 0; f < r->nfields; f++) {
    regmatch_t g[1];
    sp->so[f] = sp->eo[f] = -1;
    if (regexec(&r->field_re[f], norm, 1, g, 0)) continue;
    sp->so[f] = g[0].rm_so, sp->eo[f] = g[0].rm_eo;
    l->fields |= 1u << f;
  }
}

/* The fields whose span holds the byte at off. */
static unsigned fields_at(const struct spans *sp, regoff_t off) {
  unsigned bits = 0;
  for (size_t f = 0; f < sp->n; f++)
    if (sp->so[f] >= 0 && off >= sp->so[f] && off < sp->eo[f]) bits |= 1u << f;
  return bits;
}


/* Two occurrences of one word or signature: it lies only in fields when both do. */
static unsigned merge_fields(unsigned a, unsigned b) { return a && b ? a | b : 0; }

struct token {
  char *text;
  unsigned fields;
};

static int cmp_token(const void *a, const void *b) {
  return strcmp(((const struct token *)a)->text, ((const struct token *)b)->text);
}

/* The words of text as a set, lower case, each with the fields it lies in; month and day
 * names go, like the rest of the dates. */
static void tokenise(const char *text, const struct spans *sp, struct logline *l) {
  static const char *const seps = "\"',;()[]{}=|:/";
  size_t cap = 16, n = 0;
  struct token *all = malloc(cap * sizeof *all);
  for (const char *p = text; *p;) {
    while (*p && (isspace((unsigned char)*p) || strchr(seps, *p))) p++;
    const char *start = p;
    while (*p && !isspace((unsigned char)*p) && !strchr(seps, *p)) p++;
    size_t len = (size_t)(p - start);
    while (len && start[len - 1] == '.') len--;
    if (!len) continue;
    char *t = strndup(start, len);
    for (char *q = t; *q; q++) *q = (char)tolower((unsigned char)*q);
    if (is_date_word(t)) {
      free(t);
      continue;
    }
    if (n == cap) all = realloc(all, (cap *= 2) * sizeof *all);
    all[n++] = (struct token){t, fields_at(sp, (regoff_t)(start - text))};
  }
  qsort(all, n, sizeof *all, cmp_token);
  l->tokens = malloc((n ? n : 1) * sizeof *l->tokens);
  l->tok_fields = malloc((n ? n : 1) * sizeof *l->tok_fields);
  for (size_t k = 0; k < n; k++) {
    if (l->ntok && !strcmp(l->tokens[l->ntok - 1], all[k].text)) {
      l->tok_fields[l->ntok - 1] = merge_fields(l->tok_fields[l->ntok - 1], all[k].fields);
      free(all[k].text);
    } else {
      l->tokens[l->ntok] = all[k].text;
      l->tok_fields[l->ntok++] = all[k].fields;
    }
  }
  free(all);
}

int logline_cmp_sig(const void *a, const void *b) {
  const struct logline_sig *x = a, *y = b;
  int c = strcmp(x->kind, y->kind);
  return c ? c : strcmp(x->key, y->key);
}

const char *logline_sig_label(const struct logline_rules *r, const char *kind) {
  for (size_t k = 0; k < r->nsigs; k++)
    if (!strcmp(r->sigs[k].kind, kind)) return r->sigs[k].label;
  return kind;
}

bool logline_sig_generic(const char *kind) { return !strcmp(kind, "status"); }

static char *trimmed(const char *s, size_t len) {
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  return strndup(s, len);
}

/* Whether a signature says why, not only that something was logged (not_verdict rows). */
static bool says_why(const struct logline_rules *r, const char *kind, const char *value) {
  for (size_t k = 0; k < r->nnots; k++)
    if (!strcmp(r->nots[k].kind, kind) && (!r->nots[k].value || regexec(&r->not_re[k], value, 0, NULL, 0) == 0))
      return false;
  return true;
}

static void add_sig(const struct logline_rules *r, struct logline *l, size_t *cap, const struct sig_rule *rule,
                    char *value, unsigned fields) {
  if (l->nsig == *cap) l->sigs = realloc(l->sigs, (*cap *= 2) * sizeof *l->sigs);
  size_t n = strlen(value);
  char *key = strndup(value, rule->key_len && rule->key_len < n ? rule->key_len : n);
  l->sigs[l->nsig++] =
      (struct logline_sig){rule->kind, value, key, rule->weight, says_why(r, rule->kind, value), fields};
  /* a proxy's own verdict names it first among the proxies the line could be from */
  if (rule->owner >= 0 && !logline_sig_generic(rule->kind)) l->own |= 1u << rule->owner;
}

/* The signatures of norm into l; their spans become blanks in `blanked` (a copy of norm),
 * so the words compared besides them are the words around them. */
static void extract_sigs(const struct logline_rules *r, const char *norm, char *blanked, const struct spans *sp,
                         struct logline *l) {
  size_t cap = 4;
  l->sigs = malloc(cap * sizeof *l->sigs);
  for (size_t k = 0; k < r->nsigs; k++) {
    const struct sig_rule *rule = &r->sigs[k];
    regmatch_t g[8];
    int flags = 0;
    for (size_t off = 0; norm[off] && regexec(&r->sig_re[k], norm + off, 8, g, flags) == 0; flags = REG_NOTBOL) {
      regmatch_t v = g[rule->group];
      if (v.rm_so >= 0) {
        char *value = trimmed(norm + off + v.rm_so, (size_t)(v.rm_eo - v.rm_so));
        /* "-" is how varnish and squid write "no error": not a signature */
        if (!*value || !strcmp(value, "-")) {
          free(value);
        } else {
          add_sig(r, l, &cap, rule, value, fields_at(sp, (regoff_t)off + v.rm_so));
          memset(blanked + off + v.rm_so, ' ', (size_t)(v.rm_eo - v.rm_so));
        }
      }
      if (!rule->all || g[0].rm_eo == 0) break;
      off += (size_t)g[0].rm_eo;
    }
  }
  qsort(l->sigs, l->nsig, sizeof *l->sigs, logline_cmp_sig);
  size_t u = 0;
  for (size_t k = 0; k < l->nsig; k++) {
    if (u && !logline_cmp_sig(&l->sigs[u - 1], &l->sigs[k])) {
      l->sigs[u - 1].fields = merge_fields(l->sigs[u - 1].fields, l->sigs[k].fields);
      free(l->sigs[k].value), free(l->sigs[k].key);
    } else {
      l->sigs[u++] = l->sigs[k];
    }
  }
  l->nsig = u;
  for (size_t k = 0; k < l->nsig; k++) l->verdict |= l->sigs[k].verdict;
}

static bool has_tag(char *const *tags, const char *tag) {
  for (char *const *t = tags; t && *t; t++)
    if (!strcmp(*t, tag)) return true;
  return false;
}

static void detect(const struct logline_rules *r, const char *tag, struct logline *l) {
  for (size_t d = 0; d < r->ndetect; d++)
    if (regexec(&r->detect_re[d], l->norm, 0, NULL, 0) == 0) l->proxies |= 1u << r->detect_owner[d];
  for (size_t p = 0; tag && p < r->nproxies; p++)
    if (has_tag(r->proxies[p].tags, tag)) l->proxies |= 1u << p;
}

/* The line's family, and the fields its words came from. */
static void classify(const struct logline_rules *r, const struct spans *sp, struct logline *l) {
  for (size_t k = 0; k < r->nfamilies; k++) {
    const char *kind = r->families[k].kind;
    regmatch_t g[1];
    if (!kind) {
      if (regexec(&r->family_re[k], l->norm, 1, g, 0)) continue;
      l->family = r->families[k].family;
      l->family_fields = fields_at(sp, g[0].rm_so);
      return;
    }
    for (size_t s = 0; s < l->nsig; s++)
      if (!strcmp(l->sigs[s].kind, kind) && regexec(&r->family_re[k], l->sigs[s].value, 1, g, 0) == 0) {
        l->family = r->families[k].family;
        l->family_fields = l->sigs[s].fields;
        return;
      }
  }
}

void logline_read(const struct logline_rules *r, const char *raw, struct logline *l) {
  memset(l, 0, sizeof *l);
  char *tag = NULL;
  l->norm = norm_line(r, raw, &tag);
  struct spans sp;
  find_fields(r, l->norm, &sp, l);
  char *blanked = strdup(l->norm);
  extract_sigs(r, l->norm, blanked, &sp, l);
  tokenise(blanked, &sp, l);
  detect(r, tag, l);
  classify(r, &sp, l);
  /* words that name a kind of failure say why even where no rule reads a signature */
  l->verdict |= l->family != NULL;
  free(blanked);
  free(tag);
}

void logline_free(struct logline *l) {
  for (size_t k = 0; k < l->ntok; k++) free(l->tokens[k]);
  for (size_t k = 0; k < l->nsig; k++) free(l->sigs[k].value), free(l->sigs[k].key);
  free(l->tokens);
  free(l->tok_fields);
  free(l->weights);
  free(l->sigs);
  free(l->norm);
}

/* ---- families and proxies -------------------------------------------------------------- */

static int family_index(const char *family) {
  for (size_t k = 0; family && k < COUNT(FAMILIES); k++)
    if (!strcmp(FAMILIES[k].family, family)) return (int)k;
  return -1;
}

const char *logline_family_meaning(const char *family) {
  int k = family_index(family);
  return k < 0 ? "" : FAMILIES[k].meaning;
}

double logline_family_agreement(const char *a, const char *b) {
  int x = family_index(a), y = family_index(b);
  if (x < 0 || y < 0) return 0;
  if (x == y) return 1;
  return strcmp(FAMILIES[x].kin, FAMILIES[y].kin) ? 0 : 0.5;
}

bool logline_is_family(const char *name) { return family_index(name) >= 0; }

const char *logline_family_names(void) {
  return "close, reset, timeout, refused, connect-timeout, connect-failed, invalid-response, too-large, client";
}

bool logline_builtin_kind(const char *kind) {
  for (size_t k = 0; k < COUNT(SIG_RULES); k++)
    if (!strcmp(SIG_RULES[k].kind, kind)) return true;
  return false;
}

const char *logline_builtin_kinds(void) { return "status, squid-code, http-parser-error"; }

/* ---- proxies ----------------------------------------------------------------------------- */

size_t logline_nproxies(const struct logline_rules *r) { return r->nproxies; }
const char *logline_proxy(const struct logline_rules *r, size_t i) { return r->proxies[i].name; }

int logline_proxy_index(const struct logline_rules *r, const char *proxy) {
  for (size_t d = 0; d < r->nproxies; d++)
    if (!strcmp(r->proxies[d].name, proxy)) return (int)d;
  return -1;
}

size_t logline_recognised(const struct logline_rules *r, const struct logline *l, size_t *order) {
  size_t n = 0;
  for (int own = 1; own >= 0; own--)
    for (size_t d = 0; d < r->nproxies; d++)
      if ((l->proxies & (1u << d)) && ((l->own & (1u << d)) != 0) == (own == 1)) order[n++] = d;
  return n;
}

const char *logline_look_in_log(const struct logline_rules *r, size_t i) { return r->proxies[i].look_log; }
const char *logline_look_in_what(const struct logline_rules *r, size_t i) { return r->proxies[i].look_what; }

/* ---- optional fields ------------------------------------------------------------------- */

size_t logline_nfields(const struct logline_rules *r) { return r->nfields; }
const char *logline_field_name(const struct logline_rules *r, size_t i) { return r->fields[i].name; }
const char *logline_field_proxy(const struct logline_rules *r, size_t i) { return r->fields[i].proxy; }
const char *logline_field_meaning(const struct logline_rules *r, size_t i) { return r->fields[i].meaning; }

static bool has_kind(const struct logline *l, const char *kind) {
  for (size_t k = 0; k < l->nsig; k++)
    if (!strcmp(l->sigs[k].kind, kind)) return true;
  return false;
}

unsigned logline_absent_fields(const struct logline_rules *r, const struct logline *in) {
  unsigned bits = 0;
  for (size_t f = 0; f < r->nfields; f++) {
    /* a line recognised as another proxy's lacks this proxy's fields by nature */
    int d = logline_proxy_index(r, r->fields[f].proxy);
    bool could_be = !in->proxies || (d >= 0 && (in->proxies & (1u << d)));
    if (could_be && !(in->fields & (1u << f)) && has_kind(in, r->fields[f].anchor) &&
        !(r->fields[f].kind && has_kind(in, r->fields[f].kind)))
      bits |= 1u << f;
  }
  return bits;
}

char *logline_field_text(const struct logline_rules *r, const char *raw, size_t i) {
  regmatch_t g[1];
  if (i >= r->nfields || regexec(&r->field_re[i], raw, 1, g, 0)) return NULL;
  return trimmed(raw + g[0].rm_so, (size_t)(g[0].rm_eo - g[0].rm_so));
}

/* ---- building the tables ------------------------------------------------------------------- */

/* How many rows each table gets from the definitions. */
struct counts {
  size_t masks, sigs, nots, families, fields, detect, proxies;
};

static void count_rows(const struct proxy_def *defs, size_t ndefs, struct counts *c) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < ndefs; i++) {
    const struct proxy_explain *e = defs[i].explain;
    if (!e) continue;
    c->proxies++;
    c->masks += e->nmasks, c->sigs += e->nsignatures, c->families += e->nfamilies, c->fields += e->nfields;
    for (char **d = e->detect; *d; d++) c->detect++;
    for (size_t s = 0; s < e->nsignatures; s++)
      c->nots += e->signatures[s].not_verdict || e->signatures[s].not_verdict_re;
  }
}

/* The definitions' rows after (families: before) badup's own. */
static void fill_rows(struct logline_rules *r, const struct proxy_def *defs, size_t ndefs) {
  for (size_t k = 0; k < NORM_NFIELD_MASKS; k++) r->masks[r->nmasks++] = NORM_FIELD_MASKS[k];
  for (size_t k = 0; k < COUNT(SIG_RULES); k++) r->sigs[r->nsigs++] = SIG_RULES[k];
  for (size_t k = 0; k < COUNT(NOT_VERDICTS); k++) r->nots[r->nnots++] = NOT_VERDICTS[k];
  for (size_t i = 0; i < ndefs; i++) {
    const struct proxy_explain *e = defs[i].explain;
    if (!e) continue;
    int owner = (int)r->nproxies;
    r->proxies[r->nproxies++] = (struct known_proxy){defs[i].name, e->tags, e->look_in_log, e->look_in_what};
    for (char **d = e->detect; *d; d++) {
      r->detect_owner[r->ndetect] = owner;
      r->detect[r->ndetect++] = *d;
    }
    for (size_t k = 0; k < e->nmasks; k++)
      r->masks[r->nmasks++] = (struct mask_rule){e->masks[k].pattern, e->masks[k].groups, e->masks[k].with};
    for (size_t k = 0; k < e->nsignatures; k++) {
      const struct proxy_signature *s = &e->signatures[k];
      r->sigs[r->nsigs++] = (struct sig_rule){s->kind, s->label, s->pattern, s->group, s->weight, s->all, s->key_len,
                                              owner};
      if (s->not_verdict || s->not_verdict_re) r->nots[r->nnots++] = (struct not_verdict){s->kind, s->not_verdict_re};
    }
    /* a proxy's rows read its own signatures, which say more than words: they come first */
    for (size_t k = 0; k < e->nfamilies; k++)
      r->families[r->nfamilies++] =
          (struct family_rule){e->families[k].family, e->families[k].kind, e->families[k].pattern, false};
    for (size_t k = 0; k < e->nfields; k++) {
      const struct proxy_field *f = &e->fields[k];
      r->fields[r->nfields++] = (struct field_rule){defs[i].name, f->name, f->pattern, f->kind, f->anchor, f->meaning};
    }
  }
  for (size_t k = 0; k < COUNT(FAMILY_RULES); k++) r->families[r->nfamilies++] = FAMILY_RULES[k];
}

/* Every table's patterns, in one list, so a failure frees what compiled before it. */
struct pattern {
  regex_t *re;
  const char *pattern;
  int flags;
};

static size_t list_patterns(const struct logline_rules *r, struct pattern *p) {
  size_t n = 0;
  for (size_t k = 0; k < NORM_NTIME_MASKS; k++)
    p[n++] = (struct pattern){&r->time_re[k], NORM_TIME_MASKS[k].pattern, 0};
  for (size_t k = 0; k < NORM_NPREFIXES; k++) p[n++] = (struct pattern){&r->prefix_re[k], NORM_PREFIXES[k].pattern, 0};
  for (size_t k = 0; k < r->nmasks; k++) p[n++] = (struct pattern){&r->mask_re[k], r->masks[k].pattern, 0};
  for (size_t k = 0; k < r->nsigs; k++) p[n++] = (struct pattern){&r->sig_re[k], r->sigs[k].pattern, 0};
  for (size_t k = 0; k < r->ndetect; k++) p[n++] = (struct pattern){&r->detect_re[k], r->detect[k], REG_NOSUB};
  /* where a family's words are tells which field they came from: no REG_NOSUB */
  for (size_t k = 0; k < r->nfamilies; k++)
    p[n++] = (struct pattern){&r->family_re[k], r->families[k].pattern, r->families[k].icase ? REG_ICASE : 0};
  /* a NULL value matches every value of its kind: the pattern is left uncompiled */
  for (size_t k = 0; k < r->nnots; k++)
    if (r->nots[k].value) p[n++] = (struct pattern){&r->not_re[k], r->nots[k].value, REG_NOSUB};
  for (size_t k = 0; k < r->nfields; k++) p[n++] = (struct pattern){&r->field_re[k], r->fields[k].pattern, 0};
  return n;
}

static void free_tables(struct logline_rules *r) {
  free(r->time_re), free(r->prefix_re);
  free(r->masks), free(r->mask_re);
  free(r->sigs), free(r->sig_re);
  free(r->nots), free(r->not_re);
  free(r->families), free(r->family_re);
  free(r->fields), free(r->field_re);
  free(r->detect), free(r->detect_owner), free(r->detect_re);
  free(r->proxies);
  free(r);
}

struct logline_rules *logline_rules_new(const struct proxy_def *defs, size_t ndefs) {
  struct counts c;
  count_rows(defs, ndefs, &c);
  if (c.proxies > MAX_BITS || c.fields > MAX_BITS) {
    fprintf(stderr, "badup: %zu definitions have an explain field, with %zu optional fields: explain reads at most %d "
                    "of each\n", c.proxies, c.fields, MAX_BITS);
    return NULL;
  }
  struct logline_rules *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  size_t nmasks = NORM_NFIELD_MASKS + c.masks, nsigs = COUNT(SIG_RULES) + c.sigs, nnots = COUNT(NOT_VERDICTS) + c.nots,
         nfamilies = COUNT(FAMILY_RULES) + c.families;
  /* one more of each: a table may be empty, and calloc(0) may return NULL */
  r->time_re = calloc(NORM_NTIME_MASKS + 1, sizeof *r->time_re);
  r->prefix_re = calloc(NORM_NPREFIXES + 1, sizeof *r->prefix_re);
  r->masks = calloc(nmasks + 1, sizeof *r->masks), r->mask_re = calloc(nmasks + 1, sizeof *r->mask_re);
  r->sigs = calloc(nsigs + 1, sizeof *r->sigs), r->sig_re = calloc(nsigs + 1, sizeof *r->sig_re);
  r->nots = calloc(nnots + 1, sizeof *r->nots), r->not_re = calloc(nnots + 1, sizeof *r->not_re);
  r->families = calloc(nfamilies + 1, sizeof *r->families), r->family_re = calloc(nfamilies + 1, sizeof *r->family_re);
  r->fields = calloc(c.fields + 1, sizeof *r->fields), r->field_re = calloc(c.fields + 1, sizeof *r->field_re);
  r->detect = calloc(c.detect + 1, sizeof *r->detect), r->detect_owner = calloc(c.detect + 1, sizeof *r->detect_owner);
  r->detect_re = calloc(c.detect + 1, sizeof *r->detect_re);
  r->proxies = calloc(c.proxies + 1, sizeof *r->proxies);
  size_t npatterns = NORM_NTIME_MASKS + NORM_NPREFIXES + nmasks + nsigs + c.detect + nfamilies + nnots + c.fields;
  struct pattern *p = calloc(npatterns + 1, sizeof *p);
  if (!p || !r->time_re || !r->prefix_re || !r->masks || !r->mask_re || !r->sigs || !r->sig_re || !r->nots ||
      !r->not_re || !r->families || !r->family_re || !r->fields || !r->field_re || !r->detect || !r->detect_owner ||
      !r->detect_re || !r->proxies) {
    fprintf(stderr, "badup explain: out of memory\n");
    free(p);
    free_tables(r);
    return NULL;
  }
  fill_rows(r, defs, ndefs);
  size_t n = list_patterns(r, p);
  for (size_t k = 0; k < n; k++) {
    if (regcomp(p[k].re, p[k].pattern, REG_EXTENDED | p[k].flags) == 0) continue;
    /* badup's tables are constants and a definition's patterns compiled when it loaded: a
     * pattern that does not compile here is a bug */
    fprintf(stderr, "badup explain: bad pattern: %s\n", p[k].pattern);
    while (k--) regfree(p[k].re);
    free(p);
    free_tables(r);
    return NULL;
  }
  free(p);
  return r;
}

void logline_rules_free(struct logline_rules *r) {
  if (!r) return;
  size_t n = NORM_NTIME_MASKS + NORM_NPREFIXES + r->nmasks + r->nsigs + r->ndetect + r->nfamilies + r->nnots +
             r->nfields;
  struct pattern *p = calloc(n + 1, sizeof *p);
  if (p) {
    n = list_patterns(r, p);
    for (size_t k = 0; k < n; k++) regfree(p[k].re);
    free(p);
  }
  free_tables(r);
}
