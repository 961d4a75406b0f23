/* listener.h: the listening socket, and every listener fault in one place.
 *
 * The four listener steps are faults of the listening socket, not of a connection:
 *   refuse:       the port stays bound but nobody listens: connects fail, ECONNREFUSED;
 *   blackhole:    SYNs go unanswered once the accept queue is full: connects time out;
 *   accept_close: each connection is accepted, then closed with a FIN;
 *   accept_reset: each connection is accepted, then reset.
 * The socket itself does refuse and blackhole (listener_set). The other two need a
 * connection: conn.c accepts it, waits listener_fault_wait seconds for the peer's first
 * bytes, and does listener_fault. A listener step can also be reached after the accept
 * (a folder of scenarios picks one by the request's path); listener_fault then says what
 * is left of the fault on that connection. Loop thread only. */
#ifndef BADUP_LISTENER_H
#define BADUP_LISTENER_H

#include <uv.h>

#include "plan.h"

struct server;
struct scenario;
struct upstream_port;
struct step_result;

enum listener_mode { LISTEN_ACCEPT, LISTEN_REFUSE, LISTEN_BLACKHOLE, LISTEN_NONE };

struct listener {
  enum listener_mode mode;
  uv_tcp_t *tcp; /* LISTEN_ACCEPT: heap, freed by its close callback */
  int raw_fd;    /* LISTEN_REFUSE, LISTEN_BLACKHOLE: bound socket; else -1 */
  int filler_fd; /* LISTEN_BLACKHOLE: the connection that keeps the backlog full */
};

/* The mode upstream `up`'s (0-based) listening socket needs while s is the default
 * scenario: refuse and blackhole for those steps, accept for everything else. */
enum listener_mode listener_mode_for(const struct scenario *s, int up);

/* Puts the upstream's listening socket in `mode`, on u->addr (a switch binds the same
 * address and port again at once). Returns 0, or a negative errno/libuv code with *why
 * naming the call that failed. */
int listener_set(struct upstream_port *u, enum listener_mode mode, const char **why);
void listener_close(struct upstream_port *u);

/* For a connection accepted under the listener plan p: seconds to wait for the peer's
 * whole request before the fault (so it always meets a peer whose connect() has completed
 * and whose writes are done); 0: at once. */
double listener_fault_wait(const struct plan *p);

/* What listener step `op` does to a connection that exists: accept_close a FIN,
 * accept_reset (and refuse, reached by path) an RST, blackhole silence until the peer
 * leaves. */
struct step_result listener_fault(enum step_op op);

#endif
