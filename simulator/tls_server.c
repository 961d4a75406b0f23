/* tls_server.c: a scenario's SSL_CTX and its ClientHello checks (tls_server.h). */
#include "tls_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "tls_certs.h"

const char *tls_error_text(const char *fallback, char *buf, size_t len) {
  unsigned long e = ERR_get_error();
  const char *why = e ? ERR_reason_error_string(e) : NULL;
  ERR_clear_error();
  if (!why) return fallback;
  snprintf(buf, len, "%s", why);
  return buf;
}

/* server_name's extension (RFC 6066 3): a list, length first, of (type, length, name); the
 * host_name (type 0) is the one that counts. */
static void read_sni(SSL *ssl, char *out, size_t cap) {
  const unsigned char *p;
  size_t len;
  out[0] = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5) return;
  size_t list = (size_t)p[0] << 8 | p[1];
  if (list + 2 > len || p[2] != 0) return;
  size_t n = (size_t)p[3] << 8 | p[4];
  if (n + 5 > len) return;
  if (n >= cap) n = cap - 1;
  for (size_t i = 0; i < n; i++) out[i] = (p[5 + i] >= 0x21 && p[5 + i] < 0x7f) ? (char)p[5 + i] : '?';
  out[n] = 0;
}

static int on_client_hello(SSL *ssl, int *alert, void *arg) {
  const struct tls_server *ts = arg;
  struct tls_seen *seen = SSL_get_app_data(ssl);
  read_sni(ssl, seen->sni, sizeof seen->sni);
  if (ts->spec->handshake) {
    /* Stop here: the handshake steps answer this hello, not OpenSSL. */
    seen->at_hello = true;
    return SSL_CLIENT_HELLO_RETRY;
  }
  if (ts->spec->sni && strcmp(seen->sni, ts->spec->sni) != 0) {
    *alert = SSL_AD_UNRECOGNIZED_NAME; /* RFC 6066 3: the fatal answer to a name not served */
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

/* The first of the server's protocols the client offers; none in common: no ALPN answer
 * (RFC 7301 3.2 allows a fatal no_application_protocol instead; a server that ignores ALPN
 * is the commoner case). */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg) {
  (void)ssl;
  const struct tls_server *ts = arg;
  unsigned char *sel;
  if (SSL_select_next_proto(&sel, outlen, ts->alpn, (unsigned)ts->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

static int fail(SSL_CTX *ctx, struct tls_server *ts, char *err, size_t errlen, const char *what, const char *why) {
  char buf[160];
  snprintf(err, errlen, "%s: %s", what, why ? why : tls_error_text("failed", buf, sizeof buf));
  SSL_CTX_free(ctx);
  free(ts);
  return -1;
}

int tls_server_new(struct tls_server **out, const struct scenario_tls *spec, const char *certs_dir, char *err,
                   size_t errlen) {
  struct tls_server *ts = calloc(1, sizeof *ts);
  SSL_CTX *ctx = ts ? SSL_CTX_new(TLS_server_method()) : NULL;
  if (!ctx) return fail(ctx, ts, err, errlen, "TLS", "out of memory");
  ts->spec = spec;
  char crt[4096], key[4096];
  if (tls_cert_path(crt, sizeof crt, certs_dir, spec->cert, "crt") != 0 ||
      tls_cert_path(key, sizeof key, certs_dir, spec->cert, "key") != 0)
    return fail(ctx, ts, err, errlen, certs_dir, "path too long");
  if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) return fail(ctx, ts, err, errlen, crt, NULL);
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) return fail(ctx, ts, err, errlen, key, NULL);
  /* TLS 1.0 and 1.1 sign their handshakes with SHA-1, which OpenSSL 3 refuses above
   * security level 0: a scenario that asks for them gets them. */
  bool old = (spec->min_version && spec->min_version < TLS1_2_VERSION) ||
             (spec->max_version && spec->max_version < TLS1_2_VERSION);
  if (old) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  }
  if ((spec->min_version && SSL_CTX_set_min_proto_version(ctx, spec->min_version) != 1) ||
      (spec->max_version && SSL_CTX_set_max_proto_version(ctx, spec->max_version) != 1))
    return fail(ctx, ts, err, errlen, "tls versions", NULL);
  for (size_t i = 0; i < spec->nalpn; i++) {
    size_t n = strlen(spec->alpn[i]);
    ts->alpn[ts->alpn_len++] = (unsigned char)n;
    memcpy(ts->alpn + ts->alpn_len, spec->alpn[i], n);
    ts->alpn_len += n;
  }
  if (spec->nalpn) SSL_CTX_set_alpn_select_cb(ctx, on_alpn, ts);
  SSL_CTX_set_client_hello_cb(ctx, on_client_hello, ts);
  /* Resumption (RFC 8446 2.2) works across connections: tickets and the session cache are
   * on by default; a context id is what the cache files them under. */
  SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"badup", 5);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  ts->ctx = ctx;
  *out = ts;
  return 0;
}

void tls_server_free(struct tls_server *ts) {
  if (!ts) return;
  SSL_CTX_free(ts->ctx);
  free(ts);
}

SSL *tls_server_ssl(const struct tls_server *ts, struct tls_seen *seen) {
  SSL *ssl = SSL_new(ts->ctx);
  if (!ssl) return NULL;
  SSL_set_app_data(ssl, seen);
  SSL_set_accept_state(ssl);
  return ssl;
}
