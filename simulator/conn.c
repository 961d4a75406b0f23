/* conn.c: a connection's life: accept, read, pick a scenario, run its plan, end.
 *
 * The connection's state machine lives here, and only here: steps (steps.c) and listener
 * faults (listener.c) say what should happen next, the transport (transport.h) carries
 * the bytes and reports what happened, and this file changes c->state. Parsing and plan execution never nest: the
 * parser's callbacks (conn_parse.c) only record what they saw and pause the parser when a
 * plan should start; pump() then starts it outside the parser. Bytes that arrive while a
 * plan runs (pipelined requests, or anything while stalled) wait in c->pend and are parsed
 * when the plan ends with keep-alive.
 *
 * States and transitions ("released": conn_release, the socket goes and the connection is
 * freed after its close callbacks; a peer's RST, a failed write and the server's stop
 * release in every state):
 *
 *   READING      a request is due (pump)                          -> RUNNING
 *                a malformed request: 400 or 431, then a FIN      -> RUNNING -> finish
 *                keep-alive idle time over                        -> finish (FIN)
 *                the peer's FIN                                   -> released
 *   RUNNING      a step is done                                   -> RUNNING (next step)
 *                a step waits                                     -> DRIBBLING | STALLED | BARRIER
 *                keepalive() or the plan's end                    -> READING, or finish (FIN)
 *                                                                    without keep-alive
 *                close() / reset() / halfclose()                  -> finish
 *                blackhole() reached by path                      -> HOLD
 *                the plan function failed                         -> released (RST)
 *   finish       writes queued                                    -> FLUSHING
 *                FIN / half-close                                 -> LINGER / HALF
 *                RST                                              -> released
 *   DRIBBLING    timer: next piece; after the last one            -> RUNNING
 *   STALLED      timer                                            -> RUNNING
 *                the peer's FIN                                   -> released
 *   BARRIER      name reached, or its bound passed                -> RUNNING
 *   FLUSHING     the last queued write completed                  -> finish
 *   LINGER       the peer's FIN, or the linger time passed        -> released
 *   HALF         the peer's FIN                                   -> released
 *   ACCEPT_WAIT  the peer's whole request or FIN, or the wait over -> the listener fault:
 *                                                                   finish (accept_close) or
 *                                                                   released (accept_reset)
 *   HOLD         the peer's FIN                                   -> released
 */
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "conn.h"
#include "h2_conn.h"
#include "h2_vocabulary.h"

#define MAX_PENDING (1u << 20) /* unparsed input kept while a plan runs */
#define H2_MAX_QUEUED_WRITES 16 /* HTTP/2: writes the peer has not taken yet before reading stops */

static const char RESP_400[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char RESP_431[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static uint32_t elapsed_us(const struct conn *c) { return (uint32_t)((uv_hrtime() - c->t0) / 1000u); }

void conn_event(struct conn *c, enum event_kind kind, const char *detail, size_t len) {
  if (c->rec.nevents >= EVENTS_PER_CONN) {
    c->rec.dropped++; /* long keep-alive connections: only the start is kept */
    return;
  }
  conn_record_add(&c->rec, elapsed_us(c), kind, detail, len);
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

/* ---- releasing ---------------------------------------------------------------------- */

static void conn_free(struct conn *c) {
  assert(c->closing && c->nhandles == 0);
  struct server *srv = c->srv;
  if (c->prev) c->prev->next = c->next; else srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (!c->counted) conn_count(c, &srv->scenarios[atomic_load(&srv->default_idx)]);
  h2_conn_free(c); /* its waiting requests, recorded as incomplete; the running one is c->req */
  /* A request whose head came but whose message never ended: what came of its body. */
  if (c->received_id && c->req) received_body(&srv->received, c->received_id, c->req, false);
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

/* The transport or the timer has closed; the connection goes with the last of them. */
static void handle_gone(struct conn *c) {
  assert(c->nhandles > 0);
  if (--c->nhandles == 0) conn_free(c);
}

static void on_timer_closed(uv_handle_t *h) { handle_gone(h->data); }
static void on_transport_closed(void *owner) { handle_gone(owner); }

void conn_release(struct conn *c, enum conn_end end) {
  if (c->closing) return;
  c->closing = true;
  if (c->rec.end == END_OPEN) c->rec.end = (uint8_t)end;
  const char *name = conn_end_names[c->rec.end];
  conn_event(c, EV_CLOSE, name, strlen(name));
  uv_timer_stop(&c->timer);
  if (end == END_RESET || end == END_ERROR) transport_reset(c->tp);
  else transport_close(c->tp);
  uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

/* Reading stops at MAX_PENDING, for stopread() and at release; everything else reads. */
static void read_start(struct conn *c) {
  if (!c->closing) transport_read_start(c->tp); /* already reading: no cost */
}

/* ---- the timer ---------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

/* How far the loop's clock can lag the monotonic clock, in whole ms (at least 1). */
static uint64_t clock_tick_ms(void) {
  static uint64_t tick; /* the data plane is one thread */
  if (!tick) {
    struct timespec r;
    tick = 1;
#ifdef CLOCK_MONOTONIC_COARSE
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &r) == 0 && r.tv_sec == 0 && r.tv_nsec > 0)
      tick = (uint64_t)ceil(r.tv_nsec / 1e6);
#endif
  }
  return tick;
}

/* One timer per connection; what its firing means depends on the state it fires in. */
static void arm_timer(struct conn *c, double seconds) {
  uv_update_time(c->srv->loop); /* stall durations count from now, not from loop start */
  /* libuv keeps time in whole milliseconds, truncated, read from the kernel's coarse clock
   * (CLOCK_MONOTONIC_COARSE when its resolution is 1 ms or finer, which is one tick, 4 ms at
   * HZ=250): the loop's time can lag by up to a tick at the start and not at the firing, so
   * a timer can fire up to a tick before its full length has passed. Rounding up and adding
   * a tick means a stall is never shorter than the scenario asked (on average half a tick
   * longer). */
  uint64_t ms = (uint64_t)ceil(seconds * 1000.0) + (seconds > 0 ? clock_tick_ms() : 0);
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- endings ------------------------------------------------------------------------ */

static void pump(struct conn *c);
static void follow(struct conn *c, struct step_result r);

/* FIN, half-close or RST now: every queued write is out. */
static void finish_now(struct conn *c, enum conn_finish how) {
  if (c->closing) return;
  uv_timer_stop(&c->timer);
  if (how == CONN_RST) {
    conn_release(c, END_RESET);
    return;
  }
  assert(how == CONN_FIN || how == CONN_HALF_CLOSE);
  c->state = how == CONN_FIN ? CS_LINGER : CS_HALF;
  if (c->peer_eof && how == CONN_FIN) {
    /* Nothing more can come in: a plain close sends the FIN. */
    conn_release(c, END_FIN);
    return;
  }
  if (transport_shutdown(c->tp) < 0) {
    conn_release(c, END_FIN);
    return;
  }
  if (!c->reading_stopped) read_start(c);
}

/* FIN, half-close or RST once every queued write is out (the bytes of a response go
 * before the FIN that ends it, and an RST does not cut them short). */
static void finish(struct conn *c, enum conn_finish how) {
  if (c->tp->pending_writes) {
    c->after_flush = how;
    c->state = CS_FLUSHING;
    return;
  }
  finish_now(c, how);
}

static void on_written(void *owner, int status) {
  struct conn *c = owner;
  if (c->closing) return;
  if (status < 0) {
    conn_release(c, END_PEER_RESET);
    return;
  }
  if (c->tp->pending_writes == 0 && c->state == CS_FLUSHING) finish_now(c, c->after_flush);
  if (c->h2_held && c->tp->pending_writes == 0 && !c->closing) {
    c->h2_held = false;
    if (!c->reading_stopped) transport_read_start(c->tp);
  }
}

static void on_shut(void *owner, int status) {
  struct conn *c = owner;
  if (c->closing) return;
  if (status < 0) {
    conn_release(c, END_PEER_RESET);
    return;
  }
  if (c->peer_eof) {
    /* The peer finished first: both FINs are out, nothing left to drain. */
    conn_release(c, END_FIN);
    return;
  }
  if (c->state == CS_LINGER) arm_timer(c, c->srv->linger_ms / 1000.0);
}

/* The plan is over and the connection stays open for the next request, `idle` seconds at
 * most (STEP_FOREVER: no bound); without keep-alive, a FIN. */
static void keepalive(struct conn *c, double idle) {
  c->state = CS_READING;
  if (!c->keep_alive || c->parser.upgrade) {
    finish(c, CONN_FIN);
    return;
  }
  if (idle != STEP_FOREVER) arm_timer(c, idle);
  pump(c);
}

/* ---- reading ------------------------------------------------------------------------ */

/* In a stall() with no end: what the peer sends is read and dropped. */
static bool stalled_forever(const struct conn *c) {
  if (c->state != CS_STALLED) return false;
  assert(c->pc < c->plan->nsteps);
  const struct step *s = &c->plan->steps[c->pc];
  return s->op == STEP_STALL && s->seconds == STEP_FOREVER;
}

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

static void h2_read(struct conn *c, const char *data, size_t n);

static void on_read(void *owner, ssize_t n, const char *data) {
  struct conn *c = owner;
  assert(n != 0);
  if (c->closing) return;
  if (n < 0) {
    /* A RST after a short read comes as end of file; without asking, a peer that resets
     * mid-request would be logged as peer_fin, and /events would lie about how the proxy
     * ended the connection. (After our own FIN, in CS_LINGER or CS_HALF, the connection
     * ended as ours whatever the peer does.) */
    if (n == UV_EOF && (c->state == CS_LINGER || c->state == CS_HALF || !transport_peer_reset_pending(c->tp))) {
      peer_closed(c);
    } else {
      if (n == UV_EOF) n = UV_ECONNRESET;
      const char *e = uv_err_name((int)n);
      conn_event(c, EV_PEER_RESET, e, strlen(e));
      conn_release(c, END_PEER_RESET);
    }
    return;
  }
  if (c->h2) {
    h2_read(c, data, (size_t)n);
    return;
  }
  switch (c->state) {
  case CS_ACCEPT_WAIT:
    if (conn_parse_request_in(c, data, (size_t)n)) accept_fault(c); /* its connect done, its request out */
    return;
  case CS_LINGER:
  case CS_HALF:
  case CS_HOLD:
    return; /* read and dropped: we are past caring, but must not leave it unread */
  case CS_STALLED:
    /* A stall that never ends never parses what follows: drop it and keep reading, so a
     * flooding peer costs no memory and its FIN or RST still ends the connection. (Had
     * reading stopped at MAX_PENDING, nothing would notice the peer leave, and the
     * connection, its fd and 1 MiB would be held forever.) See follow(). */
    if (stalled_forever(c)) return;
    break;
  case CS_READING:
    if (c->pend.len == 0) {
      size_t used = conn_parse(c, data, (size_t)n);
      if (used < (size_t)n) buf_append(&c->pend, data + used, (size_t)n - used);
      pump(c);
      return;
    }
    break;
  default:
    break;
  }
  buf_append(&c->pend, data, (size_t)n);
  if (c->pend.len > MAX_PENDING) transport_read_stop(c->tp); /* pump() resumes once it drains */
  if (c->state == CS_READING) pump(c);
}

static void bad_request(struct conn *c) {
  enum http_errno e = c->parse_error;
  const char *name = http_errno_name(e);
  conn_event(c, EV_BAD_REQUEST, name, strlen(name));
  atomic_fetch_add_explicit(&c->srv->bad_requests, 1, memory_order_relaxed);
  c->state = CS_RUNNING;
  int rc = e == HPE_HEADER_OVERFLOW ? transport_write(c->tp, RESP_431, sizeof RESP_431 - 1, NULL)
                                    : transport_write(c->tp, RESP_400, sizeof RESP_400 - 1, NULL);
  if (rc < 0) conn_release(c, conn_end_of_write(rc));
  else finish(c, CONN_FIN);
}

/* ---- plans -------------------------------------------------------------------------- */

/* HTTP/2: writes the frames the plan queued. They wait until a step that is no frame (its
 * raw bytes, its wait or its ending go after them) or the plan's end, and within one read's
 * batch (h2_read) until its end, so a batch of streams costs one write. False when the
 * connection went. */
static bool h2_flush(struct conn *c) {
  int rc = h2_conn_flush(c);
  if (rc < 0) conn_release(c, conn_end_of_write(rc));
  return rc >= 0;
}

static void run_plan(struct conn *c) {
  while (!c->closing && c->state == CS_RUNNING) {
    if (c->pc >= c->plan->nsteps) {
      if (c->h2 && !h2_conn_batching(c) && !h2_flush(c)) return;
      keepalive(c, STEP_FOREVER);
      return;
    }
    const struct step *s = &c->plan->steps[c->pc];
    if (c->h2 && !h2_step_is_frame(s->op) && !(s->op == STEP_KEEPALIVE && h2_conn_batching(c)) && !h2_flush(c))
      return;
    atomic_fetch_add_explicit(&c->scn->stats.steps[s->op], 1, memory_order_relaxed);
    conn_event(c, EV_STEP, step_names[s->op], strlen(step_names[s->op]));
    struct step_result r = step_execute(c, s);
    if (r.next != STEP_NEXT) {
      follow(c, r);
      return;
    }
    c->pc++;
  }
}

/* The step at c->pc is over (its timer fired, or its barrier was reached): the next. */
static void step_over(struct conn *c) {
  c->state = CS_RUNNING;
  c->pc++;
  run_plan(c);
}

/* Does what a step or a listener fault asked for, other than going on at once. */
static void follow(struct conn *c, struct step_result r) {
  if (r.next == STEP_WAIT) {
    assert(r.wait == CS_DRIBBLING || r.wait == CS_STALLED || r.wait == CS_BARRIER);
    c->state = r.wait;
    if (r.seconds != STEP_FOREVER) {
      arm_timer(c, r.seconds);
      return;
    }
    uv_timer_stop(&c->timer); /* on_timer acts by state: nothing may fire in this one */
    if (r.wait == CS_STALLED && !c->reading_stopped) {
      /* Nothing after this stall will ever parse the input: drop what is buffered and read
       * on (reading may have stopped at MAX_PENDING), or a flooding peer that then leaves
       * would hold the connection forever. */
      buf_free(&c->pend);
      read_start(c);
    }
    return;
  }
  assert(r.next == STEP_END);
  switch (r.how) {
  case CONN_FIN:
  case CONN_RST:
  case CONN_HALF_CLOSE:
    finish(c, r.how);
    break;
  case CONN_KEEPALIVE:
    keepalive(c, r.seconds);
    break;
  case CONN_HOLD:
    uv_timer_stop(&c->timer);
    c->state = CS_HOLD;
    break;
  case CONN_DROP:
    assert(r.why != END_OPEN);
    conn_release(c, r.why);
    break;
  }
}

static void dispatch(struct conn *c) {
  c->msg_dispatched = true;
  struct scenario *s = c->scn;
  struct upstream_plan up = scenario_upstream(s, c->up);
  struct plan *p = up.plan;
  if (up.kind == SCENARIO_FUNCTION) {
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
  run_plan(c);
}

/* Parses buffered input and starts plans until it runs out of input or a plan waits.
 * Re-entry (a plan ending synchronously inside dispatch) just lets the outer loop go on. */
static void pump(struct conn *c) {
  if (c->in_pump) return;
  c->in_pump = true;
  if (c->h2) {
    /* HTTP/2 takes its input in as it comes (h2_read): here only the plans of ready streams. */
    while (!c->closing && c->state == CS_READING && h2_conn_next_request(c)) dispatch(c);
    /* The peer's FIN came while a plan ran (peer_closed only noted it) and no stream is left
     * to answer: nothing more can come in. (HTTP/1 reads again below and sees the FIN anew;
     * this branch does not read again, so it would wait for good.) */
    if (!c->closing && c->state == CS_READING && c->peer_eof) conn_release(c, END_PEER_FIN);
    c->in_pump = false;
    return;
  }
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
    read_start(c);
  c->in_pump = false;
}

void conn_barrier_reached(struct server *srv, const char *name) {
  size_t len = strlen(name);
  /* run_plan may release a connection, but it stays on the list until its close callbacks
   * have run, later in the loop: the walk is safe. */
  for (struct conn *c = srv->conns; c; c = c->next) {
    if (c->closing || c->state != CS_BARRIER) continue;
    assert(c->pc < c->plan->nsteps);
    const struct step *s = &c->plan->steps[c->pc];
    if (s->len != len || memcmp(s->bytes, name, len) != 0) continue;
    uv_timer_stop(&c->timer);
    conn_event(c, EV_BARRIER_REACHED, s->bytes, s->len);
    step_over(c);
  }
}

static void on_timer(uv_timer_t *t) {
  struct conn *c = t->data;
  if (c->closing) return;
  bool step_waits = c->state == CS_DRIBBLING || c->state == CS_STALLED || c->state == CS_BARRIER;
  /* A step that waits on the timer is the one at c->pc: the plan has not run past it. */
  assert(!step_waits || c->pc < c->plan->nsteps);
  const struct step *s = step_waits ? &c->plan->steps[c->pc] : NULL;
  switch (c->state) {
  case CS_READING: /* keep-alive idle time over, unless a request has begun meanwhile */
    if (c->in_message || c->pend.len) return;
    conn_event(c, EV_IDLE_CLOSE, NULL, 0);
    finish(c, CONN_FIN);
    return;
  case CS_ACCEPT_WAIT: /* the peer sent nothing in time: the fault happens anyway */
    accept_fault(c);
    return;
  case CS_LINGER: /* the peer kept its side open past the linger time */
    conn_release(c, END_FIN);
    return;
  case CS_DRIBBLING: {
    struct step_result r = step_dribble_on(c, s);
    if (r.next != STEP_NEXT) {
      follow(c, r);
      return;
    }
    break;
  }
  case CS_BARRIER:
    conn_event(c, EV_BARRIER_TIMEOUT, s->bytes, s->len);
    break;
  case CS_STALLED:
    break;
  default: /* nothing waits on the timer in the other states */
    return;
  }
  conn_event(c, EV_STEP_DONE, step_names[s->op], strlen(step_names[s->op]));
  step_over(c);
}

/* ---- accept ------------------------------------------------------------------------- */

static void peer_name(struct conn *c) {
  struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};
  if (transport_peer_address(c->tp, &ss) != 0) ss.ss_family = AF_UNSPEC;
  addr_format(&ss, c->rec.peer, sizeof c->rec.peer);
}

/* Runs a plan of the connection's own scenario that answers something other than a request
 * (tls.handshake, http2.preface): static, never freed by the connection. */
static void run_static(struct conn *c, struct plan *p) {
  conn_count(c, c->scn);
  uv_timer_stop(&c->timer);
  plan_unref(c->plan);
  c->plan = p;
  c->pc = 0;
  c->state = CS_RUNNING;
  run_plan(c);
}

static void h2_react(struct conn *c, struct h2_flags f);

/* HTTP/2 input: h2_conn.c takes it in, then h2_react does what it calls for, and whatever
 * both queued goes out in one write. */
static void h2_read(struct conn *c, const char *data, size_t n) {
  if (c->state == CS_LINGER || c->state == CS_HALF || c->state == CS_HOLD) return; /* past caring */
  h2_conn_batch(c, true);
  h2_react(c, h2_conn_input(c, data, n));
  if (c->closing || !c->h2) return;
  h2_conn_batch(c, false);
  if (!h2_flush(c)) return;
  /* A peer that sends and never reads (a PING or SETTINGS flood) would have its answers
   * queued without end: stop reading until they have gone out (on_written), as TCP holds a
   * sender back. */
  if (c->tp->pending_writes >= H2_MAX_QUEUED_WRITES && !c->h2_held) {
    c->h2_held = true;
    transport_read_stop(c->tp);
  }
}

static void h2_react(struct conn *c, struct h2_flags f) {
  if (c->closing) return;
  if (f.preface_plan) {
    run_static(c, c->scn->http2->preface);
    return;
  }
  bool waits = c->state == CS_DRIBBLING || c->state == CS_STALLED || c->state == CS_BARRIER;
  if (f.fatal && (waits || c->state == CS_READING)) {
    uv_timer_stop(&c->timer);
    c->state = CS_RUNNING;
    if (h2_flush(c)) finish(c, CONN_FIN); /* the GOAWAY, then the FIN */
    return;
  }
  if (f.reset && f.reset == c->stream && waits) {
    /* Nobody waits for the rest of this stream's plan: the next stream's may start. */
    static const char why[] = "the client reset the stream";
    conn_event(c, EV_STEP_DONE, why, sizeof why - 1);
    uv_timer_stop(&c->timer);
    keepalive(c, STEP_FOREVER);
    return;
  }
  if (c->state == CS_READING) pump(c);
}

/* What the TLS session says: its events, and two turns of the exchange. A failed handshake
 * ends the connection (its alert first, then a FIN); a ClientHello that the scenario's
 * tls.handshake steps answer starts them, on the raw connection. */
static void on_tls(void *owner, enum transport_tls_event what, const char *detail, size_t len) {
  struct conn *c = owner;
  if (c->closing) return;
  switch (what) {
  case TLS_EV_HELLO:
    conn_event(c, EV_TLS_HELLO, detail, len);
    assert(c->scn && c->scn->tls && c->scn->tls->handshake);
    run_static(c, c->scn->tls->handshake);
    return;
  case TLS_EV_ESTABLISHED:
    conn_event(c, EV_TLS_HANDSHAKE, detail, len);
    return;
  case TLS_EV_FAILED:
    conn_event(c, EV_TLS_ERROR, detail, len);
    if (c->state == CS_READING || c->state == CS_ACCEPT_WAIT) {
      /* Before any plan: nothing else will end it. (A record that fails later is a read
       * error, which on_read ends.) */
      uv_timer_stop(&c->timer);
      c->state = CS_RUNNING;
      finish(c, CONN_FIN);
    }
    return;
  case TLS_EV_CLOSE_NOTIFY_IN:
    conn_event(c, EV_TLS_CLOSE_NOTIFY, "received", 8);
    return;
  case TLS_EV_CLOSE_NOTIFY_OUT:
    conn_event(c, EV_TLS_CLOSE_NOTIFY, "sent", 4);
    return;
  case TLS_EV_EOF_NO_NOTIFY:
    conn_event(c, EV_TLS_NO_CLOSE_NOTIFY, NULL, 0);
    return;
  }
}

static const struct transport_events conn_transport_events = {
    .read = on_read,
    .written = on_written,
    .shut = on_shut,
    .closed = on_transport_closed,
    .tls = on_tls,
};

/* The listener fault of a connection accepted under a listener scenario, now. */
static void accept_fault(struct conn *c) {
  assert(c->plan && c->plan->listener != STEP__COUNT && c->tp->pending_writes == 0);
  enum step_op op = (enum step_op)c->plan->listener;
  atomic_fetch_add_explicit(&c->scn->stats.steps[op], 1, memory_order_relaxed);
  conn_event(c, EV_STEP, step_names[op], strlen(step_names[op]));
  c->state = CS_RUNNING;
  follow(c, listener_fault(op));
}

void conn_accept(struct upstream_port *u) {
  struct server *srv = u->srv;
  struct conn *c = calloc(1, sizeof *c);
  if (!c) return;
  c->srv = srv;
  c->up = (uint8_t)u->index;
  c->rec.upstream = (uint8_t)(u->index + 1);
  /* TLS is the default scenario's (or --tls's, for every scenario without its own): the
   * path that routes a request to another one comes only after the handshake. */
  int di = atomic_load(&srv->default_idx);
  const struct tls_server *tls = server_tls_of(srv, di);
  int rc = tls ? transport_tls_accept((uv_stream_t *)u->lst.tcp, tls, srv->readbuf, sizeof srv->readbuf,
                                     &conn_transport_events, c, &c->tp)
              : transport_tcp_accept((uv_stream_t *)u->lst.tcp, srv->readbuf, sizeof srv->readbuf,
                                     &conn_transport_events, c, &c->tp);
  if (rc < 0) {
    free(c);
    return;
  }
  uv_timer_init(srv->loop, &c->timer);
  c->timer.data = c;
  c->nhandles = 2;
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
  atomic_fetch_add_explicit(&u->connections, 1, memory_order_relaxed);
  conn_event(c, EV_ACCEPT, c->rec.peer, strlen(c->rec.peer));
  conn_parse_init(c);
  c->state = CS_READING;

  struct scenario *d = &srv->scenarios[di];
  if (tls && d->tls && d->tls->handshake) c->scn = d; /* its handshake steps answer the hello */
  if (d->http2 && d->kind != SCENARIO_LISTENER) {
    /* HTTP/2 is the default scenario's, as TLS is: the preface comes before any path. */
    if (!(c->h2 = h2_conn_new(d->http2))) {
      conn_release(c, END_ERROR);
      return;
    }
    c->keep_alive = true; /* HTTP/2 connections persist (RFC 9113 9.1) */
    if (d->http2->preface) c->scn = d;
  }
  struct upstream_plan up = scenario_upstream(d, c->up);
  if (up.kind == SCENARIO_LISTENER) {
    /* A listener fault the socket itself cannot do (listener.c says which), on each
     * connection before a byte of it is parsed. */
    c->scn = d;
    conn_count(c, d);
    c->plan = up.plan; /* static: never freed by the connection */
    c->pc = 0;
    read_start(c);
    double wait = listener_fault_wait(up.plan);
    if (wait > 0) {
      c->state = CS_ACCEPT_WAIT;
      arm_timer(c, wait);
      return;
    }
    accept_fault(c);
    return;
  }
  if (!srv->routed) conn_count(c, d);
  /* Every request is recorded (GET /requests); a plan function may read its whole body,
   * the record keeps its start. */
  c->req = calloc(1, sizeof *c->req);
  if (c->req) {
    c->req->body_cap = srv->collect ? REQUEST_MAX_BODY : RECEIVED_BODY_KEPT;
    c->req->upstream = (uint8_t)(u->index + 1);
  }
  read_start(c);
}
