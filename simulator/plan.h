/* plan.h: the closed step vocabulary and the compiled form of a plan.
 *
 * A scenario's plan is a list of steps. The list of step kinds is written once, in
 * BADUP_STEPS below; the Lua constructors (vocabulary.c), the executors (steps.c), the
 * counters and the names in the control API are all generated from it, so a step cannot
 * exist in one place and be missing in another.
 *
 * A compiled plan is one malloc'd block that owns every byte it will send: executing it
 * never touches Lua. Static plans live as long as their scenario; plans returned by a plan
 * function are reference-counted because in-flight writes point into them.
 */
#ifndef BADUP_PLAN_H
#define BADUP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(ID, lua_name, kind, constructor, executor): kind is one of STEP_KIND_* below; the
 * constructor is a lua_CFunction of vocabulary.c, the executor a step_fn of steps.c. Both
 * tables are generated from this list: a step without either does not compile. */
#define BADUP_STEPS(X)                                                                  \
  X(REFUSE, "refuse", STEP_KIND_LISTENER, ctor_refuse, exec_listener)                   \
  X(BLACKHOLE, "blackhole", STEP_KIND_LISTENER, ctor_blackhole, exec_listener)          \
  X(ACCEPT_CLOSE, "accept_close", STEP_KIND_LISTENER, ctor_accept_close, exec_listener) \
  X(ACCEPT_RESET, "accept_reset", STEP_KIND_LISTENER, ctor_accept_reset, exec_listener) \
  X(RXREQ, "rxreq", STEP_KIND_START, ctor_rxreq, exec_start)                            \
  X(RXHDRS, "rxhdrs", STEP_KIND_START, ctor_rxhdrs, exec_start)                         \
  X(SEND, "send", STEP_KIND_ACTION, ctor_send, exec_send)                               \
  X(TXRESP, "txresp", STEP_KIND_ACTION, ctor_txresp, exec_send)                         \
  X(DRIBBLE, "dribble", STEP_KIND_ACTION, ctor_dribble, exec_dribble)                   \
  X(STALL, "stall", STEP_KIND_ACTION, ctor_stall, exec_stall)                           \
  X(STOPREAD, "stopread", STEP_KIND_ACTION, ctor_stopread, exec_stopread)               \
  X(BARRIER, "barrier", STEP_KIND_ACTION, ctor_barrier, exec_barrier)                   \
  X(REACH, "reach", STEP_KIND_ACTION, ctor_reach, exec_reach)                           \
  X(TLS_ALERT, "tls_alert", STEP_KIND_ACTION, ctor_tls_alert, exec_tls_alert)           \
  X(H2_SETTINGS, "settings", STEP_KIND_ACTION, ctor_h2_settings, exec_h2_frame)         \
  X(H2_HEADERS, "headers", STEP_KIND_ACTION, ctor_h2_headers, exec_h2_frame)            \
  X(H2_DATA, "data", STEP_KIND_ACTION, ctor_h2_data, exec_h2_frame)                     \
  X(H2_RST_STREAM, "rst_stream", STEP_KIND_ACTION, ctor_h2_rst_stream, exec_h2_frame)   \
  X(H2_GOAWAY, "goaway", STEP_KIND_ACTION, ctor_h2_goaway, exec_h2_frame)               \
  X(H2_WINDOW_UPDATE, "window_update", STEP_KIND_ACTION, ctor_h2_window_update, exec_h2_frame) \
  X(H2_PING, "ping", STEP_KIND_ACTION, ctor_h2_ping, exec_h2_frame)                     \
  X(H2_FRAME, "frame", STEP_KIND_ACTION, ctor_h2_frame, exec_h2_frame)                  \
  X(CLOSE, "close", STEP_KIND_END, ctor_close, exec_end)                                \
  X(RESET, "reset", STEP_KIND_END, ctor_reset, exec_end)                                \
  X(HALFCLOSE, "halfclose", STEP_KIND_END, ctor_halfclose, exec_end)                    \
  X(KEEPALIVE, "keepalive", STEP_KIND_END, ctor_keepalive, exec_keepalive)

enum step_kind {
  STEP_KIND_LISTENER, /* only step of a static plan; acts on the listening socket */
  STEP_KIND_START,    /* first step only: when the plan starts */
  STEP_KIND_ACTION,   /* anywhere between start and end */
  STEP_KIND_END       /* last step: how the exchange ends */
};

enum step_op {
#define BADUP_STEP_ENUM(id, name, kind, ctor, exec) STEP_##id,
  BADUP_STEPS(BADUP_STEP_ENUM)
#undef BADUP_STEP_ENUM
  STEP__COUNT
};

/* Names and kinds, indexed by enum step_op. */
extern const char *const step_names[STEP__COUNT];
extern const enum step_kind step_kinds[STEP__COUNT];

/* A barrier's name: 1 to BARRIER_NAME_MAX - 1 characters of A-Z a-z 0-9 _ . - (it travels
 * in a URL path: POST /barriers/NAME). */
#define BARRIER_NAME_MAX 32
bool barrier_name_valid(const char *name, size_t len);

/* An HTTP/2 frame step's stream when the scenario names none: the request's (plan.h's
 * steps are built before any request exists, so the number is put in as they run). */
#define H2_STREAM_CURRENT UINT32_MAX

/* "Forever" for stall(): the stall ends only when the peer closes. */
#define STEP_FOREVER (-1.0)

struct step {
  enum step_op op;
  int line;            /* source line of the constructor call, for errors */
  double seconds;      /* stall, dribble interval, keepalive idle, barrier bound, accept_*
                          wait; STEP_FOREVER = none */
  uint32_t n;          /* dribble piece size; close(): 1 when close_notify = false */
  uint32_t stream;     /* HTTP/2 frame steps: the stream their frames go on (goaway: its
                          last_stream_id), or H2_STREAM_CURRENT */
  size_t len;          /* bytes to send (send, txresp, dribble) */
  const char *bytes;   /* into the owning plan's pool (or a Lua step's own storage); for
                          barrier() and reach(): its name */
};

struct plan {
  uint32_t refs;       /* 0 for static plans (never freed by connections) */
  uint16_t nsteps;
  uint8_t start;       /* STEP_RXREQ or STEP_RXHDRS */
  uint8_t listener;    /* a STEP_* listener op, or STEP__COUNT when not a listener plan */
  struct step steps[]; /* followed by the byte pool */
};

/* Builds a self-contained plan from `n` steps (copies their bytes). Drops explicit
 * rxreq/rxhdrs steps into plan->start. Returns NULL on out-of-memory. The caller has
 * already validated the order (plan_check). refs is set to `refs`. */
struct plan *plan_build(const struct step *const *steps, size_t n, uint32_t refs);

/* Checks the order rules of a step list. Returns NULL when valid, else a static message
 * and sets *bad to the index of the offending step. */
const char *plan_check(const struct step *const *steps, size_t n, size_t *bad);

void plan_ref(struct plan *p);
void plan_unref(struct plan *p); /* frees at zero; no-op for static plans (refs == 0) */
void plan_free(struct plan *p);  /* for static plans, at scenario unload */

#endif
