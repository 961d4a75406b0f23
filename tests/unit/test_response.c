/* test_response.c: resp_build and resp_reason, the bytes of a response description.
 *
 * Every test compares the whole output byte for byte: this module is the one place where
 * a response's bytes are decided, so "contains" is not enough. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"
#include "unit_util.h"

#define B(s) ((struct resp_bytes){(s), sizeof(s) - 1})

/* A spec as response{} would default it: status 200, automatic length, last chunk on. */
static struct resp_spec spec_default(void) {
  return (struct resp_spec){.status = 200, .length = RESP_LENGTH_AUTO, .last_chunk = true, .body = B("")};
}

static void assert_bytes(const struct resp_spec *s, const char *want, size_t want_len) {
  struct buf out = {0};
  resp_build(s, &out);
  ck_assert(!out.oom);
  const char *got = uu_cstr(&out);
  ck_assert_msg(out.len == want_len && memcmp(got, want, want_len) == 0,
                "resp_build:\n got  (%zu) \"%s\"\n want (%zu) \"%s\"", out.len, got, want_len, want);
  buf_free(&out);
}
#define ASSERT_BYTES(spec, lit) assert_bytes((spec), (lit), sizeof(lit) - 1)

START_TEST(test_reason_phrases) {
  ck_assert_str_eq(resp_reason(100), "Continue");
  ck_assert_str_eq(resp_reason(200), "OK");
  ck_assert_str_eq(resp_reason(204), "No Content");
  ck_assert_str_eq(resp_reason(304), "Not Modified");
  ck_assert_str_eq(resp_reason(404), "Not Found");
  ck_assert_str_eq(resp_reason(502), "Bad Gateway");
  ck_assert_str_eq(resp_reason(503), "Service Unavailable");
  ck_assert_str_eq(resp_reason(504), "Gateway Timeout");
  ck_assert_str_eq(resp_reason(999), "");
  ck_assert_str_eq(resp_reason(444), "");
  ck_assert_str_eq(resp_reason(0), "");
  ck_assert_str_eq(resp_reason(-1), "");
}
END_TEST

START_TEST(test_content_length) {
  /* auto content length */
  {
    struct resp_spec s = spec_default();
    s.body = B("hello");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  }
  /* auto content length empty body */
  {
    struct resp_spec s = spec_default();
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  }
  /* lying length */
  {
    struct resp_spec s = spec_default();
    s.body = B("hi");
    s.length = 10;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi");
    s.length = 0;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nhi");
  }
  /* length none */
  {
    struct resp_spec s = spec_default();
    s.body = B("close-delimited");
    s.length = RESP_LENGTH_NONE;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\n\r\nclose-delimited");
  }
  /* body is binary safe */
  {
    struct resp_spec s = spec_default();
    s.body = B("a\0b");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na\0b");
  }
}
END_TEST

START_TEST(test_headers) {
  /* headers verbatim in order */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes h[] = {B("Server: badup"), B("X-Broken"), B("X-Dup: 1"), B("X-Dup: 2")};
    s.headers = h;
    s.nheaders = 4;
    s.body = B("ok");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nServer: badup\r\nX-Broken\r\nX-Dup: 1\r\nX-Dup: 2\r\n"
                     "Content-Length: 2\r\n\r\nok");
  }
  /* appends to existing buffer */
  {
    struct buf out = {0};
    buf_puts(&out, "PREFIX|");
    struct resp_spec s = spec_default();
    s.status = 204;
    resp_build(&s, &out);
    ck_assert_str_eq(uu_cstr(&out), "PREFIX|HTTP/1.1 204 No Content\r\n\r\n");
    buf_free(&out);
  }
}
END_TEST

START_TEST(test_chunks) {
  /* chunks with last chunk */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes c[] = {B("abc"), B("0123456789abcdef")};
    s.chunks = c;
    s.nchunks = 2;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
  }
  /* chunks without last chunk */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes c[] = {B("abc"), B("de")};
    s.chunks = c;
    s.nchunks = 2;
    s.last_chunk = false;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n");
  }
  /* empty chunk skipped */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes c[] = {B("ab"), B(""), B("cd")};
    s.chunks = c;
    s.nchunks = 3;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
  }
  /* no chunks but chunked framing */
  {
    /* chunks = {} : framing with no data chunk, just the terminator. */
    struct resp_spec s = spec_default();
    const struct resp_bytes c[1] = {B("")};
    s.chunks = c;
    s.nchunks = 0;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  }
  /* chunks with explicit length */
  {
    /* A lie on purpose: chunked framing and a Content-Length. */
    struct resp_spec s = spec_default();
    const struct resp_bytes c[] = {B("abc")};
    s.chunks = c;
    s.nchunks = 1;
    s.length = 3;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                     "3\r\nabc\r\n0\r\n\r\n");
  }
  /* chunks with explicit te header */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes h[] = {B("Transfer-Encoding: gzip, chunked")};
    const struct resp_bytes c[] = {B("x")};
    s.headers = h;
    s.nheaders = 1;
    s.chunks = c;
    s.nchunks = 1;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
  }
}
END_TEST

START_TEST(test_status_line) {
  /* status line verbatim */
  {
    struct resp_spec s = spec_default();
    s.status_line = B("HTTP/1.1 OK");
    s.body = B("x");
    ASSERT_BYTES(&s, "HTTP/1.1 OK\r\nContent-Length: 1\r\n\r\nx");
    /* The status line wins over status, reason and version. */
    s.status = 404;
    s.reason = "Nope";
    s.version = "HTTP/2";
    s.status_line = B("ICY 200 OK");
    ASSERT_BYTES(&s, "ICY 200 OK\r\nContent-Length: 1\r\n\r\nx");
    s.status_line = B("");
    s.status = 200;
    ASSERT_BYTES(&s, "\r\nContent-Length: 1\r\n\r\nx");
  }
  /* reason and version */
  {
    struct resp_spec s = spec_default();
    s.status = 502;
    ASSERT_BYTES(&s, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    s.reason = "Very Bad";
    s.version = "HTTP/1.0";
    ASSERT_BYTES(&s, "HTTP/1.0 502 Very Bad\r\nContent-Length: 0\r\n\r\n");
    s.reason = "";
    s.status = 200;
    ASSERT_BYTES(&s, "HTTP/1.0 200 \r\nContent-Length: 0\r\n\r\n");
  }
  /* unknown status empty reason */
  {
    struct resp_spec s = spec_default();
    s.status = 999;
    s.length = RESP_LENGTH_NONE;
    ASSERT_BYTES(&s, "HTTP/1.1 999 \r\n\r\n");
    s.length = RESP_LENGTH_AUTO;
    ASSERT_BYTES(&s, "HTTP/1.1 999 \r\nContent-Length: 0\r\n\r\n");
  }
  /* status written as is */
  {
    struct resp_spec s = spec_default();
    s.length = RESP_LENGTH_NONE;
    s.status = 0;
    ASSERT_BYTES(&s, "HTTP/1.1 000 \r\n\r\n");
    s.status = 12345;
    ASSERT_BYTES(&s, "HTTP/1.1 12345 \r\n\r\n");
    s.status = 42;
    ASSERT_BYTES(&s, "HTTP/1.1 042 \r\n\r\n");
  }
}
END_TEST

START_TEST(test_bodiless_statuses) {
  /* bodiless statuses no auto length */
  {
    static const long codes[] = {100, 101, 103, 150, 199, 204, 304};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
      struct resp_spec s = spec_default();
      s.status = codes[i];
      struct buf out = {0};
      resp_build(&s, &out);
      char want[64];
      int n = snprintf(want, sizeof want, "HTTP/1.1 %ld %s\r\n\r\n", codes[i], resp_reason(codes[i]));
      ck_assert_int_eq(out.len, n);
      ck_assert_msg(memcmp(out.data, want, (size_t)n) == 0, "status %ld: got \"%s\"", codes[i], uu_cstr(&out));
      buf_free(&out);
    }
    /* 200 and 205 are not exempt. */
    struct resp_spec s = spec_default();
    s.status = 205;
    ASSERT_BYTES(&s, "HTTP/1.1 205 \r\nContent-Length: 0\r\n\r\n");
  }
  /* bodiless status with body and explicit length */
  {
    /* A 204 with a body: written as told; an explicit length is still announced. */
    struct resp_spec s = spec_default();
    s.status = 204;
    s.body = B("oops");
    ASSERT_BYTES(&s, "HTTP/1.1 204 No Content\r\n\r\noops");
    s.length = 4;
    ASSERT_BYTES(&s, "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\noops");
    s.status = 304;
    s.length = RESP_LENGTH_NONE;
    ASSERT_BYTES(&s, "HTTP/1.1 304 Not Modified\r\n\r\noops");
  }
}
END_TEST

START_TEST(test_explicit_framing_headers) {
  /* explicit content length header suppresses auto */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes h[] = {B("Content-Length: 3")};
    s.headers = h;
    s.nheaders = 1;
    s.body = B("hello");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhello");
    const struct resp_bytes lower[] = {B("content-length:7")};
    s.headers = lower;
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\ncontent-length:7\r\n\r\nhello");
  }
  /* explicit te header suppresses auto */
  {
    struct resp_spec s = spec_default();
    const struct resp_bytes h[] = {B("X-A: 1"), B("TRANSFER-ENCODING: chunked")};
    s.headers = h;
    s.nheaders = 2;
    s.body = B("5\r\nhello\r\n0\r\n\r\n");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nX-A: 1\r\nTRANSFER-ENCODING: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  }
  /* near miss headers do not suppress auto */
  {
    /* "Content-Length :" (space before the colon) and "Content-Lengthy:" are other fields
     * as far as framing goes: the automatic header is still written. */
    struct resp_spec s = spec_default();
    const struct resp_bytes h[] = {B("Content-Length : 9"), B("Content-Lengthy: 1"), B("Content-Length")};
    s.headers = h;
    s.nheaders = 3;
    s.body = B("ab");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length : 9\r\nContent-Lengthy: 1\r\nContent-Length\r\n"
                     "Content-Length: 2\r\n\r\nab");
  }
  /* explicit header and explicit length both written */
  {
    /* dup_content_length: a header and a length that disagree, both on the wire. */
    struct resp_spec s = spec_default();
    const struct resp_bytes h[] = {B("Content-Length: 1")};
    s.headers = h;
    s.nheaders = 1;
    s.length = 2;
    s.body = B("ab");
    ASSERT_BYTES(&s, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  }
}
END_TEST

static Suite *response_suite(void) {
  Suite *s = suite_create("response");
  TCase *tc = tcase_create("resp_build");
  tcase_set_timeout(tc, 10);
  tcase_add_test(tc, test_reason_phrases);
  tcase_add_test(tc, test_content_length);
  tcase_add_test(tc, test_headers);
  tcase_add_test(tc, test_chunks);
  tcase_add_test(tc, test_status_line);
  tcase_add_test(tc, test_bodiless_statuses);
  tcase_add_test(tc, test_explicit_framing_headers);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(response_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
