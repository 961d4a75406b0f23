/* server.c: the data plane's setup, its default scenario, and its stop. */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"

static enum listener_mode mode_for(const struct scenario *s) {
  if (s->kind != SCENARIO_LISTENER) return LISTEN_ACCEPT;
  switch (s->plan->listener) {
  case STEP_REFUSE: return LISTEN_REFUSE;
  case STEP_BLACKHOLE: return LISTEN_BLACKHOLE;
  default: return LISTEN_ACCEPT; /* accept_close / accept_reset act on each accept */
  }
}

int server_apply_default(struct server *srv, int idx) {
  const char *why = NULL;
  int rc = listener_set(srv, mode_for(&srv->scenarios[idx]), &why);
  if (rc < 0) {
    fprintf(stderr, "badup: cannot switch the listener to %s: %s: %s\n", srv->scenarios[idx].name,
            why ? why : "?", strerror(-rc));
    return rc;
  }
  atomic_store(&srv->default_idx, idx);
  return 0;
}

static void on_async(uv_async_t *a) {
  struct server *srv = a->data;
  pthread_mutex_lock(&srv->mu);
  int idx = srv->select_idx;
  uint64_t gen = srv->select_gen;
  pthread_mutex_unlock(&srv->mu);
  int rc = srv->stopping ? -ECANCELED : server_apply_default(srv, idx);
  pthread_mutex_lock(&srv->mu);
  srv->select_done_gen = gen;
  srv->select_rc = rc;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
}

int server_select_default(struct server *srv, int idx) {
  pthread_mutex_lock(&srv->mu);
  if (srv->select_closed) {
    pthread_mutex_unlock(&srv->mu);
    return -ECANCELED;
  }
  uint64_t gen = ++srv->select_gen;
  srv->select_idx = idx;
  uv_async_send(&srv->async);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  int rc = 0;
  while (srv->select_done_gen < gen && rc == 0) rc = pthread_cond_timedwait(&srv->cv, &srv->mu, &deadline);
  int result = srv->select_done_gen >= gen ? srv->select_rc : -ETIMEDOUT;
  pthread_mutex_unlock(&srv->mu);
  return result;
}

int server_find(const struct server *srv, const char *name, size_t len) {
  for (size_t i = 0; i < srv->nscenarios; i++)
    if (strlen(srv->scenarios[i].name) == len && memcmp(srv->scenarios[i].name, name, len) == 0) return (int)i;
  return -1;
}

int server_start(struct server *srv, uv_loop_t *loop, const struct sockaddr *addr, const char **why) {
  srv->loop = loop;
  srv->lst.mode = LISTEN_NONE;
  srv->lst.raw_fd = srv->lst.filler_fd = -1;
  if (!srv->linger_ms) srv->linger_ms = 2000;
  memcpy(&srv->addr, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  event_log_init(&srv->log);
  pthread_mutex_init(&srv->mu, NULL);
  pthread_cond_init(&srv->cv, NULL);
  for (size_t i = 0; i < srv->nscenarios; i++)
    if (srv->scenarios[i].kind == SCENARIO_FUNCTION) srv->collect = true;
  uv_async_init(loop, &srv->async, on_async);
  srv->async.data = srv;
  int rc = listener_set(srv, mode_for(&srv->scenarios[atomic_load(&srv->default_idx)]), why);
  if (rc < 0) return rc;
  /* The address with the real port, for the start-up line. */
  addr_format(&srv->addr, srv->addr_str, sizeof srv->addr_str);
  return 0;
}

void server_stop(struct server *srv) {
  if (srv->stopping) return;
  srv->stopping = true;
  listener_close(srv);
  for (struct conn *c = srv->conns; c; c = c->next) conn_close(c, END_SHUTDOWN);
  /* Wake any control-API thread still waiting for a switch, and refuse new ones. */
  pthread_mutex_lock(&srv->mu);
  srv->select_closed = true;
  srv->select_done_gen = srv->select_gen;
  srv->select_rc = -ECANCELED;
  pthread_cond_broadcast(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
  uv_close((uv_handle_t *)&srv->async, NULL);
}

void server_destroy(struct server *srv) {
  event_log_destroy(&srv->log);
  pthread_mutex_destroy(&srv->mu);
  pthread_cond_destroy(&srv->cv);
}
