/* test_expect.c: `expect` tables: read and checked (simulator/expectation.c), evaluated
 * against what a case saw (harness/expect_eval.c), judged (harness/verdict.c), and their
 * signatures recorded in and read back from the reference (harness/reference.c).
 *
 * Every assertion kind is evaluated holding and failing, with the expected and got texts
 * the reports show. What the client saw is built by hand with seen.h's functions; what the
 * upstream received is the JSON text of GET /requests, how its connections ended that of
 * GET /events. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "events.h"
#include "expect_eval.h"
#include "expectation.h"
#include "reference.h"
#include "results.h"
#include "unit_util.h"
#include "verdict.h"

static char why[512];

/* The expectation of the Lua expression `expect`, or NULL (why says why). */
static struct expectation *read_expect(const char *expect) {
  lua_State *L = luaL_newstate();
  char chunk[4096];
  snprintf(chunk, sizeof chunk, "return %s", expect);
  ck_assert_int_eq(luaL_dostring(L, chunk), LUA_OK);
  why[0] = 0;
  struct expectation *e = expectation_read(L, -1, why, sizeof why);
  ck_assert_int_eq(lua_gettop(L), 1); /* the stack as it was */
  lua_close(L);
  return e;
}

/* A response as a client would have filled it: status, reason, fields ("Name: value"
 * strings, NULL-ended), a complete body. */
static struct seen_response *respond(struct seen *s, int status, const char *reason, const char *const *fields,
                                     const char *body) {
  struct seen_response *r = seen_add_response(s, (int)s->nresponses, 0);
  ck_assert_ptr_nonnull(r);
  r->status = status;
  free(r->reason);
  r->reason = strdup(reason);
  for (const char *const *f = fields; f && *f; f++) {
    const char *colon = strchr(*f, ':');
    ck_assert_int_eq(seen_add_field(r, *f, (size_t)(colon - *f), colon + 1, strlen(colon + 1)), 0);
  }
  ck_assert_int_eq(seen_add_body(r, body, strlen(body)), 0);
  r->head_complete = r->complete = true;
  return r;
}

static struct seen seen;
static struct expect_report rep;
static char sig[EXPECT_SIGNATURE_MAX];
static struct expect_inputs in;

#define REQUESTS                                                                                                  \
  "{\"requests\":[{\"upstream\":1,\"conn\":1,\"seq\":1,\"method\":\"POST\",\"target\":\"/x\",\"version\":"         \
  "\"HTTP/1.1\",\"headers\":[[\"Host\",\"127.0.0.1:1\"],[\"Content-Length\",\"5\"],[\"Via\",\"1.1 a\"]],"          \
  "\"body_length\":5,\"body\":\"hello\",\"body_truncated\":false,\"complete\":true},"                              \
  "{\"upstream\":2,\"conn\":2,\"seq\":1,\"method\":\"GET\",\"target\":\"/y\",\"version\":\"HTTP/1.1\","            \
  "\"headers\":[[\"Host\",\"127.0.0.1:2\"]],\"body_length\":0,\"body\":\"\",\"body_truncated\":false,"            \
  "\"complete\":true}]}"

static void setup(void) {
  memset(&seen, 0, sizeof seen);
  static const char *const fields[] = {"Server: nginx/1.22", "Content-Length: 5", "Via: 1.1 proxy",
                                       "X-Badup-Hop: 1", NULL};
  struct seen_response *r = respond(&seen, 200, "OK", fields, "hello");
  r->interim[0] = 103;
  r->ninterim = 1;
  seen.last_conn = SEEN_CONN_KEPT;
  in = (struct expect_inputs){.outcome = "200", .seen = &seen, .requests_json = REQUESTS, .attempts = 2,
                              .connections = 2, .proxy = "haproxy", .proxy_log = "be/s1 0/0/1/2/3 200 SD--",
                              .elapsed_s = 0.25};
}

static void teardown(void) { seen_free(&seen); }

/* Evaluates the expression against `in`. */
static void eval(const char *expect) {
  struct expectation *e = read_expect(expect);
  ck_assert_msg(e != NULL, "%s: %s", expect, why);
  expect_evaluate(e, &in, &rep, sig, sizeof sig);
  expectation_free(e);
}

/* The reported assertion with this id; fails the test when there is none. */
static const struct expect_assertion *find(const char *id) {
  for (size_t i = 0; i < rep.n; i++)
    if (!strcmp(rep.a[i].id, id)) return &rep.a[i];
  ck_abort_msg("no assertion %s (signature %s)", id, sig);
  return NULL;
}

/* The assertion holds (ok) or fails with the expected and got texts given. */
static void check_one(const char *expect, const char *id, bool ok, const char *expected, const char *got) {
  eval(expect);
  const struct expect_assertion *a = find(id);
  ck_assert_msg(a->ok == ok, "%s: %s ok=%d (expected %s, got %s)", expect, id, a->ok, a->expected, a->got);
  ck_assert_str_eq(a->expected, expected);
  ck_assert_str_eq(a->got, got);
  ck_assert(rep.passed == ok);
}

/* ---- reading ---------------------------------------------------------------------- */

START_TEST(test_read_every_field) {
  struct expectation *e = read_expect(
      "{ 400, { status = 200, reason = 'OK', headers = { present = {'Via'}, absent = {'X-Badup-Hop'},"
      " equal = {['Content-Length'] = '5'}, match = {Server = '^nginx'}, count = {['Content-Length'] = 1} },"
      " body = { equal = 'hello', match = 'l+', length = 5 }, interim = {103}, connection = 'kept',"
      " min_s = 0.1, max_s = 3, attempts = 1, connections = 1,"
      " upstream = { method = 'GET', target = '/x', version = 'HTTP/1.1', headers = { absent = {'TE'} },"
      " body_length = 0, upstream = 1 }, log = { haproxy = 'SD--', nginx = 'upstream' },"
      " responses = { { status = 200, headers = { present = {'Via'} } }, { reason = 'OK' } } } }");
  ck_assert_msg(e != NULL, "%s", why);
  ck_assert_uint_eq(e->n, 2);
  ck_assert_str_eq(e->alt[0].final.status, "400");
  const struct expect_set *s = &e->alt[1];
  ck_assert_str_eq(s->final.status, "200");
  ck_assert_uint_eq(s->final.headers.n, 5);
  ck_assert_int_eq(s->final.headers.v[0].kind, EXPECT_H_PRESENT);
  ck_assert_int_eq(s->final.headers.v[4].kind, EXPECT_H_COUNT);
  ck_assert_int_eq(s->final.body.length, 5);
  ck_assert_int_eq(s->connection, EXPECT_CONN_KEPT);
  ck_assert_uint_eq(s->nupstream, 1);
  ck_assert_int_eq(s->upstream[0].upstream, 1);
  ck_assert_uint_eq(s->nlog, 2);
  ck_assert_str_eq(s->log[0].proxy, "haproxy"); /* sorted */
  ck_assert_uint_eq(s->nresponses, 2);
  ck_assert(expectation_asks_connection(e));
  expectation_free(e);
  e = read_expect("{ 502, { status = 200, headers = { present = {'Via'} } } }");
  ck_assert(!expectation_asks_connection(e));
  expectation_free(e);
}
END_TEST

/* Each bad table, and a word its message must hold. */
START_TEST(test_read_errors) {
  static const char *const bad[][2] = {
      {"{ status = 200, colour = 'red' }", "unknown field 'colour'"},
      {"{ reason = 'OK' }", "status is required"},
      {"{ status = 'nope' }", "status 'nope' is not"},
      {"{ 200, 'sometimes' }", "expect[2]: status 'sometimes' is not"},
      {"{ status = 200.5 }", "status 200.5 is not"},
      {"{ status = 200, headers = { present = 'Via' } }", "expect.headers: present must be a table"},
      {"{ status = 200, headers = { absent = { 5 } } }", "list of field names"},
      {"{ status = 200, headers = { present = { 'Bad Name' } } }", "'Bad Name' is not a field name"},
      {"{ status = 200, headers = { match = { Server = '(' } } }", "/(/ is not a valid POSIX ERE"},
      {"{ status = 200, headers = { count = { Via = -1 } } }", "count[\"Via\"] must be an integer"},
      {"{ status = 200, headers = { equal = { Via = true } } }", "equal[\"Via\"] must be a string"},
      {"{ status = 200, headers = { nope = {} } }", "expect.headers: unknown field 'nope'"},
      {"{ status = 200, body = 5 }", "body must be a string or a table"},
      {"{ status = 200, body = { match = '[' } }", "body.match /[/ is not a valid POSIX ERE"},
      {"{ status = 200, body = { length = 'five' } }", "length must be an integer"},
      {"{ status = 200, interim = { 200 } }", "interim[1] must be a 1xx status"},
      {"{ status = 200, interim = 1 }", "interim must be a list of 1xx statuses or 0"},
      {"{ status = 200, connection = 'open' }", "connection must be \"closed\" or \"kept\""},
      {"{ status = 200, note = 'a b' }", "note must be 1 to 31 of"},
      {"{ status = 200, min_s = -1 }", "min_s must be a non-negative number"},
      {"{ status = 200, attempts = 1.5 }", "attempts must be an integer"},
      {"{ status = 200, upstream = { verb = 'GET' } }", "expect.upstream: unknown field 'verb'"},
      {"{ status = 200, upstream = { upstream = 9 } }", "upstream must be an integer from 1 to 8"},
      {"{ status = 200, upstream = {}, upstream_requests = { {} } }", "not both"},
      {"{ status = 200, upstream_requests = { { method = 1 } } }", "upstream_requests[1]: method must be a string"},
      {"{ status = 200, log = { haproxy = '(' } }", "log pattern /(/ is not a valid POSIX ERE"},
      {"{ status = 200, log = { 'SD--' } }", "log must map proxy names"},
      {"{ status = 200, responses = { { status = 'x' } } }", "expect.responses[1]: status 'x' is not"},
      {"{ status = 200, responses = { { connection = 'kept' } } }", "responses[1]: unknown field 'connection'"},
      {"{ 200, status = 502 }", "a list of alternatives"},
      {"{ 200, true }", "expect[2]: status must be"},
      /* Empty where assertions go: it would assert nothing, and the case pass untested. */
      {"{}", "expect is empty: it asserts nothing"},
      {"{ status = 200, headers = {} }", "expect.headers is empty: it asserts nothing"},
      {"{ status = 200, headers = { present = {} } }", "expect.headers: present is empty: it asserts nothing"},
      {"{ status = 200, headers = { absent = {} } }", "expect.headers: absent is empty"},
      {"{ status = 200, headers = { equal = {} } }", "expect.headers: equal is empty"},
      {"{ status = 200, headers = { match = {} } }", "expect.headers: match is empty"},
      {"{ status = 200, headers = { count = {} } }", "expect.headers: count is empty"},
      {"{ status = 200, body = {} }", "expect: body is empty"},
      {"{ status = 200, interim = {} }", "interim is empty: for no interim response at all, say interim = 0"},
      {"{ status = 200, upstream = {} }", "expect.upstream is empty"},
      {"{ status = 200, upstream = { headers = { present = {} } } }", "expect.upstream.headers: present is empty"},
      {"{ status = 200, upstream_requests = {} }", "expect: upstream_requests is empty"},
      {"{ status = 200, upstream_requests = { { method = 'GET' }, {} } }", "expect.upstream_requests[2] is empty"},
      {"{ status = 200, log = {} }", "expect: log is empty"},
      {"{ status = 200, responses = {} }", "expect: responses is empty"},
      {"{ status = 200, responses = { { status = 200 }, {} } }", "expect.responses[2] is empty"},
      {"{ status = 200, responses = { { headers = { absent = {} } } } }", "expect.responses[1].headers: absent is empty"},
      {"{ 502, { status = 200, headers = { equal = {} } } }", "expect[2].headers: equal is empty"},
      {"{ status = 200, min_s = 3, max_s = 1 }", "min_s (3 s) is greater than max_s (1 s)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct expectation *e = read_expect(bad[i][0]);
    ck_assert_msg(e == NULL, "%s was read", bad[i][0]);
    ck_assert_msg(strstr(why, bad[i][1]) != NULL, "%s: '%s' does not say '%s'", bad[i][0], why, bad[i][1]);
  }
}
END_TEST

/* What stays valid: none of these is empty. */
START_TEST(test_read_not_empty) {
  static const char *const good[] = {
      "{ status = 200, interim = 0 }",                              /* no interim response: asserted */
      "{ status = 200, responses = { {}, { status = 200 } } }",     /* {} holds the first one's place */
      "{ status = 200, upstream_requests = { {}, { method = 'GET' } } }",
      "{ status = 200, min_s = 1, max_s = 1 }",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    struct expectation *e = read_expect(good[i]);
    ck_assert_msg(e != NULL, "%s: %s", good[i], why);
    expectation_free(e);
  }
  struct expectation *e = read_expect("{ status = 200, headers = { present = {} } }");
  ck_assert_ptr_null(e);
  ck_assert_msg(!strstr(why, "ctx"), "no ctx value was read unset, yet: %s", why);
}
END_TEST

/* A ctx value read but not set (the loader's list, scenario.c) is named when a table came
 * out empty: `present = { ctx.field }` without --set field=... */
START_TEST(test_read_empty_names_an_unset_ctx_value) {
  lua_State *L = luaL_newstate();
  lua_createtable(L, 1, 0);
  lua_pushstring(L, "field");
  lua_rawseti(L, -2, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, EXPECT_CTX_UNSET);
  ck_assert_int_eq(luaL_dostring(L, "return { status = 200, headers = { equal = { Via = nil } } }"), LUA_OK);
  struct expectation *e = expectation_read(L, -1, why, sizeof why);
  ck_assert_ptr_null(e);
  ck_assert_msg(strstr(why, "expect.headers: equal is empty: it asserts nothing; a ctx value that is not set "
                            "(badup run --set NAME=VALUE) leaves it empty, and this file read ctx.field, not set"),
                "%s", why);
  ck_assert_int_eq(lua_gettop(L), 1);
  lua_close(L);
}
END_TEST

/* `upstream = K` past the scenario's upstreams, more responses than requests. */
START_TEST(test_fits_the_scenario) {
  struct expectation *e = read_expect("{ status = 200, upstream = { upstream = 3 } }");
  ck_assert_ptr_nonnull(e);
  ck_assert(!expectation_fits(e, 2, 0, why, sizeof why));
  ck_assert_str_eq(why, "expect.upstream: upstream = 3, but the scenario has 2 upstreams (upstreams = N)");
  ck_assert(expectation_fits(e, 3, 0, why, sizeof why));
  expectation_free(e);
  e = read_expect("{ 502, { status = 200, upstream_requests = { {}, { upstream = 2 } } } }");
  ck_assert(!expectation_fits(e, 1, 0, why, sizeof why));
  ck_assert_str_eq(why, "expect[2].upstream_requests[2]: upstream = 2, but the scenario has 1 upstream (upstreams = N)");
  expectation_free(e);
  e = read_expect("{ status = 200, responses = { { status = 200 }, { status = 200 } } }");
  ck_assert(!expectation_fits(e, 1, 1, why, sizeof why));
  ck_assert_str_eq(why, "expect: responses lists 2 responses, but the client part sends 1 request");
  ck_assert(expectation_fits(e, 1, 2, why, sizeof why));
  ck_assert(expectation_fits(e, 1, 0, why, sizeof why)); /* no client part: not known here */
  expectation_free(e);
}
END_TEST

/* ---- every assertion kind, holding and failing ------------------------------------ */

START_TEST(test_status_and_reason) {
  check_one("{ status = 200 }", "status", true, "200", "200");
  check_one("{ status = 502 }", "status", false, "502", "200");
  check_one("{ status = 200, reason = 'OK' }", "reason", true, "'OK'", "'OK'");
  check_one("{ status = 200, reason = 'Fine' }", "reason", false, "'Fine'", "'OK'");
}
END_TEST

START_TEST(test_headers) {
  check_one("{ status = 200, headers = { present = {'via'} } }", "headers.present:via", true, "present", "'1.1 proxy'");
  check_one("{ status = 200, headers = { present = {'Age'} } }", "headers.present:Age", false, "present", "absent");
  check_one("{ status = 200, headers = { absent = {'Age'} } }", "headers.absent:Age", true, "absent", "absent");
  check_one("{ status = 200, headers = { absent = {'X-Badup-Hop'} } }", "headers.absent:X-Badup-Hop", false, "absent",
            "'1'");
  check_one("{ status = 200, headers = { equal = {['Content-Length'] = '5'} } }", "headers.equal:Content-Length", true,
            "'5'", "'5'");
  check_one("{ status = 200, headers = { equal = {['Content-Length'] = 6} } }", "headers.equal:Content-Length", false,
            "'6'", "'5'");
  check_one("{ status = 200, headers = { match = {Server = '^nginx'} } }", "headers.match:Server", true, "/^nginx/",
            "'nginx/1.22'");
  check_one("{ status = 200, headers = { match = {Server = '^Apache'} } }", "headers.match:Server", false,
            "/^Apache/", "'nginx/1.22'");
  check_one("{ status = 200, headers = { count = {Via = 1} } }", "headers.count:Via", true, "1", "1");
  check_one("{ status = 200, headers = { count = {Via = 2} } }", "headers.count:Via", false, "2", "1");
}
END_TEST

START_TEST(test_body) {
  check_one("{ status = 200, body = 'hello' }", "body.equal", true, "'hello'", "'hello'");
  check_one("{ status = 200, body = { equal = 'bye' } }", "body.equal", false, "'bye'", "'hello'");
  check_one("{ status = 200, body = { match = '^hel+o$' } }", "body.match", true, "/^hel+o$/", "'hello'");
  check_one("{ status = 200, body = { match = 'bye' } }", "body.match", false, "/bye/", "'hello'");
  check_one("{ status = 200, body = { length = 5 } }", "body.length", true, "5", "5");
  check_one("{ status = 200, body = { length = 0 } }", "body.length", false, "0", "5");
}
END_TEST

START_TEST(test_interim_and_connection) {
  check_one("{ status = 200, interim = {103} }", "interim", true, "103", "103");
  check_one("{ status = 200, interim = 0 }", "interim", false, "none", "103");
  check_one("{ status = 200, connection = 'kept' }", "connection", true, "kept", "kept");
  check_one("{ status = 200, connection = 'closed' }", "connection", false, "closed", "kept");
  seen.last_conn = SEEN_CONN_RESET; /* "closed" includes a reset */
  check_one("{ status = 200, connection = 'closed' }", "connection", true, "closed", "reset");
}
END_TEST

START_TEST(test_time_and_counts) {
  check_one("{ status = 200, min_s = 0.2 }", "min_s", true, ">= 0.200 s", "0.250 s");
  check_one("{ status = 200, min_s = 1 }", "min_s", false, ">= 1.000 s", "0.250 s");
  check_one("{ status = 200, max_s = 1 }", "max_s", true, "<= 1.000 s", "0.250 s");
  check_one("{ status = 200, max_s = 0.1 }", "max_s", false, "<= 0.100 s", "0.250 s");
  check_one("{ status = 200, attempts = 2 }", "attempts", true, "2", "2");
  check_one("{ status = 200, attempts = 1 }", "attempts", false, "1", "2");
  check_one("{ status = 200, connections = 2 }", "connections", true, "2", "2");
  in.connections = -1;
  check_one("{ status = 200, connections = 1 }", "connections", false, "1", "unknown");
}
END_TEST

START_TEST(test_upstream) {
  check_one("{ status = 200, upstream = { method = 'POST' } }", "upstream.method", true, "'POST'", "'POST'");
  check_one("{ status = 200, upstream = { target = '/y' } }", "upstream.target", false, "'/y'", "'/x'");
  check_one("{ status = 200, upstream = { version = 'HTTP/1.1' } }", "upstream.version", true, "'HTTP/1.1'",
            "'HTTP/1.1'");
  check_one("{ status = 200, upstream = { headers = { absent = {'content-length'} } } }",
            "upstream.headers.absent:content-length", false, "absent", "'5'");
  check_one("{ status = 200, upstream = { headers = { equal = {Via = '1.1 a'} } } }", "upstream.headers.equal:Via",
            true, "'1.1 a'", "'1.1 a'");
  check_one("{ status = 200, upstream = { body_length = 5 } }", "upstream.body_length", true, "5", "5");
  check_one("{ status = 200, upstream = { upstream = 2 } }", "upstream.upstream", false, "2", "1");
  check_one("{ status = 200, upstream_requests = { {}, { method = 'GET', upstream = 2 } } }",
            "upstream_requests[2].upstream", true, "2", "2");
  check_one("{ status = 200, upstream_requests = { {}, {}, { method = 'GET' } } }", "upstream_requests[3].method",
            false, "'GET'", "no request");
  in.requests_json = NULL;
  check_one("{ status = 200, upstream = { method = 'GET' } }", "upstream.method", false, "'GET'",
            "unknown (no record of the upstream's requests)");
}
END_TEST

START_TEST(test_log) {
  check_one("{ status = 200, log = { haproxy = 'SD--' } }", "log.haproxy", true, "/SD--/", "'be/s1 0/0/1/2/3 200 SD--'");
  check_one("{ status = 200, log = { haproxy = 'SH--' } }", "log.haproxy", false, "/SH--/", "'be/s1 0/0/1/2/3 200 SD--'");
  /* Another proxy's pattern is not this case's assertion. */
  eval("{ status = 200, log = { nginx = 'nothing' } }");
  ck_assert_uint_eq(rep.n, 1);
  ck_assert(rep.passed);
}
END_TEST

START_TEST(test_responses) {
  static const char *const none[] = {NULL};
  struct seen_response *second = respond(&seen, 404, "Not Found", none, "");
  second->complete = false; /* cut short: the client's outcome says how */
  in.outcome = "404+reset";
  check_one("{ status = '404+reset', responses = { { status = 200, reason = 'OK' }, { status = '404+reset' } } }",
            "responses[2].status", true, "404+reset", "404+reset");
  check_one("{ status = '404+reset', responses = { { status = 200, headers = { absent = {'Via'} } } } }",
            "responses[1].headers.absent:Via", false, "absent", "'1.1 proxy'");
  check_one("{ status = '404+reset', responses = { {}, {}, { status = 200 } } }", "responses[3].status", false, "200",
            "none");
  check_one("{ status = '404+reset', responses = { {}, {}, { reason = 'OK' } } }", "responses[3].reason", false,
            "'OK'", "no response");
}
END_TEST

START_TEST(test_no_response_at_all) {
  seen_free(&seen);
  memset(&seen, 0, sizeof seen);
  in.outcome = "closed";
  check_one("{ status = 'closed', headers = { present = {'Via'} } }", "headers.present:Via", false, "present",
            "no response");
  check_one("{ status = 'closed', headers = { absent = {'Via'} } }", "headers.absent:Via", false, "absent",
            "no response");
}
END_TEST

/* ---- alternatives and signatures -------------------------------------------------- */

START_TEST(test_alternatives) {
  in.outcome = "505";
  eval("{ 400, 505 }");
  ck_assert(rep.passed);
  ck_assert_uint_eq(rep.alternative, 1);
  ck_assert_str_eq(sig, "505");
  in.outcome = "502";
  eval("{ 400, 505 }");
  ck_assert(!rep.passed);
  ck_assert_uint_eq(rep.alternative, 0); /* none matches its status: the first */
  ck_assert_str_eq(sig, "502");          /* the status is not in it: the word says it */
  in.outcome = "200";
  /* The second holds: reported, though the first's status matches too. */
  eval("{ { status = 200, headers = { absent = {'Via'} } }, { status = 200, headers = { present = {'Via'} } } }");
  ck_assert(rep.passed);
  ck_assert_uint_eq(rep.alternative, 1);
  ck_assert_str_eq(sig, "200");
  /* None holds: the first whose status matches is reported. */
  eval("{ 400, { status = 200, headers = { absent = {'Via'} } }, { status = 200, connection = 'closed' } }");
  ck_assert(!rep.passed);
  ck_assert_uint_eq(rep.alternative, 1);
  ck_assert_str_eq(sig, "200 !headers.absent:Via");
  /* A note names the one that held, and only when one held. */
  eval("{ { status = 200, connection = 'closed', note = 'closed' }, { status = 200, note = 'kept' } }");
  ck_assert_str_eq(sig, "200 =kept");
  eval("{ { status = 200, connection = 'closed', note = 'closed' } }");
  ck_assert_str_eq(sig, "200 !connection");
}
END_TEST

START_TEST(test_signature) {
  eval("{ status = 200, headers = { absent = {'X-Badup-Hop'}, present = {'Via'} }, connection = 'closed',"
       " body = { length = 5 } }");
  ck_assert(!rep.passed);
  /* present before absent, in the order of expect_eval.h */
  ck_assert_str_eq(sig, "200 !headers.absent:X-Badup-Hop !connection");
  ck_assert_uint_eq(rep.failed, 2);
}
END_TEST

START_TEST(test_failed_list) {
  eval("{ status = 200, headers = { absent = {'X-Badup-Hop'} }, connection = 'closed' }");
  char list[512];
  expect_failed_list(&rep, list, sizeof list);
  ck_assert_str_eq(list, "headers.absent:X-Badup-Hop: expected absent, got '1'; connection: expected closed, got kept");
}
END_TEST

START_TEST(test_a_long_signature_is_cut) {
  char expect[4096] = "{ status = 200, headers = { present = {";
  for (int i = 0; i < 40; i++)
    snprintf(expect + strlen(expect), sizeof expect - strlen(expect), "%s'X-Missing-Field-%02d'", i ? "," : "", i);
  strcat(expect, "} } }");
  eval(expect);
  ck_assert_uint_lt(strlen(sig), EXPECT_SIGNATURE_MAX);
  ck_assert_ptr_nonnull(strstr(sig, " !..."));
  ck_assert_uint_eq(rep.n, EXPECT_ASSERTIONS_MAX);
  ck_assert_uint_eq(rep.failed, 40);
}
END_TEST

/* ---- the reference and the verdict ------------------------------------------------- */

START_TEST(test_reference_round_trip) {
  char *dir = uu_mkdtemp();
  const char *signature = "200 !headers.absent:X-Badup-Hop !upstream_requests[2].headers.equal:Via";
  struct reference_record rec = {.scenario = "hop", .got = signature, .seen = {signature}, .nseen = 1,
                                 .expect = "200", .elapsed_ms = 1, .case_ms = 2, .upstream_attempts = 1,
                                 .proxy_log = "", .digest = "0123456789abcdef"};
  ck_assert_int_eq(reference_update(dir, "haproxy", "2.6", "/usr/sbin/haproxy", &rec, 1), 0);
  char err[256];
  struct reference *ref = reference_load(dir, "haproxy", err, sizeof err);
  ck_assert_msg(ref != NULL, "%s", err);
  struct reference_record back;
  ck_assert(reference_lookup(ref, "2.6", "hop", &back));
  ck_assert_str_eq(back.got, signature);
  ck_assert(reference_record_seen(&back, signature));
  ck_assert(!reference_record_seen(&back, "200"));
  reference_free(ref);
  uu_rmtree(dir);
}
END_TEST

START_TEST(test_verdicts) {
  static struct proxy_def px = {.name = "haproxy", .version = "2.6"};
  static struct scenario scn;
  static struct row row;
  memset(&scn, 0, sizeof scn);
  memset(&row, 0, sizeof row);
  scn.name = "hop";
  scn.kind = SCENARIO_STATIC;
  scn.check_min_s = scn.check_max_s = -1;
  scn.check_attempts = -1;
  scn.expectation = read_expect("{ status = 200, headers = { absent = {'X-Badup-Hop'} } }");
  scn.expect = "200";
  row.proxy = &px;
  row.scn = &scn;
  row.repeat = 1;
  row.r.ran = true;
  row.r.attempts = row.r.upstream_connections = 1;
  in.outcome = "200";
  expect_evaluate(scn.expectation, &in, &row.r.expect, row.r.got, sizeof row.r.got);
  ck_assert_str_eq(row.r.got, "200 !headers.absent:X-Badup-Hop");
  verdict_judge(&row, NULL);
  ck_assert_str_eq(verdict_word(row.verdict), "fail");
  ck_assert_msg(strstr(row.reason, "headers.absent:X-Badup-Hop: expected absent, got '1'") == row.reason, "%s",
                row.reason);
  /* Recorded: the same signature deviates. */
  const char *text = "{\"proxy\":\"haproxy\",\"versions\":{\"2.6\":{\"scenarios\":{\"hop\":{\"got\":\"200 "
                     "!headers.absent:X-Badup-Hop\",\"seen\":[\"200 !headers.absent:X-Badup-Hop\"]}}}}}";
  struct reference *ref = reference_parse(text);
  ck_assert_ptr_nonnull(ref);
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "deviates");
  ck_assert_ptr_nonnull(strstr(row.reason, "expected absent, got '1'"));
  /* The proxy drops the field: the alternative holds; but with no attempt, no pass. */
  row.r.attempts = row.r.upstream_connections = 0;
  seen.responses[0].fields[3].name[0] = 'Y';
  expect_evaluate(scn.expectation, &in, &row.r.expect, row.r.got, sizeof row.r.got);
  ck_assert_str_eq(row.r.got, "200");
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "fail"); /* 0 attempts: the proxy answered by itself */
  /* The reason says that is why, and what to do if it is right; not that the config may
   * send the request elsewhere (the alternative held: the proxy answered). */
  ck_assert_msg(strstr(row.reason, "the proxy answered 200 by itself (0 upstream attempts); add attempts = 0 (or "
                                   "connections = 0) to the alternative if that is right") == row.reason,
                "%s", row.reason);
  ck_assert_msg(!strstr(row.reason, "does the config send it"), "%s", row.reason);
  row.r.attempts = row.r.upstream_connections = 1;
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "pass");
  expectation_free(scn.expectation);
  scn.expectation = read_expect("{ status = 200, attempts = 0 }");
  row.r.attempts = in.attempts = 0;
  expect_evaluate(scn.expectation, &in, &row.r.expect, row.r.got, sizeof row.r.got);
  verdict_judge(&row, ref);
  ck_assert_str_eq(verdict_word(row.verdict), "pass"); /* the table's attempts = 0 decides */
  reference_free(ref);
  expectation_free(scn.expectation);
}
END_TEST

START_TEST(test_an_unstable_cell_names_whole_signatures) {
  static struct proxy_def px = {.name = "haproxy", .version = "2.6"};
  static struct scenario scn = {.name = "hop", .expect = "200"};
  static struct row row;
  memset(&row, 0, sizeof row);
  row.proxy = &px;
  row.scn = &scn;
  row.repeat = 3;
  row.verdict = VERDICT_UNSTABLE;
  snprintf(row.alternatives, sizeof row.alternatives, "200 !connection x2, 502 x1");
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  results_table(f, &row, 1, false);
  fclose(f);
  ck_assert_msg(strstr(text, "200 !connection|502 ?") != NULL, "%s", text);
  free(text);
}
END_TEST

/* ---- upstream_closed: the JSON text of GET /events ---------------------------------- */

#define EVREC(id, end, events, more)                                                                                     \
  "{\"id\":" #id ",\"start_unix_ms\":1000000,\"peer\":\"127.0.0.1:5\",\"scenario\":\"x\",\"upstream\":1,"   \
  "\"requests\":1,\"end\":\"" end "\",\"dropped_events\":0,\"events\":[{\"t_ms\":0.1,\"what\":\"accept\"},"  \
  "{\"t_ms\":1.5,\"what\":\"request\",\"detail\":\"GET /x\"}" events "]" more "}"
/* The proxy's FIN at 0.31 s; the upstream's own close at 3.2 s; one still open; the proxy's
 * FIN while the plan wrote (0.5 s), then a failed write (peer_reset at 0.9 s). */
#define EV_PROXY_FIN                                                                                               \
  EVREC(1, "peer_fin", ",{\"t_ms\":310.5,\"what\":\"peer_fin\"},{\"t_ms\":310.6,\"what\":\"close\",\"detail\":\"peer_fin\"}", "")
#define EV_UPSTREAM_FIN EVREC(2, "fin", ",{\"t_ms\":3200,\"what\":\"close\",\"detail\":\"fin\"}", "")
#define EV_OPEN EVREC(3, "open", "", ",\"state\":\"stalled\"")
#define EV_WRITE_FAILED                                                                                            \
  EVREC(4, "peer_reset",                                                                                           \
        ",{\"t_ms\":500,\"what\":\"peer_fin\"},{\"t_ms\":900,\"what\":\"close\",\"detail\":\"peer_reset\"}", "")

START_TEST(test_upstream_closed) {
  static const char *const proxy = "connection 1 closed by the proxy (peer_fin) at 0.31 s";
  static const char *const every = "every upstream connection closed by the proxy";
  static const char *const one = "an upstream connection not closed by the proxy";
  in.events_json = "[" EV_PROXY_FIN "]";
  check_one("{ status = 200, upstream_closed = true }", "upstream_closed", true, every, proxy);
  check_one("{ status = 200, upstream_closed = false }", "upstream_closed", false, one, proxy);
  check_one("{ status = 200, upstream_closed = true, upstream_closed_s = 1 }", "upstream_closed_s", true,
            "closed by the proxy within 1 s of its accept", proxy);
  check_one("{ status = 200, upstream_closed = true, upstream_closed_s = 0.25 }", "upstream_closed_s", false,
            "closed by the proxy within 0.25 s of its accept", proxy);
  ck_assert_str_eq(sig, "200 !upstream_closed_s");
  /* Every one the proxy's: the latest says how soon; a failed write after its FIN counts from the FIN. */
  in.events_json = "[" EV_PROXY_FIN "," EV_WRITE_FAILED "]";
  check_one("{ status = 200, upstream_closed = true, upstream_closed_s = 0.6 }", "upstream_closed_s", true,
            "closed by the proxy within 0.6 s of its accept",
            "connection 4 closed by the proxy (peer_reset) at 0.50 s");
  ck_assert_str_eq(find("upstream_closed")->got, "connection 4 closed by the proxy (peer_reset) at 0.50 s, the last of 2");
  /* One the upstream ended: true fails, and so does the time; false holds. */
  in.events_json = "[" EV_PROXY_FIN "," EV_UPSTREAM_FIN "]";
  static const char *const upstream = "connection 2 ended by the upstream (fin) at 3.20 s";
  check_one("{ status = 200, upstream_closed = true }", "upstream_closed", false, every, upstream);
  ck_assert_str_eq(sig, "200 !upstream_closed");
  check_one("{ status = 200, upstream_closed = false }", "upstream_closed", true, one, upstream);
  check_one("{ status = 200, upstream_closed = true, upstream_closed_s = 5 }", "upstream_closed_s", false,
            "closed by the proxy within 5 s of its accept", upstream);
  in.events_json = "[" EV_UPSTREAM_FIN "," EV_OPEN "]";
  check_one("{ status = 200, upstream_closed = true }", "upstream_closed", false, every,
            "connection 2 ended by the upstream (fin) at 3.20 s (and 1 more)");
  in.events_json = "[" EV_OPEN "]";
  check_one("{ status = 200, upstream_closed = false }", "upstream_closed", true, one, "connection 3 still open (stalled)");
  /* A FIN that came once the proxy was being stopped is no close of its own. */
  in.events_json = "[" EV_PROXY_FIN "]";
  in.proxy_stop_unix_ms = 1000000 + 300;
  check_one("{ status = 200, upstream_closed = true }", "upstream_closed", false, every,
            "connection 1 held by the proxy until it was stopped (peer_fin at 0.31 s)");
  in.proxy_stop_unix_ms = 1000000 + 311;
  check_one("{ status = 200, upstream_closed = true }", "upstream_closed", true, every, proxy);
  /* Nothing to say it by. */
  in.events_json = "[]";
  check_one("{ status = 200, upstream_closed = true }", "upstream_closed", false, every, "no upstream connection");
  check_one("{ status = 200, upstream_closed = false }", "upstream_closed", false, one, "no upstream connection");
  in.events_json = NULL;
  check_one("{ status = 200, upstream_closed = true, upstream_closed_s = 1 }", "upstream_closed_s", false,
            "closed by the proxy within 1 s of its accept", "unknown (no record of the upstream's connections)");
  /* The harness's wait: how many are still open. */
  ck_assert_int_eq(expect_events_open("[" EV_OPEN "," EV_PROXY_FIN "]"), 1);
  ck_assert_int_eq(expect_events_open("[" EV_PROXY_FIN "]"), 0);
  ck_assert_int_eq(expect_events_open("not json"), -1);
  ck_assert_int_eq(expect_events_open(NULL), -1);
}
END_TEST

/* upstream_closed_s needs each connection's close: a record full of events still gets it. */
START_TEST(test_a_full_record_keeps_its_close) {
  struct conn_record r = {0};
  for (uint32_t i = 0; i < EVENTS_PER_CONN + 10; i++) conn_record_add(&r, i, EV_STEP, "dribble", 7);
  conn_record_add(&r, 5000000, EV_CLOSE, "peer_fin", 8);
  ck_assert_uint_eq(r.nevents, EVENTS_PER_CONN);
  ck_assert_uint_eq(r.dropped, 11); /* the 10 that did not fit, and the one the close took */
  ck_assert_int_eq(r.events[EVENTS_PER_CONN - 1].kind, EV_CLOSE);
  ck_assert_uint_eq(r.events[EVENTS_PER_CONN - 1].t_us, 5000000);
  ck_assert_uint_eq(r.events[EVENTS_PER_CONN - 2].t_us, EVENTS_PER_CONN - 2);
  conn_record_free(&r);
}
END_TEST

START_TEST(test_upstream_closed_read) {
  struct expectation *e = read_expect("{ 502, { status = 'closed', upstream_closed = true, upstream_closed_s = 1.5 } }");
  ck_assert_msg(e != NULL, "%s", why);
  ck_assert_int_eq(e->alt[0].upstream_closed, EXPECT_UPCLOSED_ANY);
  ck_assert(e->alt[0].upstream_closed_s < 0);
  ck_assert_int_eq(e->alt[1].upstream_closed, EXPECT_UPCLOSED_TRUE);
  ck_assert(e->alt[1].upstream_closed_s == 1.5);
  ck_assert(expectation_asks_upstream_closed(e));
  expectation_free(e);
  e = read_expect("{ status = 200, upstream_closed = false }");
  ck_assert_int_eq(e->alt[0].upstream_closed, EXPECT_UPCLOSED_FALSE);
  ck_assert(e->alt[0].upstream_closed_s < 0);
  expectation_free(e);
  e = read_expect("{ status = 200, connections = 1 }");
  ck_assert(!expectation_asks_upstream_closed(e));
  expectation_free(e);
  static const char *const bad[][2] = {
      {"{ status = 200, upstream_closed = 'yes' }", "upstream_closed must be true"},
      {"{ status = 200, upstream_closed = 1 }", "got number"},
      {"{ status = 200, upstream_closed_s = 1 }", "upstream_closed_s (how soon the proxy closed them) needs upstream_closed = true"},
      {"{ status = 200, upstream_closed = false, upstream_closed_s = 1 }", "needs upstream_closed = true"},
      {"{ status = 200, upstream_closed = true, upstream_closed_s = -1 }", "upstream_closed_s must be a non-negative number"},
      {"{ status = 200, upstream_closed = true, upstream_closed_s = 'soon' }", "upstream_closed_s must be a non-negative"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    e = read_expect(bad[i][0]);
    ck_assert_msg(e == NULL, "%s was read", bad[i][0]);
    ck_assert_msg(strstr(why, bad[i][1]) != NULL, "%s: '%s' does not say '%s'", bad[i][0], why, bad[i][1]);
  }
}
END_TEST

static Suite *expect_suite(void) {
  Suite *s = suite_create("expect");
  TCase *tc = tcase_create("read");
  tcase_add_test(tc, test_read_every_field);
  tcase_add_test(tc, test_read_errors);
  tcase_add_test(tc, test_read_not_empty);
  tcase_add_test(tc, test_read_empty_names_an_unset_ctx_value);
  tcase_add_test(tc, test_fits_the_scenario);
  tcase_add_test(tc, test_upstream_closed_read);
  tcase_add_test(tc, test_a_full_record_keeps_its_close);
  suite_add_tcase(s, tc);
  tc = tcase_create("evaluate");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_status_and_reason);
  tcase_add_test(tc, test_headers);
  tcase_add_test(tc, test_body);
  tcase_add_test(tc, test_interim_and_connection);
  tcase_add_test(tc, test_time_and_counts);
  tcase_add_test(tc, test_upstream);
  tcase_add_test(tc, test_upstream_closed);
  tcase_add_test(tc, test_log);
  tcase_add_test(tc, test_responses);
  tcase_add_test(tc, test_no_response_at_all);
  tcase_add_test(tc, test_alternatives);
  tcase_add_test(tc, test_signature);
  tcase_add_test(tc, test_failed_list);
  tcase_add_test(tc, test_a_long_signature_is_cut);
  tcase_add_test(tc, test_reference_round_trip);
  tcase_add_test(tc, test_verdicts);
  tcase_add_test(tc, test_an_unstable_cell_names_whole_signatures);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(expect_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
