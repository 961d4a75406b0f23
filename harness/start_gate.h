/* start_gate.h: how many cases of `badup run` may be starting at once.
 *
 * A case spends most of its time blocked on a timeout (the proxy's 2 s read timeout, the
 * client's grace), which costs no CPU; what costs CPU is starting the simulator and the
 * proxy (varnish compiles its VCL, trafficserver and node load for a tenth of a second or
 * more). So `badup run` lets many cases be in flight (--jobs) but only a few be starting:
 * a case takes a slot before its simulator starts and gives it back once its proxy listens
 * (or failed to), before it sends its request. A proxy started while the other cases wait
 * is a proxy started ahead of its case's need, without stealing the CPU from a proxy that
 * is timing out right now (a late timer would turn a 504 into something else).
 *
 * Slots are counted, no order is promised among waiters. Thread-safe. */
#ifndef BADUP_START_GATE_H
#define BADUP_START_GATE_H

#include <pthread.h>
#include <stdbool.h>

struct start_gate {
  pthread_mutex_t mu;
  pthread_cond_t freed;
  int slots;     /* how many may hold a slot at once, >= 1 */
  int held;      /* how many hold one now */
  int most_held; /* the most that ever held one at once (what tests check) */
  long entered;  /* how many times a slot was taken */
  bool closed;   /* start_gate_close: every wait returns at once */
};

/* slots < 1 counts as 1. */
void start_gate_init(struct start_gate *g, int slots);
void start_gate_destroy(struct start_gate *g);

/* Waits for a free slot and takes it. false when the gate was closed (an interrupted run):
 * the caller holds nothing and must not call start_gate_leave. */
bool start_gate_enter(struct start_gate *g);
void start_gate_leave(struct start_gate *g);

/* Wakes every waiter for good: no slot is handed out any more (Ctrl-C). */
void start_gate_close(struct start_gate *g);

/* The default number of slots: the cores (sysconf), at least 1. */
int start_gate_default_slots(void);

#endif
