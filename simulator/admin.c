/* admin.c: the control API: scenarios, default switch, counters, events, metrics. */
#include "admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "addr.h"

#define MAX_BODY 4096

struct upload {
  size_t len;
  bool too_big;
  char data[MAX_BODY];
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type,
                                 char *text /* freed here */) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  /* RFC 9110 15.5.2: a 401 MUST say which scheme to use; clients (curl) rely on it. */
  if (status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"badup\"");
  enum MHD_Result ret = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *j /* stolen */) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
  json_decref(j);
  if (!text) return MHD_NO;
  size_t n = strlen(text);
  char *nl = realloc(text, n + 2);
  if (nl) {
    text = nl;
    text[n] = '\n';
    text[n + 1] = 0;
  }
  return send_text(conn, status, "application/json", text);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg) {
  return send_json(conn, status, json_pack("{s:s}", "error", msg));
}

/* ---- handlers ---------------------------------------------------------------------- */

static json_t *scenario_json(const struct scenario *s, bool is_default) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:b}", "name", s->name, "summary", s->summary ? s->summary : "",
                        "expect", s->expect ? s->expect : "", "kind", scenario_kind_names[s->kind], "rfc", s->rfc,
                        "default", is_default);
  json_object_set_new(o, "file", json_string(s->file ? s->file : ""));
  json_object_set_new(o, "upstreams", json_integer(s->nupstreams ? s->nupstreams : 1));
  return o;
}

static enum MHD_Result get_scenarios(struct MHD_Connection *conn, struct server *srv) {
  json_t *a = json_array();
  int d = atomic_load(&srv->default_idx);
  for (size_t i = 0; i < srv->nscenarios; i++) json_array_append_new(a, scenario_json(&srv->scenarios[i], (int)i == d));
  return send_json(conn, 200, a);
}

static enum MHD_Result get_default(struct MHD_Connection *conn, struct server *srv) {
  const struct scenario *s = &srv->scenarios[atomic_load(&srv->default_idx)];
  return send_json(conn, 200, json_pack("{s:s, s:s}", "name", s->name, "kind", scenario_kind_names[s->kind]));
}

static enum MHD_Result put_default(struct MHD_Connection *conn, struct server *srv, const struct upload *up) {
  json_error_t jerr;
  json_t *j = up ? json_loadb(up->data, up->len, 0, &jerr) : NULL;
  const char *name = j ? json_string_value(json_object_get(j, "name")) : NULL;
  if (!name) {
    json_decref(j);
    return send_error(conn, 400, "body must be JSON: {\"name\": \"<scenario>\"}");
  }
  int idx = server_find(srv, name, strlen(name));
  if (idx < 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "no scenario named '%.100s'", name);
    json_decref(j);
    return send_error(conn, 404, msg);
  }
  json_decref(j);
  int rc = server_select_default(srv, idx);
  if (rc < 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot switch to '%s': %s", srv->scenarios[idx].name, strerror(-rc));
    return send_error(conn, 500, msg);
  }
  return get_default(conn, srv);
}

static json_t *counters_json(const struct scenario_stats *st) {
  json_t *steps = json_object();
  for (int i = 0; i < STEP__COUNT; i++)
    json_object_set_new(steps, step_names[i], json_integer((json_int_t)atomic_load(&st->steps[i])));
  return json_pack("{s:I, s:I, s:I, s:o}", "connections", (json_int_t)atomic_load(&st->connections), "requests",
                   (json_int_t)atomic_load(&st->requests), "errors", (json_int_t)atomic_load(&st->errors), "steps",
                   steps);
}

static enum MHD_Result get_stats(struct MHD_Connection *conn, struct server *srv) {
  json_t *per = json_object();
  json_int_t errors = 0;
  for (size_t i = 0; i < srv->nscenarios; i++) {
    json_object_set_new(per, srv->scenarios[i].name, counters_json(&srv->scenarios[i].stats));
    errors += (json_int_t)atomic_load(&srv->scenarios[i].stats.errors);
  }
  /* Per upstream (listening port), in order: which of several a proxy sent to. */
  json_t *ups = json_array();
  for (int i = 0; i < srv->nups; i++)
    json_array_append_new(ups, json_pack("{s:i, s:s, s:I, s:I}", "upstream", i + 1, "listen", srv->ups[i].addr_str,
                                         "connections", (json_int_t)atomic_load(&srv->ups[i].connections), "requests",
                                         (json_int_t)atomic_load(&srv->ups[i].requests)));
  json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o}", "connections", (json_int_t)atomic_load(&srv->total_conns),
                        "requests", (json_int_t)atomic_load(&srv->total_requests), "errors", errors, "open_connections",
                        (json_int_t)atomic_load(&srv->open_conns), "bad_requests",
                        (json_int_t)atomic_load(&srv->bad_requests), "default",
                        srv->scenarios[atomic_load(&srv->default_idx)].name, "scenarios", per, "upstreams", ups);
  return send_json(conn, 200, o);
}

static enum MHD_Result reset_stats(struct MHD_Connection *conn, struct server *srv) {
  for (size_t i = 0; i < srv->nscenarios; i++) {
    struct scenario_stats *st = &srv->scenarios[i].stats;
    atomic_store(&st->connections, 0);
    atomic_store(&st->requests, 0);
    atomic_store(&st->errors, 0);
    for (int k = 0; k < STEP__COUNT; k++) atomic_store(&st->steps[k], 0);
  }
  atomic_store(&srv->total_conns, 0);
  atomic_store(&srv->total_requests, 0);
  atomic_store(&srv->bad_requests, 0);
  for (int i = 0; i < srv->nups; i++) {
    atomic_store(&srv->ups[i].connections, 0);
    atomic_store(&srv->ups[i].requests, 0);
  }
  event_log_clear(&srv->log);
  received_clear(&srv->received);
  return send_json(conn, 200, json_pack("{s:b}", "ok", 1));
}

struct events_ctx {
  json_t *arr;
  const char *scenario;
};

static void add_record(const struct conn_record *r, void *arg) {
  struct events_ctx *ctx = arg;
  if (ctx->scenario && (!r->scenario || strcmp(ctx->scenario, r->scenario) != 0)) return;
  json_t *evs = json_array();
  for (size_t i = 0; i < r->nevents; i++) {
    const struct conn_event *e = &r->events[i];
    json_t *ev = json_pack("{s:f, s:s}", "t_ms", e->t_us / 1000.0, "what", event_kind_names[e->kind]);
    if (e->detail_len) json_object_set_new(ev, "detail", json_stringn_nocheck(e->detail, e->detail_len));
    json_array_append_new(evs, ev);
  }
  json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:i, s:I, s:s, s:I, s:o}", "id", (json_int_t)r->id, "start_unix_ms",
                        (json_int_t)r->start_ms, "peer", r->peer, "scenario", r->scenario ? r->scenario : "",
                        "upstream", (int)(r->upstream ? r->upstream : 1), "requests", (json_int_t)r->requests, "end",
                        conn_end_names[r->end], "dropped_events", (json_int_t)r->dropped, "events", evs);
  json_array_append_new(ctx->arr, o);
}

struct events_call {
  size_t limit;
  struct events_ctx *ctx;
};

/* On the loop's thread, where connections move from open to finished: taking both lists
 * there means none is missed (seen open after it finished, or finished before it opened). */
static void events_on_loop(struct server *srv, void *arg) {
  struct events_call *ec = arg;
  struct events_ctx *ctx = ec->ctx;
  event_log_each(&srv->log, ctx->scenario ? EVENT_LOG_CAP : ec->limit, add_record, ctx);
  struct conn_record *records = NULL;
  const char **states = NULL;
  size_t n = server_open_records(srv, ec->limit, &records, &states);
  /* The list is newest first; events are oldest first. */
  for (size_t i = n; i-- > 0;) {
    size_t before = json_array_size(ctx->arr);
    add_record(&records[i], ctx);
    if (json_array_size(ctx->arr) > before)
      json_object_set_new(json_array_get(ctx->arr, before), "state", json_string(states[i]));
    conn_record_free(&records[i]);
  }
  free(records);
  free(states);
}

/* Finished connections first (oldest first), then the ones still open (with "end":
 * "open" and what each is doing in "state"): a connection a proxy keeps in its pool is
 * evidence too. With limit, the newest `limit` of them all. */
static enum MHD_Result get_events(struct MHD_Connection *conn, struct server *srv) {
  const char *lim = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
  long limit = lim ? strtol(lim, NULL, 10) : 100;
  if (limit <= 0 || limit > EVENT_LOG_CAP) limit = EVENT_LOG_CAP;
  struct events_ctx ctx = {json_array(), MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "scenario")};
  struct events_call ec = {(size_t)limit, &ctx};
  if (server_call(srv, events_on_loop, &ec) < 0) {
    json_decref(ctx.arr);
    return send_error(conn, 503, "the server is stopping");
  }
  while (json_array_size(ctx.arr) > (size_t)limit) json_array_remove(ctx.arr, 0);
  return send_json(conn, 200, ctx.arr);
}

/* GET /requests?limit=N&upstream=K: what the upstreams received, oldest first (received.h);
 * DELETE /requests forgets it. */
static enum MHD_Result requests(struct MHD_Connection *conn, struct server *srv, bool get) {
  if (!get) {
    received_clear(&srv->received);
    return send_json(conn, 200, json_pack("{s:[]}", "requests"));
  }
  const char *lim = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
  const char *up = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "upstream");
  long limit = lim ? strtol(lim, NULL, 10) : RECEIVED_CAP;
  if (limit <= 0 || limit > RECEIVED_CAP) limit = RECEIVED_CAP;
  json_t *a = received_json(&srv->received, (size_t)limit, up ? atoi(up) : 0);
  if (!a) return send_error(conn, 500, "out of memory");
  return send_json(conn, 200, json_pack("{s:o}", "requests", a));
}

/* ---- barriers: POST /barriers/NAME reaches one, GET lists them, DELETE forgets them ---- */

struct barrier_call {
  const char *name;
  int rc;
  json_t *list;
  bool reset;
};

static void barrier_list(struct server *srv, struct barrier_call *bc) {
  bc->list = json_array();
  for (size_t i = 0; i < srv->nbarriers; i++) {
    const struct barrier *b = &srv->barriers[i];
    json_array_append_new(bc->list, json_pack("{s:s, s:b, s:I}", "name", b->name, "reached", b->reached, "reaches",
                                              (json_int_t)b->reaches));
  }
}

static void barrier_on_loop(struct server *srv, void *arg) {
  struct barrier_call *bc = arg;
  if (bc->reset) server_barriers_reset(srv);
  else if (bc->name) bc->rc = server_barrier_reach(srv, bc->name);
  barrier_list(srv, bc);
}

static enum MHD_Result barriers(struct MHD_Connection *conn, struct server *srv, const char *method, const char *name) {
  struct barrier_call bc = {0};
  if (!strcmp(method, "DELETE") && !name) bc.reset = true;
  else if (!strcmp(method, "POST") && name) bc.name = name;
  else if (!((!strcmp(method, "GET") || !strcmp(method, "HEAD")) && !name))
    return send_error(conn, 405, "POST /barriers/NAME reaches a barrier; GET /barriers lists them; DELETE /barriers forgets them");
  if (name && !barrier_name_valid(name, strlen(name)))
    return send_error(conn, 400, "a barrier name is 1 to 31 characters of A-Z a-z 0-9 _ . -");
  int rc = server_call(srv, barrier_on_loop, &bc);
  if (rc < 0) {
    json_decref(bc.list);
    return send_error(conn, 503, "the server is stopping");
  }
  if (bc.rc == -ENOSPC) {
    json_decref(bc.list);
    return send_error(conn, 507, "too many barrier names; DELETE /barriers forgets them");
  }
  return send_json(conn, 200, json_pack("{s:o}", "barriers", bc.list));
}

static enum MHD_Result get_metrics(struct MHD_Connection *conn, struct server *srv) {
  struct buf b = {0};
  buf_puts(&b, "# HELP badup_connections_total Connections accepted, by scenario.\n# TYPE badup_connections_total counter\n");
  for (size_t i = 0; i < srv->nscenarios; i++)
    buf_printf(&b, "badup_connections_total{scenario=\"%s\"} %llu\n", srv->scenarios[i].name,
               (unsigned long long)atomic_load(&srv->scenarios[i].stats.connections));
  buf_puts(&b, "# HELP badup_requests_total Requests read, by scenario.\n# TYPE badup_requests_total counter\n");
  for (size_t i = 0; i < srv->nscenarios; i++)
    buf_printf(&b, "badup_requests_total{scenario=\"%s\"} %llu\n", srv->scenarios[i].name,
               (unsigned long long)atomic_load(&srv->scenarios[i].stats.requests));
  buf_puts(&b, "# HELP badup_errors_total Plan functions that failed, by scenario.\n# TYPE badup_errors_total counter\n");
  for (size_t i = 0; i < srv->nscenarios; i++)
    buf_printf(&b, "badup_errors_total{scenario=\"%s\"} %llu\n", srv->scenarios[i].name,
               (unsigned long long)atomic_load(&srv->scenarios[i].stats.errors));
  buf_puts(&b, "# HELP badup_steps_total Steps executed, by scenario and step.\n# TYPE badup_steps_total counter\n");
  for (size_t i = 0; i < srv->nscenarios; i++)
    for (int k = 0; k < STEP__COUNT; k++) {
      unsigned long long v = atomic_load(&srv->scenarios[i].stats.steps[k]);
      if (v) buf_printf(&b, "badup_steps_total{scenario=\"%s\",step=\"%s\"} %llu\n", srv->scenarios[i].name, step_names[k], v);
    }
  buf_printf(&b, "# HELP badup_open_connections Connections open now.\n# TYPE badup_open_connections gauge\nbadup_open_connections %lld\n",
             (long long)atomic_load(&srv->open_conns));
  buf_printf(&b, "# HELP badup_bad_requests_total Requests that did not parse.\n# TYPE badup_bad_requests_total counter\nbadup_bad_requests_total %llu\n",
             (unsigned long long)atomic_load(&srv->bad_requests));
  buf_append(&b, "", 1);
  if (b.oom) {
    buf_free(&b);
    return MHD_NO;
  }
  return send_text(conn, 200, "text/plain; version=0.0.4", b.data);
}

static bool authorized(struct MHD_Connection *conn, const char *token) {
  if (!token) return true;
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  /* RFC 9110 11.1: the scheme name is case-insensitive ("bearer" is "Bearer"). */
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) return false;
  /* Constant-time comparison: the token guards a non-loopback bind. */
  size_t n = strlen(token), m = strlen(h + 7);
  unsigned char diff = (unsigned char)(n != m);
  for (size_t i = 0; i < n && i < m; i++) diff |= (unsigned char)(token[i] ^ h[7 + i]);
  return diff == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)version;
  struct admin *a = cls;
  struct server *srv = a->srv;
  bool has_body = strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
  if (has_body) {
    struct upload *up = *con_cls;
    if (!up) {
      up = calloc(1, sizeof *up);
      if (!up) return MHD_NO;
      *con_cls = up;
      return MHD_YES;
    }
    if (*upload_size) {
      if (up->len + *upload_size > MAX_BODY) up->too_big = true;
      else memcpy(up->data + up->len, upload_data, *upload_size), up->len += *upload_size;
      *upload_size = 0;
      return MHD_YES;
    }
  }
  if (!authorized(conn, a->token)) return send_error(conn, 401, "missing or wrong token (Authorization: Bearer ...)");
  struct upload *up = *con_cls;
  if (up && up->too_big) return send_error(conn, 413, "body too large");
  bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  if (get && strcmp(url, "/health") == 0) return send_json(conn, 200, json_pack("{s:b}", "ok", 1));
  if (get && strcmp(url, "/scenarios") == 0) return get_scenarios(conn, srv);
  if (get && strcmp(url, "/default") == 0) return get_default(conn, srv);
  if (strcmp(method, "PUT") == 0 && strcmp(url, "/default") == 0) return put_default(conn, srv, up);
  if (get && strcmp(url, "/stats") == 0) return get_stats(conn, srv);
  if (strcmp(method, "POST") == 0 && strcmp(url, "/stats/reset") == 0) return reset_stats(conn, srv);
  if (get && strcmp(url, "/events") == 0) return get_events(conn, srv);
  if (get && strcmp(url, "/metrics") == 0) return get_metrics(conn, srv);
  if ((get || !strcmp(method, "DELETE")) && strcmp(url, "/requests") == 0) return requests(conn, srv, get);
  if (strcmp(url, "/barriers") == 0) return barriers(conn, srv, method, NULL);
  if (strncmp(url, "/barriers/", 10) == 0) return barriers(conn, srv, method, url + 10);
  static const char *const known[] = {"/health", "/scenarios", "/default", "/stats", "/stats/reset", "/events", "/requests", "/metrics", NULL};
  for (int i = 0; known[i]; i++)
    if (strcmp(url, known[i]) == 0) return send_error(conn, 405, "method not allowed");
  return send_error(conn, 404, "unknown path; see GET /health, /scenarios, /default, /stats, /events, /requests, /barriers, /metrics");
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)conn, (void)toe;
  free(*con_cls);
  *con_cls = NULL;
}

int admin_start(struct admin *a, struct server *srv, const struct sockaddr *addr, const char *token, const char **why) {
  memset(a, 0, sizeof *a);
  a->srv = srv;
  a->token = token;
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *why = "socket";
    return -errno;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  if (bind(fd, addr, len) < 0 || listen(fd, 64) < 0) {
    int e = -errno;
    close(fd);
    *why = "bind";
    return e;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &sl);
  addr_format(&ss, a->addr_str, sizeof a->addr_str);
  /* epoll (AUTO picks it on Linux), not select: the control API must answer while the
   * data plane holds thousands of descriptors, past select's FD_SETSIZE. */
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  a->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, a, MHD_OPTION_LISTEN_SOCKET, fd,
                               MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                               (unsigned)30, MHD_OPTION_END);
  if (!a->daemon) {
    close(fd);
    *why = "libmicrohttpd did not start";
    return -EIO;
  }
  return 0;
}

void admin_stop(struct admin *a) {
  if (a->daemon) MHD_stop_daemon(a->daemon);
  a->daemon = NULL;
}
