/* test_vocabulary.c: the step constructors, response{}, scenario{}, the plan compiler
 * (plan_check, plan_build, vocabulary_to_plan) and scenario files (scenario_load,
 * scenario_call), the shipped catalog included. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "outcome.h"
#include "plan.h"
#include "request.h"
#include "sandbox.h"
#include "scenario.h"
#include "unit_util.h"
#include "vocabulary.h"

#define ASSERT_HAS(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))
#define ASSERT_PREFIX(s, p) \
  ck_assert_msg(strncmp((s), (p), strlen(p)) == 0, "\"%s\" does not start with \"%s\"", (s), (p))

/* ---- a state with the vocabulary ----------------------------------------------------- */

static struct sandbox sb;
static struct buf err;

static void lua_setup(void) {
  ck_assert_int_eq(sandbox_open(&sb, "vocab", false, 0, 0, 1), 0);
  vocabulary_open(sb.L);
  request_open(sb.L);
}

static void lua_teardown(void) {
  sandbox_close(&sb);
  buf_free(&err);
}

/* Runs src (chunk name "vocab"); results stay on the stack on success. */
static int run(const char *src, int nresults) {
  ck_assert_int_eq(luaL_loadbuffer(sb.L, src, strlen(src), "=vocab"), LUA_OK);
  return sandbox_pcall(&sb, 0, nresults, &err);
}

/* The first line of the error of src, which must fail (static buffer). */
static const char *run_fail(const char *src) {
  static char out[4096];
  int st = run(src, 0);
  ck_assert_msg(st != LUA_OK, "%s\nshould have failed", src);
  const char *e = uu_cstr(&err);
  snprintf(out, sizeof out, "%.*s", (int)strcspn(e, "\n"), e);
  return out;
}

static void run_ok(const char *src) {
  int st = run(src, 0);
  ck_assert_msg(st == LUA_OK, "%s\nfailed: %s", src, uu_cstr(&err));
}

/* The string src returns (static buffer; binary-safe length in *len when non-NULL). */
static const char *run_str(const char *src, size_t *len) {
  static char out[65536];
  int st = run(src, 1);
  ck_assert_msg(st == LUA_OK, "%s\nfailed: %s", src, uu_cstr(&err));
  size_t n;
  const char *s = luaL_tolstring(sb.L, -1, &n);
  ck_assert_uint_lt(n, sizeof out);
  memcpy(out, s, n);
  out[n] = 0;
  if (len) *len = n;
  lua_settop(sb.L, 0);
  return out;
}

/* Compiles the list of steps src returns. Returns the plan (one reference) or NULL with
 * err set. */
static struct plan *plan_of(const char *src) {
  int st = run(src, 1);
  ck_assert_msg(st == LUA_OK, "%s\nfailed: %s", src, uu_cstr(&err));
  struct plan *p = vocabulary_to_plan(sb.L, -1, 1, "vocab", 99, &err);
  lua_settop(sb.L, 0);
  return p;
}

static struct plan *plan_ok(const char *src) {
  struct plan *p = plan_of(src);
  ck_assert_msg(p != NULL, "%s\ndid not compile: %s", src, uu_cstr(&err));
  ck_assert_uint_eq(p->refs, 1);
  return p;
}

static const char *plan_err(const char *src) {
  struct plan *p = plan_of(src);
  ck_assert_msg(p == NULL, "%s\nshould not compile", src);
  return uu_cstr(&err);
}

static void assert_step_bytes(const struct step *s, const char *want, size_t n) {
  ck_assert_uint_eq(s->len, n);
  ck_assert_msg(memcmp(s->bytes, want, n) == 0, "step bytes \"%.*s\" != \"%.*s\"", (int)s->len, s->bytes, (int)n, want);
}
#define ASSERT_STEP_BYTES(s, lit) assert_step_bytes((s), (lit), sizeof(lit) - 1)

/* ---- constructors -------------------------------------------------------------------- */

START_TEST(test_send) {
  struct plan *p = plan_ok("return { send('hello') }");
  ck_assert_uint_eq(p->nsteps, 1);
  ck_assert_int_eq(p->steps[0].op, STEP_SEND);
  ck_assert_int_eq(p->steps[0].line, 1);
  ASSERT_STEP_BYTES(&p->steps[0], "hello");
  plan_unref(p);
  /* Numbers convert, like everywhere luaL_checklstring is used. */
  p = plan_ok("return { send(42), send(1.5) }");
  ASSERT_STEP_BYTES(&p->steps[0], "42");
  ASSERT_STEP_BYTES(&p->steps[1], "1.5");
  plan_unref(p);
  /* Binary-safe, and the empty string is a step that sends nothing. */
  p = plan_ok("return { send('a\\0b'), send('') }");
  ASSERT_STEP_BYTES(&p->steps[0], "a\0b");
  ck_assert_uint_eq(p->steps[1].len, 0);
  ck_assert_ptr_null(p->steps[1].bytes);
  plan_unref(p);
}
END_TEST

START_TEST(test_send_errors) {
  ck_assert_str_eq(run_fail("send({})"), "vocab:1: bad argument #1 to 'send' (string expected, got table)");
  ck_assert_str_eq(run_fail("\nsend()"), "vocab:2: bad argument #1 to 'send' (string expected, got no value)");
  ck_assert_str_eq(run_fail("send(nil)"), "vocab:1: bad argument #1 to 'send' (string expected, got nil)");
  ck_assert_str_eq(run_fail("send('a', 'b')"), "vocab:1: send() takes one string");
  ASSERT_PREFIX(run_fail("local x = 1\nlocal y = 2\nsend(true)"), "vocab:3: bad argument #1 to 'send'");
}
END_TEST

START_TEST(test_dribble) {
  struct plan *p = plan_ok("return { dribble('abcdef', 2, 0.5) }");
  ck_assert_int_eq(p->steps[0].op, STEP_DRIBBLE);
  ck_assert_uint_eq(p->steps[0].n, 2);
  ck_assert_double_eq(p->steps[0].seconds, 0.5);
  ASSERT_STEP_BYTES(&p->steps[0], "abcdef");
  plan_unref(p);
  p = plan_ok("return { dribble('x', 1048576, 0) }");
  ck_assert_uint_eq(p->steps[0].n, 1048576);
  ck_assert_double_eq(p->steps[0].seconds, 0);
  plan_unref(p);
}
END_TEST

START_TEST(test_dribble_errors) {
  ck_assert_str_eq(run_fail("dribble('abc', 0, 0.1)"),
                   "vocab:1: dribble(): the piece size must be between 1 and 1048576 bytes");
  ASSERT_PREFIX(run_fail("dribble('abc', -1, 0.1)"), "vocab:1: dribble(): the piece size");
  ASSERT_PREFIX(run_fail("dribble('abc', 1048577, 0.1)"), "vocab:1: dribble(): the piece size");
  ASSERT_PREFIX(run_fail("\ndribble('abc', 1.5, 0.1)"), "vocab:2: bad argument #2 to 'dribble'");
  ASSERT_PREFIX(run_fail("dribble('abc', 1, -1)"), "vocab:1: dribble()'s interval must be between 0 and 86400 seconds");
  ASSERT_PREFIX(run_fail("dribble('abc', 1, 1/0)"), "vocab:1: dribble()'s interval must be between");
  ASSERT_PREFIX(run_fail("dribble('abc', 1, 0/0)"), "vocab:1: dribble()'s interval must be between");
  ASSERT_PREFIX(run_fail("dribble('abc', 1)"), "vocab:1: bad argument #3 to 'dribble' (number expected, got no value)");
  ASSERT_PREFIX(run_fail("dribble({}, 1, 1)"), "vocab:1: bad argument #1 to 'dribble' (string expected, got table)");
}
END_TEST

START_TEST(test_stall) {
  struct plan *p = plan_ok("return { stall(), stall(nil), stall(0), stall(0.3), stall('2'), stall(86400) }");
  ck_assert_uint_eq(p->nsteps, 6);
  for (int i = 0; i < 6; i++) ck_assert_int_eq(p->steps[i].op, STEP_STALL);
  ck_assert_double_eq(p->steps[0].seconds, STEP_FOREVER);
  ck_assert_double_eq(p->steps[1].seconds, STEP_FOREVER);
  ck_assert_double_eq(p->steps[2].seconds, 0);
  ck_assert_double_eq(p->steps[3].seconds, 0.3);
  ck_assert_double_eq(p->steps[4].seconds, 2);
  ck_assert_double_eq(p->steps[5].seconds, 86400);
  plan_unref(p);
}
END_TEST

START_TEST(test_stall_errors) {
  ck_assert_str_eq(run_fail("stall(-1)"), "vocab:1: stall()'s duration must be between 0 and 86400 seconds, got -1.0");
  ASSERT_PREFIX(run_fail("stall(86400.5)"), "vocab:1: stall()'s duration must be between");
  ASSERT_PREFIX(run_fail("stall(0/0)"), "vocab:1: stall()'s duration must be between");
  ASSERT_PREFIX(run_fail("\n\nstall('soon')"), "vocab:3: bad argument #1 to 'stall' (number expected, got string)");
  ASSERT_PREFIX(run_fail("stall({})"), "vocab:1: bad argument #1 to 'stall'");
}
END_TEST

START_TEST(test_keepalive) {
  struct plan *p = plan_ok("return { keepalive() }");
  ck_assert_int_eq(p->steps[0].op, STEP_KEEPALIVE);
  ck_assert_double_eq(p->steps[0].seconds, STEP_FOREVER);
  plan_unref(p);
  p = plan_ok("return { keepalive{} }");
  ck_assert_double_eq(p->steps[0].seconds, STEP_FOREVER);
  plan_unref(p);
  p = plan_ok("return { keepalive{ idle = 0.2 } }");
  ck_assert_double_eq(p->steps[0].seconds, 0.2);
  plan_unref(p);
}
END_TEST

START_TEST(test_keepalive_errors) {
  ck_assert_str_eq(run_fail("keepalive{bogus=1}"), "vocab:1: keepalive{}: unknown field 'bogus' (known: idle)");
  ASSERT_PREFIX(run_fail("keepalive{idle = 1, bogus = 2}"), "vocab:1: keepalive{}: unknown field 'bogus'");
  ASSERT_PREFIX(run_fail("keepalive{5}"), "vocab:1: keepalive{}: unknown field '1'");
  ASSERT_PREFIX(run_fail("keepalive{idle = -1}"), "vocab:1: keepalive{idle} must be between 0 and 86400 seconds");
  ASSERT_PREFIX(run_fail("keepalive{idle = 'x'}"), "vocab:1: ");
  ASSERT_PREFIX(run_fail("\nkeepalive(5)"), "vocab:2: bad argument #1 to 'keepalive' (table expected, got number)");
}
END_TEST

/* Every step that takes no argument: its op, its name in tostring, and the argument check. */
START_TEST(test_argumentless_steps) {
  static const enum step_op ops[] = {STEP_REFUSE, STEP_BLACKHOLE, STEP_RXREQ, STEP_RXHDRS,
                                     STEP_STOPREAD, STEP_RESET, STEP_HALFCLOSE};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const char *name = step_names[ops[i]];
    char src[256], want[256];
    snprintf(src, sizeof src, "\nreturn tostring(%s())", name);
    snprintf(want, sizeof want, "%s() step (line 2)", name);
    ck_assert_str_eq(run_str(src, NULL), want);
    snprintf(src, sizeof src, "%s(1)", name);
    snprintf(want, sizeof want, "vocab:1: %s() takes no arguments", name);
    ck_assert_str_eq(run_fail(src), want);
  }
}
END_TEST

/* close() takes nothing or { close_notify = false } (TLS: a FIN without the alert first). */
START_TEST(test_close_options) {
  ck_assert_str_eq(run_str("\nreturn tostring(close())", NULL), "close() step (line 2)");
  ck_assert_str_eq(run_str("\nreturn tostring(close { close_notify = false })", NULL), "close() step (line 2)");
  ck_assert_str_eq(run_fail("close(1)"), "vocab:1: close() takes no argument or a table { close_notify = false }");
  ck_assert_str_eq(run_fail("close { notify = false }"), "vocab:1: close{}: unknown field 'notify'");
  ck_assert_str_eq(run_fail("close { close_notify = 0 }"), "vocab:1: close{}: close_notify must be a boolean");
}
END_TEST

/* tls_alert(name [, level]): RFC 8446 6's names, fatal or warning. */
START_TEST(test_tls_alert) {
  ck_assert_str_eq(run_str("\nreturn tostring(tls_alert('handshake_failure'))", NULL), "tls_alert() step (line 2)");
  ck_assert_str_eq(run_str("return tostring(tls_alert('unrecognized_name', 'warning'))", NULL),
                   "tls_alert() step (line 1)");
  ASSERT_PREFIX(run_fail("tls_alert('no_such')"), "vocab:1: tls_alert(): unknown alert 'no_such'");
  ck_assert_str_eq(run_fail("tls_alert('internal_error', 'loud')"),
                   "vocab:1: tls_alert(): the level must be \"fatal\" or \"warning\", got 'loud'");
}
END_TEST

/* accept_close/accept_reset wait for the peer's whole request, 1 s at most by default. */
START_TEST(test_accept_steps_wait) {
  for (int k = 0; k < 2; k++) {
    const char *name = k ? "accept_reset" : "accept_close";
    char src[256], want[256];
    snprintf(src, sizeof src, "\nreturn tostring(%s())", name);
    snprintf(want, sizeof want, "%s() step (line 2)", name);
    ck_assert_str_eq(run_str(src, NULL), want);
    snprintf(src, sizeof src, "%s(1, 2)", name);
    snprintf(want, sizeof want, "vocab:1: %s() takes at most one argument", name);
    ASSERT_PREFIX(run_fail(src), want);
    snprintf(src, sizeof src, "%s(-1)", name);
    snprintf(want, sizeof want, "vocab:1: %s must be between 0 and 86400 seconds", name);
    ASSERT_PREFIX(run_fail(src), want);
  }
}
END_TEST

/* barrier(name [, bound]): a name that fits in a URL path, a bound that ends. */
START_TEST(test_barrier_arguments) {
  ck_assert_str_eq(run_str("\nreturn tostring(barrier('response_head', 0.5))", NULL), "barrier() step (line 2)");
  ck_assert_str_eq(run_str("return tostring(barrier('a.b-c_9'))", NULL), "barrier() step (line 1)");
  ASSERT_PREFIX(run_fail("barrier()"), "vocab:1: bad argument #1 to 'barrier' (string expected, got no value)");
  ASSERT_PREFIX(run_fail("barrier('')"), "vocab:1: barrier(): the name must be 1 to 31 characters");
  ASSERT_PREFIX(run_fail("barrier('a/b')"), "vocab:1: barrier(): the name must be 1 to 31 characters");
  ASSERT_PREFIX(run_fail("barrier(string.rep('x', 32))"), "vocab:1: barrier(): the name must be 1 to 31 characters");
  ASSERT_PREFIX(run_fail("barrier('x', 0)"), "vocab:1: barrier(): the bound must be more than 0 seconds");
  ASSERT_PREFIX(run_fail("barrier('x', -1)"), "vocab:1: barrier()'s bound must be between 0 and 86400 seconds");
  ASSERT_PREFIX(run_fail("barrier('x', 1, 2)"), "vocab:1: barrier() takes a name and a bound in seconds");
}
END_TEST

START_TEST(test_step_names_and_kinds) {
  /* The table every generated thing comes from. */
  ck_assert_str_eq(step_names[STEP_REFUSE], "refuse");
  ck_assert_str_eq(step_names[STEP_KEEPALIVE], "keepalive");
  ck_assert_int_eq(step_kinds[STEP_BLACKHOLE], STEP_KIND_LISTENER);
  ck_assert_int_eq(step_kinds[STEP_RXHDRS], STEP_KIND_START);
  ck_assert_int_eq(step_kinds[STEP_DRIBBLE], STEP_KIND_ACTION);
  ck_assert_int_eq(step_kinds[STEP_HALFCLOSE], STEP_KIND_END);
  /* Every name is a global constructor that makes its own step. */
  for (int i = 0; i < STEP__COUNT; i++) {
    char src[128];
    snprintf(src, sizeof src, "return type(%s)", step_names[i]);
    ck_assert_str_eq(run_str(src, NULL), "function");
  }
}
END_TEST

START_TEST(test_step_is_opaque) {
  ck_assert_str_eq(run_str("return type(close())", NULL), "userdata");
  ck_assert_str_eq(run_str("return getmetatable(close())", NULL), "step");
  ASSERT_HAS(run_fail("setmetatable(close(), {})"), "bad argument #1 to 'setmetatable'");
}
END_TEST

START_TEST(test_step_lines) {
  struct plan *p = plan_ok("local a = send('x')\n"
                           "\n"
                           "local b = stall(1)\n"
                           "return {\n"
                           "  a,\n"
                           "  b, txresp{},\n"
                           "  close() }");
  ck_assert_uint_eq(p->nsteps, 4);
  ck_assert_int_eq(p->steps[0].line, 1);
  ck_assert_int_eq(p->steps[1].line, 3);
  ck_assert_int_eq(p->steps[2].line, 6);
  ck_assert_int_eq(p->steps[3].line, 7);
  plan_unref(p);
}
END_TEST

/* ---- response{} and txresp{} --------------------------------------------------------- */

static void assert_response(const char *src, const char *want, size_t want_len) {
  size_t n;
  const char *got = run_str(src, &n);
  ck_assert_msg(n == want_len && memcmp(got, want, n) == 0, "%s\n got  \"%s\"\n want \"%s\"", src, got, want);
}
#define ASSERT_RESPONSE(src, lit) assert_response((src), (lit), sizeof(lit) - 1)

START_TEST(test_response_defaults) {
  ASSERT_RESPONSE("return response{}", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_RESPONSE("return response{ body = 'hi' }", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_RESPONSE("return response{ status = 204 }", "HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_RESPONSE("return response{ status = 999 }", "HTTP/1.1 999 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_RESPONSE("return response{ status = 502, reason = 'Nope', version = 'HTTP/1.0' }",
                  "HTTP/1.0 502 Nope\r\nContent-Length: 0\r\n\r\n");
  ASSERT_RESPONSE("return response{ status_line = 'HTTP/1.1 OK', body = 'x' }", "HTTP/1.1 OK\r\nContent-Length: 1\r\n\r\nx");
}
END_TEST

START_TEST(test_response_length) {
  ASSERT_RESPONSE("return response{ body = 'hi', length = 10 }", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi");
  ASSERT_RESPONSE("return response{ body = 'hi', length = false }", "HTTP/1.1 200 OK\r\n\r\nhi");
  ASSERT_RESPONSE("return response{ status = 304, length = 7 }", "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n");
  ASSERT_PREFIX(run_fail("response{ length = true }"), "vocab:1: response{}: length must be a number or false");
  ASSERT_PREFIX(run_fail("response{ length = -1 }"), "vocab:1: response{}: length must be a non-negative integer or false");
  ASSERT_PREFIX(run_fail("response{ length = 1.5 }"), "vocab:1: response{}: length must be");
}
END_TEST

START_TEST(test_response_headers) {
  /* Lines verbatim, pairs joined with ": ", then the map sorted by name. */
  ASSERT_RESPONSE("return response{ headers = { 'X-Raw:no space', {'X-Pair', 'v'}, {'X-Num', 5},"
                  " Zeta = 'z', Alpha = 'a', ['Mid-Name'] = 'm' } }",
                  "HTTP/1.1 200 OK\r\nX-Raw:no space\r\nX-Pair: v\r\nX-Num: 5\r\nAlpha: a\r\nMid-Name: m\r\n"
                  "Zeta: z\r\nContent-Length: 0\r\n\r\n");
  ASSERT_RESPONSE("return response{ headers = { 'Dup: 1', 'Dup: 2', 'Broken header' } }",
                  "HTTP/1.1 200 OK\r\nDup: 1\r\nDup: 2\r\nBroken header\r\nContent-Length: 0\r\n\r\n");
  ASSERT_RESPONSE("return response{ headers = { ['Content-Length'] = '1' }, body = 'ab' }",
                  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab");
  ASSERT_RESPONSE("return response{ headers = {}, body = 'ab' }", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab");
  ASSERT_PREFIX(run_fail("response{ headers = 'X: 1' }"), "vocab:1: response{}: headers must be a table");
  ASSERT_PREFIX(run_fail("response{ headers = { 42 } }"), "vocab:1: response{}: header 1 must be");
  ASSERT_PREFIX(run_fail("response{ headers = { 'A: 1', {'B'} } }"), "vocab:1: response{}: header 2 must be {name, value} strings");
  ASSERT_PREFIX(run_fail("response{ headers = { X = {} } }"), "vocab:1: response{}: headers map entries");
}
END_TEST

START_TEST(test_response_chunks) {
  ASSERT_RESPONSE("return response{ chunks = { 'abc', '', 'de' } }",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_RESPONSE("return response{ chunks = { 'abc' }, last_chunk = false }",
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  ASSERT_RESPONSE("return response{ chunks = {} }", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_PREFIX(run_fail("response{ chunks = 'abc' }"), "vocab:1: response{}: chunks must be a list of strings");
  ASSERT_PREFIX(run_fail("response{ chunks = { 'a', 2 } }"), "vocab:1: response{}: chunk 2 must be a string");
}
END_TEST

START_TEST(test_response_errors) {
  ASSERT_PREFIX(run_fail("response{ nope = 1 }"), "vocab:1: response{}: unknown field 'nope'");
  ASSERT_PREFIX(run_fail("response{ 'positional' }"), "vocab:1: response{}: unknown field '1'");
  ASSERT_PREFIX(run_fail("response('x')"), "vocab:1: bad argument #1 to 'response' (table expected, got string)");
  ASSERT_PREFIX(run_fail("response{ status = '200' }"), "vocab:1: response{}: status must be an integer");
  ASSERT_PREFIX(run_fail("response{ status = 200.5 }"), "vocab:1: response{}: status must be an integer");
  ASSERT_PREFIX(run_fail("response{ status = -1 }"), "vocab:1: response{}: status must be between 0 and 99999");
  ASSERT_PREFIX(run_fail("response{ body = 5 }"), "vocab:1: response{}: field 'body' must be a string, got number");
  ASSERT_PREFIX(run_fail("response{ reason = false }"), "vocab:1: response{}: field 'reason' must be a string");
}
END_TEST

START_TEST(test_response_is_a_string) {
  ck_assert_str_eq(run_str("return response{ body = 'hello' }:sub(1, 12)", NULL), "HTTP/1.1 200");
  ck_assert_str_eq(run_str("return type(response{})", NULL), "string");
}
END_TEST

START_TEST(test_txresp) {
  struct plan *p = plan_ok("return { txresp{ status = 503, body = 'x' } }");
  ck_assert_int_eq(p->steps[0].op, STEP_TXRESP);
  ASSERT_STEP_BYTES(&p->steps[0], "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1\r\n\r\nx");
  plan_unref(p);
  /* txresp{} and send(response{}) send the same bytes. */
  p = plan_ok("local r = { status = 200, headers = { B = '2', A = '1' }, chunks = { 'x' } }\n"
              "return { txresp(r), send(response(r)) }");
  ck_assert_uint_eq(p->steps[0].len, p->steps[1].len);
  ck_assert_int_eq(memcmp(p->steps[0].bytes, p->steps[1].bytes, p->steps[0].len), 0);
  plan_unref(p);
}
END_TEST

START_TEST(test_txresp_errors) {
  ck_assert_str_eq(run_fail("txresp{nope=1}"), "vocab:1: txresp{}: unknown field 'nope'");
  ASSERT_PREFIX(run_fail("\ntxresp('HTTP/1.1 200 OK')"), "vocab:2: bad argument #1 to 'txresp' (table expected, got string)");
  ASSERT_PREFIX(run_fail("txresp()"), "vocab:1: bad argument #1 to 'txresp'");
  ASSERT_PREFIX(run_fail("txresp{ status = 'x' }"), "vocab:1: txresp{}: status must be an integer");
}
END_TEST

/* ---- plan_check and plan_build --------------------------------------------------------- */

static struct step mk(enum step_op op, int line) {
  return (struct step){.op = op, .line = line, .seconds = STEP_FOREVER};
}

START_TEST(test_plan_check_rules) {
  struct step rx = mk(STEP_RXREQ, 1), hd = mk(STEP_RXHDRS, 2), send = mk(STEP_SEND, 3), cl = mk(STEP_CLOSE, 4),
              ref = mk(STEP_REFUSE, 5), ka = mk(STEP_KEEPALIVE, 6), st = mk(STEP_STALL, 7);
  size_t bad = 99;
  const struct step *ok1[] = {&rx, &send, &st, &cl};
  ck_assert_ptr_null(plan_check(ok1, 4, &bad));
  const struct step *ok2[] = {&send};
  ck_assert_ptr_null(plan_check(ok2, 1, &bad));
  const struct step *ok3[] = {&ref};
  ck_assert_ptr_null(plan_check(ok3, 1, &bad));
  const struct step *ok4[] = {&hd, &ka};
  ck_assert_ptr_null(plan_check(ok4, 2, &bad));
  const struct step *ok5[] = {&cl};
  ck_assert_ptr_null(plan_check(ok5, 1, &bad));

  ck_assert_str_eq(plan_check(ok1, 0, &bad), "a plan needs at least one step");

  const struct step *l1[] = {&ref, &cl};
  ASSERT_HAS(plan_check(l1, 2, &bad), "must be the only step of its plan");
  ck_assert_uint_eq(bad, 0);
  const struct step *l2[] = {&rx, &ref};
  ASSERT_HAS(plan_check(l2, 2, &bad), "must be the only step of its plan");
  ck_assert_uint_eq(bad, 1);

  const struct step *r1[] = {&send, &rx, &cl};
  ck_assert_str_eq(plan_check(r1, 3, &bad), "rxreq() and rxhdrs() can only be the first step of a plan");
  ck_assert_uint_eq(bad, 1);
  const struct step *r2[] = {&rx, &hd};
  ASSERT_HAS(plan_check(r2, 2, &bad), "can only be the first step");
  ck_assert_uint_eq(bad, 1);

  const struct step *e1[] = {&rx, &cl, &send};
  ck_assert_str_eq(plan_check(e1, 3, &bad), "nothing can follow an ending step (close, reset, halfclose, keepalive)");
  ck_assert_uint_eq(bad, 1);
  const struct step *e2[] = {&ka, &cl};
  ASSERT_HAS(plan_check(e2, 2, &bad), "nothing can follow an ending step");
  ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(test_plan_check_max_steps) {
  struct step s = mk(STEP_SEND, 1);
  const struct step **many = malloc(1001 * sizeof *many);
  ck_assert_ptr_nonnull(many);
  for (int i = 0; i < 1001; i++) many[i] = &s;
  size_t bad;
  ck_assert_ptr_null(plan_check(many, 1000, &bad));
  ck_assert_str_eq(plan_check(many, 1001, &bad), "a plan has at most 1000 steps");
  free(many);
}
END_TEST

START_TEST(test_plan_build_copies_and_folds) {
  char a[] = "first", b[] = "second!";
  struct step hd = mk(STEP_RXHDRS, 1), s1 = mk(STEP_SEND, 2), st = mk(STEP_STALL, 3), s2 = mk(STEP_DRIBBLE, 4),
              cl = mk(STEP_CLOSE, 5);
  s1.len = 5;
  s1.bytes = a;
  st.seconds = 0.25;
  s2.len = 7;
  s2.bytes = b;
  s2.n = 3;
  s2.seconds = 0.1;
  const struct step *steps[] = {&hd, &s1, &st, &s2, &cl};
  struct plan *p = plan_build(steps, 5, 3);
  ck_assert_ptr_nonnull(p);
  /* Copies: the sources can change or go away. */
  memset(a, 'X', 5);
  memset(b, 'Y', 7);
  ck_assert_uint_eq(p->refs, 3);
  ck_assert_uint_eq(p->nsteps, 4);
  ck_assert_int_eq(p->start, STEP_RXHDRS);
  ck_assert_int_eq(p->listener, STEP__COUNT);
  ck_assert_int_eq(p->steps[0].op, STEP_SEND);
  ck_assert_int_eq(p->steps[0].line, 2);
  assert_step_bytes(&p->steps[0], "first", 5);
  ck_assert_int_eq(p->steps[1].op, STEP_STALL);
  ck_assert_double_eq(p->steps[1].seconds, 0.25);
  ck_assert_ptr_null(p->steps[1].bytes);
  ck_assert_int_eq(p->steps[2].op, STEP_DRIBBLE);
  ck_assert_uint_eq(p->steps[2].n, 3);
  assert_step_bytes(&p->steps[2], "second!", 7);
  ck_assert_int_eq(p->steps[3].op, STEP_CLOSE);
  /* The bytes live in the plan's own block, after the steps. */
  const char *pool = (const char *)&p->steps[p->nsteps];
  ck_assert_ptr_eq(p->steps[0].bytes, pool);
  ck_assert_ptr_eq(p->steps[2].bytes, pool + 5);
  /* References: two unrefs leave it alive (ASan would see a use after free), the third
   * frees it (ASan's leak check would see it otherwise). */
  plan_ref(p);
  ck_assert_uint_eq(p->refs, 4);
  plan_unref(p);
  plan_unref(p);
  plan_unref(p);
  ck_assert_uint_eq(p->refs, 1);
  plan_unref(p);
}
END_TEST

START_TEST(test_plan_build_defaults) {
  struct step cl = mk(STEP_CLOSE, 1), rx = mk(STEP_RXREQ, 1), ref = mk(STEP_ACCEPT_RESET, 9);
  const struct step *s1[] = {&cl};
  struct plan *p = plan_build(s1, 1, 0);
  ck_assert_int_eq(p->start, STEP_RXREQ); /* rxreq() is implicit */
  ck_assert_uint_eq(p->refs, 0);
  plan_ref(p);
  plan_unref(p); /* no-ops on a static plan */
  ck_assert_uint_eq(p->refs, 0);
  plan_free(p);
  const struct step *s2[] = {&rx};
  p = plan_build(s2, 1, 1);
  ck_assert_uint_eq(p->nsteps, 0);
  ck_assert_int_eq(p->start, STEP_RXREQ);
  plan_unref(p);
  const struct step *s3[] = {&ref};
  p = plan_build(s3, 1, 0);
  ck_assert_uint_eq(p->nsteps, 1);
  ck_assert_int_eq(p->listener, STEP_ACCEPT_RESET);
  plan_free(p);
  plan_unref(NULL);
  plan_ref(NULL);
}
END_TEST

/* ---- vocabulary_to_plan -------------------------------------------------------------- */

START_TEST(test_to_plan_folds_start) {
  struct plan *p = plan_ok("return { rxhdrs(), txresp{}, close() }");
  ck_assert_int_eq(p->start, STEP_RXHDRS);
  ck_assert_uint_eq(p->nsteps, 2);
  ck_assert_int_eq(p->steps[0].op, STEP_TXRESP);
  plan_unref(p);
  p = plan_ok("return { rxreq(), close() }");
  ck_assert_int_eq(p->start, STEP_RXREQ);
  ck_assert_uint_eq(p->nsteps, 1);
  plan_unref(p);
  p = plan_ok("return { blackhole() }");
  ck_assert_int_eq(p->listener, STEP_BLACKHOLE);
  plan_unref(p);
}
END_TEST

START_TEST(test_to_plan_error_lines) {
  ck_assert_str_eq(plan_err("return {\n"
                            "  send('a'),\n"
                            "  close(),\n"
                            "  send('b'),\n"
                            "}"),
                   "vocab:3: nothing can follow an ending step (close, reset, halfclose, keepalive)");
  ck_assert_str_eq(plan_err("return {\n"
                            "  send('a'),\n"
                            "\n"
                            "  rxreq(),\n"
                            "}"),
                   "vocab:4: rxreq() and rxhdrs() can only be the first step of a plan");
  ASSERT_PREFIX(plan_err("return {\n  rxreq(),\n  refuse(),\n}"), "vocab:3: a listener step");
  ASSERT_PREFIX(plan_err("return {\n\n  refuse(), close() }"), "vocab:3: a listener step");
  /* No step to blame: the fallback line (99 here). */
  ck_assert_str_eq(plan_err("return {}"), "vocab:99: a plan needs at least one step");
  ASSERT_PREFIX(plan_err("return { close(), 42 }"), "vocab:99: plan item 2 is not a step (got number)");
  ASSERT_PREFIX(plan_err("return { close }"), "vocab:99: plan item 1 is not a step (got function)");
  ASSERT_PREFIX(plan_err("return 'close()'"), "vocab:99: a plan must be a list of steps, got string");
}
END_TEST

START_TEST(test_to_plan_many_steps) {
  /* More than the 32 steps kept on the C stack: the heap path. */
  struct plan *p = plan_ok("local t = {} for i = 1, 999 do t[i] = send(tostring(i % 10)) end\n"
                           "t[1000] = close() return t");
  ck_assert_uint_eq(p->nsteps, 1000);
  ASSERT_STEP_BYTES(&p->steps[0], "1");
  ASSERT_STEP_BYTES(&p->steps[998], "9");
  ck_assert_int_eq(p->steps[999].op, STEP_CLOSE);
  plan_unref(p);
  ck_assert_str_eq(plan_err("local t = {} for i = 1, 1500 do t[i] = send('x') end return t"),
                   "vocab:1: a plan has at most 1000 steps");
}
END_TEST

START_TEST(test_to_plan_keeps_stack) {
  ck_assert_int_eq(run("return { send('x') }, 'below'", 2), LUA_OK);
  lua_insert(sb.L, -2); /* "below" under the list */
  int top = lua_gettop(sb.L);
  struct plan *p = vocabulary_to_plan(sb.L, -1, 1, "vocab", 1, &err);
  ck_assert_ptr_nonnull(p);
  ck_assert_int_eq(lua_gettop(sb.L), top);
  plan_unref(p);
  ck_assert_ptr_null(vocabulary_to_plan(sb.L, -2, 1, "vocab", 1, &err));
  ck_assert_int_eq(lua_gettop(sb.L), top);
  lua_settop(sb.L, 0);
}
END_TEST

/* ---- scenario{} in a plain state ------------------------------------------------------ */

START_TEST(test_scenario_function_checks) {
  ASSERT_PREFIX(run_fail("scenario{ summary = '', expect = 502, plan = { close() } }"),
                "vocab:1: scenario{}: summary must be a non-empty string");
  ASSERT_PREFIX(run_fail("scenario{ expect = 502, plan = { close() } }"), "vocab:1: scenario{}: summary must be");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', plan = { close() } }"), "vocab:1: scenario{}: expect is required");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 'banana', plan = { close() } }"),
                "vocab:1: scenario{}: expect 'banana' is not a status");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 99, plan = { close() } }"),
                "vocab:1: scenario{}: expect '99' is not a status");
  /* The message lists every word a scenario may expect, from outcome.h's one list. */
  ASSERT_HAS(run_fail("scenario{ summary = 's', expect = 'refused', plan = { close() } }"),
             "is not a status (100-999), \"NNN+truncated\", \"NNN+reset\", \"NNN+invalid\", \"NNN+timeout\", "
             "\"NNN+aborted\", \"closed\", \"reset\", \"invalid\", \"timeout\" or \"aborted\"");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 502, rfc = 9110, plan = { close() } }"),
                "vocab:1: scenario{}: rfc must be a string");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 502, continue100 = 'no', plan = { close() } }"),
                "vocab:1: scenario{}: continue100 must be a boolean");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 502 }"), "vocab:1: scenario{}: plan must be");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 502, plan = close() }"), "vocab:1: scenario{}: plan must be");
  ASSERT_PREFIX(run_fail("scenario{ summary = 's', expect = 502, plan = { close() }, extra = 1 }"),
                "vocab:1: scenario{}: unknown field 'extra'");
  ASSERT_PREFIX(run_fail("scenario('x')"), "vocab:1: bad argument #1 to 'scenario' (table expected, got string)");
  ASSERT_PREFIX(run_fail("scenario({ summary = 's', expect = 502, plan = { close() } }, 2)"),
                "vocab:1: scenario takes one table");
  /* A static plan is checked at the offending step's line. */
  ck_assert_str_eq(run_fail("return scenario {\n"
                            "  summary = 'x',\n"
                            "  expect = 502,\n"
                            "  plan = {\n"
                            "    close(),\n"
                            "    send('late'),\n"
                            "  },\n"
                            "}"),
                   "vocab:5: nothing can follow an ending step (close, reset, halfclose, keepalive)");
  /* Valid: the table comes back, expect normalised to a string. */
  ck_assert_str_eq(run_str("local s = scenario{ summary = 's', expect = 502, plan = { close() } }\n"
                           "return type(s.expect) .. ':' .. s.expect",
                           NULL),
                   "string:502");
  run_ok("scenario{ summary = 's', expect = '200+truncated', plan = function() end }");
}
END_TEST

/* ---- scenario files -------------------------------------------------------------------- */

static char *dir;
static struct scenario scn;
static bool scn_loaded;

static void file_setup(void) {
  dir = uu_mkdtemp();
  memset(&scn, 0, sizeof scn);
  scn_loaded = false;
}

static void file_teardown(void) {
  if (scn_loaded) scenario_unload(&scn);
  uu_rmtree(dir);
  dir = NULL;
  buf_free(&err);
}

static const struct scenario_opts default_opts = {.seed = 1};

/* Writes text to a temp .lua file and loads it. Returns the path (freed by the caller)
 * and the result in *rc. */
static char *load_text(const char *text, const struct scenario_opts *o, int *rc) {
  char *path = uu_write_temp(dir, "scn", text);
  *rc = scenario_load(&scn, path, o ? o : &default_opts, &err);
  scn_loaded = *rc == 0;
  return path;
}

static void load_ok(const char *text) {
  int rc;
  char *path = load_text(text, NULL, &rc);
  ck_assert_msg(rc == 0, "did not load: %s", uu_cstr(&err));
  ck_assert_str_eq(scn.file, path);
  free(path);
}

/* Loads text, which must fail with "<path>:<line>: <message starting with msg>". */
static void load_fails_at(const char *text, int line, const char *msg) {
  int rc;
  char *path = load_text(text, NULL, &rc);
  ck_assert_msg(rc == -1, "should not have loaded:\n%s", text);
  char want[4096];
  snprintf(want, sizeof want, "%s:%d: %s", path, line, msg);
  const char *e = uu_cstr(&err);
  ck_assert_msg(strncmp(e, want, strlen(want)) == 0, "error\n  \"%s\"\ndoes not start with\n  \"%s\"", e, want);
  ck_assert_msg(strchr(e, '\n') == NULL, "a load error is one line: \"%s\"", e);
  /* Nothing is left allocated (ASan's leak check), and the struct is cleared. */
  ck_assert_ptr_null(scn.name);
  ck_assert_ptr_null(scn.sb.L);
  ck_assert_ptr_null(scn.plan);
  free(path);
}

static const char *name_from_path(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

START_TEST(test_load_static) {
  int rc;
  char *path = load_text("-- a comment\n"
                         "return scenario {\n"
                         "  summary = 'upstream closes after the request without a byte',\n"
                         "  expect  = 502,\n"
                         "  plan    = { rxreq(), close() },\n"
                         "}\n",
                         NULL, &rc);
  ck_assert_msg(rc == 0, "%s", uu_cstr(&err));
  ck_assert_int_eq(scn.kind, SCENARIO_STATIC);
  ck_assert_str_eq(scenario_kind_names[scn.kind], "static");
  ck_assert_str_eq(scn.summary, "upstream closes after the request without a byte");
  ck_assert_str_eq(scn.expect, "502");
  ck_assert_ptr_null(scn.rfc);
  ck_assert(scn.continue100);
  ck_assert_str_eq(scn.file, path);
  /* The name is the file name without ".lua". */
  char want[256];
  snprintf(want, sizeof want, "%.*s", (int)strlen(name_from_path(path)) - 4, name_from_path(path));
  ck_assert_str_eq(scn.name, want);
  ck_assert_int_eq(scn.fn_ref, LUA_NOREF);
  ck_assert_ptr_nonnull(scn.plan);
  ck_assert_uint_eq(scn.plan->refs, 0);
  ck_assert_uint_eq(scn.plan->nsteps, 1);
  ck_assert_int_eq(scn.plan->start, STEP_RXREQ);
  ck_assert_int_eq(scn.plan->listener, STEP__COUNT);
  ck_assert_int_eq(scn.plan->steps[0].op, STEP_CLOSE);
  ck_assert_int_eq(scn.plan->steps[0].line, 5);
  ck_assert_int_eq(lua_gettop(scn.sb.L), 0);
  free(path);
}
END_TEST

START_TEST(test_load_fields) {
  load_ok("return scenario {\n"
          "  summary = 'with everything',\n"
          "  expect = '200+truncated',\n"
          "  rfc = 'RFC 9110 15.6.3',\n"
          "  continue100 = false,\n"
          "  plan = { rxhdrs(), txresp { status = 200, body = 'abc', length = 10 }, reset() },\n"
          "}");
  ck_assert_str_eq(scn.expect, "200+truncated");
  ck_assert_str_eq(scn.rfc, "RFC 9110 15.6.3");
  ck_assert(!scn.continue100);
  ck_assert_int_eq(scn.plan->start, STEP_RXHDRS);
  ck_assert_uint_eq(scn.plan->nsteps, 2);
  ASSERT_STEP_BYTES(&scn.plan->steps[0], "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  ck_assert_int_eq(scn.plan->steps[1].op, STEP_RESET);
  scenario_unload(&scn);
  scn_loaded = false;
  load_ok("return scenario { summary = 's', expect = 'timeout', continue100 = true, plan = { stall() } }");
  ck_assert_str_eq(scn.expect, "timeout");
  ck_assert(scn.continue100);
}
END_TEST

START_TEST(test_load_listener) {
  load_ok("return scenario { summary = 'nothing listens', expect = 502, plan = { refuse() } }");
  ck_assert_int_eq(scn.kind, SCENARIO_LISTENER);
  ck_assert_str_eq(scenario_kind_names[scn.kind], "listener");
  ck_assert_int_eq(scn.plan->listener, STEP_REFUSE);
  scenario_unload(&scn);
  scn_loaded = false;
  load_ok("return scenario { summary = 'accept then reset', expect = 'reset', plan = { accept_reset() } }");
  ck_assert_int_eq(scn.kind, SCENARIO_LISTENER);
  ck_assert_int_eq(scn.plan->listener, STEP_ACCEPT_RESET);
}
END_TEST

START_TEST(test_load_ctx) {
  static const struct ctx_var vars[] = {{"read_timeout", "0.5"}, {"label", "abc"}};
  const struct scenario_opts o = {.seed = 1, .ctx = vars, .nctx = 2};
  int rc;
  char *path = load_text("return scenario { summary = ctx.label .. ' ' .. ctx.connect_timeout, expect = 504,\n"
                         "  plan = { rxreq(), stall(ctx.read_timeout + 1), close() } }",
                         &o, &rc);
  ck_assert_msg(rc == 0, "%s", uu_cstr(&err));
  ck_assert_str_eq(scn.summary, "abc 1.0");
  ck_assert_double_eq(scn.plan->steps[0].seconds, 1.5);
  free(path);
  scenario_unload(&scn);
  scn_loaded = false;
  /* Defaults: connect_timeout 1, read_timeout 2. */
  load_ok("return scenario { summary = 's', expect = 504, plan = { stall(ctx.read_timeout + ctx.connect_timeout) } }");
  ck_assert_double_eq(scn.plan->steps[0].seconds, 3.0);
}
END_TEST

START_TEST(test_load_unsafe) {
  const struct scenario_opts o = {.seed = 1, .unsafe = true};
  int rc;
  char *path = load_text("return scenario { summary = type(os) .. type(io), expect = 200, plan = { close() } }", &o, &rc);
  ck_assert_msg(rc == 0, "%s", uu_cstr(&err));
  ck_assert_str_eq(scn.summary, "tabletable");
  free(path);
  scenario_unload(&scn);
  scn_loaded = false;
  load_fails_at("local x = 1\nreturn scenario { summary = os.getenv('HOME'), expect = 200, plan = { close() } }", 2,
                "attempt to index a nil value (global 'os')");
}
END_TEST

static struct request *make_request(const char *method, const char *target) {
  struct request *r = calloc(1, sizeof *r);
  ck_assert_ptr_nonnull(r);
  request_reset(r);
  snprintf(r->method, sizeof r->method, "%s", method);
  buf_puts(&r->target, target);
  r->http_major = 1;
  r->http_minor = 1;
  request_add_field(r, "Host", 4);
  request_add_value(r, "example", 7);
  r->conn_id = 1;
  r->conn_seq = 1;
  r->seq = 1;
  r->peer = "127.0.0.1:40000";
  r->scenario = "scn";
  return r;
}

static void free_request(struct request *r) {
  request_free(r);
  free(r);
}

START_TEST(test_load_function) {
  load_ok("local calls = 0\n"
          "return scenario {\n"
          "  summary = 'echo',\n"
          "  expect = 200,\n"
          "  plan = function(req)\n"
          "    calls = calls + 1\n"
          "    return { txresp { body = req.method .. ' ' .. req.path .. ' ' .. req.headers.host .. ' #' .. calls },\n"
          "             keepalive() }\n"
          "  end,\n"
          "}");
  ck_assert_int_eq(scn.kind, SCENARIO_FUNCTION);
  ck_assert_str_eq(scenario_kind_names[scn.kind], "function");
  ck_assert_ptr_null(scn.plan);
  ck_assert_int_ne(scn.fn_ref, LUA_NOREF);
  struct request *r = make_request("GET", "/some/path?q=1");
  for (int i = 1; i <= 3; i++) {
    struct plan *p = scenario_call(&scn, r, &err);
    ck_assert_msg(p != NULL, "%s", uu_cstr(&err));
    ck_assert_uint_eq(p->refs, 1);
    ck_assert_uint_eq(p->nsteps, 2);
    ck_assert_int_eq(p->steps[0].op, STEP_TXRESP);
    char want[256];
    snprintf(want, sizeof want, "HTTP/1.1 200 OK\r\nContent-Length: 25\r\n\r\nGET /some/path example #%d", i);
    assert_step_bytes(&p->steps[0], want, strlen(want));
    ck_assert_int_eq(p->steps[1].op, STEP_KEEPALIVE);
    plan_unref(p);
    ck_assert_int_eq(lua_gettop(scn.sb.L), 0);
  }
  free_request(r);
}
END_TEST

START_TEST(test_call_runtime_error) {
  load_ok("return scenario {\n"
          "  summary = 'boom on /boom',\n"
          "  expect = 200,\n"
          "  plan = function(req)\n"
          "    if req.path == '/boom' then error('boom') end\n"
          "    if req.path == '/nil' then local t = nil; return t.x end\n"
          "    return { txresp { body = 'fine' } }\n"
          "  end,\n"
          "}");
  struct request *boom = make_request("GET", "/boom"), *nil = make_request("GET", "/nil"),
                 *fine = make_request("GET", "/fine");
  char want[4096];
  ck_assert_ptr_null(scenario_call(&scn, boom, &err));
  snprintf(want, sizeof want, "%s:5: boom", scn.file);
  ASSERT_PREFIX(uu_cstr(&err), want);
  /* The state still works, as often as needed. */
  for (int i = 0; i < 3; i++) {
    struct plan *p = scenario_call(&scn, fine, &err);
    ck_assert_msg(p != NULL, "%s", uu_cstr(&err));
    ck_assert_int_eq(p->steps[0].op, STEP_TXRESP);
    plan_unref(p);
    ck_assert_ptr_null(scenario_call(&scn, nil, &err));
    snprintf(want, sizeof want, "%s:6: attempt to index a nil value (local 't')", scn.file);
    ASSERT_PREFIX(uu_cstr(&err), want);
    ck_assert_int_eq(lua_gettop(scn.sb.L), 0);
  }
  free_request(boom);
  free_request(nil);
  free_request(fine);
}
END_TEST

START_TEST(test_call_bad_plans) {
  load_ok("return scenario {\n"
          "  summary = 'returns bad plans',\n"
          "  expect = 200,\n"
          "  plan = function(req)\n"
          "    if req.path == '/number' then return 42 end\n"
          "    if req.path == '/order' then return {\n"
          "      close(),\n"
          "      send('x') }\n"
          "    end\n"
          "    if req.path == '/arg' then return { stall(-5) } end\n"
          "    if req.path == '/loop' then while true do end end\n"
          "    return { close() }\n"
          "  end,\n"
          "}");
  char want[4096];
  struct request *r = make_request("GET", "/number");
  ck_assert_ptr_null(scenario_call(&scn, r, &err));
  snprintf(want, sizeof want, "%s:4: a plan must be a list of steps, got number (returned by the plan function)", scn.file);
  ck_assert_str_eq(uu_cstr(&err), want);
  free_request(r);
  r = make_request("GET", "/order");
  ck_assert_ptr_null(scenario_call(&scn, r, &err));
  snprintf(want, sizeof want, "%s:7: nothing can follow an ending step", scn.file);
  ASSERT_PREFIX(uu_cstr(&err), want);
  ASSERT_HAS(uu_cstr(&err), "(returned by the plan function)");
  free_request(r);
  r = make_request("GET", "/arg");
  ck_assert_ptr_null(scenario_call(&scn, r, &err));
  snprintf(want, sizeof want, "%s:10: stall()'s duration must be between 0 and 86400 seconds", scn.file);
  ASSERT_PREFIX(uu_cstr(&err), want);
  free_request(r);
  r = make_request("GET", "/loop");
  ck_assert_ptr_null(scenario_call(&scn, r, &err));
  ASSERT_PREFIX(uu_cstr(&err), scn.file);
  free_request(r);
  r = make_request("GET", "/ok");
  struct plan *p = scenario_call(&scn, r, &err);
  ck_assert_msg(p != NULL, "%s", uu_cstr(&err));
  plan_unref(p);
  free_request(r);
}
END_TEST

/* docs/scenarios.md: "The listener steps must be a plan's only step, and that plan must be
 * static." A plan function that returns { refuse() } is an error of that call (logged,
 * counted, RST). (The committed scenario_call returned a plan with plan->listener set.) */
START_TEST(test_call_listener_step_rejected) {
  load_ok("return scenario {\n"
          "  summary = 'a listener step from a function',\n"
          "  expect = 502,\n"
          "  plan = function(req)\n"
          "    return { refuse() }\n"
          "  end,\n"
          "}");
  struct request *r = make_request("GET", "/");
  struct plan *p = scenario_call(&scn, r, &err);
  bool rejected = p == NULL;
  int listener = p ? p->listener : -1;
  plan_unref(p);
  free_request(r);
  ck_assert_msg(rejected, "a plan function returned { refuse() } and got a plan (listener op %d) instead of an error",
                listener);
  char want[4096];
  snprintf(want, sizeof want, "%s:5: ", scn.file);
  ASSERT_PREFIX(uu_cstr(&err), want);
  ASSERT_HAS(uu_cstr(&err), "refuse()");
  ASSERT_HAS(uu_cstr(&err), "(returned by the plan function)");
}
END_TEST

START_TEST(test_load_syntax_error) {
  load_fails_at("return scenario {\n"
                "  summary = 'x'\n"
                "  expect = 502,\n"
                "}",
                3, "'}' expected (to close '{' at line 1) near 'expect'");
  load_fails_at("local = 1", 1, "<name> expected");
}
END_TEST

START_TEST(test_load_missing_return) {
  load_fails_at("scenario { summary = 'x', expect = 502, plan = { close() } }", 1,
                "the file must end with: return scenario { summary = ..., expect = ..., plan = ... }");
  load_fails_at("return { summary = 'x', expect = 502, plan = { close() } }", 1, "the file must end with: return scenario");
  load_fails_at("", 1, "the file must end with");
}
END_TEST

START_TEST(test_load_unknown_step) {
  load_fails_at("return scenario {\n"
                "  summary = 'x',\n"
                "  expect = 502,\n"
                "  plan = { rxreq(),\n"
                "           explode(), close() },\n"
                "}",
                5, "attempt to call a nil value (global 'explode')");
}
END_TEST

START_TEST(test_load_bad_expect) {
  load_fails_at("return scenario {\n  summary = 'x',\n  expect = 'banana',\n  plan = { close() } }", 1,
                "scenario{}: expect 'banana' is not a status");
  load_fails_at("\nreturn scenario { summary = 'x', expect = 99, plan = { close() } }", 2,
                "scenario{}: expect '99' is not a status");
  load_fails_at("return scenario { summary = 'x', expect = 1000, plan = { close() } }", 1, "scenario{}: expect '1000'");
  load_fails_at("return scenario { summary = 'x', plan = { close() } }", 1, "scenario{}: expect is required");
}
END_TEST

START_TEST(test_load_bad_plans) {
  load_fails_at("return scenario {\n"
                "  summary = 'x',\n"
                "  expect = 502,\n"
                "  plan = {\n"
                "    rxreq(),\n"
                "    close(),\n"
                "    send('too late'),\n"
                "  },\n"
                "}",
                6, "nothing can follow an ending step");
  load_fails_at("return scenario {\n  summary = 'x',\n  expect = 502,\n  plan = { rxreq(), refuse() } }", 4,
                "a listener step (refuse, blackhole, accept_close, accept_reset) must be the only step of its plan");
  load_fails_at("return scenario {\n  summary = 'x',\n  expect = 502,\n  plan = { send('a'),\n  rxhdrs() } }", 5,
                "rxreq() and rxhdrs() can only be the first step of a plan");
  load_fails_at("return scenario { summary = 'x', expect = 502,\n  plan = { stall(-1) } }", 2,
                "stall()'s duration must be between 0 and 86400 seconds");
  load_fails_at("return scenario { summary = 'x', expect = 502,\n\n  plan = { txresp{ nope = 1 } } }", 3,
                "txresp{}: unknown field 'nope'");
  load_fails_at("return scenario { summary = 'x', expect = 502, plan = {} }", 1, "a plan needs at least one step");
  load_fails_at("\n\nreturn scenario { summary = 'x', expect = 502, plan = 'close' }", 3, "scenario{}: plan must be");
}
END_TEST

START_TEST(test_load_runtime_error) {
  load_fails_at("local t = {}\n\nlocal x = t.a.b\nreturn scenario { summary = 'x', expect = 502, plan = { close() } }", 3,
                "attempt to index a nil value");
  load_fails_at("error('custom failure')", 1, "custom failure");
}
END_TEST

START_TEST(test_load_long_path) {
  /* Lua shortens chunk names past LUA_IDSIZE to "...tail"; messages still name the file. */
  char stem[128];
  memset(stem, 'n', 100);
  stem[100] = 0;
  char *path = uu_write_temp(dir, stem, "return scenario {\n  summary = 'x'\n  expect = 502 }");
  ck_assert_int_eq(scenario_load(&scn, path, &default_opts, &err), -1);
  char want[512];
  snprintf(want, sizeof want, "%s:3:", path);
  ASSERT_PREFIX(uu_cstr(&err), want);
  free(path);
  path = uu_write_temp(dir, stem,
                       "return scenario { summary = 'x', expect = 502,\n"
                       "  plan = function(req)\n"
                       "    error('late')\n"
                       "  end }");
  ck_assert_int_eq(scenario_load(&scn, path, &default_opts, &err), 0);
  scn_loaded = true;
  struct request *r = make_request("GET", "/");
  ck_assert_ptr_null(scenario_call(&scn, r, &err));
  snprintf(want, sizeof want, "%s:3: late", path);
  ASSERT_PREFIX(uu_cstr(&err), want);
  free_request(r);
  free(path);
}
END_TEST

/* Regression (found by tests/fuzz/fuzz_scenario): source nested deeper than the parser's
 * C stack allows fails with a bare "C stack overflow", and an error raised with another
 * chunk's position names that chunk; both still start with "<path>:<line>:". */
START_TEST(test_load_error_without_position) {
  static char deep[4096];
  snprintf(deep, sizeof deep, "return scenario { plan = ");
  size_t n = strlen(deep);
  memset(deep + n, '{', 1000);
  deep[n + 1000] = 0;
  load_fails_at(deep, 1, "");
  ASSERT_HAS(uu_cstr(&err), "overflow");
  load_fails_at("load('error(\\'elsewhere\\')')()", 1, "");
  ASSERT_HAS(uu_cstr(&err), "elsewhere");
}
END_TEST

START_TEST(test_load_missing_file) {
  char path[512];
  snprintf(path, sizeof path, "%s/absent.lua", dir);
  ck_assert_int_eq(scenario_load(&scn, path, &default_opts, &err), -1);
  ASSERT_HAS(uu_cstr(&err), "absent.lua");
  ck_assert_ptr_null(scn.name);
}
END_TEST

START_TEST(test_load_memory_and_budget_limits) {
  const struct scenario_opts o = {.seed = 1, .mem_cap = 2u << 20, .budget = 100000};
  int rc;
  char *path = load_text("local s = string.rep('x', 1 << 28)\n"
                         "return scenario { summary = 'x', expect = 502, plan = { close() } }",
                         &o, &rc);
  ck_assert_int_eq(rc, -1);
  ASSERT_HAS(uu_cstr(&err), "memory cap of 2 MiB exceeded");
  free(path);
  path = load_text("while true do end", &o, &rc);
  ck_assert_int_eq(rc, -1);
  ASSERT_PREFIX(uu_cstr(&err), path);
  free(path);
}
END_TEST

START_TEST(test_builtin_ok) {
  ck_assert_int_eq(scenario_builtin_ok(&scn), 0);
  scn_loaded = true;
  ck_assert_str_eq(scn.name, "ok");
  ck_assert_str_eq(scn.expect, "200");
  ck_assert_int_eq(scn.kind, SCENARIO_STATIC);
  ck_assert(scn.continue100);
  ck_assert_uint_eq(scn.plan->nsteps, 1);
  ck_assert_int_eq(scn.plan->steps[0].op, STEP_TXRESP);
  ASSERT_STEP_BYTES(&scn.plan->steps[0], "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n");
}
END_TEST

START_TEST(test_expect_valid) {
  static const char *const good[] = {"502", "100", "999", "200", "444", "200+truncated", "100+truncated",
                                     "200+reset", "200+invalid", "200+timeout", "999+reset",
                                     "closed", "reset", "timeout", "invalid"};
  /* refused, error and http09 are outcomes a client can report, never what a proxy is asked for. */
  static const char *const bad[] = {"", "5", "50", "099", "000", "1000", "5020", "502 ", " 502", "banana",
                                    "502+", "200+trunc", "200+truncatedx", "+truncated", "Closed", "closed ",
                                    "RESET", "time-out", "50a", "2e2", "refused", "error", "http09",
                                    "http09+timeout", "200+closed", "200+refused", "200+error", "200+Reset",
                                    "200+truncated+reset", "closed+truncated", "+reset"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    ck_assert_msg(outcome_expect_valid(good[i]), "'%s' should be valid", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(!outcome_expect_valid(bad[i]), "'%s' should be invalid", bad[i]);
}
END_TEST

/* ---- the shipped catalog ------------------------------------------------------------- */

static int is_lua(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 4 && d->d_name[0] != '.' && strcmp(d->d_name + n - 4, ".lua") == 0;
}

START_TEST(test_catalog_loads) {
  const char *folder = getenv("BADUP_SCENARIOS");
  struct dirent **names = NULL;
  int n = folder ? scandir(folder, &names, is_lua, alphasort) : -1;
  if (n <= 0) {
    fprintf(stderr, "test_catalog_loads: no scenarios at %s: skipped\n", folder ? folder : "(BADUP_SCENARIOS unset)");
    free(names);
    return;
  }
  int failures = 0;
  struct buf report = {0};
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", folder, names[i]->d_name);
    free(names[i]);
    struct scenario s;
    if (scenario_load(&s, path, &default_opts, &err) != 0) {
      buf_printf(&report, "\n  %s", uu_cstr(&err));
      failures++;
      continue;
    }
    bool ok = s.summary[0] && outcome_expect_valid(s.expect);
    if (s.kind == SCENARIO_FUNCTION) {
      ok = ok && s.fn_ref != LUA_NOREF && !s.plan;
    } else {
      ok = ok && s.plan && s.plan->refs == 0 && (s.kind == SCENARIO_LISTENER) == (s.plan->listener != STEP__COUNT);
    }
    if (!ok) {
      buf_printf(&report, "\n  %s: inconsistent after load (kind %s)", path, scenario_kind_names[s.kind]);
      failures++;
    }
    if (s.kind == SCENARIO_FUNCTION) {
      /* A plain first request gets a plan. */
      struct request *r = make_request("GET", "/");
      struct plan *p = scenario_call(&s, r, &err);
      if (!p) {
        buf_printf(&report, "\n  %s: GET / gave no plan: %s", path, uu_cstr(&err));
        failures++;
      }
      plan_unref(p);
      free_request(r);
    }
    scenario_unload(&s);
  }
  free(names);
  ck_assert_msg(failures == 0, "%d of %d catalog scenarios failed:%s", failures, n, uu_cstr(&report));
  buf_free(&report);
}
END_TEST

static Suite *vocabulary_suite(void) {
  Suite *s = suite_create("vocabulary");

  TCase *ctors = tcase_create("constructors");
  tcase_add_checked_fixture(ctors, lua_setup, lua_teardown);
  tcase_set_timeout(ctors, 10);
  tcase_add_test(ctors, test_send);
  tcase_add_test(ctors, test_send_errors);
  tcase_add_test(ctors, test_dribble);
  tcase_add_test(ctors, test_dribble_errors);
  tcase_add_test(ctors, test_stall);
  tcase_add_test(ctors, test_stall_errors);
  tcase_add_test(ctors, test_keepalive);
  tcase_add_test(ctors, test_keepalive_errors);
  tcase_add_test(ctors, test_argumentless_steps);
  tcase_add_test(ctors, test_close_options);
  tcase_add_test(ctors, test_tls_alert);
  tcase_add_test(ctors, test_accept_steps_wait);
  tcase_add_test(ctors, test_barrier_arguments);
  tcase_add_test(ctors, test_step_names_and_kinds);
  tcase_add_test(ctors, test_step_is_opaque);
  tcase_add_test(ctors, test_step_lines);
  tcase_add_test(ctors, test_response_defaults);
  tcase_add_test(ctors, test_response_length);
  tcase_add_test(ctors, test_response_headers);
  tcase_add_test(ctors, test_response_chunks);
  tcase_add_test(ctors, test_response_errors);
  tcase_add_test(ctors, test_response_is_a_string);
  tcase_add_test(ctors, test_txresp);
  tcase_add_test(ctors, test_txresp_errors);
  tcase_add_test(ctors, test_scenario_function_checks);
  suite_add_tcase(s, ctors);

  TCase *plans = tcase_create("plans");
  tcase_add_checked_fixture(plans, lua_setup, lua_teardown);
  tcase_set_timeout(plans, 10);
  tcase_add_test(plans, test_plan_check_rules);
  tcase_add_test(plans, test_plan_check_max_steps);
  tcase_add_test(plans, test_plan_build_copies_and_folds);
  tcase_add_test(plans, test_plan_build_defaults);
  tcase_add_test(plans, test_to_plan_folds_start);
  tcase_add_test(plans, test_to_plan_error_lines);
  tcase_add_test(plans, test_to_plan_many_steps);
  tcase_add_test(plans, test_to_plan_keeps_stack);
  suite_add_tcase(s, plans);

  TCase *files = tcase_create("scenario_files");
  tcase_add_checked_fixture(files, file_setup, file_teardown);
  tcase_set_timeout(files, 20);
  tcase_add_test(files, test_load_static);
  tcase_add_test(files, test_load_fields);
  tcase_add_test(files, test_load_listener);
  tcase_add_test(files, test_load_ctx);
  tcase_add_test(files, test_load_unsafe);
  tcase_add_test(files, test_load_function);
  tcase_add_test(files, test_call_runtime_error);
  tcase_add_test(files, test_call_bad_plans);
  tcase_add_test(files, test_load_syntax_error);
  tcase_add_test(files, test_load_missing_return);
  tcase_add_test(files, test_load_unknown_step);
  tcase_add_test(files, test_load_bad_expect);
  tcase_add_test(files, test_load_bad_plans);
  tcase_add_test(files, test_load_runtime_error);
  tcase_add_test(files, test_load_long_path);
  tcase_add_test(files, test_load_missing_file);
  tcase_add_test(files, test_load_memory_and_budget_limits);
  tcase_add_test(files, test_builtin_ok);
  tcase_add_test(files, test_expect_valid);
  tcase_add_test(files, test_call_listener_step_rejected);
  tcase_add_test(files, test_catalog_loads);
  tcase_add_test(files, test_load_error_without_position);
  suite_add_tcase(s, files);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(vocabulary_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
