/* h2_vocabulary.c: a scenario's `http2` and the HTTP/2 frame steps (h2_vocabulary.h).
 *
 * Each frame step is compiled to its frames' bytes when the scenario loads, so running it
 * is one write: HPACK without the dynamic table makes a header block the same on every
 * connection. Only the stream id is left to fill in, when it is the request's. */
#include "h2_vocabulary.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <nghttp2/nghttp2.h>

#include "h2_frame.h"
#include "vocabulary.h"

bool h2_step_is_frame(enum step_op op) {
  switch (op) {
  case STEP_H2_SETTINGS: case STEP_H2_HEADERS: case STEP_H2_DATA: case STEP_H2_RST_STREAM:
  case STEP_H2_GOAWAY: case STEP_H2_WINDOW_UPDATE: case STEP_H2_PING: case STEP_H2_FRAME:
    return true;
  default:
    return false;
  }
}

/* ---- argument helpers (all raise at the caller's line) --------------------------------- */

static void opt_table(lua_State *L, int arg, int nargs_max, const char *name, const char *const *known) {
  if (lua_gettop(L) > nargs_max) luaL_error(L, "%s() takes at most %d argument%s", name, nargs_max, nargs_max > 1 ? "s" : "");
  if (lua_isnoneornil(L, arg)) return;
  if (!lua_istable(L, arg)) luaL_error(L, "%s(): argument %d must be a table { ... }", name, arg);
  char what[40];
  snprintf(what, sizeof what, "%s{}", name);
  vocabulary_check_fields(L, arg, known, what);
}

/* t[k] as an integer in lo..hi, or dflt when absent. */
static uint32_t int_field(lua_State *L, int t, const char *k, uint64_t lo, uint64_t hi, uint32_t dflt, const char *name) {
  if (lua_isnoneornil(L, t)) return dflt;
  int ty = lua_getfield(L, t, k);
  uint32_t v = dflt;
  if (ty != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < (lua_Integer)lo || (uint64_t)lua_tointeger(L, -1) > hi)
      luaL_error(L, "%s{}: %s must be an integer from %I to %I", name, k, (lua_Integer)lo, (lua_Integer)hi);
    v = (uint32_t)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static bool bool_field(lua_State *L, int t, const char *k, bool dflt, const char *name) {
  if (lua_isnoneornil(L, t)) return dflt;
  int ty = lua_getfield(L, t, k);
  bool v = dflt;
  if (ty != LUA_TNIL) {
    if (ty != LUA_TBOOLEAN) luaL_error(L, "%s{}: %s must be a boolean", name, k);
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static uint32_t stream_field(lua_State *L, int t, const char *k, uint32_t dflt, const char *name) {
  return int_field(L, t, k, 0, H2_STREAM_MAX, dflt, name);
}

/* An error code: a name of RFC 9113 7 or a number. */
static uint32_t check_code(lua_State *L, int idx, const char *name) {
  if (lua_isinteger(L, idx)) {
    lua_Integer v = lua_tointeger(L, idx);
    if (v < 0 || v > 0xffffffffLL) luaL_error(L, "%s(): an error code is 0 to 4294967295", name);
    return (uint32_t)v;
  }
  const char *s = lua_tostring(L, idx);
  int64_t code = s ? h2_error_parse(s) : -1;
  if (code < 0)
    luaL_error(L, "%s(): unknown error code '%s' (RFC 9113 7: NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, "
                  "REFUSED_STREAM, CANCEL, ... or a number)", name, s ? s : luaL_typename(L, idx));
  return (uint32_t)code;
}

/* Pushes a new step whose bytes are n frames of one type: payload cut at H2_MAX_FRAME,
 * `first_flags` on the first, `last_flags` on the last (both on a single frame), and `cont`
 * the type of the frames after the first (HEADERS continues in CONTINUATION). */
static struct step *push_frames(lua_State *L, enum step_op op, uint8_t type, uint8_t cont, uint8_t first_flags,
                                uint8_t last_flags, uint32_t stream, const unsigned char *payload, size_t len) {
  size_t nframes = len ? (len + H2_MAX_FRAME - 1) / H2_MAX_FRAME : 1;
  size_t total = nframes * H2_FRAME_HEADER + len;
  /* A Lua-owned block: freed by the collector even when vocabulary_new_step raises. */
  unsigned char *out = lua_newuserdatauv(L, total, 0);
  size_t at = 0, off = 0;
  for (size_t i = 0; i < nframes; i++) {
    size_t n = len - off < H2_MAX_FRAME ? len - off : H2_MAX_FRAME;
    uint8_t flags = (uint8_t)((i == 0 ? first_flags : 0) | (i + 1 == nframes ? last_flags : 0));
    h2_frame_header(out + at, (uint32_t)n, i == 0 ? type : cont, flags, stream == H2_STREAM_CURRENT ? 0 : stream);
    memcpy(out + at + H2_FRAME_HEADER, payload + off, n);
    at += H2_FRAME_HEADER + n;
    off += n;
  }
  struct step *s = vocabulary_new_step(L, op, (const char *)out, total);
  lua_remove(L, -2); /* the step holds its own copy */
  s->stream = stream;
  return s;
}

/* ---- settings ---------------------------------------------------------------------------- */

/* The payload of the settings table at t (RFC 9113 6.5.1: 6 bytes a setting), in identifier
 * order so a file gives the same bytes every time. Returns its length; ack set by ack = true. */
static size_t settings_payload(lua_State *L, int t, unsigned char *out, size_t cap, bool *ack, const char *what) {
  uint64_t values[16];
  bool set[16] = {false};
  *ack = false;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (k && strcmp(k, "ack") == 0) {
      if (!lua_isboolean(L, -1)) luaL_error(L, "%s: ack must be a boolean", what);
      *ack = lua_toboolean(L, -1);
      lua_pop(L, 1);
      continue;
    }
    int id = k ? h2_setting_parse(k) : -1;
    /* Names only in lower case: the Lua spelling of every other field. */
    for (const char *p = k; id >= 0 && *p; p++)
      if (*p >= 'A' && *p <= 'Z') id = -1;
    if (id < 0 || id >= 16)
      luaL_error(L, "%s: unknown setting '%s' (RFC 9113 6.5.2, in lower case: header_table_size, enable_push, "
                    "max_concurrent_streams, initial_window_size, max_frame_size, max_header_list_size)",
                 what, k ? k : luaL_typename(L, -2));
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 0xffffffffLL)
      luaL_error(L, "%s: %s must be an integer from 0 to 4294967295", what, k);
    values[id] = (uint64_t)lua_tointeger(L, -1);
    set[id] = true;
    lua_pop(L, 1);
  }
  size_t n = 0;
  for (int id = 0; id < 16; id++)
    if (set[id] && n + 6 <= cap) {
      out[n] = 0, out[n + 1] = (unsigned char)id;
      h2_put_u32(out + n + 2, (uint32_t)values[id]);
      n += 6;
    }
  if (*ack && n) luaL_error(L, "%s: a SETTINGS frame with ACK carries no settings (RFC 9113 6.5)", what);
  return n;
}

int ctor_h2_settings(lua_State *L) {
  if (lua_gettop(L) > 1 || (!lua_isnoneornil(L, 1) && !lua_istable(L, 1)))
    return luaL_error(L, "settings() takes one table: settings{ initial_window_size = 0 } or settings{ ack = true }");
  unsigned char payload[16 * 6];
  bool ack = false;
  size_t n = lua_isnoneornil(L, 1) ? 0 : settings_payload(L, 1, payload, sizeof payload, &ack, "settings{}");
  push_frames(L, STEP_H2_SETTINGS, H2_SETTINGS, H2_SETTINGS, ack ? H2_FLAG_ACK : 0, 0, 0, payload, n);
  return 1;
}

/* ---- headers ----------------------------------------------------------------------------- */

static int ctor_h2_headers_body(lua_State *L, int t) {
  static const char *const known[] = {"status", "headers", "end_stream", "stream", NULL};
  vocabulary_check_fields(L, t, known, "headers{}");
  /* Every name and value, in order, kept alive on the stack until the block is encoded. */
  nghttp2_nv nva[256];
  size_t n = 0;
  int ty = lua_getfield(L, t, "status");
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushliteral(L, "200");
  } else if (ty == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    lua_pushnil(L);
  } else if (ty == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0 && lua_tointeger(L, -1) <= 999) {
    lua_pushfstring(L, "%d", (int)lua_tointeger(L, -1));
    lua_remove(L, -2);
  } else if (ty != LUA_TSTRING) {
    return luaL_error(L, "headers{}: status must be an integer from 0 to 999, a string (sent as it is) or false (no :status)");
  }
  if (!lua_isnil(L, -1)) {
    size_t len;
    const char *v = lua_tolstring(L, -1, &len);
    nva[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)v, 7, len, NGHTTP2_NV_FLAG_NONE};
  }
  if (lua_getfield(L, t, "headers") != LUA_TNIL) {
    int h = lua_gettop(L);
    if (!lua_istable(L, h)) return luaL_error(L, "headers{}: headers must be a table");
    lua_Integer count = (lua_Integer)lua_rawlen(L, h);
    /* A pair's value may be a number, whose string exists only on the stack: keep them all. */
    luaL_checkstack(L, (int)(count > 255 ? 255 : count) * 3 + 8, "headers{}: too many fields");
    for (lua_Integer i = 1; i <= count; i++) {
      if (n + 1 >= sizeof nva / sizeof *nva) return luaL_error(L, "headers{}: at most 255 fields");
      int vt = lua_rawgeti(L, h, i);
      size_t nl = 0, vl = 0;
      const char *name = NULL, *value = NULL;
      if (vt == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
          return luaL_error(L, "headers{}: field %d must be {name, value} strings", (int)i);
        name = lua_tolstring(L, -2, &nl);
        value = lua_tolstring(L, -1, &vl);
      } else if (vt == LUA_TSTRING) {
        size_t len;
        const char *line = lua_tolstring(L, -1, &len);
        const char *colon = memchr(line, ':', len);
        if (!colon || colon == line) return luaL_error(L, "headers{}: field %d must be \"name: value\"", (int)i);
        name = line, nl = (size_t)(colon - line);
        value = colon + 1, vl = len - nl - 1;
        while (vl && (*value == ' ' || *value == '\t')) value++, vl--;
      } else {
        return luaL_error(L, "headers{}: field %d must be a {name, value} pair or a \"name: value\" string", (int)i);
      }
      nva[n++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nl, vl, NGHTTP2_NV_FLAG_NONE};
    }
    /* The map part, sorted by name so the bytes do not depend on Lua's hashing. */
    size_t first = n;
    lua_pushnil(L);
    while (lua_next(L, h)) {
      if (lua_type(L, -2) == LUA_TSTRING) {
        if (n + 1 >= sizeof nva / sizeof *nva) return luaL_error(L, "headers{}: at most 255 fields");
        /* Strings only: a number would be converted on the stack, and popped. Keys and
         * string values live in the table, which the caller's arguments hold. */
        if (lua_type(L, -1) != LUA_TSTRING)
          return luaL_error(L, "headers{}: the value of '%s' must be a string", lua_tostring(L, -2));
        size_t nl, vl;
        const char *name = lua_tolstring(L, -2, &nl), *value = lua_tolstring(L, -1, &vl);
        nva[n++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nl, vl, NGHTTP2_NV_FLAG_NONE};
        size_t j = n - 1;
        while (j > first && strcmp((const char *)nva[j - 1].name, (const char *)nva[j].name) > 0) {
          nghttp2_nv tmp = nva[j - 1];
          nva[j - 1] = nva[j], nva[j] = tmp;
          j--;
        }
      } else if (!lua_isinteger(L, -2)) {
        return luaL_error(L, "headers{}: headers holds a key that is neither a list index nor a name");
      }
      lua_pop(L, 1);
    }
  }
  bool end_stream = bool_field(L, t, "end_stream", false, "headers");
  uint32_t stream = stream_field(L, t, "stream", H2_STREAM_CURRENT, "headers");
  nghttp2_hd_deflater *d = NULL;
  if (nghttp2_hd_deflate_new(&d, 0) != 0) return luaL_error(L, "headers{}: out of memory");
  size_t bound = nghttp2_hd_deflate_bound(d, nva, n);
  unsigned char *block = malloc(bound ? bound : 1);
  ssize_t len = block ? nghttp2_hd_deflate_hd(d, block, bound, nva, n) : -1;
  nghttp2_hd_deflate_del(d);
  if (len < 0) {
    free(block);
    return luaL_error(L, "headers{}: the header block cannot be encoded (%s)",
                      len == -1 ? "out of memory" : nghttp2_strerror((int)len));
  }
  push_frames(L, STEP_H2_HEADERS, H2_HEADERS, H2_CONTINUATION, end_stream ? H2_FLAG_END_STREAM : 0,
              H2_FLAG_END_HEADERS, stream, block, (size_t)len);
  free(block);
  return 1;
}

int ctor_h2_headers(lua_State *L) {
  if (lua_gettop(L) > 1 || !lua_istable(L, 1))
    return luaL_error(L, "headers() takes one table: headers{ status = 200, headers = { ... } }");
  return ctor_h2_headers_body(L, 1);
}

/* ---- the other frames ---------------------------------------------------------------------- */

int ctor_h2_data(lua_State *L) {
  size_t len;
  const char *b = luaL_checklstring(L, 1, &len);
  static const char *const known[] = {"end_stream", "stream", NULL};
  opt_table(L, 2, 2, "data", known);
  bool end = bool_field(L, 2, "end_stream", true, "data");
  uint32_t stream = stream_field(L, 2, "stream", H2_STREAM_CURRENT, "data");
  push_frames(L, STEP_H2_DATA, H2_DATA, H2_DATA, 0, end ? H2_FLAG_END_STREAM : 0, stream, (const unsigned char *)b, len);
  return 1;
}

int ctor_h2_rst_stream(lua_State *L) {
  if (lua_isnoneornil(L, 1)) return luaL_error(L, "rst_stream() needs an error code: rst_stream(\"REFUSED_STREAM\")");
  uint32_t code = check_code(L, 1, "rst_stream");
  static const char *const known[] = {"stream", NULL};
  opt_table(L, 2, 2, "rst_stream", known);
  uint32_t stream = stream_field(L, 2, "stream", H2_STREAM_CURRENT, "rst_stream");
  unsigned char p[4];
  h2_put_u32(p, code);
  push_frames(L, STEP_H2_RST_STREAM, H2_RST_STREAM, H2_RST_STREAM, 0, 0, stream, p, sizeof p);
  return 1;
}

int ctor_h2_goaway(lua_State *L) {
  static const char *const known[] = {"last_stream_id", "code", "debug", NULL};
  opt_table(L, 1, 1, "goaway", known);
  uint32_t last = stream_field(L, 1, "last_stream_id", H2_STREAM_CURRENT, "goaway");
  uint32_t code = 0;
  size_t dlen = 0;
  const char *debug = "";
  if (!lua_isnoneornil(L, 1)) {
    if (lua_getfield(L, 1, "code") != LUA_TNIL) code = check_code(L, -1, "goaway");
    lua_pop(L, 1);
    int ty = lua_getfield(L, 1, "debug");
    if (ty != LUA_TNIL && ty != LUA_TSTRING) return luaL_error(L, "goaway{}: debug must be a string");
    if (ty == LUA_TSTRING) debug = lua_tolstring(L, -1, &dlen); /* kept alive by the table */
    lua_pop(L, 1);
    if (dlen > 1024) return luaL_error(L, "goaway{}: debug data is at most 1024 bytes here");
  }
  unsigned char p[8 + 1024];
  h2_put_u32(p, last == H2_STREAM_CURRENT ? 0 : last);
  h2_put_u32(p + 4, code);
  memcpy(p + 8, debug, dlen);
  struct step *s = push_frames(L, STEP_H2_GOAWAY, H2_GOAWAY, H2_GOAWAY, 0, 0, 0, p, 8 + dlen);
  s->stream = last; /* the frame is the connection's; the id to fill in is last_stream_id */
  return 1;
}

int ctor_h2_window_update(lua_State *L) {
  static const char *const known[] = {"increment", "stream", NULL};
  if (!lua_istable(L, 1)) return luaL_error(L, "window_update() takes one table: window_update{ increment = N, stream = 0 }");
  opt_table(L, 1, 1, "window_update", known);
  uint32_t inc = int_field(L, 1, "increment", 0, H2_STREAM_MAX, 0xffffffffu, "window_update");
  if (inc == 0xffffffffu) return luaL_error(L, "window_update{}: increment is required (0 to 2147483647; 0 is a PROTOCOL_ERROR to the peer)");
  uint32_t stream = stream_field(L, 1, "stream", 0, "window_update");
  unsigned char p[4];
  h2_put_u32(p, inc);
  push_frames(L, STEP_H2_WINDOW_UPDATE, H2_WINDOW_UPDATE, H2_WINDOW_UPDATE, 0, 0, stream, p, sizeof p);
  return 1;
}

int ctor_h2_ping(lua_State *L) {
  static const char *const known[] = {"data", "ack", NULL};
  opt_table(L, 1, 1, "ping", known);
  unsigned char p[8] = {'b', 'a', 'd', 'u', 'p', 0, 0, 0};
  if (!lua_isnoneornil(L, 1)) {
    int ty = lua_getfield(L, 1, "data");
    if (ty != LUA_TNIL && (ty != LUA_TSTRING || lua_rawlen(L, -1) != 8))
      return luaL_error(L, "ping{}: data must be exactly 8 bytes (RFC 9113 6.7)");
    if (ty == LUA_TSTRING) memcpy(p, lua_tostring(L, -1), 8);
    lua_pop(L, 1);
  }
  bool ack = bool_field(L, 1, "ack", false, "ping");
  push_frames(L, STEP_H2_PING, H2_PING, H2_PING, ack ? H2_FLAG_ACK : 0, 0, 0, p, sizeof p);
  return 1;
}

int ctor_h2_frame(lua_State *L) {
  static const char *const known[] = {"type", "flags", "stream", "payload", NULL};
  if (!lua_istable(L, 1)) return luaL_error(L, "frame() takes one table: frame{ type = N, flags = 0, stream = N, payload = \"\" }");
  opt_table(L, 1, 1, "frame", known);
  uint32_t type = int_field(L, 1, "type", 0, 255, 256, "frame");
  if (type == 256) return luaL_error(L, "frame{}: type is required (0 to 255; RFC 9113 6: DATA 0 .. CONTINUATION 9)");
  uint32_t flags = int_field(L, 1, "flags", 0, 255, 0, "frame");
  uint32_t stream = stream_field(L, 1, "stream", H2_STREAM_CURRENT, "frame");
  size_t len = 0;
  const char *payload = "";
  int ty = lua_getfield(L, 1, "payload");
  if (ty != LUA_TNIL && ty != LUA_TSTRING) return luaL_error(L, "frame{}: payload must be a string");
  if (ty == LUA_TSTRING) payload = lua_tolstring(L, -1, &len);
  lua_pop(L, 1);
  if (len > 0xffffff) return luaL_error(L, "frame{}: payload must fit a 24-bit length");
  /* One frame whatever its length: a frame larger than the peer allows is a fault to send. */
  unsigned char hdr[H2_FRAME_HEADER];
  h2_frame_header(hdr, (uint32_t)len, (uint8_t)type, (uint8_t)flags, stream == H2_STREAM_CURRENT ? 0 : stream);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addlstring(&b, (const char *)hdr, sizeof hdr);
  luaL_addlstring(&b, payload, len);
  luaL_pushresult(&b);
  size_t total;
  const char *bytes = lua_tolstring(L, -1, &total);
  struct step *s = vocabulary_new_step(L, STEP_H2_FRAME, bytes, total);
  s->stream = stream;
  lua_remove(L, -2);
  return 1;
}

/* ---- the http2 table ----------------------------------------------------------------------- */

static bool preface_step_ok(enum step_op op) {
  switch (op) {
  case STEP_SEND: case STEP_TXRESP: case STEP_DRIBBLE: case STEP_STALL: case STEP_STOPREAD:
  case STEP_BARRIER: case STEP_REACH: case STEP_CLOSE: case STEP_RESET: case STEP_HALFCLOSE:
    return true;
  default:
    return h2_step_is_frame(op);
  }
}

static void check_preface(lua_State *L, int h) {
  vocabulary_check_prelude(L, h, "http2.preface", preface_step_ok,
                           "send, txresp, dribble, stall, stopread, barrier, reach, the frame steps, close, reset, "
                           "halfclose",
                           "no HTTP/2 connection follows it");
}

void h2_table_check(lua_State *L, int t) {
  t = lua_absindex(L, t);
  if (lua_isboolean(L, t)) {
    if (!lua_toboolean(L, t)) luaL_error(L, "scenario{}: http2 must be true or a table { settings = ..., preface = ... }");
    return;
  }
  if (!lua_istable(L, t)) luaL_error(L, "scenario{}: http2 must be true or a table { settings = ..., preface = ... }");
  static const char *const known[] = {"settings", "preface", NULL};
  vocabulary_check_fields(L, t, known, "scenario{}.http2");
  int ty = lua_getfield(L, t, "settings");
  if (ty == LUA_TTABLE) {
    unsigned char payload[16 * 6];
    bool ack;
    settings_payload(L, lua_gettop(L), payload, sizeof payload, &ack, "scenario{}: http2.settings");
    if (ack) luaL_error(L, "scenario{}: http2.settings is the server's first SETTINGS, which is no ACK");
  } else if (ty != LUA_TNIL && !(ty == LUA_TBOOLEAN && !lua_toboolean(L, -1))) {
    luaL_error(L, "scenario{}: http2.settings must be a table of settings or false (no SETTINGS frame at all)");
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "preface") != LUA_TNIL) check_preface(L, lua_gettop(L));
  lua_pop(L, 1);
}

bool h2_has_preface(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  bool has = lua_getfield(L, idx, "http2") == LUA_TTABLE && lua_getfield(L, -1, "preface") != LUA_TNIL;
  lua_settop(L, top);
  return has;
}

void h2_plan_check(lua_State *L, int idx, bool has_http2) {
  if (has_http2 || !lua_istable(L, idx)) return;
  idx = lua_absindex(L, idx);
  size_t n = lua_rawlen(L, idx);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i);
    const struct step *s = vocabulary_test_step(L, -1);
    if (s && h2_step_is_frame(s->op))
      luaL_error(L, "scenario{}: %s() sends an HTTP/2 frame (line %d): the scenario needs http2 = true", step_names[s->op],
                 s->line);
    lua_pop(L, 1);
  }
}

void scenario_http2_free(struct scenario_http2 *h) {
  if (!h) return;
  free(h->settings);
  plan_free(h->preface);
  free(h);
}

struct scenario_http2 *scenario_http2_from_lua(lua_State *L, int idx, const char *path, struct buf *err) {
  idx = lua_absindex(L, idx);
  struct scenario_http2 *h = calloc(1, sizeof *h);
  unsigned char payload[16 * 6];
  size_t n = 0;
  bool send = true, ack;
  if (!h) goto oom;
  if (lua_istable(L, idx)) {
    int ty = lua_getfield(L, idx, "settings");
    if (ty == LUA_TTABLE) n = settings_payload(L, lua_gettop(L), payload, sizeof payload, &ack, "http2.settings");
    else if (ty == LUA_TBOOLEAN) send = false; /* checked: only false */
    else n = 6, payload[0] = 0, payload[1] = H2_SETTINGS_MAX_CONCURRENT_STREAMS, h2_put_u32(payload + 2, 100);
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "preface") == LUA_TTABLE) {
      /* Static, like tls.handshake: no connection ever frees it (refs 0). */
      h->preface = vocabulary_to_plan(L, -1, 0, path, 1, err);
      if (!h->preface) {
        lua_pop(L, 1);
        scenario_http2_free(h);
        return NULL;
      }
    }
    lua_pop(L, 1);
  } else {
    n = 6, payload[0] = 0, payload[1] = H2_SETTINGS_MAX_CONCURRENT_STREAMS, h2_put_u32(payload + 2, 100);
  }
  h->max_frame = H2_MAX_FRAME;
  for (size_t at = 0; at + 6 <= n; at += 6) {
    uint32_t v = h2_u32(payload + at + 2);
    if (payload[at + 1] == H2_SETTINGS_MAX_FRAME_SIZE) /* identifiers are below 256 here */
      h->max_frame = v < H2_MAX_FRAME ? H2_MAX_FRAME : v > 0xffffff ? 0xffffff : v;
    if (payload[at + 1] == H2_SETTINGS_INITIAL_WINDOW_SIZE) h->window_closed = v == 0;
  }
  if (send) {
    if (!(h->settings = malloc(H2_FRAME_HEADER + n))) goto oom;
    h2_frame_header(h->settings, (uint32_t)n, H2_SETTINGS, 0, 0);
    memcpy(h->settings + H2_FRAME_HEADER, payload, n);
    h->settings_len = H2_FRAME_HEADER + n;
  }
  return h;
oom:
  scenario_http2_free(h);
  buf_printf(err, "%s:1: out of memory", path);
  return NULL;
}
