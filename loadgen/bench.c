/* bench.c: `badup bench`. See bench.h.
 *
 * One libuv loop drives N connections. Each connection holds at most one request in flight
 * (no pipelining). Closed loop: a connection sends its next request as soon as the previous
 * response is complete. Open loop: request k is due at start + k/rate; a 1 ms tick hands due
 * requests to idle connections, a connection that frees up takes the oldest due request at
 * once, and the latency runs from the *scheduled* time, so a stalled server is charged for
 * the requests it held back (coordinated omission corrected, as wrk2 does).
 *
 * A failure (refused, reset, closed without a byte, truncated, timeout, invalid response)
 * is counted per kind and the connection reconnects. Latencies of complete responses, any
 * status, go into one histogram (histogram.h). requests/s counts complete responses, like
 * wrk's Requests/sec. What it measured goes to bench_report.c, which prints and writes it. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <http_parser.h>
#include <uv.h>

#include "bench_report.h"
#include "bench_request.h"
#include "histogram.h"
#include "simstats.h"
#include "upstream_stats.h"
#include "usage.h"

#define MAX_CONNECTIONS 10000
#define MAX_DURATION 3600.0
#define DEFAULT_DURATION 10.0
#define DEFAULT_TIMEOUT 5.0
#define UPSTREAM_STATS_TIMEOUT_MS 5000L
#define READ_BUF 65536
#define TICK_MS 1

enum load_conn_state {
  C_DOWN,       /* no handle; reconnect on the next tick */
  C_CONNECTING, /* uv_tcp_connect pending */
  C_IDLE,       /* connected, no request in flight (open loop only) */
  C_BUSY,       /* a request in flight */
  C_CLOSING     /* uv_close pending */
};

struct bench;

struct load_conn {
  struct bench *b;
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  http_parser parser;
  enum load_conn_state state;
  bool writing;      /* wreq pending */
  bool got_bytes;    /* any byte of the current response */
  bool complete;     /* the current response is complete */
  bool reconnect;    /* after the close: connect again at once (else wait for a tick) */
  uint64_t origin;   /* latency origin: send time (closed) or scheduled time (open), ns */
  uint64_t started;  /* when the request was written or the connect began: timeout origin */
  char rbuf[READ_BUF];
};

struct options {
  const char *url;
  unsigned connections;
  double duration, rate, timeout;
  const char *out;
  char upstream_stats[160]; /* --upstream-admin: the simulator's GET /stats URL, or "" */
  struct bench_request_spec request; /* --method, --header, --body */
};

struct bench {
  struct options o;
  uv_loop_t loop;
  struct sockaddr_storage addr;
  char target[4096];        /* the request line's target, "/path?q" */
  char authority[96];       /* Host: "127.0.0.1:8080", "[::1]:8080" */
  char *request;            /* the bytes sent for every request (bench_request.c) */
  size_t request_len;
  bool head;                /* --method HEAD: responses carry no body, whatever they announce */
  long long body_bytes;     /* --body's length, -1 without one (for summary.json) */
  struct load_conn *conns;
  uv_timer_t tick, stop_timer, progress;
  uv_signal_t sigint, sigterm;
  http_parser_settings settings;
  bool running, interrupted, progress_on;
  uint64_t t_start, t_end, timeout_ns;
  unsigned tick_n;
  /* open loop */
  uint64_t sched_sent;  /* requests handed to a connection so far */
  uint64_t *idle;       /* stack of idle connection indices */
  unsigned n_idle;
  /* results */
  struct hist hist;
  uint64_t status[BENCH_STATUSES];
  uint64_t fails[F_KINDS];
  uint64_t responses, last_progress_responses;
  /* --upstream-admin: the simulator's counters before the load, and the differences after
   * it (attempts = requests received; -1 when unknown) */
  struct simstats upstream_before;
  long long upstream_attempts, upstream_connections;
};

/* ---------------------------------------------------------------- usage and options */

void bench_usage(FILE *out) {
  fprintf(out,
          "usage: badup bench --url URL [--connections N] [--duration S] [--rate R]\n"
          "                   [--out DIR] [--timeout S] [--upstream-admin HOST:PORT]\n"
          "                   [--method M] [--header 'Name: value']... [--body STRING|@FILE]\n"
          "\n"
          "Loads an HTTP server on the loopback with N keep-alive connections and prints\n"
          "requests, duration, a line 'requests/s: <number>', the status mix (per status code\n"
          "and failure kind: closed, reset, timeout, refused, truncated, invalid, error) and the\n"
          "latency percentiles p50 p90 p99 p99.9 max.\n"
          "\n"
          "  --url URL          http://127.0.0.1[:PORT]/PATH or http://[::1][:PORT]/PATH\n"
          "                     (localhost is 127.0.0.1; addresses outside the loopback\n"
          "                     range 127.0.0.0/8 and ::1 are refused)\n"
          "  --connections N    concurrent connections, 1..%d (default 10)\n"
          "  --duration S       seconds of load, at most %.0f (default %.0f)\n"
          "  --rate R           open loop: R requests/s on a fixed timeline, latency measured\n"
          "                     from the scheduled send time (coordinated omission corrected);\n"
          "                     without it, closed loop: each connection sends its next request\n"
          "                     as soon as the previous response is complete\n"
          "  --timeout S        a request (or connect) with no complete response after S\n"
          "                     seconds counts as 'timeout' and its connection reconnects\n"
          "                     (default %.0f)\n"
          "  --method M         the request method (default GET): a token of at most 32\n"
          "                     characters; HEAD responses are read without a body; CONNECT\n"
          "                     is refused\n"
          "  --header 'Name: value'\n"
          "                     an extra request header, repeatable (at most %d, each at most\n"
          "                     %d bytes, no CR/LF); a Host or User-Agent given here replaces\n"
          "                     bench's own; Content-Length and Transfer-Encoding are refused\n"
          "  --body STRING|@FILE\n"
          "                     the request body, sent with its Content-Length on every\n"
          "                     request: STRING as is, or the bytes of FILE (at most %u MiB)\n"
          "  --out DIR          also write DIR/summary.json and DIR/latency.dat (the latency\n"
          "                     distribution: columns percentile (0..100) and latency_ms, for\n"
          "                     `badup plot DIR`); DIR is checked before the load\n"
          "  --upstream-admin HOST:PORT\n"
          "                     the control API of the badup serve behind the target (the\n"
          "                     admin= address it prints): its request count is read before\n"
          "                     and after the load, and the difference is reported as the\n"
          "                     upstream attempts (more than client requests: the proxy\n"
          "                     retried) and the upstream connections it took (as many as\n"
          "                     attempts: no upstream keep-alive). A token is taken from\n"
          "                     $BADUP_ADMIN_TOKEN\n"
          "  -h, --help         this text\n"
          "\n"
          "requests/s counts complete responses (any status), like wrk's Requests/sec.\n"
          "Progress goes to stderr once a second when it is a terminal. Ctrl-C stops the load\n"
          "early and still prints and writes the summary (exit 0). Exit 1: not a single\n"
          "response (nothing listening, every request failed). Exit 2: usage error.\n",
          MAX_CONNECTIONS, MAX_DURATION, DEFAULT_DURATION, DEFAULT_TIMEOUT, BENCH_MAX_HEADERS,
          BENCH_MAX_HEADER_BYTES, BENCH_MAX_BODY / (1024 * 1024));
}

static bool parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v)) return false;
  *out = v;
  return true;
}

static int parse_options(struct bench *b, int argc, char **argv, bool *help) {
  struct options *o = &b->o;
  o->connections = 10;
  o->duration = DEFAULT_DURATION;
  o->timeout = DEFAULT_TIMEOUT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      *help = true;
      return 0;
    }
    const char *val = NULL;
    const char *eq = strchr(a, '=');
    char name[32];
    const char *why;
    if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof name) {
      memcpy(name, a, (size_t)(eq - a));
      name[eq - a] = '\0';
      val = eq + 1;
      a = name;
    }
    static const char *const known[] = {"--url",     "--connections",    "--duration", "--rate",   "--out",
                                        "--timeout", "--upstream-admin", "--method",   "--header", "--body"};
    bool ok = false;
    for (size_t k = 0; k < sizeof known / sizeof *known; k++) ok |= !strcmp(a, known[k]);
    if (!ok) return cli_usage_error("bench", "unknown option '%s'", argv[i]);
    if (!val) {
      if (i + 1 >= argc) return cli_usage_error("bench", "%s needs a value", a);
      val = argv[++i];
    }
    double d;
    if (!strcmp(a, "--url")) {
      o->url = val;
    } else if (!strcmp(a, "--out")) {
      if (!*val) return cli_usage_error("bench", "%s", "--out needs a folder");
      o->out = val;
    } else if (!strcmp(a, "--method")) {
      o->request.method = val;
    } else if (!strcmp(a, "--header")) {
      if (o->request.n_headers == BENCH_MAX_HEADERS)
        return cli_usage_error("bench", "more than %d --header", BENCH_MAX_HEADERS);
      o->request.headers[o->request.n_headers++] = val;
    } else if (!strcmp(a, "--body")) {
      o->request.body = val;
    } else if (!strcmp(a, "--upstream-admin")) {
      if (upstream_stats_url(val, o->upstream_stats, sizeof o->upstream_stats, &why) != 0)
        return cli_usage_error("bench", "--upstream-admin '%s': %s", val, why);
    } else if (!parse_double(val, &d)) {
      return cli_usage_error("bench", "not a number: '%s'", val);
    } else if (!strcmp(a, "--connections")) {
      if (d < 1 || d > MAX_CONNECTIONS || d != floor(d))
        return cli_usage_error("bench", "--connections must be a whole number from 1 to 10000 (got '%s')", val);
      o->connections = (unsigned)d;
    } else if (!strcmp(a, "--duration")) {
      if (d <= 0 || d > MAX_DURATION)
        return cli_usage_error("bench", "--duration must be > 0 and <= 3600 s (got '%s')", val);
      o->duration = d;
    } else if (!strcmp(a, "--rate")) {
      if (d <= 0 || d > 1e8)
        return cli_usage_error("bench", "--rate must be from a fraction of one to 100000000 requests/s (got '%s')", val);
      o->rate = d;
    } else if (!strcmp(a, "--timeout")) {
      if (d <= 0 || d > MAX_DURATION)
        return cli_usage_error("bench", "--timeout must be > 0 and <= 3600 s (got '%s')", val);
      o->timeout = d;
    }
  }
  if (!o->url) return cli_usage_error("bench", "%s", "--url is required");
  int rc = bench_url_parse(o->url, &b->addr, b->target, sizeof b->target, b->authority, sizeof b->authority);
  if (rc) return rc;
  rc = bench_request_build(&o->request, b->target, b->authority, &b->request, &b->request_len, &b->head);
  /* The body is what follows the blank line that ends the header block. */
  const char *end = rc ? NULL : memmem(b->request, b->request_len, "\r\n\r\n", 4);
  b->body_bytes = o->request.body && end ? (long long)(b->request_len - (size_t)(end + 4 - b->request)) : -1;
  return rc;
}

/* ---------------------------------------------------------------- connections */

static void load_connect(struct load_conn *c);
static void load_send(struct load_conn *c, uint64_t origin);
static void load_close(struct load_conn *c, bool reconnect);

static uint64_t now_ns(void) { return uv_hrtime(); }

static bool open_loop(const struct bench *b) { return b->o.rate > 0; }

/* Requests due by `now` on the open-loop timeline (request k is due at start + k/rate). */
static uint64_t sched_due(const struct bench *b, uint64_t now) {
  double elapsed = (double)(now - b->t_start) / 1e9;
  return (uint64_t)floor(elapsed * b->o.rate) + 1;
}

static uint64_t sched_time(const struct bench *b, uint64_t k) {
  return b->t_start + (uint64_t)((double)k * 1e9 / b->o.rate);
}

static void record_fail(struct bench *b, enum fail_kind k) {
  if (b->running) b->fails[k]++;
}

/* The connection is ready for a request: closed loop sends at once; open loop takes the
 * oldest due request, or waits on the idle stack. */
static void load_ready(struct load_conn *c) {
  struct bench *b = c->b;
  if (!b->running) return;
  if (!open_loop(b)) {
    load_send(c, now_ns());
    return;
  }
  uint64_t now = now_ns();
  if (b->sched_sent < sched_due(b, now)) {
    uint64_t origin = sched_time(b, b->sched_sent++);
    load_send(c, origin);
  } else {
    c->state = C_IDLE;
    b->idle[b->n_idle++] = (uint64_t)(c - b->conns);
  }
}

static void on_close(uv_handle_t *h) {
  struct load_conn *c = h->data;
  c->state = C_DOWN;
  if (c->reconnect && c->b->running) load_connect(c);
}

static void load_close(struct load_conn *c, bool reconnect) {
  if (c->state == C_CLOSING || c->state == C_DOWN) return;
  if (c->state == C_IDLE) { /* take it off the idle stack */
    struct bench *b = c->b;
    uint64_t me = (uint64_t)(c - b->conns);
    for (unsigned i = 0; i < b->n_idle; i++)
      if (b->idle[i] == me) {
        b->idle[i] = b->idle[--b->n_idle];
        break;
      }
  }
  c->state = C_CLOSING;
  c->reconnect = reconnect;
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* The request in flight failed: count it (if it had started) and reconnect. */
static void load_fail(struct load_conn *c, enum fail_kind k) {
  if (c->state == C_BUSY || c->state == C_CONNECTING) record_fail(c->b, k);
  load_close(c, c->state == C_BUSY);
}

static enum fail_kind kind_of(int err) {
  switch (err) {
  case UV_ECONNREFUSED: return F_REFUSED;
  case UV_ECONNRESET:
  case UV_EPIPE: return F_RESET;
  case UV_ETIMEDOUT: return F_TIMEOUT;
  default: return F_ERROR;
  }
}

static int on_message_complete(http_parser *p) {
  struct load_conn *c = p->data;
  /* An interim 1xx (not 101) is not the response: wait for the final one. */
  if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) return 0;
  c->complete = true;
  return 0;
}

/* A response to HEAD has no body even when it announces a Content-Length (RFC 9110 9.3.2):
 * 1 tells http_parser to skip it. */
static int on_headers_complete(http_parser *p) {
  struct load_conn *c = p->data;
  return c->b->head ? 1 : 0;
}

static void record_response(struct load_conn *c) {
  struct bench *b = c->b;
  if (!b->running) return;
  uint64_t t = now_ns();
  hist_record(&b->hist, t > c->origin ? t - c->origin : 0);
  b->status[c->parser.status_code < 1000 ? c->parser.status_code : 0]++;
  b->responses++;
}

/* A complete response: count it, then the next request (or a fresh connection when the
 * server asked to close; that is not a failure). */
static void response_done(struct load_conn *c) {
  record_response(c);
  /* Still writing the request (a large --body the server answered early, e.g. 413): the
   * rest of the body would be read as the next request, so this connection is done. */
  if (!http_should_keep_alive(&c->parser) || c->parser.status_code == 101 || c->writing) {
    load_close(c, true);
    return;
  }
  load_ready(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct load_conn *c = h->data;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct load_conn *c = s->data;
  if (n == 0) return;
  if (c->state != C_BUSY) { /* bytes or EOF with nothing in flight (open loop idle) */
    load_close(c, true);
    return;
  }
  if (n < 0) {
    if (n == UV_EOF) {
      /* A close-delimited body ends here; otherwise the response is cut short. */
      if (c->got_bytes) http_parser_execute(&c->parser, &c->b->settings, NULL, 0);
      if (c->complete) {
        record_response(c);
        load_close(c, true);
      } else {
        load_fail(c, c->got_bytes ? F_TRUNCATED : F_CLOSED);
      }
    } else {
      load_fail(c, kind_of((int)n));
    }
    return;
  }
  c->got_bytes = true;
  size_t used = http_parser_execute(&c->parser, &c->b->settings, buf->base, (size_t)n);
  if (c->parser.http_errno != HPE_OK || (used != (size_t)n && !c->parser.upgrade)) {
    if (c->complete) { /* bytes after a complete response: count it, drop the connection */
      record_response(c);
      load_close(c, true);
    } else {
      load_fail(c, F_INVALID);
    }
    return;
  }
  if (c->complete) response_done(c);
}

static void on_write(uv_write_t *req, int status) {
  struct load_conn *c = req->data;
  c->writing = false;
  if (status < 0 && status != UV_ECANCELED && c->state == C_BUSY) load_fail(c, kind_of(status));
}

static void load_send(struct load_conn *c, uint64_t origin) {
  c->state = C_BUSY;
  c->origin = origin;
  c->started = now_ns();
  c->got_bytes = false;
  c->complete = false;
  http_parser_init(&c->parser, HTTP_RESPONSE);
  c->parser.data = c;
  uv_buf_t buf = uv_buf_init(c->b->request, (unsigned)c->b->request_len);
  int r = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
  if (r == (int)c->b->request_len) return;
  if (r < 0 && r != UV_EAGAIN) {
    load_fail(c, kind_of(r));
    return;
  }
  if (r > 0) {
    buf.base += r;
    buf.len -= (size_t)r;
  }
  c->writing = true;
  r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
  if (r < 0) {
    c->writing = false;
    load_fail(c, kind_of(r));
  }
}

static void on_connect(uv_connect_t *req, int status) {
  struct load_conn *c = req->data;
  if (status == UV_ECANCELED || c->state != C_CONNECTING) return;
  if (status < 0) {
    /* A connect that fails is a request that could not be sent. Closed loop counts it;
     * open loop only when a due request was waiting for it. Retry on the next tick, so a
     * refusing port is not hammered in a tight loop. */
    struct bench *b = c->b;
    if (!open_loop(b)) record_fail(b, kind_of(status));
    else if (b->running && b->sched_sent < sched_due(b, now_ns())) {
      b->sched_sent++;
      record_fail(b, kind_of(status));
    }
    load_close(c, false);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (r < 0) {
    load_fail(c, kind_of(r));
    return;
  }
  load_ready(c);
}

static void load_connect(struct load_conn *c) {
  if (uv_tcp_init(&c->b->loop, &c->tcp) != 0) return; /* stays C_DOWN: next tick retries */
  c->tcp.data = c;
  c->creq.data = c;
  c->wreq.data = c;
  c->state = C_CONNECTING;
  c->started = now_ns();
  int r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&c->b->addr, on_connect);
  if (r < 0) {
    record_fail(c->b, kind_of(r));
    load_close(c, false);
  }
}

/* ---------------------------------------------------------------- timers and signals */

static void stop_all(struct bench *b) {
  if (!b->running) return;
  b->running = false;
  b->t_end = now_ns();
  for (unsigned i = 0; i < b->o.connections; i++) load_close(&b->conns[i], false);
  uv_close((uv_handle_t *)&b->tick, NULL);
  uv_close((uv_handle_t *)&b->stop_timer, NULL);
  uv_close((uv_handle_t *)&b->progress, NULL);
  uv_close((uv_handle_t *)&b->sigint, NULL);
  uv_close((uv_handle_t *)&b->sigterm, NULL);
}

static void on_tick(uv_timer_t *t) {
  struct bench *b = t->data;
  uint64_t now = now_ns();
  /* Open loop: hand due requests to idle connections. */
  if (open_loop(b)) {
    uint64_t due = sched_due(b, now);
    while (b->n_idle > 0 && b->sched_sent < due) {
      struct load_conn *c = &b->conns[b->idle[--b->n_idle]];
      load_send(c, sched_time(b, b->sched_sent++));
    }
  }
  /* Timeouts and reconnects: every 50 ms is precise enough and cheap for 10k connections. */
  if (b->tick_n++ % 50 != 0) return;
  now = now_ns(); /* after the sends above: `started` must not be later than `now` */
  for (unsigned i = 0; i < b->o.connections && b->running; i++) {
    struct load_conn *c = &b->conns[i];
    if (c->state == C_DOWN) load_connect(c);
    else if ((c->state == C_BUSY || c->state == C_CONNECTING) && now > c->started &&
             now - c->started > b->timeout_ns)
      load_fail(c, F_TIMEOUT);
  }
}

static void on_stop_timer(uv_timer_t *t) { stop_all(t->data); }

static void on_signal(uv_signal_t *s, int signum) {
  struct bench *b = s->data;
  b->interrupted = true;
  stop_all(b);
}

static void on_progress(uv_timer_t *t) {
  struct bench *b = t->data;
  double el = (double)(now_ns() - b->t_start) / 1e9;
  fprintf(stderr, "\rbadup bench: %.0f/%.0f s, %llu responses (%llu/s), %llu failures   ", el,
          b->o.duration, (unsigned long long)b->responses,
          (unsigned long long)(b->responses - b->last_progress_responses),
          (unsigned long long)bench_failures(b->fails));
  b->last_progress_responses = b->responses;
}

/* ---------------------------------------------------------------- the report */

/* Open loop: requests due on the timeline by the end that no connection was free to send
 * (all busy with a slow server). Counted, not hidden: they are what the server held back. */
static uint64_t not_sent(const struct bench *b) {
  if (!open_loop(b)) return 0;
  /* Only requests due strictly before the end could have been sent: the one due at the
   * very end instant (k = duration * rate) belongs to the next run, not to this one. */
  uint64_t due = (uint64_t)ceil((double)(b->t_end - b->t_start) / 1e9 * b->o.rate);
  return due > b->sched_sent ? due - b->sched_sent : 0;
}

static double elapsed_s(const struct bench *b) { return (double)(b->t_end - b->t_start) / 1e9; }

/* What the load measured, for bench_report.c. */
static struct bench_report report_of(const struct bench *b) {
  return (struct bench_report){.url = b->o.url,
                               .method = b->o.request.method ? b->o.request.method : "GET",
                               .body_bytes = b->body_bytes,
                               .out = b->o.out,
                               .open_loop = open_loop(b),
                               .interrupted = b->interrupted,
                               .rate = b->o.rate,
                               .duration = b->o.duration,
                               .timeout = b->o.timeout,
                               .connections = b->o.connections,
                               .elapsed_s = elapsed_s(b),
                               .not_sent = not_sent(b),
                               .status = b->status,
                               .fails = b->fails,
                               .responses = b->responses,
                               .hist = &b->hist,
                               .upstream = b->o.upstream_stats[0] != 0,
                               .upstream_attempts = b->upstream_attempts,
                               .upstream_connections = b->upstream_connections};
}

/* ---------------------------------------------------------------- main */

int bench_main(int argc, char **argv) {
  struct bench *b = calloc(1, sizeof *b);
  if (!b) {
    fputs("badup bench: out of memory\n", stderr);
    return 1;
  }
  bool help = false;
  int rc = parse_options(b, argc, argv, &help);
  if (rc || help) {
    if (help) bench_usage(stdout);
    free(b->request);
    free(b);
    return rc;
  }
  /* --out is checked before the load: a folder that cannot take the results is a usage
   * error, not a surprise after minutes of load. */
  struct stat ost;
  if (b->o.out && ((mkdir(b->o.out, 0777) != 0 && errno != EEXIST) || stat(b->o.out, &ost) != 0 ||
                   !S_ISDIR(ost.st_mode) || access(b->o.out, W_OK | X_OK) != 0)) {
    fprintf(stderr, "badup bench: --out %s: %s\n", b->o.out,
            stat(b->o.out, &ost) == 0 && !S_ISDIR(ost.st_mode) ? "not a folder" : strerror(errno));
    free(b->request);
    free(b);
    return 2;
  }
  b->upstream_attempts = -1;
  if (b->o.upstream_stats[0]) {
    char err[512];
    if (simstats_read(b->o.upstream_stats, getenv("BADUP_ADMIN_TOKEN"), UPSTREAM_STATS_TIMEOUT_MS,
                      &b->upstream_before, err, sizeof err) != 0) {
      fprintf(stderr, "badup bench: --upstream-admin: %s\n", err);
      free(b->request);
      free(b);
      return 2;
    }
  }
  hist_init(&b->hist);
  b->conns = calloc(b->o.connections, sizeof *b->conns);
  b->idle = calloc(b->o.connections, sizeof *b->idle);
  if (!b->conns || !b->idle || uv_loop_init(&b->loop) != 0) {
    fputs("badup bench: out of memory\n", stderr);
    free(b->conns);
    free(b->idle);
    free(b->request);
    free(b);
    return 1;
  }
  b->settings.on_message_complete = on_message_complete;
  b->settings.on_headers_complete = on_headers_complete;
  b->timeout_ns = (uint64_t)(b->o.timeout * 1e9);
  b->progress_on = isatty(STDERR_FILENO);

  uv_timer_init(&b->loop, &b->tick);
  uv_timer_init(&b->loop, &b->stop_timer);
  uv_timer_init(&b->loop, &b->progress);
  uv_signal_init(&b->loop, &b->sigint);
  uv_signal_init(&b->loop, &b->sigterm);
  b->tick.data = b->stop_timer.data = b->progress.data = b;
  b->sigint.data = b->sigterm.data = b;
  uv_signal_start(&b->sigint, on_signal, SIGINT);
  uv_signal_start(&b->sigterm, on_signal, SIGTERM);
  signal(SIGPIPE, SIG_IGN);

  b->running = true;
  uv_update_time(&b->loop);
  b->t_start = now_ns();
  uv_timer_start(&b->tick, on_tick, TICK_MS, TICK_MS);
  uv_timer_start(&b->stop_timer, on_stop_timer, (uint64_t)(b->o.duration * 1000.0 + 0.5), 0);
  if (b->progress_on) uv_timer_start(&b->progress, on_progress, 1000, 1000);
  for (unsigned i = 0; i < b->o.connections; i++) {
    b->conns[i].b = b;
    b->conns[i].state = C_DOWN;
    load_connect(&b->conns[i]);
  }
  uv_run(&b->loop, UV_RUN_DEFAULT);
  if (b->progress_on) fputs("\n", stderr);
  if (uv_loop_close(&b->loop) != 0) fputs("badup bench: warning: handles left open\n", stderr);
  if (b->o.upstream_stats[0]) {
    char err[512];
    struct simstats after;
    if (simstats_read(b->o.upstream_stats, getenv("BADUP_ADMIN_TOKEN"), UPSTREAM_STATS_TIMEOUT_MS, &after, err,
                      sizeof err) != 0) {
      fprintf(stderr, "badup bench: warning: --upstream-admin after the load: %s\n", err);
    } else if (after.requests < b->upstream_before.requests || after.connections < b->upstream_before.connections) {
      fprintf(stderr, "badup bench: warning: --upstream-admin: the counters went back (a POST /stats/reset "
                      "during the load?); upstream attempts unknown\n");
    } else {
      b->upstream_attempts = after.requests - b->upstream_before.requests;
      b->upstream_connections = after.connections - b->upstream_before.connections;
    }
  }

  struct bench_report report = report_of(b);
  bench_print_summary(&report);
  rc = b->o.out ? bench_write_results(&report) : 0;
  if (b->responses == 0 && !rc) {
    /* Nothing answered: a figure of 0 requests/s is not a measurement. Say what happened. */
    uint64_t fails = bench_failures(b->fails);
    fprintf(stderr, "badup bench: no response from %s in %.1f s", b->o.url, elapsed_s(b));
    if (fails && b->fails[F_REFUSED] == fails)
      fprintf(stderr, ": every connection was refused (is anything listening there?)\n");
    else if (fails) fprintf(stderr, ": every request failed (see the status line)\n");
    else fprintf(stderr, ": no request completed\n");
    rc = 1;
  }
  free(b->conns);
  free(b->idle);
  free(b->request);
  free(b);
  return rc;
}
