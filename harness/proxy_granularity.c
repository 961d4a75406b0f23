/* proxy_granularity.c: the steps in which a proxy takes the run's values (granularity = {
 * connect_timeout = 1, read_timeout = 1, client_timeout = 1, max_body = 1024 }, docs/proxies.md).
 *
 * A proxy whose directive takes whole seconds is given ${read_timeout} as the run has it:
 * 2.5 is refused by one (apache2: "Cannot parse"), read as 2 or 0 by another, and acted on at
 * 3 s by a third, while results.json says 2.5 and the verdict blames the proxy. So a value
 * that is not a multiple of the proxy's step is not run at all: its cases are skipped with
 * the reason, and `badup proxy render` refuses it, as for a scenario's upstreams it cannot
 * send to. */
#include "proxy_load.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

const char *const proxy_grain_names[GRAIN__COUNT] = {
    [GRAIN_CONNECT_TIMEOUT] = "connect_timeout",
    [GRAIN_READ_TIMEOUT] = "read_timeout",
    [GRAIN_CLIENT_TIMEOUT] = "client_timeout",
    [GRAIN_MAX_BODY] = "max_body",
};

/* The largest step worth saying: a run's timeouts are at most 600 s, its body limit 1 GiB. */
#define STEP_MAX_S 600.0
#define STEP_MAX_BYTES 1073741824.0

void ld_granularity(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"connect_timeout", "read_timeout", "client_timeout", "max_body", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "granularity must be a table { read_timeout = 1, max_body = 1024, ... }, got %s",
            luaL_typename(L, v));
  ld_only_keys(L, ld, v, "granularity", keys);
  for (int k = 0; k < GRAIN__COUNT; k++) {
    int type = lua_getfield(L, v, proxy_grain_names[k]);
    if (type != LUA_TNIL) {
      bool bytes = k == GRAIN_MAX_BODY;
      double max = bytes ? STEP_MAX_BYTES : STEP_MAX_S;
      if (type != LUA_TNUMBER)
        ld_fail(L, ld, "granularity.%s must be a number (the step, in %s), got %s", proxy_grain_names[k],
                bytes ? "bytes" : "seconds", luaL_typename(L, -1));
      double s = lua_tonumber(L, -1);
      if (!(s > 0) || s > max || (bytes && s != floor(s)))
        ld_fail(L, ld, "granularity.%s must be a positive %s up to %g, got %g", proxy_grain_names[k],
                bytes ? "whole number of bytes" : "number of seconds", max, s);
      ld->p->granularity[k] = s;
    }
    lua_settop(L, v);
  }
}

/* The directive that carries a value, as its client knob names it, without the note in
 * parentheses ("request_timeout (whole s)"); "" when the definition does not say. */
static void directive_of(const struct proxy_def *p, enum proxy_grain k, char *out, size_t len) {
  const char *d = NULL;
  if (k == GRAIN_CLIENT_TIMEOUT)
    d = p->client[KNOB_HEADER_TIMEOUT].directive ? p->client[KNOB_HEADER_TIMEOUT].directive
                                                 : p->client[KNOB_BODY_TIMEOUT].directive;
  else if (k == GRAIN_MAX_BODY)
    d = p->client[KNOB_MAX_BODY].directive;
  out[0] = 0;
  if (!d) return;
  const char *note = strstr(d, " (");
  snprintf(out, len, " (%.*s)", (int)(note ? (size_t)(note - d) : strlen(d)), d);
}

/* Is v a whole number of steps? Within a rounding error of the decimal the user typed. */
static bool multiple_of(double v, double step) {
  double q = v / step;
  return fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, q);
}

bool proxy_granularity_refuse(const struct proxy_def *p, double connect_s, double read_s, double client_s,
                              long max_body, char *why, size_t len) {
  const double values[GRAIN__COUNT] = {connect_s, read_s, client_s, (double)max_body};
  for (int k = 0; k < GRAIN__COUNT; k++) {
    double step = p->granularity[k], v = values[k];
    if (step <= 0 || v <= 0 || multiple_of(v, step)) continue;
    char in[64], dir[96];
    if (k == GRAIN_MAX_BODY) snprintf(in, sizeof in, "in steps of %.0f bytes", step);
    else if (step == 1) snprintf(in, sizeof in, "in whole seconds");
    else snprintf(in, sizeof in, "in steps of %g s", step);
    directive_of(p, (enum proxy_grain)k, dir, sizeof dir);
    snprintf(why, len, "%s takes %s %s%s: %g is not", p->name, proxy_grain_names[k], in, dir, v);
    return true;
  }
  return false;
}
