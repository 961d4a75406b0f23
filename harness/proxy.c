/* proxy.c: proxy definitions: loading, probing, and template rendering. */
#include "proxy.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "sandbox.h"

static const char *const known_fields[] = {"name", "summary", "packages", "binary", "version", "files", "config",
                                           "command", "env", "retries", "logs", "log_match", "forward", "ready_timeout", "sidecars", "cleanup", "settle_ms", "warmup_ms", "stop_grace_ms", "user",
                                           NULL};

static int fn_proxy(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; known_fields[i]; i++) ok |= strcmp(lua_tostring(L, -1), known_fields[i]) == 0;
    if (!ok) return luaL_error(L, "proxy{}: unknown field '%s'", luaL_tolstring(L, -1, NULL));
  }
  static const char *const required[] = {"name", "binary", "files", "command", NULL};
  for (int i = 0; required[i]; i++)
    if (lua_getfield(L, 1, required[i]) == LUA_TNIL) return luaL_error(L, "proxy{}: field '%s' is required", required[i]);
  lua_settop(L, 1);
  lua_pushboolean(L, 1);
  lua_setfield(L, 1, "__is_proxy");
  return 1;
}

static char *str_field(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  const char *v = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : NULL;
  char *s = v ? strdup(v) : NULL;
  lua_pop(L, 1);
  return s;
}

/* A string or a list of strings, as a NULL-terminated array. */
static char **list_field(lua_State *L, int t, const char *k, size_t *count) {
  lua_getfield(L, t, k);
  size_t n = lua_istable(L, -1) ? lua_rawlen(L, -1) : lua_isstring(L, -1) ? 1 : 0;
  char **out = calloc(n + 1, sizeof *out);
  if (lua_isstring(L, -1)) {
    out[0] = strdup(lua_tostring(L, -1));
  } else {
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      out[i] = strdup(luaL_tolstring(L, -1, NULL));
      lua_pop(L, 2);
    }
  }
  lua_pop(L, 1);
  if (count) *count = n;
  return out;
}

static void free_list(char **l) {
  for (char **p = l; p && *p; p++) free(*p);
  free(l);
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct buf b = {0};
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  buf_append(&b, "", 1);
  return b.data;
}

static int load_one(const char *dir, const char *path, struct proxy_def *p) {
  memset(p, 0, sizeof *p);
  struct sandbox sb;
  struct buf err = {0};
  int rc = -1;
  if (sandbox_open(&sb, "proxy", false, 0, 0, 1) != 0) return -1;
  lua_State *L = sb.L;
  lua_register(L, "proxy", fn_proxy);
  if (sandbox_loadfile(&sb, path, &err) != LUA_OK || sandbox_pcall(&sb, 0, 1, &err) != LUA_OK) {
    const char *msg = buf_cstr(&err);
    fprintf(stderr, "%.*s\n", (int)strcspn(msg, "\n"), msg);
    goto out;
  }
  if (!lua_istable(L, -1) || lua_getfield(L, -1, "__is_proxy") != LUA_TBOOLEAN) {
    fprintf(stderr, "%s:1: the file must end with: return proxy { name = ..., ... }\n", path);
    goto out;
  }
  lua_pop(L, 1);
  int t = lua_gettop(L);
  p->source = strdup(path);
  p->name = str_field(L, t, "name");
  p->summary = str_field(L, t, "summary");
  p->binaries = list_field(L, t, "binary", &p->nbinaries);
  p->packages = list_field(L, t, "packages", NULL);
  p->command = list_field(L, t, "command", NULL);
  p->env = list_field(L, t, "env", NULL);
  p->logs = list_field(L, t, "logs", &p->nlogs);
  p->config = str_field(L, t, "config");
  p->log_match = str_field(L, t, "log_match");
  p->user = str_field(L, t, "user");
  lua_getfield(L, t, "forward");
  p->forward = lua_toboolean(L, -1);
  lua_pop(L, 1);
  p->cleanup = list_field(L, t, "cleanup", NULL);
  lua_getfield(L, t, "settle_ms");
  p->settle_ms = lua_isnumber(L, -1) ? (int)lua_tonumber(L, -1) : 0;
  lua_pop(L, 1);
  lua_getfield(L, t, "warmup_ms");
  p->warmup_ms = lua_isnumber(L, -1) ? (int)lua_tonumber(L, -1) : 0;
  lua_pop(L, 1);
  lua_getfield(L, t, "stop_grace_ms");
  p->stop_grace_ms = lua_isnumber(L, -1) ? (int)lua_tonumber(L, -1) : 3000;
  lua_pop(L, 1);
  if (lua_getfield(L, t, "sidecars") == LUA_TTABLE) {
    size_t n = lua_rawlen(L, -1);
    p->sidecars = calloc(n + 1, sizeof *p->sidecars);
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, "__sidecar");
      p->sidecars[p->nsidecars++] = list_field(L, -2, "__sidecar", NULL);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, t, "ready_timeout");
  p->ready_timeout = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 15.0;
  lua_pop(L, 1);
  if (lua_getfield(L, t, "version") == LUA_TTABLE) {
    p->version_args = list_field(L, -1, "args", NULL);
    p->version_pattern = str_field(L, -1, "pattern");
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "retries") == LUA_TTABLE) {
    p->retries_on = str_field(L, -1, "on");
    p->retries_off = str_field(L, -1, "off");
  }
  lua_pop(L, 1);
  if (!p->retries_on) p->retries_on = strdup("");
  if (!p->retries_off) p->retries_off = strdup("");
  /* files: { ["name"] = "template" } or { ["name"] = { from = "file-beside-this-one" } },
   * written in name order so a run does not depend on table order. */
  lua_getfield(L, t, "files");
  size_t cap = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    cap++;
  }
  p->files = calloc(cap ? cap : 1, sizeof *p->files);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    struct proxy_file *f = &p->files[p->nfiles];
    f->name = strdup(luaL_tolstring(L, -2, NULL));
    lua_pop(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "from");
      char full[4096];
      snprintf(full, sizeof full, "%s/%s", dir, lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
      lua_pop(L, 1);
      f->text = read_text(full);
      if (!f->text) {
        fprintf(stderr, "%s:1: files[\"%s\"]: cannot read %s\n", path, f->name, full);
        free(f->name);
        lua_pop(L, 1);
        goto out;
      }
    } else {
      f->text = strdup(luaL_tolstring(L, -1, NULL));
      lua_pop(L, 1);
    }
    p->nfiles++;
    lua_pop(L, 1);
  }
  for (size_t i = 1; i < p->nfiles; i++)
    for (size_t j = i; j > 0 && strcmp(p->files[j - 1].name, p->files[j].name) > 0; j--) {
      struct proxy_file tmp = p->files[j];
      p->files[j] = p->files[j - 1];
      p->files[j - 1] = tmp;
    }
  if (!p->config && p->nfiles) p->config = strdup(p->files[0].name);
  if (!p->name || !p->command[0] || !p->binaries[0]) {
    fprintf(stderr, "%s:1: proxy{}: name, binary and command must be non-empty\n", path);
    goto out;
  }
  rc = 0;
out:
  buf_free(&err);
  sandbox_close(&sb);
  return rc;
}

static void free_def(struct proxy_def *p) {
  free(p->name), free(p->summary), free(p->source), free(p->binary), free(p->version);
  free(p->version_pattern), free(p->config), free(p->retries_on), free(p->retries_off), free(p->log_match);
  free(p->user);
  free_list(p->binaries), free_list(p->version_args), free_list(p->command), free_list(p->env);
  free_list(p->logs), free_list(p->packages), free_list(p->cleanup);
  for (size_t i = 0; i < p->nsidecars; i++) free_list(p->sidecars[i]);
  free(p->sidecars);
  for (size_t i = 0; i < p->nfiles; i++) free(p->files[i].name), free(p->files[i].text);
  free(p->files);
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
    if (load_one(dir, path, &defs[*n]) == 0) (*n)++;
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

static char *find_binary(const char *name) {
  if (strchr(name, '/')) return access(name, X_OK) == 0 ? strdup(name) : NULL;
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  char *save = NULL, *found = NULL;
  for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", d, name);
    if (access(full, X_OK) == 0) found = strdup(full);
  }
  free(copy);
  return found;
}

/* Runs `binary args...` with stdout and stderr captured (bounded), up to 10 s. */
static char *capture(const char *binary, char **args) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  size_t n = 0;
  while (args && args[n]) n++;
  char **argv = calloc(n + 2, sizeof *argv);
  argv[0] = (char *)binary;
  for (size_t i = 0; i < n; i++) argv[i + 1] = args[i];
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    execv(binary, argv);
    _exit(127);
  }
  free(argv);
  close(fds[1]);
  struct buf b = {0};
  char tmp[4096];
  ssize_t r;
  while ((r = read(fds[0], tmp, sizeof tmp)) > 0 && b.len < 65536) buf_append(&b, tmp, (size_t)r);
  close(fds[0]);
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  buf_append(&b, "", 1);
  return b.data;
}

void proxy_probe(struct proxy_def *p) {
  for (size_t i = 0; i < p->nbinaries && !p->binary; i++) p->binary = find_binary(p->binaries[i]);
  if (!p->binary) return;
  char *out = p->version_pattern ? capture(p->binary, p->version_args) : NULL;
  if (out) {
    /* Lua's own pattern matcher, through string.match, so definitions use one syntax. */
    lua_State *L = luaL_newstate();
    if (L) {
      luaL_requiref(L, "string", luaopen_string, 1);
      lua_getfield(L, -1, "match");
      lua_pushstring(L, out);
      lua_pushstring(L, p->version_pattern);
      if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1)) p->version = strdup(lua_tostring(L, -1));
      lua_close(L);
    }
    free(out);
  }
  if (!p->version) p->version = strdup("unknown");
}

char *template_render(const char *t, const struct vars *v, char **bad) {
  struct buf b = {0};
  *bad = NULL;
  while (*t) {
    const char *open = strstr(t, "${");
    if (!open) {
      buf_puts(&b, t);
      break;
    }
    if (open > t && open[-1] == '$') { /* "$${" is a literal "${" */
      buf_append(&b, t, (size_t)(open - t));
      buf_puts(&b, "{");
      t = open + 2;
      continue;
    }
    buf_append(&b, t, (size_t)(open - t));
    const char *close = strchr(open + 2, '}');
    if (!close) {
      buf_puts(&b, open);
      break;
    }
    size_t len = (size_t)(close - open - 2);
    size_t i;
    for (i = 0; i < v->n; i++)
      if (strlen(v->names[i]) == len && memcmp(v->names[i], open + 2, len) == 0) break;
    if (i == v->n) {
      if (!*bad) *bad = strndup(open + 2, len);
    } else {
      buf_puts(&b, v->values[i]);
    }
    t = close + 1;
  }
  buf_append(&b, "", 1);
  return b.data;
}
