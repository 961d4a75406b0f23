/* transport_tls.c: a connection's bytes over TLS, the server side (transport.h).
 *
 * A TCP transport of its own carries the records; this one is its owner. OpenSSL never
 * sees a socket: what TCP reads goes into a memory BIO (rbio), OpenSSL's output comes out
 * of another (wbio) and goes down as one TCP write per OpenSSL call, so nothing blocks and
 * no thread is involved. The modes:
 *   HANDSHAKE  records in, handshake records out, until the session exists (ESTABLISHED)
 *              or fails (FAILED: its alert goes out, the owner ends the connection);
 *   RAW        the scenario's tls.handshake steps answer the ClientHello: bytes go out and
 *              come in as they are, OpenSSL is done with;
 *   OPEN       application data: `write` encrypts, `read` gets what decrypts;
 *   FAILED     input is dropped.
 * Writes: each call into OpenSSL that produced records is one write below, queued in order
 * (`out`) with its own copy; one that stands for an owner's write counts in
 * base.pending_writes until its `written`, like TCP's. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_server.h"
#include "transport.h"

enum tls_mode { M_HANDSHAKE, M_RAW, M_OPEN, M_FAILED };

/* A write below, in flight. */
struct out {
  struct out *next;
  bool owners;  /* it stands for one of the owner's writes */
  char bytes[]; /* NULL-sized for raw writes of the owner's own bytes */
};

struct tls {
  struct transport base;
  struct transport *tcp;
  SSL *ssl;
  BIO *rbio, *wbio;
  struct tls_seen seen;
  enum tls_mode mode;
  bool reading, closing, close_notify, in_drive, again, eof_sent;
  struct out *head, *tail; /* writes below in flight, oldest first */
  char *readbuf;
  size_t readbuf_size;
};

static struct tls *tls_of(struct transport *t) { return (struct tls *)t; }

static void note(struct tls *t, enum transport_tls_event what, const char *detail) {
  if (!t->closing && t->base.ev->tls) t->base.ev->tls(t->base.owner, what, detail, detail ? strlen(detail) : 0);
}

/* One write below of len bytes at p (copied unless `borrowed`, whose owner plan keeps
 * them). Returns 0 or a negative error. */
static int down(struct tls *t, const char *p, size_t len, bool owners, struct plan *borrowed) {
  uint32_t before = t->tcp->pending_writes;
  struct out *o = malloc(sizeof *o + (borrowed ? 0 : len));
  if (!o) return UV_ENOMEM;
  o->next = NULL;
  o->owners = owners;
  const char *src = p;
  if (!borrowed) {
    memcpy(o->bytes, p, len);
    src = o->bytes;
  }
  int rc = transport_write(t->tcp, src, len, borrowed);
  if (rc < 0 || t->tcp->pending_writes == before) {
    free(o); /* out already, or failed: nothing in flight */
    return rc;
  }
  if (t->tail) t->tail->next = o; else t->head = o;
  t->tail = o;
  if (owners) t->base.pending_writes++;
  return 0;
}

/* What OpenSSL wrote into wbio goes below, as one write. */
static int flush(struct tls *t, bool owners) {
  size_t n = BIO_ctrl_pending(t->wbio);
  if (n == 0) return 0;
  char small[4096], *buf = n <= sizeof small ? small : malloc(n);
  if (!buf) return UV_ENOMEM;
  int got = BIO_read(t->wbio, buf, (int)n);
  int rc = got > 0 ? down(t, buf, (size_t)got, owners, NULL) : 0;
  if (buf != small) free(buf);
  return rc;
}

static void established(struct tls *t) {
  const unsigned char *alpn = NULL;
  unsigned alen = 0;
  SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
  char d[128];
  snprintf(d, sizeof d, "%s sni=%s alpn=%.*s", SSL_get_version(t->ssl), t->seen.sni[0] ? t->seen.sni : "-",
           alen ? (int)alen : 1, alen ? (const char *)alpn : "-");
  t->mode = M_OPEN;
  note(t, TLS_EV_ESTABLISHED, d);
}

/* Moves the session forward with what rbio holds: the handshake, then application data up
 * to the owner while it reads. Re-entry (the owner's read callback starting to read again)
 * only asks the outer call to go round once more. */
static void drive(struct tls *t) {
  if (t->in_drive) {
    t->again = true;
    return;
  }
  t->in_drive = true;
  do {
    t->again = false;
    if (t->mode == M_HANDSHAKE) {
      int r = SSL_do_handshake(t->ssl);
      int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, r);
      char buf[160];
      const char *why = e == SSL_ERROR_SSL ? tls_error_text("handshake failed", buf, sizeof buf) : NULL;
      ERR_clear_error();
      flush(t, false); /* the server's flight, or its alert */
      if (r == 1) {
        established(t);
      } else if (e == SSL_ERROR_WANT_CLIENT_HELLO_CB && t->seen.at_hello) {
        t->mode = M_RAW;
        char d[96];
        snprintf(d, sizeof d, "sni=%s", t->seen.sni[0] ? t->seen.sni : "-");
        note(t, TLS_EV_HELLO, d);
        break;
      } else if (e == SSL_ERROR_WANT_READ) {
        break;
      } else {
        t->mode = M_FAILED;
        note(t, TLS_EV_FAILED, why ? why : "handshake failed");
        break;
      }
    }
    if (t->mode != M_OPEN) break;
    while (t->reading && !t->closing && !t->eof_sent) {
      int r = SSL_read(t->ssl, t->readbuf, (int)t->readbuf_size);
      if (r > 0) {
        flush(t, false); /* a read can answer too (a key update) */
        t->base.ev->read(t->base.owner, r, t->readbuf);
        continue;
      }
      int e = SSL_get_error(t->ssl, r);
      char buf[160];
      const char *why = e == SSL_ERROR_SSL ? tls_error_text("bad record", buf, sizeof buf) : NULL;
      ERR_clear_error();
      flush(t, false);
      if (e == SSL_ERROR_ZERO_RETURN) {
        note(t, TLS_EV_CLOSE_NOTIFY_IN, NULL);
        t->eof_sent = true;
        if (!t->closing) t->base.ev->read(t->base.owner, UV_EOF, NULL);
      } else if (e == SSL_ERROR_SSL) {
        /* A record that does not decrypt: the session is over; the owner sees a broken
         * connection, as it would an RST. */
        t->mode = M_FAILED;
        note(t, TLS_EV_FAILED, why);
        t->eof_sent = true;
        if (!t->closing) t->base.ev->read(t->base.owner, UV_EPROTO, NULL);
      }
      break; /* WANT_READ: rbio is empty */
    }
  } while (t->again && !t->closing);
  t->in_drive = false;
}

/* ---- events from below ---------------------------------------------------------------- */

static void tcp_read(void *owner, ssize_t n, const char *data) {
  struct tls *t = owner;
  if (t->closing) return;
  if (n < 0) {
    if (t->eof_sent) return; /* the owner heard the session end already: close_notify, a bad record */
    if (t->mode == M_OPEN && n == UV_EOF) note(t, TLS_EV_EOF_NO_NOTIFY, NULL);
    t->eof_sent = true;
    t->base.ev->read(t->base.owner, n, NULL);
    return;
  }
  switch (t->mode) {
  case M_RAW:
    t->base.ev->read(t->base.owner, n, data);
    return;
  case M_FAILED:
    return;
  default:
    BIO_write(t->rbio, data, (int)n);
    drive(t);
  }
}

static void tcp_written(void *owner, int status) {
  struct tls *t = owner;
  struct out *o = t->head;
  assert(o);
  t->head = o->next;
  if (!t->head) t->tail = NULL;
  bool owners = o->owners;
  free(o);
  if (!owners) return; /* a handshake flight: a failure shows in the next read */
  assert(t->base.pending_writes > 0);
  t->base.pending_writes--;
  if (!t->closing) t->base.ev->written(t->base.owner, status);
}

static void tcp_shut(void *owner, int status) {
  struct tls *t = owner;
  if (!t->closing) t->base.ev->shut(t->base.owner, status);
}

static void tcp_closed(void *owner) {
  struct tls *t = owner;
  const struct transport_events *ev = t->base.ev;
  void *up = t->base.owner;
  while (t->head) {
    struct out *o = t->head;
    t->head = o->next;
    free(o);
  }
  SSL_free(t->ssl); /* frees both BIOs */
  free(t);
  ev->closed(up);
}

static const struct transport_events tcp_events = {
    .read = tcp_read, .written = tcp_written, .shut = tcp_shut, .closed = tcp_closed,
};

/* ---- operations ------------------------------------------------------------------------ */

static int tls_read_start(struct transport *tr) {
  struct tls *t = tls_of(tr);
  t->reading = true;
  int rc = transport_read_start(t->tcp);
  /* Plaintext OpenSSL decrypted already and the owner did not take (it had stopped). */
  if (rc == 0 && t->mode == M_OPEN && SSL_pending(t->ssl) > 0) drive(t);
  return rc;
}

static void tls_read_stop(struct transport *tr) {
  struct tls *t = tls_of(tr);
  t->reading = false;
  transport_read_stop(t->tcp);
}

static int tls_write(struct transport *tr, const char *p, size_t len, struct plan *owner) {
  struct tls *t = tls_of(tr);
  assert(!t->closing);
  if (len == 0) return 0;
  switch (t->mode) {
  case M_RAW:
    return down(t, p, len, true, owner);
  case M_OPEN: {
    /* A memory BIO takes everything: SSL_write encrypts all of it, in records of at most
     * 16 KiB (RFC 8446 5.1), and returns. */
    int r = SSL_write(t->ssl, p, (int)len);
    ERR_clear_error();
    if (r <= 0) return UV_EPROTO;
    return flush(t, true);
  }
  default:
    return UV_ENOTCONN; /* no session to write in */
  }
}

static int tls_shutdown(struct transport *tr) {
  struct tls *t = tls_of(tr);
  assert(!t->closing);
  if (t->mode == M_OPEN && t->close_notify) {
    SSL_shutdown(t->ssl); /* queues our close_notify; the peer's may come or not */
    ERR_clear_error();
    note(t, TLS_EV_CLOSE_NOTIFY_OUT, NULL);
    int rc = flush(t, false);
    if (rc < 0) return rc;
  }
  return transport_shutdown(t->tcp);
}

static void tls_close(struct transport *tr) {
  struct tls *t = tls_of(tr);
  assert(!t->closing);
  t->closing = true;
  transport_close(t->tcp);
}

static void tls_reset(struct transport *tr) {
  struct tls *t = tls_of(tr);
  assert(!t->closing);
  t->closing = true;
  transport_reset(t->tcp);
}

static bool tls_peer_reset_pending(struct transport *tr) { return transport_peer_reset_pending(tls_of(tr)->tcp); }

static int tls_peer_address(struct transport *tr, struct sockaddr_storage *out) {
  return transport_peer_address(tls_of(tr)->tcp, out);
}

static void tls_set_close_notify(struct transport *tr, bool send) { tls_of(tr)->close_notify = send; }

static bool tls_is_raw(struct transport *tr) { return tls_of(tr)->mode == M_RAW; }

static const struct transport_ops tls_ops = {
    .read_start = tls_read_start,
    .read_stop = tls_read_stop,
    .write = tls_write,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .reset = tls_reset,
    .peer_reset_pending = tls_peer_reset_pending,
    .peer_address = tls_peer_address,
    .set_close_notify = tls_set_close_notify,
    .is_raw = tls_is_raw,
};

int transport_tls_accept(uv_stream_t *listener, const struct tls_server *ts, char *readbuf, size_t readbuf_size,
                         const struct transport_events *ev, void *owner, struct transport **out) {
  struct tls *t = calloc(1, sizeof *t);
  if (!t) return UV_ENOMEM;
  t->base.ops = &tls_ops;
  t->base.ev = ev;
  t->base.owner = owner;
  t->readbuf = readbuf;
  t->readbuf_size = readbuf_size;
  t->close_notify = true;
  t->ssl = tls_server_ssl(ts, &t->seen);
  t->rbio = BIO_new(BIO_s_mem());
  t->wbio = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->rbio || !t->wbio) {
    SSL_free(t->ssl);
    BIO_free(t->rbio);
    BIO_free(t->wbio);
    free(t);
    return UV_ENOMEM;
  }
  /* An empty memory BIO says "retry", not end of file: more records may come. */
  BIO_set_mem_eof_return(t->rbio, -1);
  SSL_set_bio(t->ssl, t->rbio, t->wbio);
  int rc = transport_tcp_accept(listener, readbuf, readbuf_size, &tcp_events, t, &t->tcp);
  if (rc < 0) {
    SSL_free(t->ssl);
    free(t);
    return rc;
  }
  *out = &t->base;
  return 0;
}
