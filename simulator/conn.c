/* conn.c: a connection's life: accept, read, parse, pick a scenario, run its plan, close.
 *
 * Parsing and plan execution never nest: parser callbacks (conn_parse.c) only record what
 * they saw and pause the parser when a plan should start; pump() then starts it outside
 * the parser. Bytes that arrive while a plan runs (pipelined requests, or anything while
 * stalled) wait in c->pend and are parsed when the plan ends with keep-alive. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "conn.h"

#define MAX_PENDING (1u << 20) /* unparsed input kept while a plan runs */

static const char RESP_400[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char RESP_431[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

uint32_t conn_elapsed_us(const struct conn *c) { return (uint32_t)((uv_hrtime() - c->t0) / 1000u); }

void conn_event(struct conn *c, enum event_kind kind, const char *detail, size_t len) {
  if (c->rec.nevents >= EVENTS_PER_CONN) {
    c->rec.dropped++; /* long keep-alive connections: only the start is kept */
    return;
  }
  conn_record_add(&c->rec, conn_elapsed_us(c), kind, detail, len);
}

void conn_count(struct conn *c, struct scenario *s) {
  if (c->counted) return;
  c->counted = true;
  c->rec.scenario = s->name;
  atomic_fetch_add_explicit(&s->stats.connections, 1, memory_order_relaxed);
}

static const char *const state_names[] = {
    [CS_READING] = "reading",   [CS_RUNNING] = "running",     [CS_DRIBBLING] = "dribbling",
    [CS_STALLED] = "stalled",   [CS_FLUSHING] = "flushing",   [CS_LINGER] = "lingering",
    [CS_HALF] = "half_closed",  [CS_BARRIER] = "at_barrier",  [CS_ACCEPT_WAIT] = "accept_wait",
    [CS_HOLD] = "holding",
};
_Static_assert(sizeof state_names / sizeof *state_names == CS_HOLD + 1, "a name for every conn_state");

size_t server_open_records(struct server *srv, size_t limit, struct conn_record **records, const char ***states) {
  size_t n = 0;
  for (struct conn *c = srv->conns; c && n < limit; c = c->next) n++;
  *records = calloc(n ? n : 1, sizeof **records);
  *states = calloc(n ? n : 1, sizeof **states);
  if (!*records || !*states) {
    free(*records), free(*states);
    *records = NULL, *states = NULL;
    return 0;
  }
  size_t i = 0;
  for (struct conn *c = srv->conns; c && i < n; c = c->next, i++) {
    struct conn_record *r = &(*records)[i];
    *r = c->rec;
    r->events = NULL;
    r->nevents = r->cap = 0;
    if (c->rec.nevents) {
      r->events = malloc(c->rec.nevents * sizeof *r->events);
      if (r->events) {
        memcpy(r->events, c->rec.events, c->rec.nevents * sizeof *r->events);
        r->nevents = r->cap = c->rec.nevents;
      } else {
        r->dropped += c->rec.nevents;
      }
    }
    if (!r->scenario && c->scn) r->scenario = c->scn->name;
    (*states)[i] = c->closing ? "closing" : state_names[c->state];
  }
  return n;
}

/* ---- closing ------------------------------------------------------------------------ */

static void conn_free(struct conn *c) {
  struct server *srv = c->srv;
  if (c->prev) c->prev->next = c->next; else srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (!c->counted) conn_count(c, &srv->scenarios[atomic_load(&srv->default_idx)]);
  event_log_push(&srv->log, &c->rec);
  plan_unref(c->plan);
  buf_free(&c->pend);
  if (c->req) {
    request_free(c->req);
    free(c->req);
  }
  int64_t open = atomic_fetch_sub_explicit(&srv->open_conns, 1, memory_order_relaxed) - 1;
  free(c);
  /* After a crowd (thousands of stalled connections) has gone, give the memory back to the
   * system, so RSS returns to its baseline; rarely enough to cost nothing on a busy path. */
  if (++srv->freed_since_trim >= 1024 && open == 0) {
    srv->freed_since_trim = 0;
    malloc_trim(0);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  struct conn *c = h->data;
  if (--c->nhandles == 0) conn_free(c);
}

void conn_release(struct conn *c, enum conn_end end) {
  if (c->closing) return;
  c->closing = true;
  if (c->rec.end == END_OPEN) c->rec.end = (uint8_t)end;
  const char *name = conn_end_names[c->rec.end];
  conn_event(c, EV_CLOSE, name, strlen(name));
  uv_timer_stop(&c->timer);
  uv_read_stop((uv_stream_t *)&c->tcp);
  bool rst = end == END_RESET || end == END_ERROR;
  if (!rst || uv_tcp_close_reset(&c->tcp, on_handle_closed) != 0)
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* ---- reading ------------------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  (void)suggested;
  struct conn *c = h->data;
  *b = uv_buf_init(c->srv->readbuf, sizeof c->srv->readbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

void conn_read_start(struct conn *c) {
  /* Already reading: libuv answers UV_EALREADY at no cost. */
  if (!c->closing) uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void conn_read_stop(struct conn *c) { uv_read_stop((uv_stream_t *)&c->tcp); }

bool conn_stalled_forever(const struct conn *c) {
  if (c->state != CS_STALLED) return false;
  const struct step *s = &c->plan->steps[c->pc];
  return s->op == STEP_STALL && s->seconds == STEP_FOREVER;
}

static void pump(struct conn *c);
static void accept_fault(struct conn *c);

static void peer_closed(struct conn *c) {
  c->peer_eof = true;
  conn_event(c, EV_PEER_FIN, NULL, 0);
  switch (c->state) {
  case CS_LINGER:
  case CS_HALF:
    conn_release(c, END_FIN);
    break;
  case CS_READING:
  case CS_STALLED:
  case CS_HOLD:
    conn_release(c, END_PEER_FIN);
    break;
  case CS_ACCEPT_WAIT:
    accept_fault(c); /* the peer gave up first; the fault still happens, and is logged */
    break;
  default: /* a plan is writing: let it finish; a failed write ends it */
    break;
  }
}

/* libuv reports end of file on POLLHUP after a short read, also when the peer sent a RST
 * (Linux signals both with POLLHUP); the RST then waits as the socket's pending error,
 * which nobody reads. Without this check a peer that resets mid-request is logged as
 * peer_fin, and /events lies about how the proxy ended the connection. (After our own FIN,
 * in CS_LINGER or CS_HALF, the connection ended as ours whatever the peer does.) */
static bool peer_reset_pending(struct conn *c) {
  uv_os_fd_t fd;
  int err = 0;
  socklen_t len = sizeof err;
  return uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
         err == ECONNRESET;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  struct conn *c = s->data;
  if (c->closing || n == 0) return;
  if (n < 0) {
    if (n == UV_EOF && (c->state == CS_LINGER || c->state == CS_HALF || !peer_reset_pending(c))) {
      peer_closed(c);
    } else {
      if (n == UV_EOF) n = UV_ECONNRESET;
      const char *e = uv_err_name((int)n);
      conn_event(c, EV_PEER_RESET, e, strlen(e));
      conn_release(c, END_PEER_RESET);
    }
    return;
  }
  switch (c->state) {
  case CS_ACCEPT_WAIT:
    accept_fault(c); /* the peer's first bytes: its connect is done, its request out */
    return;
  case CS_LINGER:
  case CS_HALF:
  case CS_HOLD:
    return; /* read and dropped: we are past caring, but must not leave it unread */
  case CS_STALLED:
    /* A stall that never ends never parses what follows: drop it and keep reading, so a
     * flooding peer costs no memory and its FIN or RST still ends the connection. (Had
     * reading stopped at MAX_PENDING, nothing would notice the peer leave, and the
     * connection, its fd and 1 MiB would be held forever.) See exec_stall. */
    if (conn_stalled_forever(c)) return;
    break;
  case CS_READING:
    if (c->pend.len == 0) {
      size_t used = conn_parse(c, b->base, (size_t)n);
      if (used < (size_t)n) buf_append(&c->pend, b->base + used, (size_t)n - used);
      pump(c);
      return;
    }
    break;
  default:
    break;
  }
  buf_append(&c->pend, b->base, (size_t)n);
  if (c->pend.len > MAX_PENDING) conn_read_stop(c); /* pump() resumes once it drains */
  if (c->state == CS_READING) pump(c);
}

static void bad_request(struct conn *c) {
  enum http_errno e = c->parse_error;
  const char *name = http_errno_name(e);
  conn_event(c, EV_BAD_REQUEST, name, strlen(name));
  atomic_fetch_add_explicit(&c->srv->bad_requests, 1, memory_order_relaxed);
  c->state = CS_RUNNING;
  if (e == HPE_HEADER_OVERFLOW) wire_write(c, RESP_431, sizeof RESP_431 - 1, NULL);
  else wire_write(c, RESP_400, sizeof RESP_400 - 1, NULL);
  if (!c->closing) wire_finish(c, CONN_FIN);
}

/* ---- plans -------------------------------------------------------------------------- */

static void dispatch(struct conn *c) {
  c->msg_dispatched = true;
  struct scenario *s = c->scn;
  struct plan *p = s->plan;
  if (s->kind == SCENARIO_FUNCTION) {
    struct buf err = {0};
    p = scenario_call(s, c->req, &err);
    if (p) buf_free(&err);
    if (!p) {
      atomic_fetch_add_explicit(&s->stats.errors, 1, memory_order_relaxed);
      const char *msg = err.len ? buf_cstr(&err) : "plan function failed";
      size_t first = strcspn(msg, "\n");
      fprintf(stderr, "badup: connection %llu: %s\n", (unsigned long long)c->rec.id, msg);
      conn_event(c, EV_ERROR, msg, first);
      buf_free(&err);
      conn_release(c, END_ERROR);
      return;
    }
  }
  plan_unref(c->plan);
  c->plan = p;
  c->pc = 0;
  c->state = CS_RUNNING;
  conn_run_plan(c);
}

void conn_run_plan(struct conn *c) {
  while (!c->closing && c->state == CS_RUNNING) {
    if (c->pc >= c->plan->nsteps) {
      conn_keepalive(c, STEP_FOREVER);
      return;
    }
    const struct step *s = &c->plan->steps[c->pc];
    atomic_fetch_add_explicit(&c->scn->stats.steps[s->op], 1, memory_order_relaxed);
    conn_event(c, EV_STEP, step_names[s->op], strlen(step_names[s->op]));
    if (!step_execute(c, s)) return;
    c->pc++;
  }
}

static void idle_over(uv_timer_t *t) {
  struct conn *c = t->data;
  if (c->closing || c->state != CS_READING || c->in_message || c->pend.len) return;
  conn_event(c, EV_IDLE_CLOSE, NULL, 0);
  wire_finish(c, CONN_FIN);
}

void conn_keepalive(struct conn *c, double idle) {
  c->state = CS_READING;
  if (!c->keep_alive || c->parser.upgrade) {
    wire_finish(c, CONN_FIN);
    return;
  }
  if (idle != STEP_FOREVER) wire_timer(c, idle, idle_over);
  pump(c);
}

/* Parses buffered input and starts plans until it runs out of input or a plan waits.
 * Re-entry (a plan ending synchronously inside dispatch) just lets the outer loop go on. */
static void pump(struct conn *c) {
  if (c->in_pump) return;
  c->in_pump = true;
  while (!c->closing && c->state == CS_READING) {
    if (c->parse_error) {
      bad_request(c);
      break;
    }
    if (c->dispatch_ready) {
      c->dispatch_ready = false;
      dispatch(c);
      continue;
    }
    if (c->pend.len == 0) break;
    size_t n = conn_parse(c, c->pend.data, c->pend.len);
    buf_consume(&c->pend, n);
    if (n == 0 && !c->dispatch_ready && !c->parse_error) break;
  }
  if (!c->closing && c->state == CS_READING && !c->reading_stopped && c->pend.len <= MAX_PENDING)
    conn_read_start(c);
  c->in_pump = false;
}

/* ---- accept ------------------------------------------------------------------------- */

static void peer_name(struct conn *c) {
  struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) ss.ss_family = AF_UNSPEC;
  addr_format(&ss, c->rec.peer, sizeof c->rec.peer);
}

static void on_refused_closed(uv_handle_t *h) { free(h->data); }

/* The listener fault of a connection accepted under a listener scenario, now. */
static void accept_fault(struct conn *c) {
  struct scenario *d = c->scn;
  enum step_op op = (enum step_op)d->plan->listener;
  atomic_fetch_add_explicit(&d->stats.steps[op], 1, memory_order_relaxed);
  conn_event(c, EV_STEP, step_names[op], strlen(step_names[op]));
  c->state = CS_RUNNING;
  if (op == STEP_ACCEPT_CLOSE) {
    wire_do_finish(c, CONN_FIN);
  } else if (op == STEP_BLACKHOLE) {
    c->state = CS_HOLD;
    conn_read_start(c);
  } else {
    conn_release(c, END_RESET);
  }
}

static void accept_wait_over(uv_timer_t *t) {
  struct conn *c = t->data;
  if (!c->closing && c->state == CS_ACCEPT_WAIT) accept_fault(c);
}

void conn_accept(struct server *srv) {
  struct conn *c = calloc(1, sizeof *c);
  if (!c) return;
  c->srv = srv;
  uv_tcp_init(srv->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept((uv_stream_t *)srv->lst.tcp, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
    return;
  }
  uv_timer_init(srv->loop, &c->timer);
  c->timer.data = c;
  c->nhandles = 2;
  uv_tcp_nodelay(&c->tcp, 1); /* every write is its own segment: dribbles stay dribbles */
  c->next = srv->conns;
  if (c->next) c->next->prev = c;
  srv->conns = c;
  c->t0 = uv_hrtime();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  c->rec.start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  c->rec.id = ++srv->next_conn_id;
  peer_name(c);
  atomic_fetch_add_explicit(&srv->open_conns, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&srv->total_conns, 1, memory_order_relaxed);
  conn_event(c, EV_ACCEPT, c->rec.peer, strlen(c->rec.peer));
  conn_parse_init(c);
  c->state = CS_READING;

  struct scenario *d = &srv->scenarios[atomic_load(&srv->default_idx)];
  if (d->kind == SCENARIO_LISTENER) {
    /* accept_close / accept_reset act before a byte is read. (refuse and blackhole never
     * get here: the listener itself does them.) */
    c->scn = d;
    conn_count(c, d);
    c->plan = d->plan; /* static: never freed by the connection */
    c->pc = 0;
    double wait = d->plan->steps[0].seconds;
    if (d->plan->listener != STEP_BLACKHOLE && wait > 0) {
      /* Wait for the peer's first bytes (or the bound), so the fault always meets a peer
       * whose connect() has completed and whose request is out: a FIN or RST that raced
       * the peer's connect would make it see a failed connect one time and a failed read
       * the next. The bytes are dropped unread as far as the peer can tell. */
      c->state = CS_ACCEPT_WAIT;
      conn_read_start(c);
      wire_timer(c, wait, accept_wait_over);
      return;
    }
    accept_fault(c);
    return;
  }
  if (!srv->routed) conn_count(c, d);
  if (srv->collect) c->req = calloc(1, sizeof *c->req);
  conn_read_start(c);
}
