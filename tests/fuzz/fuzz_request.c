/* fuzz_request.c: bytes from a peer into the request path of `badup serve`, HTTP/1 and HTTP/2.
 *
 * The real data plane, unchanged: two struct servers (folder mode, so the first path segment
 * routes) on one libuv loop in this thread, each listening on 127.0.0.1 with a kernel-chosen
 * port. One's default scenario is HTTP/1 ("ok"), the other's an HTTP/2 one (h2_steps, from
 * tests/fuzz/scenarios/), as a connection's HTTP/2 is its default scenario's. Each input is
 * sent on a fresh loopback connection, followed by our FIN; the loop runs until the server
 * has freed that connection (http-parser glue, HTTP/2 frames and HPACK, routing, plan
 * functions reading req.*, steps, keep-alive, pipelining, bad requests all included). An
 * input that keeps a connection alive for more than HANG_SECONDS is a bug: abort() so
 * libFuzzer saves it.
 *
 * Which server: an input whose first byte is H2_SELECT goes to the HTTP/2 one, without that
 * byte; every other input goes to the HTTP/1 one as it is (so HTTP/1 seeds stay what they
 * are). For HTTP/2 the second byte is options, also not sent:
 *   bit 0 clear: the 24-byte client preface (RFC 9113 3.4) goes first, so the frame reader
 *                is reached; set: the input's own bytes are the preface, or are not one;
 *   bits 1-2:    which scenario is the connection's default (H2_DEFAULTS): its http2 table
 *                (settings, settings = false, preface steps) is the connection's;
 *   bit 3:       the next two bytes (big-endian, not sent either) are an offset into what
 *                follows them: the bytes up to it are sent, then the rest SPLIT_PAUSE_MS
 *                later, so frames also come while a plan runs (a RST_STREAM for its stream,
 *                its END_STREAM after rxhdrs(), requests that wait their turn).
 *
 * Scenarios: the catalog (BADUP_FUZZ_CATALOG) minus the two whose timers take a second
 * whatever the peer does, plus tests/fuzz/scenarios/ (BADUP_FUZZ_SCENARIOS), written for
 * this fuzzer with millisecond timers and a plan function whose steps a request field
 * picks ("X-Plan" for HTTP/1, "x-plan" for HTTP/2: a letter a frame step). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

#define HANG_SECONDS 5
#define FUZZ_MAX_INPUT (256u * 1024u)
#define H2_SELECT 0x02 /* no HTTP/1 request begins with this byte */
#define H2_OPT_NO_PREFACE 0x01
#define H2_OPT_SPLIT 0x08 /* two sends, SPLIT_PAUSE_MS apart */
#define SPLIT_PAUSE_MS 15

/* The HTTP/2 server's default scenario, picked per input (the options byte's bits 1-2). */
static const char *const H2_DEFAULTS[] = {
    "h2_steps",       /* plans chosen by x-plan; SETTINGS MAX_CONCURRENT_STREAMS=100 */
    "h2_no_settings", /* settings = false: no SETTINGS, no ACK */
    "h2_window_zero", /* its own SETTINGS (INITIAL_WINDOW_SIZE 0) */
    "h2_http1_reply", /* preface steps instead of HTTP/2 */
};
#define N_H2_DEFAULTS (sizeof H2_DEFAULTS / sizeof *H2_DEFAULTS)
_Static_assert(N_H2_DEFAULTS == 4, "two bits of the options byte pick the default");
static const char CLIENT_PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static const char *const SKIP[] = {
    "slow_drip.lua",   /* dribbles for 0.7 s */
    "stop_reading.lua", /* stops reading, so never sees our FIN: stalls 2 * ctx.read_timeout + 3 s */
    NULL};

static uv_loop_t loop;
static struct server *srv, *srv_h2;
static int h2_default_idx[N_H2_DEFAULTS];
static struct scenario *list;
static size_t nlist, cap;

static void load_dir(const char *dir, const struct scenario_opts *o) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "fuzz_request: %s: %s\n", dir, strerror(errno));
    abort();
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 5 || e->d_name[0] == '.' || strcmp(e->d_name + n - 4, ".lua") != 0) continue;
    bool skip = false;
    for (int i = 0; SKIP[i]; i++) skip |= strcmp(e->d_name, SKIP[i]) == 0;
    if (skip) continue;
    if (nlist == cap) {
      cap = cap ? cap * 2 : 64;
      list = realloc(list, cap * sizeof *list);
      if (!list) abort();
      /* each loaded state's allocator points at its sandbox, which has just moved */
      for (size_t i = 0; i < nlist; i++) sandbox_moved(&list[i].sb);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct buf err = {0};
    if (scenario_load(&list[nlist], path, o, &err) != 0) {
      fprintf(stderr, "fuzz_request: %s\n", buf_cstr(&err));
      abort();
    }
    buf_free(&err);
    nlist++;
  }
  closedir(d);
}

/* A server of every scenario (routed by the first path segment), def its default. The two
 * servers share the loaded scenarios: one loop thread runs both. */
static struct server *start_server(struct scenario *scns, size_t n, const char *def) {
  struct server *s = calloc(1, sizeof *s);
  if (!s) abort();
  s->scenarios = scns;
  s->nscenarios = n;
  s->routed = true;
  s->linger_ms = 20;
  int d = server_find(s, def, strlen(def));
  if (d < 0) abort();
  atomic_store(&s->default_idx, d);
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  const char *why = NULL;
  if (server_start(s, &loop, (const struct sockaddr *)&a, &why) != 0) {
    fprintf(stderr, "fuzz_request: server_start: %s\n", why ? why : "?");
    abort();
  }
  return s;
}

static void setup(void) {
  signal(SIGPIPE, SIG_IGN);
  static const struct ctx_var ctx[] = {{"read_timeout", "0.002"}, {"connect_timeout", "0.002"}};
  /* A small budget and cap, so a plan function spinning on purpose (X-Plan: loop) is cheap. */
  struct scenario_opts o = {.seed = 1, .mem_cap = 8u << 20, .budget = 200000, .ctx = ctx, .nctx = 2};
  const char *catalog = getenv("BADUP_FUZZ_CATALOG");
  const char *own = getenv("BADUP_FUZZ_SCENARIOS");
  load_dir(catalog ? catalog : BADUP_FUZZ_CATALOG, &o);
  load_dir(own ? own : BADUP_FUZZ_SCENARIOS, &o);
  uv_loop_init(&loop);
  srv = start_server(list, nlist, "ok");
  srv_h2 = start_server(list, nlist, H2_DEFAULTS[0]);
  for (size_t i = 0; i < N_H2_DEFAULTS; i++) {
    h2_default_idx[i] = server_find(srv_h2, H2_DEFAULTS[i], strlen(H2_DEFAULTS[i]));
    if (h2_default_idx[i] < 0 || !list[h2_default_idx[i]].http2) abort();
  }
}

struct client {
  uv_poll_t poll;
  uv_timer_t pause;
  int fd;
  const uint8_t *data;
  size_t len, off;
  size_t hold; /* bytes sent before the pause (len: none) */
  bool shut, dead, paused, resumed;
};

static void client_update(struct client *cl);

static void on_client(uv_poll_t *p, int status, int events) {
  struct client *cl = p->data;
  char sink[65536];
  if (status < 0) {
    cl->dead = true;
  } else {
    if (events & UV_READABLE) {
      ssize_t n = recv(cl->fd, sink, sizeof sink, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) cl->dead = true;
    }
    size_t upto = cl->resumed ? cl->len : cl->hold;
    if ((events & UV_WRITABLE) && cl->off < upto) {
      ssize_t n = send(cl->fd, cl->data + cl->off, upto - cl->off, MSG_NOSIGNAL);
      if (n > 0) cl->off += (size_t)n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR) cl->dead = true;
    }
  }
  client_update(cl);
}

static void on_resume(uv_timer_t *t) {
  struct client *cl = t->data;
  cl->resumed = true;
  client_update(cl);
}

static void client_update(struct client *cl) {
  if (cl->off == cl->hold && !cl->paused && !cl->resumed) {
    uv_timer_start(&cl->pause, on_resume, SPLIT_PAUSE_MS, 0);
    cl->paused = true;
  }
  size_t upto = cl->resumed ? cl->len : cl->hold;
  if (cl->off == cl->len && !cl->shut) {
    shutdown(cl->fd, SHUT_WR); /* the peer is done: stalls end, half-closes complete */
    cl->shut = true;
  }
  if (cl->dead) {
    uv_poll_stop(&cl->poll);
    return;
  }
  uv_poll_start(&cl->poll, UV_READABLE | (cl->off < upto ? UV_WRITABLE : 0), on_client);
}

static void on_watchdog(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "fuzz_request: a connection still open after %d s: hang\n", HANG_SECONDS);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv) setup();
  if (size > FUZZ_MAX_INPUT) return 0;
  struct server *to = srv;
  uint8_t *joined = NULL;
  size_t hold = SIZE_MAX;
  if (size >= 1 && data[0] == H2_SELECT) {
    to = srv_h2;
    uint8_t opt = size >= 2 ? data[1] : 0;
    size_t skip = size >= 2 ? 2 : 1;
    atomic_store(&srv_h2->default_idx, h2_default_idx[(opt >> 1) & 3]);
    size_t split = SIZE_MAX;
    if ((opt & H2_OPT_SPLIT) && size >= skip + 2) {
      split = (size_t)data[skip] << 8 | data[skip + 1];
      skip += 2;
    }
    size_t pre = (opt & H2_OPT_NO_PREFACE) ? 0 : sizeof CLIENT_PREFACE - 1;
    joined = malloc(pre + size - skip + 1);
    if (!joined) abort();
    memcpy(joined, CLIENT_PREFACE, pre);
    memcpy(joined + pre, data + skip, size - skip);
    data = joined;
    size = pre + size - skip;
    if (split != SIZE_MAX) hold = pre + split < size ? pre + split : size;
  }
  uint64_t before = atomic_load(&to->total_conns);
  struct client cl = {.data = data, .len = size, .hold = hold < size ? hold : size, .resumed = hold >= size};
  cl.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (cl.fd < 0) abort();
  int rc = connect(cl.fd, (const struct sockaddr *)&to->ups[0].addr, sizeof(struct sockaddr_in));
  if (rc != 0 && errno != EINPROGRESS && errno != EINTR) {
    fprintf(stderr, "fuzz_request: connect: %s\n", strerror(errno));
    abort();
  }
  uv_poll_init_socket(&loop, &cl.poll, cl.fd);
  cl.poll.data = &cl;
  uv_poll_start(&cl.poll, UV_READABLE | UV_WRITABLE, on_client);
  uv_timer_init(&loop, &cl.pause);
  cl.pause.data = &cl;
  uv_timer_t dog;
  uv_timer_init(&loop, &dog);
  uv_timer_start(&dog, on_watchdog, HANG_SECONDS * 1000, 0);
  /* Until the server has accepted this connection and freed it again. */
  while (atomic_load(&to->total_conns) == before || atomic_load(&to->open_conns) != 0)
    uv_run(&loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&cl.poll, NULL);
  uv_close((uv_handle_t *)&cl.pause, NULL);
  uv_close((uv_handle_t *)&dog, NULL);
  uv_run(&loop, UV_RUN_NOWAIT); /* the close callbacks */
  /* An RST instead of a FIN: no TIME_WAIT on our side, so ports never run out. */
  struct linger lg = {1, 0};
  setsockopt(cl.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(cl.fd);
  free(joined);
  return 0;
}
