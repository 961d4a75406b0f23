/* client_script.c: the scripted client. */
#include "client_script.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_tls.h"
#include "resp_reader.h"

/* How often a barrier is asked about while a request waits for it. */
#define BARRIER_POLL_S 0.01
/* How long the client waits, after the last response, to see the proxy close (wait_conn). */
#define CONN_WAIT_S 1.0

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* ---- the exchange -------------------------------------------------------------------- */

/* One request, built. */
struct built {
  struct buf head, body;
  int first, nreq; /* the request indices its bytes hold: first .. first + nreq - 1 */
};

struct conn {
  int fd;        /* -1: none */
  struct client_tls *tls; /* --client-tls: the bytes go through it; NULL: plain */
  int index;     /* 1-based, as in the transcript */
  struct resp_reader rd;
  bool eof, reset, shut, aborted, broken;
  /* A request's bytes stopped short of its end (a final response came first, or
   * send_body_bytes): the server may still read the rest of that body from it, so no
   * further request goes on it (RFC 9112 9.3, 9.6). unsent_request: its index, 1-based;
   * unsent_head: not even its head was complete (raw bytes, paced). */
  int unsent_request;
  bool unsent_head;
};

struct run {
  const struct client_part *part;
  const struct client_script_opts *o;
  struct client_result *r;
  struct seen *seen;
  struct built *b;
  struct addrinfo *ai;
  double t0;
  int last;       /* the last request's index */
  bool *heads;    /* heads[k]: the final head of request k came */
  int nslots;
  struct conn c;
};

static void on_head(void *arg, int request) {
  struct run *x = arg;
  if (request >= 0 && request < x->nslots) x->heads[request] = true;
  if (x->o->hooks.response_head) x->o->hooks.response_head(x->o->hooks.arg, request, request == x->last);
}

static int barrier_reached(const struct run *x, const char *name) {
  return x->o->hooks.barrier_reached ? x->o->hooks.barrier_reached(x->o->hooks.arg, name) : -1;
}

/* Connects without blocking past the deadline. Returns the fd, or -errno (-ETIMEDOUT). */
static int connect_by(const struct addrinfo *ai, double deadline) {
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
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

/* send(2) and recv(2), through TLS when the connection has it (same results, same errno). */
static ssize_t conn_send(struct conn *c, const void *p, size_t n) {
  return c->tls ? client_tls_send(c->tls, p, n) : send(c->fd, p, n, MSG_NOSIGNAL);
}
static ssize_t conn_recv(struct conn *c, void *p, size_t n) {
  return c->tls ? client_tls_recv(c->tls, p, n) : recv(c->fd, p, n, 0);
}
/* The client's FIN; over TLS its close_notify first (RFC 8446 6.1). */
static void conn_shut(struct conn *c) {
  client_tls_close_notify(c->tls);
  shutdown(c->fd, SHUT_WR);
}

static void close_conn(struct conn *c) {
  client_tls_free(c->tls);
  c->tls = NULL;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  resp_reader_free(&c->rd);
}

/* An RST instead of a FIN: SO_LINGER with a zero time, then close (RFC 9293 3.6). */
static void reset_conn(struct conn *c) {
  struct linger l = {1, 0};
  if (c->fd >= 0) setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close_conn(c);
}

/* Can request i go on the open connection? Its last response ended, the proxy did not
 * close it, and a look at the socket finds no FIN or RST waiting. */
static bool reusable(struct conn *c) {
  if (c->fd < 0 || c->eof || c->reset || c->shut || c->aborted || c->broken || c->unsent_request || !c->rd.done ||
      c->rd.closing)
    return false;
  char b;
  ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static void finish(struct client_result *r, int status, enum outcome_end end) {
  r->end = end;
  outcome_format(r->outcome, sizeof r->outcome, status, end);
}

/* The sending side of a group of requests (one, or one and those pipelined after it). */
struct sender {
  struct buf out;       /* every byte the group may send */
  size_t sent, allowed; /* written; releasable now */
  size_t limit;         /* no byte past this one, ever (send_body_bytes) */
  size_t *ends;         /* ends[k]: the offset where request first+k's bytes end */
  size_t *head_ends;    /* head_ends[k]: where its header section ends (raw: all its bytes) */
  int first, n;         /* the requests of the group (indices into part) */
  bool *done_sent;
  bool *head_sent;      /* its head is written: it counts in requests_sent */
  double next_piece;    /* pace: when the next piece is released */
  size_t head_len;      /* the bytes before the body (one request alone) */
  bool gated;           /* expect_100: the body waits for 100 Continue */
  double gate_until;
  size_t finals_at_start;
};

/* Releases what the request's pace and expect_100 allow by now. */
static void release(struct sender *s, const struct client_request *q, struct conn *c, double now) {
  if (s->gated) {
    /* A final response first: the body is not sent at all (RFC 9110 10.1.1). */
    if (c->rd.finals > s->finals_at_start || (c->rd.in_message && c->rd.status_line && c->rd.status >= 200)) {
      s->limit = s->head_len;
      s->gated = false;
    } else if (c->rd.status == 100 || now >= s->gate_until) {
      s->gated = false;
      if (q->pace_bytes) s->next_piece = now;
    }
  }
  if (s->allowed > s->limit) s->allowed = s->limit;
  size_t want = s->gated ? s->head_len : s->limit;
  if (!s->gated && q->pace_bytes) {
    while (s->allowed < want && now >= s->next_piece) {
      s->allowed = s->allowed + q->pace_bytes < want ? s->allowed + q->pace_bytes : want;
      s->next_piece += q->pace_every;
    }
    return;
  }
  if (want > s->allowed) s->allowed = want;
}

/* Marks the requests whose bytes are all written (what they will ever send). */
static void mark_sent(struct run *x, struct sender *s, bool failed) {
  for (int k = 0; k < s->n && !failed; k++)
    if (!s->done_sent[k] && s->sent >= (s->ends[k] < s->limit ? s->ends[k] : s->limit)) {
      s->done_sent[k] = true;
      if (x->o->hooks.request_sent) x->o->hooks.request_sent(x->o->hooks.arg, x->b[s->first + k].first);
    }
}

/* Counts the requests whose request line and header section are now written (seen.h's
 * requests_sent): a request whose body was cut short, or held back by send_body_bytes,
 * was sent all the same. Called with the bytes really written only. */
static void count_heads(struct run *x, struct sender *s) {
  for (int k = 0; k < s->n; k++)
    if (!s->head_sent[k] && s->sent >= s->head_ends[k]) {
      s->head_sent[k] = true;
      x->seen->requests_sent += x->b[s->first + k].nreq;
    }
}

/* What ended a group's loop. */
struct group_end {
  enum outcome_end end;
  bool aborted_reset;
};

/* Does any request of the group want the exchange ended now? 1 FIN, 2 RST, 0 no. */
static int abort_due(struct run *x, const struct sender *s, double t_group, double now, double *next_poll) {
  for (int k = 0; k < s->n; k++) {
    const struct client_request *q = &x->part->requests[s->first + k];
    const struct built *b = &x->b[s->first + k];
    int last_req = b->first + b->nreq - 1;
    bool due = false;
    switch (q->abort.at) {
    case CLIENT_ABORT_NONE: break;
    case CLIENT_ABORT_SENT: due = s->done_sent[k]; break;
    case CLIENT_ABORT_RESPONSE_HEAD: due = last_req < x->nslots && x->heads[last_req]; break;
    case CLIENT_ABORT_BODY_BYTES:
      for (size_t i = 0; i < x->seen->nresponses && !due; i++)
        due = x->seen->responses[i].request == last_req && x->seen->responses[i].body_bytes >= q->abort.bytes;
      break;
    case CLIENT_ABORT_TIME:
      due = now - t_group >= q->abort.after_s;
      if (!due && t_group + q->abort.after_s < *next_poll) *next_poll = t_group + q->abort.after_s;
      break;
    case CLIENT_ABORT_BARRIER:
      due = barrier_reached(x, q->abort.barrier) == 1;
      if (!due && now + BARRIER_POLL_S < *next_poll) *next_poll = now + BARRIER_POLL_S;
      break;
    }
    if (due) return q->abort.reset ? 2 : 1;
  }
  return 0;
}

/* Writes and reads one group until its responses are complete, the connection ends, the
 * client aborts, or the deadline. */
static struct group_end run_group(struct run *x, struct sender *s, double t_group, double deadline) {
  struct conn *c = &x->c;
  struct client_result *r = x->r;
  const struct client_request *q0 = &x->part->requests[s->first];
  bool reset_seen = false; /* a send saw the RST: a later recv may only say "end of file" */
  bool send_failed = false;
  char buf[16384];
  r->error[0] = 0;
  for (;;) {
    double now = now_s();
    if (now >= deadline) {
      snprintf(r->error, sizeof r->error, "raw client: no complete response in %g s", x->o->timeout_s);
      return (struct group_end){OUTCOME_TIMEOUT, false};
    }
    if (!c->shut) {
      release(s, q0, c, now);
      mark_sent(x, s, send_failed);
    }
    double next = deadline;
    int ab = c->aborted ? 0 : abort_due(x, s, t_group, now, &next);
    if (ab == 2) {
      reset_conn(c);
      c->aborted = true;
      snprintf(r->error, sizeof r->error, "raw client: the client reset the connection itself (abort)");
      return (struct group_end){OUTCOME_ABORTED, true};
    }
    if (ab == 1) {
      conn_shut(c);
      c->shut = c->aborted = true;
    }
    if (!c->shut && s->sent < s->limit && s->allowed < s->limit) {
      if (s->gated && s->gate_until < next) next = s->gate_until;
      if (q0->pace_bytes && s->next_piece < next) next = s->next_piece;
      if (s->gated && now + BARRIER_POLL_S < next) next = now + BARRIER_POLL_S;
    }
    bool writing = !c->shut && s->sent < s->allowed;
    struct pollfd pf = {.fd = c->fd, .events = (short)(POLLIN | (writing ? POLLOUT : 0))};
    double wait = next - now;
    /* bytes TLS already decrypted are not on the socket for poll to see */
    if (client_tls_pending(c->tls)) pf.revents = POLLIN;
    else if (poll(&pf, 1, wait > 0 ? (int)(wait * 1000) + 1 : 0) <= 0) continue;
    if (writing && (pf.revents & POLLOUT)) {
      ssize_t w = conn_send(c, s->out.data + s->sent, s->allowed - s->sent);
      /* A failed send ends the sending; what came before the failure is still read below. */
      if (w < 0 && errno != EAGAIN && errno != EINTR) {
        s->sent = s->limit = s->allowed;
        c->shut = true;
        reset_seen = errno == ECONNRESET || errno == EPIPE;
        send_failed = true;
      } else if (w > 0) {
        if (x->o->transcript) client_transcript_sent(x->o->transcript, c->index, s->out.data + s->sent, (size_t)w);
        s->sent += (size_t)w;
        count_heads(x, s);
      }
      mark_sent(x, s, send_failed);
    }
    if (!(pf.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = conn_recv(c, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0 && errno == EPROTO) { /* a TLS alert or a record that does not decrypt */
      c->broken = true;
      snprintf(r->error, sizeof r->error, "raw client: TLS: %s", client_tls_why(c->tls));
      return (struct group_end){OUTCOME_TLS, false};
    }
    if (n < 0) {
      int err = errno;
      c->reset = true;
      snprintf(r->error, sizeof r->error, "raw client: recv: %s", strerror(reset_seen ? ECONNRESET : err));
      return (struct group_end){err == ECONNRESET || reset_seen ? OUTCOME_RESET : OUTCOME_ERROR, false};
    }
    if (n == 0 && reset_seen && !c->rd.done) {
      c->reset = true;
      snprintf(r->error, sizeof r->error, "raw client: send: %s", strerror(ECONNRESET));
      return (struct group_end){OUTCOME_RESET, false};
    }
    if (n == 0) {
      c->eof = true;
      if (resp_reader_eof(&c->rd) || c->rd.mode == RESP_HTTP09) return (struct group_end){OUTCOME_COMPLETE, false};
      snprintf(r->error, sizeof r->error, "raw client: the connection ended (FIN) before the response was complete");
      return (struct group_end){OUTCOME_FIN, false};
    }
    if (r->first_byte_s == 0) r->first_byte_s = now_s() - x->t0;
    if (x->o->transcript) client_transcript_received(x->o->transcript, c->index, buf, (size_t)n);
    int rc = resp_reader_feed(&c->rd, buf, (size_t)n);
    if (rc > 0) {
      /* A final response to an expect_100 request ends its bytes at the head (RFC 9110
       * 10.1.1): it counts as sent, although the loop ends before it would see that. */
      if (!c->shut) release(s, q0, c, now_s());
      mark_sent(x, s, send_failed);
      /* The point of an abort came with the last bytes (the head and the whole body in one
       * read): the client still ends the connection there, as it was told to. */
      double unused = deadline;
      int late = c->aborted ? 0 : abort_due(x, s, t_group, now_s(), &unused);
      if (late == 2) reset_conn(c);
      else if (late == 1) conn_shut(c), c->shut = true;
      c->aborted |= late != 0;
      return (struct group_end){OUTCOME_COMPLETE, false};
    }
    if (rc < 0) {
      resp_reader_why(&c->rd, r->error, sizeof r->error);
      c->broken = true; /* unusable from here */
      return (struct group_end){OUTCOME_INVALID, false};
    }
  }
}

/* After the last response: does the proxy close the connection within CONN_WAIT_S? */
static enum seen_conn watch_close(struct run *x) {
  struct conn *c = &x->c;
  if (c->aborted || c->broken) return SEEN_CONN_UNKNOWN;
  if (c->reset) return SEEN_CONN_RESET;
  if (c->eof) return SEEN_CONN_CLOSED;
  if (c->fd < 0) return SEEN_CONN_UNKNOWN;
  double until = now_s() + CONN_WAIT_S;
  char buf[4096];
  for (double left; (left = until - now_s()) > 0;) {
    struct pollfd pf = {.fd = c->fd, .events = POLLIN};
    if (!client_tls_pending(c->tls) && poll(&pf, 1, (int)(left * 1000) + 1) <= 0) continue;
    ssize_t n = conn_recv(c, buf, sizeof buf);
    if (n == 0) return SEEN_CONN_CLOSED;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return errno == ECONNRESET ? SEEN_CONN_RESET : SEEN_CONN_CLOSED;
    if (n > 0 && x->o->transcript) client_transcript_received(x->o->transcript, c->index, buf, (size_t)n);
  }
  return SEEN_CONN_KEPT;
}

/* Waits for barrier `name` before a request, at most s seconds; then goes on either way. */
static void wait_barrier(struct run *x, const char *name, double s) {
  double until = now_s() + s;
  while (barrier_reached(x, name) == 0 && now_s() < until) sleep_s(BARRIER_POLL_S);
}

static int fail(struct client_result *r, const char *why) {
  snprintf(r->error, sizeof r->error, "client: %.200s", why);
  finish(r, 0, OUTCOME_ERROR);
  return -1;
}

/* Opens the group's connection (a fresh one unless it may reuse the open one) and tells
 * its reader what the group's requests are. 0, or an outcome end on a failed connect. */
static int open_for(struct run *x, const struct client_request *q, double deadline, enum outcome_end *end) {
  struct conn *c = &x->c;
  if (q->connection != CLIENT_CONN_NEW && reusable(c)) return 0;
  int index = c->index + 1;
  struct client_transcript *t = x->o->transcript;
  if (t && q->connection != CLIENT_CONN_NEW && c->index > 0) {
    /* "same" found the connection gone: the transcript says why a new one starts. */
    static const char fmt[] = "%s--- connection %d (connection %d could not be reused: %s) ---\n";
    char unsent[80];
    snprintf(unsent, sizeof unsent, "request %d%s was not completely sent", c->unsent_request,
             c->unsent_head ? "" : "'s body");
    const char *why = c->eof || c->reset         ? "the proxy closed it"
                      : c->unsent_request        ? unsent
                      : c->rd.closing            ? "the response said close"
                                                 : "its exchange did not end well";
    buf_printf(&t->sent, fmt, t->sent.len ? "\n" : "", index, c->index, why);
    buf_printf(&t->received, fmt, t->received.len ? "\n" : "", index, c->index, why);
    t->sent_conn = t->received_conn = index;
  }
  close_conn(c);
  memset(c, 0, sizeof *c);
  c->fd = -1;
  c->index = index;
  resp_reader_init(&c->rd);
  c->rd.r = x->r;
  c->rd.seen = x->seen;
  c->rd.last_request = x->last;
  c->rd.connection = index - 1;
  c->rd.t0 = x->t0;
  c->rd.on_final_head = on_head;
  c->rd.arg = x;
  int fd = -ECONNREFUSED;
  for (const struct addrinfo *a = x->ai; a; a = a->ai_next)
    if ((fd = connect_by(a, deadline)) >= 0) break;
  if (fd < 0) {
    snprintf(x->r->error, sizeof x->r->error, "raw client: connect: %s", strerror(-fd));
    *end = fd == -ECONNREFUSED ? OUTCOME_REFUSED : fd == -ETIMEDOUT ? OUTCOME_TIMEOUT : OUTCOME_ERROR;
    return -1;
  }
  c->fd = fd;
  x->seen->connections++;
  if (x->o->tls_ca) {
    bool reset = false, timed_out = false;
    char why[sizeof x->r->error];
    c->tls = client_tls_open(fd, x->o->tls_ca, x->o->tls_host ? x->o->tls_host : "localhost", deadline, why, sizeof why,
                             &reset, &timed_out);
    if (!c->tls) {
      snprintf(x->r->error, sizeof x->r->error, "raw client: %.230s", why);
      c->broken = true;
      *end = OUTCOME_TLS;
      return -1;
    }
  }
  return 0;
}

/* Builds every request first: a placeholder without a value stops the exchange before
 * any byte is sent; and the last request's index must be known before the first
 * response is read. */
static int build_all(struct run *x, const struct client_vars *v) {
  int next = 0;
  for (size_t i = 0; i < x->part->n; i++) {
    const struct client_request *q = &x->part->requests[i];
    struct built *b = &x->b[i];
    char err[256];
    if (client_build(q, (int)i + 1, v, &b->head, &b->body, err, sizeof err) != 0) return fail(x->r, err);
    /* The requests its bytes hold, as a proxy reads them (a raw request may hold several,
     * or none that parses: one GET). */
    struct resp_reader scan;
    resp_reader_init(&scan);
    int k = resp_reader_expect_bytes(&scan, next, b->head.data ? b->head.data : "", b->head.len);
    resp_reader_free(&scan);
    if (k < 0) return fail(x->r, "out of memory");
    b->first = next;
    b->nreq = k;
    next += k;
  }
  x->nslots = next;
  x->last = next - 1;
  x->heads = calloc((size_t)next, sizeof *x->heads);
  return x->heads ? 0 : fail(x->r, "out of memory");
}

static int resolve(struct run *x) {
  char port[16];
  snprintf(port, sizeof port, "%d", x->o->port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
  int rc = getaddrinfo(x->o->host ? x->o->host : "127.0.0.1", port, &hints, &x->ai);
  if (rc != 0) {
    char why[200];
    snprintf(why, sizeof why, "%.100s: %s", x->o->host, gai_strerror(rc));
    return fail(x->r, why);
  }
  return 0;
}

/* Sends group [first, first + n) and reads its responses. */
static struct group_end send_group(struct run *x, int first, int n, double t_group, double deadline) {
  struct sender s = {.first = first, .n = n};
  s.ends = calloc((size_t)n, sizeof *s.ends);
  s.done_sent = calloc((size_t)n, sizeof *s.done_sent);
  s.head_ends = calloc((size_t)n, sizeof *s.head_ends);
  s.head_sent = calloc((size_t)n, sizeof *s.head_sent);
  struct group_end ge = {OUTCOME_ERROR, false};
  const struct client_request *q0 = &x->part->requests[first];
  for (int k = 0; k < n; k++) {
    struct built *b = &x->b[first + k];
    buf_append(&s.out, b->head.data ? b->head.data : "", b->head.len);
    buf_append(&s.out, b->body.data ? b->body.data : "", b->body.len);
    if (s.ends) s.ends[k] = s.out.len;
    if (s.head_ends) s.head_ends[k] = s.out.len - (b->body.data ? b->body.len : 0);
    /* Each request its bytes hold awaits a response; its method says if it has a body. */
    if (resp_reader_expect_bytes(&x->c.rd, b->first, b->head.data ? b->head.data : "", b->head.len) < 0) s.out.oom = true;
  }
  if (!s.ends || !s.done_sent || !s.head_ends || !s.head_sent || s.out.oom || x->c.rd.nq == 0) {
    snprintf(x->r->error, sizeof x->r->error, "client: out of memory");
    goto out;
  }
  s.head_len = x->b[first].head.len;
  s.limit = s.out.len;
  if (q0->send_body_bytes >= 0 && s.head_len + (size_t)q0->send_body_bytes < s.limit)
    s.limit = s.head_len + (size_t)q0->send_body_bytes;
  if (q0->expect_100 >= 0 && !q0->raw.p) {
    s.gated = true;
    s.gate_until = t_group + q0->expect_100;
    s.finals_at_start = x->c.rd.finals;
  }
  /* Paced: the header section at once, then a piece of the body every pace_every (raw
   * bytes: a piece at once, then one every pace_every). */
  s.next_piece = t_group;
  if (q0->pace_bytes && !q0->raw.p) {
    s.allowed = s.head_len < s.limit ? s.head_len : s.limit;
    s.next_piece = t_group + q0->pace_every;
  }
  release(&s, q0, &x->c, t_group);
  ge = run_group(x, &s, t_group, deadline);
  /* The first request whose bytes stopped short of their end leaves the connection out of
   * step: the server reads the next bytes as the rest of its body. */
  for (int k = 0; k < n && !x->c.unsent_request; k++)
    if (s.sent < s.ends[k]) {
      x->c.unsent_request = x->b[first + k].first + 1;
      x->c.unsent_head = s.sent < s.head_ends[k];
    }
out:
  buf_free(&s.out);
  free(s.ends);
  free(s.done_sent);
  free(s.head_ends);
  free(s.head_sent);
  return ge;
}

int client_script_run(const struct client_part *part, const struct client_vars *v, const struct client_script_opts *o,
                      struct client_result *r, struct seen *seen) {
  memset(r, 0, sizeof *r);
  memset(seen, 0, sizeof *seen);
  struct run x = {.part = part, .o = o, .r = r, .seen = seen, .t0 = now_s()};
  x.c.fd = -1;
  resp_reader_init(&x.c.rd);
  x.b = calloc(part->n ? part->n : 1, sizeof *x.b);
  int rc = x.b ? 0 : fail(r, "out of memory");
  if (rc == 0) rc = build_all(&x, v);
  if (rc == 0) rc = resolve(&x);
  enum outcome_end end = OUTCOME_ERROR;
  bool aborted_reset = false;
  for (size_t i = 0; rc == 0 && i < part->n;) {
    size_t n = 1;
    while (i + n < part->n && part->requests[i + n].connection == CLIENT_CONN_PIPELINED) n++;
    const struct client_request *q = &part->requests[i];
    if (q->wait.barrier[0]) wait_barrier(&x, q->wait.barrier, q->wait.s);
    /* After the wait: it may be for a barrier an earlier request's exchange reached. */
    if (i > 0 && o->hooks.reset_barriers) o->hooks.reset_barriers(o->hooks.arg);
    double t_group = now_s(), deadline = t_group + o->timeout_s;
    r->status = 0; /* the outcome is the last group's */
    r->final_head = false;
    r->interim = 0;
    r->body_bytes = 0;
    r->headers[0] = 0;
    seen->npending = 0; /* 1xx without a final response: this group's only */
    if (open_for(&x, q, deadline, &end) == 0) {
      x.c.rd.hlen = 0;
      struct group_end ge = send_group(&x, (int)i, (int)n, t_group, deadline);
      end = ge.end;
      aborted_reset = ge.aborted_reset;
    }
    i += n;
  }
  if (rc == 0) {
    r->total_s = now_s() - x.t0;
    struct resp_reader *rd = &x.c.rd;
    if (end != OUTCOME_COMPLETE && rd->nq > 1) { /* pipelined: say how far the answers got */
      size_t k = strlen(r->error);
      snprintf(r->error + k, sizeof r->error - k, " (%zu of %zu responses complete)", rd->finals, rd->nq);
    }
    /* An RST of the client's own: what had come, as if the connection had ended there. */
    if (aborted_reset && rd->done) end = OUTCOME_COMPLETE;
    finish(r, rd->mode == RESP_HTTP09 && x.c.index ? OUTCOME_HTTP09 : r->status, end);
    seen->total_s = r->total_s;
    /* A client that gave up waiting (timeout) cannot say the proxy kept the connection:
     * the response never ended, so "kept" would be about a stalled exchange. */
    seen->last_conn = o->wait_conn && end != OUTCOME_TIMEOUT ? watch_close(&x) : SEEN_CONN_UNKNOWN;
  }
  close_conn(&x.c);
  for (size_t i = 0; x.b && i < part->n; i++) {
    buf_free(&x.b[i].head);
    buf_free(&x.b[i].body);
  }
  free(x.b);
  free(x.heads);
  if (x.ai) freeaddrinfo(x.ai);
  return rc;
}
