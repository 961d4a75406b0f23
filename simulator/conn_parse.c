/* conn_parse.c: what a connection learns from the bytes of HTTP/1 requests.
 *
 * http-parser's callbacks record the request (its target for routing and events, the
 * fields a plan function may read, Expect: 100-continue) and pause the parser where a plan
 * should start: after the header section for rxhdrs(), after the message otherwise. They
 * never run a plan themselves; conn.c's pump does, outside the parser. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conn.h"

static const char RESP_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

static struct scenario *route(struct conn *c) {
  struct server *srv = c->srv;
  int idx = atomic_load(&srv->default_idx);
  if (srv->routed && c->url_len) {
    const char *u = c->url;
    size_t n = c->url_len;
    if (u[0] != '/') { /* absolute-form: http://host/name/... */
      const char *p = memchr(u, ':', n);
      if (p && (size_t)(u + n - p) > 3 && p[1] == '/' && p[2] == '/') {
        p += 3;
        const char *slash = memchr(p, '/', (size_t)(u + n - p));
        n = slash ? (size_t)(u + n - slash) : 0;
        u = slash;
      } else {
        n = 0;
      }
    }
    if (n > 1) {
      size_t i = 1;
      while (i < n && u[i] != '/' && u[i] != '?') i++;
      int f = server_find(srv, u + 1, i - 1);
      if (f >= 0) idx = f;
    }
  }
  return &srv->scenarios[idx];
}

static int on_message_begin(http_parser *p) {
  struct conn *c = p->data;
  c->in_message = true;
  c->msg_dispatched = false;
  c->expect_continue = false;
  c->url_len = 0;
  c->hname_len = 0;
  c->hdr_match = 0;
  c->conn_seq++;
  uv_timer_stop(&c->timer); /* a keep-alive idle timer no longer applies */
  if (c->req) request_reset(c->req);
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  size_t room = sizeof c->url - c->url_len;
  size_t n = len < room ? len : room;
  memcpy(c->url + c->url_len, at, n);
  c->url_len = (uint8_t)(c->url_len + n);
  if (c->req) buf_append(&c->req->target, at, len);
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  if (c->hdr_match == 2) c->hname_len = 0; /* a new field after a value */
  c->hdr_match = 1;
  for (size_t i = 0; i < len; i++) {
    if (c->hname_len < sizeof c->hname) c->hname[c->hname_len] = at[i];
    if (c->hname_len < 255) c->hname_len++;
  }
  if (c->req) request_add_field(c->req, at, len);
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  c->hdr_match = 2;
  if (c->hname_len == 6 && strncasecmp(c->hname, "expect", 6) == 0) {
    for (size_t i = 0; i + 12 <= len; i++)
      if (strncasecmp(at + i, "100-continue", 12) == 0) c->expect_continue = true;
  }
  if (c->req) request_add_value(c->req, at, len);
  return 0;
}

static bool has_body(const http_parser *p) {
  return (p->flags & F_CHUNKED) || (p->content_length > 0 && p->content_length != UINT64_MAX);
}

struct scenario *conn_request_head(struct conn *c, struct request *req, const char *method, unsigned short major,
                                   unsigned short minor, uint64_t *received_id) {
  struct server *srv = c->srv;
  struct scenario *s = route(c);
  conn_count(c, s);
  uint64_t seq = atomic_fetch_add_explicit(&s->stats.requests, 1, memory_order_relaxed) + 1;
  atomic_fetch_add_explicit(&srv->total_requests, 1, memory_order_relaxed);
  c->rec.requests++;
  if (c->rec.nevents < EVENTS_PER_CONN) {
    char detail[sizeof c->url + 32];
    int dl = snprintf(detail, sizeof detail, "%.24s %.*s", method, (int)c->url_len, c->url);
    conn_event(c, EV_REQUEST, detail, dl > 0 ? (size_t)dl : 0);
  } else {
    c->rec.dropped++;
  }
  atomic_fetch_add_explicit(&srv->ups[c->up].requests, 1, memory_order_relaxed);
  if (req) {
    snprintf(req->method, sizeof req->method, "%s", method);
    req->http_major = major;
    req->http_minor = minor;
    req->conn_id = c->rec.id;
    req->conn_seq = c->conn_seq;
    req->seq = seq;
    req->peer = c->rec.peer;
    req->scenario = s->name;
    *received_id = received_head(&srv->received, req, c->up + 1, s->name);
  }
  return s;
}

static int on_headers_complete(http_parser *p) {
  struct conn *c = p->data;
  c->keep_alive = http_should_keep_alive(p) != 0;
  struct scenario *s = conn_request_head(c, c->req, http_method_str(p->method), p->http_major, p->http_minor,
                                         &c->received_id);
  c->scn = s;
  struct upstream_plan up = scenario_upstream(s, c->up);
  if (up.plan && up.plan->start == STEP_RXHDRS) {
    c->dispatch_ready = true;
    http_parser_pause(p, 1);
    return 0;
  }
  if (c->expect_continue && s->continue100 && has_body(p)) {
    conn_event(c, EV_CONTINUE, NULL, 0);
    int rc = c->closing ? 0 : transport_write(c->tp, RESP_100, sizeof RESP_100 - 1, NULL);
    if (rc < 0) conn_release(c, conn_end_of_write(rc)); /* the parser stops at the message's end */
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  if (c->req) request_add_body(c->req, at, len);
  return 0;
}

static int on_message_complete(http_parser *p) {
  struct conn *c = p->data;
  c->in_message = false;
  if (c->received_id && c->req) received_body(&c->srv->received, c->received_id, c->req, true);
  c->received_id = 0;
  if (!c->msg_dispatched) {
    c->dispatch_ready = true;
    http_parser_pause(p, 1);
  }
  return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

size_t conn_parse(struct conn *c, const char *data, size_t len) {
  if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) http_parser_pause(&c->parser, 0);
  size_t n = http_parser_execute(&c->parser, &parser_settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
  if (e != HPE_OK && e != HPE_PAUSED) c->parse_error = e;
  else if (e == HPE_OK && n < len && c->parser.upgrade) n = len; /* not HTTP any more: dropped */
  return n;
}

/* A listener fault waits for the peer's whole request, not its first bytes: a proxy that
 * writes its request in pieces (tinyproxy sends the request line, then each header) would
 * otherwise meet the fault while still writing one run and while reading the next, and
 * answer two ways (tinyproxy: 503 when a header write fails, a silent close when the read
 * does). The bytes are framed (RFC 9112) and dropped: nothing of them is recorded. */
static int request_in(http_parser *p) {
  http_parser_pause(p, 1);
  return 0;
}
static const http_parser_settings request_end_settings = {.on_message_complete = request_in};

bool conn_parse_request_in(struct conn *c, const char *data, size_t len) {
  http_parser_execute(&c->parser, &request_end_settings, data, len);
  return HTTP_PARSER_ERRNO(&c->parser) != HPE_OK;
}

void conn_parse_init(struct conn *c) {
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
}
