/* test_h2.c: HTTP/2 frames and their steps: names and descriptions (h2_frame.c), what each
 * frame step compiles to (h2_vocabulary.c), the http2 table's errors, and one exchange with
 * the data plane on a raw socket: the client preface in, the server's SETTINGS, its ACK and
 * the response's frames out, on the request's stream (h2_conn.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <nghttp2/nghttp2.h>

#include "h2_frame.h"
#include "h2_vocabulary.h"
#include "plan.h"
#include "request.h"
#include "sandbox.h"
#include "unit_util.h"
#include "vocabulary.h"

#define ASSERT_HAS(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))

static struct sandbox sb;
static struct buf err;

static void lua_setup(void) {
  ck_assert_int_eq(sandbox_open(&sb, "h2", false, 0, 0, 1), 0);
  vocabulary_open(sb.L);
  request_open(sb.L);
}

static void lua_teardown(void) {
  sandbox_close(&sb);
  buf_free(&err);
}

/* The step that `return EXPR` makes (left on the stack). */
static const struct step *step_of(const char *expr) {
  char src[1024];
  snprintf(src, sizeof src, "return %s", expr);
  ck_assert_int_eq(luaL_loadbuffer(sb.L, src, strlen(src), "=h2"), LUA_OK);
  int st = sandbox_pcall(&sb, 0, 1, &err);
  ck_assert_msg(st == LUA_OK, "%s: %s", expr, uu_cstr(&err));
  const struct step *s = vocabulary_test_step(sb.L, -1);
  ck_assert_ptr_nonnull(s);
  return s;
}

static const char *error_of(const char *src) {
  static char out[1024];
  ck_assert_int_eq(luaL_loadbuffer(sb.L, src, strlen(src), "=h2"), LUA_OK);
  ck_assert_msg(sandbox_pcall(&sb, 0, 0, &err) != LUA_OK, "%s\nshould have failed", src);
  snprintf(out, sizeof out, "%s", uu_cstr(&err));
  buf_free(&err);
  return out;
}

/* ---- h2_frame.c ------------------------------------------------------------------------- */

START_TEST(test_names) {
  ck_assert_str_eq(h2_error_name(7), "REFUSED_STREAM");
  ck_assert_ptr_null(h2_error_name(14));
  ck_assert_int_eq(h2_error_parse("INTERNAL_ERROR"), 2);
  ck_assert_int_eq(h2_error_parse("internal_error"), -1); /* the RFC's spelling only */
  ck_assert_int_eq(h2_setting_parse("initial_window_size"), H2_SETTINGS_INITIAL_WINDOW_SIZE);
  ck_assert_int_eq(h2_setting_parse("window"), -1);
  ck_assert_str_eq(h2_type_name(H2_GOAWAY), "GOAWAY");
  ck_assert_ptr_null(h2_type_name(10));
}
END_TEST

static const char *describe(uint8_t type, uint8_t flags, uint32_t stream, const unsigned char *p, size_t len) {
  static char line[64];
  struct h2_header h = {.length = (uint32_t)len, .type = type, .flags = flags, .stream = stream};
  h2_frame_describe(&h, p, len, line, sizeof line);
  return line;
}

START_TEST(test_describe) {
  ck_assert_str_eq(describe(H2_HEADERS, H2_FLAG_END_STREAM | H2_FLAG_END_HEADERS, 1, NULL, 0),
                   "HEADERS stream=1 flags=END_STREAM|END_HEADERS");
  ck_assert_str_eq(describe(H2_DATA, 0, 3, (const unsigned char *)"abc", 3), "DATA stream=3 len=3");
  const unsigned char rst[4] = {0, 0, 0, 2};
  ck_assert_str_eq(describe(H2_RST_STREAM, 0, 1, rst, 4), "RST_STREAM stream=1 code=INTERNAL_ERROR");
  const unsigned char ga[8] = {0, 0, 0, 5, 0, 0, 0, 0x63};
  ck_assert_str_eq(describe(H2_GOAWAY, 0, 0, ga, 8), "GOAWAY last_stream_id=5 code=0x63");
  const unsigned char st[6] = {0, 4, 0, 0, 0, 0};
  ck_assert_str_eq(describe(H2_SETTINGS, 0, 0, st, 6), "SETTINGS INITIAL_WINDOW_SIZE=0");
  ck_assert_str_eq(describe(H2_SETTINGS, H2_FLAG_ACK, 0, NULL, 0), "SETTINGS flags=ACK");
  ck_assert_str_eq(describe(0x42, 0x1, 9, NULL, 0), "type=0x42 stream=9 flags=0x01");
  /* Cut to fit, always terminated. */
  char small[8];
  struct h2_header h = {.type = H2_HEADERS, .stream = 1, .flags = H2_FLAG_END_HEADERS};
  ck_assert_uint_eq(h2_frame_describe(&h, NULL, 0, small, sizeof small), 7);
  ck_assert_str_eq(small, "HEADERS");
}
END_TEST

/* ---- the frame steps -------------------------------------------------------------------- */

/* The fields of a HEADERS step's block, "name=value;..." (static buffer). */
static const char *decoded(const struct step *s) {
  static char out[512];
  out[0] = 0;
  struct h2_header fh = h2_frame_header_read((const unsigned char *)s->bytes);
  ck_assert_uint_eq(fh.length + H2_FRAME_HEADER, s->len);
  nghttp2_hd_inflater *in;
  ck_assert_int_eq(nghttp2_hd_inflate_new(&in), 0);
  const uint8_t *p = (const uint8_t *)s->bytes + H2_FRAME_HEADER;
  size_t left = fh.length;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t n = nghttp2_hd_inflate_hd2(in, &nv, &flags, p, left, 1);
    ck_assert_int_ge(n, 0);
    p += n, left -= (size_t)n;
    if (flags & NGHTTP2_HD_INFLATE_EMIT)
      snprintf(out + strlen(out), sizeof out - strlen(out), "%.*s=%.*s;", (int)nv.namelen, nv.name, (int)nv.valuelen,
               nv.value);
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
  }
  nghttp2_hd_inflate_del(in);
  return out;
}

START_TEST(test_headers_as_written) {
  const struct step *s = step_of("headers { status = 200, headers = { {\"X-Upper\", \"1\"}, \"connection: close\" } }");
  ck_assert_int_eq(s->op, STEP_H2_HEADERS);
  ck_assert_uint_eq(s->stream, H2_STREAM_CURRENT);
  struct h2_header fh = h2_frame_header_read((const unsigned char *)s->bytes);
  ck_assert_uint_eq(fh.type, H2_HEADERS);
  ck_assert_uint_eq(fh.flags, H2_FLAG_END_HEADERS);
  ck_assert_uint_eq(fh.stream, 0); /* put in as it runs */
  ck_assert_str_eq(decoded(s), ":status=200;X-Upper=1;connection=close;");
  s = step_of("headers { status = false, headers = { b = \"2\", a = \"1\" }, end_stream = true, stream = 7 }");
  fh = h2_frame_header_read((const unsigned char *)s->bytes);
  ck_assert_uint_eq(fh.flags, H2_FLAG_END_HEADERS | H2_FLAG_END_STREAM);
  ck_assert_uint_eq(fh.stream, 7);
  ck_assert_uint_eq(s->stream, 7);
  ck_assert_str_eq(decoded(s), "a=1;b=2;"); /* no :status; the map part sorted */
}
END_TEST

START_TEST(test_headers_continue_past_a_frame) {
  const struct step *s = step_of("headers { headers = { {\"x-big\", string.rep(\"\\1\", 40000)} } }");
  /* HEADERS (no END_HEADERS), CONTINUATION, CONTINUATION with END_HEADERS. */
  const unsigned char *p = (const unsigned char *)s->bytes;
  int n = 0;
  for (size_t at = 0; at < s->len; n++) {
    struct h2_header fh = h2_frame_header_read(p + at);
    ck_assert_uint_le(fh.length, H2_MAX_FRAME);
    ck_assert_uint_eq(fh.type, n == 0 ? H2_HEADERS : H2_CONTINUATION);
    at += H2_FRAME_HEADER + fh.length;
    ck_assert_uint_eq(fh.flags & H2_FLAG_END_HEADERS ? 1 : 0, at == s->len ? 1 : 0);
  }
  ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(test_data_split_and_end_stream) {
  const struct step *s = step_of("data(string.rep(\"x\", 16384 * 2 + 1))");
  const unsigned char *p = (const unsigned char *)s->bytes;
  uint32_t lens[3];
  uint8_t flags[3];
  size_t at = 0;
  for (int i = 0; i < 3; i++) {
    struct h2_header fh = h2_frame_header_read(p + at);
    ck_assert_uint_eq(fh.type, H2_DATA);
    lens[i] = fh.length, flags[i] = fh.flags;
    at += H2_FRAME_HEADER + fh.length;
  }
  ck_assert_uint_eq(at, s->len);
  ck_assert_uint_eq(lens[0], 16384);
  ck_assert_uint_eq(lens[2], 1);
  ck_assert_uint_eq(flags[0], 0);
  ck_assert_uint_eq(flags[1], 0);
  ck_assert_uint_eq(flags[2], H2_FLAG_END_STREAM);
  s = step_of("data(\"half\", { end_stream = false })");
  ck_assert_uint_eq(h2_frame_header_read((const unsigned char *)s->bytes).flags, 0);
  s = step_of("data(\"\")"); /* an empty DATA that only ends the stream */
  ck_assert_uint_eq(s->len, H2_FRAME_HEADER);
}
END_TEST

START_TEST(test_small_frames) {
  const struct step *s = step_of("rst_stream(\"REFUSED_STREAM\")");
  ck_assert_uint_eq(s->len, H2_FRAME_HEADER + 4);
  ck_assert_uint_eq(h2_u32((const unsigned char *)s->bytes + 9), 7);
  s = step_of("rst_stream(99, { stream = 3 })");
  ck_assert_uint_eq(h2_frame_header_read((const unsigned char *)s->bytes).stream, 3);
  ck_assert_uint_eq(h2_u32((const unsigned char *)s->bytes + 9), 99);
  s = step_of("goaway {}");
  ck_assert_uint_eq(s->stream, H2_STREAM_CURRENT); /* last_stream_id: the request's */
  ck_assert_uint_eq(h2_u32((const unsigned char *)s->bytes + 13), 0);
  s = step_of("goaway { last_stream_id = 0, code = \"ENHANCE_YOUR_CALM\", debug = \"bye\" }");
  ck_assert_uint_eq(s->stream, 0);
  ck_assert_uint_eq(s->len, H2_FRAME_HEADER + 8 + 3);
  ck_assert_uint_eq(h2_u32((const unsigned char *)s->bytes + 13), 11);
  s = step_of("settings { max_concurrent_streams = 1, initial_window_size = 0 }");
  /* identifier order: 3 then 4 */
  ck_assert_int_eq(memcmp(s->bytes + 9, "\0\3\0\0\0\1\0\4\0\0\0\0", 12), 0);
  s = step_of("settings { ack = true }");
  ck_assert_uint_eq(h2_frame_header_read((const unsigned char *)s->bytes).flags, H2_FLAG_ACK);
  s = step_of("window_update { increment = 65535 }");
  ck_assert_uint_eq(s->stream, 0);
  s = step_of("ping { data = \"12345678\", ack = true }");
  ck_assert_int_eq(memcmp(s->bytes + 9, "12345678", 8), 0);
  s = step_of("frame { type = 0x20, flags = 3, stream = 5, payload = \"zz\" }");
  struct h2_header fh = h2_frame_header_read((const unsigned char *)s->bytes);
  ck_assert_uint_eq(fh.type, 0x20);
  ck_assert_uint_eq(fh.flags, 3);
  ck_assert_uint_eq(fh.stream, 5);
  ck_assert_uint_eq(fh.length, 2);
}
END_TEST

START_TEST(test_errors_name_the_line) {
  ASSERT_HAS(error_of("\n\nlocal s = rst_stream(\"NOPE\")"), "h2:3:");
  ASSERT_HAS(error_of("rst_stream(\"NOPE\")"), "unknown error code 'NOPE'");
  ASSERT_HAS(error_of("settings { window = 1 }"), "unknown setting 'window'");
  ASSERT_HAS(error_of("settings { INITIAL_WINDOW_SIZE = 1 }"), "unknown setting");
  ASSERT_HAS(error_of("settings { ack = true, enable_push = 0 }"), "carries no settings");
  ASSERT_HAS(error_of("headers { status = 1000 }"), "status must be");
  ASSERT_HAS(error_of("headers { bogus = 1 }"), "unknown field 'bogus'");
  ASSERT_HAS(error_of("data(\"x\", { stream = -1 })"), "stream must be an integer");
  ASSERT_HAS(error_of("ping { data = \"short\" }"), "exactly 8 bytes");
  ASSERT_HAS(error_of("frame { flags = 1 }"), "type is required");
  ASSERT_HAS(error_of("window_update { stream = 1 }"), "increment is required");
  ASSERT_HAS(error_of("return scenario { summary = \"s\", expect = 200, plan = { headers {} } }"),
             "headers() sends an HTTP/2 frame (line 1): the scenario needs http2 = true");
  ASSERT_HAS(error_of("return scenario { summary = \"s\", expect = 200, http2 = false, plan = { close() } }"),
             "http2 must be true or a table");
  ASSERT_HAS(error_of("return scenario { summary = \"s\", expect = 502, http2 = { preface = { send(\"x\") } } }"),
             "http2.preface must end with close()");
  ASSERT_HAS(error_of("return scenario { summary = \"s\", expect = 502, http2 = { settings = { ack = true } } }"),
             "which is no ACK");
  ASSERT_HAS(error_of("return scenario { summary = \"s\", expect = 502, http2 = { preface = { rxreq(), close() } } }"),
             "rxreq() has no place there");
}
END_TEST

/* ---- one exchange ------------------------------------------------------------------------ */

/* The frames in buf, as "TYPE/flags/stream" words (static buffer). */
static const char *frames_of(const struct buf *b) {
  static char out[512];
  out[0] = 0;
  const unsigned char *p = (const unsigned char *)b->data;
  for (size_t at = 0; at + H2_FRAME_HEADER <= b->len;) {
    struct h2_header fh = h2_frame_header_read(p + at);
    snprintf(out + strlen(out), sizeof out - strlen(out), "%s/%u/%u ", h2_type_name(fh.type), fh.flags,
             (unsigned)fh.stream);
    at += H2_FRAME_HEADER + fh.length;
  }
  return out;
}

START_TEST(test_exchange_on_the_wire) {
  static const char lua[] = "return scenario { summary = \"h2\", expect = 200, http2 = true,\n"
                            "  plan = { rxreq(), headers { headers = { {\"content-length\", \"2\"} } }, data(\"ok\"),\n"
                            "           goaway {}, close() } }";
  struct uu_server u;
  ck_assert_msg(uu_server_start(&u, lua, 0, &err) == 0, "%s", uu_cstr(&err));
  int fd = uu_connect(u.port, 5);
  ck_assert_int_ge(fd, 0);
  /* The preface, an empty SETTINGS, and a GET on stream 3 (stream 1 unused: the number is
   * the client's, and the answer must carry it). */
  struct buf req = {0};
  buf_append(&req, H2_PREFACE, H2_PREFACE_LEN);
  unsigned char hdr[H2_FRAME_HEADER];
  h2_frame_header(hdr, 0, H2_SETTINGS, 0, 0);
  buf_append(&req, (const char *)hdr, sizeof hdr);
  nghttp2_hd_deflater *d;
  ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
  nghttp2_nv nva[] = {{(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
                      {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
                      {(uint8_t *)":authority", (uint8_t *)"localhost", 10, 9, 0},
                      {(uint8_t *)":path", (uint8_t *)"/x", 5, 2, 0}};
  uint8_t block[256];
  ssize_t n = nghttp2_hd_deflate_hd(d, block, sizeof block, nva, 4);
  nghttp2_hd_deflate_del(d);
  ck_assert_int_gt(n, 0);
  h2_frame_header(hdr, (uint32_t)n, H2_HEADERS, H2_FLAG_END_HEADERS | H2_FLAG_END_STREAM, 3);
  buf_append(&req, (const char *)hdr, sizeof hdr);
  buf_append(&req, (const char *)block, (size_t)n);
  ck_assert_int_eq(uu_send_all(fd, req.data, req.len), 0);
  struct buf got = {0};
  enum uu_end end = uu_read_all(fd, &got, 5);
  ck_assert_str_eq(uu_end_name(end), uu_end_name(UU_FIN));
  ck_assert_str_eq(frames_of(&got), "SETTINGS/0/0 SETTINGS/1/0 HEADERS/4/3 DATA/1/3 GOAWAY/0/0 ");
  /* GOAWAY's last_stream_id is the request's stream. */
  const unsigned char *p = (const unsigned char *)got.data + got.len - 8;
  ck_assert_uint_eq(h2_u32(p), 3);
  ck_assert_uint_eq(h2_u32(p + 4), 0);
  close(fd);
  buf_free(&req);
  buf_free(&got);
  ck_assert_int_eq(uu_server_stop(&u), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("h2");
  TCase *names = tcase_create("frames");
  tcase_add_test(names, test_names);
  tcase_add_test(names, test_describe);
  suite_add_tcase(s, names);
  TCase *steps = tcase_create("steps");
  tcase_add_checked_fixture(steps, lua_setup, lua_teardown);
  tcase_add_test(steps, test_headers_as_written);
  tcase_add_test(steps, test_headers_continue_past_a_frame);
  tcase_add_test(steps, test_data_split_and_end_stream);
  tcase_add_test(steps, test_small_frames);
  tcase_add_test(steps, test_errors_name_the_line);
  suite_add_tcase(s, steps);
  TCase *wire = tcase_create("wire");
  tcase_add_checked_fixture(wire, NULL, lua_teardown);
  tcase_set_timeout(wire, 30);
  tcase_add_test(wire, test_exchange_on_the_wire);
  suite_add_tcase(s, wire);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
