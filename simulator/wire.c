/* wire.c: every byte and every TCP decision of a connection happens here.
 *
 * Writes go out in the order the plan gives them: uv_try_write straight into the kernel
 * when nothing is queued, uv_write for the rest (holding a reference on the plan the
 * bytes live in). Ending a connection waits for queued writes, then:
 *   close():     shutdown(SHUT_WR) sends the FIN; we keep reading and discard until the
 *                peer closes or the linger time passes, so unread input cannot turn our
 *                FIN into an RST (the kernel resets on close() with unread data);
 *   reset():     SO_LINGER 0 and close: an RST, whatever is unsent is dropped;
 *   halfclose(): shutdown(SHUT_WR), then read until the peer closes, however long. */
#include <math.h>
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
  c->pending_writes--;
  if (c->closing) return;
  if (status < 0) {
    conn_release(c, END_PEER_RESET);
    return;
  }
  if (c->pending_writes == 0 && c->state == CS_FLUSHING) wire_do_finish(c, c->after_flush);
}

int wire_write(struct conn *c, const char *p, size_t len, struct plan *owner) {
  if (c->closing || len == 0) return 0;
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
  if (c->pending_writes == 0) {
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == (int)len) return 0;
    if (n < 0 && n != UV_EAGAIN) {
      conn_release(c, END_PEER_RESET);
      return n;
    }
    if (n > 0) b = uv_buf_init((char *)p + n, (unsigned)(len - (size_t)n));
  }
  struct write_req *w = malloc(sizeof *w);
  if (!w) {
    conn_release(c, END_ERROR);
    return UV_ENOMEM;
  }
  w->owner = owner;
  plan_ref(owner);
  w->req.data = c;
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
  if (rc < 0) {
    plan_unref(owner);
    free(w);
    conn_release(c, END_PEER_RESET);
    return rc;
  }
  c->pending_writes++;
  return 0;
}

static void linger_over(uv_timer_t *t) {
  struct conn *c = t->data;
  conn_release(c, END_FIN);
}

static void shutdown_done(uv_shutdown_t *req, int status) {
  struct conn *c = req->data;
  if (c->closing) return;
  if (status < 0) {
    conn_release(c, END_PEER_RESET);
    return;
  }
  if (c->peer_eof) {
    /* The peer finished first: both FINs are out, nothing left to drain. */
    conn_release(c, c->state == CS_HALF ? END_FIN : END_FIN);
    return;
  }
  if (c->state == CS_LINGER) wire_timer(c, c->srv->linger_ms / 1000.0, linger_over);
}

void wire_do_finish(struct conn *c, enum conn_finish how) {
  if (c->closing) return;
  uv_timer_stop(&c->timer);
  switch (how) {
  case CONN_RST:
    conn_release(c, END_RESET);
    return;
  case CONN_FIN:
  case CONN_HALF_CLOSE:
    c->state = how == CONN_FIN ? CS_LINGER : CS_HALF;
    if (c->peer_eof && how == CONN_FIN) {
      /* Nothing more can come in: a plain close sends the FIN. */
      conn_release(c, END_FIN);
      return;
    }
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, shutdown_done) < 0) {
      conn_release(c, END_FIN);
      return;
    }
    if (!c->reading_stopped) conn_read_start(c);
    return;
  }
}

void wire_finish(struct conn *c, enum conn_finish how) {
  if (c->pending_writes) {
    c->after_flush = how;
    c->state = CS_FLUSHING;
    return;
  }
  wire_do_finish(c, how);
}

void wire_timer(struct conn *c, double seconds, uv_timer_cb cb) {
  c->timer.data = c;
  uv_update_time(c->srv->loop); /* stall durations count from now, not from loop start */
  /* libuv keeps time in whole milliseconds, truncated: a timer can fire up to 1 ms before
   * its full length has passed. Rounding up and adding that millisecond means a stall is
   * never shorter than the scenario asked (on average 0.5 ms longer). */
  uint64_t ms = (uint64_t)ceil(seconds * 1000.0) + (seconds > 0 ? 1 : 0);
  uv_timer_start(&c->timer, cb, ms, 0);
}
