/* fuzz_admin.c: the control API's inputs: the method, the path and its query parameters
 * (/events?limit=&scenario=), and the request body (PUT /default {"name": ...}).
 *
 * The real thing, unchanged: the catalog served by a struct server whose libuv loop runs
 * in a second thread (PUT /default hands the switch to that loop and waits for it), and
 * admin_start on 127.0.0.1 with a kernel-chosen port. Each input becomes one HTTP request
 * on a fresh loopback connection:
 *   byte 0        the method: GET, PUT, POST, HEAD, DELETE (modulo 5)
 *   up to '\n'    the request target ('/' prepended when missing; bytes that cannot go in
 *                 a request line are %-encoded, so libmicrohttpd hands them to us decoded)
 *   the rest      the body, sent with Content-Length
 * The response must come, whole, within HANG_SECONDS, and start with "HTTP/1.1 ". */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "admin.h"
#include "server.h"

#define HANG_SECONDS 5

static uv_loop_t loop;
static struct server *srv;
static struct admin adm;
static struct sockaddr_storage admin_addr;

static void *loop_thread(void *arg) {
  (void)arg;
  uv_run(&loop, UV_RUN_DEFAULT);
  return NULL;
}

static void setup(void) {
  signal(SIGPIPE, SIG_IGN);
  const char *dir = getenv("BADUP_FUZZ_CATALOG");
  if (!dir) dir = BADUP_FUZZ_CATALOG;
  static const char *const names[] = {"ok", "refuse", "blackhole", "close_on_accept", "reset_on_accept",
                                      "empty_reply", "keepalive_race", "stall_headers", NULL};
  size_t n = 0;
  while (names[n]) n++;
  struct scenario *list = calloc(n, sizeof *list);
  struct scenario_opts o = {.seed = 1};
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.lua", dir, names[i]);
    struct buf err = {0};
    if (scenario_load(&list[i], path, &o, &err) != 0) {
      fprintf(stderr, "fuzz_admin: %s\n", buf_cstr(&err));
      abort();
    }
    buf_free(&err);
  }
  srv = calloc(1, sizeof *srv);
  srv->scenarios = list;
  srv->nscenarios = n;
  srv->routed = true;
  atomic_store(&srv->default_idx, 0);
  uv_loop_init(&loop);
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  const char *why = NULL;
  if (server_start(srv, &loop, (const struct sockaddr *)&a, &why) != 0) abort();
  if (admin_start(&adm, srv, (const struct sockaddr *)&a, NULL, &why) != 0) abort();
  /* admin_start keeps only the string form; parse it back for connect(). */
  char host[64];
  int port = 0;
  if (sscanf(adm.addr_str, "%63[^:]:%d", host, &port) != 2) abort();
  uv_ip4_addr(host, port, (struct sockaddr_in *)&admin_addr);
  pthread_t t;
  if (pthread_create(&t, NULL, loop_thread, NULL) != 0) abort();
  pthread_detach(t);
}

static void hang(const char *what) {
  fprintf(stderr, "fuzz_admin: %s: %s\n", what, strerror(errno));
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv) setup();
  if (size == 0 || size > 8192) return 0;
  static const char *const methods[] = {"GET", "PUT", "POST", "HEAD", "DELETE"};
  const char *method = methods[data[0] % 5];
  const uint8_t *p = data + 1, *end = data + size;
  const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
  const uint8_t *tend = nl ? nl : end;
  const uint8_t *body = nl ? nl + 1 : end;
  size_t blen = (size_t)(end - body);

  struct buf req = {0};
  buf_printf(&req, "%s ", method);
  if (p == tend || *p != '/') buf_puts(&req, "/");
  for (const uint8_t *q = p; q < tend; q++) {
    if (*q <= 0x20 || *q >= 0x7f || *q == '#' || *q == '%') buf_printf(&req, "%%%02X", *q);
    else buf_append(&req, q, 1);
  }
  buf_printf(&req, " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n", blen);
  buf_append(&req, body, blen);
  if (req.oom) abort();

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) abort();
  struct timeval tv = {HANG_SECONDS, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  /* libFuzzer's SIGALRM (its -timeout check) interrupts blocking calls: EINTR is no error. */
  if (connect(fd, (struct sockaddr *)&admin_addr, sizeof(struct sockaddr_in)) != 0) {
    if (errno != EINTR) hang("connect");
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    int e = 0;
    socklen_t el = sizeof e;
    if (poll(&pf, 1, HANG_SECONDS * 1000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e)
      hang("connect after EINTR");
  }
  for (size_t off = 0; off < req.len;) {
    ssize_t n = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* the API may answer (413) and close before reading it all */
    off += (size_t)n;
  }
  char resp[16];
  size_t got = 0;
  char sink[4096];
  for (;;) {
    ssize_t n = recv(fd, sink, sizeof sink, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) break;
      hang("no complete response");
    }
    if (got < sizeof resp) {
      size_t k = (size_t)n < sizeof resp - got ? (size_t)n : sizeof resp - got;
      memcpy(resp + got, sink, k);
      got += k;
    }
  }
  if (got < 9 || memcmp(resp, "HTTP/1.1 ", 9) != 0) {
    fprintf(stderr, "fuzz_admin: no HTTP response to %s (%zu bytes)\n", method, got);
    abort();
  }
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  buf_free(&req);
  return 0;
}
