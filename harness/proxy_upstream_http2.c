/* proxy_upstream_http2.c: a definition's HTTP/2 upstream variant, `upstream_http2 = { on =
 * "...", off = "..." }` (docs/proxies.md, "HTTP/2 upstreams"), checked and copied.
 *
 * The on text is what makes the proxy speak HTTP/2 to its upstream (RFC 9113): h2c with
 * prior knowledge (3.3) on a plain connection, h2 by ALPN over TLS. A case whose scenario
 * says `http2 = ...` renders it; every other case renders the off text, so the HTTP/1
 * configuration stays what it was. The client side of the proxy stays HTTP/1.1. */
#include "proxy_load.h"

#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

void ld_upstream_http2(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"on", "off", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "upstream_http2 must be a table { on = \"...\", off = \"...\" }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "upstream_http2", keys);
  if (lua_getfield(L, v, "on") == LUA_TNIL)
    ld_fail(L, ld, "upstream_http2.on is required: the text of ${upstream_http2} when the upstream speaks HTTP/2");
  lua_settop(L, v);
  ld_template_at(L, ld, v, "upstream_http2", "on", NULL, &ld->p->upstream_http2_on);
  /* an empty on text would run the HTTP/2 cases with the HTTP/1 config: they would judge
   * the proxy against an upstream it never spoke HTTP/2 to */
  if (!ld->p->upstream_http2_on[strspn(ld->p->upstream_http2_on, " \t\r\n")])
    ld_fail(L, ld, "upstream_http2.on must not be empty: it is what makes the proxy speak HTTP/2 to the upstream");
  ld_template_at(L, ld, v, "upstream_http2", "off", "", &ld->p->upstream_http2_off);
}

void ld_upstream_http2_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  const char *h2 = proxy_var_names[PV_UPSTREAM_HTTP2];
  if (p->upstream_http2_on && !ld_uses_anywhere(p, h2))
    ld_fail(L, ld, "upstream_http2 is given, but no file, command, env or upstreams text uses ${%s}", h2);
  if (!p->upstream_http2_on && ld_uses_anywhere(p, h2))
    ld_fail(L, ld, "the definition uses ${%s} but has no upstream_http2 field: declare upstream_http2 = { on = "
            "\"...\", off = \"...\" } (docs/proxies.md, \"HTTP/2 upstreams\")", h2);
}

bool proxy_upstream_http2_refuse(const struct proxy_def *p, bool http2, bool forward, const char *config_text,
                                 char *why, size_t len) {
  if (!http2) return false;
  if (!p->upstream_http2_on) {
    snprintf(why, len, "no HTTP/2 upstream: %s has no upstream_http2 variant", p->name);
    return true;
  }
  if (forward || p->forward) {
    snprintf(why, len, "no HTTP/2 upstream: %s's forward mode speaks HTTP/1 to the host its client names", p->name);
    return true;
  }
  const char *each = p->upstreams.servers.each;
  bool via_servers = each && strstr(each, "${upstream_http2}") && config_text && strstr(config_text, "${upstream_servers}");
  if (config_text && !strstr(config_text, "${upstream_http2}") && !via_servers) {
    snprintf(why, len, "no HTTP/2 upstream: the --proxy-config never writes ${upstream_http2}: %s would speak "
             "HTTP/1 to an HTTP/2 upstream", p->name);
    return true;
  }
  return false;
}
