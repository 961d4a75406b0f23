/* case_client.h: a case's exchange with the proxy under test: the scenario's client part,
 * or its client_request bytes (a one-request part), on raw sockets, the bytes of each
 * connection kept in the case folder (client-sent.txt, client-received.txt); or else curl's
 * GET /<scenario>/<n>.
 *
 * The client reaches the simulator's barriers (over its control API): "response_head" when it
 * has the header section of a final response (for client_request, of the last one only, as
 * ever), "request_sent" when a request's bytes are all written; and waits for those its
 * requests name (wait{}, abort{at = "barrier"}). */
#ifndef BADUP_CASE_CLIENT_H
#define BADUP_CASE_CLIENT_H

#include <stdbool.h>

#include "client.h"
#include "proxy.h"
#include "scenario.h"
#include "seen.h"

struct case_client_in {
  const struct scenario *s;
  const char *dir;           /* the case folder */
  int proxy_port;
  const int *upstream_ports; /* upstream 1, 2, ... */
  int nupstreams;
  int admin;                 /* the simulator's control API port */
  bool forward;              /* a forward proxy: absolute-form targets */
  const struct proxy_credentials *credentials; /* the case's proxy credentials, or NULL */
  const char *cacert;        /* --client-tls: the CA file the proxy's certificate is verified
                                against (its name too: localhost); NULL: plain HTTP */
  bool http2;                /* --client-http2: curl's GET over HTTP/2 (client.h's CLIENT_HTTP2);
                                a raw client part cannot be (the run skips it) */
  double timeout_s;          /* per request */
  bool wait_conn;            /* see client_script_opts */
  int n;                     /* which of the scenario's `requests` this is, from 1 (curl's
                                GET and client_request: each is an exchange of its own) */
};

/* Runs the exchange; *seen is the caller's to free.
 * Returns 0, or -1 when the part could not be sent at all (r->error says why: a
 * placeholder the case has no value for). */
int case_client_run(const struct case_client_in *in, struct client_result *r, struct seen *seen);

/* After the exchange: waits until the simulator (control API port admin) has no upstream
 * connection open, at most max_s seconds (asking every 20 ms). */
void case_client_wait_upstream(int admin, double max_s);

#endif
