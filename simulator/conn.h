/* conn.h: the pieces of a connection shared by conn.c (reading, parsing, dispatch),
 * steps.c (the executors of plan steps) and wire.c (bytes and TCP decisions). */
#ifndef BADUP_CONN_H
#define BADUP_CONN_H

#include "server.h"

enum conn_state {
  CS_READING,   /* waiting for (the rest of) a request */
  CS_RUNNING,   /* executing plan steps */
  CS_DRIBBLING, /* a dribble() waits for its next piece */
  CS_STALLED,   /* a stall() waits for its timer or for the peer to close */
  CS_FLUSHING,  /* an ending step waits for writes to complete */
  CS_LINGER,    /* our FIN is out; draining input until the peer closes or linger ends */
  CS_HALF,      /* halfclose(): our FIN is out; reading until the peer closes */
  CS_BARRIER,   /* a barrier() waits for its name to be reached, or for its bound */
  CS_ACCEPT_WAIT, /* accept_close/accept_reset: waiting for the peer's whole request */
  CS_HOLD       /* nothing more will happen until the peer closes (listener emulation) */
};

/* Milliseconds since accept, for events. */
uint32_t conn_elapsed_us(const struct conn *c);
void conn_event(struct conn *c, enum event_kind kind, const char *detail, size_t len);

/* conn.c: continue executing the plan from c->pc. */
void conn_run_plan(struct conn *c);
/* conn.c: the plan is over and the connection stays open for the next request. */
void conn_keepalive(struct conn *c, double idle);

/* steps.c: executes one step. Returns true when the plan continues at the next step at
 * once, false when the step waits (timer, peer) or ended the exchange. */
bool step_execute(struct conn *c, const struct step *s);
/* steps.c: the timer fired while dribbling, stalled or waiting at a barrier. */
void step_timer_fired(uv_timer_t *t);
/* steps.c: barrier `name` was reached: every connection waiting at it goes on. */
void step_barrier_reached(struct server *srv, const char *name);

/* conn.c: reading */
void conn_read_start(struct conn *c);
void conn_read_stop(struct conn *c);
/* In a stall() with no end: what the peer sends is read and dropped (conn.c, on_read). */
bool conn_stalled_forever(const struct conn *c);

/* wire.c */
int wire_write(struct conn *c, const char *p, size_t len, struct plan *owner);
void wire_finish(struct conn *c, enum step_op how); /* STEP_CLOSE, STEP_RESET, STEP_HALFCLOSE */
void wire_do_finish(struct conn *c, enum step_op how);
void wire_timer(struct conn *c, double seconds, uv_timer_cb cb);

#endif
