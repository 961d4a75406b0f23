/* client_part.h: the client half of a scenario, `client = { request{...}, ... }`.
 *
 * request{} is checked when the file calls it (errors "file:line: message"), scenario{}
 * checks the list as a whole (how the requests share connections), and scenario_load
 * converts it to the C shapes below, which the harness's scripted client reads
 * (harness/client_script.h). Strings stay templates here: ${proxy}, ${upstream},
 * ${upstream2}.., ${scenario} and ${n} are only known when a case runs.
 * Everything is owned by the struct client_part and freed by client_part_free. */
#ifndef BADUP_CLIENT_PART_H
#define BADUP_CLIENT_PART_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "plan.h"

/* How a request relates to the one before it. */
enum client_connection {
  CLIENT_CONN_NEW,       /* a fresh connection */
  CLIENT_CONN_SAME,      /* the previous request's connection once its response ended
                            (a fresh one when the proxy closed it, or when the
                            previous request's body was not completely sent) */
  CLIENT_CONN_PIPELINED, /* written with the previous request, before any response
                            (RFC 9112 9.3.2) */
};

/* Where the client ends the exchange itself (abort{at=}). */
enum client_abort_at {
  CLIENT_ABORT_NONE,
  CLIENT_ABORT_SENT,          /* the request's bytes are written */
  CLIENT_ABORT_RESPONSE_HEAD, /* the header section of its final response came */
  CLIENT_ABORT_BODY_BYTES,    /* `bytes` bytes of that response's content came */
  CLIENT_ABORT_TIME,          /* `after_s` seconds after the request began */
  CLIENT_ABORT_BARRIER,       /* barrier `barrier` is reached */
};

/* request{length=}: the automatic Content-Length, none, or this value. */
#define CLIENT_LENGTH_AUTO (-1L)
#define CLIENT_LENGTH_NONE (-2L)

struct client_bytes {
  char *p;
  size_t len;
};

struct client_request {
  int line;                  /* of request{} in the scenario file */
  struct client_bytes raw;   /* raw.p != NULL: these exact bytes, nothing built */
  char *method, *target, *version; /* target NULL: the default "/${scenario}/${n}" */
  char **headers;            /* whole "Name: value" lines, in order, without CRLF */
  size_t nheaders;
  bool host;                 /* add Host: ${proxy} unless headers has Host */
  struct client_bytes body;
  long length;               /* CLIENT_LENGTH_AUTO, CLIENT_LENGTH_NONE or the value */
  struct client_bytes *chunks; /* non-NULL: chunked framing (RFC 9112 7.1) */
  size_t nchunks;
  size_t pace_bytes;         /* 0: the bytes are written at once */
  double pace_every;         /* seconds between two pieces */
  long send_body_bytes;      /* <0: the whole body; else only that many body bytes */
  double expect_100;         /* <0: none; else the seconds to wait for 100 Continue */
  enum client_connection connection;
  struct {
    enum client_abort_at at;
    size_t bytes;
    double after_s;
    char barrier[BARRIER_NAME_MAX];
    bool reset;              /* RST (SO_LINGER 0) rather than a FIN */
  } abort;
  struct {
    char barrier[BARRIER_NAME_MAX]; /* "" : none */
    double s;
  } wait;
};

struct client_part {
  struct client_request *requests;
  size_t n;
};

/* The most requests a client part holds. */
#define CLIENT_PART_MAX 32

/* Registers request{} as a global (vocabulary_open calls it). */
void client_part_open(lua_State *L);

/* Checks scenario{}'s `client` field at idx (a list of request{} values) as a whole: how
 * the requests share connections, and that each ${upstreamK} names one of the scenario's
 * nupstreams upstreams (1..8). Raises a Lua error "file:line: message" naming the
 * request to blame. */
void client_part_check(lua_State *L, int idx, int nupstreams);

/* Converts the checked list at idx. Returns NULL with *err ("file:line: out of memory")
 * only when memory ran out. */
struct client_part *client_part_from_lua(lua_State *L, int idx, const char *file, struct buf *err);

void client_part_free(struct client_part *c);

#endif
