/* transport.h: what carries a connection's bytes, behind one small interface.
 *
 * The connection (conn.c) and its steps (steps.c) never touch a socket: they read, write,
 * FIN, RST and let go through a struct transport. Two implementations, and room for more:
 *   - plain TCP over libuv (transport_tcp.c);
 *   - TLS (transport_tls.c): a transport over a TCP transport of its own, on the same loop,
 *     with OpenSSL memory BIOs: bytes from below go into the BIO and what decrypts goes up
 *     through `read`; `write` encrypts and hands the records down; `shutdown` sends
 *     close_notify, then the FIN below; `reset` resets below;
 *   - next, an HTTP/2 stream: `write` sends DATA, `shutdown` END_STREAM, `reset` RST_STREAM.
 * A fault particular to one transport (a TLS alert, a GOAWAY) is a step of its own, not an
 * operation here.
 *
 * Rules every implementation keeps:
 *   - Loop thread only. Operations return 0 or a negative libuv error (UV_E*). A failed
 *     operation leaves nothing queued and calls nothing back. No operation ends the
 *     connection on its own: the caller decides what a failure means.
 *   - Callbacks go to the owner given when the transport was made. After close or reset
 *     has been asked for, the only callback is `closed`, exactly once; the transport has
 *     then freed itself and must not be used.
 *   - Bytes written go out in the order they were given. A write that cannot go out at
 *     once is queued, and pending_writes counts it until its `written` callback.
 */
#ifndef BADUP_TRANSPORT_H
#define BADUP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <uv.h>

#include "plan.h"

struct transport;

/* What a TLS transport tells its owner besides bytes (transport_tls.c). detail is a short
 * text for the connection's events, valid during the call. */
enum transport_tls_event {
  TLS_EV_HELLO,        /* the ClientHello came and the scenario has handshake steps: the
                          transport is raw from now on (writes go out as written, reads come
                          in as read); detail: what the hello asked ("sni=localhost") */
  TLS_EV_ESTABLISHED,  /* the handshake completed; detail: "TLSv1.3 sni=... alpn=..." */
  TLS_EV_FAILED,       /* the handshake failed; detail: OpenSSL's reason ("tlsv1 alert
                          unknown ca": the peer's alert). An alert of ours is queued; reads
                          stop mattering; the owner ends the connection */
  TLS_EV_CLOSE_NOTIFY_IN,  /* the peer's close_notify (RFC 8446 6.1): UV_EOF follows */
  TLS_EV_EOF_NO_NOTIFY,    /* the peer's FIN came without close_notify: UV_EOF follows */
  TLS_EV_CLOSE_NOTIFY_OUT  /* ours is queued ahead of the FIN (shutdown) */
};

/* What a transport tells its owner. */
struct transport_events {
  /* nread > 0: that many bytes arrived at data, which is valid during the call only.
   * nread < 0: input ended: UV_EOF for the peer's FIN (see peer_reset_pending), another
   * code for a reset or a failure. Reading goes on until read_stop or close. */
  void (*read)(void *owner, ssize_t nread, const char *data);
  /* A queued write completed: status 0, or a negative error (the peer reset, ...).
   * pending_writes has already dropped by one. */
  void (*written)(void *owner, int status);
  /* The FIN asked for by shutdown went out after every queued write (0) or failed (< 0). */
  void (*shut)(void *owner, int status);
  /* Close or reset is done: the owner may free what the transport pointed to. */
  void (*closed)(void *owner);
  /* TLS transports only (may be NULL): the session's own news. */
  void (*tls)(void *owner, enum transport_tls_event what, const char *detail, size_t len);
};

struct transport_ops {
  /* Starts delivering input to `read`; starting twice is harmless. */
  int (*read_start)(struct transport *t);
  /* Stops reading: unread input stays in the kernel, whose window closes on the peer. */
  void (*read_stop)(struct transport *t);
  /* Writes len bytes at p after everything written before. The bytes must stay valid
   * until the write completes, so they belong to a plan (`owner`: the transport holds a
   * reference on it, plan_ref, until then) or are static (owner NULL). Returns 0 once the
   * bytes are out or queued. */
  int (*write)(struct transport *t, const char *p, size_t len, struct plan *owner);
  /* Sends the FIN (TCP's half-close: shutdown(SHUT_WR)) once queued writes are out; input
   * goes on. close(), halfclose() and the connection's own endings all use it; they differ
   * in what the connection does afterwards. `shut` follows unless this fails. */
  int (*shutdown)(struct transport *t);
  /* Lets go: close(2). A FIN goes out if shutdown did not send one, unless input is left
   * unread, when the kernel sends an RST instead (which is why a connection drains after
   * its FIN before letting go). Writes still queued here are dropped; what the kernel
   * already holds goes out first. `closed` follows. */
  void (*close)(struct transport *t);
  /* Lets go with an RST (SO_LINGER 0, then close): queued and unsent bytes are dropped.
   * `closed` follows. */
  void (*reset)(struct transport *t);
  /* After `read` reported UV_EOF: true when the peer reset rather than closed. Linux
   * reports an RST that follows a short read as end of file, leaving the reset as the
   * socket's pending error. */
  bool (*peer_reset_pending)(struct transport *t);
  /* The peer's address. Returns 0 or a negative error. */
  int (*peer_address)(struct transport *t, struct sockaddr_storage *out);
  /* TLS only (NULL otherwise): whether shutdown sends close_notify before the FIN
   * (default yes; close{ close_notify = false } says no). */
  void (*set_close_notify)(struct transport *t, bool send);
  /* TLS only (NULL otherwise): true when bytes go out as written, unencrypted (before a
   * session exists: tls.handshake steps). */
  bool (*is_raw)(struct transport *t);
};

struct transport {
  const struct transport_ops *ops;
  const struct transport_events *ev;
  void *owner;             /* the first argument of every callback */
  uint32_t pending_writes; /* writes queued and not completed yet */
};

static inline int transport_read_start(struct transport *t) { return t->ops->read_start(t); }
static inline void transport_read_stop(struct transport *t) { t->ops->read_stop(t); }
static inline int transport_write(struct transport *t, const char *p, size_t len, struct plan *owner) {
  return t->ops->write(t, p, len, owner);
}
static inline int transport_shutdown(struct transport *t) { return t->ops->shutdown(t); }
static inline void transport_close(struct transport *t) { t->ops->close(t); }
static inline void transport_reset(struct transport *t) { t->ops->reset(t); }
static inline bool transport_peer_reset_pending(struct transport *t) { return t->ops->peer_reset_pending(t); }
static inline int transport_peer_address(struct transport *t, struct sockaddr_storage *out) {
  return t->ops->peer_address(t, out);
}

static inline void transport_set_close_notify(struct transport *t, bool send) {
  if (t->ops->set_close_notify) t->ops->set_close_notify(t, send);
}
/* Plain TCP is raw; TLS only before its session. */
static inline bool transport_is_raw(struct transport *t) { return !t->ops->is_raw || t->ops->is_raw(t); }

/* ---- transport_tcp.c ------------------------------------------------------------------- */

/* Accepts the next connection of `listener` as a plain TCP transport (TCP_NODELAY: every
 * write is its own segment, so dribbles stay dribbles). Input is read into readbuf, which
 * the loop's connections share: `read` consumes it before returning. Returns 0 with *out
 * set, or a negative error with nothing left behind. */
int transport_tcp_accept(uv_stream_t *listener, char *readbuf, size_t readbuf_size,
                         const struct transport_events *ev, void *owner, struct transport **out);

/* ---- transport_tls.c ------------------------------------------------------------------- */

struct tls_server; /* tls_server.h: a scenario's SSL_CTX and what it checks */

/* Accepts the next connection of `listener` as TLS over plain TCP, the server side of a
 * handshake that starts when the peer's ClientHello comes. Plaintext goes up through `read`
 * from readbuf (shared as for TCP). Returns 0 with *out set, or a negative error with
 * nothing left behind. */
int transport_tls_accept(uv_stream_t *listener, const struct tls_server *ts, char *readbuf, size_t readbuf_size,
                         const struct transport_events *ev, void *owner, struct transport **out);

#endif
