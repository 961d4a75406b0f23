/* test_page.c: index.html as a file (report/page.c) and what it embeds of a case folder
 * (report/page_evidence.c). The page in a browser is tests/e2e/test_page.py's. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fileio.h"
#include "page.h"
#include "page_evidence.h"
#include "unit_util.h"

static char *dir;

static void setup(void) { dir = uu_mkdtemp(); }
static void teardown(void) {
  uu_rmtree(dir);
  dir = NULL;
}

static char *page_text(const json_t *doc) {
  ck_assert_int_eq(page_write(dir, doc), 0);
  char path[4096];
  snprintf(path, sizeof path, "%s/index.html", dir);
  char *text = fileio_slurp(path, 0, NULL);
  ck_assert_ptr_nonnull(text);
  return text;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

START_TEST(test_a_log_line_cannot_close_the_data_element) {
  json_t *doc = json_pack("{s:s, s:[{s:s, s:s, s:s, s:s}]}", "started", "2026-01-01T00:00:00Z", "cases", "proxy",
                          "nginx", "scenario", "ok", "verdict", "pass", "proxy_log",
                          "GET /</script><script>alert(1)</script><!-- | x");
  char *text = page_text(doc);
  const char *open = "<script type=\"application/json\" id=\"badup-data\">";
  char *data = strstr(text, open);
  ck_assert_ptr_nonnull(data);
  data += strlen(open);
  char *end = strstr(data, "</script>");
  ck_assert_ptr_nonnull(end);
  ck_assert_ptr_null(memchr(data, '<', (size_t)(end - data))); /* every '<' of the data escaped */
  ck_assert_ptr_nonnull(strstr(data, "\\u003c/script>\\u003cscript>alert(1)"));
  ck_assert_uint_eq(count(text, "</script>"), 2); /* the data's and the page script's own */
  ck_assert_ptr_nonnull(strstr(text, "default-src 'none'"));
  ck_assert_ptr_null(strstr(text, "http://"));
  ck_assert_ptr_null(strstr(text, "https://"));
  free(text);
  json_decref(doc);
}
END_TEST

START_TEST(test_only_an_object_makes_a_page) {
  json_t *arr = json_array();
  ck_assert_int_eq(page_write(dir, arr), -EINVAL);
  json_decref(arr);
}
END_TEST

static void write_events(int n) {
  struct buf b = {0};
  buf_puts(&b, "[{\"id\":1,\"start_unix_ms\":1000,\"peer\":\"127.0.0.1:1\",\"upstream\":1,\"requests\":1,"
               "\"end\":\"fin\",\"dropped_events\":0,\"events\":[");
  for (int i = 0; i < n; i++) buf_printf(&b, "%s{\"t_ms\":%d.5,\"what\":\"step\",\"detail\":\"send %d\"}", i ? "," : "", i, i);
  buf_puts(&b, "]}]");
  free(uu_write_file(dir, "upstream-events.json", b.data, b.len));
  buf_free(&b);
}

static void write_config(const char *name, int lines, int port) {
  struct buf b = {0};
  buf_printf(&b, "listen 127.0.0.1:%d;\n", port);
  for (int i = 1; i < lines; i++) buf_printf(&b, "directive_%04d on;\n", i);
  free(uu_write_file(dir, name, b.data, b.len));
  buf_free(&b);
}

START_TEST(test_evidence_is_bounded_and_says_when_cut) {
  write_events(2000);
  write_config("nginx.conf", 2000, 1234); /* ~38 KB */
  free(uu_write_file(dir, "proxy.err", "log\n", 4));
  free(uu_write_file(dir, "access.log", "log\n", 4));
  free(uu_write_file(dir, "client-sent.txt", "GET\n", 4));
  struct page_lines pl;
  page_lines_init(&pl);
  json_t *ev = page_case_evidence(dir, "cases/nginx/ok", "nginx", &pl);
  const char *events = json_string_value(json_object_get(ev, "events"));
  ck_assert_ptr_nonnull(events);
  ck_assert_uint_le(strlen(events), PAGE_EVENTS_MAX);
  ck_assert_ptr_nonnull(strstr(events, "connection 1 +0 ms from 127.0.0.1:1"));
  ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(ev, "events_note")), "cases/nginx/ok/upstream-events.json"));
  json_t *configs = json_object_get(ev, "configs");
  ck_assert_uint_eq(json_array_size(configs), 1); /* the logs and the harness's files are no config */
  json_t *conf = json_array_get(configs, 0);
  ck_assert_str_eq(json_string_value(json_object_get(conf, "name")), "nginx.conf");
  ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(conf, "note")), "cut: the first"));
  size_t bytes = 0, i;
  json_t *k;
  json_array_foreach(json_object_get(conf, "lines"), i, k) bytes +=
      strlen(json_string_value(json_array_get(pl.table, (size_t)json_integer_value(k)))) + 1;
  ck_assert_uint_le(bytes, PAGE_CONFIG_MAX);
  ck_assert_uint_gt(bytes, PAGE_CONFIG_MAX - 100); /* cut at a line's end, not earlier */
  json_decref(ev);
  page_lines_free(&pl);
}
END_TEST

START_TEST(test_configs_share_their_lines) {
  struct page_lines pl;
  page_lines_init(&pl);
  write_config("haproxy.cfg", 50, 1000);
  json_t *a = page_case_evidence(dir, "cases/haproxy/a", "haproxy", &pl);
  write_config("haproxy.cfg", 50, 2000); /* the next case: another port, the rest the same */
  json_t *b = page_case_evidence(dir, "cases/haproxy/b", "haproxy", &pl);
  ck_assert_uint_eq(json_array_size(pl.table), 51);
  json_t *la = json_object_get(json_array_get(json_object_get(a, "configs"), 0), "lines");
  json_t *lb = json_object_get(json_array_get(json_object_get(b, "configs"), 0), "lines");
  ck_assert_uint_eq(json_array_size(lb), 50);
  ck_assert_int_ne(json_integer_value(json_array_get(la, 0)), json_integer_value(json_array_get(lb, 0)));
  ck_assert_int_eq(json_integer_value(json_array_get(la, 1)), json_integer_value(json_array_get(lb, 1)));
  json_decref(a);
  json_decref(b);
  page_lines_free(&pl);
}
END_TEST

START_TEST(test_a_missing_case_folder_gives_no_evidence) {
  struct page_lines pl;
  page_lines_init(&pl);
  char path[4096];
  snprintf(path, sizeof path, "%s/not-there", dir);
  json_t *ev = page_case_evidence(path, "cases/x/y", "x", &pl);
  ck_assert_ptr_nonnull(ev);
  ck_assert_uint_eq(json_object_size(ev), 0);
  json_decref(ev);
  page_lines_free(&pl);
}
END_TEST

static Suite *page_suite(void) {
  Suite *s = suite_create("page");
  TCase *tc = tcase_create("page");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_a_log_line_cannot_close_the_data_element);
  tcase_add_test(tc, test_only_an_object_makes_a_page);
  tcase_add_test(tc, test_evidence_is_bounded_and_says_when_cut);
  tcase_add_test(tc, test_configs_share_their_lines);
  tcase_add_test(tc, test_a_missing_case_folder_gives_no_evidence);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(page_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
