/* test_request.c: the request a plan function sees. A struct request is filled by hand the
 * way conn.c's http-parser callbacks fill it (names and values in pieces), pushed into a
 * sandboxed state, and read back from Lua. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "request.h"
#include "sandbox.h"
#include "unit_util.h"

static struct sandbox sb;
static struct request req;
static struct buf err;

#define ASSERT_HAS(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))

static void add_field(const char *s) { request_add_field(&req, s, strlen(s)); }
static void add_value(const char *s) { request_add_value(&req, s, strlen(s)); }

/* A POST with headers delivered in pieces, a repeated header in two spellings, a body in
 * two pieces. */
static void fill_request(void) {
  request_reset(&req);
  snprintf(req.method, sizeof req.method, "%s", "POST");
  buf_puts(&req.target, "/a/b");
  buf_puts(&req.target, "?x=1&y=2");
  req.http_major = 1;
  req.http_minor = 1;
  add_field("Ho");
  add_field("st");
  add_value("exa");
  add_value("mple.test");
  add_field("X-Rep");
  add_value("one");
  add_field("Content-Type");
  add_value("text/plain");
  add_field("x-REP");
  add_value("two");
  add_field("X-Rep");
  add_value("three");
  add_field("Content-Length");
  add_value("11");
  request_add_body(&req, "hello", 5);
  request_add_body(&req, " world", 6);
  req.conn_id = 7;
  req.conn_seq = 2;
  req.seq = 11;
  req.peer = "127.0.0.1:54321";
  req.scenario = "demo";
}

static void setup(void) {
  memset(&req, 0, sizeof req);
  ck_assert_int_eq(sandbox_open(&sb, "req", false, 0, 0, 1), 0);
  request_open(sb.L);
  fill_request();
}

static void teardown(void) {
  sandbox_close(&sb);
  request_free(&req);
  buf_free(&err);
}

/* Calls `function(req) <body> end` with the proxy of r and returns the status; the one
 * result is left on the stack on success. request_expire runs after the call, as in
 * scenario_call. */
static int call_with(const struct request *r, const char *body) {
  char src[8192];
  snprintf(src, sizeof src, "local req = ...\n%s", body);
  ck_assert_int_eq(luaL_loadbuffer(sb.L, src, strlen(src), "=plan"), LUA_OK);
  request_push(sb.L, r);
  int st = sandbox_pcall(&sb, 1, 1, &err);
  request_expire(sb.L);
  return st;
}

/* The result of body as a string (static buffer). */
static const char *eval(const char *body) {
  static char out[4096];
  int st = call_with(&req, body);
  ck_assert_msg(st == LUA_OK, "%s\nfailed: %s", body, uu_cstr(&err));
  const char *s = luaL_tolstring(sb.L, -1, NULL);
  snprintf(out, sizeof out, "%s", s);
  lua_pop(sb.L, 2);
  ck_assert_int_eq(lua_gettop(sb.L), 0);
  return out;
}

static const char *eval_fail(const char *body) {
  static char out[4096];
  int st = call_with(&req, body);
  ck_assert_msg(st != LUA_OK, "%s\nshould have failed", body);
  const char *e = uu_cstr(&err);
  snprintf(out, sizeof out, "%.*s", (int)strcspn(e, "\n"), e);
  return out;
}

START_TEST(test_request_line) {
  ck_assert_str_eq(eval("return req.method"), "POST");
  ck_assert_str_eq(eval("return req.target"), "/a/b?x=1&y=2");
  ck_assert_str_eq(eval("return req.path"), "/a/b");
  ck_assert_str_eq(eval("return req.query"), "x=1&y=2");
  ck_assert_str_eq(eval("return req.version"), "HTTP/1.1");
}
END_TEST

START_TEST(test_target_without_query) {
  req.target.len = 0;
  buf_puts(&req.target, "/plain");
  ck_assert_str_eq(eval("return req.path .. '|' .. req.query .. '|' .. type(req.query)"), "/plain||string");
  req.target.len = 0;
  buf_puts(&req.target, "/empty?");
  ck_assert_str_eq(eval("return req.path .. '|' .. req.query"), "/empty|");
  req.target.len = 0;
  buf_puts(&req.target, "http://host:8080/abs?q=1?2");
  ck_assert_str_eq(eval("return req.path .. '|' .. req.query"), "http://host:8080/abs|q=1?2");
  req.target.len = 0;
  ck_assert_str_eq(eval("return '[' .. req.target .. '|' .. req.path .. '|' .. req.query .. ']'"), "[||]");
}
END_TEST

START_TEST(test_version_other) {
  req.http_major = 1;
  req.http_minor = 0;
  ck_assert_str_eq(eval("return req.version"), "HTTP/1.0");
  req.http_major = 0;
  req.http_minor = 9;
  ck_assert_str_eq(eval("return req.version"), "HTTP/0.9");
}
END_TEST

START_TEST(test_headers_map) {
  ck_assert_str_eq(eval("return req.headers.host"), "example.test");
  ck_assert_str_eq(eval("return req.headers['content-type']"), "text/plain");
  /* Repeats, whatever their case, join with ", " in the order received. */
  ck_assert_str_eq(eval("return req.headers['x-rep']"), "one, two, three");
  ck_assert_str_eq(eval("return tostring(req.headers['X-Rep']) .. tostring(req.headers.Host)"), "nilnil");
  ck_assert_str_eq(eval("local n = 0 for k in pairs(req.headers) do n = n + 1 end return n"), "4");
  /* A fresh table per access: changing it changes nothing. */
  ck_assert_str_eq(eval("req.headers.host = 'x' return req.headers.host"), "example.test");
}
END_TEST

START_TEST(test_header_list) {
  ck_assert_str_eq(eval("local t = {} for i, h in ipairs(req.header_list) do t[i] = h[1] .. '=' .. h[2] end"
                        " return table.concat(t, ';')"),
                   "Host=example.test;X-Rep=one;Content-Type=text/plain;x-REP=two;X-Rep=three;"
                   "Content-Length=11");
  ck_assert_str_eq(eval("return #req.header_list"), "6");
}
END_TEST

START_TEST(test_header_edge_cases) {
  request_reset(&req);
  /* An empty value, a value in three pieces, and a name cut before its value. */
  add_field("Empty");
  request_add_value(&req, "", 0);
  add_field("Split");
  add_value("a");
  add_value("b");
  add_value("c");
  add_field("Cut");
  ck_assert_uint_eq(req.nfields, 3);
  ck_assert_str_eq(eval("local t = {} for i, h in ipairs(req.header_list) do t[i] = h[1] .. '=' .. h[2] end"
                        " return table.concat(t, ';')"),
                   "Empty=;Split=abc;Cut=");
  ck_assert_str_eq(eval("return req.headers.split .. '|' .. req.headers.empty .. '|' .. req.headers.cut"), "abc||");
  /* Bytes are kept as received, NULs aside: values may hold anything else. */
  request_reset(&req);
  add_field("X-Bin");
  add_value("\x01\xff :");
  ck_assert_str_eq(eval("return #req.headers['x-bin']"), "4");
}
END_TEST

START_TEST(test_no_headers) {
  request_reset(&req);
  ck_assert_uint_eq(req.nfields, 0);
  ck_assert_str_eq(eval("return #req.header_list .. '|' .. tostring(next(req.headers))"), "0|nil");
}
END_TEST

/* Regression (found by tests/fuzz/fuzz_request: "GET /x?a\r\n\r\n", HTTP/0.9 style, to a plan
 * function reading req.headers): a request that never had a header or a body has NULL
 * buffers, and walking them did pointer arithmetic on NULL (UBSan: "applying zero offset
 * to null pointer"). */
START_TEST(test_never_had_headers) {
  request_free(&req);
  memset(&req, 0, sizeof req);
  ck_assert_ptr_null(req.fields.data);
  ck_assert_str_eq(eval("return #req.header_list .. '|' .. tostring(next(req.headers)) .. '|' .. #req.body"
                        " .. '|' .. req.target .. '|' .. req.path .. '|' .. req.query"),
                   "0|nil|0|||");
}
END_TEST

START_TEST(test_body) {
  ck_assert_str_eq(eval("return req.body"), "hello world");
  ck_assert(!req.body_truncated);
  request_reset(&req);
  ck_assert_str_eq(eval("return '[' .. req.body .. ']'"), "[]");
}
END_TEST

START_TEST(test_body_truncated) {
  request_reset(&req);
  size_t piece = 300000;
  char *chunk = malloc(piece);
  ck_assert_ptr_nonnull(chunk);
  memset(chunk, 'b', piece);
  size_t total = 0;
  while (total <= REQUEST_MAX_BODY) {
    request_add_body(&req, chunk, piece);
    total += piece;
    ck_assert(req.body_truncated == (total > REQUEST_MAX_BODY));
  }
  free(chunk);
  ck_assert(req.body_truncated);
  ck_assert_uint_eq(req.body.len, REQUEST_MAX_BODY);
  /* More after the cap adds nothing. */
  request_add_body(&req, "zz", 2);
  ck_assert_uint_eq(req.body.len, REQUEST_MAX_BODY);
  ck_assert_str_eq(eval("return #req.body"), "1048576");
  ck_assert_str_eq(eval("return req.body:sub(-3)"), "bbb");
  /* Reset clears the flag and keeps the allocation. */
  char *data = req.body.data;
  request_reset(&req);
  ck_assert(!req.body_truncated);
  ck_assert_uint_eq(req.body.len, 0);
  ck_assert_ptr_eq(req.body.data, data);
}
END_TEST

START_TEST(test_body_exactly_at_cap) {
  request_reset(&req);
  char *chunk = malloc(REQUEST_MAX_BODY);
  ck_assert_ptr_nonnull(chunk);
  memset(chunk, 'c', REQUEST_MAX_BODY);
  request_add_body(&req, chunk, REQUEST_MAX_BODY);
  free(chunk);
  ck_assert(!req.body_truncated);
  ck_assert_uint_eq(req.body.len, REQUEST_MAX_BODY);
  request_add_body(&req, "", 0);
  ck_assert(!req.body_truncated);
  request_add_body(&req, "x", 1);
  ck_assert(req.body_truncated);
}
END_TEST

START_TEST(test_numbers_and_names) {
  ck_assert_str_eq(eval("return req.conn_id .. '|' .. req.conn_seq .. '|' .. req.seq"), "7|2|11");
  ck_assert_str_eq(eval("return math.type(req.conn_id) .. math.type(req.conn_seq) .. math.type(req.seq)"),
                   "integerintegerinteger");
  ck_assert_str_eq(eval("return req.peer"), "127.0.0.1:54321");
  ck_assert_str_eq(eval("return req.scenario"), "demo");
  req.peer = NULL;
  req.scenario = NULL;
  ck_assert_str_eq(eval("return '[' .. req.peer .. req.scenario .. ']'"), "[]");
}
END_TEST

START_TEST(test_unknown_field_is_nil) {
  ck_assert_str_eq(eval("return tostring(req.nope) .. tostring(req.Method) .. tostring(req[1])"), "nilnilnil");
}
END_TEST

START_TEST(test_read_only) {
  /* Line 1 of the chunk is "local req = ...", so the assignment is on line 3. */
  const char *e = eval_fail("\nreq.x = 1");
  ck_assert_str_eq(e, "plan:3: the request is read-only");
  e = eval_fail("req.method = 'GET'");
  ASSERT_HAS(e, "read-only");
  ck_assert_str_eq(eval("return req.method"), "POST");
}
END_TEST

START_TEST(test_expired_reference) {
  /* A plan function keeps the request in a global; using it after its call errors. */
  ck_assert_str_eq(eval("kept = req return req.method"), "POST");
  ck_assert_int_eq(luaL_loadstring(sb.L, "\nreturn kept.method"), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(&sb, 0, 1, &err), LUA_OK);
  ASSERT_HAS(uu_cstr(&err), "only available during its plan function");
  ck_assert_int_eq(luaL_loadstring(sb.L, "return kept.headers"), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(&sb, 0, 1, &err), LUA_OK);
  ASSERT_HAS(uu_cstr(&err), "only available during its plan function");
  /* Kept inside a closure too. */
  ck_assert_str_eq(eval("later = function() return req.path end return 1"), "1");
  ck_assert_int_eq(luaL_loadstring(sb.L, "return later()"), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(&sb, 0, 1, &err), LUA_OK);
  ASSERT_HAS(uu_cstr(&err), "only available during its plan function");
  /* The error names the line that used it. */
  ck_assert_int_eq(luaL_loadbuffer(sb.L, "\n\nreturn kept.body", 17, "=later"), LUA_OK);
  ck_assert_int_ne(sandbox_pcall(&sb, 0, 1, &err), LUA_OK);
  char *e = (char *)uu_cstr(&err);
  e[strcspn(e, "\n")] = 0;
  ck_assert_str_eq(e, "later:3: the request is only available during its plan function");
}
END_TEST

START_TEST(test_next_request_seen_fresh) {
  /* The same state serves request after request: each call sees its own. */
  ck_assert_str_eq(eval("return req.conn_seq"), "2");
  struct request other = {0};
  request_reset(&other);
  snprintf(other.method, sizeof other.method, "%s", "GET");
  buf_puts(&other.target, "/second");
  other.http_major = 1;
  other.http_minor = 1;
  other.conn_seq = 3;
  ck_assert_int_eq(call_with(&other, "return req.method .. ' ' .. req.path .. ' ' .. req.conn_seq"), LUA_OK);
  ck_assert_str_eq(lua_tostring(sb.L, -1), "GET /second 3");
  lua_pop(sb.L, 1);
  request_free(&other);
}
END_TEST

START_TEST(test_proxy_is_not_a_table) {
  ck_assert_str_eq(eval("return type(req)"), "userdata");
  ck_assert_str_eq(eval("local ok = pcall(next, req) return tostring(ok)"), "false");
}
END_TEST

START_TEST(test_reset_keeps_allocations) {
  char *fields = req.fields.data, *target = req.target.data;
  request_reset(&req);
  ck_assert_uint_eq(req.nfields, 0);
  ck_assert_uint_eq(req.fields.len, 0);
  ck_assert_uint_eq(req.target.len, 0);
  ck_assert_str_eq(req.method, "");
  ck_assert(!req.in_value);
  ck_assert_ptr_eq(req.fields.data, fields);
  ck_assert_ptr_eq(req.target.data, target);
  /* Filling it again after a reset gives the same view. */
  fill_request();
  ck_assert_str_eq(eval("return req.headers['x-rep'] .. '|' .. #req.header_list"), "one, two, three|6");
}
END_TEST

static Suite *request_suite(void) {
  Suite *s = suite_create("request");
  TCase *tc = tcase_create("request");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 10);
  tcase_add_test(tc, test_request_line);
  tcase_add_test(tc, test_target_without_query);
  tcase_add_test(tc, test_version_other);
  tcase_add_test(tc, test_headers_map);
  tcase_add_test(tc, test_header_list);
  tcase_add_test(tc, test_header_edge_cases);
  tcase_add_test(tc, test_no_headers);
  tcase_add_test(tc, test_never_had_headers);
  tcase_add_test(tc, test_body);
  tcase_add_test(tc, test_body_truncated);
  tcase_add_test(tc, test_body_exactly_at_cap);
  tcase_add_test(tc, test_numbers_and_names);
  tcase_add_test(tc, test_unknown_field_is_nil);
  tcase_add_test(tc, test_read_only);
  tcase_add_test(tc, test_expired_reference);
  tcase_add_test(tc, test_next_request_seen_fresh);
  tcase_add_test(tc, test_proxy_is_not_a_table);
  tcase_add_test(tc, test_reset_keeps_allocations);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(request_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
