/* logline.c: from a proxy's log line to what it says (see logline.h). */
#include "logline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---- the proxies' own verdicts ---- */

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

int logline_cmp_sig(const void *a, const void *b) {
  const struct sig *x = a, *y = b;
  int c = strcmp(x->kind, y->kind);
  return c ? c : strcmp(x->value, y->value);
}

const char *logline_sig_label(const char *kind) {
  for (size_t r = 0; r < NSIG_RULES; r++)
    if (!strcmp(SIG_RULES[r].kind, kind)) return SIG_RULES[r].label;
  return kind;
}

static char *trimmed(const char *s, size_t len) {
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  return strndup(s, len);
}

static void extract_sigs(const struct logline_matcher *m, const char *norm, struct logline *f) {
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
  qsort(f->sigs, f->nsig, sizeof *f->sigs, logline_cmp_sig);
  size_t u = 0;
  for (size_t k = 0; k < f->nsig; k++) {
    if (u && !logline_cmp_sig(&f->sigs[u - 1], &f->sigs[k])) free(f->sigs[k].value);
    else f->sigs[u++] = f->sigs[k];
  }
  f->nsig = u;
}

void logline_read(const struct logline_matcher *m, const char *raw, struct logline *f) {
  memset(f, 0, sizeof *f);
  f->norm = normalise(raw);
  tokenise(f->norm, &f->tokens, &f->ntok);
  extract_sigs(m, f->norm, f);
  for (size_t d = 0; d < NDETECTORS; d++)
    if (regexec(&m->detect_re[d], f->norm, 0, NULL, 0) == 0) f->proxies |= 1u << d;
}

void logline_free(struct logline *f) {
  for (size_t k = 0; k < f->ntok; k++) free(f->tokens[k]);
  for (size_t k = 0; k < f->nsig; k++) free(f->sigs[k].value);
  free(f->tokens);
  free(f->weights);
  free(f->sigs);
  free(f->norm);
}

int logline_matcher_init(struct logline_matcher *m) {
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

void logline_matcher_free(struct logline_matcher *m) {
  for (size_t r = 0; r < NSIG_RULES; r++) regfree(&m->sig_re[r]);
  for (size_t d = 0; d < NDETECTORS; d++) regfree(&m->detect_re[d]);
}

size_t logline_nproxies(void) { return NDETECTORS; }
const char *logline_proxy(size_t i) { return DETECTORS[i].proxy; }

_Static_assert(NSIG_RULES == LOGLINE_NSIG_RULES, "logline.h: LOGLINE_NSIG_RULES");
_Static_assert(NDETECTORS == LOGLINE_NDETECTORS, "logline.h: LOGLINE_NDETECTORS");
