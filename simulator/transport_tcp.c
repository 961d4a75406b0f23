/* transport_tcp.c: a connection's bytes over plain TCP, with libuv (transport.h).
 *
 * Writes go out in the order given: uv_try_write straight into the kernel when nothing is
 * queued, uv_write for the rest, each holding a reference on the plan its bytes live in.
 * The FIN is uv_shutdown, the RST uv_tcp_close_reset. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "transport.h"

struct tcp {
  struct transport base;
  uv_tcp_t handle;
  uv_shutdown_t shutdown_req;
  bool closing;          /* close or reset was asked for: no callback but `closed` */
  char *readbuf;
  size_t readbuf_size;
};

struct write_req {
  uv_write_t req;
  struct plan *owner;
};

static struct tcp *tcp_of(struct transport *t) { return (struct tcp *)t; }

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  (void)suggested;
  struct tcp *t = h->data;
  *b = uv_buf_init(t->readbuf, (unsigned)t->readbuf_size);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  struct tcp *t = s->data;
  if (t->closing || n == 0) return; /* 0: nothing this time (EAGAIN) */
  t->base.ev->read(t->base.owner, n, b->base);
}

static int tcp_read_start(struct transport *tr) {
  struct tcp *t = tcp_of(tr);
  int rc = uv_read_start((uv_stream_t *)&t->handle, on_alloc, on_read);
  return rc == UV_EALREADY ? 0 : rc;
}

static void tcp_read_stop(struct transport *tr) { uv_read_stop((uv_stream_t *)&tcp_of(tr)->handle); }

static void write_done(uv_write_t *req, int status) {
  struct write_req *w = (struct write_req *)req;
  struct tcp *t = req->data;
  plan_unref(w->owner);
  free(w);
  assert(t->base.pending_writes > 0);
  t->base.pending_writes--;
  if (!t->closing) t->base.ev->written(t->base.owner, status);
}

static int tcp_write(struct transport *tr, const char *p, size_t len, struct plan *owner) {
  struct tcp *t = tcp_of(tr);
  assert(!t->closing);
  if (len == 0) return 0;
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
  if (t->base.pending_writes == 0) {
    int n = uv_try_write((uv_stream_t *)&t->handle, &b, 1);
    if (n == (int)len) return 0;
    if (n < 0 && n != UV_EAGAIN) return n;
    if (n > 0) b = uv_buf_init((char *)p + n, (unsigned)(len - (size_t)n));
  }
  struct write_req *w = malloc(sizeof *w);
  if (!w) return UV_ENOMEM;
  w->owner = owner;
  plan_ref(owner);
  w->req.data = t;
  int rc = uv_write(&w->req, (uv_stream_t *)&t->handle, &b, 1, write_done);
  if (rc < 0) {
    plan_unref(owner);
    free(w);
    return rc;
  }
  t->base.pending_writes++;
  return 0;
}

static void shutdown_done(uv_shutdown_t *req, int status) {
  struct tcp *t = req->data;
  if (!t->closing) t->base.ev->shut(t->base.owner, status);
}

static int tcp_shutdown(struct transport *tr) {
  struct tcp *t = tcp_of(tr);
  assert(!t->closing);
  t->shutdown_req.data = t;
  return uv_shutdown(&t->shutdown_req, (uv_stream_t *)&t->handle, shutdown_done);
}

static void on_closed(uv_handle_t *h) {
  struct tcp *t = h->data;
  const struct transport_events *ev = t->base.ev;
  void *owner = t->base.owner;
  free(t);
  ev->closed(owner);
}

static void tcp_close(struct transport *tr) {
  struct tcp *t = tcp_of(tr);
  assert(!t->closing);
  t->closing = true;
  uv_read_stop((uv_stream_t *)&t->handle);
  uv_close((uv_handle_t *)&t->handle, on_closed);
}

static void tcp_reset(struct transport *tr) {
  struct tcp *t = tcp_of(tr);
  assert(!t->closing);
  t->closing = true;
  uv_read_stop((uv_stream_t *)&t->handle);
  if (uv_tcp_close_reset(&t->handle, on_closed) != 0) uv_close((uv_handle_t *)&t->handle, on_closed);
}

static bool tcp_peer_reset_pending(struct transport *tr) {
  uv_os_fd_t fd;
  int err = 0;
  socklen_t len = sizeof err;
  return uv_fileno((uv_handle_t *)&tcp_of(tr)->handle, &fd) == 0 &&
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNRESET;
}

static int tcp_peer_address(struct transport *tr, struct sockaddr_storage *out) {
  int len = sizeof *out;
  return uv_tcp_getpeername(&tcp_of(tr)->handle, (struct sockaddr *)out, &len);
}

static const struct transport_ops tcp_ops = {
    .read_start = tcp_read_start,
    .read_stop = tcp_read_stop,
    .write = tcp_write,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .reset = tcp_reset,
    .peer_reset_pending = tcp_peer_reset_pending,
    .peer_address = tcp_peer_address,
};

static void free_handle_owner(uv_handle_t *h) { free(h->data); }

int transport_tcp_accept(uv_stream_t *listener, char *readbuf, size_t readbuf_size,
                         const struct transport_events *ev, void *owner, struct transport **out) {
  struct tcp *t = calloc(1, sizeof *t);
  if (!t) return UV_ENOMEM;
  t->base.ops = &tcp_ops;
  t->base.ev = ev;
  t->base.owner = owner;
  t->readbuf = readbuf;
  t->readbuf_size = readbuf_size;
  int rc = uv_tcp_init(listener->loop, &t->handle);
  if (rc < 0) {
    free(t);
    return rc;
  }
  t->handle.data = t;
  if ((rc = uv_accept(listener, (uv_stream_t *)&t->handle)) < 0) {
    uv_close((uv_handle_t *)&t->handle, free_handle_owner);
    return rc;
  }
  uv_tcp_nodelay(&t->handle, 1);
  *out = &t->base;
  return 0;
}
