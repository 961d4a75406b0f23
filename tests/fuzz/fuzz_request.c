/* fuzz_request.c: bytes from a peer into the request path of `badup serve`.
 *
 * The real data plane, unchanged: one struct server (folder mode, so the first path segment
 * routes) on a libuv loop in this thread, listening on 127.0.0.1 with a kernel-chosen port.
 * Each input is sent on a fresh loopback connection, followed by our FIN; the loop runs
 * until the server has freed that connection (http-parser glue, routing, plan functions
 * reading req.*, steps, keep-alive, pipelining, bad requests all included). An input that
 * keeps a connection alive for more than HANG_SECONDS is a bug: abort() so libFuzzer
 * saves it.
 *
 * Scenarios: the catalog (BADUP_FUZZ_CATALOG) minus the two whose timers take a second
 * whatever the peer does, plus tests/fuzz/scenarios/ (BADUP_FUZZ_SCENARIOS), written for
 * this fuzzer with millisecond timers and a plan function whose steps an "X-Plan" header
 * picks. */
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

static const char *const SKIP[] = {
    "slow_drip.lua",   /* dribbles for 0.7 s */
    "stop_reading.lua", /* stops reading, so never sees our FIN: stalls 2 * ctx.read_timeout + 3 s */
    NULL};

static uv_loop_t loop;
static struct server *srv;
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

static void setup(void) {
  signal(SIGPIPE, SIG_IGN);
  static const struct ctx_var ctx[] = {{"read_timeout", "0.002"}, {"connect_timeout", "0.002"}};
  /* A small budget and cap, so a plan function spinning on purpose (X-Plan: loop) is cheap. */
  struct scenario_opts o = {.seed = 1, .mem_cap = 8u << 20, .budget = 200000, .ctx = ctx, .nctx = 2};
  const char *catalog = getenv("BADUP_FUZZ_CATALOG");
  const char *own = getenv("BADUP_FUZZ_SCENARIOS");
  load_dir(catalog ? catalog : BADUP_FUZZ_CATALOG, &o);
  load_dir(own ? own : BADUP_FUZZ_SCENARIOS, &o);
  srv = calloc(1, sizeof *srv);
  if (!srv) abort();
  srv->scenarios = list;
  srv->nscenarios = nlist;
  srv->routed = true;
  srv->linger_ms = 20;
  int def = server_find(srv, "ok", 2);
  if (def < 0) abort();
  atomic_store(&srv->default_idx, def);
  uv_loop_init(&loop);
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  const char *why = NULL;
  if (server_start(srv, &loop, (const struct sockaddr *)&a, &why) != 0) {
    fprintf(stderr, "fuzz_request: server_start: %s\n", why ? why : "?");
    abort();
  }
}

struct client {
  uv_poll_t poll;
  int fd;
  const uint8_t *data;
  size_t len, off;
  bool shut, dead;
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
    if ((events & UV_WRITABLE) && cl->off < cl->len) {
      ssize_t n = send(cl->fd, cl->data + cl->off, cl->len - cl->off, MSG_NOSIGNAL);
      if (n > 0) cl->off += (size_t)n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR) cl->dead = true;
    }
  }
  client_update(cl);
}

static void client_update(struct client *cl) {
  if (cl->off == cl->len && !cl->shut) {
    shutdown(cl->fd, SHUT_WR); /* the peer is done: stalls end, half-closes complete */
    cl->shut = true;
  }
  if (cl->dead) {
    uv_poll_stop(&cl->poll);
    return;
  }
  uv_poll_start(&cl->poll, UV_READABLE | (cl->off < cl->len ? UV_WRITABLE : 0), on_client);
}

static void on_watchdog(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "fuzz_request: a connection still open after %d s: hang\n", HANG_SECONDS);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv) setup();
  if (size > FUZZ_MAX_INPUT) return 0;
  uint64_t before = atomic_load(&srv->total_conns);
  struct client cl = {.data = data, .len = size};
  cl.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (cl.fd < 0) abort();
  int rc = connect(cl.fd, (const struct sockaddr *)&srv->ups[0].addr, sizeof(struct sockaddr_in));
  if (rc != 0 && errno != EINPROGRESS && errno != EINTR) {
    fprintf(stderr, "fuzz_request: connect: %s\n", strerror(errno));
    abort();
  }
  uv_poll_init_socket(&loop, &cl.poll, cl.fd);
  cl.poll.data = &cl;
  uv_poll_start(&cl.poll, UV_READABLE | UV_WRITABLE, on_client);
  uv_timer_t dog;
  uv_timer_init(&loop, &dog);
  uv_timer_start(&dog, on_watchdog, HANG_SECONDS * 1000, 0);
  /* Until the server has accepted this connection and freed it again. */
  while (atomic_load(&srv->total_conns) == before || atomic_load(&srv->open_conns) != 0)
    uv_run(&loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&cl.poll, NULL);
  uv_close((uv_handle_t *)&dog, NULL);
  uv_run(&loop, UV_RUN_NOWAIT); /* the close callbacks */
  /* An RST instead of a FIN: no TIME_WAIT on our side, so ports never run out. */
  struct linger lg = {1, 0};
  setsockopt(cl.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(cl.fd);
  return 0;
}
