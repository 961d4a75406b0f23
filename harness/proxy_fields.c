/* proxy_fields.c: the fields of proxy{}, one reader each (see proxy_load.h and
 * docs/proxies.md): each checks its value's type and shape and copies it into the
 * definition. */
#include "proxy_load.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>

/* ---- the fields, one function each; `v` is the value's stack index --------------------- */

static void f_name(lua_State *L, struct loader *ld, int v) {
  char *s = ld->p->name = ld_string(L, ld, v, "name");
  /* It names a folder of the results and is matched by --proxy lists. */
  bool ok = *s && *s != '.' && *s != '-' && strlen(s) <= 64;
  for (const char *c = s; *c; c++)
    ok &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("_.-", *c);
  if (!ok) ld_fail(L, ld, "name must be 1 to 64 letters, digits, '_', '.' or '-' (not first), got \"%.64s\"", s);
}

static void f_summary(lua_State *L, struct loader *ld, int v) { ld->p->summary = ld_string(L, ld, v, "summary"); }

static void f_packages(lua_State *L, struct loader *ld, int v) {
  ld_strings(L, ld, v, "packages", &ld->p->packages, false);
}

static void f_binary(lua_State *L, struct loader *ld, int v) {
  size_t n = ld->p->nbinaries = ld_strings(L, ld, v, "binary", &ld->p->binaries, false);
  ld_nonempty(L, ld, n, "binary");
  for (size_t i = 0; i < n; i++)
    if (!ld->p->binaries[i][0]) ld_fail(L, ld, "binary[%zu] is empty", i + 1);
}

static void f_version(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"args", "pattern", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "version must be a table { args = { ... }, pattern = \"...\" }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "version", keys);
  if (lua_getfield(L, v, "args") != LUA_TNIL) ld_strings(L, ld, -1, "version.args", &ld->p->version_args, false);
  lua_pop(L, 1);
  if (lua_getfield(L, v, "pattern") == LUA_TNIL) ld_fail(L, ld, "version.pattern is required");
  char *pat = ld->p->version_pattern = ld_string(L, ld, -1, "version.pattern");
  lua_pop(L, 1);
  const char *why = NULL;
  int c = ld_pattern_captures(pat, &why);
  if (c < 0) ld_fail(L, ld, "version.pattern is not a Lua pattern: %s", why);
  if (c != 1) ld_fail(L, ld, "version.pattern must have exactly one capture (the version), has %d", c);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct proxy_file *)a)->name, ((const struct proxy_file *)b)->name);
}

/* files: { ["name"] = "template" } or { ["name"] = { from = "file beside the definition" } },
 * kept in name order so a run does not depend on table order. */
void ld_files(lua_State *L, struct loader *ld, int v, const char *field, struct proxy_file **files, size_t *nfiles) {
  static const char *const keys[] = {"from", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "%s must be a table of name = template, got %s", field, luaL_typename(L, v));
  size_t cap = 0;
  lua_pushnil(L);
  while (lua_next(L, v)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      ld_fail(L, ld, "%s must be a table of name = template, has a %s key", field, luaL_typename(L, -1));
    cap++;
  }
  ld_nonempty(L, ld, cap, field);
  *files = calloc(cap, sizeof **files);
  if (!*files) ld_fail(L, ld, "out of memory");
  lua_pushnil(L);
  while (lua_next(L, v)) {
    int val = lua_gettop(L), key = val - 1;
    struct proxy_file *f = &(*files)[(*nfiles)++];
    char kwhat[64];
    snprintf(kwhat, sizeof kwhat, "a name in %s", field);
    f->name = ld_string(L, ld, key, kwhat);
    char what[128];
    snprintf(what, sizeof what, "%s[\"%.60s\"]", field, f->name);
    const char *why = ld_unsafe_relative(f->name);
    if (why) ld_fail(L, ld, "%s: the name %s (files are written into the case folder)", what, why);
    const char *own = ld_harness_file(f->name);
    if (own) ld_fail(L, ld, "%s: the harness writes %s into the case folder: choose another name", what, own);
    if (lua_type(L, val) == LUA_TSTRING) {
      f->text = ld_string(L, ld, val, what);
    } else if (lua_istable(L, val)) {
      ld_only_keys(L, ld, val, what, keys);
      char w2[160];
      snprintf(w2, sizeof w2, "%s.from", what);
      if (lua_getfield(L, val, "from") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
      char *from = ld_string(L, ld, -1, w2);
      const char *bad = ld_unsafe_relative(from);
      char full[4096];
      int n = snprintf(full, sizeof full, "%s/%s", ld->dir, from);
      free(from);
      if (bad) ld_fail(L, ld, "%s %s (it names a file beside the definition)", w2, bad);
      if (n >= (int)sizeof full) ld_fail(L, ld, "%s: the path is too long", w2);
      struct stat st; /* a FIFO would keep the open waiting for a writer for ever */
      if (stat(full, &st) == 0 && !S_ISREG(st.st_mode)) ld_fail(L, ld, "%s: %s: not a regular file", w2, full);
      size_t len = 0;
      errno = 0;
      f->text = ld_read_text(full, MAX_FROM_BYTES, &len);
      if (!f->text) ld_fail(L, ld, "%s: cannot read %s: %s", w2, full, strerror(errno ? errno : EIO));
      if (len > MAX_FROM_BYTES) ld_fail(L, ld, "%s: %s is larger than %u MiB", w2, full, MAX_FROM_BYTES >> 20);
      if (strlen(f->text) != len) ld_fail(L, ld, "%s: %s contains a NUL byte (templates are text)", w2, full);
    } else {
      ld_fail(L, ld, "%s must be a template string or { from = \"file\" }, got %s", what, luaL_typename(L, val));
    }
    ld_template(L, ld, f->text, what);
    lua_settop(L, key);
  }
  qsort(*files, *nfiles, sizeof **files, by_name);
}

static void f_files(lua_State *L, struct loader *ld, int v) { ld_files(L, ld, v, "files", &ld->p->files, &ld->p->nfiles); }


static void f_config(lua_State *L, struct loader *ld, int v) {
  ld->p->config = ld_string(L, ld, v, "config");
}

static void f_command(lua_State *L, struct loader *ld, int v) {
  ld_nonempty(L, ld, ld_strings(L, ld, v, "command", &ld->p->command, true), "command");
}

static void f_env(lua_State *L, struct loader *ld, int v) {
  size_t n = ld_strings(L, ld, v, "env", &ld->p->env, true);
  for (size_t i = 0; i < n; i++) {
    const char *e = ld->p->env[i];
    size_t k = strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (k == 0 || e[k] != '=' || (e[0] >= '0' && e[0] <= '9'))
      ld_fail(L, ld, "env[%zu] must be \"NAME=value\", got \"%.60s\"", i + 1, e);
  }
}

static void f_retries(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"on", "off", NULL};
  if (!lua_istable(L, v))
    ld_fail(L, ld, "retries must be a table { on = \"...\", off = \"...\" }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "retries", keys);
  ld_template_at(L, ld, v, "retries", "on", NULL, &ld->p->retries_on);
  ld_template_at(L, ld, v, "retries", "off", NULL, &ld->p->retries_off);
}

static void f_logs(lua_State *L, struct loader *ld, int v) {
  size_t n = ld->p->nlogs = ld_strings(L, ld, v, "logs", &ld->p->logs, false);
  for (size_t i = 0; i < n; i++) {
    const char *why = ld_unsafe_relative(ld->p->logs[i]);
    if (why) ld_fail(L, ld, "logs[%zu] %s (logs are named relative to the case folder)", i + 1, why);
  }
}

static void f_log_match(lua_State *L, struct loader *ld, int v) {
  const char *re_text = ld->p->log_match = ld_string(L, ld, v, "log_match");
  regex_t re;
  int rc = regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    regfree(&re);
    return;
  }
  char why[128];
  regerror(rc, &re, why, sizeof why);
  ld_fail(L, ld, "log_match is not a POSIX extended regular expression: %s", why);
}

static void f_ready_timeout(lua_State *L, struct loader *ld, int v) {
  if (lua_type(L, v) != LUA_TNUMBER)
    ld_fail(L, ld, "ready_timeout must be a number (seconds), got %s", luaL_typename(L, v));
  double s = lua_tonumber(L, v);
  if (!(s > 0 && s <= MAX_READY_S))
    ld_fail(L, ld, "ready_timeout must be seconds, more than 0 and at most %g, got %g", MAX_READY_S, s);
  ld->p->ready_timeout = s;
}

static void f_sidecars(lua_State *L, struct loader *ld, int v) {
  struct proxy_def *p = ld->p;
  size_t n = ld_list(L, ld, v, "sidecars", "commands (lists of strings)");
  if (n > MAX_SIDECARS) ld_fail(L, ld, "sidecars: at most %d, got %zu", MAX_SIDECARS, n);
  p->sidecars = calloc(n + 1, sizeof *p->sidecars);
  if (!p->sidecars) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[32];
    snprintf(what, sizeof what, "sidecars[%zu]", i + 1);
    lua_rawgeti(L, v, (lua_Integer)i + 1);
    p->nsidecars++;
    ld_nonempty(L, ld, ld_strings(L, ld, -1, what, &p->sidecars[i], true), what);
    lua_pop(L, 1);
  }
}

static void f_cleanup(lua_State *L, struct loader *ld, int v) {
  size_t n = ld_strings(L, ld, v, "cleanup", &ld->p->cleanup, true);
  for (size_t i = 0; i < n; i++) {
    const char *c = ld->p->cleanup[i];
    /* The harness runs elsewhere than the proxy: a relative pattern would remove files
     * relative to wherever badup was started. */
    if (c[0] != '/' && strncmp(c, "${dir}/", 7) != 0)
      ld_fail(L, ld, "cleanup[%zu] must be an absolute glob pattern (${dir}/... or /...), got \"%.60s\"", i + 1, c);
  }
}

static void f_settle_ms(lua_State *L, struct loader *ld, int v) { ld->p->settle_ms = ld_ms(L, ld, v, "settle_ms"); }
static void f_warmup_ms(lua_State *L, struct loader *ld, int v) { ld->p->warmup_ms = ld_ms(L, ld, v, "warmup_ms"); }
static void f_stop_grace_ms(lua_State *L, struct loader *ld, int v) {
  ld->p->stop_grace_ms = ld_ms(L, ld, v, "stop_grace_ms");
}

/* The account the proxy switches to when started as root (squid's cache_effective_user):
 * the harness hands it the folder the proxy works in. */
static void f_user(lua_State *L, struct loader *ld, int v) {
  char *s = ld->p->user = ld_string(L, ld, v, "user");
  if (!s[0] || strpbrk(s, ":/ \t")) ld_fail(L, ld, "user must be an account name, got \"%.60s\"", s);
}

static void f_check(lua_State *L, struct loader *ld, int v) {
  ld_nonempty(L, ld, ld_strings(L, ld, v, "check", &ld->p->check, true), "check");
}

static void f_paths(lua_State *L, struct loader *ld, int v) {
  ld_patterns(L, ld, v, "paths", &ld->p->paths, "the path");
}
static void f_includes(lua_State *L, struct loader *ld, int v) {
  ld_patterns(L, ld, v, "includes", &ld->p->includes, "the path");
}

static void f_include_folders(lua_State *L, struct loader *ld, int v) {
  if (lua_type(L, v) != LUA_TBOOLEAN) ld_fail(L, ld, "include_folders must be a boolean, got %s", luaL_typename(L, v));
  ld->p->include_folders = lua_toboolean(L, v);
}

static void f_paths_base(lua_State *L, struct loader *ld, int v) {
  char *s = ld->p->paths_base = ld_string(L, ld, v, "paths_base");
  if (s[0] != '/') ld_fail(L, ld, "paths_base must be an absolute folder, got \"%.60s\"", s);
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
    ld_fail(L, ld, "%s must be \"main\" (the statement counts only outside every block), got %s%s%.40s%s", w,
            luaL_typename(L, -1), lua_type(L, -1) == LUA_TSTRING ? " \"" : "",
            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "", lua_type(L, -1) == LUA_TSTRING ? "\"" : "");
  lua_pop(L, 1);
  return true;
}

static void f_must_set(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"directive", "default", "example", "context", NULL};
  struct proxy_def *p = ld->p;
  size_t n = ld_list(L, ld, v, "must_set", "{ directive = ..., default = ..., example = ... }");
  p->must_set = calloc(n ? n : 1, sizeof *p->must_set);
  if (!p->must_set) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[64], w2[96];
    snprintf(what, sizeof what, "must_set[%zu]", i + 1);
    lua_rawgeti(L, v, (lua_Integer)i + 1);
    int t = lua_gettop(L);
    if (!lua_istable(L, t))
      ld_fail(L, ld, "%s must be a table { directive = ..., default = ..., example = ... }, got %s", what,
              luaL_typename(L, t));
    ld_only_keys(L, ld, t, what, keys);
    struct proxy_must_set *m = &p->must_set[p->nmust_set++];
    char **slots[] = {&m->directive, &m->default_path, &m->example};
    for (int k = 0; k < 3; k++) {
      snprintf(w2, sizeof w2, "%s.%s", what, keys[k]);
      if (lua_getfield(L, t, keys[k]) == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
      *slots[k] = ld_string(L, ld, -1, w2);
      lua_pop(L, 1);
    }
    const char *why = NULL;
    if (ld_pattern_captures(m->directive, &why) < 0) ld_fail(L, ld, "%s.directive is not a Lua pattern: %s", what, why);
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
    ld_fail(L, ld, "foreground must be a table { detaches = { ... }, stays = ..., example = ... }, got %s",
            luaL_typename(L, v));
  ld_only_keys(L, ld, v, "foreground", keys);
  size_t n = 0;
  if (lua_getfield(L, v, "detaches") != LUA_TNIL)
    n = ld_strings(L, ld, -1, "foreground.detaches", &fg->detaches, false);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    int c = ld_pattern_captures(fg->detaches[i], &why);
    if (c < 0) ld_fail(L, ld, "foreground.detaches[%zu] is not a Lua pattern: %s", i + 1, why);
    if (c > 1)
      ld_fail(L, ld, "foreground.detaches[%zu] must have at most one capture (what to remove), has %d", i + 1, c);
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "stays") != LUA_TNIL) {
    const char *why = NULL;
    fg->stays = ld_string(L, ld, -1, "foreground.stays");
    if (ld_pattern_captures(fg->stays, &why) < 0) ld_fail(L, ld, "foreground.stays is not a Lua pattern: %s", why);
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "example") != LUA_TNIL) fg->example = ld_string(L, ld, -1, "foreground.example");
  lua_settop(L, v);
  fg->main_only = want_context(L, ld, v, "foreground");
  if (fg->main_only && !fg->stays) ld_fail(L, ld, "foreground.context is about stays, which is not given");
  if (n == 0 && !fg->stays) ld_fail(L, ld, "foreground needs detaches or stays");
  /* a config without the statement is refused: the message must say what to add */
  if (fg->stays && !fg->example) ld_fail(L, ld, "foreground.example is required with foreground.stays");
}

/* syntax = { ends, blocks, data, quotes, quote_at, strings, escapes, word_escapes, continued, case,
 * comments }: how the config's language is cut into statements (docs/proxies.md). */
static void f_syntax(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"ends", "blocks", "data", "quotes", "quote_at", "strings", "escapes",
                                     "word_escapes", "continued", "case", "comments", NULL};
  static const char *const ends[] = {"line", ";", "assignment", "yaml", NULL};
  static const char *const quote_at[] = {"word", "anywhere", NULL};
  static const char *const strings[] = {"line", "multiline", NULL};
  static const char *const cases[] = {"sensitive", "insensitive", NULL};
  static const char *const comments[] = {"#", "#any", "^#", "//", "/*", NULL};
  static const unsigned comment_bits[] = {COMMENT_HASH, COMMENT_HASH_ANY, COMMENT_HASH_LINE, COMMENT_SLASHES,
                                          COMMENT_BLOCK};
  struct proxy_syntax *sx = &ld->p->syntax;
  if (!lua_istable(L, v))
    ld_fail(L, ld, "syntax must be a table { ends = ..., blocks = ..., ... }, got %s", luaL_typename(L, v));
  ld_only_keys(L, ld, v, "syntax", keys);
  sx->ends = (enum syntax_ends)ld_word(L, ld, v, "ends", "syntax", ends, ENDS_LINE);
  sx->quote_anywhere = ld_word(L, ld, v, "quote_at", "syntax", quote_at, 0) == 1;
  sx->multiline = ld_word(L, ld, v, "strings", "syntax", strings, 0) == 1;
  sx->caseless = ld_word(L, ld, v, "case", "syntax", cases, 0) == 1;
  sx->word_escapes = ld_bool(L, ld, v, "word_escapes", "syntax", false);
  sx->continued = ld_bool(L, ld, v, "continued", "syntax", false);
  int type = lua_getfield(L, v, "blocks");
  if (type == LUA_TSTRING) {
    const char *b = lua_tostring(L, -1);
    if (strcmp(b, "{}") == 0) sx->braces = true;
    else if (strcmp(b, "{} tokens") == 0) sx->braces = sx->brace_tokens = true;
    else
      ld_fail(L, ld,
              "syntax.blocks must be \"{}\", \"{} tokens\" or { open = pattern, close = pattern }, got \"%.40s\"", b);
  } else if (type == LUA_TTABLE) {
    static const char *const bkeys[] = {"open", "close", NULL};
    int t = lua_gettop(L);
    ld_only_keys(L, ld, t, "syntax.blocks", bkeys);
    if (lua_getfield(L, t, "open") == LUA_TNIL) ld_fail(L, ld, "syntax.blocks.open is required");
    ld_pattern(L, ld, -1, "syntax.blocks.open", 0, 0, &sx->open);
    if (lua_getfield(L, t, "close") == LUA_TNIL) ld_fail(L, ld, "syntax.blocks.close is required");
    ld_pattern(L, ld, -1, "syntax.blocks.close", 0, 0, &sx->close);
  } else if (type != LUA_TNIL) {
    ld_fail(L, ld, "syntax.blocks must be \"{}\", \"{} tokens\" or { open = pattern, close = pattern }, got %s",
            luaL_typename(L, -1));
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "data") != LUA_TNIL) {
    size_t n = ld_strings(L, ld, -1, "syntax.data", &sx->data, false);
    for (size_t i = 0; i < n; i++) {
      const char *why = NULL;
      if (ld_pattern_captures(sx->data[i], &why) < 0)
        ld_fail(L, ld, "syntax.data[%zu] is not a Lua pattern: %s", i + 1, why);
    }
    if (n && !sx->braces && !sx->open)
      ld_fail(L, ld, "syntax.data names blocks, but syntax.blocks says there are none");
  }
  lua_settop(L, v);
  if (lua_getfield(L, v, "quotes") != LUA_TNIL) {
    free(sx->quotes);
    sx->quotes = NULL; /* freed by free_def if want_string fails */
    sx->quotes = ld_string(L, ld, -1, "syntax.quotes");
    for (const char *q = sx->quotes; *q; q++)
      if (!strchr("\"'`{", *q)) ld_fail(L, ld, "syntax.quotes may hold \" ' ` and { (VCL's {\"...\"}), got '%c'", *q);
  }
  lua_settop(L, v);
  /* escapes: true (in every string, the default), false, or the quotes whose strings take them */
  int etype = lua_getfield(L, v, "escapes");
  const char *in = etype == LUA_TNIL || (etype == LUA_TBOOLEAN && lua_toboolean(L, -1)) ? sx->quotes
                   : etype == LUA_TBOOLEAN                                             ? ""
                   : etype == LUA_TSTRING                                              ? lua_tostring(L, -1)
                                                                                       : NULL;
  if (!in) ld_fail(L, ld, "syntax.escapes must be a boolean or a string of quotes, got %s", luaL_typename(L, -1));
  for (const char *q = in; *q; q++)
    if (!strchr(sx->quotes, *q)) ld_fail(L, ld, "syntax.escapes names '%c', which is not one of syntax.quotes", *q);
  char *escapes = ld_dup(L, ld, in, strlen(in));
  free(sx->escapes);
  sx->escapes = escapes;
  lua_settop(L, v);
  if (lua_getfield(L, v, "comments") != LUA_TNIL) {
    int t = lua_gettop(L);
    size_t n = ld_list(L, ld, t, "syntax.comments", "strings");
    sx->comments = 0;
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, t, (lua_Integer)i + 1);
      const char *got = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
      int k = 0;
      while (got && comments[k] && strcmp(comments[k], got) != 0) k++;
      if (!got || !comments[k])
        ld_fail(L, ld, "syntax.comments[%zu] must be one of \"#\", \"#any\", \"^#\", \"//\", \"/*\", got %s%.40s%s",
                i + 1, got ? "\"" : luaL_typename(L, -1), got ? got : "", got ? "\"" : "");
      sx->comments |= comment_bits[k];
      lua_pop(L, 1);
    }
  }
  lua_settop(L, v);
}

/* targets = { { match = ..., each = ..., part = ..., skip = ..., unless = ..., why = ... } }:
 * the statements that name where the proxy sends requests. */
static void f_targets(lua_State *L, struct loader *ld, int v) {
  static const char *const keys[] = {"match", "each", "part", "skip", "unless", "why", "use", "needs", NULL};
  static const char *const parts[] = {"address", "host", "port", "host port", "socket", NULL};
  struct proxy_def *p = ld->p;
  size_t n = ld_list(L, ld, v, "targets", "{ match = ..., ... }");
  p->targets = calloc(n ? n : 1, sizeof *p->targets);
  if (!p->targets) ld_fail(L, ld, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[48], w2[64];
    snprintf(what, sizeof what, "targets[%zu]", i + 1);
    lua_rawgeti(L, v, (lua_Integer)i + 1);
    int t = lua_gettop(L);
    if (!lua_istable(L, t))
      ld_fail(L, ld, "%s must be a table { match = ..., ... }, got %s", what, luaL_typename(L, t));
    ld_only_keys(L, ld, t, what, keys);
    struct proxy_target *r = &p->targets[p->ntargets++];
    r->part = (enum target_part)ld_word(L, ld, t, "part", what, parts, PART_ADDRESS);
    bool why = lua_getfield(L, t, "why") != LUA_TNIL, each = lua_getfield(L, t, "each") != LUA_TNIL;
    lua_settop(L, t);
    int captures = r->part == PART_HOST_PORT ? 2 : 1;
    if (why && (each || lua_getfield(L, t, "part") != LUA_TNIL))
      ld_fail(L, ld, "%s: why refuses the whole statement: it takes no each or part", what);
    lua_settop(L, t);
    if (each && r->part == PART_HOST_PORT)
      ld_fail(L, ld, "%s: each captures one value: part \"host port\" needs match", what);
    snprintf(w2, sizeof w2, "%s.match", what);
    if (lua_getfield(L, t, "match") == LUA_TNIL) ld_fail(L, ld, "%s is required", w2);
    /* with each, match may capture the part of the statement each is applied to */
    ld_pattern(L, ld, -1, w2, why ? 0 : each ? 0 : captures, why ? 32 : each ? 1 : captures, &r->match);
    lua_settop(L, t);
    if (each) {
      lua_getfield(L, t, "each");
      snprintf(w2, sizeof w2, "%s.each", what);
      ld_pattern(L, ld, -1, w2, 1, 1, &r->each);
      lua_settop(L, t);
    }
    if (lua_getfield(L, t, "skip") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.skip", what);
      ld_pattern(L, ld, -1, w2, 0, 32, &r->skip);
    }
    lua_settop(L, t);
    if (lua_getfield(L, t, "unless") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.unless", what);
      ld_pattern(L, ld, -1, w2, 0, 32, &r->unless);
    }
    lua_settop(L, t);
    if (why) {
      lua_getfield(L, t, "why");
      snprintf(w2, sizeof w2, "%s.why", what);
      r->why = ld_string(L, ld, -1, w2);
      if (!r->why[0]) ld_fail(L, ld, "%s must not be empty", w2);
      lua_settop(L, t);
    }
    if (lua_getfield(L, t, "use") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.use", what);
      r->use = ld_string(L, ld, -1, w2);
    }
    lua_settop(L, t);
    if (lua_getfield(L, t, "needs") != LUA_TNIL) {
      snprintf(w2, sizeof w2, "%s.needs", what);
      ld_pattern(L, ld, -1, w2, 0, 32, &r->needs);
      if (r->part != PART_HOST) ld_fail(L, ld, "%s is about a host's port: it needs part \"host\"", w2);
    }
    lua_settop(L, v);
  }
}

static void f_groups(lua_State *L, struct loader *ld, int v) {
  ld_patterns(L, ld, v, "groups", &ld->p->groups, "the group's name");
}

/* Every field, in the order they are copied (config after files: it names one; upstreams
 * before the templates, whose variables it adds to). */
const struct ld_field LD_FIELDS[] = {
    {"name", f_name, true},
    {"summary", f_summary, false},
    {"packages", f_packages, false},
    {"binary", f_binary, true},
    {"version", f_version, false},
    {"upstreams", ld_upstreams, false}, /* before every template: they may use its variables */
    {"files", f_files, true},
    {"config", f_config, false},
    {"command", f_command, true},
    {"env", f_env, false},
    {"retries", f_retries, false},
    {"upstream_tls", ld_upstream_tls, false}, /* checked against the templates once all are read */
    {"upstream_http2", ld_upstream_http2, false}, /* likewise */
    {"client", ld_client, false}, /* checked against the templates once all are read */
    {"client_tls", ld_client_tls, false}, /* likewise */
    {"client_http2", ld_client_http2, false}, /* likewise */
    {"granularity", ld_granularity, false},
    {"logs", f_logs, false},
    {"log_match", f_log_match, false},
    {"forward", ld_forward, false}, /* after files: its own replace them */
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
    {"include_folders", f_include_folders, false},
    {"paths_base", f_paths_base, false},
    {"must_set", f_must_set, false},
    {"foreground", f_foreground, false},
    {"syntax", f_syntax, false},
    {"targets", f_targets, false},
    {"groups", f_groups, false},
    {"explain", ld_explain, false}, /* after logs: look_in names one */
};
const size_t LD_NFIELDS = sizeof LD_FIELDS / sizeof *LD_FIELDS;
