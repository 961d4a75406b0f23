/* client_tls.c: the raw client's TLS (client_tls.h). */
#include "client_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct client_tls {
  SSL_CTX *ctx;
  SSL *ssl;
  char why[256];
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* OpenSSL's error queue in words, emptied. */
static void queue_why(char *out, size_t len) {
  unsigned long e = ERR_get_error();
  if (e) ERR_error_string_n(e, out, len);
  else out[0] = 0;
  ERR_clear_error();
}

void client_tls_free(struct client_tls *t) {
  if (!t) return;
  SSL_free(t->ssl);
  SSL_CTX_free(t->ctx);
  free(t);
}

struct client_tls *client_tls_open(int fd, const char *ca, const char *host, double deadline, char *err, size_t errlen,
                                   bool *reset, bool *timed_out) {
  *reset = *timed_out = false;
  ERR_clear_error();
  struct client_tls *t = calloc(1, sizeof *t);
  if (!t || !(t->ctx = SSL_CTX_new(TLS_client_method()))) {
    snprintf(err, errlen, "TLS: out of memory");
    client_tls_free(t);
    return NULL;
  }
  /* A proxy's FIN without close_notify is read as the end of the stream, not an error:
   * HTTP's framing (RFC 9112 6.3) says whether a response was cut. */
  SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
  if (SSL_CTX_load_verify_locations(t->ctx, ca, NULL) != 1) {
    char why[160];
    queue_why(why, sizeof why);
    snprintf(err, errlen, "TLS: cannot read the CA file %.200s: %s", ca, why);
    client_tls_free(t);
    return NULL;
  }
  t->ssl = SSL_new(t->ctx);
  /* An address is checked against the certificate's IP names, and sent as no SNI at all
   * (RFC 6066 3: literal addresses are not permitted there); a name is both. */
  unsigned char addr[16];
  bool is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
  bool named = t->ssl && (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1
                                : SSL_set_tlsext_host_name(t->ssl, host) == 1 && SSL_set1_host(t->ssl, host) == 1);
  if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1 || !named) {
    snprintf(err, errlen, "TLS: cannot set the connection up");
    client_tls_free(t);
    return NULL;
  }
  static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(t->ssl, alpn, sizeof alpn);
  for (;;) {
    errno = 0;
    int rc = SSL_connect(t->ssl);
    if (rc == 1) return t;
    int e = SSL_get_error(t->ssl, rc), saved = errno;
    double left = deadline - now_s();
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && left > 0) {
      struct pollfd pf = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
      poll(&pf, 1, (int)(left * 1000) + 1);
      continue;
    }
    char why[200];
    long vr = SSL_get_verify_result(t->ssl);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      *timed_out = true;
      snprintf(why, sizeof why, "no answer from the proxy in time");
    } else if (vr != X509_V_OK) {
      snprintf(why, sizeof why, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
    } else if (e == SSL_ERROR_SYSCALL && saved == ECONNRESET) {
      *reset = true;
      snprintf(why, sizeof why, "the proxy reset the connection (RST)");
    } else {
      queue_why(why, sizeof why);
      if (!why[0] || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
        snprintf(why, sizeof why, "the proxy closed the connection (FIN)%s", saved ? ": " : "");
      if (saved && e == SSL_ERROR_SYSCALL) snprintf(why + strlen(why), sizeof why - strlen(why), "%s", strerror(saved));
    }
    snprintf(err, errlen, "TLS handshake with the proxy failed: %s", why);
    client_tls_free(t);
    return NULL;
  }
}

/* An SSL_read/SSL_write result as send/recv would give it. */
static ssize_t io_result(struct client_tls *t, int rc, int saved, bool reading) {
  if (rc > 0) return rc;
  int e = SSL_get_error(t->ssl, rc);
  switch (e) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
  case SSL_ERROR_ZERO_RETURN: return 0; /* close_notify, or a FIN (SSL_OP_IGNORE_UNEXPECTED_EOF) */
  case SSL_ERROR_SYSCALL:
    if (saved == 0 && reading) return 0;
    errno = saved ? saved : EPIPE;
    return -1;
  default:
    queue_why(t->why, sizeof t->why);
    errno = EPROTO;
    return -1;
  }
}

ssize_t client_tls_send(struct client_tls *t, const void *p, size_t n) {
  if (n == 0) return 0;
  errno = 0;
  int rc = SSL_write(t->ssl, p, n > (size_t)1 << 30 ? 1 << 30 : (int)n);
  return io_result(t, rc, errno, false);
}

ssize_t client_tls_recv(struct client_tls *t, void *p, size_t n) {
  errno = 0;
  int rc = SSL_read(t->ssl, p, n > (size_t)1 << 30 ? 1 << 30 : (int)n);
  return io_result(t, rc, errno, true);
}

bool client_tls_pending(const struct client_tls *t) { return t && SSL_pending(t->ssl) > 0; }

void client_tls_close_notify(struct client_tls *t) {
  if (t) SSL_shutdown(t->ssl);
}

const char *client_tls_why(const struct client_tls *t) { return t ? t->why : ""; }

int client_tls_hello(const char *host, struct buf *out, char *err, size_t errlen) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *ssl = ctx ? SSL_new(ctx) : NULL;
  BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
  int rc = -1;
  if (!ssl || !rbio || !wbio) {
    snprintf(err, errlen, "TLS: out of memory");
    BIO_free(rbio), BIO_free(wbio);
    goto out;
  }
  SSL_set_bio(ssl, rbio, wbio); /* ssl owns both now */
  SSL_set_tlsext_host_name(ssl, host);
  static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl, alpn, sizeof alpn);
  /* The first flight: SSL_connect writes the ClientHello and then wants the server's
   * answer, which never comes from a memory BIO. */
  SSL_connect(ssl);
  char *data = NULL;
  long n = BIO_get_mem_data(wbio, &data);
  if (n <= 0) {
    char why[160];
    queue_why(why, sizeof why);
    snprintf(err, errlen, "TLS: OpenSSL wrote no ClientHello: %s", why);
    goto out;
  }
  buf_append(out, data, (size_t)n);
  rc = out->oom ? -1 : 0;
  if (rc) snprintf(err, errlen, "TLS: out of memory");
out:
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return rc;
}
