/* test_sandbox.c: the Lua state scenario code runs in: what it lacks, its memory cap, its
 * instruction budget, its seeded random numbers, and the "chunk:line:" of its errors. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "sandbox.h"
#include "unit_util.h"

#define CHUNK "=probe" /* errors name it "probe:LINE:" */

static struct sandbox sb;
static struct buf err;

static void open_sb(bool unsafe, size_t mem_cap, long budget, unsigned long seed) {
  ck_assert_int_eq(sandbox_open(&sb, "probe", unsafe, mem_cap, budget, seed), 0);
  ck_assert_ptr_nonnull(sb.L);
}

static void teardown(void) {
  sandbox_close(&sb);
  buf_free(&err);
}

/* Loads src as text and runs it through sandbox_pcall. Returns the Lua status; results
 * stay on the stack on success, *err is set on failure. */
static int run(const char *src, int nresults) {
  int st = luaL_loadbuffer(sb.L, src, strlen(src), CHUNK);
  if (st != LUA_OK) {
    err.len = 0;
    buf_puts(&err, lua_tostring(sb.L, -1));
    lua_pop(sb.L, 1);
    return st;
  }
  return sandbox_pcall(&sb, 0, nresults, &err);
}

/* Runs src that must succeed with one string result; returns it (valid until the next
 * run, held in a static buffer). */
static const char *run_str(const char *src) {
  static char out[4096];
  int top = lua_gettop(sb.L);
  int st = run(src, 1);
  ck_assert_msg(st == LUA_OK, "%s\nfailed: %s", src, uu_cstr(&err));
  const char *s = luaL_tolstring(sb.L, -1, NULL);
  snprintf(out, sizeof out, "%s", s);
  lua_settop(sb.L, top);
  return out;
}

/* Runs src that must fail; returns the error's first line (static buffer). */
static const char *run_fail(const char *src) {
  static char out[4096];
  int top = lua_gettop(sb.L);
  int st = run(src, 0);
  ck_assert_msg(st != LUA_OK, "%s\nshould have failed", src);
  ck_assert_int_eq(lua_gettop(sb.L), top); /* the error was popped */
  const char *e = uu_cstr(&err);
  size_t n = strcspn(e, "\n");
  snprintf(out, sizeof out, "%.*s", (int)n, e);
  return out;
}

#define ASSERT_HAS(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))
#define ASSERT_PREFIX(s, p) \
  ck_assert_msg(strncmp((s), (p), strlen(p)) == 0, "\"%s\" does not start with \"%s\"", (s), (p))

/* ---- what the safe state lacks ---------------------------------------------------- */

START_TEST(test_safe_globals_absent) {
  open_sb(false, 0, 0, 1);
  ck_assert_str_eq(run_str("return type(os)"), "nil");
  ck_assert_str_eq(run_str("return type(io)"), "nil");
  ck_assert_str_eq(run_str("return type(require)"), "nil");
  ck_assert_str_eq(run_str("return type(dofile)"), "nil");
  ck_assert_str_eq(run_str("return type(loadfile)"), "nil");
  ck_assert_str_eq(run_str("return type(package)"), "nil");
  ck_assert_str_eq(run_str("return type(debug)"), "nil");
  /* What scenarios need is there. */
  ck_assert_str_eq(run_str("return type(string.rep) .. type(table.concat) .. type(math.floor) .."
                           " type(utf8.char) .. type(coroutine.wrap) .. type(load) .. type(pcall)"),
                   "functionfunctionfunctionfunctionfunctionfunctionfunction");
  ASSERT_HAS(run_fail("os.execute('true')"), "attempt to index a nil value (global 'os')");
  ASSERT_HAS(run_fail("require('os')"), "attempt to call a nil value (global 'require')");
}
END_TEST

START_TEST(test_unsafe_globals_present) {
  open_sb(true, 0, 0, 1);
  ck_assert_str_eq(run_str("return type(os) .. type(io) .. type(require) .. type(dofile) .. type(loadfile)"),
                   "tabletablefunctionfunctionfunction");
  ck_assert_str_eq(run_str("return type(require('string').rep)"), "function");
  ck_assert(sb.unsafe);
}
END_TEST

START_TEST(test_load_text_only) {
  open_sb(false, 0, 0, 1);
  ck_assert_str_eq(run_str("return load('return 1 + 1')()"), "2");
  const char *e = run_str("local f, e = load(string.dump(function() return 1 end)); return tostring(f) .. '|' .. e");
  ASSERT_PREFIX(e, "nil|");
  ASSERT_HAS(e, "binary chunk");
  /* Asking for "b" does not help: the mode is forced to text. Chunk name and env pass. */
  ck_assert_str_eq(run_str("return load('return x', 'name', 'b', {x = 5})()"), "5");
  ASSERT_HAS(run_str("local f, e = load('error(1', 'mychunk'); return e"), "mychunk");
  ASSERT_HAS(run_str("local f, e = load(string.dump(function() end), 'x', 'bt'); return e"), "binary chunk");
  /* A reader function cannot slip bytecode in either. */
  ASSERT_HAS(run_str("local s, done = string.dump(function() return 1 end), false\n"
                     "local f, e = load(function() if done then return nil end done = true return s end)\n"
                     "return e"),
             "binary chunk");
  /* assert(load(bytecode)) is the way scenarios would meet it: a runtime error. */
  ASSERT_HAS(run_fail("assert(load(string.dump(function() return 1 end)))()"), "binary chunk");
}
END_TEST

START_TEST(test_unsafe_load_takes_bytecode) {
  open_sb(true, 0, 0, 1);
  ck_assert_str_eq(run_str("return load(string.dump(function() return 7 end))()"), "7");
}
END_TEST

static int dump_writer(lua_State *L, const void *p, size_t n, void *ud) {
  (void)L;
  buf_append(ud, p, n);
  return 0;
}

START_TEST(test_loadfile_refuses_bytecode) {
  open_sb(false, 0, 0, 1);
  /* Make a bytecode file with a plain state, and a text file beside it. */
  lua_State *P = luaL_newstate();
  ck_assert_int_eq(luaL_loadstring(P, "return 1"), LUA_OK);
  struct buf bc = {0};
  ck_assert_int_eq(lua_dump(P, dump_writer, &bc, 0), 0);
  lua_close(P);
  char *dir = uu_mkdtemp();
  char *bin = uu_write_file(dir, "bin.lua", bc.data, bc.len);
  char *txt = uu_write_file(dir, "txt.lua", "return 1 +", 10);
  ck_assert_int_ne(sandbox_loadfile(&sb, bin, &err), LUA_OK);
  ASSERT_HAS(uu_cstr(&err), "binary chunk");
  ck_assert_int_eq(lua_gettop(sb.L), 0);
  /* A syntax error names the file and line. */
  ck_assert_int_eq(sandbox_loadfile(&sb, txt, &err), LUA_ERRSYNTAX);
  ASSERT_PREFIX(uu_cstr(&err), txt);
  ASSERT_PREFIX(uu_cstr(&err) + strlen(txt), ":1:");
  char *ok = uu_write_file(dir, "ok.lua", "return 40 + 2", 13);
  ck_assert_int_eq(sandbox_loadfile(&sb, ok, &err), LUA_OK);
  ck_assert_int_eq(sandbox_pcall(&sb, 0, 1, &err), LUA_OK);
  ck_assert_int_eq(lua_tointeger(sb.L, -1), 42);
  buf_free(&bc);
  free(bin);
  free(txt);
  free(ok);
  uu_rmtree(dir);
}
END_TEST

/* ---- the memory cap ---------------------------------------------------------------- */

START_TEST(test_memory_cap) {
  open_sb(false, 4u << 20, 0, 1);
  ck_assert_uint_eq(sb.mem_cap, 4u << 20);
  ck_assert_uint_le(sb.mem_used, sb.mem_cap);
  const char *e = run_fail("local s = string.rep('x', 1 << 30)\nreturn #s");
  ck_assert_str_eq(e, "memory cap of 4 MiB exceeded");
  /* The state goes on, and the memory came back. */
  ck_assert_str_eq(run_str("return #string.rep('y', 1000)"), "1000");
  ck_assert_uint_le(sb.mem_used, 1u << 20);
}
END_TEST

START_TEST(test_memory_cap_table_growth) {
  open_sb(false, 4u << 20, 0, 1);
  const char *e = run_fail("local t = {}\nfor i = 1, 1e8 do t[i] = i end");
  ck_assert_str_eq(e, "memory cap of 4 MiB exceeded");
  lua_gc(sb.L, LUA_GCCOLLECT);
  ck_assert_str_eq(run_str("local t = {} for i = 1, 100 do t[i] = i end return #t"), "100");
  ck_assert_uint_le(sb.mem_used, 1u << 20);
}
END_TEST

/* A sandbox whose struct moved (serve's scenario array grew) counts its memory where it now
 * is, after sandbox_moved: the old place is neither read nor written. */
START_TEST(test_moved_sandbox_counts_where_it_is) {
  open_sb(false, 4u << 20, 0, 1);
  struct sandbox *away = malloc(sizeof *away);
  ck_assert_ptr_nonnull(away);
  *away = sb;
  sandbox_moved(away);
  sb.mem_used = 12345; /* the old place: a canary */
  const char *src = "local s = string.rep('x', 1 << 20)\nreturn #s";
  ck_assert_int_eq(luaL_loadbuffer(away->L, src, strlen(src), CHUNK), LUA_OK);
  ck_assert_int_eq(sandbox_pcall(away, 0, 1, &err), LUA_OK);
  lua_pop(away->L, 1);
  ck_assert_uint_ge(away->mem_used, 1u << 20);
  src = "return #string.rep('x', 1 << 30)";
  ck_assert_int_eq(luaL_loadbuffer(away->L, src, strlen(src), CHUNK), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(away, 0, 1, &err), LUA_OK);
  ck_assert_ptr_nonnull(strstr(err.data, "memory cap of 4 MiB exceeded"));
  ck_assert_uint_eq(sb.mem_used, 12345);
  /* and back, for teardown */
  sb = *away;
  sandbox_moved(&sb);
  free(away);
  ck_assert_str_eq(run_str("return #string.rep('y', 1000)"), "1000");
  ck_assert_uint_le(sb.mem_used, 4u << 20);
}
END_TEST

START_TEST(test_default_memory_cap) {
  open_sb(false, 0, 0, 1);
  ck_assert_uint_eq(sb.mem_cap, SANDBOX_DEFAULT_MEM);
  ck_assert_int_eq(sb.budget_per_call, SANDBOX_DEFAULT_BUDGET);
}
END_TEST

/* ---- the instruction budget -------------------------------------------------------- */

START_TEST(test_budget_stops_infinite_loop) {
  open_sb(false, 0, 200000, 1);
  double t0 = uu_now();
  const char *e = run_fail("local n = 0\nwhile true do n = n + 1 end");
  ck_assert_double_lt(uu_now() - t0, 5.0);
  ASSERT_PREFIX(e, "probe:2: ");
  /* (The committed budget_hook formatted this with %ld, which lua_pushfstring lacks: the
   * message was "invalid option '%l' to 'lua_pushfstring'".) */
  ASSERT_HAS(e, "instruction budget exceeded");
  ASSERT_HAS(e, "200000");
  /* The state goes on, and the budget is per call: each of these fits on its own. */
  for (int i = 0; i < 5; i++)
    ck_assert_str_eq(run_str("local n = 0 for i = 1, 20000 do n = n + 1 end return n"), "20000");
}
END_TEST

START_TEST(test_budget_in_coroutines) {
  /* A coroutine inherits the hook and shares the budget. */
  open_sb(false, 0, 200000, 1);
  ASSERT_HAS(run_fail("coroutine.wrap(function()\n  while true do end\nend)()"), "instruction budget exceeded");
  ASSERT_HAS(run_fail("local co = coroutine.create(function() while true do end end)\n"
                      "local ok, e = coroutine.resume(co)\nerror(e, 0)"),
             "instruction budget exceeded");
  ck_assert_str_eq(run_str("return 'alive'"), "alive");
}
END_TEST

START_TEST(test_budget_big_enough_for_real_work) {
  /* The default budget lets a plan function do real work. */
  open_sb(false, 0, 0, 1);
  ck_assert_str_eq(run_str("local t = {} for i = 1, 100000 do t[#t + 1] = tostring(i) end return #table.concat(t)"),
                   "488895");
}
END_TEST

/* The budget holds against a chunk that catches its own budget error: with an ordinary
 * catchable error raised once per BUDGET_STRIDE instructions (the committed budget_hook),
 *   while true do pcall(function() while true do end end) end
 * ran forever and blocked the data plane's loop thread. The probe gives up on its own after
 * 20000 rounds (about 2e7 instructions, 100 times its budget) so a regression fails fast. */
START_TEST(test_budget_holds_against_pcall) {
  open_sb(false, 0, 200000, 1);
  int st = run("local rounds = 0\n"
               "while rounds < 20000 do\n"
               "  rounds = rounds + 1\n"
               "  pcall(function() while true do end end)\n"
               "end\n"
               "return 'still running after ' .. rounds .. ' caught budget errors'",
               1);
  ck_assert_msg(st != LUA_OK, "budget of 200000 instructions not enforced: %s",
                st == LUA_OK ? lua_tostring(sb.L, -1) : "");
  ASSERT_HAS(uu_cstr(&err), "instruction budget exceeded");
  ck_assert_str_eq(run_str("return 'alive'"), "alive");
}
END_TEST

/* ---- seeded random numbers ----------------------------------------------------------- */

static char *random_sequence(unsigned long seed) {
  open_sb(false, 0, 0, seed);
  char *s = strdup(run_str("local t = {} for i = 1, 8 do t[i] = math.random(1, 1000000) end"
                           " return table.concat(t, ',')"));
  sandbox_close(&sb);
  return s;
}

START_TEST(test_random_seeded) {
  char *a = random_sequence(17), *b = random_sequence(17), *c = random_sequence(18);
  ck_assert_str_eq(a, b);
  ck_assert_str_ne(a, c);
  free(a);
  free(b);
  free(c);
}
END_TEST

/* ---- error positions ------------------------------------------------------------------- */

START_TEST(test_c_function_errors_get_position) {
  open_sb(false, 0, 0, 1);
  /* luaL_argerror from a C function: Lua gives it no position; the handler adds ours. */
  ASSERT_PREFIX(run_fail("local x = 1\n\nstring.rep()"), "probe:3: bad argument #1 to 'rep'");
  ASSERT_PREFIX(run_fail("local t = setmetatable({}, {__index = function() error('deep', 0) end})\nreturn t.x"),
                "probe:1: deep");
  /* error() with level 0 carries no position either. */
  ASSERT_PREFIX(run_fail("\n\nerror('plain', 0)"), "probe:3: plain");
  /* A Lua error keeps its own position, not doubled. */
  ck_assert_str_eq(run_fail("\nerror('boom')"), "probe:2: boom");
  ck_assert_str_eq(run_fail("local t = nil\nreturn t.x"), "probe:2: attempt to index a nil value (local 't')");
  /* An error raised in a nested function names the line where it was raised. */
  ASSERT_PREFIX(run_fail("local function f()\n  return ('x'):rep({})\nend\nf()"), "probe:2: bad argument #1 to 'rep'");
}
END_TEST

START_TEST(test_error_objects) {
  open_sb(false, 0, 0, 1);
  ASSERT_HAS(run_fail("error({})"), "error object is a table value");
  ASSERT_HAS(run_fail("error(setmetatable({}, {__tostring = function() return 'custom' end}))"), "custom");
  ASSERT_HAS(run_fail("error()"), "nil value");
}
END_TEST

START_TEST(test_error_has_traceback) {
  open_sb(false, 0, 0, 1);
  ck_assert_int_ne(run("local function inner() error('x') end\ninner()", 0), LUA_OK);
  const char *e = uu_cstr(&err);
  ASSERT_PREFIX(e, "probe:1: x\n");
  ASSERT_HAS(e, "stack traceback:");
}
END_TEST

START_TEST(test_pcall_stack_balance) {
  open_sb(false, 0, 0, 1);
  lua_State *L = sb.L;
  lua_pushliteral(L, "sentinel");
  ck_assert_int_eq(luaL_loadstring(L, "local a, b = ... return a + b, 'two'"), LUA_OK);
  lua_pushinteger(L, 2);
  lua_pushinteger(L, 3);
  ck_assert_int_eq(sandbox_pcall(&sb, 2, 2, &err), LUA_OK);
  ck_assert_int_eq(lua_gettop(L), 3);
  ck_assert_int_eq(lua_tointeger(L, 2), 5);
  ck_assert_str_eq(lua_tostring(L, 3), "two");
  ck_assert_str_eq(lua_tostring(L, 1), "sentinel");
  lua_settop(L, 1);
  ck_assert_int_eq(luaL_loadstring(L, "error('no')"), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(&sb, 0, 1, &err), LUA_OK);
  ck_assert_int_eq(lua_gettop(L), 1);
  /* A NULL err is allowed. */
  ck_assert_int_eq(luaL_loadstring(L, "error('no')"), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(&sb, 0, 0, NULL), LUA_OK);
  ck_assert_int_eq(lua_gettop(L), 1);
}
END_TEST

/* ---- print ------------------------------------------------------------------------- */

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  static char data[4096];
  size_t n = fread(data, 1, sizeof data - 1, f);
  data[n] = 0;
  fclose(f);
  return strdup(data);
}

START_TEST(test_print_goes_to_stderr) {
  open_sb(false, 0, 0, 1);
  char *dir = uu_mkdtemp();
  char *out_path = uu_write_file(dir, "stdout", "", 0);
  char *err_path = uu_write_file(dir, "stderr", "", 0);
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(1), saved_err = dup(2);
  int fo = open(out_path, O_WRONLY | O_TRUNC), fe = open(err_path, O_WRONLY | O_TRUNC);
  ck_assert(saved_out >= 0 && saved_err >= 0 && fo >= 0 && fe >= 0);
  dup2(fo, 1);
  dup2(fe, 2);
  int st = run("print('hello', 42, nil, true)", 0);
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(fo);
  close(fe);
  close(saved_out);
  close(saved_err);
  ck_assert_int_eq(st, LUA_OK);
  char *o = slurp(out_path), *e = slurp(err_path);
  ck_assert_str_eq(o, "");
  ck_assert_str_eq(e, "probe: hello 42 nil true\n");
  free(o);
  free(e);
  free(out_path);
  free(err_path);
  uu_rmtree(dir);
}
END_TEST

static Suite *sandbox_suite(void) {
  Suite *s = suite_create("sandbox");
  TCase *tc = tcase_create("sandbox");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_safe_globals_absent);
  tcase_add_test(tc, test_unsafe_globals_present);
  tcase_add_test(tc, test_load_text_only);
  tcase_add_test(tc, test_unsafe_load_takes_bytecode);
  tcase_add_test(tc, test_loadfile_refuses_bytecode);
  tcase_add_test(tc, test_memory_cap);
  tcase_add_test(tc, test_memory_cap_table_growth);
  tcase_add_test(tc, test_moved_sandbox_counts_where_it_is);
  tcase_add_test(tc, test_default_memory_cap);
  tcase_add_test(tc, test_budget_stops_infinite_loop);
  tcase_add_test(tc, test_budget_holds_against_pcall);
  tcase_add_test(tc, test_budget_in_coroutines);
  tcase_add_test(tc, test_budget_big_enough_for_real_work);
  tcase_add_test(tc, test_random_seeded);
  tcase_add_test(tc, test_c_function_errors_get_position);
  tcase_add_test(tc, test_error_objects);
  tcase_add_test(tc, test_error_has_traceback);
  tcase_add_test(tc, test_pcall_stack_balance);
  tcase_add_test(tc, test_print_goes_to_stderr);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(sandbox_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
