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

/* ---- what a line is made of ---- */

struct sig {
  const char *kind; /* static: one of the rule kinds below */
  char *value;
  int weight;
};

struct features {
  char *norm;    /* the line with its variable parts replaced by placeholders */
  char **tokens; /* sorted, unique, lower case */
  double *weights; /* of each token, once the reference is counted */
  size_t ntok;
  struct sig *sigs; /* sorted by kind then value, unique */
  size_t nsig;
  unsigned proxies; /* bit i: the line has the format of DETECTORS[i].proxy */
};

/* Signatures, matched against the normalised line. group is the capture that holds the
 * value; all means every match counts (a line can carry several codes). */
struct sig_rule {
  const char *kind, *label, *pattern;
  int group, weight;
  bool all;
};

#define HAPROXY_LOG " (-1|[0-9]{3}|<n>) [^ ]+ [^ ]+ [^ ]+ ([-A-Za-z]{4}) [^ ]+/[^ ]+/[^ ]+/[^ ]+/[^ ]+ "

static const struct sig_rule SIG_RULES[] = {
    /* haproxy's HTTP log: status, bytes, two cookie fields, then the termination state. */
    {"haproxy-state", "termination state", HAPROXY_LOG, 2, 4, false},
    {"status", "status", HAPROXY_LOG, 1, 1, false},
    /* access lines in the common shapes: the status right after the quoted request */
    {"status", "status", "\"[A-Z]+ [^\"]*\" ([0-9]{3}(\\+abort)?) ", 1, 1, false},
    {"status", "status", "\"status\":([0-9]{3})", 1, 1, false},
    /* nginx error log: the message after the pid#tid and the *connection id */
    {"nginx-message", "message", "\\[(emerg|alert|crit|error|warn|notice|info)\\] <n>#<n>: (\\*<n> )?([^,]+)", 3, 3,
     false},
    {"apache-code", "code", "AH[0-9]{5}", 0, 3, true},
    {"apache-error", "error", "\\] (\\(([0-9]{3}|<n>)\\)[^:]+):", 1, 3, false},
    {"varnish-fetcherror", "FetchError", "fetcherror=\"([^\"]+)\"", 1, 3, false},
    {"varnish-fetcherror", "FetchError", "FetchError[ ]+(.+)$", 1, 3, false},
    {"squid-code", "result code", "(^| )([A-Z]+_[A-Z_]+/([0-9]{3}|<n>)) ", 2, 3, false},
    {"squid-error", "error page", "err=(ERR_[A-Z_]+)/", 1, 3, false},
    {"squid-warning", "warning", "(WARNING|ERROR|FATAL): (.+) (for|from) <url>", 2, 3, false},
    {"trafficserver-codes", "status codes", "(sssc=[^ ]+ cfsc=[^ ]+ pfsc=[^ ]+)", 1, 3, false},
    {"trafficserver-connect", "connect error", "CONNECT: ([A-Za-z ]+)", 1, 3, false},
    {"caddy-message", "message", "\"msg\":\"([^\"]+)\"", 1, 3, false},
    {"caddy-error", "error", "\"error\":\"([^\"]+)\"", 1, 3, false},
    {"nghttpx-message", "message", "\\[DCONN:[^]]*\\] (.+)$", 1, 3, false},
    {"nghttpx-backend", "backend", " backend=([^ ]+)", 1, 1, false},
    {"http-parser-error", "parser error", "HPE_[A-Z_]+", 0, 3, true},
    {"h2o-message", "message", "in request:[^:]*:(.+)$", 1, 3, false},
    {"lighttpd-message", "message", "\\([a-z0-9_-]+\\.c\\.<n>\\) (.+)$", 1, 3, false},
    {"node-error", "error", "(^| )error=\"([^\"]+)\"", 2, 3, false},
    {"tinyproxy-message", "message",
     "^(CONNECT|ERROR|WARNING|INFO|NOTICE|CRITICAL|DEBUG) +[A-Za-z]+ <n> <n> \\[<n>\\]: (.+)$", 2, 3, false},
};
#define NSIG_RULES (sizeof SIG_RULES / sizeof SIG_RULES[0])

/* Formats only one proxy writes. Access lines in the common log format are left out: apache,
 * lighttpd, h2o and others share it, and the similarity tells them apart well enough. */
static const struct {
  const char *proxy, *pattern;
} DETECTORS[] = {
    {"haproxy", HAPROXY_LOG},
    {"nginx", "\\[(emerg|alert|crit|error|warn|notice|info|debug)\\] <n>#<n>: | ua=\"[^\"]*\" us=\""},
    {"apache2", "\\[[a-z_]+:(emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\\] \\[pid |AH[0-9]{5}: "},
    {"varnish", "fetcherror=\"|FetchError"},
    {"squid", "HIER_[A-Z]+/|<n>\\| (WARNING|ERROR|FATAL|NOTICE)| err=(-|ERR_[A-Z_]+)/"},
    {"trafficserver", " sssc=[^ ]+ cfsc=|^<n> CONNECT: "},
    {"caddy", "\"logger\":\""},
    {"nghttpx", "\\[DCONN:|\\(shrpx_| backend="},
    {"h2o", "\\[lib/[a-z0-9_/]+\\.c\\]| in request:"},
    {"lighttpd", "\\([a-z0-9_-]+\\.c\\.<n>\\) "},
    {"node", " attempts=<n>"},
    {"tinyproxy", "^(CONNECT|ERROR|WARNING|INFO|NOTICE|CRITICAL|DEBUG) +[A-Za-z]+ <n> <n> \\[<n>\\]: "},
};
#define NDETECTORS (sizeof DETECTORS / sizeof DETECTORS[0])

struct matcher {
  regex_t sig_re[NSIG_RULES];
  regex_t detect_re[NDETECTORS];
};

/* ---- normalisation ---- */

static bool is_word(int c) { return isalnum(c) || c == '_'; }

/* Length of a dotted IPv4 address at s, or 0. */
static size_t ipv4_len(const char *s) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t start = i;
    while (isdigit((unsigned char)s[i]) && i - start < 3) i++;
    if (i == start) return 0;
    if (part < 3) {
      if (s[i] != '.') return 0;
      i++;
    }
  }
  return isdigit((unsigned char)s[i]) || isalpha((unsigned char)s[i]) ? 0 : i;
}

/* A 3-digit number standing alone is kept: it is a status (502), an errno (104) or the size
 * of a proxy's error page, all telling; one that follows "pid" or sits in a pid#tid or a
 * [pid] is an id whatever its length. */
static bool keep_number(const char *line, size_t i, size_t j) {
  if (j - i != 3 || line[i] == '0') return false;
  char prev = i ? line[i - 1] : ' ', next = line[j];
  if (!strchr(" (\"'=/:", prev)) return false;
  if (next && !strchr(" )\"',:/+]", next)) return false;
  /* a source line (shrpx_https_upstream.cc:926) moves from one version to the next */
  if (prev == ':') {
    size_t k = i - 1;
    while (k && (is_word((unsigned char)line[k - 1]) || line[k - 1] == '.')) k--;
    const char *dot = memrchr(line + k, '.', i - 1 - k);
    if (dot && dot + 1 < line + i - 1 && i - 1 - (size_t)(dot - line) <= 3) return false;
  }
  static const char *const id_words[] = {"pid ", "tid ", "descriptor ", "fd ", "fd: "};
  for (size_t k = 0; k < sizeof id_words / sizeof id_words[0]; k++) {
    size_t n = strlen(id_words[k]);
    if (i >= n && !strncmp(line + i - n, id_words[k], n)) return false;
  }
  return true;
}

/* Whether the last word written is a number or a date: then a 3-digit number after it is
 * one of a run of ids (nghttpx's "<time> PID TID ID"), not a status. */
static bool after_number(const struct buf *out) {
  size_t end = out->len;
  if (!end || out->data[end - 1] != ' ') return false;
  end--;
  size_t start = end;
  while (start && out->data[start - 1] != ' ') start--;
  if (start == end) return false;
  for (size_t k = start; k < end;) {
    if (end - k >= 3 && !strncmp(out->data + k, "<n>", 3)) k += 3;
    else if (strchr("-:.TZ", out->data[k])) k++;
    else return false;
  }
  return true;
}

/* The line with <url>, <ip>, <path> and <n> (numbers, dates, times, durations, ports, pids,
 * request ids like f8ac5458) in place of the parts that differ between two requests. */
static char *normalise(const char *s) {
  struct buf out = {0};
  size_t n = strlen(s), i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';
    if (isspace(c)) {
      if (out.len && out.data[out.len - 1] != ' ') buf_puts(&out, " ");
      i++;
      continue;
    }
    if (isalpha(c) && !is_word(prev)) {
      size_t j = i;
      while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '.' || s[j] == '-')) j++;
      if (j + 2 < n && s[j] == ':' && s[j + 1] == '/' && s[j + 2] == '/') {
        j += 3;
        while (j < n && !isspace((unsigned char)s[j]) && !strchr("\"'<>|", s[j])) j++;
        buf_puts(&out, "<url>");
        i = j;
        continue;
      }
    }
    if (isdigit(c) && !is_word(prev) && prev != '.') {
      size_t len = ipv4_len(s + i);
      if (len) {
        i += len;
        if (s[i] == ':' && isdigit((unsigned char)s[i + 1]))
          for (i++; isdigit((unsigned char)s[i]); i++) {}
        buf_puts(&out, "<ip>");
        continue;
      }
    }
    if (c == '[') { /* [::1]:8080, [2001:db8::1] */
      size_t j = i + 1, colons = 0;
      while (j < n && (isxdigit((unsigned char)s[j]) || s[j] == ':' || s[j] == '.')) colons += s[j++] == ':';
      if (j < n && s[j] == ']' && colons >= 2) {
        j++;
        if (s[j] == ':' && isdigit((unsigned char)s[j + 1]))
          for (j++; isdigit((unsigned char)s[j]); j++) {}
        buf_puts(&out, "<ip>");
        i = j;
        continue;
      }
    }
    /* A path starts after a separator; "be/up", "HTTP/1.1", "I/O" or "lib/core" do not. */
    if (c == '/' && strchr(" \t\"'=:(,[", prev) && s[i + 1] != '/') {
      size_t j = i;
      while (j < n && !isspace((unsigned char)s[j]) && !strchr("\"'?,;:()[]{}|<>", s[j])) j++;
      if (s[j] == '?')
        while (j < n && !isspace((unsigned char)s[j]) && !strchr("\"',", s[j])) j++;
      buf_puts(&out, "<path>");
      i = j;
      continue;
    }
    /* -1 is a value, not a quantity: haproxy's timer of a response that never came, varnish's
     * "HTC eof (-1)". */
    if (c == '-' && s[i + 1] == '1' && !is_word(prev) && !is_word((unsigned char)s[i + 2]) && s[i + 2] != '.') {
      buf_puts(&out, "-1");
      i += 2;
      continue;
    }
    if (isdigit(c) && !is_word(prev)) {
      size_t j = i;
      bool pure = true, multi = false;
      while (j < n && is_word((unsigned char)s[j])) pure &= isdigit((unsigned char)s[j++]) != 0;
      while (j + 1 < n && (s[j] == '.' || s[j] == ':') && isdigit((unsigned char)s[j + 1])) {
        multi = true;
        for (j++; j < n && is_word((unsigned char)s[j]); j++) {}
      }
      size_t digits = i;
      while (isdigit((unsigned char)s[digits])) digits++;
      if (pure && !multi && keep_number(s, i, j) && !(prev == ' ' && after_number(&out))) {
        buf_append(&out, s + i, j - i);
      } else if (!multi && !pure) {
        /* 1002ms keeps its unit; 0x7f3a, 15h42m59s or a hex id (10c4d146) are one number */
        static const char *const units[] = {"ms", "s", "us", "ns"};
        bool unit = false;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
          unit |= j - digits == strlen(units[k]) && !strncmp(s + digits, units[k], j - digits);
        if (unit) {
          buf_puts(&out, "<n>");
          buf_append(&out, s + digits, j - digits);
        } else {
          buf_puts(&out, "<n>");
        }
      } else {
        buf_puts(&out, "<n>");
      }
      i = j;
      continue;
    }
    if (is_word(c) && !is_word(prev)) {
      size_t j = i;
      bool has_digit = false, id_chars = true;
      for (; j < n && is_word((unsigned char)s[j]); j++) {
        has_digit |= isdigit((unsigned char)s[j]) != 0;
        id_chars &= islower((unsigned char)s[j]) || isdigit((unsigned char)s[j]);
      }
      /* request and error ids (nghttpx's f8ac5458, caddy's err_id) are lower case letters
       * and digits; codes worth keeping (AH01102, HPE_*) are upper case. An id is a number
       * like any other: a hex id may well be all digits (41890958). */
      if (has_digit && id_chars && j - i >= 6) buf_puts(&out, "<n>");
      else buf_append(&out, s + i, j - i);
      i = j;
      continue;
    }
    buf_append(&out, s + i, 1);
    i++;
  }
  while (out.len && out.data[out.len - 1] == ' ') out.len--;
  char *r = strdup(buf_cstr(&out));
  buf_free(&out);
  return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_date_word(const char *t) {
  static const char *const words[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
    if (!strcmp(t, words[k])) return true;
  return false;
}

/* The normalised line as a set of lower-case words; month and day names go, like the rest
 * of the dates. */
static void tokenise(const char *norm, char ***out, size_t *nout) {
  size_t cap = 16, n = 0;
  char **toks = malloc(cap * sizeof *toks);
  const char *p = norm;
  while (*p) {
    while (*p && (isspace((unsigned char)*p) || strchr("\"',;()[]{}=|:/", *p))) p++;
    const char *start = p;
    while (*p && !isspace((unsigned char)*p) && !strchr("\"',;()[]{}=|:/", *p)) p++;
    size_t len = (size_t)(p - start);
    while (len && start[len - 1] == '.') len--;
    if (!len) continue;
    char *t = strndup(start, len);
    for (char *q = t; *q; q++) *q = (char)tolower((unsigned char)*q);
    if (is_date_word(t)) {
      free(t);
      continue;
    }
    if (n == cap) toks = realloc(toks, (cap *= 2) * sizeof *toks);
    toks[n++] = t;
  }
  qsort(toks, n, sizeof *toks, cmp_str);
  size_t u = 0;
  for (size_t k = 0; k < n; k++) {
    if (u && !strcmp(toks[u - 1], toks[k])) free(toks[k]);
    else toks[u++] = toks[k];
  }
  *out = toks;
  *nout = u;
}

static int cmp_sig(const void *a, const void *b) {
  const struct sig *x = a, *y = b;
  int c = strcmp(x->kind, y->kind);
  return c ? c : strcmp(x->value, y->value);
}

static const char *sig_label(const char *kind) {
  for (size_t r = 0; r < NSIG_RULES; r++)
    if (!strcmp(SIG_RULES[r].kind, kind)) return SIG_RULES[r].label;
  return kind;
}

static char *trimmed(const char *s, size_t len) {
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  return strndup(s, len);
}

static void extract_sigs(const struct matcher *m, const char *norm, struct features *f) {
  size_t cap = 4;
  f->sigs = malloc(cap * sizeof *f->sigs);
  f->nsig = 0;
  for (size_t r = 0; r < NSIG_RULES; r++) {
    const char *p = norm;
    regmatch_t g[8];
    int flags = 0;
    while (*p && regexec(&m->sig_re[r], p, 8, g, flags) == 0) {
      int k = SIG_RULES[r].group;
      if (g[k].rm_so >= 0) {
        char *v = trimmed(p + g[k].rm_so, (size_t)(g[k].rm_eo - g[k].rm_so));
        /* "-" is how varnish and squid write "no error": not a signature */
        if (!*v || !strcmp(v, "-")) {
          free(v);
        } else {
          if (f->nsig == cap) f->sigs = realloc(f->sigs, (cap *= 2) * sizeof *f->sigs);
          f->sigs[f->nsig++] = (struct sig){SIG_RULES[r].kind, v, SIG_RULES[r].weight};
        }
      }
      if (!SIG_RULES[r].all || g[0].rm_eo == 0) break;
      p += g[0].rm_eo;
      flags = REG_NOTBOL;
    }
  }
  qsort(f->sigs, f->nsig, sizeof *f->sigs, cmp_sig);
  size_t u = 0;
  for (size_t k = 0; k < f->nsig; k++) {
    if (u && !cmp_sig(&f->sigs[u - 1], &f->sigs[k])) free(f->sigs[k].value);
    else f->sigs[u++] = f->sigs[k];
  }
  f->nsig = u;
}

static void features_of(const struct matcher *m, const char *raw, struct features *f) {
  memset(f, 0, sizeof *f);
  f->norm = normalise(raw);
  tokenise(f->norm, &f->tokens, &f->ntok);
  extract_sigs(m, f->norm, f);
  for (size_t d = 0; d < NDETECTORS; d++)
    if (regexec(&m->detect_re[d], f->norm, 0, NULL, 0) == 0) f->proxies |= 1u << d;
}

static void features_free(struct features *f) {
  for (size_t k = 0; k < f->ntok; k++) free(f->tokens[k]);
  for (size_t k = 0; k < f->nsig; k++) free(f->sigs[k].value);
  free(f->tokens);
  free(f->weights);
  free(f->sigs);
  free(f->norm);
}

static int matcher_init(struct matcher *m) {
  for (size_t r = 0; r < NSIG_RULES; r++)
    if (regcomp(&m->sig_re[r], SIG_RULES[r].pattern, REG_EXTENDED)) {
      fprintf(stderr, "badup explain: bad pattern for %s\n", SIG_RULES[r].kind);
      for (size_t k = 0; k < r; k++) regfree(&m->sig_re[k]);
      return -1;
    }
  for (size_t d = 0; d < NDETECTORS; d++)
    if (regcomp(&m->detect_re[d], DETECTORS[d].pattern, REG_EXTENDED | REG_NOSUB)) {
      fprintf(stderr, "badup explain: bad pattern for %s\n", DETECTORS[d].proxy);
      for (size_t k = 0; k < d; k++) regfree(&m->detect_re[k]);
      for (size_t k = 0; k < NSIG_RULES; k++) regfree(&m->sig_re[k]);
      return -1;
    }
  return 0;
}

static void matcher_free(struct matcher *m) {
  for (size_t r = 0; r < NSIG_RULES; r++) regfree(&m->sig_re[r]);
  for (size_t d = 0; d < NDETECTORS; d++) regfree(&m->detect_re[d]);
}

/* ---- the reference ---- */

struct ref_line {
  char *raw;
  struct features f;
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

static void add_case(struct catalog *cat, const struct matcher *m, const char *proxy, const char *variant,
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
      features_of(m, l->raw, &l->f);
    }
    p += len + (end ? 3 : 0);
  }
}

static int load_file(struct catalog *cat, const struct matcher *m, const char *path, const char *stem) {
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
static void weigh_tokens(const struct catalog *cat, struct features *f) {
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
      features_free(&rc->lines[l].f);
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

static int load_catalog(struct catalog *cat, const struct matcher *m, const char *dir) {
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
static double token_similarity(const struct catalog *cat, const struct features *a, const struct features *b) {
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

static double sig_similarity(const struct features *a, const struct features *b) {
  double shared = 0, all = 0;
  size_t i = 0, j = 0;
  while (i < a->nsig || j < b->nsig) {
    int c = i == a->nsig ? 1 : j == b->nsig ? -1 : cmp_sig(&a->sigs[i], &b->sigs[j]);
    double w = c <= 0 ? a->sigs[i].weight : b->sigs[j].weight;
    all += w;
    if (c == 0) shared += w, i++, j++;
    else if (c < 0) i++;
    else j++;
  }
  return all > 0 ? shared / all : 0;
}

static int detector_of(const char *proxy) {
  for (size_t d = 0; d < NDETECTORS; d++)
    if (!strcmp(DETECTORS[d].proxy, proxy)) return (int)d;
  return -1;
}

static double line_score(const struct catalog *cat, const struct features *in, const struct features *ref) {
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
static struct candidate *rank(const struct catalog *cat, const struct features *in, size_t *ncand) {
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

static void print_recognised(const struct features *in) {
  struct buf b = {0};
  if (in->proxies) {
    for (size_t d = 0; d < NDETECTORS; d++)
      if (in->proxies & (1u << d)) buf_printf(&b, "%s%s", b.len ? " or " : "", DETECTORS[d].proxy);
  } else {
    buf_puts(&b, "no known proxy format");
  }
  for (size_t k = 0; k < in->nsig; k++)
    buf_printf(&b, "%s%s %s", k ? ", " : "; ", sig_label(in->sigs[k].kind), in->sigs[k].value);
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
static bool explain_line(const struct catalog *cat, const struct matcher *m, const char *line, size_t line_no,
                         bool several, size_t top, json_t *json_out) {
  struct features in;
  features_of(m, line, &in);
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
  features_free(&in);
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
  struct matcher m;
  if (!ref_dir || matcher_init(&m)) {
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
  matcher_free(&m);
  free(ref_dir);
  free(args.lines);
  return rc;
}
