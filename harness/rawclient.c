/* rawclient.c: a client that sends exactly the bytes it is given. */
#include "rawclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the requests in the bytes sent ------------------------------------------------- */

/* The method of every request in the bytes, in order: response k answers request k, and
 * a response to HEAD has no body (RFC 9112 6.3 item 1). */
struct requests {
  enum http_method *methods;
  size_t n, cap;
  bool in_message; /* a request has begun and not ended */
  bool oom;
};

static int add_request(struct requests *q) {
  if (q->n == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 4;
    enum http_method *m = realloc(q->methods, cap * sizeof *m);
    if (!m) {
      q->oom = true;
      return -1;
    }
    q->methods = m;
    q->cap = cap;
  }
  q->methods[q->n++] = HTTP_GET;
  return 0;
}

static int rq_begin(http_parser *p) {
  struct requests *q = p->data;
  q->in_message = true;
  return add_request(q);
}

/* The method is complete once the URL starts (http-parser reads "METHOD SP" first). */
static int rq_url(http_parser *p, const char *at, size_t len) {
  struct requests *q = p->data;
  q->methods[q->n - 1] = (enum http_method)p->method;
  return 0;
}

static int rq_complete(http_parser *p) {
  struct requests *q = p->data;
  q->in_message = false;
  return 0;
}

/* Fills q from the bytes. Bytes that do not parse as a request are one more request whose
 * method nobody knows: GET, the method a proxy's error answer is framed like. Returns 0 or
 * -ENOMEM. */
static int scan_requests(struct requests *q, const char *bytes, size_t len) {
  http_parser p;
  http_parser_settings s = {.on_message_begin = rq_begin, .on_url = rq_url, .on_message_complete = rq_complete};
  http_parser_init(&p, HTTP_REQUEST);
  p.data = q;
  if (len) http_parser_execute(&p, &s, bytes, len);
  if (q->oom) return -ENOMEM;
  if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
    if (q->in_message) q->methods[q->n - 1] = HTTP_GET;
    else if (add_request(q) != 0) return -ENOMEM;
  }
  if (q->n == 0 && add_request(q) != 0) return -ENOMEM;
  return 0;
}

/* ---- the responses that come back --------------------------------------------------- */

enum mode { UNDECIDED, HTTP, HTTP09 };

struct exchange {
  struct client_result *r;
  void (*on_final_head)(void *);
  void *arg;
  const struct requests *q;
  http_parser p;
  enum mode mode;
  char prefix[5]; /* the first bytes, until they say HTTP/ or not */
  size_t nprefix;
  size_t finals;     /* final responses complete */
  bool in_message;   /* a response has begun and not ended */
  bool status_line;  /* ... and its status line is complete */
  bool head_done;    /* ... and its header section */
  int status;        /* ... its status, once status_line */
  bool bad_status;   /* a status line with a status below 100 */
  bool done;         /* the response to the last request is complete */
  bool switched;     /* a 101 came: what follows is not HTTP/1.1 */
  bool nul;          /* a NUL in a header */
  size_t hlen;       /* bytes kept in r->headers */
};

/* Does the response being read answer the last request (the one the outcome is about)? */
static bool answers_last(const struct exchange *x) { return x->finals + 1 == x->q->n; }

static enum http_method method_answered(const struct exchange *x) {
  return x->finals < x->q->n ? x->q->methods[x->finals] : HTTP_GET;
}

static void status_known(struct exchange *x, int status) {
  x->status_line = true;
  x->status = status;
  if (status < 100) x->bad_status = true;
  else if (status >= 200 && answers_last(x)) x->r->status = status;
}

static int rs_begin(http_parser *p) {
  struct exchange *x = p->data;
  x->in_message = true;
  x->status_line = x->head_done = false;
  x->status = 0;
  return 0;
}

static int rs_headers_complete(http_parser *p) {
  struct exchange *x = p->data;
  if (!x->status_line) status_known(x, p->status_code);
  if (x->bad_status) return -1;
  x->head_done = true;
  /* RFC 9112 6.3 item 1: a 1xx, 204 or 304, or any response to HEAD, ends with its header
   * section whatever it announces; 1 tells http-parser there is no body. */
  if (x->status < 200) return 1;
  if (answers_last(x)) {
    x->r->final_head = true;
    if (x->on_final_head) x->on_final_head(x->arg);
  }
  return x->status == 204 || x->status == 304 || method_answered(x) == HTTP_HEAD;
}

/* RFC 9110 5.5: a NUL in a field is never accepted (curl: "Nul byte in header");
 * http-parser lets one through as the first byte of a value. */
static int rs_field(http_parser *p, const char *at, size_t len) {
  struct exchange *x = p->data;
  if (!memchr(at, 0, len)) return 0;
  x->nul = true;
  return -1;
}

static int rs_body(http_parser *p, const char *at, size_t len) {
  struct exchange *x = p->data;
  if (answers_last(x)) x->r->body_bytes += len;
  return 0;
}

/* Pausing here stops http_parser_execute right after each message, so that the next one
 * starts where a piece starts (see feed_http). */
static int rs_complete(http_parser *p) {
  struct exchange *x = p->data;
  x->in_message = false;
  if (x->status < 200) {
    if (answers_last(x)) x->r->interim++;
    /* After a 101 the connection speaks another protocol: no final response will come. */
    if (x->status == 101) x->switched = true;
  } else if (++x->finals == x->q->n) {
    x->done = true;
  }
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings response_settings = {
    .on_message_begin = rs_begin,
    .on_header_field = rs_field,
    .on_header_value = rs_field,
    .on_headers_complete = rs_headers_complete,
    .on_body = rs_body,
    .on_message_complete = rs_complete,
};

static void keep_head(struct exchange *x, const char *p, size_t n) {
  size_t room = sizeof x->r->headers - 1 - x->hlen;
  if (n > room) n = room;
  memcpy(x->r->headers + x->hlen, p, n);
  x->hlen += n;
  x->r->headers[x->hlen] = 0;
}

/* Gives the parser bytes in pieces: outside a body, each piece ends at the next LF, so
 * the end of a status line is always the end of a piece and "the status is known" (a
 * header that breaks after it is NNN+invalid, not invalid) is exact, whatever the reason
 * phrase. Returns 0 to read on, 1 when the response to the last request is complete, -1
 * when the bytes do not parse (x->p.http_errno says why, or x->bad_status). */
static int feed_http(struct exchange *x, const char *data, size_t len) {
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

static int feed(struct exchange *x, const char *data, size_t len) {
  if (x->mode == UNDECIDED) {
    size_t take = sizeof x->prefix - x->nprefix;
    if (take > len) take = len;
    memcpy(x->prefix + x->nprefix, data, take);
    x->nprefix += take;
    if (!prefix_matches(x->prefix, x->nprefix)) {
      x->mode = HTTP09;
      x->r->body_bytes += x->nprefix - take; /* the bytes held back */
    } else if (x->nprefix == sizeof x->prefix) {
      x->mode = HTTP;
      int rc = feed_http(x, x->prefix, x->nprefix);
      if (rc != 0) return rc;
      return feed_http(x, data + take, len - take);
    } else {
      return 0;
    }
  }
  if (x->mode == HTTP09) {
    x->r->body_bytes += len;
    return 0;
  }
  return feed_http(x, data, len);
}

/* ---- the exchange ------------------------------------------------------------------- */

/* Connects without blocking past the deadline. Returns the fd, or -errno (-ETIMEDOUT). */
static int connect_by(int port, double deadline) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
  int err = errno;
  while (err == EINPROGRESS || err == EINTR) {
    double left = deadline - now_s();
    if (left <= 0) {
      err = ETIMEDOUT;
      break;
    }
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0) continue;
    socklen_t sl = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0) err = errno;
    if (err == 0) return fd;
  }
  close(fd);
  return -err;
}

static void finish(struct client_result *r, int status, enum outcome_end end) {
  r->end = end;
  outcome_format(r->outcome, sizeof r->outcome, status, end);
}

int rawclient_exchange(int port, const char *bytes, size_t len, double timeout_s, struct client_result *r,
                       void (*on_final_head)(void *), void *arg) {
  memset(r, 0, sizeof *r);
  double t0 = now_s(), deadline = t0 + timeout_s;
  struct requests q = {0};
  if (scan_requests(&q, bytes, len) != 0) {
    snprintf(r->error, sizeof r->error, "raw client: out of memory");
    finish(r, 0, OUTCOME_ERROR);
    free(q.methods);
    return 0;
  }
  int fd = connect_by(port, deadline);
  if (fd < 0) {
    snprintf(r->error, sizeof r->error, "raw client: connect: %s", strerror(-fd));
    finish(r, 0, fd == -ECONNREFUSED ? OUTCOME_REFUSED : fd == -ETIMEDOUT ? OUTCOME_TIMEOUT : OUTCOME_ERROR);
    r->total_s = now_s() - t0;
    free(q.methods);
    return 0;
  }
  struct exchange x = {.r = r, .on_final_head = on_final_head, .arg = arg, .q = &q};
  http_parser_init(&x.p, HTTP_RESPONSE);
  x.p.data = &x;
  /* RFC 9112 6.3 item 3: Transfer-Encoding overrides Content-Length for a recipient, as
   * curl does; http-parser would otherwise call that response unparseable. */
  x.p.allow_chunked_length = 1;
  /* Control bytes in a field value (other than NUL, see rs_field) are let through, as
   * curl lets them through: the two clients must give the same word for the same bytes. */
  x.p.lenient_http_headers = 1;

  /* Send and read at once: a proxy may answer (400) and close before it has read it all. */
  size_t sent = 0;
  bool reset_seen = false; /* a send saw the RST: a later recv may only say "end of file" */
  enum outcome_end end = OUTCOME_COMPLETE;
  char buf[16384];
  for (;;) {
    double left = deadline - now_s();
    if (left <= 0) {
      end = OUTCOME_TIMEOUT;
      snprintf(r->error, sizeof r->error, "raw client: no complete response in %g s", timeout_s);
      break;
    }
    struct pollfd pf = {.fd = fd, .events = (short)(POLLIN | (sent < len ? POLLOUT : 0))};
    if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0) continue;
    if (sent < len && (pf.revents & POLLOUT)) {
      ssize_t w = send(fd, bytes + sent, len - sent, MSG_NOSIGNAL);
      /* A failed send ends the sending; what came before the failure is still read below. */
      if (w < 0 && errno != EAGAIN && errno != EINTR) {
        sent = len;
        reset_seen = errno == ECONNRESET || errno == EPIPE;
      } else if (w > 0) {
        sent += (size_t)w;
      }
    }
    if (!(pf.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) {
      end = errno == ECONNRESET || reset_seen ? OUTCOME_RESET : OUTCOME_ERROR;
      snprintf(r->error, sizeof r->error, "raw client: recv: %s", strerror(reset_seen ? ECONNRESET : errno));
      break;
    }
    if (n == 0 && reset_seen && !x.done) {
      end = OUTCOME_RESET;
      snprintf(r->error, sizeof r->error, "raw client: send: %s", strerror(ECONNRESET));
      break;
    }
    if (n == 0) {
      /* The end of the connection ends a close-delimited body (and HTTP/0.9 bytes). */
      if (x.mode == HTTP) http_parser_execute(&x.p, &response_settings, NULL, 0);
      if (x.done || x.mode == HTTP09) break;
      end = OUTCOME_FIN;
      snprintf(r->error, sizeof r->error, "raw client: the connection ended (FIN) before the response was complete");
      break;
    }
    if (r->first_byte_s == 0) r->first_byte_s = now_s() - t0;
    int rc = feed(&x, buf, (size_t)n);
    if (rc > 0) break;
    if (rc < 0) {
      end = OUTCOME_INVALID;
      if (x.bad_status)
        snprintf(r->error, sizeof r->error, "raw client: invalid response: status %d", x.status);
      else if (x.nul)
        snprintf(r->error, sizeof r->error, "raw client: invalid response: NUL byte in a header");
      else if (x.switched)
        snprintf(r->error, sizeof r->error, "raw client: invalid response: bytes after 101 Switching Protocols");
      else
        snprintf(r->error, sizeof r->error, "raw client: invalid response: %s",
                 http_errno_description(HTTP_PARSER_ERRNO(&x.p)));
      break;
    }
  }
  close(fd);
  r->total_s = now_s() - t0;
  if (end != OUTCOME_COMPLETE && q.n > 1) { /* pipelined: say how far the answers got */
    size_t k = strlen(r->error);
    snprintf(r->error + k, sizeof r->error - k, " (%zu of %zu responses complete)", x.finals, q.n);
  }
  finish(r, x.mode == HTTP09 ? OUTCOME_HTTP09 : r->status, end);
  free(q.methods);
  return 0;
}
