/* sandbox.c: a Lua state that scenario code cannot escape or exhaust. */
#include "sandbox.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#define BUDGET_STRIDE 1000 /* instructions between two checks of the budget */

static struct sandbox **extra(lua_State *L) { return (struct sandbox **)lua_getextraspace(L); }

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  struct sandbox *sb = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    sb->mem_used -= old;
    free(ptr);
    return NULL;
  }
  if (nsize > old && sb->mem_used - old + nsize > sb->mem_cap) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) sb->mem_used = sb->mem_used - old + nsize;
  return p;
}

static void budget_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  struct sandbox *sb = *extra(L);
  sb->budget_left -= BUDGET_STRIDE;
  if (sb->budget_left < 0) {
    /* From now on every instruction fails: a scenario that catches the error with pcall
     * cannot run on, because the very next instruction outside the pcall raises again, all
     * the way out to sandbox_pcall (which re-arms the hook for the next call). */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    char msg[96]; /* luaL_error has no %ld */
    snprintf(msg, sizeof msg, "instruction budget exceeded (%ld instructions in one call)", sb->budget_per_call);
    luaL_error(L, "%s", msg);
  }
}

/* load() that only takes text: bytecode can break the VM's invariants. */
static int text_only_load(lua_State *L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  if (n >= 2) lua_pushvalue(L, 2); else lua_pushnil(L);
  lua_pushliteral(L, "t");
  if (n >= 4) lua_pushvalue(L, 4);
  lua_call(L, n >= 4 ? 4 : 3, LUA_MULTRET);
  return lua_gettop(L) - n;
}

/* print() writes to stderr so stdout stays machine-readable. */
static int stderr_print(lua_State *L) {
  int n = lua_gettop(L);
  fprintf(stderr, "%s:", lua_tostring(L, lua_upvalueindex(1)));
  for (int i = 1; i <= n; i++) fprintf(stderr, " %s", luaL_tolstring(L, i, NULL)), lua_pop(L, 1);
  fputc('\n', stderr);
  return 0;
}

/* Does msg start with "source:line:"? */
static bool has_position(const char *msg) {
  const char *c = strchr(msg, ':');
  if (!c || c == msg || !isdigit((unsigned char)c[1])) return false;
  c++;
  while (isdigit((unsigned char)*c)) c++;
  return *c == ':';
}

/* Adds a traceback, and a "file:line:" prefix to errors raised inside C functions (Lua
 * gives those none): the innermost Lua frame is where the user's code went wrong. */
static int traceback_handler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  if (!has_position(msg)) {
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
      if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
        msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
        break;
      }
    }
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static void open_safe_libs(lua_State *L) {
  static const luaL_Reg libs[] = {
      {LUA_GNAME, luaopen_base},        {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine},
      {NULL, NULL}};
  for (const luaL_Reg *l = libs; l->func; l++) {
    luaL_requiref(L, l->name, l->func, 1);
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  lua_setglobal(L, "dofile");
  lua_pushnil(L);
  lua_setglobal(L, "loadfile");
  lua_getglobal(L, "load");
  lua_pushcclosure(L, text_only_load, 1);
  lua_setglobal(L, "load");
}

int sandbox_open(struct sandbox *sb, const char *name, bool unsafe, size_t mem_cap, long budget,
                 unsigned long seed) {
  memset(sb, 0, sizeof *sb);
  sb->mem_cap = mem_cap ? mem_cap : SANDBOX_DEFAULT_MEM;
  sb->budget_per_call = budget > 0 ? budget : SANDBOX_DEFAULT_BUDGET;
  sb->unsafe = unsafe;
  sb->L = lua_newstate(capped_alloc, sb);
  if (!sb->L) return -1;
  *extra(sb->L) = sb;
  lua_State *L = sb->L;
  if (unsafe) luaL_openlibs(L); else open_safe_libs(L);
  lua_pushstring(L, name);
  lua_pushcclosure(L, stderr_print, 1);
  lua_setglobal(L, "print");
  /* math.randomseed(seed): the same --seed gives the same run. */
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  lua_pushinteger(L, (lua_Integer)seed);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  return 0;
}

void sandbox_moved(struct sandbox *sb) {
  if (!sb->L) return;
  lua_setallocf(sb->L, capped_alloc, sb);
  *extra(sb->L) = sb;
}

int sandbox_pcall(struct sandbox *sb, int nargs, int nresults, struct buf *err) {
  lua_State *L = sb->L;
  int base = lua_gettop(L) - nargs; /* the function's index */
  lua_pushcfunction(L, traceback_handler);
  lua_insert(L, base);
  sb->budget_left = sb->budget_per_call;
  lua_sethook(L, budget_hook, LUA_MASKCOUNT, BUDGET_STRIDE);
  int st = lua_pcall(L, nargs, nresults, base);
  lua_sethook(L, NULL, 0, 0);
  if (st != LUA_OK) {
    if (err) {
      err->len = 0;
      if (st == LUA_ERRMEM)
        buf_printf(err, "memory cap of %zu MiB exceeded", sb->mem_cap >> 20);
      else
        buf_puts(err, lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error without message)");
    }
    lua_pop(L, 1);
  }
  lua_remove(L, base);
  return st;
}

int sandbox_loadfile(struct sandbox *sb, const char *path, struct buf *err) {
  int st = luaL_loadfilex(sb->L, path, "t");
  if (st != LUA_OK) {
    if (err) {
      err->len = 0;
      buf_puts(err, lua_tostring(sb->L, -1) ? lua_tostring(sb->L, -1) : "cannot load");
    }
    lua_pop(sb->L, 1);
  }
  return st;
}

/* Lua shortens long chunk names to "...tail"; put the full path back so every message
 * starts with the file a user can open. */
void sandbox_restore_path(struct buf *err, const char *path) {
  if (err->len < 4 || memcmp(err->data, "...", 3) != 0) return;
  const char *colon = memchr(err->data + 3, ':', err->len - 3);
  if (!colon) return;
  size_t tail = (size_t)(colon - (err->data + 3)), plen = strlen(path);
  if (tail > plen || memcmp(path + plen - tail, err->data + 3, tail) != 0) return;
  struct buf fixed = {0};
  buf_puts(&fixed, path);
  buf_append(&fixed, colon, err->len - (size_t)(colon - err->data));
  if (fixed.oom) {
    buf_free(&fixed);
    return;
  }
  buf_free(err);
  *err = fixed;
}

/* Some errors carry no position at all: the parser's "C stack overflow" on deeply nested
 * source, a failed open, an error raised with another chunk's position. The contract is a
 * message that starts with "path:line:": blame the file as a whole (found by fuzz_scenario). */
void sandbox_ensure_path(struct buf *err, const char *path) {
  size_t plen = strlen(path);
  if (err->len > plen && memcmp(err->data, path, plen) == 0 && err->data[plen] == ':') return;
  struct buf fixed = {0};
  buf_printf(&fixed, "%s:1: %.*s", path, (int)err->len, err->data ? err->data : "");
  if (fixed.oom) {
    buf_free(&fixed);
    return;
  }
  buf_free(err);
  *err = fixed;
}

void sandbox_close(struct sandbox *sb) {
  if (sb->L) lua_close(sb->L);
  sb->L = NULL;
}
