/* proxy.c: proxy definitions: loading, probing, and template rendering. */
#include "proxy.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "sandbox.h"

const char *const proxy_var_names[PV__COUNT] = {
    [PV_BINARY] = "binary",
    [PV_DIR] = "dir",
    [PV_PROXY_PORT] = "proxy_port",
    [PV_UPSTREAM_HOST] = "upstream_host",
    [PV_UPSTREAM_PORT] = "upstream_port",
    [PV_CONNECT_TIMEOUT] = "connect_timeout",
    [PV_READ_TIMEOUT] = "read_timeout",
    [PV_CONNECT_TIMEOUT_MS] = "connect_timeout_ms",
    [PV_READ_TIMEOUT_MS] = "read_timeout_ms",
    [PV_RETRIES] = "retries",
    [PV_SCENARIO] = "scenario",
};

/* ---- loading ---------------------------------------------------------------------------
 * proxy{} checks and copies every field while the file runs, inside sandbox_pcall: a wrong
 * type is a Lua error with the file and the line of the proxy{} call, never a crash later.
 * Everything it allocates is stored in the struct proxy_def at once, so an error half-way
 * leaves nothing unowned (free_def frees a partly filled definition). */

struct loader {
  struct proxy_def *p;
  const char *dir;  /* the definitions' folder: `from` files are read there */
  const char *path; /* the definition file, as messages name it */
  int line;         /* of the proxy{} call; 0 before it */
  bool done;        /* proxy{} has filled p */
};

#define MAX_MS 600000        /* 10 minutes: any longer wait is a mistake, not a setting */
#define MAX_READY_S 3600.0
#define MAX_FROM_BYTES (16u << 20)

/* Raises "path:line: message". The position is already there, so the traceback handler adds
 * none. Never returns. */
static int fail_at(lua_State *L, const struct loader *ld, int line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lua_pushfstring(L, "%s:%d: %s", ld->path, line, msg);
  return lua_error(L);
}

/* Raises "path:line: proxy{}: message", line being the proxy{} call's. Never returns. */
static int fail(lua_State *L, const struct loader *ld, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return fail_at(L, ld, ld->line, "proxy{}: %s", msg);
}

static char *dup_or_fail(lua_State *L, const struct loader *ld, const char *s, size_t len) {
  char *d = malloc(len + 1);
  if (!d) fail(L, ld, "out of memory");
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

/* A copy of the string at idx. The caller stores it before anything else can fail. */
static char *want_string(lua_State *L, const struct loader *ld, int idx, const char *what) {
  if (lua_type(L, idx) != LUA_TSTRING) fail(L, ld, "%s must be a string, got %s", what, luaL_typename(L, idx));
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  if (strlen(s) != len) fail(L, ld, "%s contains a NUL byte", what); /* C strings from here on */
  return dup_or_fail(L, ld, s, len);
}

/* Checks that the value at idx is a list (keys 1..n, no hole, no other key); returns n.
 * `of` says what the list holds, for the message. */
static size_t want_list(lua_State *L, const struct loader *ld, int idx, const char *what, const char *of) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) fail(L, ld, "%s must be a list of %s, got %s", what, of, luaL_typename(L, idx));
  lua_Integer max = 0;
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      if (lua_type(L, -1) == LUA_TSTRING)
        fail(L, ld, "%s must be a list of %s, has a key '%.60s'", what, of, lua_tostring(L, -1));
      fail(L, ld, "%s must be a list of %s, has a %s key", what, of, luaL_typename(L, -1));
    }
    if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
    count++;
  }
  if ((lua_Integer)count != max)
    for (lua_Integer i = 1; i <= max; i++) {
      if (lua_rawgeti(L, idx, i) == LUA_TNIL) fail(L, ld, "%s has a hole at [%lld]", what, (long long)i);
      lua_pop(L, 1);
    }
  return count;
}

/* Fails on an unknown ${name}: found at load, not in every case that renders it. */
static void check_template(lua_State *L, const struct loader *ld, const char *text, const char *what) {
  const char *dummy[PV__COUNT];
  for (int i = 0; i < PV__COUNT; i++) dummy[i] = "1";
  struct vars v = {proxy_var_names, dummy, PV__COUNT};
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
  fail(L, ld, "%s%s: unknown template variable ${%s} (write $${ for a literal ${)", what, where, name);
}

/* A list of strings, stored in *dst (NULL-terminated) before it is filled. */
static size_t copy_strings(lua_State *L, const struct loader *ld, int idx, const char *what, char ***dst,
                           bool is_template) {
  idx = lua_absindex(L, idx);
  size_t n = want_list(L, ld, idx, what, "strings");
  *dst = calloc(n + 1, sizeof **dst);
  if (!*dst) fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char w[160];
    snprintf(w, sizeof w, "%s[%zu]", what, i + 1);
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    (*dst)[i] = want_string(L, ld, -1, w);
    lua_pop(L, 1);
    if (is_template) check_template(L, ld, (*dst)[i], w);
  }
  return n;
}

static void want_nonempty(lua_State *L, const struct loader *ld, size_t n, const char *what) {
  if (n == 0) fail(L, ld, "%s must not be empty", what);
}

/* A whole number of milliseconds, 0..MAX_MS. */
static int want_ms(lua_State *L, const struct loader *ld, int idx, const char *what) {
  if (lua_type(L, idx) != LUA_TNUMBER)
    fail(L, ld, "%s must be a number (milliseconds), got %s", what, luaL_typename(L, idx));
  double v = lua_tonumber(L, idx);
  if (!(v >= 0 && v <= MAX_MS) || v != floor(v))
    fail(L, ld, "%s must be a whole number of milliseconds from 0 to %d, got %g", what, MAX_MS, v);
  return (int)v;
}

/* Why a name the harness joins to the case folder would land elsewhere, or NULL. */
static const char *unsafe_relative(const char *s) {
  if (!*s) return "is empty";
  if (*s == '/') return "is absolute";
  for (const char *c = s; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 2 && c[0] == '.' && c[1] == '.') return "climbs out with '..'";
    c += n;
    if (*c) c++;
  }
  if (s[strlen(s) - 1] == '/') return "names a folder";
  return NULL;
}

/* Walks a Lua pattern as lstrlib.c reads it. Returns the number of captures, or -1 with
 * *why set when string.match would raise an error on it (Lua finds a malformed pattern
 * only when matching reaches the bad spot, so a trial match proves nothing). */
static int pattern_captures(const char *p, const char **why) {
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
static void copy_patterns(lua_State *L, const struct loader *ld, int idx, const char *what, char ***dst,
                          const char *of) {
  size_t n = copy_strings(L, ld, idx, what, dst, false);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    int c = pattern_captures((*dst)[i], &why);
    if (c < 0) fail(L, ld, "%s[%zu] is not a Lua pattern: %s", what, i + 1, why);
    if (c != 1) fail(L, ld, "%s[%zu] must have exactly one capture (%s), has %d", what, i + 1, of, c);
  }
}

/* Checks that the table at idx has no key but these. */
static void only_keys(lua_State *L, const struct loader *ld, int idx, const char *what, const char *const *keys) {
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
    if (lua_type(L, -1) == LUA_TSTRING) fail(L, ld, "%s: unknown key '%.60s' (known: %s)", what, lua_tostring(L, -1), list);
    fail(L, ld, "%s: unexpected %s key (known: %s)", what, luaL_typename(L, -1), list);
  }
}

static char *read_text(const char *path, size_t max, size_t *len) {
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

/* ---- the fields, one function each; `v` is the value's stack index --------------------- */

static void f_name(lua_State *L, struct loader *ld, int v) {
  char *s = ld->p->name = want_string(L, ld, v, "name");
  /* It names a folder of the results and is matched by --proxy lists. */
  bool ok = *s && *s != '.' && *s != '-' && strlen(s) <= 64;
  for (const char *c = s; *c; c++)
    ok &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("_.-", *c);
  if (!ok) fail(L, ld, "name must be 1 to 64 letters, digits, '_', '.' or '-' (not first), got \"%.64s\"", s);
}

static void f_summary(lua_State *L, struct loader *ld, int v) { ld->p->summary = want_string(L, ld, v, "summary"); }

static void f_packages(lua_State *L, struct loader *ld, int v) {
  copy_strings(L, ld, v, "packages", &ld->p->packages, false);
}

static void f_binary(lua_State *L, struct loader *ld, int v) {
  size_t n = ld->p->nbinaries = copy_strings(L, ld, v, "binary", &ld->p->binaries, false);
  want_nonempty(L, ld, n, "binary");
  for (size_t i = 0; i < n; i++)
    if (!ld->p->binaries[i][0]) fail(L, ld, "binary[%zu] is empty", i + 1);
}

static void f_version(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"args", "pattern", NULL};
  if (!lua_istable(L, v))
    fail(L, ld, "version must be a table { args = { ... }, pattern = \"...\" }, got %s", luaL_typename(L, v));
  only_keys(L, ld, v, "version", keys);
  if (lua_getfield(L, v, "args") != LUA_TNIL) copy_strings(L, ld, -1, "version.args", &ld->p->version_args, false);
  lua_pop(L, 1);
  if (lua_getfield(L, v, "pattern") == LUA_TNIL) fail(L, ld, "version.pattern is required");
  char *pat = ld->p->version_pattern = want_string(L, ld, -1, "version.pattern");
  lua_pop(L, 1);
  const char *why = NULL;
  int c = pattern_captures(pat, &why);
  if (c < 0) fail(L, ld, "version.pattern is not a Lua pattern: %s", why);
  if (c != 1) fail(L, ld, "version.pattern must have exactly one capture (the version), has %d", c);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct proxy_file *)a)->name, ((const struct proxy_file *)b)->name);
}

/* files: { ["name"] = "template" } or { ["name"] = { from = "file beside the definition" } },
 * kept in name order so a run does not depend on table order. */
static void f_files(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"from", NULL};
  struct proxy_def *p = ld->p;
  if (!lua_istable(L, v))
    fail(L, ld, "files must be a table of name = template, got %s", luaL_typename(L, v));
  size_t cap = 0;
  lua_pushnil(L);
  while (lua_next(L, v)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      fail(L, ld, "files must be a table of name = template, has a %s key", luaL_typename(L, -1));
    cap++;
  }
  want_nonempty(L, ld, cap, "files");
  p->files = calloc(cap, sizeof *p->files);
  if (!p->files) fail(L, ld, "out of memory");
  lua_pushnil(L);
  while (lua_next(L, v)) {
    int val = lua_gettop(L), key = val - 1;
    struct proxy_file *f = &p->files[p->nfiles++];
    f->name = want_string(L, ld, key, "a name in files");
    char what[128];
    snprintf(what, sizeof what, "files[\"%.60s\"]", f->name);
    const char *why = unsafe_relative(f->name);
    if (why) fail(L, ld, "%s: the name %s (files are written into the case folder)", what, why);
    if (lua_type(L, val) == LUA_TSTRING) {
      f->text = want_string(L, ld, val, what);
    } else if (lua_istable(L, val)) {
      only_keys(L, ld, val, what, keys);
      char w2[160];
      snprintf(w2, sizeof w2, "%s.from", what);
      if (lua_getfield(L, val, "from") == LUA_TNIL) fail(L, ld, "%s is required", w2);
      char *from = want_string(L, ld, -1, w2);
      const char *bad = unsafe_relative(from);
      char full[4096];
      int n = snprintf(full, sizeof full, "%s/%s", ld->dir, from);
      free(from);
      if (bad) fail(L, ld, "%s %s (it names a file beside the definition)", w2, bad);
      if (n >= (int)sizeof full) fail(L, ld, "%s: the path is too long", w2);
      size_t len = 0;
      errno = 0;
      f->text = read_text(full, MAX_FROM_BYTES, &len);
      if (!f->text) fail(L, ld, "%s: cannot read %s: %s", w2, full, strerror(errno ? errno : EIO));
      if (len > MAX_FROM_BYTES) fail(L, ld, "%s: %s is larger than %u MiB", w2, full, MAX_FROM_BYTES >> 20);
      if (strlen(f->text) != len) fail(L, ld, "%s: %s contains a NUL byte (templates are text)", w2, full);
    } else {
      fail(L, ld, "%s must be a template string or { from = \"file\" }, got %s", what, luaL_typename(L, val));
    }
    check_template(L, ld, f->text, what);
    lua_settop(L, key);
  }
  qsort(p->files, p->nfiles, sizeof *p->files, by_name);
}

static void f_config(lua_State *L, struct loader *ld, int v) {
  ld->p->config = want_string(L, ld, v, "config");
}

static void f_command(lua_State *L, struct loader *ld, int v) {
  want_nonempty(L, ld, copy_strings(L, ld, v, "command", &ld->p->command, true), "command");
}

static void f_env(lua_State *L, struct loader *ld, int v) {
  size_t n = copy_strings(L, ld, v, "env", &ld->p->env, true);
  for (size_t i = 0; i < n; i++) {
    const char *e = ld->p->env[i];
    size_t k = strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (k == 0 || e[k] != '=' || (e[0] >= '0' && e[0] <= '9'))
      fail(L, ld, "env[%zu] must be \"NAME=value\", got \"%.60s\"", i + 1, e);
  }
}

static void f_retries(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"on", "off", NULL};
  if (!lua_istable(L, v))
    fail(L, ld, "retries must be a table { on = \"...\", off = \"...\" }, got %s", luaL_typename(L, v));
  only_keys(L, ld, v, "retries", keys);
  if (lua_getfield(L, v, "on") != LUA_TNIL) {
    ld->p->retries_on = want_string(L, ld, -1, "retries.on");
    check_template(L, ld, ld->p->retries_on, "retries.on");
  }
  if (lua_getfield(L, v, "off") != LUA_TNIL) {
    ld->p->retries_off = want_string(L, ld, -1, "retries.off");
    check_template(L, ld, ld->p->retries_off, "retries.off");
  }
}

static void f_logs(lua_State *L, struct loader *ld, int v) {
  size_t n = ld->p->nlogs = copy_strings(L, ld, v, "logs", &ld->p->logs, false);
  for (size_t i = 0; i < n; i++) {
    const char *why = unsafe_relative(ld->p->logs[i]);
    if (why) fail(L, ld, "logs[%zu] %s (logs are named relative to the case folder)", i + 1, why);
  }
}

static void f_log_match(lua_State *L, struct loader *ld, int v) {
  const char *re_text = ld->p->log_match = want_string(L, ld, v, "log_match");
  regex_t re;
  int rc = regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    regfree(&re);
    return;
  }
  char why[128];
  regerror(rc, &re, why, sizeof why);
  fail(L, ld, "log_match is not a POSIX extended regular expression: %s", why);
}

static void f_forward(lua_State *L, struct loader *ld, int v) {
  if (lua_type(L, v) != LUA_TBOOLEAN) fail(L, ld, "forward must be a boolean, got %s", luaL_typename(L, v));
  ld->p->forward = lua_toboolean(L, v);
}

static void f_ready_timeout(lua_State *L, struct loader *ld, int v) {
  if (lua_type(L, v) != LUA_TNUMBER)
    fail(L, ld, "ready_timeout must be a number (seconds), got %s", luaL_typename(L, v));
  double s = lua_tonumber(L, v);
  if (!(s > 0 && s <= MAX_READY_S))
    fail(L, ld, "ready_timeout must be seconds, more than 0 and at most %g, got %g", MAX_READY_S, s);
  ld->p->ready_timeout = s;
}

static void f_sidecars(lua_State *L, struct loader *ld, int v) {
  struct proxy_def *p = ld->p;
  size_t n = want_list(L, ld, v, "sidecars", "commands (lists of strings)");
  if (n > MAX_SIDECARS) fail(L, ld, "sidecars: at most %d, got %zu", MAX_SIDECARS, n);
  p->sidecars = calloc(n + 1, sizeof *p->sidecars);
  if (!p->sidecars) fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[32];
    snprintf(what, sizeof what, "sidecars[%zu]", i + 1);
    lua_rawgeti(L, v, (lua_Integer)i + 1);
    p->nsidecars++;
    want_nonempty(L, ld, copy_strings(L, ld, -1, what, &p->sidecars[i], true), what);
    lua_pop(L, 1);
  }
}

static void f_cleanup(lua_State *L, struct loader *ld, int v) {
  size_t n = copy_strings(L, ld, v, "cleanup", &ld->p->cleanup, true);
  for (size_t i = 0; i < n; i++) {
    const char *c = ld->p->cleanup[i];
    /* The harness runs elsewhere than the proxy: a relative pattern would remove files
     * relative to wherever badup was started. */
    if (c[0] != '/' && strncmp(c, "${dir}/", 7) != 0)
      fail(L, ld, "cleanup[%zu] must be an absolute glob pattern (${dir}/... or /...), got \"%.60s\"", i + 1, c);
  }
}

static void f_settle_ms(lua_State *L, struct loader *ld, int v) { ld->p->settle_ms = want_ms(L, ld, v, "settle_ms"); }
static void f_warmup_ms(lua_State *L, struct loader *ld, int v) { ld->p->warmup_ms = want_ms(L, ld, v, "warmup_ms"); }
static void f_stop_grace_ms(lua_State *L, struct loader *ld, int v) {
  ld->p->stop_grace_ms = want_ms(L, ld, v, "stop_grace_ms");
}

/* The account the proxy switches to when started as root (squid's cache_effective_user):
 * the harness hands it the folder the proxy works in. */
static void f_user(lua_State *L, struct loader *ld, int v) {
  char *s = ld->p->user = want_string(L, ld, v, "user");
  if (!s[0] || strpbrk(s, ":/ \t")) fail(L, ld, "user must be an account name, got \"%.60s\"", s);
}

static void f_check(lua_State *L, struct loader *ld, int v) {
  want_nonempty(L, ld, copy_strings(L, ld, v, "check", &ld->p->check, true), "check");
}

static void f_paths(lua_State *L, struct loader *ld, int v) {
  copy_patterns(L, ld, v, "paths", &ld->p->paths, "the path");
}
static void f_includes(lua_State *L, struct loader *ld, int v) {
  copy_patterns(L, ld, v, "includes", &ld->p->includes, "the path");
}

static void f_paths_base(lua_State *L, struct loader *ld, int v) {
  char *s = ld->p->paths_base = want_string(L, ld, v, "paths_base");
  if (s[0] != '/') fail(L, ld, "paths_base must be an absolute folder, got \"%.60s\"", s);
}

/* context = "main": a rule that only a statement outside every block satisfies (nginx's pid
 * and daemon off; apache's PidFile, not inside an <IfModule> that may not apply). */
static bool want_context(lua_State *L, const struct loader *ld, int t, const char *what) {
  if (lua_getfield(L, t, "context") == LUA_TNIL) {
    lua_pop(L, 1);
    return false;
  }
  char w[96];
  snprintf(w, sizeof w, "%s.context", what);
  if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "main") != 0)
    fail(L, ld, "%s must be \"main\" (the statement counts only outside every block), got %s%s%.40s%s", w,
         luaL_typename(L, -1), lua_type(L, -1) == LUA_TSTRING ? " \"" : "",
         lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "", lua_type(L, -1) == LUA_TSTRING ? "\"" : "");
  lua_pop(L, 1);
  return true;
}

static void f_must_set(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"directive", "default", "example", "context", NULL};
  struct proxy_def *p = ld->p;
  size_t n = want_list(L, ld, v, "must_set", "{ directive = ..., default = ..., example = ... }");
  p->must_set = calloc(n ? n : 1, sizeof *p->must_set);
  if (!p->must_set) fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[64], w2[96];
    snprintf(what, sizeof what, "must_set[%zu]", i + 1);
    lua_rawgeti(L, v, (lua_Integer)i + 1);
    int t = lua_gettop(L);
    if (!lua_istable(L, t))
      fail(L, ld, "%s must be a table { directive = ..., default = ..., example = ... }, got %s", what,
           luaL_typename(L, t));
    only_keys(L, ld, t, what, keys);
    struct proxy_must_set *m = &p->must_set[p->nmust_set++];
    char **slots[] = {&m->directive, &m->default_path, &m->example};
    for (int k = 0; k < 3; k++) {
      snprintf(w2, sizeof w2, "%s.%s", what, keys[k]);
      if (lua_getfield(L, t, keys[k]) == LUA_TNIL) fail(L, ld, "%s is required", w2);
      *slots[k] = want_string(L, ld, -1, w2);
      lua_pop(L, 1);
    }
    const char *why = NULL;
    if (pattern_captures(m->directive, &why) < 0) fail(L, ld, "%s.directive is not a Lua pattern: %s", what, why);
    m->main_only = want_context(L, ld, t, what);
    lua_settop(L, v);
  }
}

/* foreground = { detaches = { patterns }, stays = pattern, example = "daemon off;" }: what in
 * a config makes the proxy detach. A pattern's capture (at most one) is what a refusal
 * quotes; without one, the whole match. */
static void f_foreground(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"detaches", "stays", "example", "context", NULL};
  struct proxy_foreground *fg = &ld->p->foreground;
  if (!lua_istable(L, v))
    fail(L, ld, "foreground must be a table { detaches = { ... }, stays = ..., example = ... }, got %s",
         luaL_typename(L, v));
  only_keys(L, ld, v, "foreground", keys);
  size_t n = 0;
  if (lua_getfield(L, v, "detaches") != LUA_TNIL)
    n = copy_strings(L, ld, -1, "foreground.detaches", &fg->detaches, false);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    int c = pattern_captures(fg->detaches[i], &why);
    if (c < 0) fail(L, ld, "foreground.detaches[%zu] is not a Lua pattern: %s", i + 1, why);
    if (c > 1)
      fail(L, ld, "foreground.detaches[%zu] must have at most one capture (what to remove), has %d", i + 1, c);
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "stays") != LUA_TNIL) {
    const char *why = NULL;
    fg->stays = want_string(L, ld, -1, "foreground.stays");
    if (pattern_captures(fg->stays, &why) < 0) fail(L, ld, "foreground.stays is not a Lua pattern: %s", why);
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "example") != LUA_TNIL) fg->example = want_string(L, ld, -1, "foreground.example");
  lua_settop(L, v);
  fg->main_only = want_context(L, ld, v, "foreground");
  if (fg->main_only && !fg->stays) fail(L, ld, "foreground.context is about stays, which is not given");
  if (n == 0 && !fg->stays) fail(L, ld, "foreground needs detaches or stays");
  /* a config without the statement is refused: the message must say what to add */
  if (fg->stays && !fg->example) fail(L, ld, "foreground.example is required with foreground.stays");
}

/* A Lua pattern with at most `max` captures (at least `min`), stored in *dst. */
static void want_pattern(lua_State *L, const struct loader *ld, int idx, const char *what, int min, int max,
                         char **dst) {
  *dst = want_string(L, ld, idx, what);
  const char *why = NULL;
  int c = pattern_captures(*dst, &why);
  if (c < 0) fail(L, ld, "%s is not a Lua pattern: %s", what, why);
  if (c < min || c > max) {
    if (min == max) fail(L, ld, "%s must have exactly %d capture%s, has %d", what, min, min == 1 ? "" : "s", c);
    fail(L, ld, "%s must have at most %d capture%s, has %d", what, max, max == 1 ? "" : "s", c);
  }
}

static bool want_bool(lua_State *L, const struct loader *ld, int t, const char *key, const char *what, bool dflt) {
  int type = lua_getfield(L, t, key);
  bool b = dflt;
  if (type != LUA_TNIL) {
    if (type != LUA_TBOOLEAN) fail(L, ld, "%s.%s must be a boolean, got %s", what, key, luaL_typename(L, -1));
    b = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return b;
}

/* The value of t[key], one of `names` (NULL-terminated), as its index; dflt when absent. */
static int want_word(lua_State *L, const struct loader *ld, int t, const char *key, const char *what,
                     const char *const *names, int dflt) {
  if (lua_getfield(L, t, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return dflt;
  }
  char list[160] = "";
  for (int i = 0; names[i]; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? ", " : "", names[i]);
  if (lua_type(L, -1) != LUA_TSTRING)
    fail(L, ld, "%s.%s must be one of %s, got %s", what, key, list, luaL_typename(L, -1));
  const char *got = lua_tostring(L, -1);
  for (int i = 0; names[i]; i++)
    if (strcmp(got, names[i]) == 0) {
      lua_pop(L, 1);
      return i;
    }
  return fail(L, ld, "%s.%s must be one of %s, got \"%.40s\"", what, key, list, got);
}

/* syntax = { ends, blocks, data, quotes, strings, escapes, continued, case, comments }: how
 * the config's language is cut into statements (docs/proxies.md). */
static void f_syntax(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"ends", "blocks", "data", "quotes", "strings", "escapes", "continued",
                                     "case", "comments", NULL};
  static const char *const ends[] = {"line", ";", "assignment", "yaml", NULL};
  static const char *const strings[] = {"line", "multiline", NULL};
  static const char *const cases[] = {"sensitive", "insensitive", NULL};
  static const char *const comments[] = {"#", "#any", "^#", "//", "/*", NULL};
  static const unsigned comment_bits[] = {COMMENT_HASH, COMMENT_HASH_ANY, COMMENT_HASH_LINE, COMMENT_SLASHES,
                                          COMMENT_BLOCK};
  struct proxy_syntax *sx = &ld->p->syntax;
  if (!lua_istable(L, v))
    fail(L, ld, "syntax must be a table { ends = ..., blocks = ..., ... }, got %s", luaL_typename(L, v));
  only_keys(L, ld, v, "syntax", keys);
  sx->ends = (enum syntax_ends)want_word(L, ld, v, "ends", "syntax", ends, ENDS_LINE);
  sx->multiline = want_word(L, ld, v, "strings", "syntax", strings, 0) == 1;
  sx->caseless = want_word(L, ld, v, "case", "syntax", cases, 0) == 1;
  sx->escapes = want_bool(L, ld, v, "escapes", "syntax", true);
  sx->continued = want_bool(L, ld, v, "continued", "syntax", false);
  int type = lua_getfield(L, v, "blocks");
  if (type == LUA_TSTRING) {
    const char *b = lua_tostring(L, -1);
    if (strcmp(b, "{}") == 0) sx->braces = true;
    else if (strcmp(b, "{} tokens") == 0) sx->braces = sx->brace_tokens = true;
    else
      fail(L, ld, "syntax.blocks must be \"{}\", \"{} tokens\" or { open = pattern, close = pattern }, got \"%.40s\"",
           b);
  } else if (type == LUA_TTABLE) {
    static const char *const bkeys[] = {"open", "close", NULL};
    int t = lua_gettop(L);
    only_keys(L, ld, t, "syntax.blocks", bkeys);
    if (lua_getfield(L, t, "open") == LUA_TNIL) fail(L, ld, "syntax.blocks.open is required");
    want_pattern(L, ld, -1, "syntax.blocks.open", 0, 0, &sx->open);
    if (lua_getfield(L, t, "close") == LUA_TNIL) fail(L, ld, "syntax.blocks.close is required");
    want_pattern(L, ld, -1, "syntax.blocks.close", 0, 0, &sx->close);
  } else if (type != LUA_TNIL) {
    fail(L, ld, "syntax.blocks must be \"{}\", \"{} tokens\" or { open = pattern, close = pattern }, got %s",
         luaL_typename(L, -1));
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "data") != LUA_TNIL) {
    size_t n = copy_strings(L, ld, -1, "syntax.data", &sx->data, false);
    for (size_t i = 0; i < n; i++) {
      const char *why = NULL;
      if (pattern_captures(sx->data[i], &why) < 0) fail(L, ld, "syntax.data[%zu] is not a Lua pattern: %s", i + 1, why);
    }
    if (n && !sx->braces && !sx->open) fail(L, ld, "syntax.data names blocks, but syntax.blocks says there are none");
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "quotes") != LUA_TNIL) {
    free(sx->quotes);
    sx->quotes = NULL; /* freed by free_def if want_string fails */
    sx->quotes = want_string(L, ld, -1, "syntax.quotes");
    for (const char *q = sx->quotes; *q; q++)
      if (!strchr("\"'`{", *q)) fail(L, ld, "syntax.quotes may hold \" ' ` and { (VCL's {\"...\"}), got '%c'", *q);
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "comments") != LUA_TNIL) {
    int t = lua_gettop(L);
    size_t n = want_list(L, ld, t, "syntax.comments", "strings");
    sx->comments = 0;
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, t, (lua_Integer)i + 1);
      const char *got = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
      int k = 0;
      while (got && comments[k] && strcmp(comments[k], got) != 0) k++;
      if (!got || !comments[k])
        fail(L, ld, "syntax.comments[%zu] must be one of \"#\", \"#any\", \"^#\", \"//\", \"/*\", got %s%.40s%s", i + 1,
             got ? "\"" : luaL_typename(L, -1), got ? got : "", got ? "\"" : "");
      sx->comments |= comment_bits[k];
      lua_pop(L, 1);
    }
  }
  lua_settop(L, v);
}

/* targets = { { match = ..., each = ..., part = ..., skip = ..., unless = ..., why = ... } }:
 * the statements that name where the proxy sends requests. */
static void f_targets(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"match", "each", "part", "skip", "unless", "why", "use", NULL};
  static const char *const parts[] = {"address", "host", "port", "host port", "socket", NULL};
  struct proxy_def *p = ld->p;
  size_t n = want_list(L, ld, v, "targets", "{ match = ..., ... }");
  p->targets = calloc(n ? n : 1, sizeof *p->targets);
  if (!p->targets) fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[48], w2[64];
    snprintf(what, sizeof what, "targets[%zu]", i + 1);
    lua_rawgeti(L, v, (lua_Integer)i + 1);
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) fail(L, ld, "%s must be a table { match = ..., ... }, got %s", what, luaL_typename(L, t));
    only_keys(L, ld, t, what, keys);
    struct proxy_target *r = &p->targets[p->ntargets++];
    r->part = (enum target_part)want_word(L, ld, t, "part", what, parts, PART_ADDRESS);
    bool why = lua_getfield(L, t, "why") != LUA_TNIL, each = lua_getfield(L, t, "each") != LUA_TNIL;
    lua_settop(L, t);
    int captures = r->part == PART_HOST_PORT ? 2 : 1;
    if (why && (each || lua_getfield(L, t, "part") != LUA_TNIL))
      fail(L, ld, "%s: why refuses the whole statement: it takes no each or part", what);
    lua_settop(L, t);
    if (each && r->part == PART_HOST_PORT)
      fail(L, ld, "%s: each captures one value: part \"host port\" needs match", what);
    snprintf(w2, sizeof w2, "%s.match", what);
    if (lua_getfield(L, t, "match") == LUA_TNIL) fail(L, ld, "%s is required", w2);
    /* with each, match may capture the part of the statement each is applied to */
    want_pattern(L, ld, -1, w2, why ? 0 : each ? 0 : captures, why ? 32 : each ? 1 : captures, &r->match);
    lua_settop(L, t);
    if (each) {
      lua_getfield(L, t, "each");
      snprintf(w2, sizeof w2, "%s.each", what);
      want_pattern(L, ld, -1, w2, 1, 1, &r->each);
      lua_settop(L, t);
    }
    if (lua_getfield(L, t, "skip") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.skip", what);
      want_pattern(L, ld, -1, w2, 0, 32, &r->skip);
    }
    lua_settop(L, t);
    if (lua_getfield(L, t, "unless") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.unless", what);
      want_pattern(L, ld, -1, w2, 0, 32, &r->unless);
    }
    lua_settop(L, t);
    if (why) {
      lua_getfield(L, t, "why");
      snprintf(w2, sizeof w2, "%s.why", what);
      r->why = want_string(L, ld, -1, w2);
      if (!r->why[0]) fail(L, ld, "%s must not be empty", w2);
      lua_settop(L, t);
    }
    if (lua_getfield(L, t, "use") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.use", what);
      r->use = want_string(L, ld, -1, w2);
    }
    lua_settop(L, v);
  }
}

static void f_groups(lua_State *L, struct loader *ld, int v) {
  copy_patterns(L, ld, v, "groups", &ld->p->groups, "the group's name");
}

/* Every field, in the order they are copied (config after files: it names one). */
static const struct field {
  const char *name;
  void (*copy)(lua_State *L, struct loader *ld, int v);
  bool required;
} FIELDS[] = {
    {"name", f_name, true},
    {"summary", f_summary, false},
    {"packages", f_packages, false},
    {"binary", f_binary, true},
    {"version", f_version, false},
    {"files", f_files, true},
    {"config", f_config, false},
    {"command", f_command, true},
    {"env", f_env, false},
    {"retries", f_retries, false},
    {"logs", f_logs, false},
    {"log_match", f_log_match, false},
    {"forward", f_forward, false},
    {"ready_timeout", f_ready_timeout, false},
    {"sidecars", f_sidecars, false},
    {"cleanup", f_cleanup, false},
    {"settle_ms", f_settle_ms, false},
    {"warmup_ms", f_warmup_ms, false},
    {"stop_grace_ms", f_stop_grace_ms, false},
    {"user", f_user, false},
    {"check", f_check, false},
    {"paths", f_paths, false},
    {"includes", f_includes, false},
    {"paths_base", f_paths_base, false},
    {"must_set", f_must_set, false},
    {"foreground", f_foreground, false},
    {"syntax", f_syntax, false},
    {"targets", f_targets, false},
    {"groups", f_groups, false},
};
#define NFIELDS (sizeof FIELDS / sizeof *FIELDS)

/* A list that was not given: empty, so callers can walk it. */
static void empty_list(lua_State *L, const struct loader *ld, char ***l) {
  if (!*l && !(*l = calloc(1, sizeof **l))) fail(L, ld, "out of memory");
}

static char *dup_default(lua_State *L, const struct loader *ld, char *cur, const char *dflt) {
  return cur ? cur : dup_or_fail(L, ld, dflt, strlen(dflt));
}

/* proxy { ... }: checks and copies the definition. Upvalue 1: the struct loader. */
static int fn_proxy(lua_State *L) {
  struct loader *ld = lua_touserdata(L, lua_upvalueindex(1));
  struct proxy_def *p = ld->p;
  lua_Debug ar;
  int line = lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline > 0 ? ar.currentline : 1;
  if (ld->line) fail_at(L, ld, line, "proxy{}: one definition per file (the first is at line %d)", ld->line);
  ld->line = line;
  if (lua_gettop(L) != 1 || !lua_istable(L, 1))
    fail(L, ld, "takes one table: proxy { name = ..., ... }, got %s", lua_gettop(L) ? luaL_typename(L, 1) : "nothing");
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (size_t i = 0; i < NFIELDS; i++) ok |= strcmp(lua_tostring(L, -1), FIELDS[i].name) == 0;
    if (ok) continue;
    if (lua_type(L, -1) == LUA_TSTRING) fail(L, ld, "unknown field '%.60s' (see docs/proxies.md)", lua_tostring(L, -1));
    fail(L, ld, "unexpected %s key: fields are names (see docs/proxies.md)", luaL_typename(L, -1));
  }
  p->ready_timeout = 15.0;
  p->stop_grace_ms = 3000;
  /* the syntax most config languages share: a statement a line, '#' comments, both quotes */
  p->syntax.escapes = true;
  p->syntax.comments = COMMENT_HASH;
  p->syntax.quotes = dup_or_fail(L, ld, "\"'", 2);
  for (size_t i = 0; i < NFIELDS; i++) {
    if (lua_getfield(L, 1, FIELDS[i].name) == LUA_TNIL) {
      if (FIELDS[i].required) fail(L, ld, "field '%s' is required", FIELDS[i].name);
    } else {
      FIELDS[i].copy(L, ld, lua_gettop(L));
    }
    lua_settop(L, 1);
  }
  if (!p->config) p->config = dup_or_fail(L, ld, p->files[0].name, strlen(p->files[0].name));
  bool found = false;
  for (size_t i = 0; i < p->nfiles; i++) found |= strcmp(p->files[i].name, p->config) == 0;
  if (!found) fail(L, ld, "config \"%.60s\" must name one of files", p->config);
  p->retries_on = dup_default(L, ld, p->retries_on, "");
  p->retries_off = dup_default(L, ld, p->retries_off, "");
  empty_list(L, ld, &p->packages);
  empty_list(L, ld, &p->env);
  empty_list(L, ld, &p->logs);
  empty_list(L, ld, &p->cleanup);
  empty_list(L, ld, &p->paths);
  empty_list(L, ld, &p->includes);
  empty_list(L, ld, &p->foreground.detaches);
  empty_list(L, ld, &p->syntax.data);
  empty_list(L, ld, &p->groups);
  if (!p->targets && !(p->targets = calloc(1, sizeof *p->targets))) fail(L, ld, "out of memory");
  ld->done = true;
  lua_pushvalue(L, 1); /* remembered, to tell whether the file returns it */
  lua_rawsetp(L, LUA_REGISTRYINDEX, ld);
  return 1;
}

/* Runs the definition's chunk (argument 1) inside the caller's protected call and checks
 * that it returned the table proxy{} built. Upvalue 1: the struct loader. */
static int run_definition(lua_State *L) {
  struct loader *ld = lua_touserdata(L, lua_upvalueindex(1));
  /* The last line with code: where a missing `return proxy {...}` belongs. */
  lua_Debug ar;
  int last = 1;
  lua_pushvalue(L, 1);
  if (lua_getinfo(L, ">L", &ar) && lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > last && lua_tointeger(L, -1) < INT32_MAX)
        last = (int)lua_tointeger(L, -1);
    }
  }
  lua_settop(L, 1);
  lua_call(L, 0, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, ld);
  if (!ld->done) fail_at(L, ld, last, "the file must end with: return proxy { name = ..., ... }");
  if (!lua_rawequal(L, -1, -2)) fail_at(L, ld, ld->line, "the file must return the proxy{} built here: return proxy { ... }");
  return 0;
}

static void free_list(char **l) {
  for (char **p = l; p && *p; p++) free(*p);
  free(l);
}

static int load_one(const char *dir, const char *path, struct proxy_def *p) {
  memset(p, 0, sizeof *p);
  struct sandbox sb;
  struct buf err = {0};
  struct loader ld = {.p = p, .dir = dir, .path = path};
  if (!(p->source = strdup(path)) || sandbox_open(&sb, "proxy", false, 0, 0, 1) != 0) {
    fprintf(stderr, "%s:1: cannot create a Lua state for it\n", path);
    return -1;
  }
  lua_State *L = sb.L;
  lua_pushlightuserdata(L, &ld);
  lua_pushcclosure(L, fn_proxy, 1);
  lua_setglobal(L, "proxy");
  lua_pushlightuserdata(L, &ld);
  lua_pushcclosure(L, run_definition, 1);
  int rc = -1;
  if (sandbox_loadfile(&sb, path, &err) == LUA_OK && sandbox_pcall(&sb, 1, 0, &err) == LUA_OK) rc = 0;
  if (rc != 0) {
    /* The first line only: at load time the traceback says nothing the line does not. */
    char *nl = err.data ? memchr(err.data, '\n', err.len) : NULL;
    if (nl) err.len = (size_t)(nl - err.data);
    sandbox_restore_path(&err, path);
    sandbox_ensure_path(&err, path);
    fprintf(stderr, "%s\n", buf_cstr(&err));
  }
  p->line = ld.line;
  buf_free(&err);
  sandbox_close(&sb);
  return rc;
}

static void free_def(struct proxy_def *p) {
  free(p->name), free(p->summary), free(p->source), free(p->binary), free(p->version);
  free(p->version_pattern), free(p->config), free(p->retries_on), free(p->retries_off), free(p->log_match);
  free(p->user);
  free_list(p->binaries), free_list(p->version_args), free_list(p->command), free_list(p->env);
  free_list(p->logs), free_list(p->packages), free_list(p->cleanup);
  free_list(p->check), free_list(p->paths), free_list(p->includes), free(p->paths_base);
  for (size_t i = 0; i < p->nmust_set; i++)
    free(p->must_set[i].directive), free(p->must_set[i].default_path), free(p->must_set[i].example);
  free(p->must_set);
  free_list(p->foreground.detaches), free(p->foreground.stays), free(p->foreground.example);
  free(p->syntax.open), free(p->syntax.close), free_list(p->syntax.data), free(p->syntax.quotes);
  for (size_t i = 0; i < p->ntargets; i++) {
    struct proxy_target *r = &p->targets[i];
    free(r->match), free(r->each), free(r->skip), free(r->unless), free(r->why), free(r->use);
  }
  free(p->targets), free_list(p->groups);
  for (size_t i = 0; i < p->nsidecars; i++) free_list(p->sidecars[i]);
  free(p->sidecars);
  for (size_t i = 0; i < p->nfiles; i++) free(p->files[i].name), free(p->files[i].text);
  free(p->files);
  memset(p, 0, sizeof *p);
}

static int is_lua(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 4 && d->d_name[0] != '.' && strcmp(d->d_name + n - 4, ".lua") == 0;
}

struct proxy_def *proxy_load_dir(const char *dir, size_t *n, int *failures) {
  struct dirent **names;
  int k = scandir(dir, &names, is_lua, alphasort);
  *n = 0;
  if (k < 0) {
    fprintf(stderr, "badup: %s: cannot read the proxy definitions\n", dir);
    (*failures)++;
    return NULL;
  }
  struct proxy_def *defs = calloc((size_t)k + 1, sizeof *defs);
  for (int i = 0; i < k; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    int rc = load_one(dir, path, &defs[*n]);
    for (size_t j = 0; rc == 0 && j < *n; j++)
      if (strcmp(defs[j].name, defs[*n].name) == 0) {
        /* --proxy picks by name: a second definition of it would never run */
        fprintf(stderr, "%s:%d: proxy{}: name '%s' is taken by %s\n", path, defs[*n].line, defs[j].name,
                defs[j].source);
        rc = -1;
      }
    if (rc == 0) (*n)++;
    else {
      free_def(&defs[*n]);
      (*failures)++;
    }
    free(names[i]);
  }
  free(names);
  return defs;
}

void proxy_free_all(struct proxy_def *defs, size_t n) {
  for (size_t i = 0; i < n; i++) free_def(&defs[i]);
  free(defs);
}

static char *find_binary(const char *name) {
  if (strchr(name, '/')) return access(name, X_OK) == 0 ? strdup(name) : NULL;
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  char *save = NULL, *found = NULL;
  for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", d, name);
    if (access(full, X_OK) == 0) found = strdup(full);
  }
  free(copy);
  return found;
}

/* Runs `binary args...` with stdout and stderr captured (bounded), up to 10 s. */
static char *capture(const char *binary, char **args) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  size_t n = 0;
  while (args && args[n]) n++;
  char **argv = calloc(n + 2, sizeof *argv);
  argv[0] = (char *)binary;
  for (size_t i = 0; i < n; i++) argv[i + 1] = args[i];
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    execv(binary, argv);
    _exit(127);
  }
  free(argv);
  close(fds[1]);
  struct buf b = {0};
  char tmp[4096];
  ssize_t r;
  while ((r = read(fds[0], tmp, sizeof tmp)) > 0 && b.len < 65536) buf_append(&b, tmp, (size_t)r);
  close(fds[0]);
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  buf_append(&b, "", 1);
  return b.data;
}

void proxy_probe(struct proxy_def *p) {
  for (size_t i = 0; i < p->nbinaries && !p->binary; i++) p->binary = find_binary(p->binaries[i]);
  if (!p->binary) return;
  char *out = p->version_pattern ? capture(p->binary, p->version_args) : NULL;
  if (out) {
    /* Lua's own pattern matcher, through string.match, so definitions use one syntax. */
    lua_State *L = luaL_newstate();
    if (L) {
      luaL_requiref(L, "string", luaopen_string, 1);
      lua_getfield(L, -1, "match");
      lua_pushstring(L, out);
      lua_pushstring(L, p->version_pattern);
      if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1)) p->version = strdup(lua_tostring(L, -1));
      lua_close(L);
    }
    free(out);
  }
  if (!p->version) p->version = strdup("unknown");
}

char *template_render(const char *t, const struct vars *v, char **bad) {
  struct buf b = {0};
  *bad = NULL;
  while (*t) {
    const char *open = strstr(t, "${");
    if (!open) {
      buf_puts(&b, t);
      break;
    }
    if (open > t && open[-1] == '$') { /* "$${" is a literal "${" */
      buf_append(&b, t, (size_t)(open - t));
      buf_puts(&b, "{");
      t = open + 2;
      continue;
    }
    buf_append(&b, t, (size_t)(open - t));
    const char *close = strchr(open + 2, '}');
    if (!close) {
      buf_puts(&b, open);
      break;
    }
    size_t len = (size_t)(close - open - 2);
    size_t i;
    for (i = 0; i < v->n; i++)
      if (strlen(v->names[i]) == len && memcmp(v->names[i], open + 2, len) == 0) break;
    if (i == v->n) {
      if (!*bad) *bad = strndup(open + 2, len);
    } else {
      buf_puts(&b, v->values[i]);
    }
    t = close + 1;
  }
  buf_append(&b, "", 1);
  return b.data;
}
