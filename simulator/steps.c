/* steps.c: what each step does when a plan reaches it.
 *
 * One executor per step kind, generated from the same BADUP_STEPS list as the
 * constructors. An executor does the step's own work (bytes out, an event) and returns
 * what should happen next: go on, wait in some state (for a timer, the peer or a
 * barrier), or end the exchange in some way. It never changes the connection's state,
 * arms its timer or ends it: conn.c does what the result says. Nothing here blocks: a
 * stall is a timer, not a sleep. */
#include <assert.h>
#include <string.h>

#include "conn.h"
#include "h2_conn.h"

static struct step_result go_on(void) { return (struct step_result){.next = STEP_NEXT}; }

static struct step_result wait_in(enum conn_state state, double seconds) {
  return (struct step_result){.next = STEP_WAIT, .wait = state, .seconds = seconds};
}

static struct step_result end_with(enum conn_finish how) { return (struct step_result){.next = STEP_END, .how = how}; }

/* A write the transport refused: the connection goes, and its record says why. */
static struct step_result write_failed(int err) {
  return (struct step_result){.next = STEP_END, .how = CONN_DROP, .why = conn_end_of_write(err)};
}

/* Listener steps reached by a request (a folder of scenarios routes by path after the
 * connection was accepted): listener.c says what is left of the fault. */
static struct step_result exec_listener(struct conn *c, const struct step *s) {
  (void)c;
  return listener_fault(s->op);
}

static struct step_result exec_start(struct conn *c, const struct step *s) {
  (void)c, (void)s; /* plan_build folds these into plan->start */
  return go_on();
}

static struct step_result exec_send(struct conn *c, const struct step *s) {
  int rc = transport_write(c->tp, s->bytes, s->len, c->plan);
  return rc < 0 ? write_failed(rc) : go_on();
}

static struct step_result exec_dribble(struct conn *c, const struct step *s) {
  c->drib_off = 0;
  if (s->len == 0) return go_on();
  return step_dribble_on(c, s);
}

struct step_result step_dribble_on(struct conn *c, const struct step *s) {
  assert(c->drib_off < s->len);
  size_t n = s->len - c->drib_off;
  if (n > s->n) n = s->n;
  int rc = transport_write(c->tp, s->bytes + c->drib_off, n, c->plan);
  if (rc < 0) return write_failed(rc);
  c->drib_off += (uint32_t)n;
  return c->drib_off < s->len ? wait_in(CS_DRIBBLING, s->seconds) : go_on();
}

static struct step_result exec_stall(struct conn *c, const struct step *s) {
  if (c->peer_eof) /* nobody is waiting any more */
    return (struct step_result){.next = STEP_END, .how = CONN_DROP, .why = END_PEER_FIN};
  return wait_in(CS_STALLED, s->seconds);
}

static struct step_result exec_stopread(struct conn *c, const struct step *s) {
  (void)s;
  transport_read_stop(c->tp);
  c->reading_stopped = true;
  return go_on();
}

/* barrier(name, bound): go on at once when the name was reached already; else wait until
 * it is (conn_barrier_reached) or until the bound passes (the timer). Either way the plan
 * goes on: the bound is what makes a proxy that buffers answer the same way every time,
 * and the event log says which of the two happened. */
static struct step_result exec_barrier(struct conn *c, const struct step *s) {
  const struct barrier *b = server_barrier_find(c->srv, s->bytes, s->len);
  if (b && b->reached) {
    conn_event(c, EV_BARRIER_REACHED, s->bytes, s->len);
    return go_on();
  }
  return wait_in(CS_BARRIER, s->seconds);
}

/* reach(name): the barrier is reached now; connections waiting at it go on (in this call:
 * this connection is running, so it is not among them). Out of names is no reason to end
 * the exchange: the event log says so and the plan goes on. */
static struct step_result exec_reach(struct conn *c, const struct step *s) {
  char name[BARRIER_NAME_MAX];
  memcpy(name, s->bytes, s->len); /* checked at load: shorter than BARRIER_NAME_MAX */
  name[s->len] = 0;
  if (server_barrier_reach(c->srv, name) < 0) conn_event(c, EV_ERROR, "too many barrier names", 22);
  return go_on();
}

/* tls_alert(): its record, raw: before the handshake there is no session to put it in
 * (scenario loading keeps it out of plans that run inside one). */
static struct step_result exec_tls_alert(struct conn *c, const struct step *s) {
  if (!transport_is_raw(c->tp)) {
    static const char why[] = "tls_alert() inside a TLS session: not sent";
    conn_event(c, EV_ERROR, why, sizeof why - 1);
    return go_on();
  }
  return exec_send(c, s);
}

/* A frame step: its frames, on the request's stream unless it names one (h2_conn.c). */
static struct step_result exec_h2_frame(struct conn *c, const struct step *s) {
  int rc = h2_conn_send_step(c, s);
  return rc < 0 ? write_failed(rc) : go_on();
}

static struct step_result exec_end(struct conn *c, const struct step *s) {
  if (s->op == STEP_CLOSE && s->n == 1) transport_set_close_notify(c->tp, false);
  return end_with(s->op == STEP_RESET ? CONN_RST : s->op == STEP_HALFCLOSE ? CONN_HALF_CLOSE : CONN_FIN);
}

static struct step_result exec_keepalive(struct conn *c, const struct step *s) {
  (void)c;
  return (struct step_result){.next = STEP_END, .how = CONN_KEEPALIVE, .seconds = s->seconds};
}

typedef struct step_result (*step_fn)(struct conn *c, const struct step *s);

static const step_fn executors[STEP__COUNT] = {
#define BADUP_STEP_EXEC(id, name, kind, ctor, exec) [STEP_##id] = exec,
    BADUP_STEPS(BADUP_STEP_EXEC)
#undef BADUP_STEP_EXEC
};

struct step_result step_execute(struct conn *c, const struct step *s) { return executors[s->op](c, s); }
