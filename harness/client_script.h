/* client_script.h: the scripted client: a scenario's client part (client_part.h) sent to a
 * proxy on raw sockets, one request after the other.
 *
 * Each request is built (client_build.h) and written on its connection: a fresh one ("new"),
 * the previous request's once its response ended ("same"; a fresh one when the proxy has
 * closed it), or in the same write as the previous request ("pipelined", RFC 9112 9.3.2).
 * Writing and reading go on at once (a proxy may answer 400 before it has read it all), with
 * the request's pace, its held-back body (send_body_bytes), its wait for 100 Continue
 * (expect_100: the body is not sent after a final response, RFC 9110 10.1.1), its barrier
 * to wait for first, and the point where the client ends the exchange itself (abort: a FIN,
 * shutdown(SHUT_WR), then reading on; or an RST, SO_LINGER 0 and close).
 *
 * Responses are framed by resp_reader.h. Each request waits at most timeout_s for its
 * response, from the moment it starts (connect included). The outcome word (outcome.h) is
 * about the response to the last request, decided as rawclient.h says; an abort with RST
 * ends the exchange there, and the word says what had come ("closed", "NNN+truncated", or
 * the status when the response was complete). Every final response is kept in *seen.
 *
 * Requests are counted as a proxy reads them: a raw request whose bytes hold two requests
 * counts two (seen's request indices, the last request). */
#ifndef BADUP_CLIENT_SCRIPT_H
#define BADUP_CLIENT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "client.h"
#include "client_build.h"
#include "client_part.h"
#include "client_transcript.h"
#include "seen.h"

/* What the exchange tells the outside world, all on the client's thread; every member may
 * be NULL. */
struct client_hooks {
  /* The header section of a final response came, before its body: request is the index it
   * answers (-1: a response nobody asked for), last whether it is the exchange's last. */
  void (*response_head)(void *arg, int request, bool last);
  /* Every byte request `request` will send is written. */
  void (*request_sent)(void *arg, int request);
  /* Is barrier `name` reached? 1 yes, 0 not yet, <0 cannot tell. Asked every 10 ms while a
   * request waits for it (wait, abort at "barrier"). */
  int (*barrier_reached)(void *arg, const char *name);
  /* A request after the first is about to be written (after its wait{}): the barriers an
   * earlier request reached (response_head, request_sent, the upstream's reach()) are
   * forgotten, so they mean this request's exchange again. */
  void (*reset_barriers)(void *arg);
  void *arg;
};


struct client_script_opts {
  const char *host;          /* the proxy's address (a name or a numeric address) */
  int port;
  double timeout_s;          /* per request: connect + its response */
  bool wait_conn;            /* after the last response, wait up to 1 s for the proxy to
                                close the connection (seen->last_conn) */
  struct client_hooks hooks;
  struct client_transcript *transcript; /* NULL: not kept */
  /* --client-tls: every connection is TLS (client_tls.h), the proxy verified against this
   * CA file for tls_host (SNI and the certificate's name). NULL: plain TCP. A handshake that
   * fails is the outcome "tls". */
  const char *tls_ca, *tls_host;
};

/* Runs the part. Fills *r (memset first; the outcome of the last request) and *seen (zeroed
 * first; the caller frees it with seen_free). Returns 0; -1 when the part cannot be sent at
 * all (a placeholder without a value, an address that does not resolve, out of memory):
 * then r->error says why and r->outcome is "error". */
int client_script_run(const struct client_part *part, const struct client_vars *v, const struct client_script_opts *o,
                      struct client_result *r, struct seen *seen);

#endif
