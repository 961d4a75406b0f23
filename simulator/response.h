/* response.h: the bytes of an HTTP response, built from a description.
 *
 * No correction happens here: whatever the description says is written, broken or not.
 * The one convenience is the automatic Content-Length, which a description can turn off
 * (length = RESP_LENGTH_NONE) or replace with a lie. */
#ifndef BADUP_RESPONSE_H
#define BADUP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define RESP_LENGTH_AUTO (-1L)
#define RESP_LENGTH_NONE (-2L)

struct resp_bytes {
  const char *p;
  size_t len;
};

struct resp_spec {
  long status;
  const char *reason;      /* NULL: the standard phrase */
  const char *version;     /* NULL: "HTTP/1.1" */
  struct resp_bytes status_line; /* p != NULL: the whole first line, verbatim */
  const struct resp_bytes *headers; /* each a whole "Name: value" line without CRLF */
  size_t nheaders;
  struct resp_bytes body;
  const struct resp_bytes *chunks; /* non-NULL: chunked framing */
  size_t nchunks;
  bool last_chunk;         /* with chunks: write "0\r\n\r\n" */
  long length;             /* RESP_LENGTH_AUTO, RESP_LENGTH_NONE or the value to announce */
};

/* The standard reason phrase of a status, or "" when it has none. */
const char *resp_reason(long status);

/* Appends the response's bytes to out (check out->oom). */
void resp_build(const struct resp_spec *spec, struct buf *out);

#endif
