/* proxy_upstreams.c: the upstreams (origin servers) a proxy can send to (docs/proxies.md,
 * "Several upstreams"): the definition's `upstreams` field, whether a case of a scenario with
 * n upstreams can run through it, and a config read as one upstream renders it.
 *
 * A definition says how ONE upstream is written (`each`); the harness writes it once per
 * upstream into ${upstream_servers}. Its own variables (`several`) are "" with one upstream,
 * so a file that uses them renders byte for byte as it did before it could take more: a
 * case of a scenario with one upstream runs the configuration it always ran. */
#include "proxy_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "buf.h"

/* { each = template, join = string } into l; `each` is written per upstream and knows the
 * standard variables only. */
static void read_list(lua_State *L, struct loader *ld, int t, const char *what, struct proxy_list *l) {
  char w[128];
  snprintf(w, sizeof w, "%s.each", what);
  if (lua_getfield(L, t, "each") == LUA_TNIL) ld_fail(L, ld, "%s is required: how one upstream is written", w);
  l->each = ld_string(L, ld, -1, w);
  ld_template_in(L, ld, l->each, w, true);
  lua_pop(L, 1);
  snprintf(w, sizeof w, "%s.join", what);
  l->join = lua_getfield(L, t, "join") == LUA_TNIL ? ld_dup(L, ld, "\n", 1) : ld_string(L, ld, -1, w);
  lua_pop(L, 1);
}

/* A variable's name: a letter or '_', then letters, digits and '_', at most 40. */
static bool is_name(const char *s) {
  size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
  return n > 0 && n <= 40 && !s[n] && !(s[0] >= '0' && s[0] <= '9');
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct proxy_several *)a)->name, ((const struct proxy_several *)b)->name);
}

/* several = { name = template, name = { each = ..., join = ... } } */
static void read_several(lua_State *L, struct loader *ld, int t) {
  static const char *const keys[] = {"each", "join", NULL};
  struct proxy_upstreams *u = &ld->p->upstreams;
  if (!lua_istable(L, t))
    ld_fail(L, ld, "upstreams.several must be a table of name = template or { each = ..., join = ... }, got %s",
            luaL_typename(L, t));
  u->several = calloc(PROXY_UPSTREAMS_SEVERAL, sizeof *u->several);
  if (!u->several) ld_fail(L, ld, "out of memory");
  lua_pushnil(L);
  while (lua_next(L, t)) {
    int val = lua_gettop(L), key = val - 1;
    if (lua_type(L, key) != LUA_TSTRING)
      ld_fail(L, ld, "upstreams.several must be a table of name = ..., has a %s key", luaL_typename(L, key));
    if (u->nseveral == PROXY_UPSTREAMS_SEVERAL)
      ld_fail(L, ld, "upstreams.several: at most %d variables", PROXY_UPSTREAMS_SEVERAL);
    struct proxy_several *s = &u->several[u->nseveral++];
    s->name = ld_string(L, ld, key, "a name in upstreams.several");
    char what[96];
    snprintf(what, sizeof what, "upstreams.several.%.40s", s->name);
    if (!is_name(s->name))
      ld_fail(L, ld, "%s: a name is 1 to 40 letters, digits and '_', not a digit first", what);
    for (int i = 0; i < PV__COUNT; i++)
      if (!strcmp(s->name, proxy_var_names[i])) ld_fail(L, ld, "%s: ${%s} is a variable of the harness", what, s->name);
    if (lua_type(L, val) == LUA_TSTRING) {
      s->text = ld_string(L, ld, val, what);
    } else if (lua_istable(L, val)) {
      ld_only_keys(L, ld, val, what, keys);
      read_list(L, ld, val, what, &s->list);
    } else {
      ld_fail(L, ld, "%s must be a template string or { each = ..., join = ... }, got %s", what, luaL_typename(L, val));
    }
    lua_settop(L, key);
  }
  qsort(u->several, u->nseveral, sizeof *u->several, by_name);
  /* A text may use ${upstream_servers} and the lists, which are written before it; not
   * another text, whose value would depend on the order they are written in. */
  for (size_t i = 0; i < u->nseveral; i++) {
    const struct proxy_several *s = &u->several[i];
    if (!s->text) continue;
    char what[96];
    snprintf(what, sizeof what, "upstreams.several.%s", s->name);
    ld_template(L, ld, s->text, what);
    for (size_t k = 0; k < u->nseveral; k++) {
      char needle[64];
      snprintf(needle, sizeof needle, "${%s}", u->several[k].name);
      if (u->several[k].text && strstr(s->text, needle))
        ld_fail(L, ld, "%s uses ${%s}, another text: only ${upstream_servers} and lists ({ each = ... }) are known in one",
                what, u->several[k].name);
    }
  }
}

void ld_upstreams(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"max", "each", "join", "several", "retries", "why", NULL};
  struct proxy_upstreams *u = &ld->p->upstreams;
  if (!lua_istable(L, v))
    ld_fail(L, ld, "upstreams must be a table { max = N, each = ..., ... }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "upstreams", keys);
  bool each = lua_getfield(L, v, "each") != LUA_TNIL;
  lua_settop(L, v);
  if (each) read_list(L, ld, v, "upstreams", &u->servers);
  else if (lua_getfield(L, v, "join") != LUA_TNIL) ld_fail(L, ld, "upstreams.join is about each, which is not given");
  lua_settop(L, v);
  u->max = each ? PROXY_UPSTREAMS_MAX : 1;
  if (lua_getfield(L, v, "max") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > PROXY_UPSTREAMS_MAX)
      ld_fail(L, ld, "upstreams.max must be a whole number from 1 to %d, got %s", PROXY_UPSTREAMS_MAX,
              lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
    u->max = (int)lua_tointeger(L, -1);
  }
  lua_settop(L, v);
  if (u->max > 1 && !each)
    ld_fail(L, ld, "upstreams.max %d needs upstreams.each: how one upstream is written", u->max);
  if (lua_getfield(L, v, "why") != LUA_TNIL) {
    u->why = ld_string(L, ld, -1, "upstreams.why");
    if (u->max > 1) ld_fail(L, ld, "upstreams.why says why it sends to one upstream only; it is not with max %d", u->max);
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "several") != LUA_TNIL) {
    if (u->max == 1) ld_fail(L, ld, "upstreams.several is about more than one upstream: it needs max above 1");
    read_several(L, ld, lua_gettop(L));
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "retries") != LUA_TNIL) {
    static const char *const rkeys[] = {"on", "off", NULL};
    int t = lua_gettop(L);
    if (u->max == 1) ld_fail(L, ld, "upstreams.retries is about more than one upstream: it needs max above 1");
    if (!lua_istable(L, t))
      ld_fail(L, ld, "upstreams.retries must be a table { on = \"...\", off = \"...\" }, got %s", luaL_typename(L, t));
    ld_only_keys(L, ld, t, "upstreams.retries", rkeys);
    char **slots[] = {&u->retries_on, &u->retries_off};
    for (int k = 0; k < 2; k++) {
      char w[32];
      snprintf(w, sizeof w, "upstreams.retries.%s", rkeys[k]);
      *slots[k] = lua_getfield(L, t, rkeys[k]) == LUA_TNIL ? ld_dup(L, ld, "", 0) : ld_string(L, ld, -1, w);
      ld_template_in(L, ld, *slots[k], w, true); /* written before the upstreams */
      lua_settop(L, t);
    }
  }
  lua_settop(L, v);
}

bool ld_uses(const struct proxy_def *p, const char *name) {
  char needle[64];
  snprintf(needle, sizeof needle, "${%s}", name);
  for (size_t i = 0; i < p->nfiles; i++)
    if (strstr(p->files[i].text, needle)) return true;
  char **lists[] = {p->command, p->env};
  for (int k = 0; k < 2; k++)
    for (char **a = lists[k]; a && *a; a++)
      if (strstr(*a, needle)) return true;
  for (size_t k = 0; k < p->nsidecars; k++)
    for (char **a = p->sidecars[k]; a && *a; a++)
      if (strstr(*a, needle)) return true;
  for (size_t i = 0; i < p->upstreams.nseveral; i++)
    if ((p->upstreams.several[i].text && strstr(p->upstreams.several[i].text, needle)) ||
        (p->upstreams.several[i].list.each && strstr(p->upstreams.several[i].list.each, needle)))
      return true;
  /* the text per upstream (haproxy's server line carries ${upstream_tls}) */
  if (p->upstreams.servers.each && strstr(p->upstreams.servers.each, needle)) return true;
  const char *texts[] = {p->retries_on,     p->retries_off,       p->upstreams.retries_on, p->upstreams.retries_off,
                         p->upstream_tls_on, p->upstream_tls_off, p->upstream_http2_on, p->upstream_http2_off};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    if (texts[i] && strstr(texts[i], needle)) return true;
  return false;
}

/* Once every field is read: a text written per upstream that nothing uses would leave every
 * upstream but the first out, and the case would test a configuration that sends to one. */
void ld_upstreams_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  if (p->upstreams.servers.each && !ld_uses(p, proxy_var_names[PV_UPSTREAM_SERVERS]))
    ld_fail(L, ld, "upstreams.each is given, but no file, command, env or sidecar uses ${upstream_servers}");
  for (size_t i = 0; i < p->upstreams.nseveral; i++)
    if (!ld_uses(p, p->upstreams.several[i].name))
      ld_fail(L, ld, "upstreams.several.%s: no file, command, env or sidecar uses ${%s}", p->upstreams.several[i].name,
              p->upstreams.several[i].name);
}

void proxy_upstreams_free(struct proxy_upstreams *u) {
  free(u->servers.each), free(u->servers.join);
  for (size_t i = 0; i < u->nseveral; i++)
    free(u->several[i].name), free(u->several[i].text), free(u->several[i].list.each), free(u->several[i].list.join);
  free(u->several);
  free(u->retries_on), free(u->retries_off), free(u->why);
  memset(u, 0, sizeof *u);
}

bool proxy_var_known(const struct proxy_def *p, const char *name, size_t len) {
  for (int i = 0; i < PV__COUNT; i++)
    if (strlen(proxy_var_names[i]) == len && !memcmp(proxy_var_names[i], name, len))
      return i != PV_UPSTREAM_SERVERS || p->upstreams.servers.each;
  for (size_t i = 0; i < p->upstreams.nseveral; i++)
    if (strlen(p->upstreams.several[i].name) == len && !memcmp(p->upstreams.several[i].name, name, len)) return true;
  return false;
}

static const char *config_template(const struct proxy_def *p) {
  for (size_t i = 0; i < p->nfiles; i++)
    if (!strcmp(p->files[i].name, p->config)) return p->files[i].text;
  return "";
}

bool proxy_upstreams_refuse(const struct proxy_def *p, int n, const char *config_text, char *why, size_t len) {
  if (n <= 1) return false;
  const struct proxy_upstreams *u = &p->upstreams;
  if (u->max == 1) {
    snprintf(why, len, "%s sends to one upstream only%s%.200s%s", p->name, u->why ? " (" : "", u->why ? u->why : "",
             u->why ? ")" : "");
    return true;
  }
  if (n > u->max) {
    snprintf(why, len, "%s sends to at most %d upstreams, the scenario has %d", p->name, u->max, n);
    return true;
  }
  /* A user's config that does not write what the shipped one writes per upstream sends to
   * the first only. */
  const char *shipped = config_template(p);
  for (size_t i = 0; config_text && i <= u->nseveral; i++) {
    const char *name = i < u->nseveral ? u->several[i].name : proxy_var_names[PV_UPSTREAM_SERVERS];
    char needle[64];
    snprintf(needle, sizeof needle, "${%s}", name);
    if (strstr(shipped, needle) && !strstr(config_text, needle)) {
      snprintf(why, len, "the --proxy-config sends to one upstream only: it has no %s, which %s's own config has",
               needle, p->name);
      return true;
    }
  }
  return false;
}

/* text with the names given replaced, everything else (other ${names}, $${) as it is. */
static void replace_names(struct buf *b, const char *t, const char *const *names, const char *const *values, size_t n) {
  const char *open;
  while ((open = strstr(t, "${"))) {
    buf_append(b, t, (size_t)(open - t));
    const char *close = strchr(open + 2, '}');
    size_t len = close ? (size_t)(close - open - 2) : 0, i = 0;
    bool literal = open > t && open[-1] == '$';
    while (close && !literal && i < n && !(strlen(names[i]) == len && !memcmp(names[i], open + 2, len))) i++;
    if (close && !literal && i < n) {
      buf_puts(b, values[i]);
      t = close + 1;
    } else {
      buf_puts(b, "${");
      t = open + 2;
    }
  }
  buf_puts(b, t);
}

char *proxy_upstreams_as_one(const struct proxy_def *p, const char *text) {
  const struct proxy_upstreams *u = &p->upstreams;
  struct buf one = {0}, out = {0};
  if (u->servers.each) {
    const char *names[] = {proxy_var_names[PV_UPSTREAM_INDEX], proxy_var_names[PV_UPSTREAM_SUFFIX]};
    const char *values[] = {"1", ""};
    replace_names(&one, u->servers.each, names, values, 2);
    /* on one line where statements do not end with it: the lines after keep their numbers */
    bool free_form = p->syntax.ends == ENDS_SEMICOLON || p->syntax.ends == ENDS_ASSIGNMENT;
    for (size_t i = 0; free_form && i < one.len; i++)
      if (one.data[i] == '\n') one.data[i] = ' ';
  }
  const char *names[PROXY_UPSTREAMS_SEVERAL + 1], *values[PROXY_UPSTREAMS_SEVERAL + 1];
  size_t n = 0;
  names[n] = proxy_var_names[PV_UPSTREAM_SERVERS], values[n++] = u->servers.each ? buf_cstr(&one) : "";
  for (size_t i = 0; i < u->nseveral; i++) names[n] = u->several[i].name, values[n++] = "";
  replace_names(&out, text, names, values, u->servers.each || u->nseveral ? n : 0);
  buf_append(&out, "", 1);
  buf_free(&one);
  if (out.oom) {
    buf_free(&out);
    return NULL;
  }
  return out.data;
}
