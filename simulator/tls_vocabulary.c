/* tls_vocabulary.c: a scenario's `tls` table and tls_alert() (tls_vocabulary.h). */
#include "tls_vocabulary.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <openssl/ssl.h>

#include "tls_certs.h"
#include "vocabulary.h"

/* The alert descriptions of RFC 8446 6 (and RFC 5246 7.2's still sent by TLS 1.2 peers). */
static const struct {
  const char *name;
  unsigned char code;
} alerts[] = {
    {"close_notify", 0},           {"unexpected_message", 10},
    {"bad_record_mac", 20},        {"record_overflow", 22},
    {"handshake_failure", 40},     {"bad_certificate", 42},
    {"unsupported_certificate", 43}, {"certificate_revoked", 44},
    {"certificate_expired", 45},   {"certificate_unknown", 46},
    {"illegal_parameter", 47},     {"unknown_ca", 48},
    {"access_denied", 49},         {"decode_error", 50},
    {"decrypt_error", 51},         {"protocol_version", 70},
    {"insufficient_security", 71}, {"internal_error", 80},
    {"inappropriate_fallback", 86}, {"user_canceled", 90},
    {"missing_extension", 109},    {"unsupported_extension", 110},
    {"unrecognized_name", 112},    {"bad_certificate_status_response", 113},
    {"unknown_psk_identity", 115}, {"certificate_required", 116},
    {"no_application_protocol", 120},
};

int ctor_tls_alert(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (lua_gettop(L) > 2) return luaL_error(L, "tls_alert() takes an alert name and an optional level");
  const char *level = luaL_optstring(L, 2, "fatal");
  unsigned char lv = strcmp(level, "fatal") == 0 ? 2 : strcmp(level, "warning") == 0 ? 1 : 0;
  if (!lv) return luaL_error(L, "tls_alert(): the level must be \"fatal\" or \"warning\", got '%s'", level);
  for (size_t i = 0; i < sizeof alerts / sizeof *alerts; i++)
    if (strcmp(alerts[i].name, name) == 0) {
      /* A record: content type alert (21), legacy_record_version 0x0303 (RFC 8446 5.1),
       * length 2; then the level and the description. */
      const char rec[7] = {21, 3, 3, 0, 2, (char)lv, (char)alerts[i].code};
      vocabulary_new_step(L, STEP_TLS_ALERT, rec, sizeof rec);
      return 1;
    }
  return luaL_error(L, "tls_alert(): unknown alert '%s' (RFC 8446 6's names: handshake_failure, protocol_version, "
                       "unrecognized_name, internal_error, ...)", name);
}

static const struct {
  const char *name;
  int version;
} versions[] = {
    {"TLSv1", TLS1_VERSION},     {"TLSv1.0", TLS1_VERSION},   {"TLSv1.1", TLS1_1_VERSION},
    {"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.3", TLS1_3_VERSION},
};

const char *tls_version_name(int version) {
  for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
    if (versions[i].version == version) return versions[i].name;
  return "?";
}

static int version_of(lua_State *L, int t, const char *field) {
  int ty = lua_getfield(L, t, field);
  int v = 0;
  if (ty != LUA_TNIL) {
    const char *name = ty == LUA_TSTRING ? lua_tostring(L, -1) : "";
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
      if (strcmp(versions[i].name, name) == 0) v = versions[i].version;
    if (!v) luaL_error(L, "scenario{}: tls.%s must be \"TLSv1\", \"TLSv1.1\", \"TLSv1.2\" or \"TLSv1.3\"", field);
  }
  lua_pop(L, 1);
  return v;
}

static bool handshake_step_ok(enum step_op op) {
  switch (op) {
  case STEP_SEND: case STEP_TXRESP: case STEP_DRIBBLE: case STEP_STALL: case STEP_STOPREAD:
  case STEP_BARRIER: case STEP_REACH: case STEP_TLS_ALERT: case STEP_CLOSE: case STEP_RESET:
  case STEP_HALFCLOSE:
    return true;
  default:
    return false;
  }
}

static void check_handshake(lua_State *L, int h) {
  vocabulary_check_prelude(L, h, "tls.handshake", handshake_step_ok,
                           "send, txresp, dribble, stall, stopread, barrier, reach, tls_alert, close, reset, halfclose",
                           "after it no TLS session exists to go on in");
}

void tls_table_check(lua_State *L, int t) {
  if (!lua_istable(L, t)) luaL_error(L, "scenario{}: tls must be a table { cert = \"valid\", ... }");
  static const char *const known[] = {"cert", "min_version", "max_version", "alpn", "sni", "handshake", NULL};
  vocabulary_check_fields(L, t, known, "scenario{}.tls");
  int ty = lua_getfield(L, t, "cert");
  if (ty != LUA_TNIL && (ty != LUA_TSTRING || tls_cert_kind_parse(lua_tostring(L, -1)) < 0))
    luaL_error(L, "scenario{}: tls.cert must be \"valid\", \"expired\", \"wrong_name\" or \"untrusted\"");
  lua_pop(L, 1);
  int lo = version_of(L, t, "min_version"), hi = version_of(L, t, "max_version");
  if (lo && hi && lo > hi) luaL_error(L, "scenario{}: tls.min_version is above tls.max_version");
  ty = lua_getfield(L, t, "alpn");
  if (ty != LUA_TNIL) {
    size_t n = ty == LUA_TTABLE ? lua_rawlen(L, -1) : 0;
    if (n == 0 || n > 8) luaL_error(L, "scenario{}: tls.alpn must be a list of 1 to 8 protocol names (\"http/1.1\", \"h2\")");
    for (size_t i = 1; i <= n; i++) {
      size_t len = 0;
      if (lua_rawgeti(L, -1, (lua_Integer)i) != LUA_TSTRING || (lua_tolstring(L, -1, &len), len == 0 || len > 255))
        luaL_error(L, "scenario{}: tls.alpn[%d] must be a protocol name of 1 to 255 bytes", (int)i);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  ty = lua_getfield(L, t, "sni");
  if (ty != LUA_TNIL && (ty != LUA_TSTRING || lua_rawlen(L, -1) == 0 || lua_rawlen(L, -1) > 253))
    luaL_error(L, "scenario{}: tls.sni must be a host name (1 to 253 bytes)");
  lua_pop(L, 1);
  if (lua_getfield(L, t, "handshake") != LUA_TNIL) check_handshake(L, lua_gettop(L));
  lua_pop(L, 1);
}

bool tls_has_handshake(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  bool has = lua_getfield(L, idx, "tls") == LUA_TTABLE && lua_getfield(L, -1, "handshake") != LUA_TNIL;
  lua_settop(L, top);
  return has;
}

void scenario_tls_free(struct scenario_tls *t) {
  if (!t) return;
  for (size_t i = 0; i < t->nalpn; i++) free(t->alpn[i]);
  free(t->alpn);
  free(t->sni);
  plan_free(t->handshake);
  free(t);
}

struct scenario_tls *scenario_tls_from_lua(lua_State *L, int idx, const char *path, struct buf *err) {
  idx = lua_absindex(L, idx);
  struct scenario_tls *t = calloc(1, sizeof *t);
  if (!t) goto oom;
  if (lua_getfield(L, idx, "cert") == LUA_TSTRING) t->cert = tls_cert_kind_parse(lua_tostring(L, -1));
  lua_pop(L, 1);
  t->min_version = version_of(L, idx, "min_version");
  t->max_version = version_of(L, idx, "max_version");
  if (lua_getfield(L, idx, "alpn") == LUA_TTABLE) {
    size_t n = lua_rawlen(L, -1);
    if (!(t->alpn = calloc(n, sizeof *t->alpn))) goto oom_pop;
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      t->alpn[i] = strdup(lua_tostring(L, -1));
      lua_pop(L, 1);
      if (!t->alpn[i]) goto oom_pop;
      t->nalpn++;
    }
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "sni") == LUA_TSTRING && !(t->sni = strdup(lua_tostring(L, -1)))) goto oom_pop;
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "handshake") == LUA_TTABLE) {
    /* Static, like a listener plan: no connection ever frees it (refs 0). */
    t->handshake = vocabulary_to_plan(L, -1, 0, path, 1, err);
    if (!t->handshake) {
      lua_pop(L, 1);
      scenario_tls_free(t);
      return NULL;
    }
  }
  lua_pop(L, 1);
  return t;
oom_pop:
  lua_pop(L, 1);
oom:
  scenario_tls_free(t);
  buf_printf(err, "%s:1: out of memory", path);
  return NULL;
}
