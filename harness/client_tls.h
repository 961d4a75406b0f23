/* client_tls.h: the TLS side of the harness's raw client (--client-tls), with OpenSSL 3.
 *
 * A connection to the proxy's TLS frontend: the handshake (RFC 8446) on the connected
 * socket, the proxy's certificate verified against the run's CA and for the name the client
 * asked for (localhost), then application data in place of send(2) and recv(2). The socket
 * stays non-blocking: the scripted client's poll loop drives it, and a read that only
 * consumed a handshake message (a TLS 1.3 NewSessionTicket) is EAGAIN, as a socket with
 * nothing to read is.
 *
 * And the ClientHello alone, as OpenSSL writes it into a memory BIO: the bytes the fault
 * handshakes send before they stall or reset (client_tls = { handshake = ... }). */
#ifndef BADUP_CLIENT_TLS_H
#define BADUP_CLIENT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

struct client_tls;

/* Handshakes on fd (connected, non-blocking) until deadline (CLOCK_MONOTONIC seconds),
 * with SNI and name verification for host, against the CA file ca. Returns the connection,
 * or NULL with why in err ("TLS handshake: certificate verify failed: ...", "... the proxy
 * closed the connection (FIN) in the handshake"); *reset says the connection was reset and
 * *timed_out that the deadline passed. */
struct client_tls *client_tls_open(int fd, const char *ca, const char *host, double deadline, char *err, size_t errlen,
                                   bool *reset, bool *timed_out);

/* send(2) and recv(2) over TLS: bytes written or read; 0 from recv: the proxy's close_notify,
 * or its FIN without one (a proxy's FIN ends a close-delimited body either way; HTTP's
 * framing says whether the response was cut); -1 with errno EAGAIN (try again when the
 * socket is ready), ECONNRESET, EPIPE, or EPROTO (a TLS error: an alert, a bad record). */
ssize_t client_tls_send(struct client_tls *t, const void *p, size_t n);
ssize_t client_tls_recv(struct client_tls *t, void *p, size_t n);
/* Decrypted bytes wait inside the TLS object: poll(2) would not see them. */
bool client_tls_pending(const struct client_tls *t);
/* A close_notify alert (RFC 8446 6.1), without waiting for the proxy's: the client's FIN
 * follows with shutdown(2). */
void client_tls_close_notify(struct client_tls *t);
/* The last TLS error in words (an alert the proxy sent, a verification failure), or "". */
const char *client_tls_why(const struct client_tls *t);
/* Frees it; the socket stays the caller's. */
void client_tls_free(struct client_tls *t);

/* A ClientHello for host (SNI), as a client that means to finish the handshake sends it
 * (TLS 1.2 and 1.3 offered, ALPN http/1.1), appended to out. 0, or -1 with why in err. */
int client_tls_hello(const char *host, struct buf *out, char *err, size_t errlen);

#endif
