/* logline_norm.c: steps 1-4 of reading a log line (see logline.c): times, syslog and runtime
 * headers, the parts of a line that are a deployment's own, and the placeholders for
 * addresses, URLs, paths and numbers. The proxies' own masks come from their definitions
 * (explain.masks) and run after badup's. Every table is data with the reason for each row
 * next to it; rows are POSIX EREs. */
#include "logline_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- 1-3: masks, applied to the raw line -------------------------------------------- */

#define MON "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#define WDAY "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
#define HMS "[0-9]{2}:[0-9]{2}:[0-9]{2}"
#define FRAC "([.,][0-9]+)?"

const struct mask_rule NORM_TIME_MASKS[] = {
    /* apache's error log, ctime: Sun Nov 22 15:43:07.310307 2026 */
    {WDAY " " MON " [ 0-9]?[0-9] " HMS FRAC " [0-9]{4}", GROUP(0), "<time>"},
    /* HTTP dates: Sun, 22 Nov 2026 15:43:07 GMT */
    {WDAY ", [0-9]{2} " MON " [0-9]{4} " HMS "( GMT| [+-][0-9]{4})?", GROUP(0), "<time>"},
    /* ISO 8601 / RFC 3339 (nghttpx, node, caddy's iso8601, RFC 5424, journalctl -o
     * short-iso, lighttpd's "2026-11-22 15:44:06"): a date alone is left alone */
    {"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]" HMS FRAC "(Z|[+-][0-9]{2}:?[0-9]{2})?", GROUP(0), "<time>"},
    /* nginx's error log, squid's cache.log: 2026/11/22 15:43:37 */
    {"[0-9]{4}/[0-9]{2}/[0-9]{2} " HMS FRAC, GROUP(0), "<time>"},
    /* common log format: 22/Nov/2026:15:43:07 +0000, haproxy's 22/Nov/2026:15:44:03.867 */
    {"[0-9]{1,2}/" MON "/[0-9]{4}:" HMS FRAC "( [+-][0-9]{4})?", GROUP(0), "<time>"},
    /* syslog (RFC 3164), journald's short format, tinyproxy: Nov 22 15:43:37.324 */
    {MON " [ 0-9]?[0-9] " HMS FRAC "( [0-9]{4})?", GROUP(0), "<time>"},
    /* trafficserver's diags.log: 20261122.15h42m59s */
    {"[0-9]{8}\\.[0-9]{2}h[0-9]{2}m[0-9]{2}s", GROUP(0), "<time>"},
    /* Unix time, in seconds with a fraction or in milliseconds (squid, trafficserver, caddy) */
    {"(^|[^0-9.])(1[0-9]{9}(\\.[0-9]+)?|1[0-9]{12})([^0-9.]|$)", GROUP(2), "<time>"},
    /* a time of day left over */
    {"(^|[^0-9:])(" HMS FRAC ")", GROUP(2), "<time>"},
};
const size_t NORM_NTIME_MASKS = COUNT(NORM_TIME_MASKS);

/* Headers that syslog, journald or a container runtime put before the proxy's own line;
 * cut off. tag is the capture that holds the program name (0: none). Times are already
 * <time> here. */
const struct prefix_rule NORM_PREFIXES[] = {
    /* RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA */
    {"^<[0-9]{1,3}>1 [^ ]+ [^ ]+ ([^ ]+) [^ ]+ [^ ]+ (-|(\\[[^]]*\\])+) ?", 1},
    /* RFC 3164, journald, rsyslog: [<PRI>]TIME [HOST] TAG[PID]: (haproxy on a local socket
     * sends no host) */
    {"^(<[0-9]{1,3}>)?<time> ([^ :]+ )?([A-Za-z0-9_./-]+)\\[[0-9]+\\]: ", 3},
    /* the same without a pid: then the host must be there, else trafficserver's own
     * "<time> CONNECT: " would pass for a tag */
    {"^(<[0-9]{1,3}>)?<time> [^ :]+ ([A-Za-z0-9_./-]+): ", 2},
    /* the tag alone (docker's syslog driver, logger without a date) */
    {"^([A-Za-z][A-Za-z0-9_.-]*)\\[[0-9]+\\]: ", 1},
    /* container runtimes (CRI): TIME STREAM FLAG */
    {"^<time> (stdout|stderr) [FP] ", 0},
};
const size_t NORM_NPREFIXES = COUNT(NORM_PREFIXES);

#define METHODS "GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE|PATCH|CONNECT|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|PURGE|BAN"

const struct mask_rule NORM_FIELD_MASKS[] = {
    /* sizes: of the response or of the proxy's error page (a deployment's errorfile or
     * synth template): access lines' after the status; squid's native format (which
     * trafficserver writes too) after CODE/STATUS */
    {"HTTP/[0-9.]+\" (-|[0-9]{3})(\\+[a-z]+)? ([0-9]+)( |$)", GROUP(3), "<n>"},
    {"[A-Z_]+/[0-9]{3} ([0-9]+) ", GROUP(1), "<n>"},
    /* the request's method: a request line, squid's and trafficserver's "METHOD URL",
     * tinyproxy's "): GET /", apache's "(GET)", caddy's "method":"GET" */
    {"([\"(]|: | )(" METHODS ")([ )\"])", GROUP(2), "<method>"},
    /* hosts: squid's and trafficserver's HIER_DIRECT/host (the other proxies' own are in
     * their definitions) */
    {"(HIER_[A-Z_]+|[A-Z_]*DIRECT|[A-Z_]*PARENT[A-Z_]*)/([^ -][^ ]*)", GROUP(2), "<host>"},
    /* squid's and trafficserver's default formats: the user the proxy authenticated (a
     * deployment's, "-" for none) between the URL and the hierarchy route, and the content
     * type after it (the application's, or text/html of the proxy's own error page); the
     * harness's formats leave the user out, its trafficserver format the type too */
    {"<method> [^ ]+ ([^ ]+) (HIER_[A-Z_]+|[A-Z_]*DIRECT|[A-Z_]*PARENT[A-Z_]*|NONE)/", GROUP(1), ""},
    {"(HIER_[A-Z_]+|[A-Z_]*DIRECT|[A-Z_]*PARENT[A-Z_]*|NONE)/[^ ]+ ([a-z-]+/[^ ]+|-)( |$)", GROUP(2), ""},
    /* ids a proxy makes up per request or per error: caddy's "err_id":"ubgmbnyuj" (random
     * letters, with or without a digit: without one the number rule below keeps it as a
     * word, and two recordings of one fault scored differently), request ids in JSON */
    {"\"(err_id|request_id|req_id|trace_id|span_id|id)\":\"([^\"]*)\"", GROUP(2), "<n>"},
    /* what the upstream sent, quoted back: header names and values, status lines */
    {"'[^']*'", GROUP(0), "'<data>'"},
    {"\\\\\"([^\"\\\\]|\\\\[^\"])*\\\\\"", GROUP(0), "\\\"<data>\\\""},
};
const size_t NORM_NFIELD_MASKS = COUNT(NORM_FIELD_MASKS);

/* ---- masks ---------------------------------------------------------------------------- */

/* s with rule applied to every match; s is freed. */
static char *mask(const regex_t *re, const struct mask_rule *rule, char *s) {
  const char *p = s;
  regmatch_t g[10];
  /* only as many captures as the rule replaces: glibc's regexec does its costly pass over
   * the subexpressions only when asked for more than the whole match */
  size_t ng = 1;
  for (size_t k = 1; k < 10; k++)
    if (rule->groups & GROUP(k)) ng = k + 1;
  /* most rules match nowhere in most lines: those leave s as it is, with nothing copied */
  if (!*p || regexec(re, p, ng, g, 0) != 0) return s;
  struct buf out = {0};
  do {
    size_t at = 0, end = (size_t)g[0].rm_eo;
    for (size_t k = 0; k < ng; k++) {
      if (!(rule->groups & GROUP(k)) || g[k].rm_so < 0 || (size_t)g[k].rm_so < at) continue;
      buf_append(&out, p + at, (size_t)g[k].rm_so - at);
      buf_puts(&out, rule->with);
      at = (size_t)g[k].rm_eo;
    }
    if (end <= at) end = at;
    if (end == 0) end = 1; /* an empty match: step over one byte */
    buf_append(&out, p + at, end - at);
    p += end;
  } while (*p && regexec(re, p, ng, g, REG_NOTBOL) == 0);
  buf_puts(&out, p);
  free(s);
  char *r = strdup(buf_cstr(&out));
  buf_free(&out);
  return r;
}

/* s without its syslog or runtime headers; *tag gets the program name of the first one
 * (or stays NULL). s is freed. */
static char *strip_prefixes(const struct logline_rules *r, char *s, char **tag) {
  for (bool cut = true; cut;) {
    cut = false;
    for (size_t k = 0; k < NORM_NPREFIXES && !cut; k++) {
      regmatch_t g[6];
      if (regexec(&r->prefix_re[k], s, 6, g, 0) || g[0].rm_eo == 0) continue;
      int t = NORM_PREFIXES[k].tag;
      if (t && !*tag && g[t].rm_so >= 0) *tag = strndup(s + g[t].rm_so, (size_t)(g[t].rm_eo - g[t].rm_so));
      memmove(s, s + g[0].rm_eo, strlen(s + g[0].rm_eo) + 1);
      cut = true;
    }
  }
  return s;
}

/* ---- 4: normalisation ----------------------------------------------------------------- */

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

/* Length of an IPv6 address at s, with what a log glues to it (haproxy's and apache's
 * ":port", a "%zone"), or 0. It needs a "::" or all seven colons, so a time of day or a
 * MAC address is not one. */
static size_t ipv6_len(const char *s) {
  size_t i = 0, colons = 0;
  bool double_colon = false, hex = false;
  for (; isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'; i++) {
    if (s[i] != ':') hex = true;
    else if (colons++, s[i + 1] == ':') double_colon = true;
  }
  if (!hex || colons < 2 || !(double_colon || colons >= 7) || is_word((unsigned char)s[i])) return 0;
  if (s[i] == '%')
    for (i++; isalnum((unsigned char)s[i]); i++) {}
  return i;
}

/* Length of an address at s: IPv4 (with a port), IPv6, [IPv6] (with a port), or 0. */
static size_t ip_len(const char *s, unsigned char prev) {
  size_t i = 0;
  if (s[0] == '[') {
    i = ipv6_len(s + 1);
    if (!i || s[i + 1] != ']') return 0;
    i += 2;
  } else if (!is_word(prev) && prev != '.' && prev != ':') {
    i = ipv4_len(s);
    if (!i) return ipv6_len(s);
  } else {
    return 0;
  }
  if (s[i] == ':' && isdigit((unsigned char)s[i + 1]))
    for (i++; isdigit((unsigned char)s[i]); i++) {}
  return i;
}

/* Length of a URL (scheme://...) at s, or 0. */
static size_t url_len(const char *s) {
  size_t j = 0;
  while (isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '.' || s[j] == '-') j++;
  if (!j || strncmp(s + j, "://", 3)) return 0;
  for (j += 3; s[j] && !isspace((unsigned char)s[j]) && !strchr("\"'<>|", s[j]); j++) {}
  return j;
}

/* Length of a path at s (which starts with '/'), with its query string: that ends at a
 * blank, a quote, or a comma that ends a field (lighttpd's "for /x?, closing"), as query
 * strings hold commas, colons and slashes of their own. */
static size_t path_len(const char *s) {
  size_t j = 0;
  while (s[j] && !isspace((unsigned char)s[j]) && !strchr("\"'?,;:()[]{}|<>", s[j])) j++;
  if (s[j] == '?')
    while (s[j] && !isspace((unsigned char)s[j]) && !strchr("\"'", s[j]) &&
           !(s[j] == ',' && (!s[j + 1] || isspace((unsigned char)s[j + 1]))))
      j++;
  return j;
}

/* A 3-digit number standing alone is kept: it is a status (502) or an errno (104), both
 * telling (an access line's status even with a leading 0); one that follows "pid" or sits
 * in a pid#tid or a [pid] is an id whatever its length. So is apache's error code before
 * its text, "(70007)The timeout...", "(32)Broken pipe". (Sizes, which a deployment decides,
 * are masked before.) */
static bool keep_number(const char *line, size_t i, size_t j) {
  char prev = i ? line[i - 1] : ' ', next = line[j];
  if (prev == '(' && next == ')' && isalpha((unsigned char)line[j + 1])) return true;
  /* right after a quoted request line: the status, whatever its digits (nginx writes 009
   * for an HTTP/0.9 answer) */
  if (j - i == 3 && i >= 2 && prev == ' ' && line[i - 2] == '"' && (!next || next == ' ')) return true;
  if (j - i != 3 || line[i] == '0') return false;
  if (!strchr(" (\"'=/:", prev)) return false;
  if (next && !strchr(" )\"',:/+]}", next)) return false;
  /* a source line (shrpx_https_upstream.cc:926) moves from one version to the next */
  if (prev == ':') {
    size_t k = i - 1;
    while (k && (is_word((unsigned char)line[k - 1]) || line[k - 1] == '.')) k--;
    const char *dot = memrchr(line + k, '.', i - 1 - k);
    if (dot && dot + 1 < line + i - 1 && i - 1 - (size_t)(dot - line) <= 3) return false;
  }
  static const char *const id_words[] = {"pid ", "tid ", "descriptor ", "fd ", "fd: "};
  for (size_t k = 0; k < COUNT(id_words); k++) {
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

/* The number at s + i (a digit): kept, <n>, or <n> with its unit (1002ms). Returns its
 * length. */
static size_t put_number(const char *s, size_t i, struct buf *out) {
  size_t j = i;
  bool pure = true, multi = false;
  while (is_word((unsigned char)s[j])) pure &= isdigit((unsigned char)s[j++]) != 0;
  while ((s[j] == '.' || s[j] == ':') && isdigit((unsigned char)s[j + 1])) {
    multi = true;
    for (j++; is_word((unsigned char)s[j]); j++) {}
  }
  unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';
  if (pure && !multi && keep_number(s, i, j) && !(prev == ' ' && after_number(out))) {
    buf_append(out, s + i, j - i);
    return j - i;
  }
  buf_puts(out, "<n>");
  /* 1002ms keeps its unit; 0x7f3a, 15h42m59s or a hex id (10c4d146) are one number */
  size_t digits = i;
  while (isdigit((unsigned char)s[digits])) digits++;
  static const char *const units[] = {"ms", "s", "us", "ns"};
  for (size_t k = 0; !multi && !pure && k < COUNT(units); k++)
    if (j - digits == strlen(units[k]) && !strncmp(s + digits, units[k], j - digits)) buf_append(out, s + digits, j - digits);
  return j - i;
}

/* The word at s + i: request and error ids (nghttpx's f8ac5458, caddy's err_id) are lower
 * case letters and digits and become <n>; codes worth keeping (AH01102, HPE_*) are upper
 * case. A hex id may well be all digits (41890958): put_number sees those. */
static size_t put_word(const char *s, size_t i, struct buf *out) {
  size_t j = i;
  bool has_digit = false, id_chars = true;
  for (; is_word((unsigned char)s[j]); j++) {
    has_digit |= isdigit((unsigned char)s[j]) != 0;
    id_chars &= islower((unsigned char)s[j]) || isdigit((unsigned char)s[j]);
  }
  if (has_digit && id_chars && j - i >= 6) buf_puts(out, "<n>");
  else buf_append(out, s + i, j - i);
  return j - i;
}

/* Writes text for the len bytes it stands for; returns len. */
static size_t put(struct buf *out, const char *text, size_t len) {
  buf_puts(out, text);
  return len;
}

/* The length of the variable part at s + i, written as its placeholder, or 0. */
static size_t put_variable(const char *s, size_t i, struct buf *out) {
  unsigned char c = (unsigned char)s[i], prev = i ? (unsigned char)s[i - 1] : ' ';
  size_t len;
  if (isalpha(c) && !is_word(prev) && (len = url_len(s + i))) return put(out, "<url>", len);
  if ((isxdigit(c) || c == ':' || c == '[') && (len = ip_len(s + i, prev))) return put(out, "<ip>", len);
  /* a path starts after a separator; "be/up", "HTTP/1.1", "I/O" or "lib/core" do not */
  if (c == '/' && strchr(" \t\"'=:(,[", prev) && s[i + 1] != '/') return put(out, "<path>", path_len(s + i));
  /* -1 is a value, not a quantity: haproxy's timer of a response that never came,
   * varnish's "HTC eof (-1)" */
  if (c == '-' && s[i + 1] == '1' && !is_word(prev) && !is_word((unsigned char)s[i + 2]) && s[i + 2] != '.')
    return put(out, "-1", 2);
  if (isdigit(c) && !is_word(prev)) return put_number(s, i, out);
  if (is_word(c) && !is_word(prev)) return put_word(s, i, out);
  return 0;
}

/* The line with <url>, <ip>, <path> and <n> (numbers, durations, ports, pids, request ids)
 * in place of the parts that differ between two requests; blanks collapsed. */
static char *normalise(const char *s) {
  struct buf out = {0};
  for (size_t i = 0; s[i];) {
    if (isspace((unsigned char)s[i])) {
      if (out.len && out.data[out.len - 1] != ' ') buf_puts(&out, " ");
      i++;
      continue;
    }
    size_t len = put_variable(s, i, &out);
    if (!len) buf_append(&out, s + i, len = 1);
    i += len;
  }
  while (out.len && out.data[out.len - 1] == ' ') out.len--;
  char *r = strdup(buf_cstr(&out));
  buf_free(&out);
  return r;
}

char *norm_line(const struct logline_rules *r, const char *raw, char **tag) {
  char *s = strdup(raw);
  for (size_t k = 0; k < NORM_NTIME_MASKS; k++) s = mask(&r->time_re[k], &NORM_TIME_MASKS[k], s);
  s = strip_prefixes(r, s, tag);
  for (size_t k = 0; k < r->nmasks; k++) s = mask(&r->mask_re[k], &r->masks[k], s);
  char *n = normalise(s);
  free(s);
  return n;
}
