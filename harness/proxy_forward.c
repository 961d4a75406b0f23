/* proxy_forward.c: a definition's forward mode, `forward = { files = ..., auth = ...,
 * why_no_auth = ... }` (docs/proxies.md, "Forward mode"), checked and copied.
 *
 * `forward = true` keeps its older meaning: the definition itself is a forward proxy (every
 * case's client asks it for absolute URLs). A table says the proxy can also run as one, with
 * other files, for the scenarios that ask for a forward proxy (RFC 9110 3.7). */
#include "proxy_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

void ld_forward(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"files", "auth", "why_no_auth", NULL};
  struct proxy_def *p = ld->p;
  if (lua_type(L, v) == LUA_TBOOLEAN) {
    p->forward = lua_toboolean(L, v);
    return;
  }
  if (!lua_istable(L, v))
    ld_fail(L, ld, "forward must be a boolean or a table { files = { ... }, auth = \"...\" | false, why_no_auth = "
            "\"...\" }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "forward", keys);
  struct proxy_forward_mode *f = &p->fwd;
  f->on = true;
  if (lua_getfield(L, v, "files") == LUA_TNIL) ld_fail(L, ld, "forward.files is required");
  ld_files(L, ld, lua_gettop(L), "forward.files", &f->files, &f->nfiles);
  lua_settop(L, v);
  int ty = lua_getfield(L, v, "auth");
  if (ty == LUA_TSTRING) {
    f->auth = ld_string(L, ld, -1, "forward.auth");
    ld_template(L, ld, f->auth, "forward.auth");
  } else if (ty != LUA_TNIL && !(ty == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
    ld_fail(L, ld, "forward.auth must be the text of ${auth} (a template) or false (no built-in Basic proxy "
            "authentication), got %s", ty == LUA_TBOOLEAN ? "true" : luaL_typename(L, -1));
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "why_no_auth") != LUA_TNIL) {
    f->why_no_auth = ld_string(L, ld, -1, "forward.why_no_auth");
    if (!f->why_no_auth[0]) ld_fail(L, ld, "forward.why_no_auth must not be empty");
  }
  lua_settop(L, v);
  /* A scenario with authentication is skipped with this reason: it must be there to say. */
  if (!f->auth && !f->why_no_auth)
    ld_fail(L, ld, "forward.auth is false (or absent): forward.why_no_auth must say why the proxy has no Basic "
            "proxy authentication");
  if (f->auth && f->why_no_auth) ld_fail(L, ld, "forward.why_no_auth is only for forward.auth = false");
}

/* Does a file of either mode, the command, the env, a sidecar or an upstreams text use ${name}? */
bool ld_uses_anywhere(const struct proxy_def *p, const char *name) {
  if (ld_uses(p, name)) return true;
  char needle[64];
  snprintf(needle, sizeof needle, "${%s}", name);
  for (size_t i = 0; i < p->fwd.nfiles; i++)
    if (strstr(p->fwd.files[i].text, needle)) return true;
  return false;
}

/* Once every field is read: the forward mode's authentication and its variables agree. An
 * auth text no file uses would let the scenarios with authentication run against a proxy
 * configured with none; an ${auth...} variable outside a forward mode with auth renders as
 * "" and leaves a broken directive in the config. */
void ld_forward_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  static const enum proxy_var vars[] = {PV_AUTH, PV_AUTH_USER, PV_AUTH_PASSWORD, PV_AUTH_FILE};
  if (p->fwd.auth && !ld_uses_anywhere(p, proxy_var_names[PV_AUTH]))
    ld_fail(L, ld, "forward.auth is given, but no file, forward file, command or env uses ${auth}: the scenarios "
            "with authentication would run with none configured");
  if (p->fwd.auth) return;
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    if (ld_uses_anywhere(p, proxy_var_names[vars[i]]))
      ld_fail(L, ld, "the definition uses ${%s}, but %s: it would render as \"\"", proxy_var_names[vars[i]],
              p->fwd.on ? "forward.auth is false (no Basic proxy authentication)"
                        : "it has no forward mode (forward = { files = ..., auth = ... })");
}

void proxy_forward_free(struct proxy_forward_mode *f) {
  for (size_t i = 0; i < f->nfiles; i++) free(f->files[i].name), free(f->files[i].text);
  free(f->files);
  free(f->auth);
  free(f->why_no_auth);
  memset(f, 0, sizeof *f);
}

bool proxy_forward_refuse(const struct proxy_def *p, bool forward, bool auth, char *why, size_t len) {
  if (!forward || p->forward) {
    /* a forward proxy by definition has no mode to switch to, and no authentication either */
    if (forward && auth) snprintf(why, len, "%s: no proxy authentication in its definition", p->name);
    return forward && auth;
  }
  if (!p->fwd.on) {
    snprintf(why, len, "%s: no forward-proxy mode in its definition", p->name);
    return true;
  }
  if (auth && !p->fwd.auth) {
    snprintf(why, len, "%s: %s", p->name, p->fwd.why_no_auth);
    return true;
  }
  return false;
}

bool proxy_forward_several_refuse(const struct proxy_def *p, bool forward, bool auth, int nupstreams, char *why,
                                  size_t len) {
  if (!forward || nupstreams <= 1) return false;
  if (proxy_forward_refuse(p, forward, auth, why, len)) return true;
  /* The forward files allow CONNECT to ${upstream_port} only and upstreams.each writes the
   * reverse mode's origin servers: nothing says how a forward mode reaches several. */
  snprintf(why, len, "%s: scenarios with several upstreams are not supported in forward mode (%d upstreams)", p->name,
           nupstreams);
  return true;
}
