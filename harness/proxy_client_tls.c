/* proxy_client_tls.c: a definition's TLS frontend (client_tls = { on = ..., off = ... },
 * docs/proxies.md "TLS frontend"): the text ${client_tls} becomes with and without
 * `badup run --client-tls`, so the proxy terminates TLS (RFC 8446) from the harness's client
 * with the run's certificate, and speaks plain HTTP/1.1 to its upstream as before.
 *
 * Checked like the client knobs: a field no file uses would be a TLS frontend the rendered
 * config does not have, and a file that writes a certificate variable without the field
 * would listen with TLS, or not, whatever the run says. */
#include "proxy_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

/* The variables that only mean something with a TLS frontend. */
static const enum proxy_var tls_vars[] = {PV_CLIENT_TLS, PV_PROXY_SCHEME, PV_PROXY_CERT, PV_PROXY_KEY, PV_PROXY_PEM};
#define NTLS_VARS (sizeof tls_vars / sizeof *tls_vars)

void ld_client_tls(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"on", "off", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "client_tls must be a table { on = \"...\", off = \"...\" }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "client_tls", keys);
  /* on is what the field is for; off defaults to "" (the plain listener needs no words) */
  if (lua_getfield(L, v, "on") == LUA_TNIL)
    ld_fail(L, ld, "client_tls.on is required: the text that makes the frontend speak TLS with ${proxy_cert} "
                   "and ${proxy_key} (or ${proxy_pem})");
  lua_settop(L, v);
  ld_template_at(L, ld, v, "client_tls", "on", NULL, &ld->p->client_tls_on);
  ld_template_at(L, ld, v, "client_tls", "off", "", &ld->p->client_tls_off);
}

/* Does the definition use ${name} anywhere, the client_tls texts included? */
static bool uses(const struct proxy_def *p, const char *name) {
  if (ld_uses_anywhere(p, name)) return true;
  char needle[64];
  snprintf(needle, sizeof needle, "${%s}", name);
  return (p->client_tls_on && strstr(p->client_tls_on, needle)) || (p->client_tls_off && strstr(p->client_tls_off, needle));
}

void ld_client_tls_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  if (!p->client_tls_on) {
    for (size_t i = 0; i < NTLS_VARS; i++)
      if (uses(p, proxy_var_names[tls_vars[i]]))
        ld_fail(L, ld, "the definition uses ${%s} but has no client_tls field: declare client_tls = { on = \"...\", "
                       "off = \"...\" } (the TLS frontend of badup run --client-tls)",
                proxy_var_names[tls_vars[i]]);
    return;
  }
  if (!ld_uses_anywhere(p, proxy_var_names[PV_CLIENT_TLS]))
    ld_fail(L, ld, "client_tls is declared but no file, command or env uses ${client_tls}: the proxy would "
                   "listen without TLS under --client-tls");
  bool cert = uses(p, "proxy_cert") || uses(p, "proxy_pem");
  if (!cert)
    ld_fail(L, ld, "client_tls is declared but nothing uses ${proxy_cert} or ${proxy_pem}: the frontend has no "
                   "certificate");
}

void proxy_client_tls_free(struct proxy_def *p) {
  free(p->client_tls_on), free(p->client_tls_off);
  p->client_tls_on = p->client_tls_off = NULL;
}

char *proxy_client_tls_render(const struct proxy_def *p, const struct proxy_instance *in, const struct vars *vars,
                              char **bad) {
  const char *t = in->proxy_cert ? p->client_tls_on : p->client_tls_off;
  return t ? template_render(t, vars, bad) : strdup("");
}

bool proxy_client_tls_refuse(const struct proxy_def *p, const char *scenario, bool scenario_tls, bool forward,
                             bool run_tls, char *why, size_t len) {
  if (run_tls && !p->client_tls_on) {
    snprintf(why, len, "%s has no TLS frontend variant", p->name);
    return true;
  }
  /* An HTTPS forward proxy (the client's TLS to the proxy, then absolute-form requests or
   * CONNECT inside it) is a mode of its own that no definition writes yet. */
  if (run_tls && forward) {
    snprintf(why, len, "%s runs %s as a forward proxy, which has no TLS frontend variant", scenario, p->name);
    return true;
  }
  if (scenario_tls && !run_tls) {
    snprintf(why, len, "%s is about the proxy's TLS frontend: it runs with --client-tls", scenario);
    return true;
  }
  return false;
}
