/* tls_server.h: a scenario's server side of TLS: its SSL_CTX (certificate, versions, ALPN)
 * and what it checks of each ClientHello. Built once at start, read-only afterwards. */
#ifndef BADUP_TLS_SERVER_H
#define BADUP_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "scenario.h"

struct tls_server {
  SSL_CTX *ctx;
  const struct scenario_tls *spec; /* the scenario's table (or the --tls default); outlives this */
  unsigned char alpn[8 * 256];     /* spec->alpn in ALPN's wire form: length-prefixed names */
  size_t alpn_len;
};

/* What the callbacks learned of one connection's ClientHello (the SSL's app data). */
struct tls_seen {
  char sni[64];  /* the server_name the client sent (RFC 6066 3), "" for none */
  bool at_hello; /* the handshake stopped at the ClientHello: spec->handshake runs instead */
};

/* Builds the server for spec, with the certificates of certs_dir (tls_certs.h: spec->cert's
 * KIND.crt and KIND.key). Returns 0, or -1 with err ("certs_dir/valid.crt: why"). */
int tls_server_new(struct tls_server **out, const struct scenario_tls *spec, const char *certs_dir, char *err,
                   size_t errlen);
void tls_server_free(struct tls_server *ts);

/* A new server-side SSL of ts whose callbacks write into seen. NULL when out of memory. */
SSL *tls_server_ssl(const struct tls_server *ts, struct tls_seen *seen);

/* The text of OpenSSL's oldest queued error ("tlsv1 alert unknown ca"), or `fallback`;
 * empties the queue (one thread: the loop's). */
const char *tls_error_text(const char *fallback, char *buf, size_t len);

#endif
