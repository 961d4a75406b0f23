/* start_gate.c: a counting semaphore over a mutex and a condition variable, which also
 * remembers how many held a slot at once (start_gate.h says why cases take one). */
#include "start_gate.h"

#include <unistd.h>

void start_gate_init(struct start_gate *g, int slots) {
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->freed, NULL);
  g->slots = slots < 1 ? 1 : slots;
  g->held = g->most_held = 0;
  g->entered = 0;
  g->closed = false;
}

void start_gate_destroy(struct start_gate *g) {
  pthread_cond_destroy(&g->freed);
  pthread_mutex_destroy(&g->mu);
}

bool start_gate_enter(struct start_gate *g) {
  pthread_mutex_lock(&g->mu);
  while (!g->closed && g->held >= g->slots) pthread_cond_wait(&g->freed, &g->mu);
  bool got = !g->closed;
  if (got) {
    g->held++;
    g->entered++;
    if (g->held > g->most_held) g->most_held = g->held;
  }
  pthread_mutex_unlock(&g->mu);
  return got;
}

void start_gate_leave(struct start_gate *g) {
  pthread_mutex_lock(&g->mu);
  if (g->held > 0) g->held--;
  pthread_cond_signal(&g->freed);
  pthread_mutex_unlock(&g->mu);
}

void start_gate_close(struct start_gate *g) {
  pthread_mutex_lock(&g->mu);
  g->closed = true;
  pthread_cond_broadcast(&g->freed);
  pthread_mutex_unlock(&g->mu);
}

int start_gate_default_slots(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}
