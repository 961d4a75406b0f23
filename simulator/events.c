/* events.c: per-connection event records and the ring of recent connections. */
#include "events.h"

#include <stdlib.h>
#include <string.h>

const char *const conn_end_names[] = {
#define BADUP_END_NAME(id, name) name,
    BADUP_CONN_ENDS(BADUP_END_NAME)
#undef BADUP_END_NAME
};

const char *const event_kind_names[] = {
#define BADUP_EV_NAME(id, name) name,
    BADUP_EVENT_KINDS(BADUP_EV_NAME)
#undef BADUP_EV_NAME
};

void conn_record_add(struct conn_record *r, uint32_t t_us, enum event_kind kind, const char *detail,
                     size_t len) {
  if (r->nevents == r->cap && r->cap >= EVENTS_PER_CONN) {
    r->dropped++;
    /* The close still goes in, over the last event: when and how a long connection ended
     * is what a reader of a full record needs most (the expect's upstream_closed_s). */
    if (kind != EV_CLOSE) return;
    r->nevents--;
  }
  if (r->nevents == r->cap) {
    uint16_t cap = r->cap ? (uint16_t)(r->cap * 2) : 4;
    struct conn_event *e = realloc(r->events, cap * sizeof *e);
    if (!e) {
      r->dropped++;
      return;
    }
    r->events = e;
    r->cap = cap;
  }
  struct conn_event *e = &r->events[r->nevents++];
  e->t_us = t_us;
  e->kind = (uint8_t)kind;
  if (len > sizeof e->detail) {
    /* Cut, and say so: a reader must not take a cut message for the whole one. */
    memcpy(e->detail, detail, sizeof e->detail - 3);
    memcpy(e->detail + sizeof e->detail - 3, "...", 3);
    e->detail_len = (uint8_t)sizeof e->detail;
    return;
  }
  e->detail_len = (uint8_t)len;
  if (len) memcpy(e->detail, detail, len);
}

void conn_record_free(struct conn_record *r) {
  free(r->events);
  r->events = NULL;
  r->nevents = r->cap = 0;
}

void event_log_init(struct event_log *log) {
  memset(log, 0, sizeof *log);
  pthread_mutex_init(&log->mu, NULL);
}

void event_log_push(struct event_log *log, struct conn_record *r) {
  pthread_mutex_lock(&log->mu);
  struct conn_record *slot = &log->ring[log->next];
  conn_record_free(slot);
  *slot = *r;
  log->next = (log->next + 1) % EVENT_LOG_CAP;
  if (log->count < EVENT_LOG_CAP) log->count++;
  pthread_mutex_unlock(&log->mu);
  r->events = NULL;
  r->nevents = r->cap = 0;
}

void event_log_clear(struct event_log *log) {
  pthread_mutex_lock(&log->mu);
  for (size_t i = 0; i < EVENT_LOG_CAP; i++) conn_record_free(&log->ring[i]);
  log->next = log->count = 0;
  pthread_mutex_unlock(&log->mu);
}

void event_log_destroy(struct event_log *log) {
  event_log_clear(log);
  pthread_mutex_destroy(&log->mu);
}

void event_log_each(struct event_log *log, size_t limit,
                    void (*fn)(const struct conn_record *r, void *arg), void *arg) {
  pthread_mutex_lock(&log->mu);
  size_t n = log->count < limit ? log->count : limit;
  size_t start = (log->next + EVENT_LOG_CAP - n) % EVENT_LOG_CAP;
  for (size_t i = 0; i < n; i++) fn(&log->ring[(start + i) % EVENT_LOG_CAP], arg);
  pthread_mutex_unlock(&log->mu);
}
