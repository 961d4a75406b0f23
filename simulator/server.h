/* server.h: the data plane: one libuv loop, its listener, its connections.
 *
 * Threading: everything here runs on the loop's thread except what is marked otherwise.
 * The control API thread only reads atomics and the event log, and asks for a change of
 * default scenario through server_select_default, which hands the work to the loop and
 * waits for it to be done. */
#ifndef BADUP_SERVER_H
#define BADUP_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "buf.h"
#include "events.h"
#include "listener.h"
#include "plan.h"
#include "received.h"
#include "request.h"
#include "scenario.h"

struct conn;

/* A named point one side of an exchange reaches and the other waits for (VTest's
 * barrier): a plan's barrier("response_head", 1) waits until the harness's client says,
 * through the control API, that it has the response head. Reached stays reached until
 * the barriers are reset (DELETE /barriers), so a late waiter passes at once. */
#define MAX_BARRIERS 32
struct barrier {
  char name[BARRIER_NAME_MAX];
  bool reached;
  uint64_t reaches; /* times it was reached since the last reset */
};

/* One upstream: a listening port of its own, with its own listener mode (a scenario's
 * `upstreams` may refuse on one port and answer on another). */
struct upstream_port {
  struct server *srv;
  int index;                    /* 0-based; the upstream's number is index + 1 */
  struct sockaddr_storage addr; /* bound address, with the real port */
  char addr_str[64];
  struct listener lst;
  _Atomic uint64_t connections, requests; /* since the last /stats/reset */
};

struct tls_server;

struct server {
  uv_loop_t *loop;
  struct scenario *scenarios;
  size_t nscenarios;
  bool routed;          /* several scenarios: the first path segment picks one */
  bool collect;         /* some scenario has a plan function: keep request details */
  _Atomic int default_idx;
  int linger_ms;        /* after our FIN: how long to drain before closing */

  struct upstream_port ups[SCENARIO_MAX_UPSTREAMS];
  int nups;             /* listening ports; 0 before server_start means 1 */

  uv_signal_t sigint, sigterm, sighup;
  uv_async_t async;
  pthread_mutex_t call_mu; /* one server_call at a time */
  pthread_mutex_t mu;   /* guards the call_* fields */
  pthread_cond_t cv;
  void (*call_fn)(struct server *srv, void *arg);
  void *call_arg;
  uint64_t call_gen, call_done_gen;
  bool calls_closed;    /* the loop is stopping: no more calls */

  struct barrier barriers[MAX_BARRIERS]; /* loop thread only */
  size_t nbarriers;

  /* TLS (tls_server.h), built by serve_tls_setup: a scenario's own, by index, or NULL;
   * tls_all serves every scenario without one when `badup serve --tls` asks for it. */
  struct tls_server **tls;
  struct tls_server *tls_all;

  struct event_log log;
  struct received_log received; /* every request the upstreams received (GET /requests) */
  _Atomic int64_t open_conns;
  _Atomic uint64_t total_conns, total_requests, bad_requests;
  uint64_t next_conn_id;
  uint64_t freed_since_trim; /* connections freed since the last malloc_trim */
  struct conn *conns;   /* every live connection, for shutdown */
  bool stopping;
  char readbuf[64 * 1024]; /* shared by all reads: read callbacks consume it at once */
};

/* Sets up the server on loop: binds srv->nups ports (upstream 1 on addr, port 0 allowed; the
 * others on addr's host, ports the kernel picks) and applies the default scenario's listener
 * mode on each. Returns 0 or a negative libuv/errno code with *why set. */
int server_start(struct server *srv, uv_loop_t *loop, const struct sockaddr *addr, const char **why);

/* Stops accepting and releases every connection (conn_release); the loop then runs out.
 * Loop thread. */
void server_stop(struct server *srv);

/* Frees what server_start allocated, after the loop has ended. */
void server_destroy(struct server *srv);

/* Any thread except the loop's: runs fn(srv, arg) on the loop's thread and waits until it
 * has run. Returns 0, or -ECANCELED when the loop is stopping (fn then never runs). One
 * call at a time; fn must not block. */
int server_call(struct server *srv, void (*fn)(struct server *srv, void *arg), void *arg);

/* Any thread except the loop's: makes scenario idx the default and waits until the
 * listener reflects it. Returns 0 or a negative error. */
int server_select_default(struct server *srv, int idx);

/* Loop thread: marks barrier `name` reached and releases its waiters. Returns 0, or
 * -EINVAL for a name that is empty, too long or not [A-Za-z0-9_.-], -ENOSPC when
 * MAX_BARRIERS names are in use. */
int server_barrier_reach(struct server *srv, const char *name);
/* Loop thread: the barrier of that name, or NULL when it was never reached. */
const struct barrier *server_barrier_find(const struct server *srv, const char *name, size_t len);
/* Loop thread: forgets every barrier (none is reached any more). */
void server_barriers_reset(struct server *srv);
/* Loop thread: a copy of the record of every connection still open (newest first, at
 * most `limit`), with the name of what each is doing ("reading", "stalled", ...) in
 * states[i]. The caller frees each record with conn_record_free, then the arrays. */
size_t server_open_records(struct server *srv, size_t limit, struct conn_record **records, const char ***states);

/* Loop thread: apply a default scenario now. */
int server_apply_default(struct server *srv, int idx);

/* The TLS a connection gets while scenario idx is the default, or NULL: plain TCP. */
static inline const struct tls_server *server_tls_of(const struct server *srv, int idx) {
  return srv->tls && srv->tls[idx] ? srv->tls[idx] : srv->tls_all;
}

/* Index of a scenario by name, or -1. Any thread (scenarios never change after start). */
int server_find(const struct server *srv, const char *name, size_t len);

#endif
