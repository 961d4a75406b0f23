/* conn.h: a connection of the data plane. Loop thread only.
 *
 * conn.c owns the connection's state machine: every change of c->state happens there.
 * conn_parse.c records what the request's bytes say, steps.c runs one step at a time and
 * returns what should happen next (struct step_result), listener.c says what each
 * listener fault does, and a transport (transport.h) moves the bytes. None of them ends a
 * connection or changes its state: they say so, and conn.c does it. */
#ifndef BADUP_CONN_H
#define BADUP_CONN_H

#include <http_parser.h>

#include "server.h"
#include "transport.h"

/* Where a connection is; conn.c's opening comment gives the transitions. */
enum conn_state {
  CS_READING,   /* waiting for (the rest of) a request */
  CS_RUNNING,   /* executing plan steps */
  CS_DRIBBLING, /* a dribble() waits for its next piece */
  CS_STALLED,   /* a stall() waits for its timer or for the peer to close */
  CS_FLUSHING,  /* an ending waits for queued writes to complete */
  CS_LINGER,    /* our FIN is out; draining input until the peer closes or linger ends */
  CS_HALF,      /* halfclose(): our FIN is out; reading until the peer closes */
  CS_BARRIER,   /* a barrier() waits for its name to be reached, or for its bound */
  CS_ACCEPT_WAIT, /* accept_close/accept_reset: waiting for the peer's whole request */
  CS_HOLD       /* nothing more will happen until the peer closes (listener emulation) */
};

/* How an exchange ends. The first three happen on the wire once every queued write is
 * out; they are what close(), reset() and halfclose() ask for, and also the connection's
 * own endings (a bad request, an idle keep-alive, a listener fault). */
enum conn_finish {
  CONN_FIN,        /* FIN, then drain input until the peer closes or the linger time passes */
  CONN_RST,        /* RST (SO_LINGER 0 and close): unsent bytes are dropped */
  CONN_HALF_CLOSE, /* FIN, then read until the peer closes, however long */
  CONN_KEEPALIVE,  /* no ending: the exchange is over, the next request is read */
  CONN_HOLD,       /* nothing more is ever sent; input is dropped until the peer leaves */
  CONN_DROP        /* the connection is released at once (the peer left, a write failed) */
};

/* What a step asks for once it has run. */
enum step_next {
  STEP_NEXT, /* it is done: the next step runs now */
  STEP_WAIT, /* it waits in state `wait`: for the timer (`seconds`), the peer or a barrier */
  STEP_END   /* the exchange ends as `how` says */
};

struct step_result {
  enum step_next next;
  enum conn_state wait; /* STEP_WAIT: CS_DRIBBLING, CS_STALLED or CS_BARRIER */
  enum conn_finish how; /* STEP_END */
  enum conn_end why;    /* STEP_END with CONN_DROP: what the connection's record says */
  double seconds;       /* STEP_WAIT: the timer, STEP_FOREVER for none; CONN_KEEPALIVE: the
                           idle time before a FIN, STEP_FOREVER for none */
};

struct conn {
  struct transport *tp;     /* what carries the bytes; every read and write goes through it */
  uv_timer_t timer;
  struct server *srv;
  struct conn *prev, *next;
  http_parser parser;
  struct scenario *scn;     /* scenario of the current request */
  struct plan *plan;        /* plan being executed */
  uint16_t pc;              /* index of the step being executed */
  enum conn_state state;
  enum conn_finish after_flush; /* CS_FLUSHING: how to end once the writes are out */
  uint8_t nhandles;         /* the transport and the timer until each has closed; free at 0 */
  bool closing, peer_eof, keep_alive, reading_stopped, in_message, dispatch_ready,
      msg_dispatched, in_pump, expect_continue, counted;
  uint8_t hdr_match;        /* header-name matcher state for Expect */
  uint32_t drib_off;        /* bytes of the current dribble() already sent */
  uint32_t conn_seq;
  enum http_errno parse_error;
  struct buf pend;          /* bytes read but not parsed yet */
  struct request *req;      /* the request's details: for GET /requests, and plan functions */
  uint64_t received_id;     /* its record in srv->received from its head to its end, or 0 */
  uint8_t up;               /* the upstream (listening port) it came in on, 0-based */
  struct h2_conn *h2;        /* HTTP/2 (h2_conn.h): the scenario says http2; NULL: HTTP/1 */
  uint32_t stream;          /* HTTP/2: the stream of the request the plan answers; 0 before one */
  bool h2_held;             /* HTTP/2: reading stopped until the peer takes our queued writes */
  struct conn_record rec;
  uint64_t t0;              /* uv_hrtime() at accept */
  char hname[8];
  uint8_t hname_len;
  uint8_t url_len;
  char url[96];             /* start of the request target, for routing and events */
};

/* ---- conn.c ---------------------------------------------------------------------------- */

/* A new connection on upstream u's listener. */
void conn_accept(struct upstream_port *u);

/* Lets the connection go now, whatever is queued: its record says `end`, its socket is
 * closed (an RST for END_RESET and END_ERROR, else close(2)), and it is freed once its
 * libuv handles have closed. Not the close() step, which is CONN_FIN. */
void conn_release(struct conn *c, enum conn_end end);

/* Barrier `name` was reached: every connection waiting at it goes on. */
void conn_barrier_reached(struct server *srv, const char *name);

/* Counts the connection for scenario s, once (its first request, or its accept under a
 * listener fault). */
void conn_count(struct conn *c, struct scenario *s);

/* Appends an event to the connection's record; the time is microseconds since accept. */
void conn_event(struct conn *c, enum event_kind kind, const char *detail, size_t len);

/* How a connection whose write failed with err ended, for its record: out of memory is
 * ours, anything else is the peer's doing (a reset, a closed socket). */
static inline enum conn_end conn_end_of_write(int err) { return err == UV_ENOMEM ? END_ERROR : END_PEER_RESET; }

/* ---- conn_parse.c ---------------------------------------------------------------------- */

/* Sets up the connection's request parser. */
void conn_parse_init(struct conn *c);
/* Feeds bytes to the parser; returns how many it took. Stops early when a plan is due
 * (c->dispatch_ready) or on a malformed request (c->parse_error). */
size_t conn_parse(struct conn *c, const char *data, size_t len);

/* What the head of every request does, HTTP/1's or an HTTP/2 stream's: routes it by c->url
 * (its target, cut to fit), counts it for its scenario, logs the request event and, with req,
 * fills req's method, version and sequence and records it for GET /requests (*received_id:
 * that record, for received_body). Returns the scenario that answers it. */
struct scenario *conn_request_head(struct conn *c, struct request *req, const char *method, unsigned short major,
                                   unsigned short minor, uint64_t *received_id);

/* For a listener fault that waits (CS_ACCEPT_WAIT): has the peer's whole request come with
 * these bytes (RFC 9112 framing, a body included), or bytes that are no HTTP request at
 * all? Records nothing of them. */
bool conn_parse_request_in(struct conn *c, const char *data, size_t len);

/* ---- steps.c --------------------------------------------------------------------------- */

/* Runs step s of the connection's plan and says what comes next. */
struct step_result step_execute(struct conn *c, const struct step *s);
/* The timer of a dribble() in CS_DRIBBLING fired: sends its next piece and says what
 * comes next (STEP_NEXT once the last piece is out). */
struct step_result step_dribble_on(struct conn *c, const struct step *s);

#endif
