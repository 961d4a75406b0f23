/* conn.h: a connection of the data plane, shared by conn.c (reading, parsing, dispatch),
 * steps.c (the executors of plan steps) and wire.c (bytes and TCP decisions). Loop thread
 * only. */
#ifndef BADUP_CONN_H
#define BADUP_CONN_H

#include <http_parser.h>

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
  CS_ACCEPT_WAIT, /* accept_close/accept_reset: waiting for the peer's first bytes */
  CS_HOLD       /* nothing more will happen until the peer closes (listener emulation) */
};

/* How an exchange ends on the wire, once every queued write is out. Not a step: close(),
 * reset() and halfclose() ask for these, and so do the connection's own endings (a bad
 * request, an idle keep-alive, a listener fault). */
enum conn_finish {
  CONN_FIN,        /* FIN, then drain input until the peer closes or the linger time passes */
  CONN_RST,        /* RST (SO_LINGER 0 and close): unsent bytes are dropped */
  CONN_HALF_CLOSE  /* FIN, then read until the peer closes, however long */
};

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown_req;
  struct server *srv;
  struct conn *prev, *next;
  http_parser parser;
  struct scenario *scn;     /* scenario of the current request */
  struct plan *plan;        /* plan being executed */
  uint16_t pc;              /* index of the step being executed */
  enum conn_state state;
  enum conn_finish after_flush; /* CS_FLUSHING: how to end once the writes are out */
  uint8_t nhandles;         /* open libuv handles; free at zero */
  bool closing, peer_eof, keep_alive, reading_stopped, in_message, dispatch_ready,
      msg_dispatched, in_pump, expect_continue, counted;
  uint8_t hdr_match;        /* header-name matcher state for Expect */
  uint32_t pending_writes;
  uint32_t drib_off;
  uint32_t conn_seq;
  enum http_errno parse_error;
  struct buf pend;          /* bytes read but not parsed yet */
  struct request *req;      /* details for plan functions, when srv->collect */
  struct conn_record rec;
  uint64_t t0;              /* uv_hrtime() at accept */
  char hname[8];
  uint8_t hname_len;
  uint8_t url_len;
  char url[96];             /* start of the request target, for routing and events */
};


/* conn.c: a new connection on the listener. */
void conn_accept(struct server *srv);
/* Lets the connection go now, whatever is queued: its record says `end`, its socket is
 * closed (an RST for END_RESET and END_ERROR, else close(2)), and it is freed once its
 * libuv handles have closed. Not the close() step, which is wire_finish(c, CONN_FIN). */
void conn_release(struct conn *c, enum conn_end end);

/* conn.c: counts the connection for scenario s, once (its first request, or its accept
 * under a listener fault). */
void conn_count(struct conn *c, struct scenario *s);

/* conn_parse.c: sets up the connection's request parser. */
void conn_parse_init(struct conn *c);
/* conn_parse.c: feeds bytes to the parser; returns how many it took. Stops early when a
 * plan is due (c->dispatch_ready) or on a malformed request (c->parse_error). */
size_t conn_parse(struct conn *c, const char *data, size_t len);

/* Microseconds since accept, for events. */
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
void wire_finish(struct conn *c, enum conn_finish how);
void wire_do_finish(struct conn *c, enum conn_finish how);
void wire_timer(struct conn *c, double seconds, uv_timer_cb cb);

#endif
