/* test_steps.c: every step on a real socket. Each test runs the data plane in-process on
 * its own thread (uu_server_start), with one scenario served alone, and talks to it over
 * loopback with blocking sockets. Timing bounds are generous on purpose: a step that
 * waits 0.3 s must not answer before ~0.3 s, and must answer well within seconds. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit_util.h"

#define REQ "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"
#define REQ_CLOSE "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
#define WAIT 5.0 /* seconds: the most any read here should take */

static struct uu_server U;
static struct buf err, in;
static int fd = -1;

static void setup(void) {
  memset(&U, 0, sizeof U);
  fd = -1;
}

static void teardown(void) {
  if (fd >= 0) close(fd);
  fd = -1;
  int rc = uu_server_stop(&U);
  buf_free(&err);
  buf_free(&in);
  ck_assert_msg(rc == 0, "uv_loop_close: %s (a handle was left open)", uv_strerror(rc));
}

/* Serves `plan` (Lua: a list of steps or a function) alone. */
static void serve_plan_linger(const char *plan, const char *extra, int linger_ms) {
  char lua[8192];
  snprintf(lua, sizeof lua, "return scenario {\n  summary = 'unit',\n  expect = 200,\n%s  plan = %s,\n}\n",
           extra ? extra : "", plan);
  ck_assert_msg(uu_server_start(&U, lua, linger_ms, &err) == 0, "cannot serve:\n%s\n%s", lua, uu_cstr(&err));
  ck_assert_int_gt(U.port, 0);
}

static void serve_plan(const char *plan, const char *extra) { serve_plan_linger(plan, extra, 0); }

/* Counters the loop thread updates (atomics), read from the test's thread. */
static int64_t open_conns(void) { return atomic_load(&U.srv->open_conns); }
static uint64_t total_conns(void) { return atomic_load(&U.srv->total_conns); }
static uint64_t bad_requests(void) { return atomic_load(&U.srv->bad_requests); }
static uint64_t requests(void) { return atomic_load(&U.scn->stats.requests); }
static uint64_t errors(void) { return atomic_load(&U.scn->stats.errors); }
static uint64_t stat_step(enum step_op op) { return atomic_load(&U.scn->stats.steps[op]); }

static void wait_open_conns(int64_t want) {
  double t0 = uu_now();
  while (open_conns() != want && uu_now() - t0 < WAIT) uu_sleep(0.01);
  ck_assert_int_eq(open_conns(), want);
}

static int client(void) {
  int f = uu_connect(U.port, WAIT);
  ck_assert_msg(f >= 0, "connect: %s", strerror(-f));
  return f;
}

static void send_str(int f, const char *s) {
  int rc = uu_send_str(f, s);
  ck_assert_msg(rc == 0, "send: %s", strerror(-rc));
}

/* Reads exactly strlen(want) bytes and compares them. */
static void expect_bytes(int f, const char *want, size_t n) {
  in.len = 0;
  enum uu_end e = uu_read(f, &in, n, WAIT, NULL);
  const char *got = uu_cstr(&in);
  ck_assert_msg(e == UU_LIMIT && memcmp(got, want, n) == 0, "read ended by %s:\n got  (%zu) \"%s\"\n want (%zu) \"%s\"",
                uu_end_name(e), in.len, got, n, want);
}
#define EXPECT_BYTES(f, lit) expect_bytes((f), (lit), sizeof(lit) - 1)

/* Reads everything up to the end of the connection; checks how it ended and the bytes. */
static void expect_end(int f, enum uu_end want_end, const char *want, size_t n) {
  in.len = 0;
  enum uu_end e = uu_read_all(f, &in, WAIT);
  const char *got = uu_cstr(&in);
  ck_assert_msg(e == want_end, "connection ended by %s, wanted %s (got \"%s\")", uu_end_name(e), uu_end_name(want_end), got);
  if (want)
    ck_assert_msg(in.len == n && memcmp(got, want, n) == 0, "before the %s:\n got  (%zu) \"%s\"\n want (%zu) \"%s\"",
                  uu_end_name(e), in.len, got, n, want);
}
#define EXPECT_END(f, end, lit) expect_end((f), (end), (lit), sizeof(lit) - 1)


/* ---- bytes ------------------------------------------------------------------------- */

START_TEST(test_send_exact_bytes) {
  serve_plan("{ rxreq(), send('HTTP/1.1 200 OK\\r\\nX-Odd:  two  spaces \\r\\n\\r\\nbody\\0bin'), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nX-Odd:  two  spaces \r\n\r\nbody\0bin");
  ck_assert_uint_eq(requests(), 1);
  ck_assert_uint_eq(stat_step(STEP_SEND), 1);
  ck_assert_uint_eq(stat_step(STEP_CLOSE), 1);
}
END_TEST

START_TEST(test_send_several) {
  serve_plan("{ send('HTTP/1.1 200 OK\\r\\n'), send('Content-Length: 2\\r\\n\\r\\n'), send(''), send('ok'), close() }",
             NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}
END_TEST

START_TEST(test_txresp) {
  serve_plan("{ rxreq(), txresp { status = 201, headers = { 'X-T: 1', {'X-U', '2'} }, body = 'made' }, close() }",
             NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 201 Created\r\nX-T: 1\r\nX-U: 2\r\nContent-Length: 4\r\n\r\nmade");
}
END_TEST

START_TEST(test_large_send) {
  /* Bigger than a socket buffer: written in parts by libuv, in order, then the FIN. */
  serve_plan("{ rxreq(), send(string.rep('0123456789', 300000)), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  in.len = 0;
  enum uu_end e = uu_read_all(fd, &in, WAIT);
  ck_assert_str_eq(uu_end_name(e), "fin");
  ck_assert_uint_eq(in.len, 3000000);
  for (size_t i = 0; i < in.len; i += 99991) ck_assert_int_eq(in.data[i], '0' + (int)(i % 10));
}
END_TEST

/* ---- time -------------------------------------------------------------------------- */

START_TEST(test_dribble) {
  /* 8 bytes, 2 at a time, one piece every 0.15 s: 4 pieces, 0.45 s from first to last. */
  serve_plan("{ rxreq(), dribble('abcdefgh', 2, 0.15), close() }", NULL);
  fd = client();
  double t0 = uu_now(), first = -1, last = -1;
  send_str(fd, REQ);
  int pieces = 0;
  char got[64];
  size_t len = 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ck_assert_msg(poll(&p, 1, (int)(WAIT * 1000)) == 1, "no byte for %g s after %zu bytes", WAIT, len);
    ssize_t n = recv(fd, got + len, sizeof got - len, 0);
    ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
    if (n == 0) break;
    if (first < 0) first = uu_now();
    last = uu_now();
    len += (size_t)n;
    pieces++;
  }
  ck_assert_uint_eq(len, 8);
  ck_assert_int_eq(memcmp(got, "abcdefgh", 8), 0);
  /* Pieces arrive separately (a loaded machine may merge two, not all). */
  ck_assert_msg(pieces >= 3, "the 4 pieces arrived in %d reads", pieces);
  ck_assert_msg(first - t0 < 2.0, "the first piece took %.3f s", first - t0);
  /* Measured from before the request, so a late read of the first piece cannot shrink it. */
  ck_assert_msg(last - t0 >= 0.44, "the last piece came %.3f s after the request, wanted about 0.45 s", last - t0);
  ck_assert_msg(last - t0 < 3.0, "the last piece came %.3f s after the request, wanted about 0.45 s", last - t0);
}
END_TEST

START_TEST(test_dribble_uneven) {
  /* 5 bytes, 2 at a time: the last piece is the 1 left over. */
  serve_plan("{ rxreq(), dribble('12345', 2, 0), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "12345");
  ck_assert_uint_eq(stat_step(STEP_DRIBBLE), 1);
}
END_TEST

START_TEST(test_stall) {
  serve_plan("{ rxreq(), stall(0.3), send('late'), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  double t0 = uu_now();
  EXPECT_BYTES(fd, "l");
  double dt = uu_now() - t0;
  ck_assert_msg(dt >= 0.28, "the stall ended after %.3f s, wanted 0.3 s", dt);
  ck_assert_msg(dt < 3.0, "the stall ended after %.3f s, wanted 0.3 s", dt);
  EXPECT_END(fd, UU_FIN, "ate");
}
END_TEST

START_TEST(test_stall_zero) {
  serve_plan("{ rxreq(), stall(0), send('now'), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  double t0 = uu_now();
  EXPECT_END(fd, UU_FIN, "now");
  ck_assert_double_lt(uu_now() - t0, 3.0);
}
END_TEST

START_TEST(test_stall_forever_ends_with_peer) {
  /* stall() keeps reading: when the peer closes its side, the stall ends the connection. */
  serve_plan("{ rxreq(), stall(), send('never') }", NULL);
  fd = client();
  send_str(fd, REQ);
  in.len = 0;
  ck_assert_str_eq(uu_end_name(uu_read(fd, &in, SIZE_MAX, 0.15, NULL)), "timeout");
  ck_assert_uint_eq(in.len, 0);
  ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
  EXPECT_END(fd, UU_FIN, "");
}
END_TEST

/* ---- endings ------------------------------------------------------------------------ */

START_TEST(test_close) {
  serve_plan("{ rxreq(), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "");
  /* Our bytes after the FIN are drained for a while, not answered with an RST. */
  ck_assert_int_eq(uu_send_str(fd, "after"), 0);
  uu_sleep(0.05);
  ck_assert_int_eq(uu_send_str(fd, "after"), 0);
}
END_TEST

START_TEST(test_close_ends_after_linger) {
  /* close() ends the connection: after the linger time (0.1 s here) the socket is gone,
   * even though the peer never closed its side. */
  serve_plan_linger("{ rxreq(), close() }", NULL, 100);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "");
  wait_open_conns(0);
  /* Bytes to a closed socket draw an RST; the send after it fails. */
  uu_send_str(fd, "x");
  uu_sleep(0.1);
  int rc = uu_send_str(fd, "x");
  ck_assert_msg(rc == -EPIPE || rc == -ECONNRESET, "send after the server closed: %s", rc ? strerror(-rc) : "ok");
}
END_TEST

START_TEST(test_close_flushes_first) {
  serve_plan("{ rxreq(), send(string.rep('x', 2000000)), close() }", NULL);
  fd = client();
  send_str(fd, REQ);
  uu_sleep(0.05); /* let the server queue what the socket does not take at once */
  in.len = 0;
  enum uu_end e = uu_read_all(fd, &in, WAIT);
  ck_assert_str_eq(uu_end_name(e), "fin");
  ck_assert_uint_eq(in.len, 2000000);
}
END_TEST

START_TEST(test_reset) {
  serve_plan("{ rxreq(), reset() }", NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_RESET, "");
  ck_assert_uint_eq(stat_step(STEP_RESET), 1);
}
END_TEST

START_TEST(test_halfclose) {
  /* Linger 0.05 s: a close() would be gone long before the end of this test; a halfclose()
   * keeps reading until the peer closes, however long. */
  serve_plan_linger("{ rxreq(), txresp { body = 'ok' }, halfclose() }", NULL, 50);
  fd = client();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  /* The server still reads: sending works now and after a while (a closed socket would
   * answer the first bytes with an RST and fail a later send). */
  ck_assert_int_eq(uu_send_str(fd, "more bytes"), 0);
  uu_sleep(0.25);
  ck_assert_int_eq(uu_send_str(fd, "and more"), 0);
  uu_sleep(0.05);
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  ck_assert_msg(n == 0, "after halfclose, recv gave %zd (%s): wanted the FIN still, no RST", n,
                n < 0 ? strerror(errno) : "data");
  ck_assert_int_eq(open_conns(), 1);
  ck_assert_uint_eq(stat_step(STEP_HALFCLOSE), 1);
  /* Our FIN ends it. */
  ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
  wait_open_conns(0);
}
END_TEST

START_TEST(test_stopread) {
  serve_plan("{ rxreq(), stopread(), stall() }", NULL);
  fd = client();
  int small = 16384;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  send_str(fd, REQ);
  uu_sleep(0.05); /* the plan has run */
  ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  static char block[65536];
  memset(block, 'u', sizeof block);
  size_t total = 0;
  int last_errno = 0;
  double t0 = uu_now();
  /* Send until the windows are full. A server that kept reading would take at least its
   * 1 MiB of pending input before stopping; one that stopped reading takes only what the
   * kernel buffers hold. */
  while (uu_now() - t0 < WAIT && total < (64u << 20)) {
    ssize_t n = send(fd, block, sizeof block, MSG_NOSIGNAL);
    if (n > 0) {
      total += (size_t)n;
      continue;
    }
    last_errno = errno;
    if (errno != EAGAIN && errno != EWOULDBLOCK) break;
    /* Full: wait a little in case the peer drains, then try once more. */
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, 150) == 0) break;
  }
  ck_assert_msg(last_errno == EAGAIN || last_errno == EWOULDBLOCK, "send stopped with %s after %zu bytes",
                last_errno ? strerror(last_errno) : "no error", total);
  ck_assert_msg(total < (1u << 20), "the server took %zu bytes after stopread()", total);
  /* The connection is alive: no FIN, no RST. */
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  ck_assert_msg(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "recv gave %zd (%s)", n, n < 0 ? strerror(errno) : "");
  ck_assert_uint_eq(stat_step(STEP_STOPREAD), 1);
}
END_TEST

/* ---- keep-alive --------------------------------------------------------------------- */

START_TEST(test_keepalive_two_requests) {
  serve_plan("function(req) return { txresp { body = req.conn_id .. '/' .. req.conn_seq }, keepalive() } end", NULL);
  fd = client();
  send_str(fd, REQ);
  EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n1/1");
  send_str(fd, REQ);
  EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n1/2");
  ck_assert_uint_eq(total_conns(), 1);
  /* A second connection counts from 1 again. */
  int fd2 = client();
  send_str(fd2, REQ_CLOSE);
  EXPECT_END(fd2, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n2/1");
  close(fd2);
}
END_TEST

START_TEST(test_keepalive_pipelined) {
  serve_plan("{ txresp { body = 'p' }, keepalive() }", NULL);
  fd = client();
  send_str(fd, REQ REQ REQ_CLOSE);
  EXPECT_END(fd, UU_FIN,
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\np"
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\np"
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\np");
  ck_assert_uint_eq(requests(), 3);
}
END_TEST

START_TEST(test_implicit_keepalive) {
  /* A plan without an ending step ends as keepalive(). */
  serve_plan("{ txresp { body = 'again' } }", NULL);
  fd = client();
  for (int i = 0; i < 3; i++) {
    send_str(fd, REQ);
    EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain");
  }
}
END_TEST

START_TEST(test_keepalive_connection_close) {
  serve_plan("{ txresp { body = 'x' }, keepalive() }", NULL);
  fd = client();
  send_str(fd, REQ_CLOSE);
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  close(fd);
  /* HTTP/1.0 without keep-alive gets a FIN too. */
  fd = client();
  send_str(fd, "GET /x HTTP/1.0\r\n\r\n");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  close(fd);
  /* ... and keeps the connection with "Connection: keep-alive". */
  fd = client();
  send_str(fd, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  in.len = 0;
  ck_assert_str_eq(uu_end_name(uu_read(fd, &in, SIZE_MAX, 0.15, NULL)), "timeout");
}
END_TEST

START_TEST(test_keepalive_idle) {
  serve_plan("{ txresp { body = 'x' }, keepalive { idle = 0.2 } }", NULL);
  fd = client();
  double t0 = uu_now(); /* before the request: the idle time cannot start earlier */
  send_str(fd, REQ);
  EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_END(fd, UU_FIN, "");
  double dt = uu_now() - t0;
  ck_assert_msg(dt >= 0.19, "idle close after %.3f s, wanted 0.2 s", dt);
  ck_assert_msg(dt < 3.0, "idle close after %.3f s, wanted 0.2 s", dt);
}
END_TEST

START_TEST(test_keepalive_idle_rearmed) {
  /* Each request restarts the idle time: requests 0.15 s apart keep the connection past
   * its 0.4 s idle time, and the FIN comes 0.4 s after the last answer. */
  serve_plan("{ txresp { body = 'x' }, keepalive { idle = 0.4 } }", NULL);
  fd = client();
  double t0 = 0;
  for (int i = 0; i < 4; i++) {
    if (i) uu_sleep(0.15);
    t0 = uu_now();
    send_str(fd, REQ);
    EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  }
  EXPECT_END(fd, UU_FIN, "");
  double dt = uu_now() - t0;
  ck_assert_msg(dt >= 0.39, "idle close %.3f s after the last request, wanted 0.4 s", dt);
}
END_TEST

/* ---- when the plan starts ----------------------------------------------------------- */

START_TEST(test_rxhdrs_answers_before_body) {
  serve_plan("{ rxhdrs(), txresp { body = 'early' }, close() }", NULL);
  fd = client();
  send_str(fd, "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
  EXPECT_BYTES(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly");
  EXPECT_END(fd, UU_FIN, "");
}
END_TEST

START_TEST(test_rxreq_waits_for_body) {
  /* The contrast: rxreq() (the default) waits for the whole body. */
  serve_plan("{ rxreq(), txresp { body = 'late' }, close() }", NULL);
  fd = client();
  send_str(fd, "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhel");
  in.len = 0;
  ck_assert_str_eq(uu_end_name(uu_read(fd, &in, SIZE_MAX, 0.25, NULL)), "timeout");
  ck_assert_uint_eq(in.len, 0);
  send_str(fd, "lo");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate");
}
END_TEST

START_TEST(test_chunked_request_body) {
  serve_plan("function(req) return { txresp { body = req.method .. ':' .. req.body }, close() } end", NULL);
  fd = client();
  send_str(fd, "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nPOST:abcde");
}
END_TEST

/* ---- listener faults ----------------------------------------------------------------- */

START_TEST(test_accept_close) {
  serve_plan("{ accept_close() }", NULL);
  fd = client();
  /* Nothing sent: the FIN comes anyway. */
  EXPECT_END(fd, UU_FIN, "");
  ck_assert_uint_eq(stat_step(STEP_ACCEPT_CLOSE), 1);
}
END_TEST

START_TEST(test_accept_reset) {
  serve_plan("{ accept_reset() }", NULL);
  fd = client();
  EXPECT_END(fd, UU_RESET, "");
}
END_TEST

START_TEST(test_refuse) {
  serve_plan("{ refuse() }", NULL);
  for (int i = 0; i < 3; i++) {
    int f = uu_connect(U.port, WAIT);
    if (f >= 0) close(f);
    ck_assert_msg(f == -ECONNREFUSED, "connect: %s, wanted ECONNREFUSED", f >= 0 ? "connected" : strerror(-f));
  }
}
END_TEST

START_TEST(test_blackhole) {
  serve_plan("{ blackhole() }", NULL);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)U.port)};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = connect(fd, (struct sockaddr *)&sin, sizeof sin);
  ck_assert_msg(rc < 0 && errno == EINPROGRESS, "connect: %s", rc == 0 ? "completed at once" : strerror(errno));
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int pr = poll(&p, 1, 500);
  int so_err = 0;
  socklen_t len = sizeof so_err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len);
  ck_assert_msg(pr == 0, "the connect completed (%s) within 0.5 s", so_err ? strerror(so_err) : "connected");
}
END_TEST

/* ---- HTTP edges --------------------------------------------------------------------- */

START_TEST(test_expect_100_continue) {
  serve_plan("function(req) return { txresp { body = 'got:' .. req.body }, close() } end", NULL);
  fd = client();
  send_str(fd, "POST /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_BYTES(fd, "HTTP/1.1 100 Continue\r\n\r\n");
  send_str(fd, "hello");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ngot:hello");
}
END_TEST

START_TEST(test_expect_100_continue_case_and_static) {
  serve_plan("{ txresp { body = 'done' }, close() }", NULL);
  fd = client();
  send_str(fd, "PUT /up HTTP/1.1\r\nHost: t\r\nexpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_BYTES(fd, "HTTP/1.1 100 Continue\r\n\r\n");
  send_str(fd, "abc");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
}
END_TEST

START_TEST(test_continue100_false) {
  serve_plan("{ txresp { body = 'done' }, close() }", "  continue100 = false,\n");
  fd = client();
  send_str(fd, "POST /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  in.len = 0;
  ck_assert_str_eq(uu_end_name(uu_read(fd, &in, SIZE_MAX, 0.25, NULL)), "timeout");
  ck_assert_uint_eq(in.len, 0);
  send_str(fd, "hello");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
}
END_TEST

START_TEST(test_expect_without_body) {
  /* No body announced: nothing to continue. */
  serve_plan("{ txresp { body = 'done' }, close() }", NULL);
  fd = client();
  send_str(fd, "GET /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
}
END_TEST

START_TEST(test_malformed_request_line) {
  serve_plan("{ txresp { body = 'never' }, close() }", NULL);
  fd = client();
  send_str(fd, "this is not http\r\n\r\n");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  ck_assert_uint_eq(bad_requests(), 1);
  ck_assert_uint_eq(stat_step(STEP_TXRESP), 0);
}
END_TEST

START_TEST(test_malformed_after_good_request) {
  serve_plan("{ txresp { body = 'ok' } }", NULL);
  fd = client();
  send_str(fd, REQ "GET / HTTP/1.1 trailing\r\n\r\n");
  EXPECT_END(fd, UU_FIN,
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
             "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}
END_TEST

/* What conn.c fills in for a plan function, end to end. */
START_TEST(test_request_fields_on_wire) {
  serve_plan("function(req)\n"
             "    local h = req.headers\n"
             "    return { txresp { body = table.concat({ req.method, req.target, req.path, req.query, req.version,\n"
             "      h.host, h['x-a'], #req.header_list, req.body, req.conn_id, req.conn_seq, req.seq, req.peer,\n"
             "      req.scenario }, '|') }, close() }\n"
             "  end",
             NULL);
  for (int i = 1; i <= 2; i++) {
    fd = client();
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    send_str(fd, "POST /p/q?z=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 3\r\n\r\nabc");
    char body[512], want[1024];
    int n = snprintf(body, sizeof body, "POST|/p/q?z=1|/p/q|z=1|HTTP/1.1|h|1, 2|4|abc|%d|1|%d|127.0.0.1:%d|%s", i, i,
                     ntohs(me.sin_port), U.scn->name);
    int m = snprintf(want, sizeof want, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", n, body);
    expect_end(fd, UU_FIN, want, (size_t)m);
    close(fd);
    fd = -1;
  }
}
END_TEST

START_TEST(test_plan_function_error_resets) {
  serve_plan("function(req)\n"
             "    if req.path == '/boom' then error('boom') end\n"
             "    return { txresp { body = req.path }, close() }\n"
             "  end",
             NULL);
  fd = client();
  send_str(fd, "GET /boom HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_END(fd, UU_RESET, "");
  close(fd);
  /* Every other connection goes on. */
  fd = client();
  send_str(fd, "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n/fine");
  ck_assert_uint_eq(errors(), 1);
}
END_TEST

START_TEST(test_concurrent_connections) {
  /* A stall on one connection does not hold another. */
  serve_plan("function(req)\n"
             "    if req.path == '/slow' then return { stall(2), close() } end\n"
             "    return { txresp { body = 'fast' }, close() }\n"
             "  end",
             NULL);
  int slow = client();
  send_str(slow, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  uu_sleep(0.05);
  fd = client();
  double t0 = uu_now();
  send_str(fd, REQ);
  EXPECT_END(fd, UU_FIN, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfast");
  ck_assert_double_lt(uu_now() - t0, 1.5);
  close(slow);
}
END_TEST

static Suite *steps_suite(void) {
  Suite *s = suite_create("steps");
  TCase *tc = tcase_create("wire");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_send_exact_bytes);
  tcase_add_test(tc, test_send_several);
  tcase_add_test(tc, test_txresp);
  tcase_add_test(tc, test_large_send);
  tcase_add_test(tc, test_dribble);
  tcase_add_test(tc, test_dribble_uneven);
  tcase_add_test(tc, test_stall);
  tcase_add_test(tc, test_stall_zero);
  tcase_add_test(tc, test_stall_forever_ends_with_peer);
  tcase_add_test(tc, test_close);
  tcase_add_test(tc, test_close_ends_after_linger);
  tcase_add_test(tc, test_close_flushes_first);
  tcase_add_test(tc, test_reset);
  tcase_add_test(tc, test_halfclose);
  tcase_add_test(tc, test_stopread);
  tcase_add_test(tc, test_keepalive_two_requests);
  tcase_add_test(tc, test_keepalive_pipelined);
  tcase_add_test(tc, test_implicit_keepalive);
  tcase_add_test(tc, test_keepalive_connection_close);
  tcase_add_test(tc, test_keepalive_idle);
  tcase_add_test(tc, test_keepalive_idle_rearmed);
  tcase_add_test(tc, test_rxhdrs_answers_before_body);
  tcase_add_test(tc, test_rxreq_waits_for_body);
  tcase_add_test(tc, test_chunked_request_body);
  tcase_add_test(tc, test_accept_close);
  tcase_add_test(tc, test_accept_reset);
  tcase_add_test(tc, test_refuse);
  tcase_add_test(tc, test_blackhole);
  tcase_add_test(tc, test_expect_100_continue);
  tcase_add_test(tc, test_expect_100_continue_case_and_static);
  tcase_add_test(tc, test_continue100_false);
  tcase_add_test(tc, test_expect_without_body);
  tcase_add_test(tc, test_malformed_request_line);
  tcase_add_test(tc, test_malformed_after_good_request);
  tcase_add_test(tc, test_request_fields_on_wire);
  tcase_add_test(tc, test_plan_function_error_resets);
  tcase_add_test(tc, test_concurrent_connections);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  /* As serve_main does: a peer that went away must not kill the server with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  SRunner *sr = srunner_create(steps_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
