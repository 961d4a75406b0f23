/* test_received.c: what the upstreams received (received.h), and scenarios with several
 * upstreams (scenario_upstream, req.upstream). Requests are filled by hand the way
 * conn_parse.c's callbacks fill them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "received.h"
#include "scenario.h"
#include "unit_util.h"

static struct received_log rlog;
static struct request req;

static void fill(const char *method, const char *target) {
  request_reset(&req);
  snprintf(req.method, sizeof req.method, "%s", method);
  buf_puts(&req.target, target);
  req.http_major = 1;
  req.http_minor = 1;
  req.conn_id = 7;
  req.conn_seq = 2;
  req.body_cap = RECEIVED_BODY_KEPT;
  /* a field in two pieces, as http-parser may deliver it */
  request_add_field(&req, "Ho", 2);
  request_add_field(&req, "st", 2);
  request_add_value(&req, "up", 2);
  request_add_field(&req, "x-Odd", 5);
  request_add_value(&req, "1", 1);
}

static void setup(void) {
  received_init(&rlog);
  memset(&req, 0, sizeof req);
}

static void teardown(void) {
  received_destroy(&rlog);
  request_free(&req);
}

static json_t *all(int upstream) {
  json_t *a = received_json(&rlog, RECEIVED_CAP, upstream);
  ck_assert_ptr_nonnull(a);
  return a;
}

START_TEST(test_head_then_body) {
  fill("POST", "/x?y=1");
  uint64_t id = received_head(&rlog, &req, 2, "scn");
  ck_assert_uint_eq(id, 1);
  json_t *a = all(0);
  ck_assert_uint_eq(json_array_size(a), 1);
  json_t *o = json_array_get(a, 0);
  /* Before its end the request is there, not complete, with no body yet. */
  ck_assert(json_is_false(json_object_get(o, "complete")));
  ck_assert_int_eq(json_integer_value(json_object_get(o, "body_length")), 0);
  json_decref(a);
  request_add_body(&req, "hel", 3);
  request_add_body(&req, "lo", 2);
  received_body(&rlog, id, &req, true);
  a = all(0);
  o = json_array_get(a, 0);
  char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  ck_assert_str_eq(text, "{\"upstream\":2,\"conn\":7,\"seq\":2,\"scenario\":\"scn\",\"method\":\"POST\",\"target\":\"/x?y=1\","
                         "\"version\":\"HTTP/1.1\",\"headers\":[[\"Host\",\"up\"],[\"x-Odd\",\"1\"]],\"body_length\":5,"
                         "\"body\":\"hello\",\"body_truncated\":false,\"complete\":true}");
  free(text);
  json_decref(a);
}
END_TEST

START_TEST(test_body_kept_and_counted) {
  fill("PUT", "/big");
  uint64_t id = received_head(&rlog, &req, 1, "scn");
  char chunk[1000];
  memset(chunk, 'z', sizeof chunk);
  for (int i = 0; i < 10; i++) request_add_body(&req, chunk, sizeof chunk);
  received_body(&rlog, id, &req, false);
  json_t *a = all(0);
  json_t *o = json_array_get(a, 0);
  ck_assert_int_eq(json_integer_value(json_object_get(o, "body_length")), 10000);
  ck_assert_uint_eq(json_string_length(json_object_get(o, "body")), RECEIVED_BODY_KEPT);
  ck_assert(json_is_true(json_object_get(o, "body_truncated")));
  ck_assert(json_is_false(json_object_get(o, "complete")));
  json_decref(a);
}
END_TEST

START_TEST(test_not_utf8) {
  fill("POST", "/\xff");
  uint64_t id = received_head(&rlog, &req, 1, "scn");
  request_add_body(&req, "a\xc3\x28z", 4); /* a bad two-byte sequence */
  received_body(&rlog, id, &req, true);
  json_t *a = all(0);
  json_t *o = json_array_get(a, 0);
  ck_assert_str_eq(json_string_value(json_object_get(o, "target")), "/\xef\xbf\xbd");
  ck_assert_str_eq(json_string_value(json_object_get(o, "body")), "a\xef\xbf\xbd(z");
  ck_assert_str_eq(json_string_value(json_object_get(o, "body_base64")), "YcMoeg==");
  json_decref(a);
}
END_TEST

START_TEST(test_ring_keeps_the_newest) {
  uint64_t first = 0, id = 0;
  for (int i = 0; i < RECEIVED_CAP + 5; i++) {
    char t[32];
    snprintf(t, sizeof t, "/%d", i);
    fill("GET", t);
    id = received_head(&rlog, &req, 1 + i % 2, "scn");
    if (i == 0) first = id;
  }
  /* The first was pushed out: its body goes nowhere, and nothing else changes. */
  request_add_body(&req, "late", 4);
  received_body(&rlog, first, &req, true);
  json_t *a = all(0);
  ck_assert_uint_eq(json_array_size(a), RECEIVED_CAP);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "target")), "/5");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, RECEIVED_CAP - 1), "target")), "/1004");
  for (size_t i = 0; i < json_array_size(a); i++)
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(a, i), "body_length")), 0);
  json_decref(a);
  a = received_json(&rlog, 3, 2); /* the newest 3 of upstream 2, oldest first */
  ck_assert_uint_eq(json_array_size(a), 3);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 2), "target")), "/1003");
  json_decref(a);
  received_clear(&rlog);
  a = all(0);
  ck_assert_uint_eq(json_array_size(a), 0);
  json_decref(a);
  received_body(&rlog, id, &req, true); /* a cleared id writes nothing */
  a = all(0);
  ck_assert_uint_eq(json_array_size(a), 0);
  json_decref(a);
}
END_TEST

START_TEST(test_fields_bounded) {
  fill("GET", "/");
  char big[4096];
  memset(big, 'v', sizeof big);
  for (int i = 0; i < 8; i++) {
    request_add_field(&req, "X-Big", 5);
    request_add_value(&req, big, sizeof big);
  }
  received_head(&rlog, &req, 1, "scn");
  json_t *a = all(0);
  json_t *o = json_array_get(a, 0);
  size_t n = json_array_size(json_object_get(o, "headers"));
  ck_assert(n >= 2 && n < 10); /* whole fields only, up to the bound */
  ck_assert(json_is_true(json_object_get(o, "headers_truncated")));
  json_decref(a);
}
END_TEST

/* ---- scenarios with several upstreams ------------------------------------------------ */

static struct scenario scn;
static struct buf err;
static char *dir;

static void scn_setup(void) {
  dir = uu_mkdtemp();
  memset(&scn, 0, sizeof scn);
}

static void scn_teardown(void) {
  scenario_unload(&scn);
  uu_rmtree(dir);
  buf_free(&err);
}

static void load(const char *text) {
  struct scenario_opts o = {.seed = 1};
  char *path = uu_write_temp(dir, "ups", text);
  int rc = scenario_load(&scn, path, &o, &err);
  ck_assert_msg(rc == 0, "%s", uu_cstr(&err));
  free(path);
}

START_TEST(test_default_is_one) {
  load("return scenario { summary = 'x', expect = 200, plan = { close() } }");
  ck_assert_int_eq(scn.nupstreams, 1);
  ck_assert_ptr_null(scn.more);
  ck_assert_ptr_eq(scenario_upstream(&scn, 3).plan, scn.plan);
}
END_TEST

START_TEST(test_count_shares_the_plan) {
  load("return scenario { summary = 'x', expect = 200, upstreams = 3, plan = { close() } }");
  ck_assert_int_eq(scn.nupstreams, 3);
  for (int u = 0; u < 3; u++) ck_assert_ptr_eq(scenario_upstream(&scn, u).plan, scn.plan);
}
END_TEST

START_TEST(test_each_its_own_plan) {
  load("return scenario { summary = 'x', expect = 200, upstreams = {\n"
       "  { plan = { refuse() } },\n"
       "  { plan = function(req) return { txresp { body = 'u' .. req.upstream }, close() } end },\n"
       "  { plan = { rxhdrs(), reach('seen'), close() } } } }");
  ck_assert_int_eq(scn.nupstreams, 3);
  ck_assert_int_eq(scn.kind, SCENARIO_LISTENER);
  ck_assert_int_eq(scenario_upstream(&scn, 0).plan->listener, STEP_REFUSE);
  ck_assert_int_eq(scenario_upstream(&scn, 1).kind, SCENARIO_FUNCTION);
  struct upstream_plan third = scenario_upstream(&scn, 2);
  ck_assert_int_eq(third.kind, SCENARIO_STATIC);
  ck_assert_int_eq(third.plan->start, STEP_RXHDRS);
  ck_assert_int_eq(third.plan->steps[0].op, STEP_REACH);
  ck_assert_uint_eq(third.plan->steps[0].len, 4);
  ck_assert_int_eq(memcmp(third.plan->steps[0].bytes, "seen", 4), 0);
  /* A port past the scenario's count runs upstream 1's plan. */
  ck_assert_ptr_eq(scenario_upstream(&scn, 5).plan, scn.plan);
  fill("GET", "/");
  req.upstream = 2;
  struct plan *p = scenario_call(&scn, &req, &err);
  ck_assert_msg(p != NULL, "%s", uu_cstr(&err));
  ck_assert_uint_eq(p->steps[0].len, strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nu2"));
  ck_assert_int_eq(memcmp(p->steps[0].bytes + p->steps[0].len - 2, "u2", 2), 0);
  plan_unref(p);
  request_free(&req);
}
END_TEST

static Suite *received_suite(void) {
  Suite *s = suite_create("received");
  TCase *tc = tcase_create("log");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 10);
  tcase_add_test(tc, test_head_then_body);
  tcase_add_test(tc, test_body_kept_and_counted);
  tcase_add_test(tc, test_not_utf8);
  tcase_add_test(tc, test_ring_keeps_the_newest);
  tcase_add_test(tc, test_fields_bounded);
  suite_add_tcase(s, tc);
  TCase *ups = tcase_create("upstreams");
  tcase_add_checked_fixture(ups, scn_setup, scn_teardown);
  tcase_set_timeout(ups, 10);
  tcase_add_test(ups, test_default_is_one);
  tcase_add_test(ups, test_count_shares_the_plan);
  tcase_add_test(ups, test_each_its_own_plan);
  suite_add_tcase(s, ups);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(received_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
