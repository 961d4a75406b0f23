/* proxy_client.c: a definition's client-side knobs (client = { ... }, docs/proxies.md
 * "Client-side knobs"): which directive of the proxy carries the request-head timeout, the
 * request-body idle timeout and the request-body limit, or that it has none.
 *
 * The point is that every proxy in a run gets the same client-side settings, as it gets the
 * same upstream timeouts, and that a reader of `badup list` sees where a proxy cannot take
 * one. So a declaration is checked against the templates: a directive whose variable no
 * file uses would be a claim the rendered config does not keep, and a knob declared false
 * whose variable is used contradicts itself. */
#include "proxy_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "timeouts.h"
#include "usage.h"

const char *const proxy_knob_names[KNOB__COUNT] = {
    [KNOB_HEADER_TIMEOUT] = "header_timeout",
    [KNOB_BODY_TIMEOUT] = "body_timeout",
    [KNOB_MAX_BODY] = "max_body",
};

/* The template variables that carry each knob: either form counts as using it. */
static const enum proxy_var knob_vars[KNOB__COUNT][2] = {
    [KNOB_HEADER_TIMEOUT] = {PV_CLIENT_HEADER_TIMEOUT, PV_CLIENT_HEADER_TIMEOUT_MS},
    [KNOB_BODY_TIMEOUT] = {PV_CLIENT_BODY_TIMEOUT, PV_CLIENT_BODY_TIMEOUT_MS},
    [KNOB_MAX_BODY] = {PV_MAX_BODY, PV_MAX_BODY_KIB},
};

/* A directive string is shown in a table column: one line, printable, not too long. */
#define KNOB_DIRECTIVE_MAX 120

void ld_client(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"header_timeout", "body_timeout", "max_body", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "client must be a table { header_timeout = ..., body_timeout = ..., max_body = ... }, got %s",
            luaL_typename(L, v));
  ld_only_keys(L, ld, v, "client", keys);
  for (int k = 0; k < KNOB__COUNT; k++) {
    char what[48];
    snprintf(what, sizeof what, "client.%s", proxy_knob_names[k]);
    int type = lua_getfield(L, v, proxy_knob_names[k]);
    /* Each must be said: a knob left out would read as "none" without anyone having checked. */
    if (type == LUA_TNIL)
      ld_fail(L, ld, "%s is required: the directive that sets it, or false when %s has none", what,
              ld->p->name ? ld->p->name : "the proxy");
    if (type == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
      ld->p->client[k].declared = true;
    } else if (type == LUA_TSTRING) {
      char *d = ld->p->client[k].directive = ld_string(L, ld, -1, what);
      ld->p->client[k].declared = true;
      size_t n = strlen(d);
      if (n == 0 || n > KNOB_DIRECTIVE_MAX)
        ld_fail(L, ld, "%s must be the directive, 1 to %d characters, got %zu", what, KNOB_DIRECTIVE_MAX, n);
      for (const char *c = d; *c; c++)
        if ((unsigned char)*c < 0x20) ld_fail(L, ld, "%s must be one line of text (it is shown in badup list)", what);
    } else {
      ld_fail(L, ld, "%s must be the directive (a string) or false (the proxy has none), got %s", what,
              type == LUA_TBOOLEAN ? "true" : luaL_typename(L, -1));
    }
    lua_settop(L, v);
  }
}

void ld_client_finish(lua_State *L, struct loader *ld) {
  const struct proxy_def *p = ld->p;
  /* Without a client table the knobs' variables still render (the run's values), but nothing
   * says which directive takes them: badup list would show "-" for a proxy that has one. A
   * definition without the table and without the variables keeps loading. */
  if (!p->client[0].declared)
    for (int k = 0; k < KNOB__COUNT; k++)
      for (int j = 0; j < 2; j++)
        if (ld_uses_anywhere(p, proxy_var_names[knob_vars[k][j]]))
          ld_fail(L, ld, "the definition uses ${%s} but has no client table: declare client = { header_timeout = "
                  "..., body_timeout = ..., max_body = ... } (each the directive, or false)",
                  proxy_var_names[knob_vars[k][j]]);
  for (int k = 0; k < KNOB__COUNT; k++) {
    if (!p->client[k].declared) continue;
    const char *a = proxy_var_names[knob_vars[k][0]], *b = proxy_var_names[knob_vars[k][1]];
    bool used = ld_uses(p, a) || ld_uses(p, b);
    if (p->client[k].directive && !used)
      ld_fail(L, ld, "client declares %s (\"%.60s\") but no file, command or env uses ${%s} or ${%s}",
              proxy_knob_names[k], p->client[k].directive, a, b);
    if (!p->client[k].directive && used)
      ld_fail(L, ld, "client.%s is false (no such setting), but the definition uses ${%s}: name the directive",
              proxy_knob_names[k], ld_uses(p, a) ? a : b);
  }
}

void proxy_client_free(struct proxy_def *p) {
  for (int k = 0; k < KNOB__COUNT; k++) free(p->client[k].directive);
  memset(p->client, 0, sizeof p->client);
}

int proxy_client_timeout_arg(const char *cmd, const char *arg, double *out) {
  char *end;
  double v = strtod(arg, &end);
  /* proxies take milliseconds at best; one that takes whole seconds is skipped (granularity) */
  if (!*arg || *end || !(v >= 0.001) || v > 600)
    return cli_usage_error(cmd, "--client-timeout wants seconds from 0.001 to 600, got '%s'", arg);
  *out = v;
  return 0;
}

int proxy_max_body_arg(const char *cmd, const char *arg, long *out) {
  char *end;
  long v = strtol(arg, &end, 10);
  if (!*arg || *end || v < 1 || v > BADUP_MAX_BODY_LIMIT)
    return cli_usage_error(cmd, "--max-body wants bytes from 1 to %ld, got '%s'", BADUP_MAX_BODY_LIMIT, arg);
  *out = v;
  return 0;
}

const char *proxy_knob_text(const struct proxy_def *p, enum proxy_knob k) {
  if (!p->client[k].declared) return "-";
  return p->client[k].directive ? p->client[k].directive : "none";
}
