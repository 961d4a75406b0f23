/* test_client_part.c: a scenario's client part: request{} and scenario{}'s client list as
 * scenario_load converts them (client_part.h), the bytes client_build makes of them with a
 * run's placeholders, load errors at the request's line, and what resp_reader keeps in a
 * struct seen of the responses that come back (seen.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_build.h"
#include "client_part.h"
#include "resp_reader.h"
#include "scenario.h"
#include "unit_util.h"

#define ASSERT_HAS(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))

static char *dir;
static struct scenario scn;
static bool loaded;
static struct buf err;

static void setup(void) { dir = uu_mkdtemp(); }

static void teardown(void) {
  if (loaded) scenario_unload(&scn);
  loaded = false;
  buf_free(&err);
  uu_rmtree(dir);
}

/* Loads a scenario whose client list is `client`; returns scenario_load's result. */
static int load(const char *client) {
  char text[4096];
  snprintf(text, sizeof text,
           "return scenario {\n  summary = 's', expect = 200, upstreams = 2,\n  plan = { rxreq(), close() },\n"
           "  client = {\n%s\n  },\n}\n",
           client);
  char *path = uu_write_temp(dir, "client", text);
  struct scenario_opts o = {0};
  err.len = 0;
  int rc = scenario_load(&scn, path, &o, &err);
  loaded = rc == 0;
  free(path);
  return rc;
}

static const char *build(size_t i, struct buf *head, struct buf *body) {
  static char why[256];
  struct client_vars v = {.proxy = "127.0.0.1:8080", .upstreams = {"127.0.0.1:9001", "127.0.0.1:9002"},
                          .scenario = "sc"};
  head->len = body->len = 0;
  if (client_build(&scn.client->requests[i], (int)i + 1, &v, head, body, why, sizeof why) != 0) return why;
  buf_cstr(head);
  buf_cstr(body);
  return NULL;
}

START_TEST(test_converted_fields) {
  ck_assert_int_eq(load("    request { method = 'POST', body = 'hello', headers = { 'X-A: 1' },\n"
                        "      pace = { bytes = 2, every = 0.25 }, expect_100 = 1.5 },\n"
                        "    request { raw = 'GET / HTTP/1.1\\r\\n\\r\\n', abort = { at = 'body_bytes', bytes = 7, how = 'reset' } },\n"
                        "    request { connection = 'pipelined' },\n"
                        "    request { connection = 'new', send_body_bytes = 0 }, request(),\n"
                        "    request { connection = 'new', wait = { barrier = 'go', s = 2 }, abort = { at = 'barrier', barrier = 'b1' } },"),
                   0);
  ck_assert_ptr_nonnull(scn.client);
  ck_assert_uint_eq(scn.client->n, 6);
  ck_assert_str_eq(scn.client->requests[4].method, "GET");
  ck_assert_int_eq(scn.client->requests[4].connection, CLIENT_CONN_SAME);
  const struct client_request *q = scn.client->requests;
  ck_assert_int_eq(q[0].line, 5);
  ck_assert_str_eq(q[0].method, "POST");
  ck_assert_ptr_null(q[0].target);
  ck_assert_uint_eq(q[0].body.len, 5);
  ck_assert_uint_eq(q[0].pace_bytes, 2);
  ck_assert(q[0].pace_every == 0.25 && q[0].expect_100 == 1.5);
  ck_assert_int_eq(q[0].connection, CLIENT_CONN_NEW);
  ck_assert_int_eq(q[1].connection, CLIENT_CONN_SAME);
  ck_assert_uint_eq(q[1].raw.len, 18);
  ck_assert_int_eq(q[1].abort.at, CLIENT_ABORT_BODY_BYTES);
  ck_assert_uint_eq(q[1].abort.bytes, 7);
  ck_assert(q[1].abort.reset);
  ck_assert_int_eq(q[2].connection, CLIENT_CONN_PIPELINED);
  ck_assert_int_eq(q[2].send_body_bytes, -1);
  ck_assert_int_eq(q[3].send_body_bytes, 0);
  ck_assert_int_eq(q[5].connection, CLIENT_CONN_NEW);
  ck_assert_str_eq(q[5].wait.barrier, "go");
  ck_assert(q[5].wait.s == 2);
  ck_assert_str_eq(q[5].abort.barrier, "b1");
  ck_assert(!q[5].abort.reset);
}
END_TEST

START_TEST(test_built_bytes) {
  ck_assert_int_eq(load("    request { method = 'POST', body = 'hello', target = '/${scenario}/${n}?u=${upstream2}',\n"
                        "      headers = { Zed = 'z', Alpha = 'a', { 'X-P', '${proxy}' } } },\n"
                        "    request { method = 'PUT', chunks = { 'ab', '', 'c' }, host = false },\n"
                        "    request { headers = { 'content-length: 3' }, body = 'abc', expect_100 = 1 },\n"
                        "    request { method = 'DELETE', length = 9, version = 'HTTP/1.0' },"),
                   0);
  struct buf head = {0}, body = {0};
  ck_assert_ptr_null(build(0, &head, &body));
  ck_assert_str_eq(head.data, "POST /sc/1?u=127.0.0.1:9002 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-P: 127.0.0.1:8080\r\n"
                              "Alpha: a\r\nZed: z\r\nContent-Length: 5\r\n\r\n");
  ck_assert_str_eq(body.data, "hello");
  ck_assert_ptr_null(build(1, &head, &body));
  ck_assert_str_eq(head.data, "PUT /sc/2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  ck_assert_str_eq(body.data, "2\r\nab\r\n1\r\nc\r\n0\r\n\r\n");
  ck_assert_ptr_null(build(2, &head, &body));
  ck_assert_str_eq(head.data, "GET /sc/3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\ncontent-length: 3\r\nExpect: 100-continue\r\n\r\n");
  ck_assert_ptr_null(build(3, &head, &body));
  ck_assert_str_eq(head.data, "DELETE /sc/4 HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nContent-Length: 9\r\n\r\n");
  ck_assert_uint_eq(body.len, 0);
  buf_free(&head);
  buf_free(&body);
}
END_TEST

/* ${upstream8} in a scenario with 8 upstreams, run with fewer addresses (badup client
 * without --upstream): the request is not built. */
/* forward = { auth = true }: read into the scenario; the proxy placeholders take the case's
 * credentials, and have no value in a run without them. */
START_TEST(test_forward_and_proxy_credentials) {
  char *path = uu_write_temp(dir, "fwd",
                             "return scenario { summary = 's', expect = 200, forward = { auth = true }, plan = { close() },\n"
                             "  client = { request { method = 'CONNECT', target = '${upstream}',\n"
                             "    headers = { 'Proxy-Authorization: Basic ${proxy_credentials}', 'X-U: ${proxy_user}:${proxy_password}' } } } }");
  struct scenario_opts o = {0};
  ck_assert_int_eq(scenario_load(&scn, path, &o, &err), 0);
  loaded = true;
  free(path);
  ck_assert(scn.forward);
  ck_assert(scn.forward_auth);
  struct buf head = {0}, body = {0};
  char why[256];
  struct client_vars v = {.proxy = "127.0.0.1:8080", .upstreams = {"127.0.0.1:9001"}, .scenario = "fwd", .forward = true};
  ck_assert_int_ne(client_build(&scn.client->requests[0], 1, &v, &head, &body, why, sizeof why), 0);
  ASSERT_HAS(why, "${proxy_credentials} has no value");
  head.len = 0;
  v.proxy_user = "u", v.proxy_password = "p", v.proxy_credentials = "dTpw";
  ck_assert_int_eq(client_build(&scn.client->requests[0], 1, &v, &head, &body, why, sizeof why), 0);
  ck_assert_str_eq(buf_cstr(&head), "CONNECT 127.0.0.1:9001 HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n"
                                    "Proxy-Authorization: Basic dTpw\r\nX-U: u:p\r\n\r\n");
  buf_free(&head);
  buf_free(&body);
}
END_TEST

START_TEST(test_placeholder_without_value) {
  char *path = uu_write_temp(dir, "eight",
                             "return scenario { summary = 's', expect = 200, upstreams = 8, plan = { close() },\n"
                             "  client = { request { target = '/${upstream8}' } } }");
  struct scenario_opts o = {0};
  ck_assert_int_eq(scenario_load(&scn, path, &o, &err), 0);
  loaded = true;
  free(path);
  struct buf head = {0}, body = {0};
  const char *why = build(0, &head, &body);
  ck_assert_ptr_nonnull(why);
  ASSERT_HAS(why, "${upstream8} has no value");
  buf_free(&head);
  buf_free(&body);
}
END_TEST

START_TEST(test_errors_name_the_line) {
  static const struct {
    const char *client, *line, *why;
  } cases[] = {
      {"    request { bogus = 1 },", ":5: ", "request{}: unknown field 'bogus'"},
      {"    request { },\n    request { },\n    request { connection = 'pipelined', wait = { barrier = 'x' } },", ":7: ",
       "client request 3: wait cannot be used on a pipelined request"},
      {"    request { pace = { bytes = 2, every = 0.1 } },\n    request { connection = 'pipelined' },", ":5: ",
       "client request 1: pace cannot be used"},
      {"    request { abort = { at = 'sent', bytes = 3 } },", ":5: ", "abort.bytes is only for at = \"body_bytes\""},
      {"    request { chunks = { 'a' }, body = 'b' },", ":5: ", "body and chunks both give the body"},
      {"    request { expect_100 = 0 },", ":5: ", "expect_100 must be more than 0 and at most 86400 seconds"},
      {"    request { wait = { barrier = 'b', s = 0 } },", ":5: ", "wait.s must be more than 0 and at most 86400 seconds"},
      {"    request { pace = { bytes = 1, every = 90000 } },", ":5: ",
       "pace.every must be more than 0 and at most 86400 seconds"},
      {"    request { abort = { at = 'time', after_s = -1 } },", ":5: ", "abort.after_s must be between 0 and 86400 seconds"},
      /* a placeholder naming an upstream the scenario does not have: at load, not per case */
      {"    request { target = '/${upstream3}' },", ":5: ",
       "client request 1: ${upstream3} names upstream 3, and the scenario has 2"},
      {"    request { },\n    request { headers = { 'X-U: ${upstream2}${upstream4}' } },", ":6: ",
       "client request 2: ${upstream4} names upstream 4, and the scenario has 2"},
      /* send_body_bytes past the body would hold nothing back */
      {"    request { method = 'POST', body = 'abc', send_body_bytes = 4 },", ":5: ",
       "send_body_bytes is 4, more than the body's 3 bytes"},
      {"    request { method = 'POST', chunks = { 'ab' }, send_body_bytes = 13 },", ":5: ",
       "send_body_bytes is 13, more than the body's 12 bytes"},
      {"    request { send_body_bytes = 1 },", ":5: ", "send_body_bytes is 1, more than the body's 0 bytes"},
      {"    'GET / HTTP/1.1',", ":", "client item 1 is not a request{...}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ck_assert_int_eq(load(cases[i].client), -1);
    const char *msg = buf_cstr(&err);
    ASSERT_HAS(msg, cases[i].line);
    ASSERT_HAS(msg, cases[i].why);
  }
  /* client with client_request or requests: one client only */
  char *path = uu_write_temp(dir, "both",
                             "return scenario { summary = 's', expect = 200, plan = { close() },\n"
                             "  client_request = 'x', client = { request{} } }");
  struct scenario_opts o = {0};
  err.len = 0;
  ck_assert_int_eq(scenario_load(&scn, path, &o, &err), -1);
  ASSERT_HAS(buf_cstr(&err), "client replaces client_request and requests");
  free(path);
}
END_TEST

/* ---- what resp_reader keeps ---------------------------------------------------------- */

START_TEST(test_reader_keeps_every_response) {
  struct client_result r = {0};
  struct seen s = {0};
  struct resp_reader x;
  resp_reader_init(&x);
  x.r = &r;
  x.seen = &s;
  x.last_request = 1;
  x.connection = 0;
  static const char req[] = "GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n";
  ck_assert_int_eq(resp_reader_expect_bytes(&x, 0, req, sizeof req - 1), 2);
  static const char resp[] = "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
                             "HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\nX-A:  one \r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                             "HTTP/1.0 404 Not Found\r\nContent-Length: 99\r\n\r\n";
  /* byte by byte: framing must not depend on how the bytes arrive */
  int rc = 0;
  for (size_t i = 0; i < sizeof resp - 1 && rc == 0; i++) rc = resp_reader_feed(&x, resp + i, 1);
  ck_assert_int_eq(rc, 1);
  ck_assert_uint_eq(s.nresponses, 2);
  const struct seen_response *a = &s.responses[0], *b = &s.responses[1];
  ck_assert_int_eq(a->status, 200);
  ck_assert_str_eq(a->reason, "Fine");
  ck_assert_str_eq(a->version, "HTTP/1.1");
  ck_assert_int_eq(a->ninterim, 1);
  ck_assert_int_eq(a->interim[0], 103);
  ck_assert_str_eq(seen_field(a, "x-a", NULL), "one");
  ck_assert_uint_eq(a->body_bytes, 3);
  ck_assert_str_eq(a->body, "abc");
  ck_assert(a->head_complete && a->complete);
  ck_assert_int_eq(a->request, 0);
  ck_assert_int_eq(b->request, 1);
  ck_assert_int_eq(b->status, 404);
  ck_assert_str_eq(b->version, "HTTP/1.0");
  ck_assert(b->complete); /* a response to HEAD ends with its head */
  ck_assert_uint_eq(b->body_bytes, 0);
  /* the outcome's facts are about the last request only */
  ck_assert_int_eq(r.status, 404);
  ck_assert_int_eq(r.interim, 0);
  ck_assert(x.closing); /* HTTP/1.0 without keep-alive */
  resp_reader_free(&x);
  seen_free(&s);
}
END_TEST

static Suite *client_part_suite(void) {
  Suite *s = suite_create("client_part");
  TCase *t = tcase_create("load");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_add_test(t, test_converted_fields);
  tcase_add_test(t, test_built_bytes);
  tcase_add_test(t, test_placeholder_without_value);
  tcase_add_test(t, test_forward_and_proxy_credentials);
  tcase_add_test(t, test_errors_name_the_line);
  tcase_add_test(t, test_reader_keeps_every_response);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(client_part_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
