/* proxy_explain_def.c: the `explain` field of proxy{}: how `badup explain` reads the proxy's
 * log lines (docs/proxies.md). Every pattern is compiled here once, so a definition whose
 * pattern would not compile is refused at load with its file and line, not when a line is
 * explained; every name it refers to (a family, a signature kind, a log) must exist. */
#include "proxy_load.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "logline.h"

#define MAX_WEIGHT 10
#define MAX_GROUP 7  /* logline.c reads captures 0..7 of a signature, 0..9 of a mask */
#define MAX_MASK_GROUP 9

/* Fails unless text is a POSIX ERE with at least `groups` captures. */
static void check_ere(lua_State *L, const struct loader *ld, const char *text, const char *what, size_t groups) {
  regex_t re;
  int rc = regcomp(&re, text, REG_EXTENDED);
  if (rc != 0) {
    char why[128];
    regerror(rc, &re, why, sizeof why);
    ld_fail(L, ld, "%s is not a POSIX extended regular expression: %s", what, why);
  }
  size_t n = re.re_nsub;
  regfree(&re);
  if (n < groups) ld_fail(L, ld, "%s has %zu capture%s: it needs at least %zu", what, n, n == 1 ? "" : "s", groups);
}

/* The string at idx, a POSIX ERE with at least `groups` captures, copied into *dst. */
static void want_ere(lua_State *L, const struct loader *ld, int idx, const char *what, size_t groups, char **dst) {
  *dst = ld_string(L, ld, idx, what);
  check_ere(L, ld, *dst, what, groups);
}

/* t[key] as a whole number from lo to hi; dflt when absent. */
static int want_int(lua_State *L, const struct loader *ld, int t, const char *key, const char *what, int lo, int hi,
                    int dflt) {
  int v = dflt;
  if (lua_getfield(L, t, key) != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER)
      ld_fail(L, ld, "%s.%s must be a whole number from %d to %d, got %s", what, key, lo, hi, luaL_typename(L, -1));
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < lo || lua_tointeger(L, -1) > hi)
      ld_fail(L, ld, "%s.%s must be a whole number from %d to %d, got %g", what, key, lo, hi, lua_tonumber(L, -1));
    v = (int)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* t[key] as a string, copied into *dst; required or not. */
static void want_field(lua_State *L, const struct loader *ld, int t, const char *key, const char *what, bool required,
                       char **dst) {
  char w[96];
  snprintf(w, sizeof w, "%s.%s", what, key);
  if (lua_getfield(L, t, key) == LUA_TNIL) {
    if (required) ld_fail(L, ld, "%s is required", w);
  } else {
    *dst = ld_string(L, ld, -1, w);
    if (!**dst) ld_fail(L, ld, "%s must not be empty", w);
  }
  lua_pop(L, 1);
}

/* The list at t[key] (absent: none), its entries tables, each checked with `keys`; returns
 * its length and leaves nothing on the stack. `shape` is what an entry looks like. */
static size_t want_rows(lua_State *L, const struct loader *ld, int t, const char *key, const char *shape) {
  size_t n = 0;
  char what[64];
  snprintf(what, sizeof what, "explain.%s", key);
  if (lua_getfield(L, t, key) != LUA_TNIL) n = ld_list(L, ld, -1, what, shape);
  lua_pop(L, 1);
  return n;
}

/* Pushes row i of t[key] (a table: checked) and says what it is in w. */
static int push_row(lua_State *L, const struct loader *ld, int t, const char *key, size_t i, const char *shape,
                    const char *const *keys, char *w, size_t wlen) {
  snprintf(w, wlen, "explain.%s[%zu]", key, i + 1);
  lua_getfield(L, t, key);
  lua_rawgeti(L, -1, (lua_Integer)i + 1);
  lua_remove(L, -2);
  int r = lua_gettop(L);
  if (!lua_istable(L, r)) ld_fail(L, ld, "%s must be a table %s, got %s", w, shape, luaL_typename(L, r));
  ld_only_keys(L, ld, r, w, keys);
  return r;
}

static bool is_kind_name(const char *s) {
  size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
  return n > 0 && n <= 40 && !s[n] && s[0] != '-';
}

/* Is kind one of the definition's signatures (those read so far)? */
static bool own_kind(const struct proxy_explain *e, const char *kind) {
  for (size_t i = 0; i < e->nsignatures; i++)
    if (!strcmp(e->signatures[i].kind, kind)) return true;
  return false;
}

static void read_masks(lua_State *L, struct loader *ld, int t, struct proxy_explain *e) {
  static const char *const keys[] = {"pattern", "groups", "with", NULL};
  static const char *const shape = "{ pattern = ..., groups = { ... }, with = ... }";
  size_t n = want_rows(L, ld, t, "masks", shape);
  if (!(e->masks = calloc(n + 1, sizeof *e->masks))) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char w[64], w2[96];
    int r = push_row(L, ld, t, "masks", i, shape, keys, w, sizeof w);
    struct proxy_mask *m = &e->masks[e->nmasks++];
    snprintf(w2, sizeof w2, "%s.pattern", w);
    if (lua_getfield(L, r, "pattern") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
    want_ere(L, ld, -1, w2, 0, &m->pattern);
    lua_settop(L, r);
    snprintf(w2, sizeof w2, "%s.with", w);
    if (lua_getfield(L, r, "with") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
    m->with = ld_string(L, ld, -1, w2);
    lua_settop(L, r);
    m->groups = 1; /* the whole match */
    if (lua_getfield(L, r, "groups") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.groups", w);
      int g = lua_gettop(L);
      size_t k = ld_list(L, ld, g, w2, "capture numbers");
      if (!k) ld_fail(L, ld, "%s must not be empty", w2);
      regex_t re;
      size_t nsub = regcomp(&re, m->pattern, REG_EXTENDED) == 0 ? re.re_nsub : 0;
      regfree(&re);
      m->groups = 0;
      for (size_t j = 0; j < k; j++) {
        lua_rawgeti(L, g, (lua_Integer)j + 1);
        lua_Integer v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
        if (v < 0 || v > MAX_MASK_GROUP || (size_t)v > nsub)
          ld_fail(L, ld, "%s[%zu] must be a capture of the pattern, 0 (the whole match) to %zu", w2, j + 1,
                  nsub < MAX_MASK_GROUP ? nsub : (size_t)MAX_MASK_GROUP);
        m->groups |= 1u << v;
        lua_pop(L, 1);
      }
    }
    lua_settop(L, t);
  }
}

static void read_signatures(lua_State *L, struct loader *ld, int t, struct proxy_explain *e) {
  static const char *const keys[] = {"kind", "label", "pattern", "group", "weight", "all", "key_len",
                                     "not_verdict", NULL};
  static const char *const shape = "{ kind = ..., label = ..., pattern = ..., group = ..., ... }";
  size_t n = want_rows(L, ld, t, "signatures", shape);
  if (!(e->signatures = calloc(n + 1, sizeof *e->signatures))) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char w[64], w2[96];
    int r = push_row(L, ld, t, "signatures", i, shape, keys, w, sizeof w);
    struct proxy_signature *s = &e->signatures[e->nsignatures++];
    want_field(L, ld, r, "kind", w, true, &s->kind);
    if (!is_kind_name(s->kind))
      ld_fail(L, ld, "%s.kind must be 1 to 40 lower-case letters, digits and '-', got \"%.40s\"", w, s->kind);
    bool status = !strcmp(s->kind, "status");
    if (!status && logline_builtin_kind(s->kind))
      ld_fail(L, ld, "%s.kind \"%s\" is one badup reads itself in every line (harness/logline.c)", w, s->kind);
    want_field(L, ld, r, "label", w, false, &s->label);
    if (status && s->label) ld_fail(L, ld, "%s: the kind \"status\" is badup's own and takes no label", w);
    if (!s->label) s->label = ld_dup(L, ld, s->kind, strlen(s->kind));
    for (size_t k = 0; k + 1 < e->nsignatures; k++)
      if (!strcmp(e->signatures[k].kind, s->kind) && strcmp(e->signatures[k].label, s->label))
        ld_fail(L, ld, "%s.label \"%.40s\" differs from explain.signatures[%zu]'s for the same kind", w, s->label,
                k + 1);
    s->group = want_int(L, ld, r, "group", w, 0, MAX_GROUP, 0);
    snprintf(w2, sizeof w2, "%s.pattern", w);
    if (lua_getfield(L, r, "pattern") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
    want_ere(L, ld, -1, w2, (size_t)s->group, &s->pattern);
    lua_settop(L, r);
    s->weight = want_int(L, ld, r, "weight", w, 1, MAX_WEIGHT, 3);
    s->key_len = (size_t)want_int(L, ld, r, "key_len", w, 0, 1000, 0);
    s->all = ld_bool(L, ld, r, "all", w, false);
    int type = lua_getfield(L, r, "not_verdict");
    snprintf(w2, sizeof w2, "%s.not_verdict", w);
    if (type == LUA_TBOOLEAN) s->not_verdict = lua_toboolean(L, -1);
    else if (type == LUA_TSTRING) want_ere(L, ld, -1, w2, 0, &s->not_verdict_re);
    else if (type != LUA_TNIL)
      ld_fail(L, ld, "%s must be true (no value says why) or a pattern (the values that do not), got %s", w2,
              luaL_typename(L, -1));
    if (status && (s->not_verdict || s->not_verdict_re)) ld_fail(L, ld, "%s: a status is never a verdict already", w2);
    lua_settop(L, t);
  }
}

static void read_families(lua_State *L, struct loader *ld, int t, struct proxy_explain *e) {
  static const char *const keys[] = {"kind", "pattern", "family", NULL};
  static const char *const shape = "{ kind = ..., pattern = ..., family = ... }";
  size_t n = want_rows(L, ld, t, "families", shape);
  if (!(e->families = calloc(n + 1, sizeof *e->families))) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char w[64], w2[96];
    int r = push_row(L, ld, t, "families", i, shape, keys, w, sizeof w);
    struct proxy_family *f = &e->families[e->nfamilies++];
    want_field(L, ld, r, "kind", w, true, &f->kind);
    if (!own_kind(e, f->kind) || !strcmp(f->kind, "status"))
      ld_fail(L, ld, "%s.kind \"%.40s\" must be one of explain.signatures' kinds (not status)", w, f->kind);
    snprintf(w2, sizeof w2, "%s.pattern", w);
    if (lua_getfield(L, r, "pattern") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
    want_ere(L, ld, -1, w2, 0, &f->pattern);
    lua_settop(L, r);
    want_field(L, ld, r, "family", w, true, &f->family);
    if (!logline_is_family(f->family))
      ld_fail(L, ld, "%s.family must be one of %s, got \"%.40s\"", w, logline_family_names(), f->family);
    lua_settop(L, t);
  }
}

static void read_fields(lua_State *L, struct loader *ld, int t, struct proxy_explain *e) {
  static const char *const keys[] = {"name", "pattern", "kind", "anchor", "meaning", NULL};
  static const char *const shape = "{ name = ..., pattern = ..., anchor = ..., meaning = ... }";
  size_t n = want_rows(L, ld, t, "fields", shape);
  if (!(e->fields = calloc(n + 1, sizeof *e->fields))) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char w[64], w2[96];
    int r = push_row(L, ld, t, "fields", i, shape, keys, w, sizeof w);
    struct proxy_field *f = &e->fields[e->nfields++];
    want_field(L, ld, r, "name", w, true, &f->name);
    snprintf(w2, sizeof w2, "%s.pattern", w);
    if (lua_getfield(L, r, "pattern") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
    want_ere(L, ld, -1, w2, 0, &f->pattern);
    lua_settop(L, r);
    want_field(L, ld, r, "kind", w, false, &f->kind);
    if (f->kind && (!own_kind(e, f->kind) || !strcmp(f->kind, "status")))
      ld_fail(L, ld, "%s.kind \"%.40s\" must be one of explain.signatures' kinds (not status)", w, f->kind);
    want_field(L, ld, r, "anchor", w, true, &f->anchor);
    if (!own_kind(e, f->anchor) && !logline_builtin_kind(f->anchor))
      ld_fail(L, ld, "%s.anchor \"%.40s\" must be one of explain.signatures' kinds or one badup reads itself (%s)", w,
              f->anchor, logline_builtin_kinds());
    want_field(L, ld, r, "meaning", w, true, &f->meaning);
    lua_settop(L, t);
  }
}

static void read_look_in(lua_State *L, struct loader *ld, int t, struct proxy_explain *e) {
  static const char *const keys[] = {"log", "what", NULL};
  if (lua_getfield(L, t, "look_in") == LUA_TNIL) {
    lua_settop(L, t);
    return;
  }
  int r = lua_gettop(L);
  if (!lua_istable(L, r))
    ld_fail(L, ld, "explain.look_in must be a table { log = ..., what = ... }, got %s", luaL_typename(L, r));
  ld_only_keys(L, ld, r, "explain.look_in", keys);
  want_field(L, ld, r, "what", "explain.look_in", true, &e->look_in_what);
  if (lua_getfield(L, r, "log") == LUA_TNIL) {
    e->look_in_log = ld_dup(L, ld, "", 0); /* the line itself */
  } else {
    e->look_in_log = ld_string(L, ld, -1, "explain.look_in.log");
    bool listed = false;
    for (char **l = ld->p->logs; l && *l; l++) listed |= !strcmp(*l, e->look_in_log);
    if (!listed) ld_fail(L, ld, "explain.look_in.log \"%.60s\" must be one of logs", e->look_in_log);
  }
  lua_settop(L, t);
}

/* explain = { detect, tags, masks, signatures, families, fields, look_in }. */
void ld_explain(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"detect", "tags", "masks", "signatures", "families", "fields", "look_in", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "explain must be a table { detect = ..., signatures = ..., ... }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "explain", keys);
  struct proxy_explain *e = ld->p->explain = calloc(1, sizeof *e);
  if (!e) ld_fail(L, ld, "out of memory");
  size_t n = 0;
  if (lua_getfield(L, v, "detect") != LUA_TNIL) n = ld_strings(L, ld, -1, "explain.detect", &e->detect, false);
  lua_settop(L, v);
  for (size_t i = 0; i < n; i++) {
    char w[48];
    snprintf(w, sizeof w, "explain.detect[%zu]", i + 1);
    check_ere(L, ld, e->detect[i], w, 0);
  }
  if (lua_getfield(L, v, "tags") != LUA_TNIL) n = ld_strings(L, ld, -1, "explain.tags", &e->tags, false);
  else n = 0;
  lua_settop(L, v);
  for (size_t i = 0; i < n; i++)
    if (!e->tags[i][0] || strpbrk(e->tags[i], " \t[]:"))
      ld_fail(L, ld, "explain.tags[%zu] must be a program name (no blank, '[', ']' or ':'), got \"%.40s\"", i + 1,
              e->tags[i]);
  if (!e->detect && !(e->detect = calloc(1, sizeof *e->detect))) ld_fail(L, ld, "out of memory");
  if (!e->tags && !(e->tags = calloc(1, sizeof *e->tags))) ld_fail(L, ld, "out of memory");
  read_masks(L, ld, v, e);
  read_signatures(L, ld, v, e);
  read_families(L, ld, v, e);
  read_fields(L, ld, v, e);
  read_look_in(L, ld, v, e);
}

void proxy_explain_free(struct proxy_explain *e) {
  if (!e) return;
  ld_free_list(e->detect);
  ld_free_list(e->tags);
  for (size_t i = 0; i < e->nmasks; i++) free(e->masks[i].pattern), free(e->masks[i].with);
  for (size_t i = 0; i < e->nsignatures; i++) {
    struct proxy_signature *s = &e->signatures[i];
    free(s->kind), free(s->label), free(s->pattern), free(s->not_verdict_re);
  }
  for (size_t i = 0; i < e->nfamilies; i++)
    free(e->families[i].kind), free(e->families[i].pattern), free(e->families[i].family);
  for (size_t i = 0; i < e->nfields; i++) {
    struct proxy_field *f = &e->fields[i];
    free(f->name), free(f->pattern), free(f->kind), free(f->anchor), free(f->meaning);
  }
  free(e->masks), free(e->signatures), free(e->families), free(e->fields);
  free(e->look_in_log), free(e->look_in_what);
  free(e);
}

const char *proxy_explain_shared_kind(const struct proxy_def *a, const struct proxy_def *b) {
  if (!a->explain || !b->explain) return NULL;
  for (size_t i = 0; i < b->explain->nsignatures; i++) {
    const char *kind = b->explain->signatures[i].kind;
    if (strcmp(kind, "status") != 0 && own_kind(a->explain, kind)) return kind;
  }
  return NULL;
}
