/* expectation.c: an `expect` table read from Lua into C, checked as it is read. */
#include "expectation.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "outcome.h"

const char *const expect_header_kind_words[EXPECT_H__COUNT] = {
#define BADUP_EXPECT_HK_WORD(id, word) [EXPECT_H_##id] = word,
    BADUP_EXPECT_HEADER_KINDS(BADUP_EXPECT_HK_WORD)
#undef BADUP_EXPECT_HK_WORD
};

/* The reader: the Lua state and where the first error goes. `where` names the table being
 * read ("expect", "expect[2].upstream.headers"), so a message says which one is wrong. */
struct rd {
  lua_State *L;
  char *err;
  size_t errlen;
  char where[128];
};

static bool fail(struct rd *r, const char *fmt, ...) {
  int n = snprintf(r->err, r->errlen, "%s: ", r->where);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < r->errlen) vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return false;
}

/* Appends to r->err, when the scenario read ctx values that are not set, that one of them is
 * the likely reason a list or map came out empty: `present = { ctx.field }` without --set. */
static void ctx_hint(struct rd *r) {
  lua_State *L = r->L;
  int top = lua_gettop(L);
  if (lua_getfield(L, LUA_REGISTRYINDEX, EXPECT_CTX_UNSET) == LUA_TTABLE && lua_rawlen(L, -1) > 0) {
    size_t used = strlen(r->err);
    used += (size_t)snprintf(r->err + used, used < r->errlen ? r->errlen - used : 0,
                             "; a ctx value that is not set (badup run --set NAME=VALUE) leaves it empty, and "
                             "this file read");
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, top + 1) && used < r->errlen; i++) {
      lua_rawgeti(L, top + 1, i);
      used += (size_t)snprintf(r->err + used, r->errlen - used, "%s ctx.%.40s", i > 1 ? "," : "", lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    if (used < r->errlen) snprintf(r->err + used, r->errlen - used, ", not set");
  }
  lua_settop(L, top);
}

/* An empty list or map where assertions were expected: it would assert nothing and the case
 * would pass having tested nothing, so it is a load error. */
static bool fail_empty(struct rd *r, const char *what) {
  if (what) fail(r, "%s is empty: it asserts nothing", what);
  else snprintf(r->err, r->errlen, "%s is empty: it asserts nothing", r->where);
  ctx_hint(r);
  return false;
}

/* How many keys the table at t has. */
static size_t nkeys(lua_State *L, int t) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) n++, lua_pop(L, 1);
  return n;
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}

/* Every key of the table at t is a string among known (a NULL-ended list). */
static bool known_fields(struct rd *r, int t, const char *const *known) {
  lua_State *L = r->L;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; known[i] && !ok; i++) ok = !strcmp(lua_tostring(L, -1), known[i]);
    if (!ok) {
      char names[256] = "";
      for (int i = 0; known[i]; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", known[i]);
      const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : lua_typename(L, lua_type(L, -1));
      char key[64];
      snprintf(key, sizeof key, "%s", k);
      lua_pop(L, 1);
      return fail(r, "unknown field '%s' (known: %s)", key, names);
    }
  }
  return true;
}

/* A POSIX ERE, compiled into re. */
static bool compile(struct rd *r, regex_t *re, const char *pattern, const char *what) {
  int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
  if (rc == 0) return true;
  char why[128];
  regerror(rc, re, why, sizeof why);
  return fail(r, "%s /%s/ is not a valid POSIX ERE: %s", what, pattern, why);
}

/* A field name is a token (RFC 9110 5.1, 5.6.2). */
static bool is_token(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!(((*s | 32) >= 'a' && (*s | 32) <= 'z') || (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
      return false;
  return true;
}

/* An optional string field of the table at t into *out (a copy; NULL when absent). */
static bool opt_string(struct rd *r, int t, const char *k, char **out, size_t *len) {
  lua_State *L = r->L;
  int ty = lua_getfield(L, t, k);
  bool ok = true;
  if (ty == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (!(*out = dup_n(s, n))) ok = fail(r, "out of memory");
    if (len) *len = n;
  } else if (ty != LUA_TNIL) {
    ok = fail(r, "%s must be a string, got %s", k, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return ok;
}

/* An optional integer field in [min, max] into *out (untouched when absent). */
static bool opt_integer(struct rd *r, int t, const char *k, long min, long max, long *out) {
  lua_State *L = r->L;
  int top = lua_gettop(L);
  bool ok = true;
  if (lua_getfield(L, t, k) != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < min || lua_tointeger(L, -1) > max)
      ok = fail(r, "%s must be an integer from %ld to %ld, got %s", k, min, max, luaL_tolstring(L, -1, NULL));
    else *out = (long)lua_tointeger(L, -1);
  }
  lua_settop(L, top);
  return ok;
}

/* A status: an integer 100-999 or an outcome word, as a plain expect. */
static bool status_word(struct rd *r, int idx, char **out) {
  lua_State *L = r->L;
  char words[256];
  outcome_expect_describe(words, sizeof words);
  char buf[32];
  const char *w;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (!lua_isinteger(L, idx)) return fail(r, "status %s is not %s", lua_tostring(L, idx), words);
    snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
    w = buf;
  } else if (lua_type(L, idx) == LUA_TSTRING) {
    w = lua_tostring(L, idx);
  } else {
    return fail(r, "status must be %s, got %s", words, luaL_typename(L, idx));
  }
  if (!outcome_expect_valid(w)) return fail(r, "status '%s' is not %s", w, words);
  return (*out = strdup(w)) ? true : fail(r, "out of memory");
}

static int cmp_header(const void *a, const void *b) {
  const struct expect_header *x = a, *y = b;
  return strcasecmp(x->name, y->name);
}

/* One header assertion of kind k: the name at name_idx, the value (equal, match, count) at
 * -1; into e. */
static bool read_header(struct rd *r, enum expect_header_kind k, int name_idx, struct expect_header *e) {
  lua_State *L = r->L;
  const char *kw = expect_header_kind_words[k];
  const char *name = lua_tostring(L, name_idx);
  if (!is_token(name)) return fail(r, "%s: '%.60s' is not a field name (RFC 9110 5.1: a token)", kw, name);
  e->kind = k;
  if (!(e->name = strdup(name))) return fail(r, "out of memory");
  if (k == EXPECT_H_EQUAL) {
    if (lua_type(L, -1) != LUA_TSTRING && !lua_isinteger(L, -1))
      return fail(r, "equal[\"%s\"] must be a string, got %s", name, luaL_typename(L, -1));
    if (!(e->value = strdup(lua_tostring(L, -1)))) return fail(r, "out of memory");
  } else if (k == EXPECT_H_MATCH) {
    if (lua_type(L, -1) != LUA_TSTRING)
      return fail(r, "match[\"%s\"] must be a POSIX ERE string, got %s", name, luaL_typename(L, -1));
    if (!(e->value = strdup(lua_tostring(L, -1)))) return fail(r, "out of memory");
    if (!compile(r, &e->re, e->value, "match pattern")) {
      free(e->value);
      e->value = NULL; /* never compiled: nothing for regfree */
      return false;
    }
  } else if (k == EXPECT_H_COUNT) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 1000)
      return fail(r, "count[\"%s\"] must be an integer from 0 to 1000", name);
    e->count = (long)lua_tointeger(L, -1);
  }
  return true;
}

/* headers = { present = {names}, absent = {names}, equal = {name = value},
 *             match = {name = ERE}, count = {name = N} } at t. */
static bool read_headers(struct rd *r, int t, struct expect_headers *h) {
  lua_State *L = r->L;
  static const char *const kinds[] = {"present", "absent", "equal", "match", "count", NULL};
  if (!lua_istable(L, t)) return fail(r, "must be a table { present =, absent =, equal =, match =, count = }");
  if (!known_fields(r, t, kinds)) return false;
  if (nkeys(L, t) == 0) return fail_empty(r, NULL);
  /* Counted first: a compiled regex_t may not move. */
  size_t total = 0;
  for (int k = 0; k < EXPECT_H__COUNT; k++) {
    int ty = lua_getfield(L, t, kinds[k]);
    size_t n = ty == LUA_TTABLE ? nkeys(L, lua_gettop(L)) : 0;
    total += n;
    lua_settop(L, t);
    if (ty != LUA_TTABLE && ty != LUA_TNIL) return fail(r, "%s must be a table", kinds[k]);
    if (ty == LUA_TTABLE && n == 0) return fail_empty(r, kinds[k]);
  }
  h->v = calloc(total ? total : 1, sizeof *h->v);
  if (!h->v) return fail(r, "out of memory");
  bool ok = true;
  for (int k = 0; ok && k < EXPECT_H__COUNT; k++) {
    if (lua_getfield(L, t, kinds[k]) != LUA_TTABLE) {
      lua_settop(L, t);
      continue;
    }
    int list = lua_gettop(L);
    size_t first = h->n;
    if (k == EXPECT_H_PRESENT || k == EXPECT_H_ABSENT) {
      /* A list, in its own order. */
      size_t n = lua_rawlen(L, list);
      size_t keys = 0;
      lua_pushnil(L);
      while (lua_next(L, list)) keys++, lua_pop(L, 1);
      if (keys != n) {
        ok = fail(r, "%s must be a list of field names: { \"Via\" }", kinds[k]);
        ctx_hint(r); /* { ctx.field, "Via" } without ctx.field has a hole */
      }
      for (size_t i = 0; ok && i < n; i++) {
        if (lua_rawgeti(L, list, (lua_Integer)i + 1) != LUA_TSTRING)
          ok = fail(r, "%s must be a list of field names: { \"Via\" }", kinds[k]);
        else ok = read_header(r, (enum expect_header_kind)k, -1, &h->v[h->n]);
        if (h->v[h->n].name) h->n++;
        lua_settop(L, list);
      }
    } else {
      /* A map: sorted by name, as Lua hands keys out in hash order. */
      lua_pushnil(L);
      while (ok && lua_next(L, list)) {
        if (lua_type(L, -2) != LUA_TSTRING)
          ok = fail(r, "%s must map field names to values: { [\"Content-Length\"] = ... }", kinds[k]);
        else ok = read_header(r, (enum expect_header_kind)k, -2, &h->v[h->n]);
        if (h->v[h->n].name) h->n++;
        lua_pop(L, 1);
      }
      if (ok) qsort(h->v + first, h->n - first, sizeof *h->v, cmp_header);
    }
    lua_settop(L, t);
  }
  return ok;
}

/* body = "exact" or { equal =, match =, length = } at t's field "body". */
static bool read_body(struct rd *r, int t, struct expect_body *b) {
  lua_State *L = r->L;
  b->length = -1;
  int ty = lua_getfield(L, t, "body");
  bool ok = true;
  if (ty == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (!(b->equal = dup_n(s, n))) ok = fail(r, "out of memory");
    b->equal_len = n;
  } else if (ty == LUA_TTABLE) {
    static const char *const fields[] = {"equal", "match", "length", NULL};
    int bt = lua_gettop(L);
    if (nkeys(L, bt) == 0) return lua_settop(L, t), fail_empty(r, "body");
    ok = known_fields(r, bt, fields) && opt_string(r, bt, "equal", &b->equal, &b->equal_len) &&
         opt_string(r, bt, "match", &b->match, NULL) && opt_integer(r, bt, "length", 0, 1L << 40, &b->length);
    if (ok && b->match && !compile(r, &b->re, b->match, "body.match")) {
      free(b->match);
      b->match = NULL;
      ok = false;
    }
  } else if (ty != LUA_TNIL) {
    ok = fail(r, "body must be a string or a table { equal =, match =, length = }, got %s", luaL_typename(L, -1));
  }
  lua_settop(L, t);
  return ok;
}

/* interim = { 103, ... } or interim = 0 (none) at t. */
static bool read_interim(struct rd *r, int t, struct expect_response *x) {
  lua_State *L = r->L;
  int ty = lua_getfield(L, t, "interim");
  bool ok = true;
  if (ty == LUA_TNUMBER) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) != 0)
      ok = fail(r, "interim must be a list of 1xx statuses or 0 (none)");
    x->interim_set = true;
  } else if (ty == LUA_TTABLE) {
    size_t n = lua_rawlen(L, -1), keys = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) keys++, lua_pop(L, 1);
    if (keys == 0) {
      ok = fail(r, "interim is empty: for no interim response at all, say interim = 0");
      ctx_hint(r);
    } else if (keys != n || n > EXPECT_MAX_INTERIM)
      ok = fail(r, "interim must be a list of at most %d 1xx statuses", EXPECT_MAX_INTERIM);
    for (size_t i = 0; ok && i < n; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 100 || lua_tointeger(L, -1) > 199)
        ok = fail(r, "interim[%zu] must be a 1xx status (100-199)", i + 1);
      else x->interim[x->ninterim++] = (int)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    x->interim_set = true;
  } else if (ty != LUA_TNIL) {
    ok = fail(r, "interim must be a list of 1xx statuses or 0 (none), got %s", luaL_typename(L, -1));
  }
  lua_settop(L, t);
  return ok;
}

/* The fields a response is asserted by, from the table at t (status not required). */
static bool read_response(struct rd *r, int t, struct expect_response *x) {
  lua_State *L = r->L;
  if (lua_getfield(L, t, "status") != LUA_TNIL && !status_word(r, -1, &x->status)) return lua_settop(L, t), false;
  lua_settop(L, t);
  if (!opt_string(r, t, "reason", &x->reason, NULL)) return false;
  if (lua_getfield(L, t, "headers") != LUA_TNIL) {
    char saved[sizeof r->where];
    snprintf(saved, sizeof saved, "%s", r->where);
    snprintf(r->where, sizeof r->where, "%.110s.headers", saved);
    bool ok = read_headers(r, lua_gettop(L), &x->headers);
    lua_settop(L, t);
    if (!ok) return false;
    snprintf(r->where, sizeof r->where, "%s", saved);
  }
  lua_settop(L, t);
  return read_body(r, t, &x->body) && read_interim(r, t, x);
}

static bool read_upstream(struct rd *r, int t, struct expect_upstream *u) {
  lua_State *L = r->L;
  static const char *const fields[] = {"method", "target", "version", "headers", "body_length", "upstream", NULL};
  u->body_length = -1;
  if (!lua_istable(L, t)) return fail(r, "must be a table { method =, target =, version =, headers =, body_length =, upstream = }");
  long up = 0;
  if (!known_fields(r, t, fields) || !opt_string(r, t, "method", &u->method, NULL) ||
      !opt_string(r, t, "target", &u->target, NULL) || !opt_string(r, t, "version", &u->version, NULL) ||
      !opt_integer(r, t, "body_length", 0, 1L << 40, &u->body_length) || !opt_integer(r, t, "upstream", 1, 8, &up))
    return false;
  u->upstream = (int)up;
  bool ok = true;
  if (lua_getfield(L, t, "headers") != LUA_TNIL) {
    char saved[sizeof r->where];
    snprintf(saved, sizeof saved, "%s", r->where);
    snprintf(r->where, sizeof r->where, "%.110s.headers", saved);
    ok = read_headers(r, lua_gettop(L), &u->headers);
    if (ok) snprintf(r->where, sizeof r->where, "%s", saved);
  }
  lua_settop(L, t);
  return ok;
}

static bool read_number(struct rd *r, int t, const char *k, double *out) {
  lua_State *L = r->L;
  int ty = lua_getfield(L, t, k);
  bool ok = true;
  if (ty != LUA_TNIL) {
    double v = lua_tonumber(L, -1);
    if (ty != LUA_TNUMBER || !(v >= 0) || !isfinite(v)) ok = fail(r, "%s must be a non-negative number of seconds", k);
    else *out = v;
  }
  lua_settop(L, t);
  return ok;
}

/* upstream_closed = true|false, and upstream_closed_s = N with it (expectation.h). */
static bool read_upstream_closed(struct rd *r, int t, struct expect_set *s) {
  lua_State *L = r->L;
  int ty = lua_getfield(L, t, "upstream_closed");
  if (ty == LUA_TBOOLEAN) s->upstream_closed = lua_toboolean(L, -1) ? EXPECT_UPCLOSED_TRUE : EXPECT_UPCLOSED_FALSE;
  lua_settop(L, t);
  if (ty != LUA_TBOOLEAN && ty != LUA_TNIL)
    return fail(r, "upstream_closed must be true (the proxy closed every upstream connection) or false, got %s",
                lua_typename(L, ty));
  if (!read_number(r, t, "upstream_closed_s", &s->upstream_closed_s)) return false;
  if (s->upstream_closed_s >= 0 && s->upstream_closed != EXPECT_UPCLOSED_TRUE)
    return fail(r, "upstream_closed_s (how soon the proxy closed them) needs upstream_closed = true");
  return true;
}

static int cmp_log(const void *a, const void *b) {
  return strcmp(((const struct expect_log *)a)->proxy, ((const struct expect_log *)b)->proxy);
}

static bool read_log(struct rd *r, int t, struct expect_set *s) {
  lua_State *L = r->L;
  if (lua_getfield(L, t, "log") == LUA_TNIL) return lua_settop(L, t), true;
  int lt = lua_gettop(L);
  size_t n = 0;
  bool ok = lua_istable(L, lt);
  if (ok) {
    lua_pushnil(L);
    while (lua_next(L, lt)) {
      ok &= lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING;
      n++;
      lua_pop(L, 1);
    }
  }
  if (!ok) return lua_settop(L, t), fail(r, "log must map proxy names to POSIX EREs: { haproxy = \"SH--\" }");
  if (n == 0) return lua_settop(L, t), fail_empty(r, "log");
  if (!(s->log = calloc(n ? n : 1, sizeof *s->log))) return lua_settop(L, t), fail(r, "out of memory");
  lua_pushnil(L);
  while (ok && lua_next(L, lt)) {
    struct expect_log *g = &s->log[s->nlog];
    g->proxy = strdup(lua_tostring(L, -2));
    g->pattern = strdup(lua_tostring(L, -1));
    if (!g->proxy || !g->pattern) ok = fail(r, "out of memory");
    else ok = compile(r, &g->re, g->pattern, "log pattern");
    if (ok) s->nlog++;
    else free(g->proxy), free(g->pattern), g->proxy = g->pattern = NULL;
    lua_pop(L, 1);
  }
  lua_settop(L, t);
  if (ok) qsort(s->log, s->nlog, sizeof *s->log, cmp_log);
  return ok;
}

/* A list of tables at field k of t, each read by one; *n and *v out. */
static bool read_list(struct rd *r, int t, const char *k, size_t elem, void **v, size_t *n, size_t max,
                      bool (*one)(struct rd *, int, void *)) {
  lua_State *L = r->L;
  lua_getfield(L, t, k);
  int lt = lua_gettop(L);
  size_t len = lua_istable(L, lt) ? lua_rawlen(L, lt) : 0, keys = 0;
  if (lua_istable(L, lt)) {
    lua_pushnil(L);
    while (lua_next(L, lt)) keys++, lua_pop(L, 1);
  }
  if (lua_istable(L, lt) && keys == 0) return lua_settop(L, t), fail_empty(r, k);
  if (!lua_istable(L, lt) || len == 0 || keys != len || len > max)
    return lua_settop(L, t), fail(r, "%s must be a list of 1 to %zu tables", k, max);
  if (!(*v = calloc(len, elem))) return lua_settop(L, t), fail(r, "out of memory");
  char base[sizeof r->where];
  snprintf(base, sizeof base, "%s", r->where);
  bool ok = true;
  for (size_t i = 0; ok && i < len; i++) {
    snprintf(r->where, sizeof r->where, "%.90s.%s[%zu]", base, k, i + 1);
    lua_rawgeti(L, lt, (lua_Integer)i + 1);
    /* An empty entry holds the place of a request or response before one that asserts
     * something ({ {}, { status = 200 } }); the last one must assert something. */
    if (!lua_istable(L, -1)) ok = fail(r, "must be a table");
    else if (i + 1 == len && nkeys(L, lua_gettop(L)) == 0) ok = fail_empty(r, NULL);
    else ok = one(r, lua_gettop(L), (char *)*v + i * elem);
    *n = i + 1; /* what has been read is freed with the rest */
    lua_settop(L, lt);
  }
  if (ok) snprintf(r->where, sizeof r->where, "%s", base);
  lua_settop(L, t);
  return ok;
}

static bool one_upstream(struct rd *r, int t, void *out) { return read_upstream(r, t, out); }

static bool one_response(struct rd *r, int t, void *out) {
  static const char *const fields[] = {"status", "reason", "headers", "body", "interim", NULL};
  return known_fields(r, t, fields) && read_response(r, t, out);
}

static const char *const set_fields[] = {"status", "reason", "headers", "body", "interim", "connection",
                                         "min_s", "max_s", "attempts", "connections", "upstream",
                                         "upstream_requests", "log", "responses", "upstream_closed",
                                         "upstream_closed_s", "note", NULL};

/* `note = "word"`: a passing case's signature names no failed id, so two alternatives with the
 * same status read the same; a note says which one held ("200 =kept"). */
static bool read_note(struct rd *r, int t, struct expect_set *s) {
  size_t n = 0;
  int ty = lua_getfield(r->L, t, "note");
  const char *v = ty == LUA_TSTRING ? lua_tolstring(r->L, -1, &n) : NULL;
  static const char ok_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
  bool ok = ty == LUA_TNIL || (v && n >= 1 && n < sizeof s->note && strspn(v, ok_chars) == n);
  if (ok && v) memcpy(s->note, v, n + 1);
  lua_settop(r->L, t);
  return ok || fail(r, "note must be 1 to %zu of A-Z a-z 0-9 _ . -", sizeof s->note - 1);
}

/* One set of assertions from the table at t. */
static bool read_set(struct rd *r, int t, struct expect_set *s) {
  lua_State *L = r->L;
  s->min_s = s->max_s = -1;
  s->attempts = s->connections = -1;
  s->upstream_closed_s = -1;
  if (!known_fields(r, t, set_fields)) return false;
  if (lua_getfield(L, t, "status") == LUA_TNIL) {
    lua_settop(L, t);
    return fail(r, "status is required (a status or an outcome word, as a plain expect)");
  }
  lua_settop(L, t);
  if (!read_response(r, t, &s->final)) return false;
  int ty = lua_getfield(L, t, "connection");
  const char *c = ty == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (c && !strcmp(c, "closed")) s->connection = EXPECT_CONN_CLOSED;
  else if (c && !strcmp(c, "kept")) s->connection = EXPECT_CONN_KEPT;
  else if (ty != LUA_TNIL) return lua_settop(L, t), fail(r, "connection must be \"closed\" or \"kept\"");
  lua_settop(L, t);
  if (!read_number(r, t, "min_s", &s->min_s) || !read_number(r, t, "max_s", &s->max_s) ||
      !opt_integer(r, t, "attempts", 0, 1000000, &s->attempts) ||
      !opt_integer(r, t, "connections", 0, 1000000, &s->connections) || !read_log(r, t, s) ||
      !read_upstream_closed(r, t, s) || !read_note(r, t, s))
    return false;
  if (s->min_s >= 0 && s->max_s >= 0 && s->min_s > s->max_s)
    return fail(r, "min_s (%g s) is greater than max_s (%g s): no exchange can last both", s->min_s, s->max_s);
  bool one = lua_getfield(L, t, "upstream") != LUA_TNIL, many = lua_getfield(L, t, "upstream_requests") != LUA_TNIL;
  lua_settop(L, t);
  if (one && many) return fail(r, "give upstream (the first request) or upstream_requests (a list), not both");
  if (one) {
    if (!(s->upstream = calloc(1, sizeof *s->upstream))) return fail(r, "out of memory");
    s->nupstream = 1;
    char base[sizeof r->where];
    snprintf(base, sizeof base, "%s", r->where);
    snprintf(r->where, sizeof r->where, "%.110s.upstream", base);
    bool ok = lua_getfield(L, t, "upstream") != LUA_TTABLE || nkeys(L, lua_gettop(L)) > 0 || fail_empty(r, NULL);
    ok = ok && read_upstream(r, lua_gettop(L), s->upstream);
    lua_settop(L, t);
    if (!ok) return false;
    snprintf(r->where, sizeof r->where, "%s", base);
  }
  if (many) {
    s->upstream_list = true;
    if (!read_list(r, t, "upstream_requests", sizeof *s->upstream, (void **)&s->upstream, &s->nupstream, 100,
                   one_upstream))
      return false;
  }
  lua_getfield(L, t, "responses");
  bool responses = !lua_isnil(L, -1);
  lua_settop(L, t);
  return !responses || read_list(r, t, "responses", sizeof *s->responses, (void **)&s->responses,
                                 &s->nresponses, 100, one_response);
}

struct expectation *expectation_read(lua_State *L, int idx, char *err, size_t errlen) {
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  struct rd r = {.L = L, .err = err, .errlen = errlen};
  snprintf(r.where, sizeof r.where, "expect");
  struct expectation *e = calloc(1, sizeof *e);
  if (!e) return fail(&r, "out of memory"), NULL;
  if (nkeys(L, idx) == 0) {
    free(e);
    return fail_empty(&r, NULL), NULL;
  }
  bool ok = true;
  lua_rawgeti(L, idx, 1);
  bool list = !lua_isnil(L, -1);
  e->list = list;
  lua_settop(L, top);
  size_t n = 1;
  if (list) {
    size_t keys = 0;
    n = lua_rawlen(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) keys++, lua_pop(L, 1);
    if (keys != n || n > 16)
      ok = fail(&r, "a list of alternatives (each a status, an outcome word or a table of assertions) holds 1 to 16 "
                    "items and nothing else; a table of assertions alone is { status = ..., ... }");
  }
  if (ok && !(e->alt = calloc(n, sizeof *e->alt))) ok = fail(&r, "out of memory");
  for (size_t i = 0; ok && i < n; i++) {
    struct expect_set *s = &e->alt[i];
    if (list) {
      snprintf(r.where, sizeof r.where, "expect[%zu]", i + 1);
      lua_rawgeti(L, idx, (lua_Integer)i + 1);
    } else {
      lua_pushvalue(L, idx);
    }
    int t = lua_gettop(L);
    e->n = i + 1;
    if (lua_istable(L, t)) {
      ok = read_set(&r, t, s);
    } else {
      s->min_s = s->max_s = -1;
      s->attempts = s->connections = -1;
      s->upstream_closed_s = -1;
      s->final.body.length = -1;
      ok = status_word(&r, t, &s->final.status);
    }
    lua_settop(L, top);
  }
  if (!ok) {
    expectation_free(e);
    return NULL;
  }
  return e;
}

static void free_headers(struct expect_headers *h) {
  for (size_t i = 0; i < h->n; i++) {
    if (h->v[i].kind == EXPECT_H_MATCH && h->v[i].value) regfree(&h->v[i].re);
    free(h->v[i].name);
    free(h->v[i].value);
  }
  free(h->v);
}

static void free_response(struct expect_response *x) {
  free(x->status);
  free(x->reason);
  free_headers(&x->headers);
  free(x->body.equal);
  if (x->body.match) regfree(&x->body.re);
  free(x->body.match);
}

void expectation_free(struct expectation *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n; i++) {
    struct expect_set *s = &e->alt[i];
    free_response(&s->final);
    for (size_t k = 0; k < s->nupstream; k++) {
      free(s->upstream[k].method);
      free(s->upstream[k].target);
      free(s->upstream[k].version);
      free_headers(&s->upstream[k].headers);
    }
    free(s->upstream);
    for (size_t k = 0; k < s->nlog; k++) {
      regfree(&s->log[k].re);
      free(s->log[k].proxy);
      free(s->log[k].pattern);
    }
    free(s->log);
    for (size_t k = 0; k < s->nresponses; k++) free_response(&s->responses[k]);
    free(s->responses);
  }
  free(e->alt);
  free(e);
}

bool expectation_asks_connection(const struct expectation *e) {
  for (size_t i = 0; e && i < e->n; i++)
    if (e->alt[i].connection != EXPECT_CONN_ANY) return true;
  return false;
}

bool expectation_asks_upstream_closed(const struct expectation *e) {
  for (size_t i = 0; e && i < e->n; i++)
    if (e->alt[i].upstream_closed != EXPECT_UPCLOSED_ANY) return true;
  return false;
}

/* "expect" or "expect[2]": where alternative i is, as a message says it. */
static void alt_where(const struct expectation *e, size_t i, char *out, size_t len) {
  if (e->list) snprintf(out, len, "expect[%zu]", i + 1);
  else snprintf(out, len, "expect");
}

bool expectation_fits(const struct expectation *e, int nupstreams, int nrequests, char *err, size_t errlen) {
  char where[32];
  for (size_t i = 0; e && i < e->n; i++) {
    const struct expect_set *s = &e->alt[i];
    alt_where(e, i, where, sizeof where);
    for (size_t k = 0; k < s->nupstream; k++) {
      if (s->upstream[k].upstream <= nupstreams) continue;
      char at[48] = ".upstream";
      if (s->upstream_list) snprintf(at, sizeof at, ".upstream_requests[%zu]", k + 1);
      snprintf(err, errlen, "%s%s: upstream = %d, but the scenario has %d upstream%s (upstreams = N)", where, at,
               s->upstream[k].upstream, nupstreams, nupstreams == 1 ? "" : "s");
      return false;
    }
    if (nrequests > 0 && s->nresponses > (size_t)nrequests) {
      snprintf(err, errlen, "%s: responses lists %zu responses, but the client part sends %d request%s", where,
               s->nresponses, nrequests, nrequests == 1 ? "" : "s");
      return false;
    }
  }
  return true;
}
