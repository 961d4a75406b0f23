/* events.h: what each connection did, step by step, kept for the control API.
 *
 * A connection appends to its own record while it lives (data-plane thread only, no lock).
 * When it closes, the record moves into a ring of recent connections guarded by a mutex,
 * which the control API thread reads. Memory is bounded: at most EVENTS_PER_CONN events
 * per connection (later ones are counted as dropped, but the close always goes in, over the
 * last one kept) and EVENT_LOG_CAP records. */
#ifndef BADUP_EVENTS_H
#define BADUP_EVENTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define EVENTS_PER_CONN 64
#define EVENT_LOG_CAP 1000

#define BADUP_CONN_ENDS(X) \
  X(OPEN, "open")          \
  X(FIN, "fin")            \
  X(RESET, "reset")        \
  X(PEER_FIN, "peer_fin")  \
  X(PEER_RESET, "peer_reset") \
  X(ERROR, "error")        \
  X(SHUTDOWN, "shutdown")

enum conn_end {
#define BADUP_END_ENUM(id, name) END_##id,
  BADUP_CONN_ENDS(BADUP_END_ENUM)
#undef BADUP_END_ENUM
};
extern const char *const conn_end_names[];

#define BADUP_EVENT_KINDS(X)        \
  X(ACCEPT, "accept")               \
  X(REQUEST, "request")             \
  X(CONTINUE, "100-continue")       \
  X(STEP, "step")                   \
  X(STEP_DONE, "step_done")         \
  X(PEER_FIN, "peer_fin")           \
  X(PEER_RESET, "peer_reset")       \
  X(BAD_REQUEST, "bad_request")     \
  X(IDLE_CLOSE, "idle_close")       \
  X(BARRIER_REACHED, "barrier_reached") \
  X(BARRIER_TIMEOUT, "barrier_timeout") \
  X(ERROR, "error")                 \
  X(TLS_HELLO, "tls_client_hello")  \
  X(TLS_HANDSHAKE, "tls_handshake") \
  X(TLS_ERROR, "tls_error")         \
  X(TLS_CLOSE_NOTIFY, "tls_close_notify") \
  X(TLS_NO_CLOSE_NOTIFY, "tls_fin_without_close_notify") \
  X(H2_PREFACE, "h2_preface")       \
  X(H2_FRAME_IN, "h2_frame_in")     \
  X(H2_FRAME_OUT, "h2_frame_out")   \
  X(CLOSE, "close")

enum event_kind {
#define BADUP_EV_ENUM(id, name) EV_##id,
  BADUP_EVENT_KINDS(BADUP_EV_ENUM)
#undef BADUP_EV_ENUM
};
extern const char *const event_kind_names[];

struct conn_event {
  uint32_t t_us;       /* since the accept */
  uint8_t kind;        /* enum event_kind */
  uint8_t detail_len;
  char detail[58];
};

struct conn_record {
  uint64_t id;
  int64_t start_ms;     /* wall clock, for people reading the log */
  char peer[48];
  const char *scenario; /* a scenario's name: lives as long as the server */
  uint32_t requests;
  uint8_t upstream;     /* the upstream it came in on, 1.. */
  uint8_t end;          /* enum conn_end */
  uint16_t nevents, cap;
  uint32_t dropped;
  struct conn_event *events;
};

void conn_record_add(struct conn_record *r, uint32_t t_us, enum event_kind kind, const char *detail,
                     size_t len);
void conn_record_free(struct conn_record *r);

struct event_log {
  pthread_mutex_t mu;
  struct conn_record ring[EVENT_LOG_CAP];
  size_t next, count;
};

void event_log_init(struct event_log *log);
/* Takes the record's events; the caller's record is left empty. */
void event_log_push(struct event_log *log, struct conn_record *r);
void event_log_clear(struct event_log *log);
void event_log_destroy(struct event_log *log);
/* Calls fn for the newest `limit` records, oldest first, under the lock. */
void event_log_each(struct event_log *log, size_t limit,
                    void (*fn)(const struct conn_record *r, void *arg), void *arg);

#endif
