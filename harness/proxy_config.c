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
 *      are read as part of it, so they are scanned too (proxy_config_include.c: one it
 *      cannot read is a problem); every `must_set` directive is there;
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
#include "proxy_config_check.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "buf.h"
#include "config_lex.h"

static bool sorts_before(const struct problem *a, const struct problem *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* Counts a problem and keeps it when it is among the first PROXY_CONFIG_SHOWN in file order:
 * the scans find them in several passes, and a long config must not hold them all. */
void pc_problem(struct checker *c, int at, const char *fmt, ...) {
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
int pc_refuse(struct checker *c, const char *fmt, ...) {
  char text[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  pc_problem(c, NO_LINE, "%s", text);
  return -1;
}

char *pc_read_file(const char *path, size_t max, size_t *len, int *err) {
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
char *pc_match_stmt(struct checker *c, const struct stmt *s, const char *pattern) {
  size_t from, to, cap[1][2];
  if (lex_find(c->L, s->key, pattern, 0, &from, &to, cap, 1) < 0) return NULL;
  return strndup(s->text + cap[0][0], cap[0][1] - cap[0][0]);
}

bool pc_matches(struct checker *c, const struct stmt *s, const char *pattern) {
  return lex_matches(c->L, s->key, pattern);
}

/* ---- where a captured path lands ---------------------------------------------------------- */

enum landing { INSIDE, ABSOLUTE, RELATIVE_TO_BASE, CLIMBS, ADDRESS, SYSLOG, PIPE, VARIABLE };

/* Does a relative path, read from its folder, end up above it? `a/../b` does not, `a/../..`
 * does: the path is resolved, not searched for "..". */
bool pc_climbs_out(const char *path) {
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
  if (strncmp(v, "${dir}", 6) == 0 && (v[6] == '/' || v[6] == 0)) return pc_climbs_out(v + 6) ? CLIMBS : INSIDE;
  if (v[0] == '/') return own_stream(v) ? INSIDE : v[1] == '/' ? ADDRESS : ABSOLUTE;
  if (v[0] == '$') return VARIABLE;
  if (strchr(v, ':') || strchr(v, '@') || strstr(v, "//")) return ADDRESS;
  if (base) return RELATIVE_TO_BASE;
  return pc_climbs_out(v) ? CLIMBS : INSIDE;
}

const char *pc_basename(const char *v) {
  const char *s = strrchr(v, '/');
  return s && s[1] ? s + 1 : v;
}

/* Trims blanks, one pair of quotes (VCL's {"..."} and """...""" too), and a trailing ',' or ';'
 * (lists, VCL). */
void pc_clean_value(char *v) {
  size_t n = strlen(v);
  while (n && (isspace((unsigned char)v[n - 1]) || v[n - 1] == ',' || v[n - 1] == ';')) v[--n] = 0;
  size_t lead = strspn(v, " \t");
  memmove(v, v + lead, n - lead + 1);
  n -= lead;
  static const char *const long_strings[][2] = {{"{\"", "\"}"}, {"\"\"\"", "\"\"\""}};
  for (int k = 0; k < 2; k++) {
    size_t open = strlen(long_strings[k][0]), close = strlen(long_strings[k][1]);
    if (n >= open + close && strncmp(v, long_strings[k][0], open) == 0 &&
        strcmp(v + n - close, long_strings[k][1]) == 0) {
      memmove(v, v + open, n - open - close);
      v[n - open - close] = 0;
      return;
    }
  }
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
  case ABSOLUTE: snprintf(why, sizeof why, "writes outside the case folder; use ${dir}/%s", pc_basename(v)); break;
  case RELATIVE_TO_BASE:
    snprintf(why, sizeof why, "a relative path is relative to %s for %s, outside the case folder; use ${dir}/%s",
             base, c->p->name, v);
    break;
  case CLIMBS: snprintf(why, sizeof why, "'..' leads out of the case folder; use ${dir}/%s", pc_basename(v)); break;
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
  pc_problem(c, at, "%s:%d: %.*s: %s%s", file, s->line, SHOWN, s->text, why, from ? from : "");
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
  pc_problem(c, at, "%s:%d: %.*s: the config must listen on ${proxy_port}, the port the case connects to; use `%.*s`%s",
             file, s->line, SHOWN, s->text, 2 * SHOWN, t, from ? from : "");
  c->listen_blamed = true;
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
    char *m = pc_match_stmt(c, s, *pat);
    if (!m) continue;
    c->detached = true;
    if (fg->example)
      pc_problem(c, at, "%s:%d: %.*s: %s " DETACH_WHY "; use `%s`%s", file, s->line, SHOWN, s->text, c->p->name,
                 fg->example, from ? from : "");
    else
      pc_problem(c, at, "%s:%d: %.*s: %s " DETACH_WHY "; remove `%.*s`%s", file, s->line, SHOWN, s->text, c->p->name,
                 SHOWN, m, from ? from : "");
    free(m);
    break; /* one problem per statement */
  }
  if (fg->stays && !c->stays && pc_matches(c, s, fg->stays)) {
    if (!fg->main_only || s->depth == 0) c->stays = true;
    else if (!c->stays_elsewhere) c->stays_elsewhere = where_elsewhere(file, s);
  }
}

/* ---- what must be set ------------------------------------------------------------------------ */

/* A statement of a must_set directive (the example's first word) whose value does not set it
 * (caddy's `auto_https disable_redirects` still asks a CA): kept, to be blamed on its line
 * rather than reported missing, if nothing sets it. */
static void check_wrong_value(struct checker *c, size_t k, const char *file, const struct stmt *s, int at,
                              const char *from) {
  const struct proxy_must_set *m = &c->p->must_set[k];
  size_t n = strcspn(m->example, " \t=:"), sn = strcspn(s->key, " \t=:");
  bool same = n == sn && (c->p->syntax.caseless ? strncasecmp(s->key, m->example, n) : strncmp(s->key, m->example, n)) == 0;
  if (!same) return;
  char text[2048];
  snprintf(text, sizeof text, "%s:%d: %.*s: not a value that keeps %s from its default %s, outside the case folder; "
           "use `%s`%s", file, s->line, SHOWN, s->text, c->p->name, m->default_path, m->example, from ? from : "");
  c->set_wrong[k].at = at;
  c->set_wrong[k].text = strdup(text);
}

/* ---- scanning a file: its statements, then what it includes -------------------------------- */

/* Every statement: where it listens, what it sets, whether it detaches, where it writes and
 * sends, what it includes. `at` is where an included file's problems sort: the line of its
 * include. ctx: the context its include is in. */
void pc_scan_text(struct checker *c, const char *file, const char *text, int depth, const char *from, int at,
                  const struct lex_from *ctx) {
  struct stmts ss = {0};
  lex_config(&c->p->syntax, c->L, text, ctx, &ss);
  for (size_t i = 0; i < ss.n; i++) {
    const struct stmt *s = &ss.v[i];
    int here = depth == 0 ? s->line : at;
    check_listener(c, file, s, here, from);
    for (size_t k = 0; k < c->p->nmust_set; k++)
      if (!c->set[k] && pc_matches(c, s, c->p->must_set[k].directive)) {
        if (!c->p->must_set[k].main_only || s->depth == 0) c->set[k] = true;
        else if (!c->set_elsewhere[k]) c->set_elsewhere[k] = where_elsewhere(file, s);
      } else if (!c->set[k] && !c->set_wrong[k].text) {
        check_wrong_value(c, k, file, s, here, from);
      }
    check_foreground(c, file, s, here, from);
    for (char **pat = c->p->paths; *pat; pat++) {
      char *v = pc_match_stmt(c, s, *pat);
      if (!v) continue;
      pc_clean_value(v);
      enum landing where = landing_of(v, c->p->paths_base);
      if (where != INSIDE) path_problem(c, file, s, here, v, where, from);
      free(v);
      if (where != INSIDE) break; /* one path problem per statement */
    }
    pc_check_targets(c, file, &ss, i, here, from);
    pc_declare_groups(c, s);
    struct lex_from inner = {s->depth, s->in};
    for (char **pat = c->p->includes; *pat; pat++) {
      char *v = pc_match_stmt(c, s, *pat);
      if (!v) continue;
      pc_clean_value(v);
      pc_follow_include(c, file, s, v, depth, here, from, &inner);
      free(v);
    }
  }
  stmts_free(&ss);
}

/* Every ${name} that is not a template variable, each where it is: the same reading as
 * template_render ("$${" is a literal "${"; a "${" without "}" is text). One in a comment is
 * none: the proxy never reads it, and the rendering leaves it as it is (Debian's apache2.conf
 * has `#Mutex file:${APACHE_LOCK_DIR} default`). */
static void unknown_variables(struct checker *c, const char *name, const char *text) {
  int line = 1;
  const char *counted = text, *t = text, *open;
  struct lex_spans comments = {0};
  lex_comments(&c->p->syntax, text, &comments);
  while ((open = strstr(t, "${"))) {
    if ((open > t && open[-1] == '$') || lex_in_spans(&comments, (size_t)(open - text))) {
      t = open + 2;
      continue;
    }
    const char *close = strchr(open + 2, '}');
    if (!close) break;
    size_t len = (size_t)(close - open - 2);
    bool known = proxy_var_known(c->p, open + 2, len);
    for (; counted < open; counted++) line += *counted == '\n';
    if (!known)
      pc_problem(c, line,
                 "%s:%d: unknown template variable ${%.*s}; the variables are ${proxy_port}, ${upstream_host}, "
                 "${upstream_port}, ${dir}, ... (docs/proxies.md), and $${ is a literal ${",
                 name, line, (int)(len < 80 ? len : 80), open + 2);
    t = close + 1;
  }
  lex_spans_free(&comments);
}
/* ---- the whole check ------------------------------------------------------------------------- */

static const char *shipped_config(const struct proxy_def *p) {
  for (size_t i = 0; i < p->nfiles; i++)
    if (strcmp(p->files[i].name, p->config) == 0) return p->files[i].text;
  return "";
}

/* A config's text as the rules read it: its upstreams as one upstream renders them
 * (${upstream_servers} is `each` with the simulator's address in it), the rest as written.
 * NULL: no memory. */
static char *as_read(const struct proxy_def *p, const char *text) { return proxy_upstreams_as_one(p, text); }

/* A shipped statement whose target is the simulator: what a user's config that sends nowhere
 * is shown. */
/* What the shipped config shows a user's must do: listen on ${proxy_port}, and send to the
 * simulator. */
static void read_shipped(struct checker *c, const struct stmts *shipped) {
  for (size_t k = 0; k < shipped->n; k++) {
    if (strstr(shipped->v[k].text, LISTEN_NEEDLE)) c->listen_in_shipped = true;
    if (!c->sim_example[0]) pc_find_sim_example(c, &shipped->v[k]);
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
    text = pc_read_file(user_config, MAX_CONFIG_BYTES, &n, &err);
    if (!text) pc_refuse(&c, "%s: cannot read it: %s", name, strerror(err));
    else if (n > MAX_CONFIG_BYTES) pc_refuse(&c, "%s: larger than %u MiB; not a config", name, MAX_CONFIG_BYTES >> 20);
    else if (strlen(text) != n) pc_refuse(&c, "%s: contains a NUL byte; not a config", name);
  } else if (!(text = strdup(shipped_config(p)))) {
    pc_refuse(&c, "%s: out of memory", name);
  }
  struct stmts shipped = {0};
  if (c.problems == 0) {
    /* 1. Every ${name} is a template variable: else every case would fail the same way. */
    unknown_variables(&c, name, text);
    char *one = as_read(p, text), *shipped_one = as_read(p, shipped_config(p));

    /* 2-4. One scan of the statements, the files it includes with them. */
    c.L = luaL_newstate();
    c.set = calloc(p->nmust_set + 1, sizeof *c.set);
    c.set_elsewhere = calloc(p->nmust_set + 1, sizeof *c.set_elsewhere);
    c.set_wrong = calloc(p->nmust_set + 1, sizeof *c.set_wrong);
    if (!c.L || !c.set || !c.set_elsewhere || !c.set_wrong || !one || !shipped_one) {
      pc_refuse(&c, "%s: cannot create a Lua state to check it", name);
    } else {
      luaL_requiref(c.L, "string", luaopen_string, 1);
      lua_settop(c.L, 0);
      lex_config(&p->syntax, c.L, shipped_one, NULL, &shipped);
      c.shipped = &shipped;
      read_shipped(&c, &shipped);
      c.nfiles = 1;
      /* the config heads the chain of files being read: an include of it is a loop */
      char key[64];
      struct stat st;
      if (user_config && stat(user_config, &st) == 0)
        snprintf(key, sizeof key, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
      else
        snprintf(key, sizeof key, "(the config)");
      bool pushed = pc_chain_push(&c, key, name);
      pc_scan_text(&c, name, one, 0, NULL, 0, NULL);
      if (pushed) pc_chain_pop(&c);
      pc_resolve_group_refs(&c);
      if (c.listen_in_shipped && !c.listen_in_user && !c.listen_blamed) {
        const char *t = "";
        for (size_t k = 0; k < shipped.n && !*t; k++)
          if (strstr(shipped.v[k].text, LISTEN_NEEDLE)) t = shipped.v[k].text;
        pc_problem(&c, NO_LINE,
                   "%s: the config must listen on ${proxy_port}, the port the case connects to (no statement "
                   "listens on it); add a statement like `%.*s`",
                   name, 2 * SHOWN, t);
      }
      if (c.sim_example[0] && !c.sim_in_user && !c.target_blamed)
        pc_problem(&c, NO_LINE,
                   "%s: nothing in it sends to ${upstream_host}:${upstream_port}, the case's simulator; add "
                   "a statement like `%s`",
                   name, c.sim_example);
      for (size_t k = 0; k < p->nmust_set; k++) {
        const struct proxy_must_set *m = &p->must_set[k];
        if (c.set[k]) continue;
        if (c.set_wrong[k].text) {
          pc_problem(&c, c.set_wrong[k].at, "%s", c.set_wrong[k].text);
          continue;
        }
        char elsewhere[1200] = "";
        if (c.set_elsewhere[k]) snprintf(elsewhere, sizeof elsewhere, " (%s)", c.set_elsewhere[k]);
        /* a statement that is only where it may not apply is named: it looked like enough */
        bool ctx = c.set_elsewhere[k] != NULL;
        pc_problem(&c, NO_LINE,
                   "%s: no `%.*s` in %s%s: %s would use its default %s, outside the case folder; add `%s`%s", name,
                   (int)strcspn(m->example, " \t=:"), m->example, ctx ? "its main context" : "it", elsewhere, p->name,
                   m->default_path, m->example, ctx ? " outside every block" : "");
      }
      const struct proxy_foreground *fg = &p->foreground;
      if (fg->stays && !c.stays && !c.detached) { /* a statement that detaches was blamed already */
        char elsewhere[1200] = "";
        if (c.stays_elsewhere) snprintf(elsewhere, sizeof elsewhere, " (%s)", c.stays_elsewhere);
        bool ctx = c.stays_elsewhere != NULL;
        pc_problem(&c, NO_LINE,
                   "%s: no `%s` in %s%s: %s detaches into the background by default, out of the harness's "
                   "reach (every case would fail, and it would outlive badup); add `%s`%s",
                   name, fg->example, ctx ? "its main context" : "it", elsewhere, p->name, fg->example,
                   ctx ? " outside every block" : "");
      }
    }
    if (c.L) lua_close(c.L);
    free(one);
    free(shipped_one);
    for (size_t k = 0; c.set_elsewhere && k < p->nmust_set; k++) free(c.set_elsewhere[k]);
    free(c.set_elsewhere);
    for (size_t k = 0; c.set_wrong && k < p->nmust_set; k++) free(c.set_wrong[k].text);
    free(c.set_wrong);
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
    else pc_run_checker(&c, name, text);
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
