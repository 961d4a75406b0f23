/* proxy_config.c: a user's --proxy-config is checked before any case (see proxy_config.h).
 *
 * Every problem is collected, each naming the user's file and line (a run per problem made
 * adapting a production config take as many runs as it had problems):
 *   1. it is text (else that is the only problem), and every ${name} in it is a template
 *      variable;
 *   2. it listens on ${proxy_port} (every statement that sets the shipped config's listening
 *      directive holds it: another port is outside the case, and a config that listens
 *      only elsewhere makes every case wait out ready_timeout), and every place it sends
 *      requests (the definition's `targets`) is the case's simulator, ${upstream_host}:
 *      ${upstream_port}: a target elsewhere would load a real host with the catalog's faults;
 *   3. every path a `paths` pattern captures lies in the case folder: the proxy would write
 *      there (pid file, logs, sockets, temp and cache folders). Files it includes (`includes`)
 *      are read as part of it, so they are scanned too, when they exist outside the case;
 *      every `must_set` directive is there;
 *   4. it keeps the proxy in the foreground (`foreground`): a proxy that detaches leaves the
 *      process group the harness stops, fails every case, and outlives badup;
 *   5. only when 1-4 found nothing: the proxy's own checker (`check`) accepts it, run in a
 *      scratch folder that stands in for the case folder, with ports the kernel handed out,
 *      and removed after.
 * 1-4 read files only; 5 runs the proxy's binary, never on a config that 1-4 refused.
 *
 * The rules see statements as the proxy reads them (config_lex.c, the definition's
 * `syntax`). A rule that refuses (paths, targets, detaching) counts in every context: a
 * block the check cannot evaluate (an <IfModule>) must not hide a write or a target. A rule
 * that a statement satisfies (must_set, foreground.stays, with context = "main") counts only
 * where the statement surely applies. */
#include "proxy_config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "buf.h"
#include "case.h"
#include "config_lex.h"
#include "proc.h"

#define MAX_CONFIG_BYTES (4u << 20)
#define MAX_INCLUDED_FILES 256 /* scanned per check; beyond that, includes are not followed */
#define MAX_INCLUDE_DEPTH 8
#define CHECK_TIMEOUT_MS 30000
#define SHOWN 100 /* characters of a statement quoted in a message */

#define NO_LINE INT_MAX /* a problem of the whole file: listed after those with a line */

/* One problem: its text, and where it sorts: the line of the user's config it is at (for a
 * file the config includes, the line of the include), then the order it was found in. */
struct problem {
  int at;
  unsigned seq;
  char *text;
};

/* A target that may name a group (nginx's `proxy_pass http://app`): fine when the config
 * declares the group, whose members are judged where they are; known only after the scan
 * (nginx allows the upstream block after its use). */
struct group_ref {
  int at;
  char *full, *host; /* "scheme://name" and "name" */
  char *text;        /* the problem, when no group has the name */
};

/* What one check is about: the problems found, and the state the scan needs. */
struct checker {
  const struct proxy_def *p;
  lua_State *L; /* string.find for the definition's patterns */
  bool *set;    /* per must_set entry: a scanned statement sets it */
  char **set_elsewhere; /* per must_set entry: where a statement outside its context sets it */
  bool stays;   /* a statement keeps the proxy in the foreground (foreground.stays) */
  char *stays_elsewhere;
  bool detached; /* a statement makes it detach (foreground.detaches) */
  const struct stmts *shipped;
  bool listen_in_shipped; /* the shipped config listens on ${proxy_port}: so must the user's */
  bool listen_in_user;    /* a listening statement of the user's config holds it */
  bool listen_blamed;     /* a listening statement was blamed for not holding it */
  char sim_example[2 * SHOWN + 8]; /* a shipped statement that sends to the simulator, or "" */
  bool sim_in_user;       /* a target of the user's config is the simulator */
  bool target_blamed;     /* a target was refused */
  char **groups;          /* names the config declares (nginx upstreams, apache balancers) */
  size_t ngroups;
  struct group_ref *refs;
  size_t nrefs;
  int nfiles; /* files scanned, the config included */
  char **seen;
  size_t nseen;
  struct problem shown[PROXY_CONFIG_SHOWN]; /* the first ones in file order, sorted */
  size_t nshown;
  int problems; /* all of them, shown or not */
  unsigned seq;
  char ok[1024]; /* what was checked, when nothing is wrong */
};

static bool sorts_before(const struct problem *a, const struct problem *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* Counts a problem and keeps it when it is among the first PROXY_CONFIG_SHOWN in file order:
 * the scans find them in several passes, and a long config must not hold them all. */
__attribute__((format(printf, 3, 4))) static void problem(struct checker *c, int at, const char *fmt, ...) {
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  c->problems++;
  struct problem np = {at, c->seq++, NULL};
  if (c->nshown == PROXY_CONFIG_SHOWN) {
    if (!sorts_before(&np, &c->shown[c->nshown - 1])) return;
    free(c->shown[--c->nshown].text);
  }
  if (!(np.text = strdup(text))) return; /* counted, not shown */
  size_t k = c->nshown++;
  for (; k > 0 && sorts_before(&np, &c->shown[k - 1]); k--) c->shown[k] = c->shown[k - 1];
  c->shown[k] = np;
}

/* A problem after which nothing more can be checked (an unreadable file, a checker that did
 * not run): returns -1, for the caller to stop. */
__attribute__((format(printf, 2, 3))) static int refuse(struct checker *c, const char *fmt, ...) {
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  problem(c, NO_LINE, "%s", text);
  return -1;
}

static char *read_file(const char *path, size_t max, size_t *len, int *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = errno;
    return NULL;
  }
  struct buf b = {0};
  char tmp[8192];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len <= max) buf_append(&b, tmp, n);
  *err = ferror(f) ? EIO : 0;
  fclose(f);
  *len = b.len;
  buf_append(&b, "", 1);
  if (b.oom || *err) {
    if (!*err) *err = ENOMEM;
    buf_free(&b);
    return NULL;
  }
  return b.data;
}

/* The first capture of pattern in the statement (or the whole match without one), cut from
 * its text as written (a caseless syntax matches the lowercased key), malloc'd; NULL: no
 * match. */
static char *match_stmt(struct checker *c, const struct stmt *s, const char *pattern) {
  size_t from, to, cap[1][2];
  if (lex_find(c->L, s->key, pattern, 0, &from, &to, cap, 1) < 0) return NULL;
  return strndup(s->text + cap[0][0], cap[0][1] - cap[0][0]);
}

static bool matches(struct checker *c, const struct stmt *s, const char *pattern) {
  return lex_matches(c->L, s->key, pattern);
}

/* ---- where a captured path lands ---------------------------------------------------------- */

enum landing { INSIDE, ABSOLUTE, RELATIVE_TO_BASE, CLIMBS, ADDRESS, SYSLOG, PIPE, VARIABLE };

/* Does a relative path, read from its folder, end up above it? `a/../b` does not, `a/../..`
 * does: the path is resolved, not searched for "..". */
static bool climbs_out(const char *path) {
  int depth = 0;
  for (const char *c = path; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 2 && c[0] == '.' && c[1] == '.') {
      if (--depth < 0) return true;
    } else if (n > 0 && !(n == 1 && c[0] == '.')) {
      depth++;
    }
    c += n;
    if (*c) c++;
  }
  return false;
}

/* The process's own streams: they end up in the case folder (proxy.out, proxy.err). */
static bool own_stream(const char *path) {
  static const char *const ok[] = {"/dev/stdout", "/dev/stderr", "/dev/null", "/dev/fd/1", "/dev/fd/2",
                                   "/proc/self/fd/1", "/proc/self/fd/2", NULL};
  for (int i = 0; ok[i]; i++)
    if (strcmp(path, ok[i]) == 0) return true;
  return false;
}

/* Judges one captured value. A leading "word:" before a path is a module or mechanism
 * (squid's stdio:/daemon:, apache's file:/shmcb:, nginx's unix:) and is skipped; a value
 * that is the word syslog means the system log. A relative path lands in `base` when the
 * definition has one (apache: ServerRoot), else in the case folder, where it is resolved:
 * only a path that climbs above the folder leaves it. */
static enum landing landing_of(const char *v, const char *base) {
  if (strncasecmp(v, "syslog", 6) == 0 && (v[6] == 0 || v[6] == ':')) return SYSLOG;
  if (strcmp(v, "/dev/log") == 0 || strncmp(v, "/run/systemd/journal/", 21) == 0) return SYSLOG;
  if (v[0] == '|') return PIPE;
  size_t word = 0;
  while (isalpha((unsigned char)v[word])) word++;
  if (word && v[word] == ':' && (v[word + 1] == '/' || strncmp(v + word + 1, "${", 2) == 0)) v += word + 1;
  if (strncmp(v, "${dir}", 6) == 0 && (v[6] == '/' || v[6] == 0)) return climbs_out(v + 6) ? CLIMBS : INSIDE;
  if (v[0] == '/') return own_stream(v) ? INSIDE : v[1] == '/' ? ADDRESS : ABSOLUTE;
  if (v[0] == '$') return VARIABLE;
  if (strchr(v, ':') || strchr(v, '@') || strstr(v, "//")) return ADDRESS;
  if (base) return RELATIVE_TO_BASE;
  return climbs_out(v) ? CLIMBS : INSIDE;
}

static const char *basename_of(const char *v) {
  const char *s = strrchr(v, '/');
  return s && s[1] ? s + 1 : v;
}

/* Trims blanks, one pair of quotes, and a trailing ',' or ';' (lists, VCL). */
static void clean_value(char *v) {
  size_t n = strlen(v);
  while (n && (isspace((unsigned char)v[n - 1]) || v[n - 1] == ',' || v[n - 1] == ';')) v[--n] = 0;
  size_t lead = strspn(v, " \t");
  memmove(v, v + lead, n - lead + 1);
  n -= lead;
  if (n && (v[0] == '"' || v[0] == '\'' || v[0] == '`')) {
    memmove(v, v + 1, n--);
    if (n && (v[n - 1] == '"' || v[n - 1] == '\'' || v[n - 1] == '`')) v[--n] = 0;
  }
}

/* "FILE:LINE: STATEMENT: why; what to do" for a value that lands outside the case folder. */
static void path_problem(struct checker *c, const char *file, const struct stmt *s, int at, const char *v,
                         enum landing where, const char *from) {
  char why[512];
  const char *base = c->p->paths_base;
  switch (where) {
  case ABSOLUTE: snprintf(why, sizeof why, "writes outside the case folder; use ${dir}/%s", basename_of(v)); break;
  case RELATIVE_TO_BASE:
    snprintf(why, sizeof why, "a relative path is relative to %s for %s, outside the case folder; use ${dir}/%s",
             base, c->p->name, v);
    break;
  case CLIMBS: snprintf(why, sizeof why, "'..' leads out of the case folder; use ${dir}/%s", basename_of(v)); break;
  case ADDRESS:
    snprintf(why, sizeof why, "%s is an address, not a file: it reaches outside the case folder; keep it under ${dir}", v);
    break;
  case SYSLOG: snprintf(why, sizeof why, "sends to the system log, outside the case folder; log to stderr or to a file under ${dir}"); break;
  case PIPE: snprintf(why, sizeof why, "pipes to a program, which writes outside the case folder; log to stderr or to a file under ${dir}"); break;
  case VARIABLE:
    snprintf(why, sizeof why, "%s names its path through a variable, which may lie outside the case folder; use ${dir}/...", v);
    break;
  case INSIDE: why[0] = 0; break;
  }
  problem(c, at, "%s:%d: %.*s: %s%s", file, s->line, SHOWN, s->text, why, from ? from : "");
}

/* ---- ${proxy_port}: where it listens ------------------------------------------------------- */

#define LISTEN_NEEDLE "${proxy_port}"

/* The first n words of a statement (split at blanks and '='), for comparing directives. */
static int words(const char *s, char w[][64], int n) {
  int got = 0;
  while (got < n) {
    s += strspn(s, " \t=");
    size_t k = strcspn(s, " \t=");
    if (!k) break;
    snprintf(w[got++], 64, "%.*s", (int)(k < 63 ? k : 63), s);
    s += k;
  }
  return got;
}

/* A word that names something of the config's own (haproxy's `server up`), where the user's
 * config has its own name: letters, digits, '_' and '-', not all capitals (trafficserver's
 * CONFIG is a keyword). Paths ("/"), quoted keys, dotted names are matched as they are. */
static bool is_own_name(const char *w) {
  bool lower = false;
  for (const char *c = w; *c; c++) {
    if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-') return false;
    lower |= islower((unsigned char)*c) != 0;
  }
  return *w && lower;
}

/* Does the user's statement set the directive that the template statement sets with ${var}?
 * The directive is the words before the first one holding a "${" (at most two: "listen",
 * "server.port", "server up", "CONFIG proxy.config.http.server_ports"); the user's
 * statement must start with them (a name after the first word matches any name) and go on
 * with a value. When the variable is in the first word (caddy's site address
 * `http://127.0.0.1:${proxy_port}`), a statement whose first word holds it sets it. */
static bool same_directive(const char *tmpl, const char *user, const char *needle) {
  char tw[2][64], uw[2][64];
  int tn = words(tmpl, tw, 2), un = words(user, uw, 2), k = 0;
  while (k < tn && !strstr(tw[k], "${")) k++;
  if (k == 0) return tn > 0 && un > 0 && strstr(tw[0], needle) && strstr(uw[0], needle);
  if (un < k) return false;
  for (int i = 0; i < k; i++)
    if (strcasecmp(tw[i], uw[i]) != 0 && !(i > 0 && is_own_name(tw[i]) && is_own_name(uw[i]))) return false;
  /* a value after the directive: "server {" is a block, not an upstream server */
  const char *rest = user;
  for (int i = 0; i < k; i++) {
    rest += strspn(rest, " \t=");
    rest += strcspn(rest, " \t=");
  }
  rest += strspn(rest, " \t=");
  return *rest != 0;
}

/* The shipped statement whose listening directive the user's statement sets, or NULL. When
 * the shipped listener is the head of a top-level block (caddy's site address), every
 * top-level block's head is a listener (`example.com {` listens on 80 and 443), except the
 * global options' (no head) and snippets' (`(name)`, `&(name)`). */
static const char *listener_of(const struct checker *c, const struct stmt *s) {
  for (size_t k = 0; k < c->shipped->n; k++) {
    const struct stmt *t = &c->shipped->v[k];
    if (!strstr(t->text, LISTEN_NEEDLE)) continue;
    if (same_directive(t->text, s->text, LISTEN_NEEDLE)) return t->text;
    size_t first = strcspn(t->text, " \t");
    bool site = t->head && t->depth == 0 && memmem(t->text, first, "${", 2);
    if (site && s->head && s->depth == 0 && s->text[0] && !strchr("(&", s->text[0])) return t->text;
  }
  return NULL;
}

/* Every statement that sets a listener must hold ${proxy_port}: `listen 80` beside it would
 * listen outside the case. Only such a statement counts as listening on it: `${proxy_port}`
 * in a string or another directive listens nowhere. */
static void check_listener(struct checker *c, const char *file, const struct stmt *s, int at, const char *from) {
  if (!c->listen_in_shipped) return;
  const char *t = listener_of(c, s);
  if (!t) return;
  if (strstr(s->text, LISTEN_NEEDLE)) {
    c->listen_in_user = true;
    return;
  }
  if (strstr(s->text, "${dir}")) return; /* a unix socket in the case folder */
  problem(c, at, "%s:%d: %.*s: the config must listen on ${proxy_port}, the port the case connects to; use `%.*s`%s",
          file, s->line, SHOWN, s->text, 2 * SHOWN, t, from ? from : "");
  c->listen_blamed = true;
}

/* ---- where it sends requests ------------------------------------------------------------- */

enum verdict { SIMULATOR, GROUP, ELSEWHERE };

struct judged {
  enum verdict v;
  const char *why;   /* why it is not the simulator, when the value alone does not say it */
  char full[256];    /* GROUP: the name as "scheme://name", and alone */
  char host[256];
  char fixed[512];   /* the value to write instead */
};

static bool is_sim_host(const char *h, size_t n) {
  return (n == 16 && strncmp(h, "${upstream_host}", 16) == 0) || (n == 9 && strncmp(h, "127.0.0.1", 9) == 0) ||
         (n == 9 && strncasecmp(h, "localhost", 9) == 0);
}

static bool is_sim_port(const char *p, size_t n) { return n == 16 && strncmp(p, "${upstream_port}", 16) == 0; }

/* A '$' or '%{' outside the template's own ${...}, or a caddy {placeholder}: a value only
 * known at run time (nginx's $backend, apache's %{HTTP_HOST}, haproxy's "$HOST"). */
static bool has_variable(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
      const char *close = memchr(s + i, '}', n - i);
      if (!close) return true;
      i = (size_t)(close - s);
    } else if (s[i] == '$' || s[i] == '{' || (s[i] == '%' && i + 1 < n && s[i + 1] == '{')) {
      return true;
    }
  }
  return false;
}

static bool has_prefix(const char *s, const char *prefix) { return strncasecmp(s, prefix, strlen(prefix)) == 0; }

static void judge_host_port(const char *host, size_t hn, const char *port, size_t pn, bool has_port,
                            struct judged *j) {
  j->v = ELSEWHERE;
  j->why = NULL;
  if (has_variable(host, hn) || (has_port && has_variable(port, pn)))
    j->why = "a variable: where it leads is only known at run time";
  else if (hn == 0) j->why = "no host";
  else if (is_sim_host(host, hn) && has_port && is_sim_port(port, pn)) j->v = SIMULATOR;
  else if (is_sim_host(host, hn) && !has_port) j->why = "no port: it would go to the default one";
}

/* A URL or host[:port] (PART_ADDRESS), as nginx, haproxy, apache, caddy, ... write them. */
static void judge_address(const char *v, struct judged *j) {
  const char *a = v, *scheme = NULL;
  size_t sn = 0;
  if (isalpha((unsigned char)*a)) {
    while (isalnum((unsigned char)a[sn]) || (a[sn] && strchr("+.-", a[sn]))) sn++;
    if (strncmp(a + sn, "://", 3) == 0) scheme = a, a += sn + 3;
    else sn = 0;
  }
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%.*s%s", (int)sn, scheme ? scheme : "", scheme ? "://" : "");
  if (scheme && strncasecmp(prefix, "balancer://", 11) == 0) snprintf(prefix, sizeof prefix, "http://");
  /* unix sockets: nginx's unix:/path, apache's unix:/path|..., haproxy's /path and unix@,
   * caddy's unix//path: on this machine, but not the simulator */
  if (has_prefix(a, "unix:") || has_prefix(a, "unix@") || has_prefix(a, "unix//") || has_prefix(a, "abns@") ||
      has_prefix(a, "sockpair@") || has_prefix(a, "fd@") || a[0] == '/') {
    j->v = ELSEWHERE;
    j->why = "a unix socket, not the simulator's address";
    snprintf(j->fixed, sizeof j->fixed, "%s${upstream_host}:${upstream_port}", prefix);
    return;
  }
  static const char *const families[] = {"ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@", NULL};
  for (int i = 0; families[i]; i++)
    if (has_prefix(a, families[i])) a += strlen(families[i]);
  /* the authority: up to a path, a query, apache's '|', a list's ',' or ';'; a '$' right after
   * the port starts nginx's $request_uri */
  size_t an = 0;
  while (a[an] && !strchr("/?#|,; \t", a[an])) {
    if (a[an] == '$' && a[an + 1] == '{') {
      const char *close = strchr(a + an, '}');
      an = close ? (size_t)(close - a) + 1 : an + 2;
      continue;
    }
    if (a[an] == '$' && an >= 16 && strncmp(a + an - 16, "${upstream_port}", 16) == 0) break;
    an++;
  }
  const char *rest = a + an;
  const char *at = NULL; /* user:password@ */
  for (size_t i = 0; i < an; i++)
    if (a[i] == '@') at = a + i;
  if (at) an -= (size_t)(at + 1 - a), a = at + 1;
  const char *host = a, *port = NULL;
  size_t hn = an, pn = 0;
  if (an && a[0] == '[') {
    const char *close = memchr(a, ']', an);
    hn = close ? (size_t)(close - a) + 1 : an;
    if (hn < an && a[hn] == ':') port = a + hn + 1, pn = an - hn - 1;
  } else {
    const char *colon = NULL;
    int colons = 0;
    for (size_t i = 0; i < an; i++) {
      if (a[i] == '$' && i + 1 < an && a[i + 1] == '{') {
        const char *close = memchr(a + i, '}', an - i);
        if (close) i = (size_t)(close - a);
      } else if (a[i] == ':') {
        colons++, colon = a + i;
      }
    }
    if (colons == 1) hn = (size_t)(colon - a), port = colon + 1, pn = an - hn - 1;
  }
  judge_host_port(host, hn, port, pn, port != NULL, j);
  if (j->v == ELSEWHERE && !port && hn && !has_variable(host, hn) && !is_sim_host(host, hn)) {
    j->v = GROUP; /* a name alone may be a group of the config's */
    snprintf(j->host, sizeof j->host, "%.*s", (int)hn, host);
    snprintf(j->full, sizeof j->full, "%.*s%.*s", scheme ? (int)sn + 3 : 0, scheme ? scheme : "", (int)hn, host);
    if (scheme && strncasecmp(scheme, "balancer", 8) == 0) j->why = "no balancer of that name in the config";
  }
  snprintf(j->fixed, sizeof j->fixed, "%s${upstream_host}:${upstream_port}%s", prefix, rest);
}

/* One value of a rule, by its part: is it the simulator? */
static void judge(enum target_part part, const char *v, const char *v2, struct judged *j) {
  memset(j, 0, sizeof *j);
  j->v = ELSEWHERE;
  switch (part) {
  case PART_ADDRESS:
    if (!*v) j->why = "no address the check can read on its line";
    else judge_address(v, j);
    if (!*v) snprintf(j->fixed, sizeof j->fixed, "${upstream_host}:${upstream_port}");
    return;
  case PART_HOST: {
    /* a host, perhaps with its port (varnish's .host = "h:p") */
    const char *colon = strchr(v, ':');
    bool one = colon && !strchr(colon + 1, ':') && v[0] != '[';
    size_t hn = one ? (size_t)(colon - v) : strlen(v);
    if (has_variable(v, strlen(v))) j->why = "a variable: where it leads is only known at run time";
    else if (!*v) j->why = "no host";
    else if (is_sim_host(v, hn) && (!one || is_sim_port(colon + 1, strlen(colon + 1)))) j->v = SIMULATOR;
    snprintf(j->fixed, sizeof j->fixed, "${upstream_host}%s", one ? ":${upstream_port}" : "");
    return;
  }
  case PART_PORT:
    if (has_variable(v, strlen(v))) j->why = "a variable: where it leads is only known at run time";
    else if (is_sim_port(v, strlen(v))) j->v = SIMULATOR;
    snprintf(j->fixed, sizeof j->fixed, "${upstream_port}");
    return;
  case PART_HOST_PORT:
    judge_host_port(v, strlen(v), v2, strlen(v2), *v2 != 0, j);
    return;
  case PART_SOCKET:
    j->why = "a unix socket, not the simulator's address";
    snprintf(j->fixed, sizeof j->fixed, "${upstream_host}:${upstream_port}");
    return;
  }
}

/* One target found in a statement: where its values are, and what the message quotes. */
struct found {
  size_t cap[2][2];
  int ncap;
  bool each;                   /* found by `each`: quoted after what `match` matched */
  size_t prefix_to;            /* each: the statement up to here comes first (`proxy.server =`) */
  size_t shown_from, shown_to; /* what the message quotes */
};

static void group_ref_add(struct checker *c, int at, const struct judged *j, const char *text) {
  struct group_ref *grown = realloc(c->refs, (c->nrefs + 1) * sizeof *grown);
  if (!grown) return;
  c->refs = grown;
  struct group_ref *r = &c->refs[c->nrefs];
  r->at = at, r->full = strdup(j->full), r->host = strdup(j->host), r->text = strdup(text);
  if (r->full && r->host && r->text) c->nrefs++;
  else free(r->full), free(r->host), free(r->text);
}

/* After the scan: a name that no group of the config has is a host elsewhere. A group
 * declared with a scheme (apache's balancer://up) is named only with it. */
static void resolve_group_refs(struct checker *c) {
  for (size_t i = 0; i < c->nrefs; i++) {
    struct group_ref *r = &c->refs[i];
    bool declared = false;
    for (size_t k = 0; k < c->ngroups && !declared; k++)
      declared = strcmp(c->groups[k], strchr(c->groups[k], ':') ? r->full : r->host) == 0;
    if (!declared) {
      problem(c, r->at, "%s", r->text);
      c->target_blamed = true;
    }
    free(r->full), free(r->host), free(r->text);
  }
  free(c->refs);
  c->refs = NULL;
  c->nrefs = 0;
}

/* Judges one found target; returns true when it refused it (one problem per statement). */
static bool judge_found(struct checker *c, const char *file, const struct stmt *s, int at, const char *from,
                        const struct proxy_target *r, const struct found *f) {
  char v[2][512] = {"", ""};
  for (int i = 0; i < f->ncap && i < 2; i++) {
    snprintf(v[i], sizeof v[i], "%.*s", (int)(f->cap[i][1] - f->cap[i][0]), s->text + f->cap[i][0]);
    clean_value(v[i]);
  }
  if (r->skip && (lex_matches(c->L, v[0], r->skip) || (f->ncap > 1 && lex_matches(c->L, v[1], r->skip)))) return false;
  struct judged j;
  judge(r->part, v[0], v[1], &j);
  if (j.v == SIMULATOR) {
    c->sim_in_user = true;
    return false;
  }
  /* what it sends to, and the statement with the simulator in its place */
  char target[1100], use[1400];
  if (r->part == PART_HOST_PORT) snprintf(target, sizeof target, "%s:%s", v[0], *v[1] ? v[1] : "(no port)");
  else if (r->part == PART_PORT) snprintf(target, sizeof target, "port %s", v[0]);
  else snprintf(target, sizeof target, "%s", *v[0] ? v[0] : "(nothing)");
  const char *t = s->text;
  size_t lead = f->prefix_to;
  while (lead && t[lead - 1] == ' ') lead--;
  struct buf u = {0};
  if (f->each && lead) { /* the directive, then the place */
    buf_append(&u, t, lead);
    buf_puts(&u, " ");
  }
  size_t pos = f->shown_from;
  for (int i = 0; i < f->ncap && i < 2; i++) {
    /* the cleaned value inside its capture (quotes kept around it) */
    const char *capt = t + f->cap[i][0];
    size_t cn = f->cap[i][1] - f->cap[i][0];
    const char *inner = *v[i] ? memmem(capt, cn, v[i], strlen(v[i])) : NULL;
    size_t a = inner ? (size_t)(inner - t) : f->cap[i][0], z = inner ? a + strlen(v[i]) : f->cap[i][1];
    if (a < pos) continue;
    buf_append(&u, t + pos, a - pos);
    if (r->part == PART_HOST_PORT) buf_puts(&u, i == 0 ? "${upstream_host}" : "${upstream_port}");
    else buf_puts(&u, j.fixed);
    pos = z;
  }
  if (pos < f->shown_to) buf_append(&u, t + pos, f->shown_to - pos);
  buf_append(&u, "", 1);
  snprintf(use, sizeof use, "%s", r->use ? r->use : u.oom ? "" : u.data);
  buf_free(&u);
  char shown[2 * SHOWN + 80];
  size_t place = f->shown_to - f->shown_from;
  if (f->each)
    snprintf(shown, sizeof shown, "%.*s%s%.*s", (int)lead, t, lead ? " " : "", (int)(place > 2 * SHOWN ? 2 * SHOWN : place),
             t + f->shown_from);
  else
    snprintf(shown, sizeof shown, "%.*s", (int)(f->shown_to > 2 * SHOWN ? 2 * SHOWN : f->shown_to), t);
  char text[4096];
  snprintf(text, sizeof text, "%s:%d: %s: sends to %s, not the case's simulator%s%s%s; use `%s`%s", file, s->line,
           shown, target, j.why ? " (" : "", j.why ? j.why : "", j.why ? ")" : "", use, from ? from : "");
  if (j.v == GROUP) { /* fine if the config declares it: known after the scan */
    group_ref_add(c, at, &j, text);
    return false;
  }
  problem(c, at, "%s", text);
  c->target_blamed = true;
  return true;
}

/* Calls fn for every target a statement names (f == NULL: a rule that refuses the whole
 * statement, `why`), until fn returns true; returns whether it did. */
typedef bool (*target_fn)(struct checker *c, const struct stmt *s, const struct proxy_target *r,
                          const struct found *f, void *arg);

static bool each_target(struct checker *c, const struct stmt *s, target_fn fn, void *arg) {
  const struct proxy_def *p = c->p;
  for (size_t k = 0; k < p->ntargets; k++) {
    const struct proxy_target *r = &p->targets[k];
    size_t from_at, to, cap[2][2];
    int n = lex_find(c->L, s->key, r->match, 0, &from_at, &to, cap, 2);
    if (n < 0 || (r->unless && matches(c, s, r->unless))) continue;
    if (r->why) {
      if (fn(c, s, r, NULL, arg)) return true;
      continue;
    }
    if (!r->each) {
      struct found f = {.ncap = n, .shown_to = n > 0 ? cap[n - 1][1] : to};
      memcpy(f.cap, cap, sizeof cap);
      if (s->text[f.shown_to] && strchr("\"'`", s->text[f.shown_to])) f.shown_to++; /* its closing quote */
      if (fn(c, s, r, &f, arg)) return true;
      continue;
    }
    /* each: every place in the statement, after the match (or within its capture) */
    size_t lo = n > 0 ? cap[0][0] : to, hi = n > 0 ? cap[0][1] : strlen(s->key);
    char *part = strndup(s->key, hi);
    bool stopped = false;
    for (size_t init = lo; part && !stopped && init <= hi;) {
      size_t ef, et, ec[1][2];
      if (lex_find(c->L, part, r->each, init, &ef, &et, ec, 1) < 1) break;
      struct found f = {.ncap = 1, .each = true, .prefix_to = lo, .shown_from = ef, .shown_to = et};
      f.cap[0][0] = ec[0][0], f.cap[0][1] = ec[0][1];
      if (s->text[et] && strchr("\"'`", s->text[et]) && et == ec[0][1]) f.shown_to++; /* its closing quote */
      stopped = fn(c, s, r, &f, arg);
      init = et > init ? et : init + 1;
    }
    free(part);
    if (stopped) return true;
  }
  return false;
}

struct scan_at {
  const char *file, *from;
  int at;
};

static bool refuse_target(struct checker *c, const struct stmt *s, const struct proxy_target *r, const struct found *f,
                          void *arg) {
  const struct scan_at *w = arg;
  if (f) return judge_found(c, w->file, s, w->at, w->from, r, f);
  if (r->use)
    problem(c, w->at, "%s:%d: %.*s: %s, not only to the case's simulator; use `%s`%s", w->file, s->line, SHOWN, s->text,
            r->why, r->use, w->from ? w->from : "");
  else
    problem(c, w->at, "%s:%d: %.*s: %s, not only to the case's simulator; remove it%s", w->file, s->line, SHOWN,
            s->text, r->why, w->from ? w->from : "");
  c->target_blamed = true;
  return true;
}

/* Every target a statement names, each judged; at most one problem for it: a name that waits
 * for the groups is forgotten when the statement is refused for another target. */
static void check_targets(struct checker *c, const char *file, const struct stmt *s, int at, const char *from) {
  size_t refs = c->nrefs;
  struct scan_at w = {file, from, at};
  if (!each_target(c, s, refuse_target, &w)) return;
  while (c->nrefs > refs) {
    struct group_ref *r = &c->refs[--c->nrefs];
    free(r->full), free(r->host), free(r->text);
  }
}

/* The names a statement declares as groups of targets (nginx's `upstream app`). */
static void declare_groups(struct checker *c, const struct stmt *s) {
  for (char **g = c->p->groups; *g; g++) {
    char *name = match_stmt(c, s, *g);
    if (!name) continue;
    clean_value(name);
    bool known = false;
    for (size_t i = 0; i < c->ngroups && !known; i++) known = strcmp(c->groups[i], name) == 0;
    char **grown = known ? NULL : realloc(c->groups, (c->ngroups + 1) * sizeof *grown);
    if (grown) {
      c->groups = grown;
      c->groups[c->ngroups++] = name;
    } else {
      free(name);
    }
  }
}

/* ---- staying in the foreground ------------------------------------------------------------- */

/* The harness stops the process group it started, and a case waits for the command's port:
 * a daemon is in a session of its own, and its parent exits at once. */
#define DETACH_WHY                                                                                                     \
  "would detach into the background, out of the harness's reach (every case would fail, and it would outlive badup)"

/* "FILE:LINE (inside `HEAD`)": where a statement that does not count was. */
static char *where_elsewhere(const char *file, const struct stmt *s) {
  char w[1024];
  snprintf(w, sizeof w, "%s:%d says it inside `%.*s`, where it may not apply", file, s->line, SHOWN, s->in);
  return strdup(w);
}

static void check_foreground(struct checker *c, const char *file, const struct stmt *s, int at, const char *from) {
  const struct proxy_foreground *fg = &c->p->foreground;
  for (char **pat = fg->detaches; *pat; pat++) {
    char *m = match_stmt(c, s, *pat);
    if (!m) continue;
    c->detached = true;
    if (fg->example)
      problem(c, at, "%s:%d: %.*s: %s " DETACH_WHY "; use `%s`%s", file, s->line, SHOWN, s->text, c->p->name,
              fg->example, from ? from : "");
    else
      problem(c, at, "%s:%d: %.*s: %s " DETACH_WHY "; remove `%.*s`%s", file, s->line, SHOWN, s->text, c->p->name,
              SHOWN, m, from ? from : "");
    free(m);
    break; /* one problem per statement */
  }
  if (fg->stays && !c->stays && matches(c, s, fg->stays)) {
    if (!fg->main_only || s->depth == 0) c->stays = true;
    else if (!c->stays_elsewhere) c->stays_elsewhere = where_elsewhere(file, s);
  }
}

/* ---- scanning a file: its statements, then what it includes -------------------------------- */

static void scan_text(struct checker *c, const char *file, const char *text, int depth, const char *from, int at,
                      const struct lex_from *ctx);

static bool seen_before(struct checker *c, const char *path) {
  for (size_t i = 0; i < c->nseen; i++)
    if (strcmp(c->seen[i], path) == 0) return true;
  char **grown = realloc(c->seen, (c->nseen + 1) * sizeof *grown);
  char *copy = strdup(path);
  if (!grown || !copy) {
    free(copy);
    if (grown) c->seen = grown;
    return true; /* out of memory: stop following includes */
  }
  c->seen = grown;
  c->seen[c->nseen++] = copy;
  return false;
}

static void scan_file(struct checker *c, const char *path, int depth, const char *from, int at,
                      const struct lex_from *ctx) {
  struct stat st;
  if (stat(path, &st) != 0 || seen_before(c, path) || c->nfiles >= MAX_INCLUDED_FILES) return;
  if (S_ISDIR(st.st_mode)) { /* apache's Include DIR takes every file in it */
    struct dirent **names;
    int k = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
      char sub[4096];
      if (names[i]->d_name[0] != '.' && snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name) < (int)sizeof sub &&
          stat(sub, &st) == 0 && S_ISREG(st.st_mode))
        scan_file(c, sub, depth, from, at, ctx);
      free(names[i]);
    }
    if (k >= 0) free(names);
    return;
  }
  size_t len;
  int err;
  char *text = S_ISREG(st.st_mode) ? read_file(path, MAX_CONFIG_BYTES, &len, &err) : NULL;
  if (!text) return; /* unreadable: the proxy's checker will say so */
  c->nfiles++;
  scan_text(c, path, text, depth, from, at, ctx);
  free(text);
}

static void scan_glob(struct checker *c, const char *pattern, int depth, const char *from, int at,
                      const struct lex_from *ctx) {
  glob_t g;
  if (glob(pattern, 0, NULL, &g) != 0) return;
  for (size_t i = 0; i < g.gl_pathc; i++) scan_file(c, g.gl_pathv[i], depth + 1, from, at, ctx);
  globfree(&g);
}

/* A file in the case folder: at run time only the definition's own rendered files are there
 * (trafficserver's records.config names its remap.config), so that is what is read. */
static void scan_in_case(struct checker *c, const char *rel, int depth, const char *from, int at,
                         const struct lex_from *ctx) {
  while (rel[0] == '.' && rel[1] == '/') rel += 2;
  const struct proxy_def *p = c->p;
  for (size_t i = 0; i < p->nfiles; i++) {
    if (strcmp(p->files[i].name, rel) != 0 || strcmp(p->files[i].name, p->config) == 0) continue;
    char name[4096];
    snprintf(name, sizeof name, "%s[%s]", p->source, p->files[i].name);
    if (seen_before(c, name) || c->nfiles >= MAX_INCLUDED_FILES) return;
    c->nfiles++;
    scan_text(c, name, p->files[i].text, depth + 1, from, at, ctx);
  }
}

/* Follows an included name to the file the proxy would read: relative to paths_base, or to
 * the case folder (the proxy runs there; its config is copied there); a name in an included
 * file outside the case may also be relative to that file's folder, so both are read. A
 * relative name that climbs out of the case folder leads to a file no one can tell (it
 * depends on where the case folder is): refused. */
static void follow_include(struct checker *c, const char *file, const struct stmt *s, const char *v, int depth,
                           int at, const struct lex_from *ctx) {
  char from[512], pattern[4096];
  snprintf(from, sizeof from, " (included by %s:%d)", file, s->line);
  if (!*v) return;
  if (strncmp(v, "${dir}", 6) == 0 && (v[6] == '/' || v[6] == 0)) {
    if (climbs_out(v + 6)) path_problem(c, file, s, at, v, CLIMBS, depth ? from : NULL);
    else scan_in_case(c, v + 6 + (v[6] == '/'), depth, from, at, ctx);
    return;
  }
  if (v[0] == '$' || strchr(v, ':') || strstr(v, "//")) return; /* a variable (refused as unknown), or no file */
  if (v[0] == '/') {
    scan_glob(c, v, depth, from, at, ctx);
    return;
  }
  if (c->p->paths_base) {
    snprintf(pattern, sizeof pattern, "%s/%s", c->p->paths_base, v);
    scan_glob(c, pattern, depth, from, at, ctx);
  } else if (climbs_out(v)) {
    problem(c, at, "%s:%d: %.*s: '..' leads out of the case folder, to a file that depends on where the case folder "
                   "is; name it by its absolute path (it is checked too) or use ${dir}/%s%s",
            file, s->line, SHOWN, s->text, basename_of(v), depth ? from : "");
  } else {
    scan_in_case(c, v, depth, from, at, ctx);
  }
  const char *slash = strrchr(file, '/');
  if (depth > 0 && file[0] == '/' && slash) { /* relative to the including file's folder */
    snprintf(pattern, sizeof pattern, "%.*s/%s", (int)(slash - file), file, v);
    scan_glob(c, pattern, depth, from, at, ctx);
  }
}

/* Every statement: where it listens, what it sets, whether it detaches, where it writes and
 * sends, what it includes. `at` is where an included file's problems sort: the line of its
 * include. ctx: the context its include is in. */
static void scan_text(struct checker *c, const char *file, const char *text, int depth, const char *from, int at,
                      const struct lex_from *ctx) {
  struct stmts ss = {0};
  lex_config(&c->p->syntax, c->L, text, ctx, &ss);
  for (size_t i = 0; i < ss.n; i++) {
    const struct stmt *s = &ss.v[i];
    int here = depth == 0 ? s->line : at;
    check_listener(c, file, s, here, from);
    for (size_t k = 0; k < c->p->nmust_set; k++)
      if (!c->set[k] && matches(c, s, c->p->must_set[k].directive)) {
        if (!c->p->must_set[k].main_only || s->depth == 0) c->set[k] = true;
        else if (!c->set_elsewhere[k]) c->set_elsewhere[k] = where_elsewhere(file, s);
      }
    check_foreground(c, file, s, here, from);
    for (char **pat = c->p->paths; *pat; pat++) {
      char *v = match_stmt(c, s, *pat);
      if (!v) continue;
      clean_value(v);
      enum landing where = landing_of(v, c->p->paths_base);
      if (where != INSIDE) path_problem(c, file, s, here, v, where, from);
      free(v);
      if (where != INSIDE) break; /* one path problem per statement */
    }
    check_targets(c, file, s, here, from);
    declare_groups(c, s);
    struct lex_from inner = {s->depth, s->in};
    for (char **pat = c->p->includes; depth < MAX_INCLUDE_DEPTH && *pat; pat++) {
      char *v = match_stmt(c, s, *pat);
      if (!v) continue;
      clean_value(v);
      follow_include(c, file, s, v, depth, here, &inner);
      free(v);
    }
  }
  stmts_free(&ss);
}

/* Every ${name} that is not a template variable, each where it is: the same reading as
 * template_render ("$${" is a literal "${"; a "${" without "}" is text). */
static void unknown_variables(struct checker *c, const char *name, const char *text) {
  int line = 1;
  const char *counted = text, *t = text, *open;
  while ((open = strstr(t, "${"))) {
    if (open > t && open[-1] == '$') {
      t = open + 2;
      continue;
    }
    const char *close = strchr(open + 2, '}');
    if (!close) break;
    size_t len = (size_t)(close - open - 2);
    bool known = false;
    for (int i = 0; i < PV__COUNT && !known; i++)
      known = strlen(proxy_var_names[i]) == len && memcmp(proxy_var_names[i], open + 2, len) == 0;
    for (; counted < open; counted++) line += *counted == '\n';
    if (!known)
      problem(c, line,
              "%s:%d: unknown template variable ${%.*s}; the variables are ${proxy_port}, ${upstream_host}, "
              "${upstream_port}, ${dir}, ... (docs/proxies.md), and $${ is a literal ${",
              name, line, (int)(len < 80 ? len : 80), open + 2);
    t = close + 1;
  }
}

/* ---- the proxy's own checker ---------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

/* Replaces every occurrence of `from` in *text by `to`. */
static void replace_all(char **text, const char *from, const char *to) {
  if (!*from || !strstr(*text, from)) return;
  struct buf b = {0};
  const char *t = *text, *at;
  while ((at = strstr(t, from))) {
    buf_append(&b, t, (size_t)(at - t));
    buf_puts(&b, to);
    t = at + strlen(from);
  }
  buf_puts(&b, t);
  buf_append(&b, "", 1);
  if (b.oom) {
    buf_free(&b);
    return;
  }
  free(*text);
  *text = b.data;
}

/* The line of `name` a checker's output blames: "name:12", "name line 12", "name' Line 12",
 * "line 12 of name". 0 when it names none. */
static int blamed_line(const char *out, const char *name) {
  size_t nlen = strlen(name);
  for (const char *at = strstr(out, name); at; at = strstr(at + 1, name)) {
    const char *a = at + nlen;
    a += strspn(a, "'\"");
    if (*a == ':' && isdigit((unsigned char)a[1])) return atoi(a + 1);
    a += strspn(a, " ,:(");
    if (strncasecmp(a, "line", 4) == 0) {
      a += 4;
      a += strspn(a, " :");
      if (isdigit((unsigned char)*a)) return atoi(a);
    }
    size_t pos = (size_t)(at - out);
    for (size_t back = 1; back <= pos && back < 24; back++) {
      const char *b = at - back;
      if (strncasecmp(b, "line ", 5) == 0 && isdigit((unsigned char)b[5])) return atoi(b + 5);
    }
  }
  return 0;
}

/* What the checker said: its first line that reads like an error and the two lines after it
 * (apache names the line, then the problem; varnish says "Message from VCC-compiler:", then
 * the problem), or its first three lines; joined with " | ". */
static void first_lines(const char *out, char *dst, size_t len) {
  static const char *const marks[] = {"emerg", "alert", "crit", "error", "fatal", "syntax", "invalid", "unknown",
                                      "fail", "bungled", "unexpected", "missing", "not allowed", "no such", NULL};
  const char *from = NULL;
  for (const char *l = out; *l && !from;) {
    size_t n = strcspn(l, "\n");
    for (int i = 0; marks[i] && !from; i++)
      for (size_t k = 0; k + strlen(marks[i]) <= n && !from; k++)
        if (strncasecmp(l + k, marks[i], strlen(marks[i])) == 0) from = l;
    l += n + (l[n] == '\n');
  }
  dst[0] = 0;
  int taken = 0;
  for (const char *l = from ? from : out; *l && taken < 3;) {
    size_t n = strcspn(l, "\n");
    if (strspn(l, " \t\r") < n) {
      size_t used = strlen(dst);
      snprintf(dst + used, len - used, "%s%.*s", used ? " | " : "", (int)(n > 300 ? 300 : n), l);
      taken++;
    }
    l += n + (l[n] == '\n');
  }
}

/* Renders the definition's files (the user's text for the config) into dir, with the
 * template variables of a case; then runs the checker there. */
static int run_checker(struct checker *c, const char *name, const char *user_text) {
  const struct proxy_def *p = c->p;
  /* A Ctrl-C while the scratch folder exists stops the checker and removes the folder
   * first; the signal then ends badup as before (run_main takes signals over only once
   * cases start). */
  sigset_t stop_sigs, old_mask;
  sigemptyset(&stop_sigs);
  sigaddset(&stop_sigs, SIGINT);
  sigaddset(&stop_sigs, SIGTERM);
  sigaddset(&stop_sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);
  char tmpl[4096];
  const char *tmp = getenv("TMPDIR");
  snprintf(tmpl, sizeof tmpl, "%s/badup-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  char *dir = mkdtemp(tmpl);
  if (!dir) {
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return refuse(c, "%s: cannot make a scratch folder to check it in (%s): %s", name, tmpl, strerror(errno));
  }
  char sport[16], sup[16];
  snprintf(sport, sizeof sport, "%d", case_free_port());
  snprintf(sup, sizeof sup, "%d", case_free_port());
  const char *values[PV__COUNT] = {
      [PV_BINARY] = p->binary, [PV_DIR] = dir, [PV_PROXY_PORT] = sport, [PV_UPSTREAM_HOST] = "127.0.0.1",
      [PV_UPSTREAM_PORT] = sup, [PV_CONNECT_TIMEOUT] = "1", [PV_READ_TIMEOUT] = "2",
      [PV_CONNECT_TIMEOUT_MS] = "1000", [PV_READ_TIMEOUT_MS] = "2000", [PV_RETRIES] = "", [PV_SCENARIO] = "ok"};
  struct vars v = {proxy_var_names, values, PV__COUNT};
  char *bad = NULL, *retries = template_render(p->retries_off, &v, &bad);
  values[PV_RETRIES] = retries;
  int rc = 0;
  char path[4096];
  for (size_t i = 0; rc == 0 && i < p->nfiles; i++) {
    bool is_config = strcmp(p->files[i].name, p->config) == 0;
    char *text = template_render(is_config ? user_text : p->files[i].text, &v, &bad);
    snprintf(path, sizeof path, "%s/%s", dir, p->files[i].name);
    for (char *s = path + strlen(dir) + 1; *s; s++) /* files may live in sub-folders */
      if (*s == '/') {
        *s = 0;
        mkdir(path, 0755);
        *s = '/';
      }
    FILE *f = fopen(path, "wb");
    bool written = f && fputs(text, f) != EOF;
    if (f && fclose(f) != 0) written = false;
    if (!written) rc = refuse(c, "%s: cannot write %s to check it", name, path);
    free(text);
  }
  size_t nargs = 0, nenv = 0;
  while (p->check[nargs]) nargs++;
  while (p->env[nenv]) nenv++;
  char **argv = calloc(nargs + 1, sizeof *argv), **env = calloc(nenv + 2, sizeof *env);
  for (size_t i = 0; argv && i < nargs; i++) argv[i] = template_render(p->check[i], &v, &bad);
  for (size_t i = 0; env && i < nenv; i++) env[i] = template_render(p->env[i], &v, &bad);
  /* Temporary files of the checker and its helpers (varnishd runs gcc) go to the scratch too. */
  char tmpdir[4200];
  snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", dir);
  if (env) env[nenv] = tmpdir;
  char out_path[4096];
  snprintf(out_path, sizeof out_path, "%s/check.out", dir);
  struct proc pr;
  int spawned = -1;
  if (rc == 0 && (!argv || !env)) rc = refuse(c, "%s: out of memory", name);
  if (rc == 0 && (spawned = proc_spawn(&pr, argv, dir, out_path, out_path, env)) != 0)
    rc = refuse(c, "%s: cannot run %s's checker %s: %s", name, p->name, argv[0], strerror(-spawned));
  else if (rc == 0) {
    bool done = false, interrupted = false;
    for (int waited = 0; !done && !interrupted && waited < CHECK_TIMEOUT_MS; waited += 20) {
      done = proc_wait(&pr, 20);
      sigset_t pending;
      sigpending(&pending);
      interrupted = sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) || sigismember(&pending, SIGHUP);
    }
    proc_stop(&pr, 1000); /* whatever it left running in its group */
    size_t len;
    int err;
    char *out = read_file(out_path, 65536, &len, &err);
    if (!out) out = strdup("");
    snprintf(path, sizeof path, "%s/%s", dir, p->config);
    if (out) {
      replace_all(&out, path, name); /* the checker names the scratch copy: name the user's file */
      replace_all(&out, dir, "${dir}");
    }
    char how[64], lines[768];
    proc_describe(&pr, how, sizeof how);
    first_lines(out ? out : "", lines, sizeof lines);
    int line = out ? blamed_line(out, name) : 0;
    char at[24] = "";
    if (line > 0) snprintf(at, sizeof at, ":%d", line);
    if (interrupted) rc = refuse(c, "%s: interrupted while %s's checker ran", name, p->name);
    else if (!done) rc = refuse(c, "%s: %s's checker (%s) did not finish within %d s", name, p->name, argv[0], CHECK_TIMEOUT_MS / 1000);
    else if (!WIFEXITED(pr.status) || WEXITSTATUS(pr.status) != 0)
      rc = refuse(c, "%s%s: %s's own check refused it (%s): %s", name, at, p->name, how, lines[0] ? lines : "(no output)");
    else
      snprintf(c->ok, sizeof c->ok, "%s: checked by %s's own checker", name, p->name);
    free(out);
  }
  for (size_t i = 0; argv && i < nargs; i++) free(argv[i]);
  for (size_t i = 0; env && i < nenv; i++) free(env[i]);
  free(argv);
  free(env);
  /* What a checker leaves outside its folder by name (squid's shared memory segments). */
  for (size_t k = 0; p->cleanup[k]; k++) {
    char *bad2 = NULL, *pattern = template_render(p->cleanup[k], &v, &bad2);
    glob_t g;
    if (!bad2 && glob(pattern, 0, NULL, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
      globfree(&g);
    }
    free(pattern);
    free(bad2);
  }
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(retries);
  free(bad);
  pthread_sigmask(SIG_SETMASK, &old_mask, NULL); /* a pending Ctrl-C acts now */
  return rc;
}
/* ---- the whole check ------------------------------------------------------------------------- */

static const char *shipped_config(const struct proxy_def *p) {
  for (size_t i = 0; i < p->nfiles; i++)
    if (strcmp(p->files[i].name, p->config) == 0) return p->files[i].text;
  return "";
}

/* A shipped statement whose target is the simulator: what a user's config that sends nowhere
 * is shown. */
static bool sim_example(struct checker *c, const struct stmt *s, const struct proxy_target *r, const struct found *f,
                        void *arg) {
  (void)arg;
  if (!f || f->ncap < 1) return false;
  char v[2][512] = {"", ""};
  for (int i = 0; i < f->ncap && i < 2; i++) {
    snprintf(v[i], sizeof v[i], "%.*s", (int)(f->cap[i][1] - f->cap[i][0]), s->text + f->cap[i][0]);
    clean_value(v[i]);
  }
  struct judged j;
  judge(r->part, v[0], v[1], &j);
  if (j.v != SIMULATOR) return false;
  size_t n = f->each ? strlen(s->text) : f->shown_to; /* `each`: the whole statement */
  snprintf(c->sim_example, sizeof c->sim_example, "%.*s%s", (int)(n > 2 * SHOWN ? 2 * SHOWN : n), s->text,
           n > 2 * SHOWN ? " ..." : "");
  return true;
}

/* What the shipped config shows a user's must do: listen on ${proxy_port}, and send to the
 * simulator. */
static void read_shipped(struct checker *c, const struct stmts *shipped) {
  for (size_t k = 0; k < shipped->n; k++) {
    if (strstr(shipped->v[k].text, LISTEN_NEEDLE)) c->listen_in_shipped = true;
    if (!c->sim_example[0]) each_target(c, &shipped->v[k], sim_example, NULL);
  }
}

int proxy_config_check(const struct proxy_def *p, const char *user_config, struct buf *report) {
  struct checker c = {.p = p};
  char shipped_name[4096];
  snprintf(shipped_name, sizeof shipped_name, "%s[%s]", p->source, p->config);
  const char *name = user_config ? user_config : shipped_name;
  char *text = NULL;
  if (user_config) {
    size_t n;
    int err;
    text = read_file(user_config, MAX_CONFIG_BYTES, &n, &err);
    if (!text) refuse(&c, "%s: cannot read it: %s", name, strerror(err));
    else if (n > MAX_CONFIG_BYTES) refuse(&c, "%s: larger than %u MiB; not a config", name, MAX_CONFIG_BYTES >> 20);
    else if (strlen(text) != n) refuse(&c, "%s: contains a NUL byte; not a config", name);
  } else if (!(text = strdup(shipped_config(p)))) {
    refuse(&c, "%s: out of memory", name);
  }
  struct stmts shipped = {0};
  if (c.problems == 0) {
    /* 1. Every ${name} is a template variable: else every case would fail the same way. */
    unknown_variables(&c, name, text);

    /* 2-4. One scan of the statements, the files it includes with them. */
    c.L = luaL_newstate();
    c.set = calloc(p->nmust_set + 1, sizeof *c.set);
    c.set_elsewhere = calloc(p->nmust_set + 1, sizeof *c.set_elsewhere);
    if (!c.L || !c.set || !c.set_elsewhere) {
      refuse(&c, "%s: cannot create a Lua state to check it", name);
    } else {
      luaL_requiref(c.L, "string", luaopen_string, 1);
      lua_settop(c.L, 0);
      lex_config(&p->syntax, c.L, shipped_config(p), NULL, &shipped);
      c.shipped = &shipped;
      read_shipped(&c, &shipped);
      c.nfiles = 1;
      scan_text(&c, name, text, 0, NULL, 0, NULL);
      resolve_group_refs(&c);
      if (c.listen_in_shipped && !c.listen_in_user && !c.listen_blamed) {
        const char *t = "";
        for (size_t k = 0; k < shipped.n && !*t; k++)
          if (strstr(shipped.v[k].text, LISTEN_NEEDLE)) t = shipped.v[k].text;
        problem(&c, NO_LINE, "%s: the config must listen on ${proxy_port}, the port the case connects to (no statement "
                             "listens on it); add a statement like `%.*s`",
                name, 2 * SHOWN, t);
      }
      if (c.sim_example[0] && !c.sim_in_user && !c.target_blamed)
        problem(&c, NO_LINE, "%s: nothing in it sends to ${upstream_host}:${upstream_port}, the case's simulator; add "
                             "a statement like `%s`",
                name, c.sim_example);
      for (size_t k = 0; k < p->nmust_set; k++) {
        const struct proxy_must_set *m = &p->must_set[k];
        if (c.set[k]) continue;
        char elsewhere[1200] = "";
        if (c.set_elsewhere[k]) snprintf(elsewhere, sizeof elsewhere, " (%s)", c.set_elsewhere[k]);
        /* a statement that is only where it may not apply is named: it looked like enough */
        bool ctx = c.set_elsewhere[k] != NULL;
        problem(&c, NO_LINE, "%s: no `%.*s` in %s%s: %s would use its default %s, outside the case folder; add `%s`%s",
                name, (int)strcspn(m->example, " \t=:"), m->example, ctx ? "its main context" : "it", elsewhere,
                p->name, m->default_path, m->example, ctx ? " outside every block" : "");
      }
      const struct proxy_foreground *fg = &p->foreground;
      if (fg->stays && !c.stays && !c.detached) { /* a statement that detaches was blamed already */
        char elsewhere[1200] = "";
        if (c.stays_elsewhere) snprintf(elsewhere, sizeof elsewhere, " (%s)", c.stays_elsewhere);
        bool ctx = c.stays_elsewhere != NULL;
        problem(&c, NO_LINE, "%s: no `%s` in %s%s: %s detaches into the background by default, out of the harness's "
                             "reach (every case would fail, and it would outlive badup); add `%s`%s",
                name, fg->example, ctx ? "its main context" : "it", elsewhere, p->name, fg->example,
                ctx ? " outside every block" : "");
      }
    }
    if (c.L) lua_close(c.L);
    for (size_t k = 0; c.set_elsewhere && k < p->nmust_set; k++) free(c.set_elsewhere[k]);
    free(c.set_elsewhere);
    free(c.set);
    free(c.stays_elsewhere);
    for (size_t i = 0; i < c.ngroups; i++) free(c.groups[i]);
    free(c.groups);
    for (size_t i = 0; i < c.nseen; i++) free(c.seen[i]);
    free(c.seen);
  }
  stmts_free(&shipped);

  /* 5. The proxy's own word on it, only on a config with nothing else wrong: it runs the
   * proxy's binary, which must never see a config that writes outside or detaches. */
  if (c.problems == 0) {
    if (!p->check) snprintf(c.ok, sizeof c.ok, "%s: %s declares no checker", name, p->name);
    else if (!p->binary) snprintf(c.ok, sizeof c.ok, "%s: %s is not installed: its checker did not run", name, p->name);
    else run_checker(&c, name, text);
  }
  free(text);

  if (c.problems == 0) buf_printf(report, "%s\n", c.ok);
  for (size_t i = 0; i < c.nshown; i++) {
    buf_printf(report, "%s\n", c.shown[i].text);
    free(c.shown[i].text);
  }
  if ((size_t)c.problems > c.nshown) buf_printf(report, "... and %zu more\n", (size_t)c.problems - c.nshown);
  return c.problems;
}
