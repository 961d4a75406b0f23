/* client_tls_fault.h: the client-side TLS faults of a scenario's client_tls = { handshake =
 * "client_hello_then_stall" | "client_hello_then_reset" } (docs/scenarios.md, "Client-side
 * TLS"): on the proxy's TLS port, the client sends a real ClientHello (client_tls_hello:
 * OpenSSL's own first flight) and then never finishes the handshake.
 *
 *   client_hello_then_stall   then sends nothing more and reads until the proxy ends the
 *                             connection or timeout_s passes: "closed" (FIN), "reset"
 *                             (RST) or "timeout". Whatever the proxy answered (its
 *                             ServerHello flight, an alert) is in client-received.txt.
 *   client_hello_then_reset   then waits for the proxy's first bytes (its answer to the
 *                             hello), at most timeout_s, and resets the connection
 *                             (SO_LINGER 0): "aborted"; or what the proxy did first.
 *
 * No HTTP request is ever sent (seen->requests_sent is 0). Blocking sockets: the harness's
 * client is not the data plane. */
#ifndef BADUP_CLIENT_TLS_FAULT_H
#define BADUP_CLIENT_TLS_FAULT_H

#include <stdbool.h>

#include "client.h"
#include "client_transcript.h"
#include "seen.h"

/* reset: client_hello_then_reset (else _stall). host: the SNI; the proxy on 127.0.0.1:port.
 * Fills *r and *seen (zeroed first). Returns 0, or -1 when nothing could be sent (r->error
 * says why, the outcome is "error"). */
int client_tls_fault_run(bool reset, const char *host, int port, double timeout_s, struct client_transcript *t,
                         struct client_result *r, struct seen *seen);

#endif
