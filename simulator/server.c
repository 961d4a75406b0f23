/* server.c: the data plane's setup, its default scenario, and its stop. */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "conn.h"

int server_apply_default(struct server *srv, int idx) {
  for (int u = 0; u < srv->nups; u++) {
    const char *why = NULL;
    int rc = listener_set(&srv->ups[u], listener_mode_for(&srv->scenarios[idx], u), &why);
    if (rc < 0) {
      fprintf(stderr, "badup: cannot switch the listener of upstream %d to %s: %s: %s\n", u + 1,
              srv->scenarios[idx].name, why ? why : "?", strerror(-rc));
      return rc;
    }
  }
  atomic_store(&srv->default_idx, idx);
  return 0;
}

/* The control API's thread hands work to the loop through one slot: server_call fills it
 * and waits; the async callback runs it on the loop's thread and signals. Stopping closes
 * the slot, so a waiter never waits on a loop that has gone. */
static void on_async(uv_async_t *a) {
  struct server *srv = a->data;
  pthread_mutex_lock(&srv->mu);
  void (*fn)(struct server *, void *) = srv->call_fn;
  void *arg = srv->call_arg;
  uint64_t gen = srv->call_gen;
  srv->call_fn = NULL;
  pthread_mutex_unlock(&srv->mu);
  if (fn) fn(srv, arg);
  pthread_mutex_lock(&srv->mu);
  if (fn) srv->call_done_gen = gen;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
}

int server_call(struct server *srv, void (*fn)(struct server *srv, void *arg), void *arg) {
  pthread_mutex_lock(&srv->call_mu);
  pthread_mutex_lock(&srv->mu);
  int rc = 0;
  if (srv->calls_closed) {
    rc = -ECANCELED;
  } else {
    uint64_t gen = ++srv->call_gen;
    srv->call_fn = fn;
    srv->call_arg = arg;
    uv_async_send(&srv->async);
    /* No deadline: arg may point at the caller's stack, so returning before fn ran would
     * leave the loop a dangling pointer. The loop never blocks, and a stop wakes us. */
    while (srv->call_done_gen < gen && !srv->calls_closed) pthread_cond_wait(&srv->cv, &srv->mu);
    if (srv->call_done_gen < gen) rc = -ECANCELED;
  }
  pthread_mutex_unlock(&srv->mu);
  pthread_mutex_unlock(&srv->call_mu);
  return rc;
}

struct select_call {
  int idx, rc;
};

static void select_on_loop(struct server *srv, void *arg) {
  struct select_call *sc = arg;
  sc->rc = srv->stopping ? -ECANCELED : server_apply_default(srv, sc->idx);
}

int server_select_default(struct server *srv, int idx) {
  struct select_call sc = {idx, 0};
  int rc = server_call(srv, select_on_loop, &sc);
  return rc < 0 ? rc : sc.rc;
}

const struct barrier *server_barrier_find(const struct server *srv, const char *name, size_t len) {
  for (size_t i = 0; i < srv->nbarriers; i++)
    if (strlen(srv->barriers[i].name) == len && memcmp(srv->barriers[i].name, name, len) == 0) return &srv->barriers[i];
  return NULL;
}

int server_barrier_reach(struct server *srv, const char *name) {
  size_t len = strlen(name);
  if (!barrier_name_valid(name, len)) return -EINVAL;
  struct barrier *b = (struct barrier *)server_barrier_find(srv, name, len);
  if (!b) {
    if (srv->nbarriers == MAX_BARRIERS) return -ENOSPC;
    b = &srv->barriers[srv->nbarriers++];
    memset(b, 0, sizeof *b);
    memcpy(b->name, name, len + 1);
  }
  b->reached = true;
  b->reaches++;
  conn_barrier_reached(srv, b->name);
  return 0;
}

void server_barriers_reset(struct server *srv) { srv->nbarriers = 0; }

int server_find(const struct server *srv, const char *name, size_t len) {
  for (size_t i = 0; i < srv->nscenarios; i++)
    if (strlen(srv->scenarios[i].name) == len && memcmp(srv->scenarios[i].name, name, len) == 0) return (int)i;
  return -1;
}

int server_start(struct server *srv, uv_loop_t *loop, const struct sockaddr *addr, const char **why) {
  srv->loop = loop;
  if (srv->nups < 1) srv->nups = 1;
  if (srv->nups > SCENARIO_MAX_UPSTREAMS) srv->nups = SCENARIO_MAX_UPSTREAMS;
  for (int i = 0; i < srv->nups; i++) {
    struct upstream_port *u = &srv->ups[i];
    u->srv = srv;
    u->index = i;
    u->lst.mode = LISTEN_NONE;
    u->lst.raw_fd = u->lst.filler_fd = -1;
    memcpy(&u->addr, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    /* Upstream 1 gets the address asked for; the others the same host, a port each of the
     * kernel's choosing. */
    if (i > 0 && u->addr.ss_family == AF_INET6) ((struct sockaddr_in6 *)&u->addr)->sin6_port = 0;
    else if (i > 0) ((struct sockaddr_in *)&u->addr)->sin_port = 0;
  }
  if (!srv->linger_ms) srv->linger_ms = 2000;
  event_log_init(&srv->log);
  received_init(&srv->received);
  pthread_mutex_init(&srv->mu, NULL);
  pthread_mutex_init(&srv->call_mu, NULL);
  pthread_cond_init(&srv->cv, NULL);
  for (size_t i = 0; i < srv->nscenarios; i++)
    for (int u = 0; u < srv->scenarios[i].nupstreams || u == 0; u++)
      if (scenario_upstream(&srv->scenarios[i], u).kind == SCENARIO_FUNCTION) srv->collect = true;
  uv_async_init(loop, &srv->async, on_async);
  srv->async.data = srv;
  for (int i = 0; i < srv->nups; i++) {
    struct upstream_port *u = &srv->ups[i];
    int rc = listener_set(u, listener_mode_for(&srv->scenarios[atomic_load(&srv->default_idx)], i), why);
    if (rc < 0) return rc;
    /* The address with the real port, for the start-up line. */
    addr_format(&u->addr, u->addr_str, sizeof u->addr_str);
  }
  return 0;
}

void server_stop(struct server *srv) {
  if (srv->stopping) return;
  srv->stopping = true;
  for (int i = 0; i < srv->nups; i++) listener_close(&srv->ups[i]);
  for (struct conn *c = srv->conns; c; c = c->next) conn_release(c, END_SHUTDOWN);
  /* Wake any control-API thread still waiting for a call, and refuse new ones. */
  pthread_mutex_lock(&srv->mu);
  srv->calls_closed = true;
  srv->call_fn = NULL;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
  uv_close((uv_handle_t *)&srv->async, NULL);
}

void server_destroy(struct server *srv) {
  event_log_destroy(&srv->log);
  received_destroy(&srv->received);
  pthread_mutex_destroy(&srv->mu);
  pthread_mutex_destroy(&srv->call_mu);
  pthread_cond_destroy(&srv->cv);
}
