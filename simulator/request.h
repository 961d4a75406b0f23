/* request.h: what a plan function sees of a request.
 *
 * The connection fills a struct request while http-parser reads (only when some scenario
 * has a plan function; static plans need none of it). Lua reads it through a proxy
 * userdata whose fields are computed on access, so a plan function that looks only at
 * req.conn_seq pays for nothing else. The proxy is valid during the call only. */
#ifndef BADUP_REQUEST_H
#define BADUP_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <lua.h>

#include "buf.h"

#define REQUEST_MAX_BODY (1u << 20)

struct request {
  char method[24];
  struct buf target;
  unsigned short http_major, http_minor;
  struct buf fields;    /* "name\0value\0" per header, as received */
  uint32_t nfields;
  bool in_value;        /* parser state: last callback was a header value */
  struct buf body;
  bool body_truncated;  /* more came than body_cap: the rest was counted, not kept */
  uint64_t body_length; /* every body byte that arrived, kept or not */
  uint32_t body_cap;    /* body bytes kept; 0 means REQUEST_MAX_BODY */
  uint8_t upstream;     /* the upstream (listening port) it came in on, 1.. */
  uint64_t conn_id;
  uint32_t conn_seq;
  uint64_t seq;
  const char *peer;
  const char *scenario;
};

/* Clears for the next request, keeping allocations. */
void request_reset(struct request *r);
void request_free(struct request *r);

/* Parser glue: appends to the header being read. */
void request_add_field(struct request *r, const char *p, size_t n);
void request_add_value(struct request *r, const char *p, size_t n);
void request_add_body(struct request *r, const char *p, size_t n);

/* Walks the "name\0value\0" list of fields (the last value may lack its NUL while the
 * header section is being read). Start with it = {fields.data, fields.data + fields.len}. */
struct request_field_iter {
  const char *p, *end;
};
bool request_next_field(struct request_field_iter *it, const char **name, size_t *nlen, const char **val,
                        size_t *vlen);

/* Registers the proxy's metatable in L. */
void request_open(lua_State *L);
/* Pushes the proxy for r (valid until request_expire). Stack: +1. */
void request_push(lua_State *L, const struct request *r);
/* Invalidates the proxy pushed last, so a kept reference errors instead of dangling. */
void request_expire(lua_State *L);

#endif
