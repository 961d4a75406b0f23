/* proxy_client_http2.c: a definition's HTTP/2 frontend (client_http2 = { on = ..., off = ...,
 * tls = ..., why = ... }, docs/proxies.md "HTTP/2 frontend"): the text ${client_http2} becomes
 * with and without `badup run --client-http2`, so the proxy speaks HTTP/2 (RFC 9113) to the
 * harness's client: h2c with prior knowledge on its plain port (on), ALPN h2 on its TLS one
 * (tls, with --client-tls too; default: on). Its upstream stays HTTP/1.1.
 *
 * A proxy that serves HTTP/2 over TLS only (no h2c) gives tls and no on; one that serves no
 * HTTP/2 at all may say why in `why` alone. Either way its cases are skipped with that reason
 * where it has no variant, as a definition without client_tls is under --client-tls. A proxy
 * that speaks HTTP/2 on every listener unasked (nghttpx, h2o) has on = "" like off: the same
 * config, which needs no ${client_http2}. */
#include "proxy_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

void ld_client_http2(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"on", "off", "tls", "why", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "client_http2 must be a table { on = \"...\", off = \"...\", tls = \"...\", why = \"...\" }, got %s",
            luaL_typename(L, v));
  ld_only_keys(L, ld, v, "client_http2", keys);
  struct proxy_def *p = ld->p;
  ld_template_at(L, ld, v, "client_http2", "on", NULL, &p->client_http2_on);
  ld_template_at(L, ld, v, "client_http2", "tls", NULL, &p->client_http2_tls);
  /* over TLS the h2c text unless said otherwise: one listener option serves both (nginx's http2) */
  if (!p->client_http2_tls && p->client_http2_on) p->client_http2_tls = strdup(p->client_http2_on);
  ld_template_at(L, ld, v, "client_http2", "off", "", &p->client_http2_off);
  if (lua_getfield(L, v, "why") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING) ld_fail(L, ld, "client_http2.why must be a string (why a variant is missing)");
    p->client_http2_why = strdup(lua_tostring(L, -1));
  }
  lua_settop(L, v);
  if (!p->client_http2_on && !p->client_http2_tls && !p->client_http2_why)
    ld_fail(L, ld, "client_http2 needs on (h2c), tls (ALPN h2), or why (the reason it has neither)");
  if ((!p->client_http2_on || !p->client_http2_tls) && !p->client_http2_why)
    ld_fail(L, ld, "client_http2 has no %s variant: say why in client_http2.why",
            p->client_http2_on ? "tls" : "h2c (on)");
}

/* Does a variant's text differ from off's (NULL: no such variant)? */
static bool differs(const struct proxy_def *p, const char *text) {
  return text && strcmp(text, p->client_http2_off ? p->client_http2_off : "") != 0;
}

void ld_client_http2_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  bool variant = differs(p, p->client_http2_on) || differs(p, p->client_http2_tls);
  bool used = ld_uses_anywhere(p, proxy_var_names[PV_CLIENT_HTTP2]) ||
              (p->client_tls_on && strstr(p->client_tls_on, "${client_http2}"));
  if (!p->client_http2_on && !p->client_http2_tls && used)
    ld_fail(L, ld, "the definition uses ${client_http2} but has no client_http2 variant: declare client_http2 = { on "
                   "= \"...\", off = \"...\" } (the HTTP/2 frontend of badup run --client-http2)");
  if (variant && !used)
    ld_fail(L, ld, "client_http2 is declared but no file, command or env uses ${client_http2}: the proxy would "
                   "speak HTTP/1.1 only under --client-http2");
  if (p->client_http2_tls && !p->client_http2_on && !p->client_tls_on)
    ld_fail(L, ld, "client_http2 has a tls variant only, and the definition no client_tls: it could never run");
}

void proxy_client_http2_free(struct proxy_def *p) {
  free(p->client_http2_on), free(p->client_http2_off), free(p->client_http2_tls), free(p->client_http2_why);
  p->client_http2_on = p->client_http2_off = p->client_http2_tls = p->client_http2_why = NULL;
}

char *proxy_client_http2_render(const struct proxy_def *p, const struct proxy_instance *in, const struct vars *vars,
                                char **bad) {
  const char *t = !in->http2 ? p->client_http2_off : in->proxy_cert ? p->client_http2_tls : p->client_http2_on;
  return t ? template_render(t, vars, bad) : strdup("");
}

bool proxy_client_http2_refuse(const struct proxy_def *p, const char *scenario, bool raw_client, bool forward,
                               bool run_http2, bool run_tls, char *why, size_t len) {
  if (!run_http2) return false;
  const char *variant = run_tls ? p->client_http2_tls : p->client_http2_on;
  if (!variant) {
    if (p->client_http2_why)
      snprintf(why, len, "%s has no HTTP/2 frontend variant%s: %s", p->name, run_tls ? " over TLS" : " for h2c",
               p->client_http2_why);
    else snprintf(why, len, "%s has no HTTP/2 frontend variant", p->name);
    return true;
  }
  /* curl speaks HTTP/1.1 to a forward proxy whatever it is asked (absolute-form targets and
   * CONNECT are HTTP/1.1 words; RFC 9113 8.5 has CONNECT, which no definition writes) */
  if (forward) {
    snprintf(why, len, "%s runs %s as a forward proxy, which has no HTTP/2 frontend variant", scenario, p->name);
    return true;
  }
  if (raw_client) {
    snprintf(why, len, "%s sends a raw HTTP/1 client request, which HTTP/2 cannot carry", scenario);
    return true;
  }
  return false;
}
