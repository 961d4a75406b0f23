/* client_cmd.c: `badup client FILE --to HOST:PORT`: a scenario's client part against any
 * address, and what came back, response by response. The client half of a scenario on its
 * own, the way VTest's client runs against a server of one's choice. */
#include "client_cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_barrier.h"
#include "client_script.h"
#include "proxy.h"
#include "jsonio.h"
#include "scenario.h"
#include "usage.h"

/* Each request waits this long for its response unless --timeout says otherwise. */
#define DEFAULT_TIMEOUT_S 10.0
#define MAX_UPSTREAMS 8
/* --proxy-auth, in bytes (as --help says): its base64 (268 characters) fits basic[] below. */
#define PROXY_AUTH_MAX 200

void client_usage(FILE *out) {
  fputs("usage: badup client FILE --to HOST:PORT [options]\n"
        "\n"
        "Send the client part of a scenario file (its `client = { request{...}, ... }`, its\n"
        "client_request bytes, or else the GET `badup run` sends: one request{} with every\n"
        "default) to HOST:PORT, on raw sockets, and print what came back: each\n"
        "final response's status line, header fields and content length, how the last\n"
        "connection ended, and the outcome word of the last request (docs/scenarios.md).\n"
        "The scenario's plan is not run: point --to at a proxy in front of `badup serve`, or at\n"
        "any HTTP server.\n"
        "\n"
        "options:\n"
        "  --to HOST:PORT        where to connect (required); also ${proxy} and the Host field.\n"
        "                        https://HOST:PORT: over TLS, the server's certificate verified\n"
        "                        against --cacert for HOST (a `badup run --client-tls` case's\n"
        "                        proxy: OUT/tls/ca.crt); http://HOST:PORT is HOST:PORT\n"
        "  --cacert FILE         the CA certificate(s) an https:// --to is verified against\n"
        "  --upstream HOST:PORT  the value of ${upstream} (again: ${upstream2}, ...)\n"
        "  --admin HOST:PORT     a badup serve control API: barriers are reached there\n"
        "                        (response_head, request_sent) and waited for (wait{}, abort{});\n"
        "                        they are reset at the start and before each request after the\n"
        "                        first. Required when a request waits for a barrier. When\n"
        "                        it does not answer at the start: a set-up error (exit 2)\n"
        "  --forward             default targets in absolute form: http://${upstream}/...\n"
        "                        (so are they for a scenario with forward = ...)\n"
        "  --proxy-auth USER:PASSWORD\n"
        "                        the values of ${proxy_user}, ${proxy_password} and\n"
        "                        ${proxy_credentials} (a case folder's proxy-credentials.txt);\n"
        "                        at most 200 bytes in all\n"
        "  --timeout S           how long each request waits for its response (default 10)\n"
        "  --set NAME=VALUE      a ctx value for the scenario file (repeatable)\n"
        "  --http2               speak HTTP/2 (libcurl): h2c with prior knowledge, or ALPN h2\n"
        "                        with an https:// --to (a server that chooses http/1.1 is an\n"
        "                        error, exit 1). Only curl's GET: a scenario whose client part\n"
        "                        or client_request is raw HTTP/1 bytes is refused (exit 2).\n"
        "                        Outcomes as `badup run --client-http2` says them: 200+rst(CODE)\n"
        "  --watch-close         after the last response, wait up to 1 s to see whether the proxy\n"
        "                        closes the connection (also when the scenario's expect asks\n"
        "                        about `connection`); else it says \"not watched\"\n"
        "  --json                print one JSON document instead of text; each response's\n"
        "                        body is cut at 1 MiB (body_length counts all of it)\n"
        "  -h, --help            this text\n"
        "\n"
        "`requests sent` counts the requests whose head (request line and header section) was\n"
        "written completely, their body sent whole or not.\n"
        "\n"
        "Exit codes: 0 a request was sent (whatever came back), 1 no request was sent or\n"
        "the outcome is refused or error (nothing to connect to, a client failure), 2 usage\n"
        "error, a file that does not load, or an --admin that does not answer.\n",
        out);
}

static const char *const conn_words[] = {"unknown", "kept", "closed", "reset"};

struct cmd {
  const char *file, *to, *admin;
  const char *cacert;     /* --cacert FILE: with an https:// --to */
  const char *proxy_auth; /* --proxy-auth USER:PASSWORD */
  const char *upstreams[MAX_UPSTREAMS];
  int nupstreams;
  bool json, forward, watch_close, tls, http2;
  double timeout;
  struct ctx_var ctx[16];
  size_t nctx;
};

static int on_barrier(void *arg, const char *name) { return client_barrier_reached(arg, name); }
static void on_head(void *arg, int request, bool last) { client_barrier_reach(arg, "response_head"); }
static void on_sent(void *arg, int request) { client_barrier_reach(arg, "request_sent"); }
static void on_reset(void *arg) { client_barriers_reset(arg); }

/* "unknown" .. "reset", or "not watched" when the client did not look. */
static const char *conn_word(const struct seen *s, bool watched) {
  return watched ? conn_words[s->last_conn] : "not watched";
}

static void print_text(const struct client_result *r, const struct seen *s, bool watched) {
  for (size_t i = 0; i < s->nresponses; i++) {
    const struct seen_response *x = &s->responses[i];
    printf("response %zu (request %d, connection %d):", i + 1, x->request + 1, x->connection + 1);
    for (int k = 0; k < x->ninterim; k++) printf(" %d", x->interim[k]);
    printf("%s %s %d%s%s\n", x->ninterim ? " then" : "", x->version, x->status, x->reason ? " " : "",
           x->reason ? x->reason : ""); /* HTTP/2 has no reason phrase */
    for (size_t k = 0; k < x->nfields; k++) printf("  %s: %s\n", x->fields[k].name, x->fields[k].value);
    printf("  content: %zu bytes%s\n", x->body_bytes, x->complete ? "" : " (the message did not end)");
  }
  printf("requests sent: %d, connections: %d, last connection: %s\n", s->requests_sent, s->connections,
         conn_word(s, watched));
  printf("outcome: %s (%.3f s)%s%s\n", r->outcome, r->total_s, r->error[0] ? ": " : "", r->error);
}

static void print_json(const struct client_result *r, const struct seen *s, bool watched) {
  json_t *list = json_array();
  for (size_t i = 0; i < s->nresponses; i++) {
    const struct seen_response *x = &s->responses[i];
    json_t *fields = json_array(), *interim = json_array();
    for (size_t k = 0; k < x->nfields; k++)
      json_array_append_new(fields, json_pack("[oo]", json_text(x->fields[k].name), json_text(x->fields[k].value)));
    for (int k = 0; k < x->ninterim; k++) json_array_append_new(interim, json_integer(x->interim[k]));
    json_array_append_new(list, json_pack("{s:i, s:i, s:s, s:i, s:o, s:o, s:o, s:I, s:o, s:b, s:b, s:f}",
                                          "request", x->request + 1, "connection", x->connection + 1, "version",
                                          x->version, "status", x->status, "reason", json_text(x->reason),
                                          "headers", fields, "interim", interim, "body_length",
                                          (json_int_t)x->body_bytes, "body", json_text(x->body ? x->body : ""),
                                          "head_complete", x->head_complete, "complete", x->complete, "head_s",
                                          x->head_s));
  }
  json_t *doc = json_pack("{s:s, s:o, s:o, s:i, s:i, s:s, s:f}", "outcome", r->outcome, "error", json_text(r->error),
                          "responses", list, "requests_sent", s->requests_sent, "connections", s->connections,
                          "last_connection", conn_word(s, watched), "total_s", r->total_s);
  char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
  if (text) puts(text);
  free(text);
  json_decref(doc);
}

static int parse(int argc, char **argv, struct cmd *c) {
  c->timeout = DEFAULT_TIMEOUT_S;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    if (!strcmp(a, "--json")) c->json = true;
    else if (!strcmp(a, "--forward")) c->forward = true;
    else if (!strcmp(a, "--watch-close")) c->watch_close = true;
    else if (!strcmp(a, "--http2")) c->http2 = true;
    else if (!strcmp(a, "--to") && has) c->to = argv[++i];
    else if (!strcmp(a, "--admin") && has) c->admin = argv[++i];
    else if (!strcmp(a, "--cacert") && has) c->cacert = argv[++i];
    else if (!strcmp(a, "--proxy-auth") && has) {
      c->proxy_auth = argv[++i];
      bool ctl = false; /* RFC 7617 2: no control characters in the user-id or password */
      for (const char *q = c->proxy_auth; *q; q++) ctl |= (unsigned char)*q < 0x20 || *q == 0x7f;
      if (ctl)
        return cli_usage_error("client", "--proxy-auth must not hold control characters (CR, LF, ...: RFC 7617 2)");
      if (!strchr(c->proxy_auth, ':') || strlen(c->proxy_auth) > PROXY_AUTH_MAX)
        return cli_usage_error("client", "--proxy-auth wants USER:PASSWORD, at most %d bytes in all, got '%.60s' "
                               "(%zu bytes)", PROXY_AUTH_MAX, c->proxy_auth, strlen(c->proxy_auth));
    }
    else if (!strcmp(a, "--upstream") && has) {
      if (c->nupstreams == MAX_UPSTREAMS) return cli_usage_error("client", "at most %d --upstream", MAX_UPSTREAMS);
      c->upstreams[c->nupstreams++] = argv[++i];
    } else if (!strcmp(a, "--timeout") && has) {
      char *end;
      c->timeout = strtod(argv[++i], &end);
      if (*end || !(c->timeout > 0) || c->timeout > 86400)
        return cli_usage_error("client", "--timeout takes seconds, more than 0, got '%s'", argv[i]);
    } else if (!strcmp(a, "--set") && has) {
      char *eq = strchr(argv[++i], '=');
      if (!eq || eq == argv[i] || c->nctx == sizeof c->ctx / sizeof *c->ctx)
        return cli_usage_error("client", "--set takes NAME=VALUE, got '%s'", argv[i]);
      *eq = 0;
      c->ctx[c->nctx++] = (struct ctx_var){argv[i], eq + 1};
    } else if (a[0] == '-' && a[1]) {
      return cli_usage_error("client", "unknown option or missing value: '%s'", a);
    } else if (c->file) {
      return cli_usage_error("client", "one scenario file only, got '%s' too", a);
    } else {
      c->file = a;
    }
  }
  if (!c->file) return cli_usage_error("client", "which scenario file?");
  if (!c->to) return cli_usage_error("client", "--to HOST:PORT is required");
  /* TLS to the server: verified, always; there is no --insecure (a run's CA is at hand) */
  bool tls = !strncmp(c->to, "https://", 8);
  if (tls && !c->cacert)
    return cli_usage_error("client", "--to %s: give --cacert FILE, the CA its certificate is verified against", c->to);
  if (!tls && c->cacert) return cli_usage_error("client", "--cacert goes with an https:// --to, got '%s'", c->to);
  if (tls) c->to += 8;
  else if (!strncmp(c->to, "http://", 7)) c->to += 7;
  size_t n = strlen(c->to);
  if (n && c->to[n - 1] == '/') return cli_usage_error("client", "--to takes a scheme, HOST and PORT, no path");
  c->tls = tls;
  return 0;
}

/* The first request of the part that waits for a barrier (wait{}, abort at "barrier"):
 * without a control API it would never see it. Says which in why; -1 when none. */
static int barrier_needed(const struct client_part *part, char *why, size_t len) {
  for (size_t i = 0; i < part->n; i++) {
    const struct client_request *q = &part->requests[i];
    if (q->wait.barrier[0]) snprintf(why, len, "waits for barrier '%s' (wait)", q->wait.barrier);
    else if (q->abort.at == CLIENT_ABORT_BARRIER) snprintf(why, len, "aborts at barrier '%s'", q->abort.barrier);
    else continue;
    return (int)i;
  }
  return -1;
}

/* "HOST:PORT" into host and port; "[V6]:PORT" too. */
static int split(const char *text, char *host, size_t len, int *port) {
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text) return -1;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || p < 1 || p > 65535) return -1;
  const char *h = text;
  size_t n = (size_t)(colon - text);
  if (h[0] == '[' && n >= 2 && h[n - 1] == ']') h++, n -= 2;
  snprintf(host, len, "%.*s", (int)n, h);
  *port = (int)p;
  return 0;
}

static void on_curl_head(void *arg) { client_barrier_reach(arg, "response_head"); }

/* --http2: the GET `badup run --client-http2` sends, GET /<scenario>/1 through libcurl over
 * HTTP/2 (client.h, CLIENT_HTTP2). Exit code as for the raw client. */
static int http2_get(const struct cmd *c, const char *host, int port, const struct scenario *s) {
  if (s->client || s->client_request)
    return cli_usage_error("client", "%s: its client sends raw HTTP/1 bytes (a client part or client_request), "
                                     "which --http2 cannot carry", c->file);
  if (c->forward || s->forward)
    return cli_usage_error("client", "%s: a forward proxy is spoken to in HTTP/1.1 (absolute-form targets); --http2 "
                                     "goes to a reverse proxy", c->file);
  if (c->admin && client_barriers_reset(c->admin) != 0) {
    fprintf(stderr, "badup client: cannot reach the control API at %s (DELETE /barriers had no 200 answer)\n", c->admin);
    return 2;
  }
  char url[600];
  bool v6 = strchr(host, ':') != NULL;
  snprintf(url, sizeof url, "%s://%s%s%s:%d/%s/1", c->tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "", port,
           s->name);
  struct client_result r;
  struct seen seen;
  client_get_seen(url, c->timeout, &r, 0, c->admin ? on_curl_head : NULL, (void *)c->admin, &seen, NULL,
                  c->tls ? c->cacert : NULL, CLIENT_HTTP2);
  if (r.h2_mismatch[0]) {
    size_t k = strlen(r.error);
    snprintf(r.error + k, sizeof r.error - k, "%s%s", k ? "; " : "", r.h2_mismatch);
  }
  if (c->json) print_json(&r, &seen, false);
  else print_text(&r, &seen, false);
  int rc = seen.requests_sent == 0 || r.end == OUTCOME_REFUSED || r.end == OUTCOME_ERROR || r.h2_mismatch[0] ? 1 : 0;
  seen_free(&seen);
  return rc;
}

int client_main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      client_usage(stdout);
      return 0;
    }
  struct cmd c = {0};
  int rc = parse(argc, argv, &c);
  if (rc) return rc;
  char host[256];
  int port;
  if (split(c.to, host, sizeof host, &port) != 0)
    return cli_usage_error("client", "--to takes HOST:PORT, got '%s'", c.to);
  struct scenario s;
  struct buf err = {0};
  struct scenario_opts so = {.ctx = c.ctx, .nctx = c.nctx};
  if (scenario_load(&s, c.file, &so, &err) != 0) {
    fprintf(stderr, "%s\n", buf_cstr(&err));
    buf_free(&err);
    return 2;
  }
  buf_free(&err);
  if (c.http2) {
    rc = http2_get(&c, host, port, &s);
    scenario_unload(&s);
    return rc;
  }
  /* No client part: client_request's bytes, or else the GET `badup run` sends, request{}
   * with every default (client_part.h). */
  struct client_request one_request = {.raw = {s.client_request, s.client_request_len}, .send_body_bytes = -1,
                                       .expect_100 = -1};
  if (!s.client_request)
    one_request = (struct client_request){.method = (char *)"GET", .version = (char *)"HTTP/1.1", .host = true,
                                          .length = CLIENT_LENGTH_AUTO, .send_body_bytes = -1, .expect_100 = -1};
  struct client_part one = {&one_request, 1};
  const struct client_part *part = s.client ? s.client : &one;
  char why[96];
  int needs = c.admin ? -1 : barrier_needed(part, why, sizeof why);
  if (needs >= 0) {
    rc = cli_usage_error("client", "%s:%d: request %d %s: give --admin HOST:PORT (a badup serve control API)",
                         c.file, part->requests[needs].line, needs + 1, why);
    scenario_unload(&s);
    return rc;
  }
  struct client_vars v = {.proxy = c.to, .scenario = s.name, .forward = c.forward || s.forward,
                          .proxy_auth_hint = "pass --proxy-auth USER:PASSWORD"};
  char user[256], basic[300];
  if (c.proxy_auth) {
    snprintf(user, sizeof user, "%s", c.proxy_auth);
    *strchr(user, ':') = 0;
    proxy_basic(basic, sizeof basic, c.proxy_auth);
    v.proxy_user = user, v.proxy_password = strchr(c.proxy_auth, ':') + 1, v.proxy_credentials = basic;
  }
  for (int i = 0; i < c.nupstreams; i++) v.upstreams[i] = c.upstreams[i];
  /* The last connection is watched (a second more) only when someone asks. */
  bool watched = c.watch_close || expectation_asks_connection(s.expectation);
  struct client_script_opts o = {.host = host, .port = port, .timeout_s = c.timeout, .wait_conn = watched,
                                 .tls_ca = c.tls ? c.cacert : NULL, .tls_host = host};
  if (c.admin) {
    o.hooks = (struct client_hooks){.response_head = on_head, .request_sent = on_sent, .barrier_reached = on_barrier,
                                    .reset_barriers = on_reset, .arg = (void *)c.admin};
    /* A barrier an earlier run reached on the same `badup serve` is not this run's. And a
     * control API that does not answer would leave every barrier unreached: an abort at
     * one would never fire, silently. */
    if (client_barriers_reset(c.admin) != 0) {
      fprintf(stderr, "badup client: cannot reach the control API at %s (DELETE /barriers had no 200 answer)\n",
              c.admin);
      scenario_unload(&s);
      return 2;
    }
  }
  struct client_result r;
  struct seen seen;
  rc = client_script_run(part, &v, &o, &r, &seen);
  if (rc != 0) {
    fprintf(stderr, "badup %s\n", r.error);
    rc = 2;
  } else {
    if (c.json) print_json(&r, &seen, watched);
    else print_text(&r, &seen, watched);
    rc = seen.requests_sent == 0 || r.end == OUTCOME_REFUSED || r.end == OUTCOME_ERROR ? 1 : 0;
  }
  seen_free(&seen);
  scenario_unload(&s);
  return rc;
}
