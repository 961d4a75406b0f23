/* client_part.c: request{}, the `client` list of scenario{}, and their conversion to C. */
#include "client_part.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#define REQUEST_META "badup.client_request"

static const char *const request_fields[] = {"method", "target", "version", "headers", "host", "body", "length",
                                             "chunks", "pace", "send_body_bytes", "expect_100", "connection",
                                             "abort", "wait", "raw", NULL};
/* What a request with `raw` bytes may still say: how and when they are written. */
static const char *const build_fields[] = {"method", "target", "version", "headers", "host", "body",
                                           "length", "chunks", "send_body_bytes", "expect_100", NULL};
static const char *const connection_words[] = {"new", "same", "pipelined", NULL};
static const char *const abort_words[] = {"", "sent", "response_head", "body_bytes", "time", "barrier", NULL};

static void check_known(lua_State *L, int t, const char *const *known, const char *what) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; known[i]; i++) ok |= !strcmp(lua_tostring(L, -1), known[i]);
    if (!ok) {
      lua_pushvalue(L, -1);
      luaL_error(L, "%s: unknown field '%s'", what, luaL_tolstring(L, -1, NULL));
    }
  }
}

/* ${name} in target and header strings: a name the harness knows when the case runs. */
static void check_placeholders(lua_State *L, const char *s, size_t len, const char *what) {
  for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), "${", 2)); p += 2) {
    const char *end = memchr(p, '}', len - (size_t)(p - s));
    size_t n = end ? (size_t)(end - p - 2) : 0;
    const char *name = p + 2;
    bool ok = end && ((n == 5 && !memcmp(name, "proxy", 5)) || (n == 8 && !memcmp(name, "upstream", 8)) ||
                      (n == 8 && !memcmp(name, "scenario", 8)) || (n == 1 && name[0] == 'n') ||
                      (n == 9 && !memcmp(name, "upstream", 8) && name[8] >= '2' && name[8] <= '8') ||
                      (n == 10 && !memcmp(name, "proxy_user", 10)) || (n == 14 && !memcmp(name, "proxy_password", 14)) ||
                      (n == 17 && !memcmp(name, "proxy_credentials", 17)));
    if (!ok)
    {
      lua_pushlstring(L, p, end ? (size_t)(end - p + 1) : 2);
      luaL_error(L, "request{}: %s: unknown placeholder '%s' (known: ${proxy}, ${upstream}, ${upstream2}..${upstream8}, "
                 "${scenario}, ${n}, ${proxy_user}, ${proxy_password}, ${proxy_credentials})", what, lua_tostring(L, -1));
    }
  }
}

static double seconds_field(lua_State *L, int idx, const char *what, bool positive) {
  if (lua_type(L, idx) != LUA_TNUMBER) luaL_error(L, "request{}: %s must be a number of seconds", what);
  double t = lua_tonumber(L, idx);
  if (!(t >= 0) || !isfinite(t) || t > 86400 || (positive && !(t > 0)))
    luaL_error(L, "request{}: %s must be %s seconds", what,
               positive ? "more than 0 and at most 86400" : "between 0 and 86400");
  return t;
}

static lua_Integer count_field(lua_State *L, int idx, const char *what, lua_Integer min) {
  if (!lua_isinteger(L, idx) || lua_tointeger(L, idx) < min || lua_tointeger(L, idx) > (1 << 30))
    luaL_error(L, "request{}: %s must be an integer from %d", what, (int)min);
  return lua_tointeger(L, idx);
}

/* The body's bytes as written: body, or chunks with their framing (as client_build.c
 * writes them: "%zx\r\n" DATA "\r\n" per non-empty chunk, then "0\r\n\r\n"). */
static size_t body_bytes_of(lua_State *L, int t) {
  size_t n = 0;
  if (lua_getfield(L, t, "body") == LUA_TSTRING) n = lua_rawlen(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, t, "chunks") == LUA_TTABLE) {
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
      lua_rawgeti(L, -1, i);
      size_t len = lua_rawlen(L, -1), hex = 1;
      for (size_t v = len; v >= 16; v /= 16) hex++;
      if (len) n += hex + 2 + len + 2;
      lua_pop(L, 1);
    }
    n += 5;
  }
  lua_pop(L, 1);
  return n;
}

static void check_barrier_name(lua_State *L, int idx, const char *what) {
  size_t len;
  const char *name = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  if (!name || !barrier_name_valid(name, len))
    luaL_error(L, "request{}: %s must be a barrier name: 1 to %d characters of A-Z a-z 0-9 _ . -", what,
               BARRIER_NAME_MAX - 1);
}

/* headers: a list of "Name: value" strings or {name, value} pairs, and/or a map written
 * sorted by name (as response{}'s). Pushes the list of whole lines. */
static int cmp_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void push_header_lines(lua_State *L, int h) {
  if (!lua_istable(L, h)) luaL_error(L, "request{}: headers must be a table");
  lua_newtable(L);
  int out = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, h), k = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    int vt = lua_rawgeti(L, h, i);
    if (vt == LUA_TTABLE) {
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
        luaL_error(L, "request{}: header %d must be {name, value} strings", (int)i);
      lua_pushliteral(L, ": ");
      lua_insert(L, -2);
      lua_concat(L, 3);
      lua_remove(L, -2);
    } else if (vt != LUA_TSTRING) {
      luaL_error(L, "request{}: header %d must be a \"Name: value\" string or a {name, value} pair", (int)i);
    }
    lua_rawseti(L, out, ++k);
  }
  /* The map part, sorted so the bytes do not depend on Lua's hashing. */
  lua_Integer first = k;
  lua_pushnil(L);
  while (lua_next(L, h)) {
    if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= n) {
      lua_pop(L, 1);
      continue;
    }
    if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
      luaL_error(L, "request{}: headers map entries must be [\"Name\"] = \"value\"");
    lua_pushvalue(L, -2);
    lua_pushliteral(L, ": ");
    lua_pushvalue(L, -3);
    lua_concat(L, 3);
    lua_rawseti(L, out, ++k);
    lua_pop(L, 1);
  }
  if (k - first > 1) {
    const char **v = lua_newuserdatauv(L, (size_t)(k - first) * sizeof *v, 0);
    for (lua_Integer i = first + 1; i <= k; i++) {
      lua_rawgeti(L, out, i);
      v[i - first - 1] = lua_tostring(L, -1);
      lua_pop(L, 1); /* the table keeps the string */
    }
    qsort(v, (size_t)(k - first), sizeof *v, cmp_lines);
    lua_newtable(L); /* the sorted strings, before they are written back over themselves */
    for (lua_Integer i = 0; i < k - first; i++) {
      lua_pushstring(L, v[i]);
      lua_rawseti(L, -2, i + 1);
    }
    for (lua_Integer i = 0; i < k - first; i++) {
      lua_rawgeti(L, -1, i + 1);
      lua_rawseti(L, out, first + i + 1);
    }
    lua_pop(L, 2);
  }
  for (lua_Integer i = 1; i <= k; i++) {
    lua_rawgeti(L, out, i);
    size_t len;
    const char *line = lua_tolstring(L, -1, &len);
    check_placeholders(L, line, len, "a header");
    lua_pop(L, 1);
  }
}

/* request{...}: checks the table and returns a checked copy (a "badup.request" table with
 * the line it was written on). */
static int ctor_request(lua_State *L) {
  if (lua_gettop(L) > 1) return luaL_error(L, "request{} takes one table: request { method = \"POST\", ... }");
  if (lua_isnoneornil(L, 1)) { /* request() is request{}: every default */
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  check_known(L, 1, request_fields, "request{}");
  lua_newtable(L);
  int out = lua_gettop(L);
  lua_Debug ar;
  lua_pushinteger(L, lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) ? ar.currentline : 0);
  lua_setfield(L, out, "line");
  bool raw = lua_getfield(L, 1, "raw") != LUA_TNIL;
  if (raw) {
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
      return luaL_error(L, "request{}: raw must be the non-empty bytes to send");
    for (int i = 0; build_fields[i]; i++) {
      if (lua_getfield(L, 1, build_fields[i]) != LUA_TNIL)
        return luaL_error(L, "request{}: '%s' builds a request, and raw gives its exact bytes: use one or the other",
                          build_fields[i]);
      lua_pop(L, 1);
    }
    lua_setfield(L, out, "raw");
  } else {
    lua_pop(L, 1);
  }
  static const char *const strings[] = {"method", "target", "version", "body"};
  for (int i = 0; i < 4; i++) {
    int ty = lua_getfield(L, 1, strings[i]);
    if (ty != LUA_TNIL && ty != LUA_TSTRING) return luaL_error(L, "request{}: %s must be a string", strings[i]);
    if (i == 0 && ty == LUA_TSTRING && lua_rawlen(L, -1) == 0) return luaL_error(L, "request{}: method must not be empty");
    if (i == 1 && ty == LUA_TSTRING) check_placeholders(L, lua_tostring(L, -1), lua_rawlen(L, -1), "target");
    lua_setfield(L, out, strings[i]);
  }
  if (lua_getfield(L, 1, "headers") != LUA_TNIL) {
    push_header_lines(L, lua_gettop(L));
    lua_setfield(L, out, "headers");
  }
  lua_pop(L, 1);
  int ty = lua_getfield(L, 1, "host");
  if (ty != LUA_TNIL && ty != LUA_TBOOLEAN) return luaL_error(L, "request{}: host must be a boolean");
  lua_setfield(L, out, "host");
  ty = lua_getfield(L, 1, "length");
  if (ty == LUA_TBOOLEAN && lua_toboolean(L, -1)) return luaL_error(L, "request{}: length must be a number or false");
  if (ty != LUA_TNIL && ty != LUA_TBOOLEAN) count_field(L, -1, "length", 0);
  lua_setfield(L, out, "length");
  if (lua_getfield(L, 1, "chunks") != LUA_TNIL) {
    if (!lua_istable(L, -1)) return luaL_error(L, "request{}: chunks must be a list of strings");
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING) return luaL_error(L, "request{}: chunk %d must be a string", (int)i);
      lua_pop(L, 1);
    }
    if (lua_getfield(L, 1, "body") != LUA_TNIL)
      return luaL_error(L, "request{}: body and chunks both give the body: use one");
    lua_pop(L, 1);
  }
  lua_setfield(L, out, "chunks");
  if (lua_getfield(L, 1, "pace") != LUA_TNIL) {
    int p = lua_gettop(L);
    if (!lua_istable(L, p)) return luaL_error(L, "request{}: pace must be { bytes = N, every = seconds }");
    static const char *const pace_fields[] = {"bytes", "every", NULL};
    check_known(L, p, pace_fields, "request{}.pace");
    lua_getfield(L, p, "bytes");
    count_field(L, -1, "pace.bytes", 1);
    lua_getfield(L, p, "every");
    seconds_field(L, -1, "pace.every", true);
    lua_pop(L, 2);
  }
  lua_setfield(L, out, "pace");
  if (lua_getfield(L, 1, "send_body_bytes") != LUA_TNIL) {
    lua_Integer held = count_field(L, -1, "send_body_bytes", 0);
    /* More than the body would hold nothing back: the stall the field asks for never comes. */
    size_t whole = body_bytes_of(L, 1);
    if (!raw && (size_t)held > whole)
      return luaL_error(L, "request{}: send_body_bytes is %d, more than the body's %d bytes (the body would all be "
                        "sent, nothing held back)", (int)held, (int)whole);
  }
  lua_setfield(L, out, "send_body_bytes");
  if (lua_getfield(L, 1, "expect_100") != LUA_TNIL) seconds_field(L, -1, "expect_100", true);
  lua_setfield(L, out, "expect_100");
  if (lua_getfield(L, 1, "connection") != LUA_TNIL) {
    const char *w = lua_tostring(L, -1);
    bool ok = lua_type(L, -1) == LUA_TSTRING;
    for (int i = 0; ok && connection_words[i]; i++)
      if (!strcmp(w, connection_words[i])) ok = false, lua_pushinteger(L, i), lua_replace(L, -2);
    if (lua_type(L, -1) != LUA_TNUMBER)
      return luaL_error(L, "request{}: connection must be \"new\", \"same\" or \"pipelined\"");
  }
  lua_setfield(L, out, "connection");
  if (lua_getfield(L, 1, "abort") != LUA_TNIL) {
    int a = lua_gettop(L);
    if (!lua_istable(L, a)) return luaL_error(L, "request{}: abort must be { at = ..., how = \"fin\"|\"reset\" }");
    static const char *const abort_fields[] = {"at", "bytes", "after_s", "barrier", "how", NULL};
    check_known(L, a, abort_fields, "request{}.abort");
    int at = 0;
    if (lua_getfield(L, a, "at") == LUA_TSTRING)
      for (int i = 1; abort_words[i]; i++)
        if (!strcmp(lua_tostring(L, -1), abort_words[i])) at = i;
    if (!at)
      return luaL_error(L, "request{}: abort.at must be \"sent\", \"response_head\", \"body_bytes\", \"time\" or \"barrier\"");
    /* Each point has its one parameter, required, and no other. */
    static const char *const params[] = {NULL, NULL, NULL, "bytes", "after_s", "barrier"};
    for (int i = 3; i <= 5; i++) {
      bool given = lua_getfield(L, a, params[i]) != LUA_TNIL;
      if (given != (i == at))
        return luaL_error(L, given ? "request{}: abort.%s is only for at = \"%s\"" : "request{}: abort at \"%s\" needs abort.%s",
                          given ? params[i] : abort_words[at], given ? abort_words[i] : params[at]);
      if (given && i == 3) count_field(L, -1, "abort.bytes", 1);
      if (given && i == 4) seconds_field(L, -1, "abort.after_s", false);
      if (given && i == 5) check_barrier_name(L, -1, "abort.barrier");
      lua_pop(L, 1);
    }
    int how = lua_getfield(L, a, "how");
    if (how != LUA_TNIL && (how != LUA_TSTRING || (strcmp(lua_tostring(L, -1), "fin") && strcmp(lua_tostring(L, -1), "reset"))))
      return luaL_error(L, "request{}: abort.how must be \"fin\" or \"reset\"");
    lua_pop(L, 2);
  }
  lua_setfield(L, out, "abort");
  if (lua_getfield(L, 1, "wait") != LUA_TNIL) {
    int w = lua_gettop(L);
    if (!lua_istable(L, w)) return luaL_error(L, "request{}: wait must be { barrier = \"name\", s = seconds }");
    static const char *const wait_fields[] = {"barrier", "s", NULL};
    check_known(L, w, wait_fields, "request{}.wait");
    lua_getfield(L, w, "barrier");
    check_barrier_name(L, -1, "wait.barrier");
    if (lua_getfield(L, w, "s") != LUA_TNIL) seconds_field(L, -1, "wait.s", true);
    lua_pop(L, 2);
  }
  lua_setfield(L, out, "wait");
  luaL_setmetatable(L, REQUEST_META);
  return 1;
}

static int request_tostring(lua_State *L) {
  lua_getfield(L, 1, "line");
  lua_pushfstring(L, "request{} (line %d)", (int)lua_tointeger(L, -1));
  return 1;
}

void client_part_open(lua_State *L) {
  luaL_newmetatable(L, REQUEST_META);
  lua_pushcfunction(L, request_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "request");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  lua_register(L, "request", ctor_request);
}

/* ---- the list as a whole ------------------------------------------------------------- */

static bool has_field(lua_State *L, int t, const char *k) {
  bool has = lua_getfield(L, t, k) != LUA_TNIL;
  lua_pop(L, 1);
  return has;
}

static int connection_of(lua_State *L, int t, size_t i) {
  lua_getfield(L, t, "connection");
  int c = lua_isnil(L, -1) ? (i == 0 ? CLIENT_CONN_NEW : CLIENT_CONN_SAME) : (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return c;
}

/* Raises "src:line: message" at the line of the request{} on the stack top. */
static void request_error(lua_State *L, const char *src, int t, const char *msg, size_t i) {
  lua_getfield(L, t, "line");
  int line = (int)lua_tointeger(L, -1);
  lua_pushfstring(L, "%s:%d: scenario{}: client request %d: %s", src, line, (int)i + 1, msg);
  lua_error(L);
}

/* The highest K of ${upstreamK} in s (${upstream} is 1); 0 when none. */
static int highest_upstream(const char *s, size_t len) {
  int k = 0;
  for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), "${upstream", 10)); p += 10) {
    size_t left = len - (size_t)(p - s);
    int u = left > 10 && p[10] == '}' ? 1 : left > 11 && p[10] >= '2' && p[10] <= '8' && p[11] == '}' ? p[10] - '0' : 0;
    if (u > k) k = u;
  }
  return k;
}

/* ${upstreamK} in the target or a header of request i must name one of the scenario's
 * nupstreams upstreams: a case could never fill it in. */
static void check_upstream_refs(lua_State *L, const char *src, int t, size_t i, int nupstreams) {
  int k = 0;
  if (lua_getfield(L, t, "target") == LUA_TSTRING) k = highest_upstream(lua_tostring(L, -1), lua_rawlen(L, -1));
  lua_pop(L, 1);
  if (lua_getfield(L, t, "headers") == LUA_TTABLE)
    for (lua_Integer h = 1; h <= (lua_Integer)lua_rawlen(L, -1); h++) {
      lua_rawgeti(L, -1, h);
      int u = lua_type(L, -1) == LUA_TSTRING ? highest_upstream(lua_tostring(L, -1), lua_rawlen(L, -1)) : 0;
      if (u > k) k = u;
      lua_pop(L, 1);
    }
  lua_pop(L, 1);
  if (k > nupstreams)
    request_error(L, src, t,
                  lua_pushfstring(L, "${upstream%d} names upstream %d, and the scenario has %d (upstreams = N gives more)",
                                  k, k, nupstreams), i);
}

void client_part_check(lua_State *L, int idx, int nupstreams) {
  idx = lua_absindex(L, idx);
  lua_Debug ar;
  const char *src = "?";
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar)) src = ar.short_src;
  if (!lua_istable(L, idx)) luaL_error(L, "scenario{}: client must be a list of request{...}");
  size_t n = lua_rawlen(L, idx), keys = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) keys++, lua_pop(L, 1);
  if (n == 0 || keys != n || n > CLIENT_PART_MAX)
    luaL_error(L, "scenario{}: client must be a list of 1 to %d request{...}", CLIENT_PART_MAX);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    int t = lua_gettop(L);
    bool is_request = lua_istable(L, t) && lua_getmetatable(L, t);
    if (is_request) {
      luaL_getmetatable(L, REQUEST_META);
      is_request = lua_rawequal(L, -1, -2);
      lua_pop(L, 2);
    }
    if (!is_request) luaL_error(L, "scenario{}: client item %d is not a request{...}", (int)i + 1);
    int c = connection_of(L, t, i);
    if (i == 0 && c != CLIENT_CONN_NEW)
      request_error(L, src, t, "the first request has no earlier connection: connection must be \"new\"", i);
    bool next_pipelined = false;
    if (i + 1 < n) {
      lua_rawgeti(L, idx, (lua_Integer)i + 2);
      next_pipelined = connection_of(L, lua_gettop(L), i + 1) == CLIENT_CONN_PIPELINED;
      lua_pop(L, 1);
    }
    /* Pipelined requests go out in one write with the one they follow: nothing can be
     * paced, held back or waited for between them. */
    if (c == CLIENT_CONN_PIPELINED || next_pipelined) {
      static const char *const alone[] = {"pace", "send_body_bytes", "expect_100", NULL};
      for (int k = 0; alone[k]; k++)
        if (has_field(L, t, alone[k]))
          request_error(L, src, t,
                        lua_pushfstring(L, "%s cannot be used on a pipelined request or the one it follows (they "
                                        "are written at once)", alone[k]), i);
    }
    check_upstream_refs(L, src, t, i, nupstreams);
    if (c == CLIENT_CONN_PIPELINED && has_field(L, t, "wait"))
      request_error(L, src, t, "wait cannot be used on a pipelined request (it is written with the one before)", i);
    lua_pop(L, 1);
  }
}

/* ---- conversion ---------------------------------------------------------------------- */

static char *dup_str(lua_State *L, int t, const char *k, const char *dflt, bool *oom) {
  lua_getfield(L, t, k);
  const char *v = lua_isstring(L, -1) ? lua_tostring(L, -1) : dflt;
  char *s = v ? strdup(v) : NULL;
  if (v && !s) *oom = true;
  lua_pop(L, 1);
  return s;
}

static struct client_bytes dup_bytes(lua_State *L, int idx, bool *oom) {
  size_t len = 0;
  const char *v = lua_tolstring(L, idx, &len);
  struct client_bytes b = {malloc(len + 1), len};
  if (!b.p) *oom = true;
  else memcpy(b.p, v, len), b.p[len] = 0;
  return b;
}

static double num_field(lua_State *L, int t, const char *k, double dflt) {
  lua_getfield(L, t, k);
  double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : dflt;
  lua_pop(L, 1);
  return v;
}

static void read_request(lua_State *L, int t, size_t i, struct client_request *q, bool *oom) {
  q->line = (int)num_field(L, t, "line", 0);
  if (lua_getfield(L, t, "raw") == LUA_TSTRING) q->raw = dup_bytes(L, -1, oom);
  lua_pop(L, 1);
  q->method = dup_str(L, t, "method", "GET", oom);
  q->target = dup_str(L, t, "target", NULL, oom);
  q->version = dup_str(L, t, "version", "HTTP/1.1", oom);
  if (lua_getfield(L, t, "headers") == LUA_TTABLE) {
    size_t n = lua_rawlen(L, -1);
    q->headers = calloc(n ? n : 1, sizeof *q->headers);
    if (!q->headers) *oom = true;
    for (size_t k = 0; q->headers && k < n; k++) {
      lua_rawgeti(L, -1, (lua_Integer)k + 1);
      if (!(q->headers[k] = strdup(lua_tostring(L, -1)))) *oom = true;
      q->nheaders++;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, t, "host");
  q->host = lua_isnil(L, -1) || lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, t, "body") == LUA_TSTRING) q->body = dup_bytes(L, -1, oom);
  lua_pop(L, 1);
  int ty = lua_getfield(L, t, "length");
  q->length = ty == LUA_TBOOLEAN ? CLIENT_LENGTH_NONE : ty == LUA_TNUMBER ? (long)lua_tointeger(L, -1) : CLIENT_LENGTH_AUTO;
  lua_pop(L, 1);
  if (lua_getfield(L, t, "chunks") == LUA_TTABLE) {
    size_t n = lua_rawlen(L, -1);
    q->chunks = calloc(n ? n : 1, sizeof *q->chunks);
    if (!q->chunks) *oom = true;
    for (size_t k = 0; q->chunks && k < n; k++) {
      lua_rawgeti(L, -1, (lua_Integer)k + 1);
      q->chunks[q->nchunks++] = dup_bytes(L, -1, oom);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "pace") == LUA_TTABLE) {
    q->pace_bytes = (size_t)num_field(L, lua_gettop(L), "bytes", 0);
    q->pace_every = num_field(L, lua_gettop(L), "every", 0);
  }
  lua_pop(L, 1);
  q->send_body_bytes = (long)num_field(L, t, "send_body_bytes", -1);
  q->expect_100 = num_field(L, t, "expect_100", -1);
  q->connection = (enum client_connection)connection_of(L, t, i);
  if (lua_getfield(L, t, "abort") == LUA_TTABLE) {
    int a = lua_gettop(L);
    lua_getfield(L, a, "at");
    for (int k = 1; abort_words[k]; k++)
      if (!strcmp(lua_tostring(L, -1), abort_words[k])) q->abort.at = (enum client_abort_at)k;
    lua_pop(L, 1);
    q->abort.bytes = (size_t)num_field(L, a, "bytes", 0);
    q->abort.after_s = num_field(L, a, "after_s", 0);
    if (lua_getfield(L, a, "barrier") == LUA_TSTRING)
      strncpy(q->abort.barrier, lua_tostring(L, -1), sizeof q->abort.barrier - 1);
    lua_getfield(L, a, "how");
    q->abort.reset = lua_isstring(L, -1) && !strcmp(lua_tostring(L, -1), "reset");
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "wait") == LUA_TTABLE) {
    lua_getfield(L, -1, "barrier");
    strncpy(q->wait.barrier, lua_tostring(L, -1), sizeof q->wait.barrier - 1);
    lua_pop(L, 1);
    q->wait.s = num_field(L, lua_gettop(L), "s", 1.0);
  }
  lua_pop(L, 1);
}

struct client_part *client_part_from_lua(lua_State *L, int idx, const char *file, struct buf *err) {
  idx = lua_absindex(L, idx);
  size_t n = lua_rawlen(L, idx);
  struct client_part *c = calloc(1, sizeof *c);
  bool oom = !c;
  if (c && !(c->requests = calloc(n ? n : 1, sizeof *c->requests))) oom = true;
  for (size_t i = 0; !oom && i < n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    read_request(L, lua_gettop(L), i, &c->requests[i], &oom);
    c->n++;
    lua_pop(L, 1);
  }
  if (oom) {
    client_part_free(c);
    buf_printf(err, "%s:1: out of memory", file);
    return NULL;
  }
  return c;
}

void client_part_free(struct client_part *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) {
    struct client_request *q = &c->requests[i];
    free(q->raw.p);
    free(q->method);
    free(q->target);
    free(q->version);
    for (size_t k = 0; k < q->nheaders; k++) free(q->headers[k]);
    free(q->headers);
    free(q->body.p);
    for (size_t k = 0; k < q->nchunks; k++) free(q->chunks[k].p);
    free(q->chunks);
  }
  free(c->requests);
  free(c);
}
