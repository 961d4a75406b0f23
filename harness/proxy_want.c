/* proxy_want.c: the typed readers of the definition loader (see proxy_load.h): each
 * checks one value's type and shape and copies it, or raises "file:line: proxy{}: ...". */
#include "proxy_load.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "buf.h"

/* Raises "path:line: message". The position is already there, so the traceback handler adds
 * none. Never returns. */
int ld_fail_at(lua_State *L, const struct loader *ld, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lua_pushfstring(L, "%s:%d: %s", ld->path, line, msg);
  return lua_error(L);
}

/* Raises "path:line: proxy{}: message", line being the proxy{} call's. Never returns. */
int ld_fail(lua_State *L, const struct loader *ld, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ld_fail_at(L, ld, ld->line, "proxy{}: %s", msg);
}

char *ld_dup(lua_State *L, const struct loader *ld, const char *s, size_t len) {
  char *d = malloc(len + 1);
  if (!d) ld_fail(L, ld, "out of memory");
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

/* A copy of the string at idx. The caller stores it before anything else can fail. */
/* Whether s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool is_utf8(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned c = s[i];
    size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || n > len - i) return false;
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

char *ld_string(lua_State *L, const struct loader *ld, int idx, const char *what) {
  if (lua_type(L, idx) != LUA_TSTRING) ld_fail(L, ld, "%s must be a string, got %s", what, luaL_typename(L, idx));
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  if (strlen(s) != len) ld_fail(L, ld, "%s contains a NUL byte", what); /* C strings from here on */
  /* names and versions reach results.json, and JSON holds UTF-8 only */
  if (!is_utf8((const unsigned char *)s, len)) ld_fail(L, ld, "%s is not UTF-8", what);
  return ld_dup(L, ld, s, len);
}

/* Checks that the value at idx is a list (keys 1..n, no hole, no other key); returns n.
 * `of` says what the list holds, for the message. */
size_t ld_list(lua_State *L, const struct loader *ld, int idx, const char *what, const char *of) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) ld_fail(L, ld, "%s must be a list of %s, got %s", what, of, luaL_typename(L, idx));
  lua_Integer max = 0;
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      if (lua_type(L, -1) == LUA_TSTRING)
        ld_fail(L, ld, "%s must be a list of %s, has a key '%.60s'", what, of, lua_tostring(L, -1));
      ld_fail(L, ld, "%s must be a list of %s, has a %s key", what, of, luaL_typename(L, -1));
    }
    if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
    count++;
  }
  if ((lua_Integer)count != max)
    for (lua_Integer i = 1; i <= max; i++) {
      if (lua_rawgeti(L, idx, i) == LUA_TNIL) ld_fail(L, ld, "%s has a hole at [%lld]", what, (long long)i);
      lua_pop(L, 1);
    }
  return count;
}

/* Fails on an unknown ${name}: found at load, not in every case that renders it. The
 * variables are the standard ones, ${upstream_servers} when upstreams.each says how one is
 * written, and the definition's own (upstreams.several); a text written per upstream (plain)
 * knows only the standard ones: it is part of those. */
void ld_template_in(lua_State *L, const struct loader *ld, const char *text, const char *what, bool plain) {
  const struct proxy_upstreams *u = &ld->p->upstreams;
  const char *names[PV__COUNT + PROXY_UPSTREAMS_SEVERAL], *dummy[PV__COUNT + PROXY_UPSTREAMS_SEVERAL];
  size_t n = 0;
  for (int i = 0; i < PV__COUNT; i++)
    if (i != PV_UPSTREAM_SERVERS || (!plain && u->servers.each)) names[n++] = proxy_var_names[i];
  for (size_t i = 0; !plain && i < u->nseveral && n < PV__COUNT + PROXY_UPSTREAMS_SEVERAL; i++)
    names[n++] = u->several[i].name;
  for (size_t i = 0; i < n; i++) dummy[i] = "1";
  struct vars v = {names, dummy, n};
  char *bad = NULL;
  free(template_render(text, &v, &bad));
  if (!bad) return;
  char name[80], where[48] = "";
  snprintf(name, sizeof name, "%s", bad);
  free(bad);
  if (strchr(text, '\n')) {
    char needle[96];
    snprintf(needle, sizeof needle, "${%s}", name);
    const char *at = strstr(text, needle);
    int line = 1;
    for (const char *c = text; at && c < at; c++) line += *c == '\n';
    if (at) snprintf(where, sizeof where, " (its line %d)", line);
  }
  bool own = !strcmp(name, proxy_var_names[PV_UPSTREAM_SERVERS]);
  for (size_t i = 0; i < u->nseveral; i++) own |= !strcmp(name, u->several[i].name);
  if (own && plain)
    ld_fail(L, ld, "%s%s: ${%s} is not known in a text written per upstream (it is made of them)", what, where, name);
  if (own)
    ld_fail(L, ld, "%s%s: ${%s} needs upstreams.each, how one upstream is written (docs/proxies.md)", what, where,
            name);
  ld_fail(L, ld, "%s%s: unknown template variable ${%s} (write $${ for a literal ${)", what, where, name);
}

void ld_template(lua_State *L, const struct loader *ld, const char *text, const char *what) {
  ld_template_in(L, ld, text, what, false);
}

void ld_template_at(lua_State *L, const struct loader *ld, int idx, const char *field, const char *key,
                    const char *dflt, char **dst) {
  idx = lua_absindex(L, idx);
  int top = lua_gettop(L);
  char what[96];
  snprintf(what, sizeof what, "%s.%s", field, key);
  if (lua_getfield(L, idx, key) != LUA_TNIL) {
    *dst = ld_string(L, ld, -1, what);
    ld_template(L, ld, *dst, what);
  } else if (dflt) {
    *dst = ld_dup(L, ld, dflt, strlen(dflt));
  }
  lua_settop(L, top);
}

/* A list of strings, stored in *dst (NULL-terminated) before it is filled. */
size_t ld_strings(lua_State *L, const struct loader *ld, int idx, const char *what, char ***dst, bool is_template) {
  idx = lua_absindex(L, idx);
  size_t n = ld_list(L, ld, idx, what, "strings");
  *dst = calloc(n + 1, sizeof **dst);
  if (!*dst) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char w[160];
    snprintf(w, sizeof w, "%s[%zu]", what, i + 1);
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    (*dst)[i] = ld_string(L, ld, -1, w);
    lua_pop(L, 1);
    if (is_template) ld_template(L, ld, (*dst)[i], w);
  }
  return n;
}

void ld_nonempty(lua_State *L, const struct loader *ld, size_t n, const char *what) {
  if (n == 0) ld_fail(L, ld, "%s must not be empty", what);
}

/* A whole number of milliseconds, 0..MAX_MS. */
int ld_ms(lua_State *L, const struct loader *ld, int idx, const char *what) {
  if (lua_type(L, idx) != LUA_TNUMBER)
    ld_fail(L, ld, "%s must be a number (milliseconds), got %s", what, luaL_typename(L, idx));
  double v = lua_tonumber(L, idx);
  if (!(v >= 0 && v <= MAX_MS) || v != floor(v))
    ld_fail(L, ld, "%s must be a whole number of milliseconds from 0 to %d, got %g", what, MAX_MS, v);
  return (int)v;
}

/* Why a name the harness joins to the case folder would land elsewhere, or NULL. */
const char *ld_unsafe_relative(const char *s) {
  if (!*s) return "is empty";
  if (*s == '/') return "is absolute";
  for (const char *c = s; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 2 && c[0] == '.' && c[1] == '.') return "climbs out with '..'";
    c += n;
    if (*c) c++;
  }
  if (s[strlen(s) - 1] == '/') return "names a folder";
  const char *last = strrchr(s, '/');
  if (strcmp(last ? last + 1 : s, ".") == 0) return "names a folder";
  return NULL;
}

/* The files the harness itself writes into a case folder: the evidence of the case, which
 * a definition's file of the same name would overwrite (or be overwritten by). */
static const char *const HARNESS_FILES[] = {"simulator.out", "simulator.err", "proxy.out", "proxy.err",
                                            "upstream-events.json", "upstream-requests.json", "client-sent.txt",
                                            "client-received.txt", PROXY_AUTH_FILE, PROXY_CREDENTIALS_FILE,
                                            PROXY_TLS_CERT_FILE, PROXY_TLS_KEY_FILE, PROXY_TLS_PEM_FILE,
                                            PROXY_UPSTREAM_CA_FILE, NULL};

const char *ld_harness_file(const char *s) {
  /* the first part of the name that counts: "./x" and ".//x" are x */
  while (s[0] == '/' || (s[0] == '.' && s[1] == '/')) s++;
  size_t n = strcspn(s, "/");
  for (size_t i = 0; HARNESS_FILES[i]; i++)
    if (strlen(HARNESS_FILES[i]) == n && strncmp(s, HARNESS_FILES[i], n) == 0) return HARNESS_FILES[i];
  /* sidecarN.err; and fileio_write_atomic's NAME.tmp.PID of each of them */
  unsigned k;
  int end = 0;
  if (sscanf(s, "sidecar%u.err%n", &k, &end) == 1 && (size_t)end == n && s[7] >= '0' && s[7] <= '9')
    return "sidecarN.err";
  for (size_t i = 0; HARNESS_FILES[i]; i++) {
    size_t len = strlen(HARNESS_FILES[i]);
    if (strncmp(s, HARNESS_FILES[i], len) == 0 && strncmp(s + len, ".tmp.", 5) == 0) return HARNESS_FILES[i];
  }
  return NULL;
}

/* Walks a Lua pattern as lstrlib.c reads it. Returns the number of captures, or -1 with
 * *why set when string.match would raise an error on it (Lua finds a malformed pattern
 * only when matching reaches the bad spot, so a trial match proves nothing). */
int ld_pattern_captures(const char *p, const char **why) {
  bool closed[32] = {false};
  int stack[32], depth = 0, n = 0;
  if (*p == '^') p++;
  while (*p) {
    switch (*p) {
    case '(':
      if (n == 32) return *why = "too many captures", -1;
      if (p[1] == ')') { /* a position capture */
        closed[n++] = true;
        p += 2;
      } else {
        stack[depth++] = n++;
        p++;
      }
      break;
    case ')':
      if (!depth) return *why = "a ')' closes no capture", -1;
      closed[stack[--depth]] = true;
      p++;
      break;
    case '%':
      p++;
      if (!*p) return *why = "it ends with '%'", -1;
      if (*p == 'b') {
        if (!p[1] || !p[2]) return *why = "'%b' needs two characters", -1;
        p += 3;
      } else if (*p == 'f') {
        if (p[1] != '[') return *why = "'%f' needs a [set]", -1;
        p++;
        goto set;
      } else if (*p >= '0' && *p <= '9') {
        int k = *p - '1';
        if (k < 0 || k >= n || !closed[k]) return *why = "a back-reference names no closed capture", -1;
        p++;
      } else {
        p++;
      }
      break;
    case '[':
    set:
      p++;
      if (*p == '^') p++;
      do { /* the first character of a set is literal, even ']' */
        if (!*p) return *why = "a '[' has no ']'", -1;
        if (*p++ == '%' && *p) p++;
      } while (*p != ']');
      p++;
      break;
    default: p++;
    }
  }
  if (depth) return *why = "a capture is not closed", -1;
  return n;
}

/* A list of Lua patterns with exactly one capture each (what they capture is checked): `of`
 * says what the capture is. */
void ld_patterns(lua_State *L, const struct loader *ld, int idx, const char *what, char ***dst, const char *of) {
  size_t n = ld_strings(L, ld, idx, what, dst, false);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    int c = ld_pattern_captures((*dst)[i], &why);
    if (c < 0) ld_fail(L, ld, "%s[%zu] is not a Lua pattern: %s", what, i + 1, why);
    if (c != 1) ld_fail(L, ld, "%s[%zu] must have exactly one capture (%s), has %d", what, i + 1, of, c);
  }
}

/* Checks that the table at idx has no key but these. */
void ld_only_keys(lua_State *L, const struct loader *ld, int idx, const char *what, const char *const *keys) {
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; keys[i]; i++) ok |= strcmp(lua_tostring(L, -1), keys[i]) == 0;
    if (ok) continue;
    char list[128] = "";
    for (int i = 0; keys[i]; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", keys[i]);
    if (lua_type(L, -1) == LUA_TSTRING)
      ld_fail(L, ld, "%s: unknown key '%.60s' (known: %s)", what, lua_tostring(L, -1), list);
    ld_fail(L, ld, "%s: unexpected %s key (known: %s)", what, luaL_typename(L, -1), list);
  }
}

char *ld_read_text(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct buf b = {0};
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len <= max) buf_append(&b, tmp, n);
  fclose(f);
  if (len) *len = b.len;
  buf_append(&b, "", 1);
  return b.data;
}

/* A Lua pattern with at most `max` captures (at least `min`), stored in *dst. */
void ld_pattern(lua_State *L, const struct loader *ld, int idx, const char *what, int min, int max, char **dst) {
  *dst = ld_string(L, ld, idx, what);
  const char *why = NULL;
  int c = ld_pattern_captures(*dst, &why);
  if (c < 0) ld_fail(L, ld, "%s is not a Lua pattern: %s", what, why);
  if (c < min || c > max) {
    if (min == max) ld_fail(L, ld, "%s must have exactly %d capture%s, has %d", what, min, min == 1 ? "" : "s", c);
    ld_fail(L, ld, "%s must have at most %d capture%s, has %d", what, max, max == 1 ? "" : "s", c);
  }
}

bool ld_bool(lua_State *L, const struct loader *ld, int t, const char *key, const char *what, bool dflt) {
  int type = lua_getfield(L, t, key);
  bool b = dflt;
  if (type != LUA_TNIL) {
    if (type != LUA_TBOOLEAN) ld_fail(L, ld, "%s.%s must be a boolean, got %s", what, key, luaL_typename(L, -1));
    b = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return b;
}

/* The value of t[key], one of `names` (NULL-terminated), as its index; dflt when absent. */
int ld_word(lua_State *L, const struct loader *ld, int t, const char *key, const char *what,
            const char *const *names, int dflt) {
  if (lua_getfield(L, t, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return dflt;
  }
  char list[160] = "";
  for (int i = 0; names[i]; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? ", " : "", names[i]);
  if (lua_type(L, -1) != LUA_TSTRING)
    ld_fail(L, ld, "%s.%s must be one of %s, got %s", what, key, list, luaL_typename(L, -1));
  const char *got = lua_tostring(L, -1);
  for (int i = 0; names[i]; i++)
    if (strcmp(got, names[i]) == 0) {
      lua_pop(L, 1);
      return i;
    }
  return ld_fail(L, ld, "%s.%s must be one of %s, got \"%.40s\"", what, key, list, got);
}

void ld_free_list(char **l) {
  for (char **p = l; p && *p; p++) free(*p);
  free(l);
}
