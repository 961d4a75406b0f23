/* proxy_config.c: a user's --proxy-config is checked before any case (see proxy_config.h).
 *
 * Every problem is collected, each naming the user's file and line (a run per problem made
 * adapting a production config take as many runs as it had problems):
 *   1. it is text (else that is the only problem), and every ${name} in it is a template
 *      variable;
 *   2. it listens on ${proxy_port} (every statement that sets the shipped config's listening
 *      directive holds it: another port is outside the case, and a config that listens
 *      only elsewhere makes every case wait out ready_timeout) and sends to ${upstream_port}
 *      (else it loads a real upstream);
 *   3. every path a `paths` pattern captures lies in the case folder: the proxy would write
 *      there (pid file, logs, sockets, temp and cache folders). Files it includes (`includes`)
 *      are read as part of it, so they are scanned too, when they exist outside the case;
 *      every `must_set` directive is there;
 *   4. it keeps the proxy in the foreground (`foreground`): a proxy that detaches leaves the
 *      process group the harness stops, fails every case, and outlives badup;
 *   5. only when 1-4 found nothing: the proxy's own checker (`check`) accepts it, run in a
 *      scratch folder that stands in for the case folder, with ports the kernel handed out,
 *      and removed after.
 * 1-4 read files only; 5 runs the proxy's binary, never on a config that 1-4 refused. */
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
#include "proc.h"

#define MAX_CONFIG_BYTES (4u << 20)
#define MAX_INCLUDED_FILES 256 /* scanned per check; beyond that, includes are not followed */
#define MAX_INCLUDE_DEPTH 8
#define CHECK_TIMEOUT_MS 30000
#define SHOWN 100 /* characters of a statement quoted in a message */

/* One statement: a line with its comment cut off, cut again at ';', '{' and '}' outside
 * quotes and ${variables}, so `pid /x; error_log /y;` on one line is two statements and a
 * Caddyfile's `log { output file /x }` yields `output file /x`. */
struct stmt {
  int line;
  char *text;
};

struct stmts {
  struct stmt *v;
  size_t n, cap;
};

#define NO_LINE INT_MAX /* a problem of the whole file: listed after those with a line */

/* One problem: its text, and where it sorts: the line of the user's config it is at (for a
 * file the config includes, the line of the include), then the order it was found in. */
struct problem {
  int at;
  unsigned seq;
  char *text;
};

/* The two ports the harness hands a case, and what a config must do with each. */
enum { PORT_LISTEN, PORT_UPSTREAM, NPORTS };

/* What one check is about: the problems found, and the state the scan needs. */
struct checker {
  const struct proxy_def *p;
  lua_State *L; /* string.match for the definition's patterns */
  bool *set;    /* per must_set entry: a scanned statement sets it */
  bool stays;   /* a statement keeps the proxy in the foreground (foreground.stays) */
  bool detached; /* a statement makes it detach (foreground.detaches) */
  const struct stmts *shipped;
  bool port_in_shipped[NPORTS]; /* the shipped config holds ${var}: so must the user's */
  bool port_in_user[NPORTS];    /* a statement of the user's config holds it */
  bool port_blamed[NPORTS];     /* a statement was blamed for not holding it */
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

static void stmts_add(struct stmts *s, int line, const char *from, size_t len) {
  while (len && isspace((unsigned char)*from)) from++, len--;
  while (len && isspace((unsigned char)from[len - 1])) len--;
  if (!len) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    struct stmt *v = realloc(s->v, cap * sizeof *v);
    if (!v) return; /* a statement less to check; the checker still sees the file */
    s->v = v, s->cap = cap;
  }
  char *text = strndup(from, len);
  if (!text) return;
  s->v[s->n].line = line;
  s->v[s->n++].text = text;
}

static void stmts_free(struct stmts *s) {
  for (size_t i = 0; i < s->n; i++) free(s->v[i].text);
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* Comments: '#' at the start of a line or after a blank or a separator, outside quotes (the
 * rule of every config format here), and lines that start with "//" (VCL, JavaScript). */
static void split_statements(const char *text, struct stmts *out) {
  int line = 1;
  for (const char *p = text; *p; line++) {
    const char *eol = strchr(p, '\n');
    size_t llen = eol ? (size_t)(eol - p) : strlen(p), i = 0, end = llen;
    const char *first = p;
    while (first < p + llen && isspace((unsigned char)*first)) first++;
    if (first + 1 < p + llen && first[0] == '/' && first[1] == '/') end = 0;
    const char *start = p;
    char quote = 0;
    for (i = 0; i < end; i++) {
      char ch = p[i];
      if (quote) {
        if (ch == '\\' && i + 1 < end) i++;
        else if (ch == quote) quote = 0;
        continue;
      }
      if (ch == '"' || ch == '\'') {
        quote = ch;
      } else if (ch == '$' && i + 1 < end && p[i + 1] == '{') {
        const char *close = memchr(p + i, '}', end - i);
        if (close) i = (size_t)(close - p);
      } else if (ch == '#' && (i == 0 || isspace((unsigned char)p[i - 1]) || strchr(";{}", p[i - 1]))) {
        break;
      } else if (ch == ';' || ch == '{' || ch == '}') {
        stmts_add(out, line, start, (size_t)(p + i - start));
        start = p + i + 1;
      }
    }
    stmts_add(out, line, start, (size_t)(p + i - start));
    p = eol ? eol + 1 : p + llen;
  }
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

/* ---- string.match, protected ------------------------------------------------------------ */

static int do_match(lua_State *L) {
  const char *text = lua_touserdata(L, 1), *pattern = lua_touserdata(L, 2);
  lua_getglobal(L, "string");
  lua_getfield(L, -1, "match");
  lua_pushstring(L, text);
  lua_pushstring(L, pattern);
  lua_call(L, 2, 1);
  return 1;
}

/* The capture of pattern in text (malloc'd), or NULL: no match, or a position capture. */
static char *match1(struct checker *c, const char *text, const char *pattern) {
  lua_State *L = c->L;
  char *r = NULL;
  lua_pushcfunction(L, do_match);
  lua_pushlightuserdata(L, (void *)text);
  lua_pushlightuserdata(L, (void *)pattern);
  if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) r = strdup(lua_tostring(L, -1));
  lua_pop(L, 1);
  return r;
}

/* ---- where a captured path lands ---------------------------------------------------------- */

enum landing { INSIDE, ABSOLUTE, RELATIVE_TO_BASE, CLIMBS, ADDRESS, SYSLOG, PIPE, VARIABLE };

static bool climbs(const char *path) {
  for (const char *c = path; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 2 && c[0] == '.' && c[1] == '.') return true;
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
 * that is the word syslog means the system log. */
static enum landing landing_of(const char *v, const char *base) {
  if (strncasecmp(v, "syslog", 6) == 0 && (v[6] == 0 || v[6] == ':')) return SYSLOG;
  if (strcmp(v, "/dev/log") == 0 || strncmp(v, "/run/systemd/journal/", 21) == 0) return SYSLOG;
  if (v[0] == '|') return PIPE;
  size_t word = 0;
  while (isalpha((unsigned char)v[word])) word++;
  if (word && v[word] == ':' && (v[word + 1] == '/' || strncmp(v + word + 1, "${", 2) == 0)) v += word + 1;
  if (strncmp(v, "${dir}", 6) == 0 && (v[6] == '/' || v[6] == 0)) return climbs(v + 6) ? CLIMBS : INSIDE;
  if (v[0] == '/') return own_stream(v) ? INSIDE : v[1] == '/' ? ADDRESS : ABSOLUTE;
  if (v[0] == '$') return VARIABLE;
  if (strchr(v, ':') || strchr(v, '@') || strstr(v, "//")) return ADDRESS;
  if (climbs(v)) return CLIMBS;
  return base ? RELATIVE_TO_BASE : INSIDE;
}

static const char *basename_of(const char *v) {
  const char *s = strrchr(v, '/');
  return s && s[1] ? s + 1 : v;
}

/* Trims blanks, one pair of quotes, and a trailing ',' (lists). */
static void clean_value(char *v) {
  size_t n = strlen(v);
  while (n && (isspace((unsigned char)v[n - 1]) || v[n - 1] == ',')) v[--n] = 0;
  size_t lead = strspn(v, " \t");
  memmove(v, v + lead, n - lead + 1);
  n -= lead;
  if (n && (v[0] == '"' || v[0] == '\'')) {
    memmove(v, v + 1, n--);
    if (n && (v[n - 1] == '"' || v[n - 1] == '\'')) v[--n] = 0;
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

/* ---- ${proxy_port} and ${upstream_port} ---------------------------------------------------- */

static const struct {
  const char *var, *needle, *what;
  /* Every statement that sets the directive must hold the variable (a listener: any other
   * port is outside the case), or only some statement of the config must (an upstream may
   * be named through something that holds it: apache's balancer://, squid's cache_peer). */
  bool every;
} PORTS[NPORTS] = {
    [PORT_LISTEN] = {"proxy_port", "${proxy_port}", "listen on ${proxy_port}, the port the case connects to", true},
    [PORT_UPSTREAM] = {"upstream_port", "${upstream_port}",
                       "send to ${upstream_host}:${upstream_port}, the case's simulator (not a real upstream)", false},
};

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
 * with a value. */
static bool same_directive(const char *tmpl, const char *user) {
  char tw[2][64], uw[2][64];
  int tn = words(tmpl, tw, 2), un = words(user, uw, 2), k = 0;
  while (k < tn && !strstr(tw[k], "${")) k++;
  if (k == 0 || un < k) return false;
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

/* Blames a statement that sets a port directive without the port's variable. */
static void check_ports(struct checker *c, const char *file, const struct stmt *s, int at, const char *from) {
  for (int i = 0; i < NPORTS; i++) {
    if (!c->port_in_shipped[i] || strstr(s->text, PORTS[i].needle)) continue;
    if (!PORTS[i].every && c->port_in_user[i]) continue;
    if (strstr(s->text, "${dir}")) continue; /* a unix socket in the case folder */
    for (size_t k = 0; k < c->shipped->n; k++) {
      const char *t = c->shipped->v[k].text;
      if (!strstr(t, PORTS[i].needle) || !same_directive(t, s->text)) continue;
      problem(c, at, "%s:%d: %.*s: the config must %s; use `%.*s`%s", file, s->line, SHOWN, s->text, PORTS[i].what,
              2 * SHOWN, t, from ? from : "");
      c->port_blamed[i] = true;
      break;
    }
  }
}

/* After the scan: a config that names a port nowhere, and has no statement to blame. */
static void missing_ports(struct checker *c, const char *name) {
  for (int i = 0; i < NPORTS; i++) {
    if (!c->port_in_shipped[i] || c->port_in_user[i] || c->port_blamed[i]) continue;
    const char *t = "";
    for (size_t k = 0; k < c->shipped->n && !*t; k++)
      if (strstr(c->shipped->v[k].text, PORTS[i].needle)) t = c->shipped->v[k].text;
    problem(c, NO_LINE, "%s: the config must %s (no ${%s} in it); add a statement like `%.*s`", name, PORTS[i].what,
            PORTS[i].var, 2 * SHOWN, t);
  }
}

/* ---- staying in the foreground ------------------------------------------------------------- */

/* The harness stops the process group it started, and a case waits for the command's port:
 * a daemon is in a session of its own, and its parent exits at once. */
#define DETACH_WHY                                                                                                     \
  "would detach into the background, out of the harness's reach (every case would fail, and it would outlive badup)"

static void check_foreground(struct checker *c, const char *file, const struct stmt *s, int at, const char *from) {
  const struct proxy_foreground *fg = &c->p->foreground;
  for (char **pat = fg->detaches; *pat; pat++) {
    char *m = match1(c, s->text, *pat);
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
  if (fg->stays && !c->stays) {
    char *m = match1(c, s->text, fg->stays);
    c->stays = m != NULL;
    free(m);
  }
}

/* ---- scanning a file: its statements, then what it includes -------------------------------- */

static void scan_text(struct checker *c, const char *file, const char *text, int depth, const char *from, int at);

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

static void scan_file(struct checker *c, const char *path, int depth, const char *from, int at) {
  struct stat st;
  if (stat(path, &st) != 0 || seen_before(c, path) || c->nfiles >= MAX_INCLUDED_FILES) return;
  if (S_ISDIR(st.st_mode)) { /* apache's Include DIR takes every file in it */
    struct dirent **names;
    int k = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
      char sub[4096];
      if (names[i]->d_name[0] != '.' && snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name) < (int)sizeof sub &&
          stat(sub, &st) == 0 && S_ISREG(st.st_mode))
        scan_file(c, sub, depth, from, at);
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
  scan_text(c, path, text, depth, from, at);
  free(text);
}

/* Follows an included name when it lies outside the case: absolute, or relative to
 * paths_base. Names in the case folder are the definition's own rendered files. */
static void follow_include(struct checker *c, const char *file, const struct stmt *s, const char *v, int depth,
                           int at) {
  char pattern[4096];
  if (strncmp(v, "${", 2) == 0 || strchr(v, ':') || strstr(v, "//")) return;
  if (v[0] == '/') snprintf(pattern, sizeof pattern, "%s", v);
  else if (c->p->paths_base) snprintf(pattern, sizeof pattern, "%s/%s", c->p->paths_base, v);
  else return;
  char from[512];
  snprintf(from, sizeof from, " (included by %s:%d)", file, s->line);
  glob_t g;
  if (glob(pattern, 0, NULL, &g) != 0) return;
  for (size_t i = 0; i < g.gl_pathc; i++) scan_file(c, g.gl_pathv[i], depth + 1, from, at);
  globfree(&g);
}

/* Every statement: its ports, what it sets, whether it detaches, where it writes, what it
 * includes. `at` is where an included file's problems sort: the line of its include. */
static void scan_text(struct checker *c, const char *file, const char *text, int depth, const char *from, int at) {
  struct stmts ss = {0};
  split_statements(text, &ss);
  for (size_t i = 0; i < ss.n; i++) {
    const struct stmt *s = &ss.v[i];
    int here = depth == 0 ? s->line : at;
    check_ports(c, file, s, here, from);
    for (size_t k = 0; k < c->p->nmust_set; k++)
      if (!c->set[k]) {
        char *m = match1(c, s->text, c->p->must_set[k].directive);
        c->set[k] = m != NULL;
        free(m);
      }
    check_foreground(c, file, s, here, from);
    for (char **pat = c->p->paths; *pat; pat++) {
      char *v = match1(c, s->text, *pat);
      if (!v) continue;
      clean_value(v);
      enum landing where = landing_of(v, c->p->paths_base);
      if (where != INSIDE) path_problem(c, file, s, here, v, where, from);
      free(v);
      if (where != INSIDE) break; /* one path problem per statement */
    }
    for (char **pat = c->p->includes; depth < MAX_INCLUDE_DEPTH && *pat; pat++) {
      char *v = match1(c, s->text, *pat);
      if (!v) continue;
      clean_value(v);
      follow_include(c, file, s, v, depth, here);
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
  struct stmts user = {0}, shipped = {0};
  if (c.problems == 0) {
    /* 1. Every ${name} is a template variable: else every case would fail the same way. */
    unknown_variables(&c, name, text);

    /* 2-4. One scan of the statements, the files it includes with them. */
    split_statements(text, &user);
    split_statements(shipped_config(p), &shipped);
    c.shipped = &shipped;
    for (int i = 0; i < NPORTS; i++) {
      for (size_t k = 0; k < shipped.n && !c.port_in_shipped[i]; k++)
        c.port_in_shipped[i] = strstr(shipped.v[k].text, PORTS[i].needle) != NULL;
      /* in a statement, not a comment */
      for (size_t k = 0; k < user.n && !c.port_in_user[i]; k++)
        c.port_in_user[i] = strstr(user.v[k].text, PORTS[i].needle) != NULL;
    }
    c.L = luaL_newstate();
    c.set = calloc(p->nmust_set + 1, sizeof *c.set);
    if (!c.L || !c.set) {
      refuse(&c, "%s: cannot create a Lua state to check it", name);
    } else {
      luaL_requiref(c.L, "string", luaopen_string, 1);
      lua_settop(c.L, 0);
      c.nfiles = 1;
      scan_text(&c, name, text, 0, NULL, 0);
      missing_ports(&c, name);
      for (size_t k = 0; k < p->nmust_set; k++) {
        const struct proxy_must_set *m = &p->must_set[k];
        if (!c.set[k])
          problem(&c, NO_LINE, "%s: no `%.*s` in it: %s would use its default %s, outside the case folder; add `%s`",
                  name, (int)strcspn(m->example, " \t=:"), m->example, p->name, m->default_path, m->example);
      }
      const struct proxy_foreground *fg = &p->foreground;
      if (fg->stays && !c.stays && !c.detached) /* a statement that detaches was blamed already */
        problem(&c, NO_LINE, "%s: no `%s` in it: %s detaches into the background by default, out of the harness's "
                             "reach (every case would fail, and it would outlive badup); add `%s`",
                name, fg->example, p->name, fg->example);
    }
    if (c.L) lua_close(c.L);
    free(c.set);
    for (size_t i = 0; i < c.nseen; i++) free(c.seen[i]);
    free(c.seen);
  }
  stmts_free(&user);
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
