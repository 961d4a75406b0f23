/* listener.c: the listening socket in each of its modes, and what each listener fault
 * does to a connection (listener.h).
 *
 *   accept:    an ordinary libuv listener (4096 backlog);
 *   refuse:    the port stays bound, but nobody listens: the kernel answers SYNs with RST,
 *              and connects fail with ECONNREFUSED;
 *   blackhole: listen(fd, 0) and never accept; one connection of our own fills the
 *              accept queue, after which Linux drops every SYN (tcp_conn_request: "accept
 *              queue full"), so the peer's connect times out.
 * A switch closes the old socket and binds a new one to the same address and port
 * (SO_REUSEADDR), so the port is never released for long. */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"

enum listener_mode listener_mode_for(const struct scenario *s, int up) {
  struct upstream_plan u = scenario_upstream(s, up);
  if (u.kind != SCENARIO_LISTENER) return LISTEN_ACCEPT;
  switch (u.plan->listener) {
  case STEP_REFUSE: return LISTEN_REFUSE;
  case STEP_BLACKHOLE: return LISTEN_BLACKHOLE;
  default: return LISTEN_ACCEPT; /* accept_close / accept_reset act on each accept */
  }
}

double listener_fault_wait(const struct plan *p) {
  /* accept_close([wait]) / accept_reset([wait]) carry the wait; a FIN or RST that raced the
   * peer's connect would make it see a failed connect one time and a failed read the next.
   * A blackhole has nothing to wait for. */
  if (p->listener == STEP_BLACKHOLE || !(p->steps[0].seconds > 0)) return 0;
  return p->steps[0].seconds;
}

struct step_result listener_fault(enum step_op op) {
  assert(step_kinds[op] == STEP_KIND_LISTENER);
  switch (op) {
  case STEP_REFUSE:       /* too late to refuse: the nearest is a reset */
  case STEP_ACCEPT_RESET:
    return (struct step_result){.next = STEP_END, .how = CONN_RST};
  case STEP_ACCEPT_CLOSE:
    return (struct step_result){.next = STEP_END, .how = CONN_FIN};
  default: /* blackhole: say nothing, ever; the peer gives up */
    return (struct step_result){.next = STEP_END, .how = CONN_HOLD};
  }
}

static socklen_t addr_len(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int bound_socket(struct upstream_port *u, const char **why) {
  int fd = socket(u->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *why = "socket";
    return -errno;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (u->addr.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&u->addr, addr_len(&u->addr)) < 0) {
    int e = -errno;
    close(fd);
    *why = "bind";
    return e;
  }
  socklen_t len = sizeof u->addr;
  getsockname(fd, (struct sockaddr *)&u->addr, &len); /* port 0 becomes the real port */
  return fd;
}

/* A non-blocking connect to ourselves; true when it completes within ms. */
static bool connect_within(struct upstream_port *u, int *out, int ms) {
  int fd = socket(u->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  *out = fd;
  if (connect(fd, (struct sockaddr *)&u->addr, addr_len(&u->addr)) == 0) return true;
  if (errno != EINPROGRESS) return false;
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  if (poll(&p, 1, ms) != 1) return false;
  int err = 0;
  socklen_t el = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
  return err == 0;
}

static int blackhole(struct upstream_port *u, int fd, const char **why) {
  if (listen(fd, 0) < 0) {
    *why = "listen";
    return -errno;
  }
  /* Fill the accept queue, then prove it is full: a probe connect must hang. */
  for (int i = 0; i < 4; i++) {
    int probe = -1;
    bool done = connect_within(u, &probe, i == 0 ? 1000 : 100);
    if (!done) {
      if (probe >= 0) close(probe);
      if (i > 0) return 0;
      *why = "blackhole: cannot fill the accept queue";
      return -EIO;
    }
    if (u->lst.filler_fd < 0) u->lst.filler_fd = probe;
    else close(probe); /* extra: accept-queue slots stay taken by the kernel's child */
  }
  *why = "blackhole: the accept queue does not fill";
  return -EIO;
}

static void free_handle(uv_handle_t *h) { free(h); }

static void on_connection(uv_stream_t *l, int status) {
  struct upstream_port *u = l->data;
  if (status < 0 || u->srv->stopping) return;
  conn_accept(u);
}

void listener_close(struct upstream_port *u) {
  if (u->lst.tcp) uv_close((uv_handle_t *)u->lst.tcp, free_handle); /* closes the fd now */
  if (u->lst.raw_fd >= 0) close(u->lst.raw_fd);
  if (u->lst.filler_fd >= 0) close(u->lst.filler_fd);
  u->lst.tcp = NULL;
  u->lst.raw_fd = u->lst.filler_fd = -1;
  u->lst.mode = LISTEN_NONE;
}

int listener_set(struct upstream_port *u, enum listener_mode mode, const char **why) {
  if (u->lst.mode == mode) return 0;
  listener_close(u);
  int fd = bound_socket(u, why);
  if (fd < 0) return fd;
  int rc = 0;
  switch (mode) {
  case LISTEN_ACCEPT: {
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t) {
      close(fd);
      *why = "out of memory";
      return UV_ENOMEM;
    }
    uv_tcp_init(u->srv->loop, t);
    t->data = u;
    if ((rc = uv_tcp_open(t, fd)) < 0 || (rc = uv_listen((uv_stream_t *)t, 4096, on_connection)) < 0) {
      *why = "listen";
      uv_close((uv_handle_t *)t, free_handle);
      return rc;
    }
    u->lst.tcp = t;
    break;
  }
  case LISTEN_REFUSE:
    u->lst.raw_fd = fd;
    break;
  case LISTEN_BLACKHOLE:
    u->lst.raw_fd = fd;
    if ((rc = blackhole(u, fd, why)) < 0) {
      listener_close(u);
      return rc;
    }
    break;
  case LISTEN_NONE:
    close(fd);
    break;
  }
  u->lst.mode = mode;
  return 0;
}
