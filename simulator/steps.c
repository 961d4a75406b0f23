/* steps.c: what each step does when a plan reaches it.
 *
 * One executor per step kind, dispatched from the same BADUP_STEPS list as the
 * constructors. An executor either finishes at once (returns true: the plan goes on), or
 * arms the connection's timer / waits for the peer and returns false; the timer callback
 * then resumes the plan. Nothing here blocks: a stall is a timer, not a sleep. */
#include <string.h>

#include "conn.h"

/* Listener faults requested per request (a folder of scenarios routes by path after the
 * connection was accepted): the nearest thing that can still happen on this connection. */
static bool exec_listener(struct conn *c, const struct step *s) {
  switch (s->op) {
  case STEP_REFUSE:
  case STEP_ACCEPT_RESET:
    wire_finish(c, CONN_RST);
    break;
  case STEP_ACCEPT_CLOSE:
    wire_finish(c, CONN_FIN);
    break;
  default: /* blackhole: say nothing, ever; the peer gives up */
    c->state = CS_HOLD;
    break;
  }
  return false;
}

static bool exec_start(struct conn *c, const struct step *s) {
  (void)c, (void)s; /* plan_build folds these into plan->start */
  return true;
}

static bool exec_send(struct conn *c, const struct step *s) {
  return wire_write(c, s->bytes, s->len, c->plan) == 0 && !c->closing;
}

static bool dribble_piece(struct conn *c, const struct step *s) {
  size_t n = s->len - c->drib_off;
  if (n > s->n) n = s->n;
  if (wire_write(c, s->bytes + c->drib_off, n, c->plan) != 0 || c->closing) return false;
  c->drib_off += (uint32_t)n;
  return true;
}

static bool exec_dribble(struct conn *c, const struct step *s) {
  c->drib_off = 0;
  if (s->len == 0) return true;
  if (!dribble_piece(c, s)) return false;
  if (c->drib_off >= s->len) return true;
  c->state = CS_DRIBBLING;
  wire_timer(c, s->seconds, step_timer_fired);
  return false;
}

static bool exec_stall(struct conn *c, const struct step *s) {
  if (c->peer_eof) { /* nobody is waiting any more */
    conn_release(c, END_PEER_FIN);
    return false;
  }
  c->state = CS_STALLED;
  if (s->seconds != STEP_FOREVER) {
    wire_timer(c, s->seconds, step_timer_fired);
  } else if (!c->reading_stopped) {
    /* Nothing after this stall will ever parse the input: drop what is buffered and read
     * on (reading may have stopped at MAX_PENDING), or a flooding peer that then leaves
     * would hold the connection forever. */
    buf_free(&c->pend);
    conn_read_start(c);
  }
  return false;
}

static bool exec_stopread(struct conn *c, const struct step *s) {
  (void)s;
  conn_read_stop(c);
  c->reading_stopped = true;
  return true;
}

/* barrier(name, bound): go on at once when the name was reached already; else wait until
 * it is (step_barrier_reached) or until the bound passes (step_timer_fired). Either way
 * the plan goes on: the bound is what makes a proxy that buffers answer the same way every
 * time, and the event log says which of the two happened. */
static bool exec_barrier(struct conn *c, const struct step *s) {
  const struct barrier *b = server_barrier_find(c->srv, s->bytes, s->len);
  if (b && b->reached) {
    conn_event(c, EV_BARRIER_REACHED, s->bytes, s->len);
    return true;
  }
  c->state = CS_BARRIER;
  wire_timer(c, s->seconds, step_timer_fired);
  return false;
}

void step_barrier_reached(struct server *srv, const char *name) {
  size_t len = strlen(name);
  /* conn_run_plan may close a connection, but it stays on the list until its close
   * callbacks have run, later in the loop: the walk is safe. */
  for (struct conn *c = srv->conns; c; c = c->next) {
    if (c->closing || c->state != CS_BARRIER) continue;
    const struct step *s = &c->plan->steps[c->pc];
    if (s->len != len || memcmp(s->bytes, name, len) != 0) continue;
    uv_timer_stop(&c->timer);
    conn_event(c, EV_BARRIER_REACHED, s->bytes, s->len);
    c->state = CS_RUNNING;
    c->pc++;
    conn_run_plan(c);
  }
}

static bool exec_end(struct conn *c, const struct step *s) {
  wire_finish(c, s->op == STEP_RESET ? CONN_RST : s->op == STEP_HALFCLOSE ? CONN_HALF_CLOSE : CONN_FIN);
  return false;
}

static bool exec_keepalive(struct conn *c, const struct step *s) {
  conn_keepalive(c, s->seconds);
  return false;
}

typedef bool (*step_fn)(struct conn *c, const struct step *s);

static const step_fn executors[STEP__COUNT] = {
#define BADUP_STEP_EXEC(id, name, kind, ctor, exec) [STEP_##id] = exec,
    BADUP_STEPS(BADUP_STEP_EXEC)
#undef BADUP_STEP_EXEC
};

bool step_execute(struct conn *c, const struct step *s) { return executors[s->op](c, s); }

void step_timer_fired(uv_timer_t *t) {
  struct conn *c = t->data;
  if (c->closing) return;
  const struct step *s = &c->plan->steps[c->pc];
  if (c->state == CS_DRIBBLING) {
    if (!dribble_piece(c, s)) return;
    if (c->drib_off < s->len) {
      wire_timer(c, s->seconds, step_timer_fired);
      return;
    }
  } else if (c->state == CS_BARRIER) {
    conn_event(c, EV_BARRIER_TIMEOUT, s->bytes, s->len);
  } else if (c->state != CS_STALLED) {
    return;
  }
  conn_event(c, EV_STEP_DONE, step_names[s->op], strlen(step_names[s->op]));
  c->state = CS_RUNNING;
  c->pc++;
  conn_run_plan(c);
}
