/* resp_reader.c: the responses that come back on one client connection. */
#include "resp_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the requests awaiting a response ------------------------------------------------ */

int resp_reader_expect(struct resp_reader *x, int request, enum http_method method) {
  if (x->nq == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 4;
    struct resp_expected *q = realloc(x->q, cap * sizeof *q);
    if (!q) return -1;
    x->q = q;
    x->cap = cap;
  }
  x->q[x->nq++] = (struct resp_expected){request, method};
  x->done = false;
  return 0;
}

/* Scanning a request's bytes: the method of each request, in order. */
struct scan {
  struct resp_reader *x;
  int next;        /* the index the next request gets */
  bool in_message; /* a request has begun and not ended */
  bool oom;
};

static int rq_begin(http_parser *p) {
  struct scan *s = p->data;
  s->in_message = true;
  if (resp_reader_expect(s->x, s->next++, HTTP_GET) != 0) s->oom = true;
  return s->oom ? -1 : 0;
}

/* The method is complete once the URL starts (http-parser reads "METHOD SP" first). */
static int rq_url(http_parser *p, const char *at, size_t len) {
  struct scan *s = p->data;
  s->x->q[s->x->nq - 1].method = (enum http_method)p->method;
  return 0;
}

static int rq_complete(http_parser *p) {
  ((struct scan *)p->data)->in_message = false;
  return 0;
}

int resp_reader_expect_bytes(struct resp_reader *x, int first, const char *bytes, size_t len) {
  struct scan s = {.x = x, .next = first};
  size_t before = x->nq;
  http_parser p;
  http_parser_settings st = {.on_message_begin = rq_begin, .on_url = rq_url, .on_message_complete = rq_complete};
  http_parser_init(&p, HTTP_REQUEST);
  p.data = &s;
  if (len) http_parser_execute(&p, &st, bytes, len);
  if (s.oom) return -1;
  /* Bytes that do not parse as a request are one more request whose method nobody knows:
   * GET, the method a proxy's error answer is framed like. */
  if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
    if (s.in_message) x->q[x->nq - 1].method = HTTP_GET;
    else if (resp_reader_expect(x, s.next++, HTTP_GET) != 0) return -1;
  }
  if (x->nq == before && resp_reader_expect(x, s.next++, HTTP_GET) != 0) return -1;
  return (int)(x->nq - before);
}

/* ---- the responses ------------------------------------------------------------------- */

/* Does the response being read answer the exchange's last request? */
static bool answers_last(const struct resp_reader *x) {
  return x->finals < x->nq && x->q[x->finals].request == x->last_request;
}

bool resp_reader_has_last(const struct resp_reader *x) {
  for (size_t i = x->finals; i < x->nq; i++)
    if (x->q[i].request == x->last_request) return true;
  return false;
}

static enum http_method method_answered(const struct resp_reader *x) {
  return x->finals < x->nq ? x->q[x->finals].method : HTTP_GET;
}

static struct seen_response *current(struct resp_reader *x) {
  return x->seen && x->cur >= 0 ? &x->seen->responses[x->cur] : NULL;
}

static void status_known(struct resp_reader *x, int status) {
  x->status_line = true;
  x->status = status;
  if (status < 100) {
    x->bad_status = true;
    return;
  }
  if (status >= 200 && answers_last(x)) x->r->status = status;
  if (status < 200) {
    if (x->ninterim < SEEN_MAX_INTERIM) x->interim[x->ninterim++] = status;
    if (x->seen) seen_set_pending(x->seen, x->interim, x->ninterim);
    return;
  }
  if (!x->seen) return;
  x->seen->npending = 0;
  struct seen_response *s =
      seen_add_response(x->seen, x->finals < x->nq ? x->q[x->finals].request : -1, x->connection);
  if (!s) {
    x->oom = true;
    return;
  }
  x->cur = (long)(s - x->seen->responses);
  snprintf(s->version, sizeof s->version, "HTTP/%u.%u", x->p.http_major % 100u, x->p.http_minor % 100u);
  s->status = status;
  char *reason = malloc(x->rlen + 1);
  if (reason) {
    memcpy(reason, x->reason, x->rlen);
    reason[x->rlen] = 0;
    free(s->reason);
    s->reason = reason;
  }
  memcpy(s->interim, x->interim, sizeof s->interim);
  s->ninterim = x->ninterim;
  x->ninterim = 0;
}

static int rs_begin(http_parser *p) {
  struct resp_reader *x = p->data;
  x->in_message = true;
  x->status_line = x->head_done = false;
  x->status = 0;
  x->rlen = 0;
  x->cur = -1;
  return 0;
}

static int rs_status(http_parser *p, const char *at, size_t len) {
  struct resp_reader *x = p->data;
  size_t room = sizeof x->reason - x->rlen;
  if (len > room) len = room;
  memcpy(x->reason + x->rlen, at, len);
  x->rlen += len;
  return 0;
}

/* The field read so far goes to the response kept in seen. */
static void flush_field(struct resp_reader *x) {
  struct seen_response *s = current(x);
  if (s && x->fname && seen_add_field(s, x->fname, x->fnlen, x->fvalue ? x->fvalue : "", x->fvlen) != 0)
    x->oom = true;
  x->fnlen = x->fvlen = 0;
  x->in_value = false;
}

static int grow(char **p, size_t *len, const char *at, size_t n) {
  char *b = realloc(*p, *len + n + 1);
  if (!b) return -1;
  memcpy(b + *len, at, n);
  *len += n;
  b[*len] = 0;
  *p = b;
  return 0;
}

/* RFC 9110 5.5: a NUL in a field is never accepted (curl: "Nul byte in header");
 * http-parser lets one through as the first byte of a value. */
static int nul_in(struct resp_reader *x, const char *at, size_t len) {
  if (!memchr(at, 0, len)) return 0;
  x->nul = true;
  return -1;
}

static int rs_field(http_parser *p, const char *at, size_t len) {
  struct resp_reader *x = p->data;
  if (nul_in(x, at, len)) return -1;
  if (x->in_value) flush_field(x);
  if (x->cur >= 0 && grow(&x->fname, &x->fnlen, at, len) != 0) x->oom = true;
  return 0;
}

static int rs_value(http_parser *p, const char *at, size_t len) {
  struct resp_reader *x = p->data;
  if (nul_in(x, at, len)) return -1;
  x->in_value = true;
  if (x->cur >= 0 && grow(&x->fvalue, &x->fvlen, at, len) != 0) x->oom = true;
  return 0;
}

static int rs_headers_complete(http_parser *p) {
  struct resp_reader *x = p->data;
  if (!x->status_line) status_known(x, p->status_code);
  if (x->bad_status) return -1;
  if (x->in_value || x->fnlen) flush_field(x);
  x->head_done = true;
  /* RFC 9112 6.3 item 1: a 1xx, 204 or 304, or any response to HEAD, ends with its header
   * section whatever it announces; 1 tells http-parser there is no body. */
  if (x->status < 200) return 1;
  struct seen_response *s = current(x);
  if (s) {
    s->head_complete = true;
    s->head_s = now_s() - x->t0;
  }
  if (answers_last(x)) x->r->final_head = true;
  if (x->on_final_head) x->on_final_head(x->arg, x->finals < x->nq ? x->q[x->finals].request : -1);
  /* RFC 9112 6.3 item 2: a 2xx to CONNECT has no content; the tunnel starts after its head. */
  x->tunnel_starts = x->status < 300 && method_answered(x) == HTTP_CONNECT;
  return x->status == 204 || x->status == 304 || method_answered(x) == HTTP_HEAD || x->tunnel_starts;
}

static int rs_body(http_parser *p, const char *at, size_t len) {
  struct resp_reader *x = p->data;
  if (answers_last(x)) x->r->body_bytes += len;
  struct seen_response *s = current(x);
  if (s && seen_add_body(s, at, len) != 0) x->oom = true;
  return 0;
}

/* Pausing here stops http_parser_execute right after each message, so that the next one
 * starts where a piece starts (see feed_http). */
static int rs_complete(http_parser *p) {
  struct resp_reader *x = p->data;
  x->in_message = false;
  if (x->status < 200) {
    if (answers_last(x)) x->r->interim++;
    /* After a 101 the connection speaks another protocol: no final response will come. */
    if (x->status == 101) x->switched = true;
  } else {
    struct seen_response *s = current(x);
    if (s) s->complete = true;
    x->cur = -1;
    /* RFC 9112 9.3, 9.6: "Connection: close", or HTTP/1.0 without keep-alive, ends the
     * connection after this response: no further request goes on it. */
    x->closing = !http_should_keep_alive(p) && !x->tunnel_starts;
    if (++x->finals == x->nq) x->done = true;
  }
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings response_settings = {
    .on_message_begin = rs_begin,
    .on_status = rs_status,
    .on_header_field = rs_field,
    .on_header_value = rs_value,
    .on_headers_complete = rs_headers_complete,
    .on_body = rs_body,
    .on_message_complete = rs_complete,
};

static void parser_init(struct resp_reader *x) {
  http_parser_init(&x->p, HTTP_RESPONSE);
  x->p.data = x;
  /* RFC 9112 6.3 item 3: Transfer-Encoding overrides Content-Length for a recipient, as
   * curl does; http-parser would otherwise call that response unparseable. */
  x->p.allow_chunked_length = 1;
  /* Control bytes in a field value (other than NUL, see nul_in) are let through, as curl
   * lets them through: the two clients must give the same word for the same bytes. */
  x->p.lenient_http_headers = 1;
}

void resp_reader_init(struct resp_reader *x) {
  memset(x, 0, sizeof *x);
  x->cur = -1;
  parser_init(x);
}

void resp_reader_free(struct resp_reader *x) {
  free(x->q);
  free(x->fname);
  free(x->fvalue);
  x->q = NULL;
  x->fname = x->fvalue = NULL;
  x->nq = x->cap = 0;
}

static void keep_head(struct resp_reader *x, const char *p, size_t n) {
  if (!resp_reader_has_last(x)) return;
  size_t room = sizeof x->r->headers - 1 - x->hlen;
  if (n > room) n = room;
  memcpy(x->r->headers + x->hlen, p, n);
  x->hlen += n;
  x->r->headers[x->hlen] = 0;
}

/* Gives the parser bytes in pieces: outside a body, each piece ends at the next LF, so
 * the end of a status line is always the end of a piece and "the status is known" (a
 * header that breaks after it is NNN+invalid, not invalid) is exact, whatever the reason
 * phrase. */
static int feed_http(struct resp_reader *x, const char *data, size_t len) {
  size_t off = 0;
  while (off < len && !x->done) {
    if (x->switched) return -1;
    size_t piece = len - off;
    bool head = !(x->in_message && x->head_done);
    if (head) {
      const char *lf = memchr(data + off, '\n', piece);
      if (lf) piece = (size_t)(lf - (data + off)) + 1;
    }
    size_t used = http_parser_execute(&x->p, &response_settings, data + off, piece);
    if (head) keep_head(x, data + off, used);
    off += used;
    enum http_errno e = HTTP_PARSER_ERRNO(&x->p);
    if (e == HPE_PAUSED) { /* a message ended: go on with the next piece */
      http_parser_pause(&x->p, 0);
      if (x->tunnel_starts) { /* the tunneled server's bytes: a parser that knows nothing of the CONNECT's */
        x->tunnel_starts = false;
        x->tunnel = true;
        parser_init(x);
      }
      continue;
    }
    if (e != HPE_OK || x->bad_status) return -1;
    if (used < piece) return -1; /* http-parser stopped short without saying why: never loop on it */
    if (x->in_message && !x->status_line && data[off - 1] == '\n') {
      status_known(x, x->p.status_code);
      if (x->bad_status) return -1;
    }
  }
  return x->done ? 1 : 0;
}

/* An HTTP/0.9 reply: the first bytes are not "HTTP/" (RFC 9112 2.3: case-sensitive; curl
 * too passes "http/1.1 200" on as HTTP/0.9 bytes). */
static bool prefix_matches(const char *p, size_t n) { return strncmp(p, "HTTP/", n) == 0; }

int resp_reader_feed(struct resp_reader *x, const char *data, size_t len) {
  if (x->mode == RESP_UNDECIDED) {
    size_t take = sizeof x->prefix - x->nprefix;
    if (take > len) take = len;
    memcpy(x->prefix + x->nprefix, data, take);
    x->nprefix += take;
    if (!prefix_matches(x->prefix, x->nprefix)) {
      x->mode = RESP_HTTP09;
      if (resp_reader_has_last(x)) x->r->body_bytes += x->nprefix - take; /* the bytes held back */
    } else if (x->nprefix == sizeof x->prefix) {
      x->mode = RESP_HTTP;
      int rc = feed_http(x, x->prefix, x->nprefix);
      if (rc != 0) return rc;
      return feed_http(x, data + take, len - take);
    } else {
      return 0;
    }
  }
  if (x->mode == RESP_HTTP09) {
    if (resp_reader_has_last(x)) x->r->body_bytes += len;
    return 0;
  }
  return feed_http(x, data, len);
}

bool resp_reader_eof(struct resp_reader *x) {
  /* The end of the connection ends a close-delimited body (and HTTP/0.9 bytes). */
  if (x->mode == RESP_HTTP && !x->done) http_parser_execute(&x->p, &response_settings, NULL, 0);
  return x->done;
}

void resp_reader_why(const struct resp_reader *x, char *out, size_t len) {
  if (x->bad_status) snprintf(out, len, "raw client: invalid response: status %d", x->status);
  else if (x->nul) snprintf(out, len, "raw client: invalid response: NUL byte in a header");
  else if (x->switched) snprintf(out, len, "raw client: invalid response: bytes after 101 Switching Protocols");
  else
    snprintf(out, len, "raw client: invalid response: %s", http_errno_description(HTTP_PARSER_ERRNO(&x->p)));
}
