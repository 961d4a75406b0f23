/* test_h2_tap.c: the --client-http2 tap (client_h2_tap.h) between a client and a server of
 * this test's own, which sends HTTP/2 frames written here byte by byte (RFC 9113 4.1) and a
 * header block from libnghttp2's deflater: what the tap says it saw, and that the bytes went
 * through unchanged. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "client_h2_tap.h"

/* What the server sends once a client is connected, then it closes. */
struct server {
  int fd, port;
  unsigned char out[4096];
  size_t n;
};

static void frame(struct server *s, int type, int flags, uint32_t stream, const void *payload, size_t len) {
  unsigned char h[9] = {(unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len, (unsigned char)type,
                        (unsigned char)flags, (unsigned char)(stream >> 24), (unsigned char)(stream >> 16),
                        (unsigned char)(stream >> 8), (unsigned char)stream};
  memcpy(s->out + s->n, h, 9);
  memcpy(s->out + s->n + 9, payload, len);
  s->n += 9 + len;
}

/* A HEADERS frame on stream 1 with :status and, when cl >= 0, content-length. */
static void headers(struct server *s, const char *status, long cl, int flags) {
  nghttp2_hd_deflater *d;
  ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
  char len[24];
  snprintf(len, sizeof len, "%ld", cl);
  nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NONE},
                     {(uint8_t *)"content-length", (uint8_t *)len, 14, strlen(len), NGHTTP2_NV_FLAG_NONE}};
  uint8_t block[256];
  ssize_t n = nghttp2_hd_deflate_hd(d, block, sizeof block, nv, cl >= 0 ? 2 : 1);
  ck_assert_int_gt(n, 0);
  nghttp2_hd_deflate_del(d);
  frame(s, 1, 0x4 | flags, 1, block, (size_t)n);
}

static void *serve(void *arg) {
  struct server *s = arg;
  int c = accept(s->fd, NULL, NULL);
  if (c >= 0) {
    (void)!write(c, s->out, s->n);
    char buf[256];
    shutdown(c, SHUT_WR);
    while (read(c, buf, sizeof buf) > 0) {}
    close(c);
  }
  return NULL;
}

/* Runs the server's bytes through a tap: the client reads them all, and gets them unchanged. */
static void through_tap(struct server *s, struct h2_tap_seen *seen) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(s->fd, 1), 0);
  getsockname(s->fd, (struct sockaddr *)&a, &len);
  pthread_t th;
  pthread_create(&th, NULL, serve, s);
  int tap_port = 0;
  struct h2_tap *t = h2_tap_start("127.0.0.1", ntohs(a.sin_port), 5, &tap_port);
  ck_assert_ptr_nonnull(t);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tap_port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(connect(c, (struct sockaddr *)&to, sizeof to), 0);
  unsigned char got[4096];
  size_t n = 0;
  ssize_t r;
  while ((r = read(c, got + n, sizeof got - n)) > 0) n += (size_t)r;
  ck_assert_uint_eq(n, s->n);
  ck_assert(memcmp(got, s->out, n) == 0);
  close(c);
  h2_tap_finish(t, seen);
  pthread_join(th, NULL);
  close(s->fd);
}

static const unsigned char settings_payload[6] = {0, 3, 0, 0, 0, 100}; /* MAX_CONCURRENT_STREAMS 100 */

START_TEST(test_rst_after_data) {
  struct server s = {0};
  frame(&s, 4, 0, 0, settings_payload, 6);
  headers(&s, "200", 100, 0);
  frame(&s, 0, 0, 1, "0123456789", 10);
  frame(&s, 3, 0, 1, "\0\0\0\0", 4); /* RST_STREAM NO_ERROR */
  struct h2_tap_seen seen;
  through_tap(&s, &seen);
  ck_assert(seen.rst);
  ck_assert_uint_eq(seen.rst_code, 0);
  ck_assert_int_eq(seen.status, 200);
  ck_assert_str_eq(seen.first_status, "200");
  ck_assert_int_eq(seen.content_length, 100);
  ck_assert_uint_eq(seen.data_bytes, 10);
  ck_assert(!seen.end_stream && !seen.short_end_at && !seen.overflow_at && !seen.not_frames);
  ck_assert_uint_eq(seen.bytes, s.n);
}
END_TEST

/* END_STREAM short of content-length, in a padded DATA frame: the padding is no body. */
START_TEST(test_short_end_stream_padded) {
  struct server s = {0};
  frame(&s, 4, 0, 0, settings_payload, 6);
  headers(&s, "200", 100, 0);
  unsigned char padded[1 + 10 + 5] = {5, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
  frame(&s, 0, 0x8 | 0x1, 1, padded, sizeof padded);
  struct h2_tap_seen seen;
  through_tap(&s, &seen);
  ck_assert(seen.end_stream && !seen.rst);
  ck_assert_uint_eq(seen.data_bytes, 10);
  ck_assert_uint_eq(seen.short_end_at, s.n);
}
END_TEST

/* More DATA than content-length, then the server's own RST_STREAM: the overflow came first. */
START_TEST(test_overflow_before_rst) {
  struct server s = {0};
  frame(&s, 4, 0, 0, settings_payload, 6);
  headers(&s, "200", 3, 0);
  frame(&s, 0, 0, 1, "ok\nmore", 7);
  size_t overflow = s.n;
  frame(&s, 3, 0, 1, "\0\0\0\1", 4); /* PROTOCOL_ERROR */
  frame(&s, 7, 0, 0, "\0\0\0\1\0\0\0\2", 8); /* GOAWAY last 1, INTERNAL_ERROR */
  struct h2_tap_seen seen;
  through_tap(&s, &seen);
  /* counted where the DATA frame's header announced its length, before its payload */
  ck_assert_uint_eq(seen.overflow_at, overflow - 7);
  ck_assert(seen.rst && seen.rst_at > seen.overflow_at);
  ck_assert_uint_eq(seen.rst_code, 1);
  ck_assert(seen.goaway);
  ck_assert_uint_eq(seen.goaway_code, 2);
}
END_TEST

/* An interim response, then a final one with no status a client would take. */
START_TEST(test_statuses) {
  struct server s = {0};
  frame(&s, 4, 0, 0, settings_payload, 6);
  headers(&s, "103", -1, 0);
  headers(&s, "000", -1, 0x1);
  struct h2_tap_seen seen;
  through_tap(&s, &seen);
  ck_assert_str_eq(seen.first_status, "103");
  ck_assert_int_eq(seen.status, 0); /* neither is final */
  ck_assert(seen.end_stream);
  ck_assert_int_eq(seen.content_length, -1);
}
END_TEST

/* An HTTP/1.1 server's answer to the connection preface. */
START_TEST(test_not_frames) {
  struct server s = {0};
  static const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  memcpy(s.out, reply, sizeof reply - 1);
  s.n = sizeof reply - 1;
  struct h2_tap_seen seen;
  through_tap(&s, &seen);
  ck_assert(seen.not_frames);
  ck_assert_uint_eq(seen.bytes, s.n);
}
END_TEST

/* Nothing listens: no tap (the client then connects itself, and sees the refusal). */
START_TEST(test_refused) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &len);
  int port = 0;
  ck_assert_ptr_null(h2_tap_start("127.0.0.1", ntohs(a.sin_port), 1, &port)); /* bound, not listening */
  close(fd);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("h2_tap");
  TCase *tc = tcase_create("frames");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_rst_after_data);
  tcase_add_test(tc, test_short_end_stream_padded);
  tcase_add_test(tc, test_overflow_before_rst);
  tcase_add_test(tc, test_statuses);
  tcase_add_test(tc, test_not_frames);
  tcase_add_test(tc, test_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
