/* proxy_upstream_tls.c: a definition's TLS upstream variant, `upstream_tls = { on = "...",
 * off = "..." }` (docs/proxies.md, "TLS upstreams"), checked and copied.
 *
 * The on text is what makes the proxy speak TLS to its upstream (RFC 8446) and verify the
 * upstream's certificate: against the CA in ${upstream_ca}, for the name in
 * ${upstream_tls_name}, which it also sends as SNI (RFC 6066 3) where it can. A case whose
 * upstream speaks TLS renders it; every other case renders the off text, so the plain
 * configuration stays what it was. */
#include "proxy_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

void ld_upstream_tls(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"on", "off", "warmup_ms", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "upstream_tls must be a table { on = \"...\", off = \"...\" }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "upstream_tls", keys);
  if (lua_getfield(L, v, "on") == LUA_TNIL)
    ld_fail(L, ld, "upstream_tls.on is required: the text of ${upstream_tls} when the upstream speaks TLS");
  lua_settop(L, v);
  ld_template_at(L, ld, v, "upstream_tls", "on", NULL, &ld->p->upstream_tls_on);
  /* an empty on text would render the TLS variant as the plain one: its cases would pass
   * while nothing was verified */
  if (!ld->p->upstream_tls_on[strspn(ld->p->upstream_tls_on, " \t\r\n")])
    ld_fail(L, ld, "upstream_tls.on must not be empty: it is what makes the proxy speak TLS to the upstream");
  /* off may be "" (the plain config has nothing in its place); absent is "" too */
  ld_template_at(L, ld, v, "upstream_tls", "off", "", &ld->p->upstream_tls_off);
  /* warmup_ms: more wait before the request, TLS cases only (a proxy that needs time to
   * learn the name it verifies); plain cases keep the definition's own warmup_ms */
  if (lua_getfield(L, v, "warmup_ms") != LUA_TNIL)
    ld->p->upstream_tls_warmup_ms = ld_ms(L, ld, lua_gettop(L), "upstream_tls.warmup_ms");
  lua_settop(L, v);
}

void ld_upstream_tls_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  const char *tls = proxy_var_names[PV_UPSTREAM_TLS], *ca = proxy_var_names[PV_UPSTREAM_CA];
  if (p->upstream_tls_on) {
    /* a variant no file writes would run the TLS cases with the plain config */
    if (!ld_uses_anywhere(p, tls))
      ld_fail(L, ld, "upstream_tls is given, but no file, command, env or upstreams text uses ${%s}", tls);
    return;
  }
  /* Without the field a case is never TLS for this proxy: these would render as "". */
  const char *used = ld_uses_anywhere(p, tls) ? tls : ld_uses_anywhere(p, ca) ? ca : NULL;
  if (used)
    ld_fail(L, ld, "the definition uses ${%s} but has no upstream_tls field: declare upstream_tls = { on = \"...\", "
            "off = \"...\" } (docs/proxies.md, \"TLS upstreams\")", used);
}

bool proxy_upstream_tls_refuse(const struct proxy_def *p, bool tls, bool forward, const char *config_text, char *why,
                               size_t len) {
  if (!tls) return false;
  if (!p->upstream_tls_on) {
    snprintf(why, len, "%s has no TLS upstream variant", p->name);
    return true;
  }
  if (forward || p->forward) {
    /* the forward mode's client names the upstream in an http:// URL or a CONNECT: the proxy
     * is not told to speak TLS to it */
    snprintf(why, len, "%s: a forward proxy's upstream is not run over TLS", p->name);
    return true;
  }
  /* ${upstream_servers} writes it too where each server line carries it (haproxy) */
  const char *each = p->upstreams.servers.each;
  bool via_servers = each && strstr(each, "${upstream_tls}") && config_text && strstr(config_text, "${upstream_servers}");
  if (config_text && !strstr(config_text, "${upstream_tls}") && !via_servers) {
    snprintf(why, len, "%s: the --proxy-config never writes ${upstream_tls}: it would speak plain HTTP to a TLS upstream",
             p->name);
    return true;
  }
  return false;
}
