/* wire.c: the bytes of a connection and its TCP decisions.
 *
 * Writes go out in the order the plan gives them: uv_try_write straight into the kernel
 * when nothing is queued, uv_write for the rest (holding a reference on the plan the
 * bytes live in). Nothing here ends a connection: failures are returned, or reported to
 * conn.c (conn_written, conn_shut), which decides. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "conn.h"

struct write_req {
  uv_write_t req;
  struct plan *owner;
};

static void write_done(uv_write_t *req, int status) {
  struct write_req *w = (struct write_req *)req;
  struct conn *c = req->data;
  plan_unref(w->owner);
  free(w);
  assert(c->pending_writes > 0);
  c->pending_writes--;
  conn_written(c, status);
}

int wire_write(struct conn *c, const char *p, size_t len, struct plan *owner) {
  assert(!c->closing);
  if (len == 0) return 0;
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
  if (c->pending_writes == 0) {
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == (int)len) return 0;
    if (n < 0 && n != UV_EAGAIN) return n;
    if (n > 0) b = uv_buf_init((char *)p + n, (unsigned)(len - (size_t)n));
  }
  struct write_req *w = malloc(sizeof *w);
  if (!w) return UV_ENOMEM;
  w->owner = owner;
  plan_ref(owner);
  w->req.data = c;
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
  if (rc < 0) {
    plan_unref(owner);
    free(w);
    return rc;
  }
  c->pending_writes++;
  return 0;
}

static void shutdown_done(uv_shutdown_t *req, int status) { conn_shut(req->data, status); }

int wire_shutdown(struct conn *c) {
  c->shutdown_req.data = c;
  return uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, shutdown_done);
}

bool wire_peer_reset_pending(struct conn *c) {
  uv_os_fd_t fd;
  int err = 0;
  socklen_t len = sizeof err;
  return uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
         err == ECONNRESET;
}
