/* proxy.c: loading proxy definitions: running each file in a sandbox of its own, where
 * proxy{} checks and copies the fields (proxy_fields.c), and freeing them. */
#include "proxy.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

#include "proxy_load.h"
#include "sandbox.h"

/* A list that was not given: empty, so callers can walk it. */
static void empty_list(lua_State *L, const struct loader *ld, char ***l) {
  if (!*l && !(*l = calloc(1, sizeof **l))) ld_fail(L, ld, "out of memory");
}

static char *dup_default(lua_State *L, const struct loader *ld, char *cur, const char *dflt) {
  return cur ? cur : ld_dup(L, ld, dflt, strlen(dflt));
}

/* proxy { ... }: checks and copies the definition. Upvalue 1: the struct loader. */
static int fn_proxy(lua_State *L) {
  struct loader *ld = lua_touserdata(L, lua_upvalueindex(1));
  struct proxy_def *p = ld->p;
  lua_Debug ar;
  int line = lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline > 0 ? ar.currentline : 1;
  if (ld->line) ld_fail_at(L, ld, line, "proxy{}: one definition per file (the first is at line %d)", ld->line);
  ld->line = line;
  if (lua_gettop(L) != 1 || !lua_istable(L, 1))
    ld_fail(L, ld, "takes one table: proxy { name = ..., ... }, got %s",
            lua_gettop(L) ? luaL_typename(L, 1) : "nothing");
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (size_t i = 0; i < LD_NFIELDS; i++) ok |= strcmp(lua_tostring(L, -1), LD_FIELDS[i].name) == 0;
    if (ok) continue;
    if (lua_type(L, -1) == LUA_TSTRING)
      ld_fail(L, ld, "unknown field '%.60s' (see docs/proxies.md)", lua_tostring(L, -1));
    ld_fail(L, ld, "unexpected %s key: fields are names (see docs/proxies.md)", luaL_typename(L, -1));
  }
  p->ready_timeout = 15.0;
  p->stop_grace_ms = 3000;
  p->upstreams.max = 1; /* without the upstreams field, it sends to one */
  /* the syntax most config languages share: a statement a line, '#' comments, both quotes (at a
   * word's start, with '\' escapes in them) */
  p->syntax.comments = COMMENT_HASH;
  p->syntax.quotes = ld_dup(L, ld, "\"'", 2);
  p->syntax.escapes = ld_dup(L, ld, "\"'", 2);
  for (size_t i = 0; i < LD_NFIELDS; i++) {
    if (lua_getfield(L, 1, LD_FIELDS[i].name) == LUA_TNIL) {
      if (LD_FIELDS[i].required) ld_fail(L, ld, "field '%s' is required", LD_FIELDS[i].name);
    } else {
      LD_FIELDS[i].copy(L, ld, lua_gettop(L));
    }
    lua_settop(L, 1);
  }
  ld_upstreams_finish(L, ld);
  ld_client_finish(L, ld);
  ld_client_tls_finish(L, ld);
  ld_client_http2_finish(L, ld);
  ld_forward_finish(L, ld);
  ld_upstream_tls_finish(L, ld);
  ld_upstream_http2_finish(L, ld);
  if (!p->config) p->config = ld_dup(L, ld, p->files[0].name, strlen(p->files[0].name));
  bool found = false;
  for (size_t i = 0; i < p->nfiles; i++) found |= strcmp(p->files[i].name, p->config) == 0;
  if (!found) ld_fail(L, ld, "config \"%.60s\" must name one of files", p->config);
  p->retries_on = dup_default(L, ld, p->retries_on, "");
  p->retries_off = dup_default(L, ld, p->retries_off, "");
  empty_list(L, ld, &p->packages);
  empty_list(L, ld, &p->env);
  empty_list(L, ld, &p->logs);
  empty_list(L, ld, &p->cleanup);
  empty_list(L, ld, &p->paths);
  empty_list(L, ld, &p->includes);
  empty_list(L, ld, &p->foreground.detaches);
  empty_list(L, ld, &p->syntax.data);
  empty_list(L, ld, &p->groups);
  if (!p->targets && !(p->targets = calloc(1, sizeof *p->targets))) ld_fail(L, ld, "out of memory");
  ld->done = true;
  lua_pushvalue(L, 1); /* remembered, to tell whether the file returns it */
  lua_rawsetp(L, LUA_REGISTRYINDEX, ld);
  return 1;
}

/* Runs the definition's chunk (argument 1) inside the caller's protected call and checks
 * that it returned the table proxy{} built. Upvalue 1: the struct loader. */
static int run_definition(lua_State *L) {
  struct loader *ld = lua_touserdata(L, lua_upvalueindex(1));
  /* The last line with code: where a missing `return proxy {...}` belongs. */
  lua_Debug ar;
  int last = 1;
  lua_pushvalue(L, 1);
  if (lua_getinfo(L, ">L", &ar) && lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > last && lua_tointeger(L, -1) < INT32_MAX)
        last = (int)lua_tointeger(L, -1);
    }
  }
  lua_settop(L, 1);
  lua_call(L, 0, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, ld);
  if (!ld->done) ld_fail_at(L, ld, last, "the file must end with: return proxy { name = ..., ... }");
  if (!lua_rawequal(L, -1, -2))
    ld_fail_at(L, ld, ld->line, "the file must return the proxy{} built here: return proxy { ... }");
  return 0;
}

static int load_one(const char *dir, const char *path, struct proxy_def *p) {
  memset(p, 0, sizeof *p);
  struct sandbox sb;
  struct buf err = {0};
  struct loader ld = {.p = p, .dir = dir, .path = path};
  if (!(p->source = strdup(path)) || sandbox_open(&sb, "proxy", false, 0, 0, 1) != 0) {
    fprintf(stderr, "%s:1: cannot create a Lua state for it\n", path);
    return -1;
  }
  lua_State *L = sb.L;
  lua_pushlightuserdata(L, &ld);
  lua_pushcclosure(L, fn_proxy, 1);
  lua_setglobal(L, "proxy");
  lua_pushlightuserdata(L, &ld);
  lua_pushcclosure(L, run_definition, 1);
  int rc = -1;
  if (sandbox_loadfile(&sb, path, &err) == LUA_OK && sandbox_pcall(&sb, 1, 0, &err) == LUA_OK) rc = 0;
  if (rc != 0) {
    /* The first line only: at load time the traceback says nothing the line does not. */
    char *nl = err.data ? memchr(err.data, '\n', err.len) : NULL;
    if (nl) err.len = (size_t)(nl - err.data);
    sandbox_restore_path(&err, path);
    sandbox_ensure_path(&err, path);
    fprintf(stderr, "%s\n", buf_cstr(&err));
  }
  p->line = ld.line;
  buf_free(&err);
  sandbox_close(&sb);
  return rc;
}

static void free_def(struct proxy_def *p) {
  free(p->name), free(p->summary), free(p->source), free(p->binary), free(p->version);
  free(p->version_pattern), free(p->config), free(p->retries_on), free(p->retries_off), free(p->log_match);
  free(p->upstream_tls_on), free(p->upstream_tls_off);
  free(p->upstream_http2_on), free(p->upstream_http2_off);
  free(p->user);
  proxy_client_tls_free(p);
  proxy_client_http2_free(p);
  ld_free_list(p->binaries), ld_free_list(p->version_args), ld_free_list(p->command), ld_free_list(p->env);
  ld_free_list(p->logs), ld_free_list(p->packages), ld_free_list(p->cleanup);
  ld_free_list(p->check), ld_free_list(p->paths), ld_free_list(p->includes), free(p->paths_base);
  for (size_t i = 0; i < p->nmust_set; i++)
    free(p->must_set[i].directive), free(p->must_set[i].default_path), free(p->must_set[i].example);
  free(p->must_set);
  ld_free_list(p->foreground.detaches), free(p->foreground.stays), free(p->foreground.example);
  free(p->syntax.open), free(p->syntax.close), ld_free_list(p->syntax.data), free(p->syntax.quotes),
      free(p->syntax.escapes);
  for (size_t i = 0; i < p->ntargets; i++) {
    struct proxy_target *r = &p->targets[i];
    free(r->match), free(r->each), free(r->skip), free(r->unless), free(r->why), free(r->use);
    free(r->needs);
  }
  free(p->targets), ld_free_list(p->groups);
  proxy_explain_free(p->explain);
  proxy_upstreams_free(&p->upstreams);
  proxy_client_free(p);
  for (size_t i = 0; i < p->nsidecars; i++) ld_free_list(p->sidecars[i]);
  free(p->sidecars);
  for (size_t i = 0; i < p->nfiles; i++) free(p->files[i].name), free(p->files[i].text);
  free(p->files);
  proxy_forward_free(&p->fwd);
  memset(p, 0, sizeof *p);
}

static int is_lua(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 4 && d->d_name[0] != '.' && strcmp(d->d_name + n - 4, ".lua") == 0;
}

struct proxy_def *proxy_load_dir(const char *dir, size_t *n, int *failures) {
  struct dirent **names;
  int k = scandir(dir, &names, is_lua, alphasort);
  *n = 0;
  if (k < 0) {
    fprintf(stderr, "badup: %s: cannot read the proxy definitions\n", dir);
    (*failures)++;
    return NULL;
  }
  struct proxy_def *defs = calloc((size_t)k + 1, sizeof *defs);
  for (int i = 0; i < k; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    /* Opening a FIFO waits for a writer for ever (and a device may do anything): only a
     * regular file is read, told by stat() before anything opens it. */
    struct stat st;
    int rc = -1;
    if (stat(path, &st) != 0) fprintf(stderr, "%s: cannot read it: %s\n", path, strerror(errno));
    else if (!S_ISREG(st.st_mode)) fprintf(stderr, "%s: not a regular file\n", path);
    else rc = load_one(dir, path, &defs[*n]);
    for (size_t j = 0; rc == 0 && j < *n; j++)
      if (strcmp(defs[j].name, defs[*n].name) == 0) {
        /* --proxy picks by name: a second definition of it would never run */
        fprintf(stderr, "%s:%d: proxy{}: name '%s' is taken by %s\n", path, defs[*n].line, defs[j].name,
                defs[j].source);
        rc = -1;
      }
    for (size_t j = 0; rc == 0 && j < *n; j++) {
      /* explain tells proxies apart by their verdicts' kinds: one kind, one proxy */
      const char *kind = proxy_explain_shared_kind(&defs[j], &defs[*n]);
      if (kind) {
        fprintf(stderr, "%s:%d: proxy{}: explain: signature kind '%s' is taken by %s\n", path, defs[*n].line, kind,
                defs[j].source);
        rc = -1;
      }
    }
    if (rc == 0) (*n)++;
    else {
      free_def(&defs[*n]);
      (*failures)++;
    }
    free(names[i]);
  }
  free(names);
  return defs;
}

void proxy_free_all(struct proxy_def *defs, size_t n) {
  for (size_t i = 0; i < n; i++) free_def(&defs[i]);
  free(defs);
}
