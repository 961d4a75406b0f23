/* test_bench_request.c: loadgen/bench_request.c, what `badup bench` sends: the --url's
 * address, target and Host; the request bytes for --method, --header and --body; and each
 * limit refused as a usage error (2) with nothing built. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_request.h"
#include "unit_util.h"

/* Builds the request and checks it is exactly `want` (want_len bytes). */
static void check_bytes(const struct bench_request_spec *spec, const char *want, size_t want_len, bool want_head) {
  char *got = NULL;
  size_t len = 0;
  bool head = !want_head;
  ck_assert_int_eq(bench_request_build(spec, "/p?q=1", "127.0.0.1:8080", &got, &len, &head), 0);
  ck_assert_uint_eq(len, want_len);
  ck_assert_mem_eq(got, want, want_len);
  ck_assert(head == want_head);
  free(got);
}

static int build_rc(const struct bench_request_spec *spec) {
  char *got = NULL;
  size_t len = 0;
  bool head;
  int rc = bench_request_build(spec, "/", "127.0.0.1:1", &got, &len, &head);
  if (rc) ck_assert_ptr_null(got);
  free(got);
  return rc;
}

START_TEST(test_get_by_default) {
  struct bench_request_spec spec = {0};
  const char want[] = "GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: badup-bench\r\n\r\n";
  check_bytes(&spec, want, sizeof want - 1, false);
}
END_TEST

START_TEST(test_post_headers_and_body) {
  struct bench_request_spec spec = {.method = "POST", .headers = {"Content-Type: text/plain", "X-A:\t v \t"},
                                    .n_headers = 2, .body = "a=1"};
  const char want[] = "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: badup-bench\r\n"
                      "Content-Type: text/plain\r\nX-A: v\r\nContent-Length: 3\r\n\r\na=1";
  check_bytes(&spec, want, sizeof want - 1, false);
  /* An empty body is still framed: Content-Length: 0. */
  struct bench_request_spec empty = {.method = "PUT", .body = ""};
  const char want0[] = "PUT /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: badup-bench\r\n"
                       "Content-Length: 0\r\n\r\n";
  check_bytes(&empty, want0, sizeof want0 - 1, false);
}
END_TEST

START_TEST(test_own_host_and_head) {
  struct bench_request_spec spec = {.method = "HEAD", .headers = {"host: app.example", "User-Agent: me"},
                                    .n_headers = 2};
  const char want[] = "HEAD /p?q=1 HTTP/1.1\r\nhost: app.example\r\nUser-Agent: me\r\n\r\n";
  check_bytes(&spec, want, sizeof want - 1, true);
}
END_TEST

START_TEST(test_body_from_a_file) {
  char *dir = uu_mkdtemp();
  char path[4096], arg[4200];
  snprintf(path, sizeof path, "%s/body", dir);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fwrite("x\0y\r\n", 1, 5, f); /* any bytes, a NUL included */
  fclose(f);
  snprintf(arg, sizeof arg, "@%s", path);
  struct bench_request_spec spec = {.method = "POST", .body = arg};
  const char want[] = "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: badup-bench\r\n"
                      "Content-Length: 5\r\n\r\nx\0y\r\n";
  check_bytes(&spec, want, sizeof want - 1, false);
  /* One byte over the limit: refused before it is read. */
  f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(ftruncate(fileno(f), (off_t)BENCH_MAX_BODY + 1), 0);
  fclose(f);
  ck_assert_int_eq(build_rc(&spec), 2);
  unlink(path);
  ck_assert_int_eq(build_rc(&spec), 2); /* missing */
  uu_rmtree(dir); /* frees dir */
}
END_TEST

START_TEST(test_refused) {
  static const char *const methods[] = {"", "GE T", "CONNECT", "G\r\nET", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
    struct bench_request_spec spec = {.method = methods[i]};
    ck_assert_msg(build_rc(&spec) == 2, "method '%s'", methods[i]);
  }
  static const char *const headers[] = {"NoColon", ": v", "Bad Name: v", "X: a\r\nY: b", "X: a\nb",
                                        "Content-Length: 1", "TRANSFER-ENCODING: chunked"};
  for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
    struct bench_request_spec spec = {.headers = {headers[i]}, .n_headers = 1};
    ck_assert_msg(build_rc(&spec) == 2, "header '%s'", headers[i]);
  }
  char *long_header = malloc(BENCH_MAX_HEADER_BYTES + 2);
  memset(long_header, 'v', BENCH_MAX_HEADER_BYTES + 1);
  memcpy(long_header, "X: ", 3);
  long_header[BENCH_MAX_HEADER_BYTES + 1] = '\0';
  struct bench_request_spec spec = {.headers = {long_header}, .n_headers = 1};
  ck_assert_int_eq(build_rc(&spec), 2);
  free(long_header);
}
END_TEST

START_TEST(test_url) {
  struct sockaddr_storage addr;
  char target[64], authority[96];
  ck_assert_int_eq(bench_url_parse("http://localhost:8080", &addr, target, sizeof target, authority, sizeof authority), 0);
  ck_assert_str_eq(target, "/");
  ck_assert_str_eq(authority, "localhost:8080");
  ck_assert_int_eq(((struct sockaddr_in *)&addr)->sin_port, htons(8080));
  ck_assert_int_eq(bench_url_parse("http://[::1]:9?x=1", &addr, target, sizeof target, authority, sizeof authority), 0);
  ck_assert_str_eq(target, "/?x=1");
  ck_assert_str_eq(authority, "[::1]:9");
  ck_assert_int_eq(addr.ss_family, AF_INET6);
  ck_assert_int_eq(bench_url_parse("http://127.0.0.2/a/b", &addr, target, sizeof target, authority, sizeof authority), 0);
  ck_assert_str_eq(target, "/a/b");
  ck_assert_str_eq(authority, "127.0.0.2:80");
  static const char *const bad[] = {"https://127.0.0.1/", "http://10.0.0.1/", "http://[::2]:80/", "http://127.0.0.1:0/",
                                    "http://127.0.0.1:70000/", "http://127.0.0.1/a b"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(bench_url_parse(bad[i], &addr, target, sizeof target, authority, sizeof authority) == 2, "%s", bad[i]);
  /* A path longer than the target buffer is refused, not cut. */
  char url[200];
  snprintf(url, sizeof url, "http://127.0.0.1/%0100d", 0);
  ck_assert_int_eq(bench_url_parse(url, &addr, target, sizeof target, authority, sizeof authority), 2);
}
END_TEST

static Suite *bench_request_suite(void) {
  Suite *s = suite_create("bench_request");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_get_by_default);
  tcase_add_test(tc, test_post_headers_and_body);
  tcase_add_test(tc, test_own_host_and_head);
  tcase_add_test(tc, test_body_from_a_file);
  tcase_add_test(tc, test_refused);
  tcase_add_test(tc, test_url);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(bench_request_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
