/* request.c: the request a plan function sees, computed on access. */
#include "request.h"

#include <ctype.h>
#include <string.h>

#include <lauxlib.h>

#define REQ_META "badup.request"
#define REQ_SLOT "badup.request.current"

struct lreq {
  const struct request *r;
};

void request_reset(struct request *r) {
  r->method[0] = 0;
  r->target.len = 0;
  r->fields.len = 0;
  r->nfields = 0;
  r->in_value = false;
  r->body.len = 0;
  r->body_truncated = false;
  r->body_length = 0;
}

void request_free(struct request *r) {
  buf_free(&r->target);
  buf_free(&r->fields);
  buf_free(&r->body);
}

void request_add_field(struct request *r, const char *p, size_t n) {
  if (r->in_value || r->nfields == 0) {
    /* A new field starts: close the previous value. */
    if (r->nfields) buf_append(&r->fields, "", 1);
    r->nfields++;
    r->in_value = false;
  }
  buf_append(&r->fields, p, n);
}

void request_add_value(struct request *r, const char *p, size_t n) {
  if (!r->in_value) {
    buf_append(&r->fields, "", 1);
    r->in_value = true;
  }
  buf_append(&r->fields, p, n);
}

void request_add_body(struct request *r, const char *p, size_t n) {
  r->body_length += n;
  size_t cap = r->body_cap ? r->body_cap : REQUEST_MAX_BODY;
  size_t room = r->body.len < cap ? cap - r->body.len : 0;
  if (n > room) {
    n = room;
    r->body_truncated = true;
  }
  buf_append(&r->body, p, n);
}

/* The last value may lack its NUL, so lengths are computed against the buffer's end. */
bool request_next_field(struct request_field_iter *it, const char **name, size_t *nlen, const char **val,
                       size_t *vlen) {
  if (it->p >= it->end) return false;
  *name = it->p;
  const char *z = memchr(it->p, 0, (size_t)(it->end - it->p));
  if (!z) { /* a field name with no value yet: the headers were cut */
    *nlen = (size_t)(it->end - it->p);
    *val = "";
    *vlen = 0;
    it->p = it->end;
    return true;
  }
  *nlen = (size_t)(z - it->p);
  *val = z + 1;
  const char *z2 = *val < it->end ? memchr(*val, 0, (size_t)(it->end - *val)) : NULL;
  *vlen = z2 ? (size_t)(z2 - *val) : (size_t)(it->end - *val);
  it->p = z2 ? z2 + 1 : it->end;
  return true;
}

static void push_lower(lua_State *L, const char *s, size_t n) {
  luaL_Buffer b;
  char *o = luaL_buffinitsize(L, &b, n);
  for (size_t i = 0; i < n; i++) o[i] = (char)tolower((unsigned char)s[i]);
  luaL_pushresultsize(&b, n);
}

static void push_headers(lua_State *L, const struct request *r) {
  lua_createtable(L, 0, (int)r->nfields);
  /* fields.data is NULL until a first header: NULL + 0 is undefined (found by fuzz_request). */
  const char *f = r->fields.data ? r->fields.data : "";
  struct request_field_iter it = {f, f + r->fields.len};
  const char *n, *v;
  size_t nl, vl;
  while (request_next_field(&it, &n, &nl, &v, &vl)) {
    push_lower(L, n, nl);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) { /* a repeat: join with ", " as RFC 9110 5.3 */
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, v, vl);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, v, vl);
    }
    lua_rawset(L, -3);
  }
}

static void push_header_list(lua_State *L, const struct request *r) {
  lua_createtable(L, (int)r->nfields, 0);
  const char *f = r->fields.data ? r->fields.data : ""; /* as in push_headers */
  struct request_field_iter it = {f, f + r->fields.len};
  const char *n, *v;
  size_t nl, vl;
  lua_Integer i = 1;
  while (request_next_field(&it, &n, &nl, &v, &vl)) {
    lua_createtable(L, 2, 0);
    lua_pushlstring(L, n, nl);
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, v, vl);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, i++);
  }
}

/* The fields a plan function can read, in the order docs/scenarios.md lists them: each
 * row is one push_<name> below, and the lookup table is generated from the list, so a
 * field cannot be listed without a reader or read without being listed. */
#define REQUEST_FIELDS(X) \
  X(method)               \
  X(target)               \
  X(path)                 \
  X(query)                \
  X(version)              \
  X(headers)              \
  X(header_list)          \
  X(body)                 \
  X(conn_id)              \
  X(conn_seq)             \
  X(seq)                  \
  X(peer)                 \
  X(scenario)             \
  X(upstream)

/* The request target; NULL until one arrived, and NULL + 0 is undefined. */
static const char *target_of(const struct request *r) { return r->target.data ? r->target.data : ""; }
static const char *query_mark(const struct request *r) { return memchr(target_of(r), '?', r->target.len); }

/* Each pushes one field's value. Stack: +1. */
static void push_method(lua_State *L, const struct request *r) { lua_pushstring(L, r->method); }
static void push_target(lua_State *L, const struct request *r) { lua_pushlstring(L, target_of(r), r->target.len); }
static void push_path(lua_State *L, const struct request *r) {
  const char *q = query_mark(r);
  lua_pushlstring(L, target_of(r), q ? (size_t)(q - target_of(r)) : r->target.len);
}
static void push_query(lua_State *L, const struct request *r) {
  const char *t = target_of(r), *q = query_mark(r);
  if (q) lua_pushlstring(L, q + 1, r->target.len - (size_t)(q - t) - 1);
  else lua_pushliteral(L, "");
}
static void push_version(lua_State *L, const struct request *r) {
  lua_pushfstring(L, "HTTP/%d.%d", (int)r->http_major, (int)r->http_minor);
}
static void push_body(lua_State *L, const struct request *r) {
  lua_pushlstring(L, r->body.data ? r->body.data : "", r->body.len);
}
static void push_conn_id(lua_State *L, const struct request *r) { lua_pushinteger(L, (lua_Integer)r->conn_id); }
static void push_conn_seq(lua_State *L, const struct request *r) { lua_pushinteger(L, (lua_Integer)r->conn_seq); }
static void push_seq(lua_State *L, const struct request *r) { lua_pushinteger(L, (lua_Integer)r->seq); }
static void push_peer(lua_State *L, const struct request *r) { lua_pushstring(L, r->peer ? r->peer : ""); }
static void push_scenario(lua_State *L, const struct request *r) { lua_pushstring(L, r->scenario ? r->scenario : ""); }
static void push_upstream(lua_State *L, const struct request *r) { lua_pushinteger(L, r->upstream ? r->upstream : 1); }

static const struct {
  const char *name;
  void (*push)(lua_State *L, const struct request *r);
} request_fields[] = {
#define REQUEST_FIELD_ROW(name) {#name, push_##name},
    REQUEST_FIELDS(REQUEST_FIELD_ROW)
#undef REQUEST_FIELD_ROW
};

/* __index: a field of the list, computed now; nil for any other key. */
static int req_index(lua_State *L) {
  struct lreq *lr = luaL_checkudata(L, 1, REQ_META);
  const struct request *r = lr->r;
  if (!r) return luaL_error(L, "the request is only available during its plan function");
  const char *k = luaL_checkstring(L, 2);
  for (size_t i = 0; i < sizeof request_fields / sizeof *request_fields; i++) {
    if (strcmp(k, request_fields[i].name) == 0) {
      request_fields[i].push(L, r);
      return 1;
    }
  }
  lua_pushnil(L);
  return 1;
}

static int req_newindex(lua_State *L) {
  return luaL_error(L, "the request is read-only");
}

void request_open(lua_State *L) {
  luaL_newmetatable(L, REQ_META);
  lua_pushcfunction(L, req_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, req_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 1);
  struct lreq *lr = lua_newuserdatauv(L, sizeof *lr, 0);
  lr->r = NULL;
  luaL_setmetatable(L, REQ_META);
  lua_setfield(L, LUA_REGISTRYINDEX, REQ_SLOT);
}

void request_push(lua_State *L, const struct request *r) {
  lua_getfield(L, LUA_REGISTRYINDEX, REQ_SLOT);
  struct lreq *lr = lua_touserdata(L, -1);
  lr->r = r;
}

void request_expire(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, REQ_SLOT);
  struct lreq *lr = lua_touserdata(L, -1);
  if (lr) lr->r = NULL;
  lua_pop(L, 1);
}
