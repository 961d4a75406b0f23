/* scenario.c: loading a scenario file and calling its plan function. */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "timeouts.h"
#include "h2_vocabulary.h"
#include "tls_vocabulary.h"
#include "vocabulary.h"

const char *const scenario_kind_names[3] = {"static", "function", "listener"};

/* ctx's __index: a read of a ctx value that is not set. Its name is remembered (expectation.h's
 * EXPECT_CTX_UNSET), so an assertion it left empty can say why; the read gives nil. */
static int ctx_unset_read(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING && lua_getfield(L, LUA_REGISTRYINDEX, EXPECT_CTX_UNSET) == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    bool known = false;
    for (lua_Integer i = 1; i <= n && !known; i++) {
      lua_rawgeti(L, -1, i);
      known = lua_rawequal(L, -1, 2);
      lua_pop(L, 1);
    }
    if (!known && n < EXPECT_CTX_UNSET_MAX) {
      lua_pushvalue(L, 2);
      lua_rawseti(L, -2, n + 1);
    }
  }
  lua_pushnil(L);
  return 1;
}

static void set_ctx(lua_State *L, const struct scenario_opts *o) {
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, EXPECT_CTX_UNSET);
  lua_createtable(L, 0, 6);
  lua_pushnumber(L, BADUP_CONNECT_TIMEOUT_S);
  lua_setfield(L, -2, "connect_timeout");
  lua_pushnumber(L, BADUP_READ_TIMEOUT_S);
  lua_setfield(L, -2, "read_timeout");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "retries");
  lua_pushnumber(L, BADUP_CLIENT_TIMEOUT_S);
  lua_setfield(L, -2, "client_timeout");
  lua_pushinteger(L, BADUP_MAX_BODY);
  lua_setfield(L, -2, "max_body");
  for (size_t i = 0; i < o->nctx; i++) {
    const char *v = o->ctx[i].value;
    if (!strcmp(v, "true") || !strcmp(v, "false")) lua_pushboolean(L, v[0] == 't');
    else if (!lua_stringtonumber(L, v)) lua_pushstring(L, v);
    lua_setfield(L, -2, o->ctx[i].name);
  }
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, ctx_unset_read);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setglobal(L, "ctx");
}

/* "502|200": every alternative's status once, in order (scenario_expect_text). */
static char *expect_text_of(const struct expectation *e) {
  struct buf b = {0};
  for (size_t i = 0; i < e->n; i++) {
    const char *w = e->alt[i].final.status;
    bool again = false;
    for (size_t k = 0; k < i && !again; k++) again = !strcmp(w, e->alt[k].final.status);
    if (!again) buf_printf(&b, "%s%s", b.len ? "|" : "", w);
  }
  char *text = b.oom ? NULL : strdup(buf_cstr(&b));
  buf_free(&b);
  return text;
}

static char *name_of(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 4 && strcmp(base + n - 4, ".lua") == 0) n -= 4;
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, base, n);
    s[n] = 0;
  }
  return s;
}

static char *dup_field(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  const char *v = lua_tostring(L, -1);
  char *s = v ? strdup(v) : NULL;
  lua_pop(L, 1);
  return s;
}

static bool is_scenario(lua_State *L, int idx) {
  if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return false;
  luaL_getmetatable(L, "badup.scenario");
  bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

/* FNV-1a 64 over the file's lines that are not comments ("--" first, after blanks and
 * tabs), each with a newline: a comment that changes does not change what the scenario
 * does, and must not make its recorded outcomes stale. Not a security digest: it tells
 * apart two files that share a name. "" when the file cannot be read. */
static void file_digest(const char *path, char out[17]) {
  out[0] = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return;
  struct buf b = {0};
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len < (4u << 20)) buf_append(&b, tmp, n);
  fclose(f);
  if (b.oom) {
    buf_free(&b);
    return;
  }
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < b.len;) {
    size_t end = i;
    while (end < b.len && b.data[end] != '\n') end++;
    size_t k = i;
    while (k < end && (b.data[k] == ' ' || b.data[k] == '\t')) k++;
    bool comment = end - k >= 2 && b.data[k] == '-' && b.data[k + 1] == '-';
    if (!comment) {
      for (size_t j = i; j < end; j++) h = (h ^ (unsigned char)b.data[j]) * 0x100000001b3ull;
      h = (h ^ (unsigned char)'\n') * 0x100000001b3ull;
    }
    i = end + 1;
  }
  buf_free(&b);
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The plan at the top of the stack (popped) into *u: a function is kept in the registry,
 * a list is compiled. 0, or -1 with *err set. */
static int load_plan(lua_State *L, const char *path, struct upstream_plan *u, struct buf *err) {
  if (lua_type(L, -1) == LUA_TFUNCTION) {
    u->kind = SCENARIO_FUNCTION;
    u->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
  }
  u->plan = vocabulary_to_plan(L, -1, 0, path, 1, err);
  lua_pop(L, 1);
  if (!u->plan) return -1;
  u->kind = u->plan->listener != STEP__COUNT ? SCENARIO_LISTENER : SCENARIO_STATIC;
  return 0;
}

const char *const scenario_client_handshake_names[] = {
    [CLIENT_HANDSHAKE_FULL] = "full",
    [CLIENT_HANDSHAKE_NONE] = "none",
    [CLIENT_HANDSHAKE_HELLO_STALL] = "client_hello_then_stall",
    [CLIENT_HANDSHAKE_HELLO_RESET] = "client_hello_then_reset",
};

int scenario_client_handshake_parse(const char *name) {
  for (int i = CLIENT_HANDSHAKE_NONE; i <= CLIENT_HANDSHAKE_HELLO_RESET; i++)
    if (!strcmp(name, scenario_client_handshake_names[i])) return i;
  return -1;
}

struct upstream_plan scenario_upstream(const struct scenario *s, int up) {
  if (up > 0 && s->more && up < s->nupstreams) return s->more[up - 1];
  return (struct upstream_plan){.kind = s->kind, .plan = s->plan, .fn_ref = s->fn_ref};
}

int scenario_load(struct scenario *s, const char *path, const struct scenario_opts *o,
                  struct buf *err) {
  memset(s, 0, sizeof *s);
  s->fn_ref = LUA_NOREF;
  s->name = name_of(path);
  s->file = strdup(path);
  err->len = 0;
  if (!s->name || !s->file || sandbox_open(&s->sb, s->name, o->unsafe, o->mem_cap, o->budget, o->seed) != 0) {
    buf_printf(err, "%s:1: out of memory", path);
    goto fail;
  }
  lua_State *L = s->sb.L;
  vocabulary_open(L);
  request_open(L);
  set_ctx(L, o);
  if (sandbox_loadfile(&s->sb, path, err) != LUA_OK) goto fail_msg;
  int st = sandbox_pcall(&s->sb, 0, 1, err);
  if (st == LUA_ERRMEM) {
    /* Lua gives memory errors no position; the file as a whole is to blame. */
    struct buf msg = {0};
    buf_printf(&msg, "%s:1: %s while loading the file", path, buf_cstr(err));
    buf_free(err);
    *err = msg;
  }
  if (st != LUA_OK) goto fail_msg;
  if (!is_scenario(L, -1)) {
    lua_settop(L, 0);
    buf_printf(err, "%s:1: the file must end with: return scenario { summary = ..., expect = ..., plan = ... }", path);
    goto fail;
  }
  int t = lua_gettop(L);
  s->summary = dup_field(L, t, "summary");
  if (lua_getfield(L, t, "expect") == LUA_TTABLE) {
    char why[512];
    s->expectation = expectation_read(L, -1, why, sizeof why);
    if (!s->expectation) {
      lua_settop(L, 0);
      buf_printf(err, "%s:1: scenario{}: %s", path, why);
      goto fail;
    }
    s->expect = strdup(s->expectation->alt[0].final.status);
    s->expect_text = expect_text_of(s->expectation);
  } else {
    s->expect = lua_tostring(L, -1) ? strdup(lua_tostring(L, -1)) : NULL;
  }
  lua_pop(L, 1);
  s->rfc = dup_field(L, t, "rfc");
  lua_getfield(L, t, "continue100");
  s->continue100 = lua_isnil(L, -1) ? true : lua_toboolean(L, -1);
  lua_pop(L, 1);
  int fty = lua_getfield(L, t, "forward");
  s->forward = fty == LUA_TTABLE || lua_toboolean(L, -1);
  if (fty == LUA_TTABLE) {
    lua_getfield(L, -1, "auth");
    s->forward_auth = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_getfield(L, t, "proxy_read_timeout");
  s->proxy_read_timeout = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
  lua_pop(L, 1);
  if (lua_getfield(L, t, "tls") == LUA_TTABLE && !(s->tls = scenario_tls_from_lua(L, -1, path, err))) goto fail;
  lua_pop(L, 1);
  if (lua_getfield(L, t, "http2") != LUA_TNIL && !(s->http2 = scenario_http2_from_lua(L, -1, path, err))) goto fail;
  lua_pop(L, 1);
  lua_getfield(L, t, "requests");
  s->requests = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 1;
  lua_pop(L, 1);
  s->check_min_s = s->check_max_s = -1;
  s->check_attempts = -1;
  if (lua_getfield(L, t, "client_request") == LUA_TSTRING) {
    size_t n;
    const char *b = lua_tolstring(L, -1, &n);
    s->client_request = malloc(n);
    if (s->client_request) memcpy(s->client_request, b, n), s->client_request_len = n;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "client") == LUA_TTABLE && !(s->client = client_part_from_lua(L, -1, path, err))) goto fail;
  lua_pop(L, 1);
  int cty = lua_getfield(L, t, "client_tls"); /* checked by scenario{} */
  s->client_tls = cty == LUA_TTABLE || lua_toboolean(L, -1);
  if (cty == LUA_TTABLE && lua_getfield(L, -1, "handshake") == LUA_TSTRING) {
    int h = scenario_client_handshake_parse(lua_tostring(L, -1));
    s->client_handshake = h > 0 ? (enum scenario_client_handshake)h : CLIENT_HANDSHAKE_FULL;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "check") == LUA_TTABLE) {
    if (lua_getfield(L, -1, "min_s") == LUA_TNUMBER) s->check_min_s = lua_tonumber(L, -1);
    if (lua_getfield(L, -2, "max_s") == LUA_TNUMBER) s->check_max_s = lua_tonumber(L, -1);
    if (lua_getfield(L, -3, "attempts") == LUA_TNUMBER) s->check_attempts = (int)lua_tonumber(L, -1);
    lua_pop(L, 3);
    if (lua_getfield(L, -1, "log") == LUA_TTABLE) {
      size_t n = 0;
      lua_pushnil(L);
      while (lua_next(L, -2)) n++, lua_pop(L, 1);
      s->check_log = calloc(2 * n + 1, sizeof *s->check_log);
      size_t i = 0;
      lua_pushnil(L);
      while (s->check_log && lua_next(L, -2)) {
        s->check_log[i++] = strdup(lua_tostring(L, -2));
        s->check_log[i++] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (!s->summary || !s->expect || (s->expectation && !s->expect_text)) {
    buf_printf(err, "%s:1: out of memory", path);
    goto fail;
  }
  file_digest(path, s->digest);
  s->nupstreams = 1;
  int ut = lua_getfield(L, t, "upstreams");
  if (ut == LUA_TNUMBER) {
    s->nupstreams = (int)lua_tointeger(L, -1); /* fn_scenario checked 1..8 */
  } else if (ut == LUA_TTABLE) {
    /* Each upstream its own plan (fn_scenario checked the list and each plan). */
    s->nupstreams = (int)lua_rawlen(L, -1);
    if (s->nupstreams > 1 && !(s->more = calloc((size_t)s->nupstreams - 1, sizeof *s->more))) {
      buf_printf(err, "%s:1: out of memory", path);
      goto fail;
    }
    for (int i = 0; i < s->nupstreams; i++) {
      struct upstream_plan u = {.fn_ref = LUA_NOREF};
      lua_rawgeti(L, -1, i + 1);
      lua_getfield(L, -1, "plan");
      int rc = load_plan(L, path, &u, err);
      lua_pop(L, 1);
      if (i == 0) s->kind = u.kind, s->plan = u.plan, s->fn_ref = u.fn_ref;
      else s->more[i - 1] = u;
      if (rc != 0) goto fail_msg;
    }
  }
  lua_pop(L, 1);
  if (ut != LUA_TTABLE) {
    struct upstream_plan u = {.fn_ref = LUA_NOREF};
    lua_getfield(L, t, "plan");
    int rc = load_plan(L, path, &u, err);
    s->kind = u.kind, s->plan = u.plan, s->fn_ref = u.fn_ref;
    if (rc != 0) goto fail_msg;
  }
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
fail_msg: {
  /* Keep the first line only: at load time the traceback says nothing the line does not. */
  char *nl = err->data ? memchr(err->data, '\n', err->len) : NULL;
  if (nl) err->len = (size_t)(nl - err->data);
  sandbox_restore_path(err, path);
  sandbox_ensure_path(err, path);
}
fail:
  scenario_unload(s);
  return -1;
}

struct plan *scenario_call(struct scenario *s, const struct request *req, struct buf *err) {
  lua_State *L = s->sb.L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, scenario_upstream(s, req && req->upstream ? req->upstream - 1 : 0).fn_ref);
  lua_Debug ar;
  lua_pushvalue(L, -1);
  int line = lua_getinfo(L, ">S", &ar) ? ar.linedefined : 0;
  request_push(L, req);
  int st = sandbox_pcall(&s->sb, 1, 1, err);
  request_expire(L);
  if (st == LUA_ERRMEM) {
    /* Lua gives memory errors no position: the plan function is where it happened. */
    struct buf msg = {0};
    buf_printf(&msg, "%s:%d: %s (in the plan function)", s->file, line, buf_cstr(err));
    buf_free(err);
    *err = msg;
  }
  if (st != LUA_OK) {
    sandbox_restore_path(err, s->file);
    buf_cstr(err);
    return NULL;
  }
  struct plan *p = vocabulary_to_plan(L, -1, 1, s->file, line, err);
  lua_pop(L, 1);
  if (p && p->listener != STEP__COUNT) {
    /* The connection is already accepted: a listener fault cannot happen any more. */
    buf_printf(err, "%s:%d: %s() is a listener step and only works in a static plan; a plan function can return { reset() } or { close() }",
               s->file, p->steps[0].line, step_names[p->listener]);
    plan_unref(p);
    p = NULL;
  }
  for (uint16_t i = 0; p && !s->http2 && i < p->nsteps; i++)
    if (h2_step_is_frame(p->steps[i].op)) {
      buf_printf(err, "%s:%d: %s() sends an HTTP/2 frame: the scenario needs http2 = true", s->file, p->steps[i].line,
                 step_names[p->steps[i].op]);
      plan_unref(p);
      p = NULL;
    }
  for (uint16_t i = 0; p && i < p->nsteps; i++)
    if (p->steps[i].op == STEP_TLS_ALERT) {
      buf_printf(err, "%s:%d: tls_alert() acts before the handshake only: put it in tls = { handshake = { ... } }",
                 s->file, p->steps[i].line);
      plan_unref(p);
      p = NULL;
    }
  if (!p) {
    buf_puts(err, " (returned by the plan function)");
    buf_cstr(err);
  }
  return p;
}

void scenario_unload(struct scenario *s) {
  sandbox_close(&s->sb);
  plan_free(s->plan);
  for (int i = 0; s->more && i < s->nupstreams - 1; i++) plan_free(s->more[i].plan);
  free(s->more);
  free(s->name);
  free(s->file);
  free(s->summary);
  free(s->expect);
  free(s->expect_text);
  free(s->rfc);
  free(s->client_request);
  client_part_free(s->client);
  scenario_tls_free(s->tls);
  scenario_http2_free(s->http2);
  expectation_free(s->expectation);
  for (char **l = s->check_log; l && *l; l++) free(*l);
  free(s->check_log);
  memset(s, 0, sizeof *s);
  s->fn_ref = LUA_NOREF;
}

int scenario_builtin_ok(struct scenario *s) {
  static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
  memset(s, 0, sizeof *s);
  s->fn_ref = LUA_NOREF;
  struct step st = {.op = STEP_TXRESP, .seconds = STEP_FOREVER, .len = sizeof resp - 1, .bytes = resp};
  const struct step *steps[] = {&st};
  s->name = strdup("ok");
  s->file = strdup("(built-in)");
  s->summary = strdup("built-in: 200 with the body \"ok\", keep-alive");
  s->expect = strdup("200");
  s->continue100 = true;
  s->requests = 1;
  s->nupstreams = 1;
  s->check_min_s = s->check_max_s = -1;
  s->check_attempts = -1;
  s->plan = plan_build(steps, 1, 0);
  s->kind = SCENARIO_STATIC;
  if (!s->name || !s->file || !s->summary || !s->expect || !s->plan) {
    scenario_unload(s);
    return -1;
  }
  return 0;
}
