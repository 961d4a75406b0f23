/* test_clients.c: the harness's two clients (client.c through libcurl, rawclient.c on a raw
 * socket) report the same outcome word for the same bytes from the server, and the word
 * is the truth per RFC 9112 6.3 (outcome.h's vocabulary).
 *
 * The server is a scripted TCP peer on a thread, on 127.0.0.1 with a port the kernel
 * picks: it reads the request's head, then plays its acts (send bytes, wait for a client's
 * on_final_head, sleep) and ends with a FIN, an RST (SO_LINGER 0) or a stall until the
 * client goes. Each case serves both clients, one connection each, one after the other. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "client_script.h"
#include "rawclient.h"
#include "unit_util.h"

/* ---- the scripted server ------------------------------------------------------------- */

enum act_kind {
  A_SEND,      /* write bytes */
  A_WAIT_HOOK, /* wait until a client's on_final_head has run (at most 3 s) */
  A_SLEEP,     /* ms */
  A_FIN,       /* shutdown(SHUT_WR), then wait for the client to go */
  A_RST,       /* SO_LINGER 0 and close: an RST */
  A_STALL,     /* send nothing more, wait for the client to go */
};

struct act {
  enum act_kind kind;
  const char *bytes;
  size_t len;
  int ms;
};

/* sizeof, not strlen: the bytes may hold a NUL. */
#define SEND(lit) {A_SEND, lit, sizeof lit - 1, 0}
#define WAIT_HOOK {A_WAIT_HOOK, NULL, 0, 0}
#define SLEEP(ms) {A_SLEEP, NULL, 0, ms}
#define FIN {A_FIN, NULL, 0, 0}
#define RST {A_RST, NULL, 0, 0}
#define STALL {A_STALL, NULL, 0, 0}

struct script_server {
  int lfd, port;
  pthread_t thread;
  const struct act *acts; /* up to and with the first FIN, RST or STALL */
  int conns;              /* connections to serve, one after the other */
  int requests;           /* request heads to read before acting (pipelining) */
  sem_t hook;             /* posted by on_final_head */
  atomic_int hooks;
  atomic_bool hook_missed; /* a WAIT_HOOK gave up: the rest went out without the hook */
};

static const double WAIT_MAX = 10; /* no wait of the server is longer */

/* Waits for the client to close its side (or WAIT_MAX), reading whatever it sends. */
static void until_client_goes(int fd) {
  double end = uu_now() + WAIT_MAX;
  char tmp[4096];
  for (;;) {
    double left = end - uu_now();
    if (left <= 0) return;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)(left * 1000) + 1) <= 0) continue;
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

/* Reads until `count` request heads ("\r\n\r\n") arrived or WAIT_MAX passed. */
static void read_requests(int fd, int count) {
  struct buf in = {0};
  double end = uu_now() + WAIT_MAX;
  int seen = 0;
  while (seen < count && uu_now() < end) {
    size_t before = in.len;
    if (uu_read(fd, &in, in.len + 1, end - uu_now(), NULL) != UU_LIMIT) break;
    /* A head ends with the 4 bytes ending at the newest one. */
    if (before >= 3 && !memcmp(in.data + before - 3, "\r\n\r\n", 4)) seen++;
  }
  buf_free(&in);
}

static void play(struct script_server *s, int fd) {
  for (const struct act *a = s->acts;; a++) {
    switch (a->kind) {
    case A_SEND: uu_send_all(fd, a->bytes, a->len); break;
    case A_WAIT_HOOK: {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += 3;
      int rc;
      while ((rc = sem_timedwait(&s->hook, &ts)) != 0 && errno == EINTR) {
      }
      if (rc != 0) atomic_store(&s->hook_missed, true);
      break;
    }
    case A_SLEEP: uu_sleep(a->ms / 1000.0); break;
    case A_FIN:
      shutdown(fd, SHUT_WR);
      until_client_goes(fd);
      close(fd);
      return;
    case A_RST: {
      struct linger lg = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(fd);
      return;
    }
    case A_STALL:
      until_client_goes(fd);
      close(fd);
      return;
    }
  }
}

static void *serve(void *arg) {
  struct script_server *s = arg;
  for (int i = 0; i < s->conns; i++) {
    struct pollfd p = {.fd = s->lfd, .events = POLLIN};
    if (poll(&p, 1, (int)(WAIT_MAX * 1000)) <= 0) return NULL;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    read_requests(fd, s->requests);
    play(s, fd);
  }
  return NULL;
}

static void script_start(struct script_server *s, const struct act *acts, int conns, int requests) {
  memset(s, 0, sizeof *s);
  s->acts = acts;
  s->conns = conns;
  s->requests = requests;
  ck_assert_int_eq(sem_init(&s->hook, 0, 0), 0);
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(s->lfd, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(s->lfd, 4), 0);
  socklen_t sl = sizeof a;
  ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &sl), 0);
  s->port = ntohs(a.sin_port);
  ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void script_stop(struct script_server *s) {
  pthread_join(s->thread, NULL);
  close(s->lfd);
  sem_destroy(&s->hook);
}

/* The clients' hook: count, and let a WAIT_HOOK go on. */
static void on_final_head(void *arg) {
  struct script_server *s = arg;
  atomic_fetch_add(&s->hooks, 1);
  sem_post(&s->hook);
}

/* ---- running both clients ------------------------------------------------------------ */

static const char GET[] = "GET /case HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: badup-test\r\nAccept: */*\r\n\r\n";
static const char HEAD[] = "HEAD /case HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: badup-test\r\nAccept: */*\r\n\r\n";

struct both_saw {
  struct client_result curl, raw;
  int curl_hooks, raw_hooks;
  bool curl_hook_missed, raw_hook_missed;
};

static void show(const char *who, const struct client_result *r) {
  fprintf(stderr, "  %-4s %-16s status=%d final_head=%d interim=%d body=%zu %.3f s error='%s'\n", who, r->outcome,
          r->status, r->final_head, r->interim, r->body_bytes, r->total_s, r->error);
}

/* Runs client_get, then rawclient_exchange with the equivalent GET, against the script;
 * asserts both say `want`. */
static void run_both(const char *name, const struct act *acts, double timeout, const char *want, struct both_saw *w) {
  struct script_server s;
  memset(w, 0, sizeof *w);
  script_start(&s, acts, 2, 1);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/case", s.port);
  client_get(url, timeout, &w->curl, 0, on_final_head, &s);
  w->curl_hooks = atomic_exchange(&s.hooks, 0);
  w->curl_hook_missed = atomic_exchange(&s.hook_missed, false);
  while (sem_trywait(&s.hook) == 0) {
  }
  rawclient_exchange(s.port, GET, sizeof GET - 1, timeout, &w->raw, on_final_head, &s);
  w->raw_hooks = atomic_exchange(&s.hooks, 0);
  w->raw_hook_missed = atomic_exchange(&s.hook_missed, false);
  script_stop(&s);
  fprintf(stderr, "%s:\n", name);
  show("curl", &w->curl);
  show("raw", &w->raw);
  ck_assert_msg(!strcmp(w->curl.outcome, want), "%s: curl says %s (%s), want %s", name, w->curl.outcome,
                w->curl.error, want);
  ck_assert_msg(!strcmp(w->raw.outcome, want), "%s: raw client says %s (%s), want %s", name, w->raw.outcome,
                w->raw.error, want);
}

/* curl's GET, then the scripted client's equivalent GET, against the script: what each
 * kept in its struct seen (the caller frees both). */
static void seen_both(const struct act *acts, struct client_result *cr, struct seen *cs, struct client_result *rr,
                      struct seen *rs) {
  struct script_server s;
  script_start(&s, acts, 2, 1);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/case", s.port);
  client_get_seen(url, 5, cr, 0, NULL, NULL, cs, NULL, NULL, CLIENT_HTTP1);
  struct client_request q = {.raw = {(char *)GET, sizeof GET - 1}, .send_body_bytes = -1, .expect_100 = -1};
  struct client_part part = {&q, 1};
  struct client_vars v = {0};
  struct client_script_opts o = {.host = "127.0.0.1", .port = s.port, .timeout_s = 5};
  ck_assert_int_eq(client_script_run(&part, &v, &o, rr, rs), 0);
  script_stop(&s);
}

/* The raw client alone, with these request bytes (HEAD, pipelining: curl's GET cannot). */
static void run_raw(const char *name, const struct act *acts, int requests, const char *bytes, size_t len,
                    double timeout, const char *want, struct client_result *r, int *hooks) {
  struct script_server s;
  script_start(&s, acts, 1, requests);
  rawclient_exchange(s.port, bytes, len, timeout, r, on_final_head, &s);
  *hooks = atomic_load(&s.hooks);
  script_stop(&s);
  fprintf(stderr, "%s:\n", name);
  show("raw", r);
  ck_assert_msg(!strcmp(r->outcome, want), "%s: raw client says %s (%s), want %s", name, r->outcome, r->error, want);
}

/* Both clients saw the same response: same status, 1xx count, body bytes, head. */
static void assert_agree(const struct both_saw *w) {
  ck_assert_int_eq(w->curl.status, w->raw.status);
  ck_assert_int_eq(w->curl.final_head, w->raw.final_head);
  ck_assert_int_eq(w->curl.interim, w->raw.interim);
  ck_assert_int_eq((int)w->curl.end, (int)w->raw.end);
  ck_assert_int_eq(w->curl_hooks, w->raw_hooks);
}

static void assert_complete(const struct both_saw *w, int status, size_t body) {
  assert_agree(w);
  ck_assert_int_eq(w->curl.status, status);
  ck_assert(w->curl.final_head);
  ck_assert_uint_eq(w->curl.body_bytes, body);
  ck_assert_uint_eq(w->raw.body_bytes, body);
  ck_assert_str_eq(w->curl.error, "");
  ck_assert_str_eq(w->raw.error, "");
  ck_assert_int_eq(w->curl_hooks, 1);
}

/* A broken exchange: curl's own words, as its command line prints them. */
static void assert_curl_said(const struct both_saw *w, int code) {
  char prefix[32];
  snprintf(prefix, sizeof prefix, "curl: (%d) ", code);
  ck_assert_msg(!strncmp(w->curl.error, prefix, strlen(prefix)), "curl error '%s' does not start with '%s'",
                w->curl.error, prefix);
  ck_assert_int_eq(w->curl.curl_code, code);
  ck_assert_msg(!strncmp(w->raw.error, "raw client: ", 12), "raw client error '%s'", w->raw.error);
}

/* ---- complete responses -------------------------------------------------------------- */

START_TEST(test_content_length_200) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), FIN};
  struct both_saw w;
  run_both("Content-Length 200", acts, 5, "200", &w);
  assert_complete(&w, 200, 5);
}
END_TEST

/* The response is complete at its last chunk: a kept-alive connection is not waited on. */
START_TEST(test_chunked_keepalive) {
  static const struct act acts[] = {
      SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), STALL};
  struct both_saw w;
  run_both("chunked 200, keep-alive", acts, 5, "200", &w);
  assert_complete(&w, 200, 11);
  ck_assert_double_lt(w.curl.total_s, 3);
  ck_assert_double_lt(w.raw.total_s, 3);
}
END_TEST

/* RFC 9112 6.3 item 1: a response to HEAD ends with its head, whatever it announces. */
START_TEST(test_head_chunked_no_body) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), STALL};
  struct client_result r;
  int hooks;
  run_raw("HEAD, 200 chunked without a body, keep-alive", acts, 1, HEAD, sizeof HEAD - 1, 5, "200", &r, &hooks);
  ck_assert_double_lt(r.total_s, 3);
  ck_assert_uint_eq(r.body_bytes, 0);
  ck_assert_int_eq(hooks, 1);
}
END_TEST

START_TEST(test_head_content_length_no_body) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), STALL};
  struct client_result r;
  int hooks;
  run_raw("HEAD, 200 Content-Length 100 without a body", acts, 1, HEAD, sizeof HEAD - 1, 5, "200", &r, &hooks);
  ck_assert_double_lt(r.total_s, 3);
  ck_assert_uint_eq(r.body_bytes, 0);
}
END_TEST

START_TEST(test_interim_100_then_200) {
  static const struct act acts[] = {
      SEND("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), FIN};
  struct both_saw w;
  run_both("100 then 200", acts, 5, "200", &w);
  assert_complete(&w, 200, 2);
  ck_assert_int_eq(w.curl.interim, 1);
}
END_TEST

START_TEST(test_204_keepalive) {
  static const struct act acts[] = {SEND("HTTP/1.1 204 No Content\r\n\r\n"), STALL};
  struct both_saw w;
  run_both("204, keep-alive", acts, 5, "204", &w);
  assert_complete(&w, 204, 0);
  ck_assert_double_lt(w.curl.total_s, 3);
  ck_assert_double_lt(w.raw.total_s, 3);
}
END_TEST

/* A 304 has no body even when it repeats the Content-Length of the representation. */
START_TEST(test_304_keepalive) {
  static const struct act acts[] = {SEND("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n"), STALL};
  struct both_saw w;
  run_both("304, keep-alive", acts, 5, "304", &w);
  assert_complete(&w, 304, 0);
  ck_assert_double_lt(w.curl.total_s, 3);
  ck_assert_double_lt(w.raw.total_s, 3);
}
END_TEST

START_TEST(test_close_delimited) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"), FIN};
  struct both_saw w;
  run_both("close-delimited 200", acts, 5, "200", &w);
  assert_complete(&w, 200, 13);
}
END_TEST

/* ---- a final status, then the message broke ------------------------------------------ */

START_TEST(test_content_length_short_fin) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabcdef"), FIN};
  struct both_saw w;
  run_both("Content-Length 100, 6 bytes, FIN", acts, 5, "200+truncated", &w);
  assert_agree(&w);
  ck_assert_int_eq(w.curl.status, 200);
  ck_assert_uint_eq(w.curl.body_bytes, 6);
  ck_assert_uint_eq(w.raw.body_bytes, 6);
  assert_curl_said(&w, 18);
}
END_TEST

/* The RST waits for the client's hook: the head is in, the reset comes after it. */
START_TEST(test_content_length_short_rst) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabcdef"), WAIT_HOOK, RST};
  struct both_saw w;
  run_both("Content-Length 100, 6 bytes, RST", acts, 5, "200+reset", &w);
  assert_agree(&w);
  ck_assert_int_eq(w.curl.status, 200);
  assert_curl_said(&w, 56);
}
END_TEST

START_TEST(test_chunked_no_last_chunk_fin) {
  static const struct act acts[] = {
      SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"), FIN};
  struct both_saw w;
  run_both("chunked without the last chunk, FIN", acts, 5, "200+truncated", &w);
  assert_agree(&w);
  ck_assert_uint_eq(w.curl.body_bytes, 11);
  ck_assert_uint_eq(w.raw.body_bytes, 11);
  assert_curl_said(&w, 18);
}
END_TEST

START_TEST(test_bad_chunk_size) {
  static const struct act acts[] = {
      SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), FIN};
  struct both_saw w;
  run_both("chunk size zz", acts, 5, "200+invalid", &w);
  assert_agree(&w);
  assert_curl_said(&w, 56);
}
END_TEST

START_TEST(test_nul_in_header) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 2\r\n\r\nok"), FIN};
  struct both_saw w;
  run_both("NUL in a header", acts, 5, "200+invalid", &w);
  ck_assert_int_eq(w.curl.status, 200);
  ck_assert_int_eq(w.raw.status, 200);
  ck_assert(!w.curl.final_head);
  ck_assert(!w.raw.final_head);
  ck_assert_int_eq(w.curl_hooks, 0);
  ck_assert_int_eq(w.raw_hooks, 0);
  assert_curl_said(&w, 8);
}
END_TEST

START_TEST(test_stall_after_head) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"), STALL};
  struct both_saw w;
  run_both("stall after the head", acts, 0.5, "200+timeout", &w);
  assert_agree(&w);
  assert_curl_said(&w, 28);
}
END_TEST

/* ---- no final response --------------------------------------------------------------- */

/* curl's CURLINFO_RESPONSE_CODE says 103 here; a 1xx is never the answer. */
START_TEST(test_interim_103_then_fin) {
  static const struct act acts[] = {SEND("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"), FIN};
  struct both_saw w;
  run_both("103 then FIN", acts, 5, "closed", &w);
  assert_agree(&w);
  ck_assert_int_eq(w.curl.status, 0);
  ck_assert_int_eq(w.curl.interim, 1);
  ck_assert_int_eq(w.curl_hooks, 0);
  assert_curl_said(&w, 52);
  ck_assert_str_eq(w.curl.error, "curl: (52) Empty reply from server");
}
END_TEST

START_TEST(test_nothing_then_fin) {
  static const struct act acts[] = {FIN};
  struct both_saw w;
  run_both("no byte, FIN", acts, 5, "closed", &w);
  assert_agree(&w);
  assert_curl_said(&w, 52);
}
END_TEST

START_TEST(test_nothing_then_rst) {
  static const struct act acts[] = {RST};
  struct both_saw w;
  run_both("no byte, RST", acts, 5, "reset", &w);
  assert_agree(&w);
  assert_curl_said(&w, 56);
}
END_TEST

START_TEST(test_http09) {
  static const struct act acts[] = {SEND("hello world"), FIN};
  struct both_saw w;
  run_both("no status line", acts, 5, "http09", &w);
  assert_agree(&w);
  ck_assert_uint_eq(w.curl.body_bytes, 11);
  ck_assert_uint_eq(w.raw.body_bytes, 11);
}
END_TEST

/* Both clients keep the same struct seen of the same bytes: status line, fields in order,
 * decoded content, the 1xx before the final response. */
START_TEST(test_both_keep_the_same_seen) {
  static const struct act acts[] = {
      SEND("HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
           "HTTP/1.1 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\nX-A:  one \r\nX-A: two\r\n\r\n"
           "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
      FIN};
  struct client_result cr, rr;
  struct seen cs, rs;
  seen_both(acts, &cr, &cs, &rr, &rs);
  ck_assert_str_eq(cr.outcome, "200");
  ck_assert_str_eq(rr.outcome, "200");
  const struct seen *both[] = {&cs, &rs};
  for (int i = 0; i < 2; i++) {
    const struct seen *w = both[i];
    ck_assert_uint_eq(w->nresponses, 1);
    const struct seen_response *r = seen_last(w);
    ck_assert_str_eq(r->version, "HTTP/1.1");
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(r->reason, "Fine Thanks");
    ck_assert_uint_eq(r->nfields, 3);
    ck_assert_str_eq(r->fields[0].name, "Transfer-Encoding");
    size_t n;
    ck_assert_str_eq(seen_field(r, "x-a", &n), "one");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(r->body, "abcde");
    ck_assert_uint_eq(r->body_bytes, 5);
    ck_assert_int_eq(r->ninterim, 1);
    ck_assert_int_eq(r->interim[0], 103);
    ck_assert(r->head_complete && r->complete);
    ck_assert_int_eq(w->requests_sent, 1);
    ck_assert_int_eq(w->connections, 1);
  }
  seen_free(&cs);
  seen_free(&rs);
}
END_TEST

/* The transcript keeps the first 64 KiB of what was sent, and says how much it cut. */
START_TEST(test_transcript_is_cut_at_64_kib) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), FIN};
  struct script_server s;
  script_start(&s, acts, 1, 1);
  /* A header line longer than the cut: the server reads it all before it answers. */
  size_t big = CLIENT_TRANSCRIPT_MAX + 1000;
  char *line = malloc(big + 1);
  memcpy(line, "X-Big: ", 7);
  memset(line + 7, 'x', big - 7);
  line[big] = 0;
  struct client_request q = {.method = "POST", .version = "HTTP/1.1", .length = CLIENT_LENGTH_AUTO,
                             .headers = &line, .nheaders = 1, .host = true, .send_body_bytes = -1, .expect_100 = -1};
  struct client_part part = {&q, 1};
  struct client_vars v = {.proxy = "127.0.0.1:1", .scenario = "big"};
  struct client_transcript t = {0};
  struct client_script_opts o = {.host = "127.0.0.1", .port = s.port, .timeout_s = 5, .transcript = &t};
  struct client_result r;
  struct seen seen;
  ck_assert_int_eq(client_script_run(&part, &v, &o, &r, &seen), 0);
  script_stop(&s);
  ck_assert_str_eq(r.outcome, "200");
  char *dir = uu_mkdtemp();
  ck_assert_int_eq(client_transcript_write(&t, dir), 0);
  char path[512];
  snprintf(path, sizeof path, "%s/client-sent.txt", dir);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  static char text[CLIENT_TRANSCRIPT_MAX + 4096];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  static const char start[] = "--- connection 1 ---\nPOST /big/1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Big: xxx";
  ck_assert(!strncmp(text, start, sizeof start - 1));
  ck_assert_msg(strstr(text, " more bytes not kept (the file keeps the first 65536) ---\n"), "%s", text + 65000);
  ck_assert_uint_lt(n, CLIENT_TRANSCRIPT_MAX + 200);
  snprintf(path, sizeof path, "%s/client-received.txt", dir);
  f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  ck_assert_str_eq(text, "--- connection 1 ---\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  client_transcript_free(&t);
  seen_free(&seen);
  free(line);
  uu_rmtree(dir);
}
END_TEST

/* curl's GET keeps its bytes as the scripted client does: the request it wrote and what it
 * read, in the same "--- connection 1 ---" format. */
START_TEST(test_curl_keeps_a_transcript) {
  static const char reply[] = "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: one\r\n\r\nok";
  static const struct act acts[] = {SEND(reply), FIN};
  struct script_server s;
  script_start(&s, acts, 1, 1);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/case", s.port);
  struct client_result cr;
  struct client_transcript t = {0};
  client_get_seen(url, 5, &cr, 0, NULL, NULL, NULL, &t, NULL, CLIENT_HTTP1);
  script_stop(&s);
  ck_assert_str_eq(cr.outcome, "200");
  char *dir = uu_mkdtemp();
  ck_assert_int_eq(client_transcript_write(&t, dir), 0);
  char path[512], sent[4096], received[4096];
  snprintf(path, sizeof path, "%s/client-sent.txt", dir);
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  sent[fread(sent, 1, sizeof sent - 1, f)] = 0;
  fclose(f);
  snprintf(path, sizeof path, "%s/client-received.txt", dir);
  ck_assert_ptr_nonnull(f = fopen(path, "rb"));
  received[fread(received, 1, sizeof received - 1, f)] = 0;
  fclose(f);
  char start[128];
  snprintf(start, sizeof start, "--- connection 1 ---\nGET /case HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", s.port);
  ck_assert_msg(!strncmp(sent, start, strlen(start)), "%s", sent);
  ck_assert_msg(strstr(sent, "\r\n\r\n") == sent + strlen(sent) - 4, "%s", sent);
  /* As curl shows them: curl 7.88 leaves out the empty line that ends a 1xx head. */
  static const char first[] = "--- connection 1 ---\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n";
  static const char last[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: one\r\n\r\nok";
  ck_assert_msg(!strncmp(received, first, sizeof first - 1), "%s", received);
  size_t n = strlen(received);
  ck_assert_msg(n > sizeof last && !strcmp(received + n - (sizeof last - 1), last), "%s", received);
  client_transcript_free(&t);
  uu_rmtree(dir);
}
END_TEST

START_TEST(test_refused) {
  /* A port the kernel handed out and nobody listens on any more. */
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof a;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
  int port = ntohs(a.sin_port);
  close(fd);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/case", port);
  struct client_result c, r;
  client_get(url, 5, &c, 0, NULL, NULL);
  rawclient_exchange(port, GET, sizeof GET - 1, 5, &r, NULL, NULL);
  ck_assert_str_eq(c.outcome, "refused");
  ck_assert_str_eq(r.outcome, "refused");
  ck_assert_int_eq(c.curl_code, 7);
}
END_TEST

/* ---- the hook ------------------------------------------------------------------------ */

/* The server sends the body only once the hook ran: the hook came after the head and
 * before the body, and exactly once. */
START_TEST(test_hook_before_body) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), WAIT_HOOK, SEND("hello"), FIN};
  struct both_saw w;
  run_both("hook between head and body", acts, 5, "200", &w);
  assert_complete(&w, 200, 5);
  ck_assert_int_eq(w.curl_hooks, 1);
  ck_assert_int_eq(w.raw_hooks, 1);
  ck_assert(!w.curl_hook_missed);
  ck_assert(!w.raw_hook_missed);
}
END_TEST

START_TEST(test_hook_after_interim) {
  static const struct act acts[] = {SEND("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"),
                                    SLEEP(50), SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"), WAIT_HOOK,
                                    SEND("ok"), FIN};
  struct both_saw w;
  run_both("103, then 200: the hook for the 200", acts, 5, "200", &w);
  assert_complete(&w, 200, 2);
  ck_assert_int_eq(w.curl.interim, 1);
  ck_assert_int_eq(w.raw_hooks, 1);
  ck_assert(!w.curl_hook_missed);
  ck_assert(!w.raw_hook_missed);
}
END_TEST

/* ---- the raw client's requests ------------------------------------------------------- */

/* Pipelined HEAD then GET: the first response has no body (it answers HEAD), the outcome is
 * the second. */
START_TEST(test_pipelined_last_counts) {
  static const char reqs[] = "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  static const struct act acts[] = {
      SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc"), STALL};
  struct client_result r;
  int hooks;
  run_raw("pipelined HEAD, GET", acts, 2, reqs, sizeof reqs - 1, 5, "201", &r, &hooks);
  ck_assert_uint_eq(r.body_bytes, 3);
  ck_assert_int_eq(hooks, 1);
  ck_assert_double_lt(r.total_s, 3);
}
END_TEST

/* The last request got no response: what the connection did is the outcome. */
START_TEST(test_pipelined_last_unanswered) {
  static const char reqs[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), FIN};
  struct client_result r;
  int hooks;
  run_raw("pipelined GET, GET, one answer", acts, 2, reqs, sizeof reqs - 1, 5, "closed", &r, &hooks);
  ck_assert_int_eq(hooks, 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.error, "(1 of 2 responses complete)"));
}
END_TEST

/* ---- the scripted client: barriers, the last connection, 1xx alone ------------------ */

/* What the scripted client's hooks saw, in order: "sent N" and "reset". */
struct hook_log {
  char text[256];
};

static void log_sent(void *arg, int request) {
  struct hook_log *l = arg;
  size_t n = strlen(l->text);
  snprintf(l->text + n, sizeof l->text - n, "sent %d;", request + 1);
}

static void log_reset(void *arg) {
  struct hook_log *l = arg;
  size_t n = strlen(l->text);
  snprintf(l->text + n, sizeof l->text - n, "reset;");
}

/* Two requests: the barriers an earlier request reached are reset before the next one is
 * written, and never before the first (the case's or badup client's own reset does that). */
START_TEST(test_script_resets_barriers_between_requests) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"), FIN};
  struct script_server s;
  script_start(&s, acts, 2, 1);
  struct client_request q[2] = {
      {.raw = {(char *)GET, sizeof GET - 1}, .send_body_bytes = -1, .expect_100 = -1},
      {.raw = {(char *)GET, sizeof GET - 1}, .send_body_bytes = -1, .expect_100 = -1, .connection = CLIENT_CONN_NEW}};
  struct client_part part = {q, 2};
  struct client_vars v = {0};
  struct hook_log log = {{0}};
  struct client_script_opts o = {.host = "127.0.0.1", .port = s.port, .timeout_s = 5,
                                 .hooks = {.request_sent = log_sent, .reset_barriers = log_reset, .arg = &log}};
  struct client_result r;
  struct seen seen;
  ck_assert_int_eq(client_script_run(&part, &v, &o, &r, &seen), 0);
  script_stop(&s);
  ck_assert_str_eq(r.outcome, "200");
  ck_assert_str_eq(log.text, "sent 1;reset;sent 2;");
  seen_free(&seen);
}
END_TEST

/* A request whose body was not completely sent (send_body_bytes here; an early response
 * does the same) leaves the server reading the rest of that body: the next "same" request
 * goes on a fresh connection, the transcript says why, and both requests count as sent
 * (their heads were written). */
START_TEST(test_script_unsent_body_is_not_reused) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), STALL};
  struct script_server s;
  script_start(&s, acts, 2, 1);
  struct client_request q[2] = {
      {.method = "POST", .version = "HTTP/1.1", .length = CLIENT_LENGTH_AUTO, .body = {"abcdef", 6}, .host = true,
       .send_body_bytes = 2, .expect_100 = -1},
      {.raw = {(char *)GET, sizeof GET - 1}, .send_body_bytes = -1, .expect_100 = -1, .connection = CLIENT_CONN_SAME}};
  struct client_part part = {q, 2};
  struct client_vars v = {.proxy = "127.0.0.1:1", .scenario = "unsent"};
  struct client_transcript t = {0};
  struct client_script_opts o = {.host = "127.0.0.1", .port = s.port, .timeout_s = 5, .transcript = &t};
  struct client_result r;
  struct seen seen;
  ck_assert_int_eq(client_script_run(&part, &v, &o, &r, &seen), 0);
  script_stop(&s);
  ck_assert_str_eq(r.outcome, "200");
  ck_assert_int_eq(seen.connections, 2);
  ck_assert_int_eq(seen.requests_sent, 2);
  buf_append(&t.sent, "", 1); /* a C string for strstr */
  ck_assert_msg(strstr(t.sent.data, "\n--- connection 2 (connection 1 could not be reused: request 1's body was not "
                                    "completely sent) ---\nGET /case HTTP/1.1\r\n"),
                "%s", t.sent.data);
  client_transcript_free(&t);
  seen_free(&seen);
}
END_TEST

/* A client that gave up waiting for the response cannot say the proxy kept the connection. */
START_TEST(test_script_timeout_leaves_last_connection_unknown) {
  static const struct act acts[] = {SEND("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"), STALL};
  struct script_server s;
  script_start(&s, acts, 1, 1);
  struct client_request q = {.raw = {(char *)GET, sizeof GET - 1}, .send_body_bytes = -1, .expect_100 = -1};
  struct client_part part = {&q, 1};
  struct client_vars v = {0};
  struct client_script_opts o = {.host = "127.0.0.1", .port = s.port, .timeout_s = 0.5, .wait_conn = true};
  struct client_result r;
  struct seen seen;
  ck_assert_int_eq(client_script_run(&part, &v, &o, &r, &seen), 0);
  ck_assert_str_eq(r.outcome, "200+timeout");
  ck_assert_int_eq(seen.last_conn, SEEN_CONN_UNKNOWN);
  seen_free(&seen);
  script_stop(&s);
}
END_TEST

/* A 103 and then a FIN: no final response, and both clients keep the 103 (pending). */
START_TEST(test_interim_without_final_is_kept) {
  static const struct act acts[] = {SEND("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"), FIN};
  struct client_result cr, rr;
  struct seen cs, rs;
  seen_both(acts, &cr, &cs, &rr, &rs);
  const struct seen *both[] = {&cs, &rs};
  for (int i = 0; i < 2; i++) {
    ck_assert_uint_eq(both[i]->nresponses, 0);
    ck_assert_int_eq(both[i]->npending, 1);
    ck_assert_int_eq(both[i]->pending_interim[0], 103);
  }
  seen_free(&cs);
  seen_free(&rs);
}
END_TEST

/* Bytes that are no request are framed as a GET: the 400 has its body. */
START_TEST(test_unparseable_request_is_get) {
  static const char junk[] = "\x01\x02 not a request\r\n\r\n";
  static const struct act acts[] = {SEND("HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"), STALL};
  struct client_result r;
  int hooks;
  run_raw("junk request, 400", acts, 1, junk, sizeof junk - 1, 5, "400", &r, &hooks);
  ck_assert_uint_eq(r.body_bytes, 3);
  ck_assert_double_lt(r.total_s, 3);
}
END_TEST

/* ---- edge bytes: where curl alone would say something else ------------------------------ */

/* Each of these once made the two clients disagree, or made curl report success for a
 * response that was not one (see client.c). Two acts each: bytes, then how it ends. */
static const struct edge {
  const char *name, *want;
  struct act acts[2];
} edges[] = {
    {"FIN in the middle of the head", "200+truncated", {SEND("HTTP/1.1 200 OK\r\nContent-Le"), FIN}},
    {"FIN in the middle of a 103 head", "closed", {SEND("HTTP/1.1 103 Early Hints\r\nLink: x"), FIN}},
    {"status line, then a stall", "200+timeout", {SEND("HTTP/1.1 200 OK\r\n"), STALL}},
    {"100, then bytes that are no response", "invalid", {SEND("HTTP/1.1 100 Continue\r\n\r\nhello"), FIN}},
    {"101 nobody asked for, then a 200", "invalid",
     {SEND("HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"HTTP/2 in an HTTP/1.1 status line", "invalid", {SEND("HTTP/2 200\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"status 99", "invalid", {SEND("HTTP/1.1 99 Low\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"lower-case http/1.1: no status line", "http09", {SEND("http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"HTTP/0.9 bytes, then RST", "http09+reset", {SEND("hello"), RST}},
    {"two different Content-Length", "200+invalid",
     {SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"), FIN}},
    {"Content-Length twice, same value", "200+invalid",
     {SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"Transfer-Encoding and Content-Length: chunked wins", "200",
     {SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 50\r\n\r\n2\r\nok\r\n0\r\n\r\n"), STALL}},
    {"NUL first in a value", "200+invalid", {SEND("HTTP/1.1 200 OK\r\nX: \0b\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"NUL in a 103 head", "invalid", {SEND("HTTP/1.1 103 Early Hints\r\nX: a\0b\r\n\r\n"), FIN}},
    {"another control byte in a value", "200", {SEND("HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 2\r\n\r\nok"), FIN}},
    {"bare LF line ends", "200", {SEND("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), FIN}},
    {"chunked with trailers, keep-alive", "200",
     {SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n"), STALL}},
    {"204 followed by stray bytes, keep-alive", "204", {SEND("HTTP/1.1 204 No Content\r\n\r\nunexpected body\n"), STALL}},
};

START_TEST(test_edge_bytes) {
  const struct edge *e = &edges[_i];
  struct both_saw w;
  run_both(e->name, e->acts, 2, e->want, &w);
  ck_assert_int_eq(w.curl.status, w.raw.status);
  ck_assert_int_eq((int)w.curl.end, (int)w.raw.end);
  ck_assert_int_eq(w.curl_hooks, w.raw_hooks);
  if (w.curl.end != OUTCOME_COMPLETE) ck_assert_str_ne(w.curl.error, "");
  else ck_assert_double_lt(w.curl.total_s, 1.5); /* complete, not timed out */
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("clients");
  TCase *tc = tcase_create("both");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_content_length_200);
  tcase_add_test(tc, test_chunked_keepalive);
  tcase_add_test(tc, test_head_chunked_no_body);
  tcase_add_test(tc, test_head_content_length_no_body);
  tcase_add_test(tc, test_interim_100_then_200);
  tcase_add_test(tc, test_204_keepalive);
  tcase_add_test(tc, test_304_keepalive);
  tcase_add_test(tc, test_close_delimited);
  tcase_add_test(tc, test_content_length_short_fin);
  tcase_add_test(tc, test_content_length_short_rst);
  tcase_add_test(tc, test_chunked_no_last_chunk_fin);
  tcase_add_test(tc, test_bad_chunk_size);
  tcase_add_test(tc, test_nul_in_header);
  tcase_add_test(tc, test_stall_after_head);
  tcase_add_test(tc, test_interim_103_then_fin);
  tcase_add_test(tc, test_nothing_then_fin);
  tcase_add_test(tc, test_nothing_then_rst);
  tcase_add_test(tc, test_http09);
  tcase_add_test(tc, test_refused);
  tcase_add_test(tc, test_both_keep_the_same_seen);
  tcase_add_test(tc, test_transcript_is_cut_at_64_kib);
  tcase_add_test(tc, test_curl_keeps_a_transcript);
  tcase_add_test(tc, test_hook_before_body);
  tcase_add_test(tc, test_hook_after_interim);
  tcase_add_test(tc, test_pipelined_last_counts);
  tcase_add_test(tc, test_pipelined_last_unanswered);
  tcase_add_test(tc, test_unparseable_request_is_get);
  tcase_add_test(tc, test_script_resets_barriers_between_requests);
  tcase_add_test(tc, test_script_timeout_leaves_last_connection_unknown);
  tcase_add_test(tc, test_script_unsent_body_is_not_reused);
  tcase_add_test(tc, test_interim_without_final_is_kept);
  tcase_add_loop_test(tc, test_edge_bytes, 0, (int)(sizeof edges / sizeof edges[0]));
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  if (client_global_init() != 0) return 1;
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  client_global_cleanup();
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
