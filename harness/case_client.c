/* case_client.c: a case's exchange on raw sockets. */
#include "case_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "client_barrier.h"
#include "client_script.h"
#include "client_tls_fault.h"
#include "expect_eval.h"
#include "simctl.h"

/* The barriers a scenario's plan may wait at (docs/scenarios.md, "Barriers"). */
#define BARRIER_RESPONSE_HEAD "response_head"
#define BARRIER_REQUEST_SENT "request_sent"

struct hooks {
  char admin[32];
  bool last_only; /* client_request: the last request's head only, as it always was */
};

static void on_head(void *arg, int request, bool last) {
  const struct hooks *h = arg;
  if (last || !h->last_only) client_barrier_reach(h->admin, BARRIER_RESPONSE_HEAD);
}

static void on_sent(void *arg, int request) { client_barrier_reach(((const struct hooks *)arg)->admin, BARRIER_REQUEST_SENT); }

static int on_barrier(void *arg, const char *name) {
  return client_barrier_reached(((const struct hooks *)arg)->admin, name);
}

static void on_reset(void *arg) { client_barriers_reset(((const struct hooks *)arg)->admin); }

/* curl's GET: the barrier when the final response's head came. */
static void curl_head(void *arg) {
  const struct hooks *h = arg;
  client_barrier_reach(h->admin, BARRIER_RESPONSE_HEAD);
}

int case_client_run(const struct case_client_in *in, struct client_result *r, struct seen *seen) {
  const struct scenario *s = in->s;
  /* client_tls = { handshake = ... }: a ClientHello and no more; or no TLS at all ("none":
   * the request's bytes in plain text to the TLS port). */
  if (in->cacert && (s->client_handshake == CLIENT_HANDSHAKE_HELLO_STALL ||
                     s->client_handshake == CLIENT_HANDSHAKE_HELLO_RESET)) {
    struct client_transcript t = {0};
    int rc = client_tls_fault_run(s->client_handshake == CLIENT_HANDSHAKE_HELLO_RESET, "localhost", in->proxy_port,
                                  in->timeout_s, &t, r, seen);
    client_transcript_write(&t, in->dir);
    client_transcript_free(&t);
    return rc;
  }
  const char *cacert = s->client_handshake == CLIENT_HANDSHAKE_NONE ? NULL : in->cacert;
  if (!s->client && !s->client_request) {
    char url[512];
    struct hooks h = {0};
    snprintf(h.admin, sizeof h.admin, "127.0.0.1:%d", in->admin);
    /* Through a forward proxy: the upstream's URL, and the proxy as curl's proxy. */
    /* With TLS to the proxy, its name: the certificate is for localhost (and 127.0.0.1). */
    if (in->forward)
      snprintf(url, sizeof url, "http://127.0.0.1:%d/%s/%d", in->upstream_ports[0], s->name, in->n);
    else
      snprintf(url, sizeof url, "%s://%s:%d/%s/%d", cacert ? "https" : "http", cacert ? "localhost" : "127.0.0.1",
               in->proxy_port, s->name, in->n);
    struct client_transcript t = {0};
    int rc = client_get_seen(url, in->timeout_s, r, in->forward ? in->proxy_port : 0,
                             in->admin > 0 ? curl_head : NULL, &h, seen, &t, cacert,
                             in->http2 ? CLIENT_HTTP2 : CLIENT_HTTP1);
    client_transcript_write(&t, in->dir);
    client_transcript_free(&t);
    return rc;
  }
  if (in->http2) {
    /* the run skips these (proxy_client_http2_refuse); a caller that did not is told */
    snprintf(r->error, sizeof r->error, "%s: a raw HTTP/1 client request cannot be sent over HTTP/2", s->name);
    return -1;
  }
  struct client_request raw = {.raw = {s->client_request, s->client_request_len}, .send_body_bytes = -1,
                               .expect_100 = -1};
  struct client_part one = {&raw, 1};
  const struct client_part *part = s->client ? s->client : &one;
  struct hooks h = {.last_only = !s->client};
  snprintf(h.admin, sizeof h.admin, "127.0.0.1:%d", in->admin);
  char proxy[32], ups[8][32];
  /* ${proxy} (a request's Host): over TLS the name the client asks for and verifies, as curl's
   * https://localhost does; a proxy that routes by host (caddy's site) sees the same name */
  snprintf(proxy, sizeof proxy, "%s:%d", cacert ? "localhost" : "127.0.0.1", in->proxy_port);
  struct client_vars v = {.proxy = proxy, .scenario = s->name, .forward = in->forward};
  if (in->credentials) {
    v.proxy_user = in->credentials->user;
    v.proxy_password = in->credentials->password;
    v.proxy_credentials = in->credentials->basic;
  }
  for (int i = 0; i < in->nupstreams && i < 8; i++) {
    snprintf(ups[i], sizeof ups[i], "127.0.0.1:%d", in->upstream_ports[i]);
    v.upstreams[i] = ups[i];
  }
  struct client_transcript t = {0};
  struct client_script_opts o = {.host = "127.0.0.1", .port = in->proxy_port, .timeout_s = in->timeout_s,
                                 .wait_conn = in->wait_conn, .transcript = &t, .tls_ca = cacert, .tls_host = "localhost",
                                 .hooks = {.response_head = in->admin > 0 ? on_head : NULL,
                                           .request_sent = in->admin > 0 && s->client ? on_sent : NULL,
                                           .barrier_reached = in->admin > 0 ? on_barrier : NULL,
                                           .reset_barriers = in->admin > 0 ? on_reset : NULL, .arg = &h}};
  int rc = client_script_run(part, &v, &o, r, seen);
  client_transcript_write(&t, in->dir);
  client_transcript_free(&t);
  return rc;
}

void case_client_wait_upstream(int admin, double max_s) {
  struct timespec t0, now, pause = {0, 20 * 1000000L};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    char *events = simctl_events(admin);
    int open = expect_events_open(events);
    free(events);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (open <= 0 || (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >= max_s) return;
    nanosleep(&pause, NULL);
  }
}
