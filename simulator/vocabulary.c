/* vocabulary.c: step constructors, scenario{} and response{} for scenario files.
 *
 * Every constructor has the same shape: check its arguments (errors name the caller's
 * file:line through luaL_error), fill a struct step, return it as a "badup.step" userdata.
 * The order rules of a whole plan are checked by plan_check when the list is converted. */
#include "vocabulary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "client_part.h"
#include "expectation.h"
#include "outcome.h"
#include "response.h"
#include "scenario.h"
#include "h2_vocabulary.h"
#include "tls_vocabulary.h"

#define STEP_META "badup.step"
#define SCENARIO_META "badup.scenario"

/* A step as a Lua value: the step and the bytes it sends, in one block. */
struct lstep {
  struct step s;
  char data[];
};

static int caller_line(lua_State *L) {
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar)) return ar.currentline;
  return 0;
}

/* Stack: +1 (the step). */
static struct lstep *new_step(lua_State *L, enum step_op op, const char *bytes, size_t len) {
  struct lstep *ls = lua_newuserdatauv(L, sizeof *ls + len, 0);
  memset(&ls->s, 0, sizeof ls->s);
  ls->s.op = op;
  ls->s.line = caller_line(L);
  ls->s.seconds = STEP_FOREVER;
  ls->s.len = len;
  if (len) memcpy(ls->data, bytes, len);
  ls->s.bytes = ls->data;
  luaL_setmetatable(L, STEP_META);
  return ls;
}

static void no_args(lua_State *L, const char *name) {
  if (lua_gettop(L) != 0) luaL_error(L, "%s() takes no arguments", name);
}

static double check_seconds(lua_State *L, int arg, const char *what) {
  lua_Number t = luaL_checknumber(L, arg);
  if (!(t >= 0) || !isfinite(t) || t > 86400) luaL_error(L, "%s must be between 0 and 86400 seconds, got %f", what, (double)t);
  return (double)t;
}

/* Listener steps and the other argument-less ones share one constructor body. */
#define SIMPLE_CTOR(fn, op, name)        \
  static int fn(lua_State *L) {          \
    no_args(L, name);                    \
    new_step(L, op, NULL, 0);            \
    return 1;                            \
  }
SIMPLE_CTOR(ctor_refuse, STEP_REFUSE, "refuse")
SIMPLE_CTOR(ctor_blackhole, STEP_BLACKHOLE, "blackhole")

/* accept_close([wait]) / accept_reset([wait]): the fault comes once the peer's whole request
 * is in (RFC 9112 framing; bytes that are no request count as in), or after `wait` seconds
 * (default 1); 0 acts right after the accept, racing the peer's own connect(). */
static int accept_ctor(lua_State *L, enum step_op op, const char *name) {
  if (lua_gettop(L) > 1) return luaL_error(L, "%s() takes at most one argument: the seconds to wait for the peer's request", name);
  double wait = lua_isnoneornil(L, 1) ? 1.0 : check_seconds(L, 1, name);
  struct lstep *ls = new_step(L, op, NULL, 0);
  ls->s.seconds = wait;
  return 1;
}
static int ctor_accept_close(lua_State *L) { return accept_ctor(L, STEP_ACCEPT_CLOSE, "accept_close"); }
static int ctor_accept_reset(lua_State *L) { return accept_ctor(L, STEP_ACCEPT_RESET, "accept_reset"); }

/* barrier(name [, seconds]): wait until `name` is reached (POST /barriers/NAME; the
 * harness's client reaches "response_head" when it has the final response's header
 * section), at most `seconds` (default 1), then go on. */
static int ctor_barrier(lua_State *L) {
  size_t len;
  const char *name = luaL_checklstring(L, 1, &len);
  if (lua_gettop(L) > 2) return luaL_error(L, "barrier() takes a name and a bound in seconds");
  if (!barrier_name_valid(name, len))
    return luaL_error(L, "barrier(): the name must be 1 to %d characters of A-Z a-z 0-9 _ . -, got '%s'",
                      BARRIER_NAME_MAX - 1, name);
  double bound = lua_isnoneornil(L, 2) ? 1.0 : check_seconds(L, 2, "barrier()'s bound");
  if (!(bound > 0)) return luaL_error(L, "barrier(): the bound must be more than 0 seconds (every wait ends)");
  struct lstep *ls = new_step(L, STEP_BARRIER, name, len);
  ls->s.seconds = bound;
  return 1;
}
/* reach(name): the upstream reaches barrier `name` itself, as POST /barriers/NAME does: a
 * connection waiting at barrier(name) goes on, and so does a client that waits for it
 * (request{ wait = { barrier = name } }). */
static int ctor_reach(lua_State *L) {
  size_t len;
  const char *name = luaL_checklstring(L, 1, &len);
  if (lua_gettop(L) != 1) return luaL_error(L, "reach() takes one barrier name");
  if (!barrier_name_valid(name, len))
    return luaL_error(L, "reach(): the name must be 1 to %d characters of A-Z a-z 0-9 _ . -, got '%s'",
                      BARRIER_NAME_MAX - 1, name);
  new_step(L, STEP_REACH, name, len);
  return 1;
}
SIMPLE_CTOR(ctor_rxreq, STEP_RXREQ, "rxreq")
SIMPLE_CTOR(ctor_rxhdrs, STEP_RXHDRS, "rxhdrs")
SIMPLE_CTOR(ctor_stopread, STEP_STOPREAD, "stopread")
/* close() / close{ close_notify = false }: the FIN; inside TLS a close_notify alert goes
 * first (RFC 8446 6.1) unless close_notify = false, which ends the TLS stream with a bare
 * FIN, as a crashed or careless server does (a truncation attack's shape to its peer). */
static int ctor_close(lua_State *L) {
  bool notify = true;
  if (!lua_isnoneornil(L, 1)) {
    if (lua_gettop(L) != 1 || !lua_istable(L, 1))
      return luaL_error(L, "close() takes no argument or a table { close_notify = false }");
    static const char *const known[] = {"close_notify", NULL};
    vocabulary_check_fields(L, 1, known, "close{}");
    int ty = lua_getfield(L, 1, "close_notify");
    if (ty != LUA_TNIL && ty != LUA_TBOOLEAN) return luaL_error(L, "close{}: close_notify must be a boolean");
    notify = ty == LUA_TNIL || lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  struct lstep *ls = new_step(L, STEP_CLOSE, NULL, 0);
  ls->s.n = notify ? 0 : 1;
  return 1;
}
SIMPLE_CTOR(ctor_reset, STEP_RESET, "reset")
SIMPLE_CTOR(ctor_halfclose, STEP_HALFCLOSE, "halfclose")

static int ctor_send(lua_State *L) {
  size_t len;
  const char *b = luaL_checklstring(L, 1, &len);
  if (lua_gettop(L) > 1) return luaL_error(L, "send() takes one string");
  new_step(L, STEP_SEND, b, len);
  return 1;
}

static int ctor_dribble(lua_State *L) {
  size_t len;
  const char *b = luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 1 || n > (1 << 20)) return luaL_error(L, "dribble(): the piece size must be between 1 and 1048576 bytes");
  double every = check_seconds(L, 3, "dribble()'s interval");
  struct lstep *ls = new_step(L, STEP_DRIBBLE, b, len);
  ls->s.n = (uint32_t)n;
  ls->s.seconds = every;
  return 1;
}

static int ctor_stall(lua_State *L) {
  double t = STEP_FOREVER;
  if (!lua_isnoneornil(L, 1)) t = check_seconds(L, 1, "stall()'s duration");
  struct lstep *ls = new_step(L, STEP_STALL, NULL, 0);
  ls->s.seconds = t;
  return 1;
}

static int ctor_keepalive(lua_State *L) {
  double idle = STEP_FOREVER;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "idle") != 0)
        return luaL_error(L, "keepalive{}: unknown field '%s' (known: idle)", luaL_tolstring(L, -1, NULL));
    }
    if (lua_getfield(L, 1, "idle") != LUA_TNIL) idle = check_seconds(L, -1, "keepalive{idle}");
    lua_pop(L, 1);
  }
  struct lstep *ls = new_step(L, STEP_KEEPALIVE, NULL, 0);
  ls->s.seconds = idle;
  return 1;
}

/* ---- response{} ------------------------------------------------------------------ */

static const char *const response_fields[] = {"status", "reason", "version", "status_line", "headers",
                                              "body", "chunks", "last_chunk", "length", NULL};

void vocabulary_check_fields(lua_State *L, int t, const char *const *known, const char *what) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; known[i]; i++)
        if (strcmp(lua_tostring(L, -1), known[i]) == 0) ok = true;
    if (!ok) {
      lua_pushvalue(L, -1);
      luaL_error(L, "%s: unknown field '%s'", what, luaL_tolstring(L, -1, NULL));
    }
  }
}

void vocabulary_check_prelude(lua_State *L, int h, const char *what, bool (*allowed)(enum step_op),
                              const char *allowed_list, const char *why_end) {
  if (!lua_istable(L, h)) luaL_error(L, "scenario{}: %s must be a list of steps", what);
  size_t n = lua_rawlen(L, h);
  if (n == 0) luaL_error(L, "scenario{}: %s needs at least one step", what);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, h, (lua_Integer)i);
    const struct step *s = vocabulary_test_step(L, -1);
    if (!s) luaL_error(L, "scenario{}: %s item %d is not a step", what, (int)i);
    if (!allowed(s->op))
      luaL_error(L, "scenario{}: %s: %s() has no place there (line %d); the steps there are %s", what,
                 step_names[s->op], s->line, allowed_list);
    bool ends = s->op == STEP_CLOSE || s->op == STEP_RESET || s->op == STEP_HALFCLOSE ||
                (s->op == STEP_STALL && s->seconds == STEP_FOREVER);
    if (i == n && !ends)
      luaL_error(L, "scenario{}: %s must end with close(), reset(), halfclose() or stall() (line %d): %s", what,
                 s->line, why_end);
    lua_pop(L, 1);
  }
}

static const char *opt_string_field(lua_State *L, int t, const char *k, size_t *len, const char *what) {
  int ty = lua_getfield(L, t, k);
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    return NULL;
  }
  if (ty != LUA_TSTRING) luaL_error(L, "%s: field '%s' must be a string, got %s", what, k, luaL_typename(L, -1));
  const char *s = lua_tolstring(L, -1, len);
  lua_pop(L, 1); /* still referenced by the table, so s stays valid */
  return s;
}

static int cmp_header(const void *a, const void *b) {
  const struct resp_bytes *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->p, y->p, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Builds the bytes from the table at t and pushes them as a string. Header lines made of a
 * name and a value are assembled in a Lua buffer table so they stay alive meanwhile. */
static void push_response(lua_State *L, int t, const char *what) {
  t = lua_absindex(L, t);
  luaL_checktype(L, t, LUA_TTABLE);
  vocabulary_check_fields(L, t, response_fields, what);
  struct resp_spec spec = {.status = 200, .length = RESP_LENGTH_AUTO, .last_chunk = true};

  if (lua_getfield(L, t, "status") != LUA_TNIL) {
    if (!lua_isinteger(L, -1)) luaL_error(L, "%s: status must be an integer", what);
    spec.status = (long)lua_tointeger(L, -1);
    if (spec.status < 0 || spec.status > 99999) luaL_error(L, "%s: status must be between 0 and 99999", what);
  }
  lua_pop(L, 1);
  spec.reason = opt_string_field(L, t, "reason", NULL, what);
  spec.version = opt_string_field(L, t, "version", NULL, what);
  spec.status_line.p = opt_string_field(L, t, "status_line", &spec.status_line.len, what);
  spec.body.p = opt_string_field(L, t, "body", &spec.body.len, what);
  if (!spec.body.p) spec.body.p = "";

  int ty = lua_getfield(L, t, "length");
  if (ty == LUA_TBOOLEAN) {
    if (lua_toboolean(L, -1)) luaL_error(L, "%s: length must be a number or false", what);
    spec.length = RESP_LENGTH_NONE;
  } else if (ty != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0) luaL_error(L, "%s: length must be a non-negative integer or false", what);
    spec.length = (long)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "last_chunk") != LUA_TNIL) spec.last_chunk = lua_toboolean(L, -1);
  lua_pop(L, 1);

  /* Keep every string we point into alive in an anchor table at the top. */
  lua_newtable(L);
  int anchor = lua_gettop(L);
  int nanchor = 0;

  size_t nheaders = 0, cap = 0;
  struct resp_bytes *headers = NULL;
  struct resp_bytes *chunks = NULL;
  if (lua_getfield(L, t, "headers") != LUA_TNIL) {
    int h = lua_gettop(L);
    if (!lua_istable(L, h)) luaL_error(L, "%s: headers must be a table", what);
    lua_Integer n = (lua_Integer)lua_rawlen(L, h);
    size_t nmap = 0;
    lua_pushnil(L);
    while (lua_next(L, h)) {
      nmap++;
      lua_pop(L, 1);
    }
    cap = nmap;
    headers = lua_newuserdatauv(L, (cap ? cap : 1) * sizeof *headers, 0);
    lua_rawseti(L, anchor, ++nanchor);
    for (lua_Integer i = 1; i <= n; i++) {
      int vt = lua_rawgeti(L, h, i);
      if (vt == LUA_TSTRING) {
        headers[nheaders].p = lua_tolstring(L, -1, &headers[nheaders].len);
        lua_rawseti(L, anchor, ++nanchor);
      } else if (vt == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        if (!lua_isstring(L, -2) || !lua_isstring(L, -1))
          luaL_error(L, "%s: header %d must be {name, value} strings", what, (int)i);
        lua_pushliteral(L, ": ");
        lua_insert(L, -2);
        lua_concat(L, 3);
        headers[nheaders].p = lua_tolstring(L, -1, &headers[nheaders].len);
        lua_rawseti(L, anchor, ++nanchor);
        lua_pop(L, 1);
      } else {
        luaL_error(L, "%s: header %d must be a \"Name: value\" string or a {name, value} pair", what, (int)i);
      }
      nheaders++;
    }
    /* The map part: non-integer keys, written sorted so output does not depend on hashing. */
    size_t first_map = nheaders;
    lua_pushnil(L);
    while (lua_next(L, h)) {
      if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= n) {
        lua_pop(L, 1);
        continue;
      }
      if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
        luaL_error(L, "%s: headers map entries must be [\"Name\"] = \"value\"", what);
      lua_pushvalue(L, -2);
      lua_pushliteral(L, ": ");
      lua_pushvalue(L, -3);
      lua_concat(L, 3);
      headers[nheaders].p = lua_tolstring(L, -1, &headers[nheaders].len);
      lua_rawseti(L, anchor, ++nanchor);
      nheaders++;
      lua_pop(L, 1);
    }
    qsort(headers + first_map, nheaders - first_map, sizeof *headers, cmp_header);
  }
  lua_pop(L, 1);

  if (lua_getfield(L, t, "chunks") != LUA_TNIL) {
    int c = lua_gettop(L);
    if (!lua_istable(L, c)) luaL_error(L, "%s: chunks must be a list of strings", what);
    size_t n = lua_rawlen(L, c);
    chunks = lua_newuserdatauv(L, (n ? n : 1) * sizeof *chunks, 0);
    lua_rawseti(L, anchor, ++nanchor);
    for (size_t i = 0; i < n; i++) {
      if (lua_rawgeti(L, c, (lua_Integer)i + 1) != LUA_TSTRING) luaL_error(L, "%s: chunk %d must be a string", what, (int)i + 1);
      chunks[i].p = lua_tolstring(L, -1, &chunks[i].len);
      lua_pop(L, 1);
    }
    spec.chunks = chunks;
    spec.nchunks = n;
  }
  lua_pop(L, 1);
  spec.headers = headers;
  spec.nheaders = nheaders;

  struct buf out = {0};
  resp_build(&spec, &out);
  if (out.oom) {
    buf_free(&out);
    luaL_error(L, "%s: out of memory", what);
  }
  lua_pushlstring(L, out.data ? out.data : "", out.len);
  buf_free(&out);
  lua_remove(L, anchor);
}

static int fn_response(lua_State *L) {
  push_response(L, 1, "response{}");
  return 1;
}

static int ctor_txresp(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  push_response(L, 1, "txresp{}");
  size_t len;
  const char *b = lua_tolstring(L, -1, &len);
  new_step(L, STEP_TXRESP, b, len);
  return 1;
}

struct step *vocabulary_new_step(lua_State *L, enum step_op op, const char *bytes, size_t len) {
  return &new_step(L, op, bytes, len)->s;
}

const struct step *vocabulary_test_step(lua_State *L, int idx) {
  struct lstep *ls = luaL_testudata(L, idx, STEP_META);
  return ls ? &ls->s : NULL;
}

static int step_tostring(lua_State *L) {
  struct lstep *ls = luaL_checkudata(L, 1, STEP_META);
  lua_pushfstring(L, "%s() step (line %d)", step_names[ls->s.op], ls->s.line);
  return 1;
}

/* ---- plans -------------------------------------------------------------------------- */

/* The steps of a Lua list, borrowed: each points into its userdata, which the list keeps
 * alive. Short lists need no allocation. */
struct step_list {
  const struct step *small[32];
  const struct step **v;
  size_t n;
};

static void step_list_free(struct step_list *sl) {
  if (sl->v != sl->small) free(sl->v);
  sl->v = NULL;
}

/* Reads the list of steps at idx into sl and checks their order (plan_check). Returns 0,
 * or -1 with *err set to "source:line: message". Release sl with step_list_free either way. */
static int step_list_read(lua_State *L, int idx, const char *source, int fallback_line, struct step_list *sl,
                          struct buf *err) {
  idx = lua_absindex(L, idx);
  err->len = 0;
  sl->v = sl->small;
  sl->n = 0;
  if (!lua_istable(L, idx)) {
    buf_printf(err, "%s:%d: a plan must be a list of steps, got %s", source, fallback_line, luaL_typename(L, idx));
    return -1;
  }
  size_t n = lua_rawlen(L, idx);
  if (n > 1000) n = 1001; /* plan_check reports it */
  if (n > sizeof sl->small / sizeof *sl->small && !(sl->v = malloc(n * sizeof *sl->v))) {
    sl->v = sl->small;
    buf_printf(err, "%s:%d: out of memory", source, fallback_line);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    struct lstep *ls = luaL_testudata(L, -1, STEP_META);
    if (!ls) {
      buf_printf(err, "%s:%d: plan item %zu is not a step (got %s); steps are made by calling close(), txresp{...}, ...",
                 source, fallback_line, i + 1, luaL_typename(L, -1));
      lua_pop(L, 1);
      return -1;
    }
    sl->v[i] = &ls->s; /* the table keeps the userdata alive */
    lua_pop(L, 1);
  }
  sl->n = n;
  size_t bad;
  const char *why = plan_check(sl->v, n, &bad);
  if (why) {
    buf_printf(err, "%s:%d: %s", source, n ? sl->v[bad < n ? bad : n - 1]->line : fallback_line, why);
    return -1;
  }
  return 0;
}

/* ---- scenario{} -------------------------------------------------------------------- */

static bool has_key(lua_State *L, int t, const char *k) {
  bool has = lua_getfield(L, t, k) != LUA_TNIL;
  lua_pop(L, 1);
  return has;
}

static const char *const scenario_fields[] = {"summary", "expect", "plan", "rfc", "continue100", "requests", "check", "client_request", "upstreams", "client", "forward", "proxy_read_timeout", "tls", "client_tls", "http2", NULL};
static const char *const check_fields_list[] = {"min_s", "max_s", "attempts", "log", NULL};

/* Checks the plan at idx (a static plan now, so a wrong order is a load error at the
 * step's line; a function when it is called). Only checked: scenario_load compiles the list
 * the returned table holds then, once. Raises. */
static void check_plan(lua_State *L, int idx, const char *what) {
  int ty = lua_type(L, idx);
  if (ty == LUA_TFUNCTION) return;
  if (ty != LUA_TTABLE) {
    luaL_error(L, "%s must be a list of steps or a function(req) returning one", what);
    return;
  }
  lua_Debug ar;
  const char *src = "?";
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar)) src = ar.short_src;
  struct buf err = {0};
  struct step_list sl;
  int rc = step_list_read(L, idx, src, caller_line(L), &sl, &err);
  for (size_t i = 0; rc == 0 && i < sl.n; i++)
    if (sl.v[i]->op == STEP_TLS_ALERT) {
      /* After the handshake an alert is a record of the session, which OpenSSL writes only
       * as close_notify: a raw one would be read as application data. */
      buf_printf(&err, "%s:%d: tls_alert() acts before the handshake only: put it in tls = { handshake = { ... } }",
                 src, sl.v[i]->line);
      rc = -1;
    }
  step_list_free(&sl);
  if (rc != 0) {
    lua_pushlstring(L, err.data ? err.data : "invalid plan", err.len);
    buf_free(&err);
    lua_error(L);
  }
  buf_free(&err);
}

/* upstreams = { {plan = ...}, ... }: 1 to SCENARIO_MAX_UPSTREAMS entries, each a table with
 * a plan of its own (listener steps allowed: each upstream has its own port). Raises. */
static void check_upstreams(lua_State *L, int t) {
  size_t n = lua_rawlen(L, t);
  size_t keys = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) keys++, lua_pop(L, 1);
  if (n < 1 || n > SCENARIO_MAX_UPSTREAMS || keys != n)
    luaL_error(L, "scenario{}: upstreams must be an integer from 1 to %d, or a list of 1 to %d { plan = ... }, one per upstream",
               SCENARIO_MAX_UPSTREAMS, SCENARIO_MAX_UPSTREAMS);
  static const char *const known[] = {"plan", NULL};
  for (size_t i = 1; i <= n; i++) {
    char what[64];
    snprintf(what, sizeof what, "scenario{}: upstreams[%zu]", i);
    if (lua_rawgeti(L, t, (lua_Integer)i) != LUA_TTABLE) luaL_error(L, "%s must be a table { plan = ... }", what);
    vocabulary_check_fields(L, lua_gettop(L), known, what);
    lua_getfield(L, -1, "plan");
    snprintf(what, sizeof what, "scenario{}: upstreams[%zu].plan", i);
    check_plan(L, lua_gettop(L), what);
    lua_pop(L, 2);
  }
}

/* An expect table's assertions that only the rest of the scenario can show wrong (every
 * field checked already): `upstream = K` past the scenario's upstreams, more `responses`
 * than the client part sends requests. Raises. */
static void check_expect_fits(lua_State *L) {
  if (lua_getfield(L, 1, "expect") != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  int ty = lua_getfield(L, 1, "upstreams");
  int nupstreams = ty == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : ty == LUA_TTABLE ? (int)lua_rawlen(L, -1) : 1;
  lua_pop(L, 1);
  int nrequests = lua_getfield(L, 1, "client") == LUA_TTABLE ? (int)lua_rawlen(L, -1) : 0;
  int client = lua_gettop(L);
  for (int i = 1; i <= nrequests; i++) {
    /* raw bytes may hold several requests (pipelined): then how many is not known here */
    if (lua_rawgeti(L, client, i) == LUA_TTABLE && lua_getfield(L, -1, "raw") != LUA_TNIL) nrequests = 0;
    lua_settop(L, client);
  }
  lua_pop(L, 1);
  char why[512];
  struct expectation *e = expectation_read(L, -1, why, sizeof why);
  bool fits = e && expectation_fits(e, nupstreams, nrequests, why, sizeof why);
  expectation_free(e);
  if (!fits) luaL_error(L, "scenario{}: %s", why);
  lua_pop(L, 1);
}

static int fn_scenario(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_gettop(L) != 1) return luaL_error(L, "scenario takes one table: scenario { ... }");
  vocabulary_check_fields(L, 1, scenario_fields, "scenario{}");
  if (lua_getfield(L, 1, "summary") != LUA_TSTRING || lua_rawlen(L, -1) == 0)
    return luaL_error(L, "scenario{}: summary must be a non-empty string");
  lua_pop(L, 1);
  int ty = lua_getfield(L, 1, "expect");
  /* The accepted words come from outcome.h's list, never spelled out here. */
  char words[256];
  outcome_expect_describe(words, sizeof words);
  if (ty == LUA_TTABLE) {
    /* Assertions (expectation.h): checked here, converted again by scenario_load. */
    char why[512];
    struct expectation *e = expectation_read(L, -1, why, sizeof why);
    if (!e) return luaL_error(L, "scenario{}: %s", why);
    expectation_free(e);
    lua_pop(L, 1);
    /* An assertion built from a ctx value that is not set is silently left out (`equal =
     * { Server = ctx.server }` holds no Server); a list or map it empties is caught above,
     * one it only shortens is not. So reading an unset value beside a table expect is an
     * error; rawget(ctx, "name") reads an optional one without it. */
    bool unset = lua_getfield(L, LUA_REGISTRYINDEX, EXPECT_CTX_UNSET) == LUA_TTABLE && lua_rawlen(L, -1) > 0;
    if (unset) {
      char names[400];
      size_t used = 0;
      names[0] = 0;
      for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1) && used < sizeof names; i++) {
        lua_rawgeti(L, -1, i);
        used += (size_t)snprintf(names + used, sizeof names - used, "%sctx.%.40s", i > 1 ? ", " : "",
                                 lua_tostring(L, -1));
        lua_pop(L, 1);
      }
      return luaL_error(L,
                        "scenario{}: the file read %s (not set), and its expect is a table: an assertion built from "
                        "it would assert nothing; pass --set NAME=VALUE, or read an optional value with "
                        "rawget(ctx, \"NAME\")",
                        names);
    }
    lua_pop(L, 1);
  } else {
    if (ty == LUA_TNUMBER) {
      lua_pushstring(L, lua_tostring(L, -1));
      lua_remove(L, -2);
    } else if (ty != LUA_TSTRING) {
      return luaL_error(L, "scenario{}: expect is required: %s, or a table of assertions", words);
    }
    if (!outcome_expect_valid(lua_tostring(L, -1)))
      return luaL_error(L, "scenario{}: expect '%s' is not %s", lua_tostring(L, -1), words);
    lua_setfield(L, 1, "expect"); /* normalised to a string */
  }
  ty = lua_getfield(L, 1, "rfc");
  if (ty != LUA_TNIL && ty != LUA_TSTRING) return luaL_error(L, "scenario{}: rfc must be a string");
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "continue100");
  if (ty != LUA_TNIL && ty != LUA_TBOOLEAN) return luaL_error(L, "scenario{}: continue100 must be a boolean");
  lua_pop(L, 1);
  /* forward = true | { auth = true }: the case needs the proxy in forward mode (RFC 9110 3.7),
   * with Basic proxy authentication (RFC 9110 11.7). */
  ty = lua_getfield(L, 1, "forward");
  if (ty == LUA_TTABLE) {
    static const char *const fwd_fields[] = {"auth", NULL};
    vocabulary_check_fields(L, lua_gettop(L), fwd_fields, "scenario{}.forward");
    if (lua_getfield(L, -1, "auth") != LUA_TNIL && !lua_isboolean(L, -1))
      return luaL_error(L, "scenario{}: forward.auth must be a boolean");
    lua_pop(L, 1);
  } else if (ty != LUA_TNIL && ty != LUA_TBOOLEAN) {
    return luaL_error(L, "scenario{}: forward must be true or { auth = true } (the proxy as a forward proxy)");
  }
  lua_pop(L, 1);
  /* client_tls = true | { handshake = ... }: the scenario is about the proxy's TLS frontend
   * (badup run --client-tls) and is skipped without it; handshake says what the client does
   * instead of a whole TLS handshake (docs/scenarios.md, "Client-side TLS"). */
  ty = lua_getfield(L, 1, "client_tls");
  if (ty == LUA_TTABLE) {
    static const char *const ctls_fields[] = {"handshake", NULL};
    vocabulary_check_fields(L, lua_gettop(L), ctls_fields, "scenario{}.client_tls");
    lua_getfield(L, -1, "handshake");
    if (lua_type(L, -1) != LUA_TSTRING || scenario_client_handshake_parse(lua_tostring(L, -1)) < 0)
      return luaL_error(L, "scenario{}: client_tls.handshake must be \"none\" (plain bytes to the TLS port), "
                           "\"client_hello_then_stall\" or \"client_hello_then_reset\"");
    lua_pop(L, 1);
  } else if (ty != LUA_TNIL && !(ty == LUA_TBOOLEAN && lua_toboolean(L, -1))) {
    return luaL_error(L, "scenario{}: client_tls must be true or { handshake = \"...\" } (the scenario needs "
                         "badup run --client-tls)");
  }
  lua_pop(L, 1);
  /* proxy_read_timeout = S: the upstream read timeout the proxies get for this scenario, in
   * place of the run's: a scenario about a client-side timer must not race the upstream one. */
  ty = lua_getfield(L, 1, "proxy_read_timeout");
  /* Whole seconds: several proxies take no fraction there (apache's timeout=, squid, ATS).
   * Up to 600, like --read-timeout: a scenario may derive it from --client-timeout (600 too). */
  if (ty != LUA_TNIL && (ty != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 1) || lua_tonumber(L, -1) > 600 ||
                         lua_tonumber(L, -1) != floor(lua_tonumber(L, -1))))
    return luaL_error(L, "scenario{}: proxy_read_timeout must be whole seconds from 1 to 600 (the upstream read "
                         "timeout the proxies get for this scenario)");
  lua_pop(L, 1);
  if (lua_getfield(L, 1, "tls") != LUA_TNIL) tls_table_check(L, lua_gettop(L));
  lua_pop(L, 1);
  bool has_http2 = lua_getfield(L, 1, "http2") != LUA_TNIL;
  if (has_http2) h2_table_check(L, lua_gettop(L));
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "requests");
  if (ty != LUA_TNIL && (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 10))
    return luaL_error(L, "scenario{}: requests must be an integer from 1 to 10 (the harness sends that many, one after the other)");
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "client_request");
  if (ty != LUA_TNIL && (ty != LUA_TSTRING || lua_rawlen(L, -1) == 0))
    return luaL_error(L, "scenario{}: client_request must be the non-empty bytes the harness sends to the proxy");
  lua_pop(L, 1);
  /* The client part: a scripted client in place of curl's GET or client_request's bytes. */
  if (lua_getfield(L, 1, "client") != LUA_TNIL) {
    if (has_key(L, 1, "client_request") || has_key(L, 1, "requests"))
      return luaL_error(L, "scenario{}: client replaces client_request and requests: use one of them");
    /* upstreams is checked below: here only how many a ${upstreamK} may name. */
    lua_getfield(L, 1, "upstreams");
    int nups = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 1;
    lua_pop(L, 1);
    client_part_check(L, -1, nups >= 1 && nups <= SCENARIO_MAX_UPSTREAMS ? nups : SCENARIO_MAX_UPSTREAMS);
  }
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "check");
  if (ty != LUA_TNIL) {
    if (ty != LUA_TTABLE) return luaL_error(L, "scenario{}: check must be a table {min_s=, max_s=, attempts=}");
    vocabulary_check_fields(L, lua_gettop(L), check_fields_list, "scenario{}.check");
    static const char *const nums[] = {"min_s", "max_s", "attempts"};
    for (int i = 0; i < 3; i++) {
      int ct = lua_getfield(L, -1, nums[i]);
      if (ct != LUA_TNIL && (ct != LUA_TNUMBER || lua_tonumber(L, -1) < 0))
        return luaL_error(L, "scenario{}: check.%s must be a non-negative number", nums[i]);
      lua_pop(L, 1);
    }
    lua_getfield(L, -1, "min_s");
    lua_getfield(L, -2, "max_s");
    if (!lua_isnil(L, -2) && !lua_isnil(L, -1) && lua_tonumber(L, -2) > lua_tonumber(L, -1)) {
      char why[160]; /* lua_pushfstring has no %g */
      snprintf(why, sizeof why, "check.min_s (%g s) is greater than check.max_s (%g s): no outcome can come in both",
               (double)lua_tonumber(L, -2), (double)lua_tonumber(L, -1));
      return luaL_error(L, "scenario{}: %s", why);
    }
    lua_pop(L, 2);
    int lt = lua_getfield(L, -1, "log");
    if (lt != LUA_TNIL) {
      bool ok = lt == LUA_TTABLE;
      if (ok) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          ok &= lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING;
          lua_pop(L, 1);
        }
      }
      if (!ok) return luaL_error(L, "scenario{}: check.log must map proxy names to patterns: { haproxy = \"SH%%-%%-\" }");
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "upstreams");
  bool own_plans = ty == LUA_TTABLE;
  if (own_plans) check_upstreams(L, lua_gettop(L));
  else if (ty != LUA_TNIL && (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > SCENARIO_MAX_UPSTREAMS))
    return luaL_error(L, "scenario{}: upstreams must be an integer from 1 to %d, or a list of { plan = ... }, one per upstream",
                      SCENARIO_MAX_UPSTREAMS);
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "plan");
  if (ty == LUA_TNIL && !own_plans && (tls_has_handshake(L, 1) || h2_has_preface(L, 1))) {
    /* Its handshake steps answer every connection: no request ever comes. A request routed
     * here from another scenario's session (a folder) gets a FIN. */
    lua_pop(L, 1);
    lua_createtable(L, 1, 0);
    vocabulary_new_step(L, STEP_CLOSE, NULL, 0);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "plan");
  }
  if (own_plans && ty != LUA_TNIL)
    return luaL_error(L, "scenario{}: with upstreams = { {plan = ...}, ... } each upstream has its own plan: drop the plan at the top");
  if (!own_plans) check_plan(L, lua_gettop(L), "scenario{}: plan");
  if (!own_plans) h2_plan_check(L, lua_gettop(L), has_http2);
  lua_pop(L, 1);
  check_expect_fits(L);
  lua_pushvalue(L, 1);
  luaL_setmetatable(L, SCENARIO_META);
  return 1;
}

struct plan *vocabulary_to_plan(lua_State *L, int idx, uint32_t refs, const char *source,
                                int fallback_line, struct buf *err) {
  struct step_list sl;
  struct plan *p = NULL;
  if (step_list_read(L, idx, source, fallback_line, &sl, err) == 0) {
    p = plan_build(sl.v, sl.n, refs);
    if (!p) buf_printf(err, "%s:%d: out of memory", source, fallback_line);
  }
  step_list_free(&sl);
  return p;
}

void vocabulary_open(lua_State *L) {
  luaL_newmetatable(L, STEP_META);
  lua_pushcfunction(L, step_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "step");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, SCENARIO_META);
  lua_pop(L, 1);
  /* Every step's constructor under its name, from BADUP_STEPS (plan.h). */
  static const luaL_Reg fns[] = {
#define BADUP_STEP_REG(id, name, kind, ctor, exec) {name, ctor},
      BADUP_STEPS(BADUP_STEP_REG)
#undef BADUP_STEP_REG
      {"scenario", fn_scenario},
      {"response", fn_response},
      {NULL, NULL}};
  lua_pushglobaltable(L);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
  client_part_open(L);
}

