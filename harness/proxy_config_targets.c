/* proxy_config_targets.c: where a --proxy-config sends requests. Every statement that a
 * definition's `targets` rule matches names a target (a URL, a host, a port, a host and a
 * port, a unix socket), which must be the case's simulator, ${upstream_host}:${upstream_port};
 * a name the config declares as a group (nginx's upstream) is judged where its members are. */
#include "proxy_config_check.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* ---- where it sends requests ------------------------------------------------------------- */

enum verdict { SIMULATOR, GROUP, ELSEWHERE };

struct judged {
  enum verdict v;
  bool with_port;    /* PART_HOST: the value holds its port */
  const char *why;   /* why it is not the simulator, when the value alone does not say it */
  char full[256];    /* GROUP: the name as "scheme://name", and alone */
  char host[256];
  char fixed[512];   /* the value to write instead */
};

/* ${upstream_url_host} is the simulator too: its address, or localhost over TLS */
static bool is_sim_host(const char *h, size_t n) {
  return (n == 16 && strncmp(h, "${upstream_host}", 16) == 0) || (n == 9 && strncmp(h, "127.0.0.1", 9) == 0) ||
         (n == 9 && strncasecmp(h, "localhost", 9) == 0) || (n == 20 && strncmp(h, "${upstream_url_host}", 20) == 0);
}

#define SCHEME_VAR "${upstream_scheme}"
#define SCHEME_VAR_LEN (sizeof SCHEME_VAR - 1)

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
  if (strncmp(a, SCHEME_VAR "://", SCHEME_VAR_LEN + 3) == 0) { /* http, or https over TLS */
    sn = SCHEME_VAR_LEN;
    scheme = a, a += sn + 3;
  } else if (isalpha((unsigned char)*a)) {
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
    /* apache's unix:/path|fcgi://host/x: a URL, whose path the simulator's keeps (over HTTP,
     * which the simulator speaks) */
    const char *bar = strchr(a, '|'), *url = bar ? bar + 1 : NULL, *path = NULL;
    size_t un = 0;
    while (url && (isalnum((unsigned char)url[un]) || (url[un] && strchr("+.-", url[un])))) un++;
    if (url && un && strncmp(url + un, "://", 3) == 0) path = url + un + 3 + strcspn(url + un + 3, "/");
    if (path)
      snprintf(j->fixed, sizeof j->fixed, "http://${upstream_host}:${upstream_port}%s", path);
    else
      snprintf(j->fixed, sizeof j->fixed, "%s${upstream_host}:${upstream_port}", prefix);
    return;
  }
  static const char *const families[] = {"ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@", NULL};
  for (int i = 0; families[i]; i++)
    if (has_prefix(a, families[i])) a += strlen(families[i]);
  /* the authority: up to a path, a query, apache's '|', a list's ',' or ';'; a '$' right after
   * the port starts nginx's $request_uri, or a template's text after it (haproxy's server
   * line's ${upstream_tls}) */
  size_t an = 0;
  while (a[an] && !strchr("/?#|,; \t", a[an])) {
    if (a[an] == '$' && an >= 16 && strncmp(a + an - 16, "${upstream_port}", 16) == 0) break;
    if (a[an] == '$' && a[an + 1] == '{') {
      const char *close = strchr(a + an, '}');
      an = close ? (size_t)(close - a) + 1 : an + 2;
      continue;
    }
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
    j->with_port = one;
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
void pc_resolve_group_refs(struct checker *c) {
  for (size_t i = 0; i < c->nrefs; i++) {
    struct group_ref *r = &c->refs[i];
    bool declared = false;
    for (size_t k = 0; k < c->ngroups && !declared; k++)
      declared = strcmp(c->groups[k], strchr(c->groups[k], ':') ? r->full : r->host) == 0;
    if (!declared) {
      pc_problem(c, r->at, "%s", r->text);
      c->target_blamed = true;
    }
    free(r->full), free(r->host), free(r->text);
  }
  free(c->refs);
  c->refs = NULL;
  c->nrefs = 0;
}

/* Where the statement is: its file's statements, and where problems go. */
struct scan_at {
  const char *file, *from;
  int at;
  const struct stmts *ss;
  size_t i;
};

/* Does a statement of s's block (ss->v[i]'s siblings: the same depth and context, up to the
 * block's braces) match the pattern? */
static bool block_holds(struct checker *c, const struct stmts *ss, size_t i, const char *pattern) {
  const struct stmt *s = &ss->v[i];
  for (int dir = -1; dir <= 1; dir += 2)
    for (size_t k = i; dir < 0 ? k-- > 0 : ++k < ss->n;) {
      const struct stmt *t = &ss->v[k];
      if (t->depth < s->depth) break; /* the block's head, or what follows it */
      if (t->depth == s->depth && strcmp(t->in, s->in) == 0 && pc_matches(c, t, pattern)) return true;
    }
  return false;
}

/* Do the innermost parentheses around [from, to) of the statement match the pattern (a
 * lighttpd backend's ( "host" => ..., "port" => ... ))? */
static bool parens_hold(struct checker *c, const struct stmt *s, size_t from, size_t to, const char *pattern) {
  const char *t = s->key;
  size_t open = 0, close = 0, n = strlen(t);
  int depth = 0;
  bool found = false;
  for (size_t k = from; k-- > 0 && !found;) {
    if (t[k] == ')') depth++;
    else if (t[k] == '(' && depth-- == 0) open = k, found = true;
  }
  if (!found) return false;
  found = false;
  depth = 0;
  for (size_t k = to; k < n && !found; k++) {
    if (t[k] == '(') depth++;
    else if (t[k] == ')' && depth-- == 0) close = k, found = true;
  }
  if (!found) return false;
  char *inside = strndup(t + open, close + 1 - open);
  bool holds = inside && lex_matches(c->L, inside, pattern);
  free(inside);
  return holds;
}

/* The shipped config's way of saying a host's port (what `needs` matches there, up to the
 * value's end: `.port = "${upstream_port}"`, `"port" => ${upstream_port}`), into dst. */
static bool port_example(struct checker *c, const char *needs, char *dst, size_t len) {
  for (size_t k = 0; c->shipped && k < c->shipped->n; k++) {
    const struct stmt *t = &c->shipped->v[k];
    size_t from, to, cap[1][2];
    if (lex_find(c->L, t->key, needs, 0, &from, &to, cap, 0) < 0) continue;
    from += strspn(t->text + from, " ");
    to += strspn(t->text + to, " ");
    to += strcspn(t->text + to, ",;) ");
    snprintf(dst, len, "%.*s", (int)(to - from), t->text + from);
    return true;
  }
  return false;
}

/* Judges one found target; returns true when it refused it (one problem per statement). */
static bool judge_found(struct checker *c, const struct scan_at *w, const struct stmt *s,
                        const struct proxy_target *r, const struct found *f) {
  const char *file = w->file, *from = w->from;
  /* one of a statement's targets (`each`) is on its own line, which may be past the
   * statement's first (a lighttpd list's host) */
  int line = f->each ? stmt_line_at(s, f->cap[0][0]) : s->line, at = from ? w->at : line;
  char v[2][512] = {"", ""};
  for (int i = 0; i < f->ncap && i < 2; i++) {
    snprintf(v[i], sizeof v[i], "%.*s", (int)(f->cap[i][1] - f->cap[i][0]), s->text + f->cap[i][0]);
    pc_clean_value(v[i]);
  }
  if (r->skip && (lex_matches(c->L, v[0], r->skip) || (f->ncap > 1 && lex_matches(c->L, v[1], r->skip)))) return false;
  struct judged j;
  judge(r->part, v[0], v[1], &j);
  /* a host alone goes to the default port, unless its block (its parentheses) says another */
  bool no_port = j.v == SIMULATOR && r->needs && !j.with_port &&
                 !(f->each ? parens_hold(c, s, f->cap[0][0], f->cap[0][1], r->needs)
                           : block_holds(c, w->ss, w->i, r->needs));
  if (no_port) {
    j.v = ELSEWHERE;
    j.why = "no port: it would go to the default one";
  }
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
  snprintf(use, sizeof use, "use `%s`", r->use ? r->use : u.oom ? "" : u.data);
  buf_free(&u);
  char port[512];
  if (no_port && port_example(c, r->needs, port, sizeof port)) snprintf(use, sizeof use, "add `%s` beside it", port);
  char shown[2 * SHOWN + 80];
  size_t place = f->shown_to - f->shown_from;
  if (f->each)
    snprintf(shown, sizeof shown, "%.*s%s%.*s", (int)lead, t, lead ? " " : "", (int)(place > 2 * SHOWN ? 2 * SHOWN : place),
             t + f->shown_from);
  else
    snprintf(shown, sizeof shown, "%.*s", (int)(f->shown_to > 2 * SHOWN ? 2 * SHOWN : f->shown_to), t);
  char text[4096];
  snprintf(text, sizeof text, "%s:%d: %s: sends to %s, not the case's simulator%s%s%s; %s%s", file, line,
           shown, target, j.why ? " (" : "", j.why ? j.why : "", j.why ? ")" : "", use, from ? from : "");
  if (j.v == GROUP) { /* fine if the config declares it: known after the scan */
    group_ref_add(c, at, &j, text);
    return false;
  }
  pc_problem(c, at, "%s", text);
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
    if (n < 0 || (r->unless && pc_matches(c, s, r->unless))) continue;
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

static bool refuse_target(struct checker *c, const struct stmt *s, const struct proxy_target *r, const struct found *f,
                          void *arg) {
  const struct scan_at *w = arg;
  if (f) return judge_found(c, w, s, r, f);
  if (r->use)
    pc_problem(c, w->at, "%s:%d: %.*s: %s, not only to the case's simulator; use `%s`%s", w->file, s->line, SHOWN,
               s->text, r->why, r->use, w->from ? w->from : "");
  else
    pc_problem(c, w->at, "%s:%d: %.*s: %s, not only to the case's simulator; remove it%s", w->file, s->line, SHOWN,
               s->text, r->why, w->from ? w->from : "");
  c->target_blamed = true;
  return true;
}

/* Every target a statement names, each judged; at most one problem for it: a name that waits
 * for the groups is forgotten when the statement is refused for another target. */
void pc_check_targets(struct checker *c, const char *file, const struct stmts *ss, size_t i, int at,
                      const char *from) {
  const struct stmt *s = &ss->v[i];
  size_t refs = c->nrefs;
  struct scan_at w = {file, from, at, ss, i};
  if (!each_target(c, s, refuse_target, &w)) return;
  while (c->nrefs > refs) {
    struct group_ref *r = &c->refs[--c->nrefs];
    free(r->full), free(r->host), free(r->text);
  }
}

/* The names a statement declares as groups of targets (nginx's `upstream app`). */
void pc_declare_groups(struct checker *c, const struct stmt *s) {
  for (char **g = c->p->groups; *g; g++) {
    char *name = pc_match_stmt(c, s, *g);
    if (!name) continue;
    pc_clean_value(name);
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

/* A shipped statement whose target is the simulator: what a user's config that sends nowhere
 * is shown. */
static bool sim_example(struct checker *c, const struct stmt *s, const struct proxy_target *r, const struct found *f,
                        void *arg) {
  (void)arg;
  if (!f || f->ncap < 1) return false;
  char v[2][512] = {"", ""};
  for (int i = 0; i < f->ncap && i < 2; i++) {
    snprintf(v[i], sizeof v[i], "%.*s", (int)(f->cap[i][1] - f->cap[i][0]), s->text + f->cap[i][0]);
    pc_clean_value(v[i]);
  }
  struct judged j;
  judge(r->part, v[0], v[1], &j);
  if (j.v != SIMULATOR) return false;
  size_t n = f->each ? strlen(s->text) : f->shown_to; /* `each`: the whole statement */
  snprintf(c->sim_example, sizeof c->sim_example, "%.*s%s", (int)(n > 2 * SHOWN ? 2 * SHOWN : n), s->text,
           n > 2 * SHOWN ? " ..." : "");
  return true;
}

void pc_find_sim_example(struct checker *c, const struct stmt *s) { each_target(c, s, sim_example, NULL); }

