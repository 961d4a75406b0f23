/* received.h: every request the upstreams received, kept for the control API (GET /requests).
 *
 * What a proxy sent upstream is evidence in itself: which header fields it forwarded,
 * dropped or added (RFC 9110 7.6.1: hop-by-hop fields must not be forwarded), which method,
 * target and version it used, how much of a body arrived. The connection records a request
 * when its header section is complete (received_head), and its body when the message ends or
 * the connection does (received_body), so a request whose body never all came is recorded
 * too, as not complete. Static plans and plan functions alike.
 *
 * Threads: the data plane writes, the control API thread reads; one mutex guards the ring.
 * Memory is bounded: the newest RECEIVED_CAP requests, each with at most RECEIVED_FIELDS_KEPT
 * bytes of header fields, RECEIVED_TARGET_KEPT of target and RECEIVED_BODY_KEPT of body
 * (the body's whole length is still counted). */
#ifndef BADUP_RECEIVED_H
#define BADUP_RECEIVED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "request.h"

#define RECEIVED_CAP 1000
#define RECEIVED_BODY_KEPT 4096
#define RECEIVED_FIELDS_KEPT (16u * 1024)
#define RECEIVED_TARGET_KEPT 8192u

struct received {
  uint64_t id;           /* 1.. in the order the header sections arrived; 0: an empty slot */
  uint64_t conn;         /* the connection's id, as in /events */
  uint32_t seq;          /* the request's number on its connection, 1.. */
  uint8_t upstream;      /* which upstream (its listening port) received it, 1.. */
  uint8_t http_major, http_minor;
  bool complete;         /* the whole message arrived (RFC 9112 6.3 framing) */
  bool fields_truncated; /* fields past RECEIVED_FIELDS_KEPT bytes were not kept */
  bool target_truncated;
  char method[24];
  const char *scenario;  /* lives as long as the server */
  char *target;          /* target_len bytes */
  size_t target_len;
  char *fields;          /* "name\0value\0" per field, as received, in order */
  size_t fields_len;
  uint64_t body_length;  /* body bytes that arrived (chunked: the decoded data) */
  char *body;            /* the first body_kept of them */
  size_t body_kept;
};

struct received_log {
  pthread_mutex_t mu;
  struct received ring[RECEIVED_CAP];
  uint64_t next_id;
};

void received_init(struct received_log *log);
void received_destroy(struct received_log *log);
/* Forgets every request (POST /stats/reset, DELETE /requests). Any thread. */
void received_clear(struct received_log *log);

/* Records the head of r, received on `upstream` (1..). Returns the record's id, for
 * received_body, or 0 when memory ran out (the request is then not recorded). */
uint64_t received_head(struct received_log *log, const struct request *r, int upstream, const char *scenario);

/* Records r's body as it is now (r->body_length bytes arrived, the first ones in r->body),
 * and whether the message is complete. Nothing when the record has been pushed out. */
void received_body(struct received_log *log, uint64_t id, const struct request *r, bool complete);

/* The newest `limit` requests, oldest first, as the JSON array of GET /requests (see
 * docs/serve.md): strings that are not UTF-8 have each bad byte replaced by U+FFFD, and a
 * body that is not UTF-8 comes exactly in body_base64 too. `upstream` > 0 keeps only that
 * upstream's. Returns a new reference, or NULL when memory ran out. */
json_t *received_json(struct received_log *log, size_t limit, int upstream);

#endif
