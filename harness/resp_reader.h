/* resp_reader.h: the responses that come back on one client connection, framed by
 * http-parser per RFC 9112 6.3 against the requests sent on it.
 *
 * The one framing code of the harness's raw-socket clients (rawclient.h's bytes, and the
 * scripted client of a scenario's client part): a connection's reader knows which request
 * each response answers (k-th response, k-th request sent on it; a response to HEAD has no
 * body), and which request is the exchange's last: the outcome word (outcome.h) is about the
 * response to that one, in *r, exactly as rawclient.h describes it. Every final response is
 * also kept in a struct seen (seen.h): status line, fields, content, the 1xx before it.
 *
 * A 2xx response to CONNECT has no content (RFC 9112 6.3 item 2) and makes the connection a
 * tunnel (RFC 9110 9.3.6): the next request on it goes through, and its response is read as
 * a fresh one, whatever the CONNECT response said of the connection (tinyproxy answers
 * HTTP/1.0). A non-2xx response to CONNECT is framed as any other.
 *
 * 1xx responses are never final. Bytes that do not start with "HTTP/" are HTTP/0.9 bytes
 * (mode RESP_HTTP09): their count goes to r->body_bytes when the connection carries the last
 * request. */
#ifndef BADUP_RESP_READER_H
#define BADUP_RESP_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <http_parser.h>

#include "client.h"
#include "seen.h"

enum resp_mode { RESP_UNDECIDED, RESP_HTTP, RESP_HTTP09 };

/* A request sent on the connection, whose response is awaited. */
struct resp_expected {
  int request;               /* the exchange's index of the request (0-based) */
  enum http_method method;
};

struct resp_reader {
  /* Set by the owner before feeding. */
  struct client_result *r;   /* the outcome's facts, about request last_request only */
  struct seen *seen;         /* every final response (NULL: none kept) */
  int last_request;          /* the exchange's last request */
  int connection;            /* this connection's index, for seen */
  double t0;                 /* CLOCK_MONOTONIC seconds the exchange began (seen's head_s) */
  /* Called once per final response, when its header section is complete, before its
   * body: request is the index it answers (-1: more responses than requests). */
  void (*on_final_head)(void *arg, int request);
  void *arg;

  /* The reader's own. */
  struct resp_expected *q;
  size_t nq, cap;
  http_parser p;
  enum resp_mode mode;
  char prefix[5];
  size_t nprefix;
  size_t finals;     /* final responses complete on this connection */
  bool in_message, status_line, head_done;
  int status;
  bool bad_status, done, switched, nul, oom;
  bool closing;      /* the last final response said the connection ends (RFC 9112 9.6) */
  bool tunnel;       /* a 2xx answered a CONNECT: the connection is a tunnel now (RFC 9110
                        9.3.6), what comes next is the tunneled server's responses */
  bool tunnel_starts; /* ... the response being read is that 2xx */
  size_t hlen;       /* bytes kept in r->headers */
  long cur;          /* seen->responses index of the final response being read, or -1 */
  int interim[SEEN_MAX_INTERIM];
  int ninterim;
  char *fname, *fvalue; /* the field being read */
  size_t fnlen, fvlen;
  bool in_value;
  char reason[256];
  size_t rlen;
};

/* Starts a reader (every field the owner sets is set afterwards). */
void resp_reader_init(struct resp_reader *x);
void resp_reader_free(struct resp_reader *x);

/* A request was written on the connection: its response comes next in line. -1 when out
 * of memory. done becomes false again. */
int resp_reader_expect(struct resp_reader *x, int request, enum http_method method);

/* Appends the methods of the requests in bytes (RFC 9112 as http-parser reads them; bytes
 * that do not parse as a request count as one GET) as requests first, first+1, ...
 * Returns how many, at least 1, or -1 when out of memory. */
int resp_reader_expect_bytes(struct resp_reader *x, int first, const char *bytes, size_t len);

/* Feeds bytes received. 0: read on; 1: every awaited response is complete (x->done); -1:
 * they do not parse (x->p.http_errno says why, or x->bad_status, x->nul, x->switched). */
int resp_reader_feed(struct resp_reader *x, const char *data, size_t len);

/* The connection ended (FIN): ends a close-delimited body. Returns x->done. */
bool resp_reader_eof(struct resp_reader *x);

/* Is the awaited response to the exchange's last request among those of this reader? */
bool resp_reader_has_last(const struct resp_reader *x);

/* Why resp_reader_feed returned -1, "raw client: invalid response: ..." into out. */
void resp_reader_why(const struct resp_reader *x, char *out, size_t len);

#endif
