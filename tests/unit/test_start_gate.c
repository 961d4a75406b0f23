/* test_start_gate.c: harness/start_gate.c, the limit on cases starting at once in `badup
 * run`: never more holders than slots, every slot reachable at once, and a closed gate
 * releases its waiters. Checked by counting holders, never by the clock. */
#include <check.h>
#include <pthread.h>
#include <sched.h>

#include "start_gate.h"

struct shared {
  struct start_gate gate;
  pthread_mutex_t mu;
  int inside, most_inside, rounds;
  pthread_barrier_t all_in; /* for the test that every slot can be held at once */
};

/* Enters and leaves `rounds` times, counting who is inside in between. */
static void *churn(void *arg) {
  struct shared *s = arg;
  for (int i = 0; i < s->rounds; i++) {
    ck_assert(start_gate_enter(&s->gate));
    pthread_mutex_lock(&s->mu);
    int now = ++s->inside;
    if (now > s->most_inside) s->most_inside = now;
    pthread_mutex_unlock(&s->mu);
    sched_yield(); /* let others try to get in meanwhile */
    pthread_mutex_lock(&s->mu);
    s->inside--;
    pthread_mutex_unlock(&s->mu);
    start_gate_leave(&s->gate);
  }
  return NULL;
}

START_TEST(never_more_than_slots) {
  struct shared s = {.rounds = 200};
  start_gate_init(&s.gate, 2);
  pthread_mutex_init(&s.mu, NULL);
  pthread_t t[16];
  for (int i = 0; i < 16; i++) pthread_create(&t[i], NULL, churn, &s);
  for (int i = 0; i < 16; i++) pthread_join(t[i], NULL);
  ck_assert_int_le(s.most_inside, 2);
  ck_assert_int_le(s.gate.most_held, 2);
  ck_assert_int_eq(s.gate.entered, 16 * 200);
  ck_assert_int_eq(s.gate.held, 0);
  pthread_mutex_destroy(&s.mu);
  start_gate_destroy(&s.gate);
}
END_TEST

/* Three threads each hold a slot and meet inside: a gate of three that let fewer in would
 * never let the barrier open (the test's timeout is the failure). */
static void *meet_inside(void *arg) {
  struct shared *s = arg;
  ck_assert(start_gate_enter(&s->gate));
  pthread_barrier_wait(&s->all_in);
  start_gate_leave(&s->gate);
  return NULL;
}

START_TEST(every_slot_can_be_held_at_once) {
  struct shared s = {0};
  start_gate_init(&s.gate, 3);
  pthread_barrier_init(&s.all_in, NULL, 3);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, meet_inside, &s);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  ck_assert_int_eq(s.gate.most_held, 3);
  pthread_barrier_destroy(&s.all_in);
  start_gate_destroy(&s.gate);
}
END_TEST

static void *wait_for_slot(void *arg) {
  struct start_gate *g = arg;
  return (void *)(long)start_gate_enter(g);
}

/* An interrupted run closes the gate: a case waiting for a slot gets none and goes. */
START_TEST(close_releases_waiters) {
  struct start_gate g;
  start_gate_init(&g, 1);
  ck_assert(start_gate_enter(&g)); /* the only slot, held here */
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, wait_for_slot, &g);
  start_gate_close(&g);
  for (int i = 0; i < 4; i++) {
    void *got;
    pthread_join(t[i], &got);
    ck_assert_int_eq((long)got, 0);
  }
  ck_assert_int_eq(g.entered, 1);
  start_gate_leave(&g);
  ck_assert(!start_gate_enter(&g)); /* closed for good */
  start_gate_destroy(&g);
}
END_TEST

START_TEST(at_least_one_slot) {
  struct start_gate g;
  start_gate_init(&g, 0);
  ck_assert_int_eq(g.slots, 1);
  ck_assert(start_gate_enter(&g));
  start_gate_leave(&g);
  start_gate_destroy(&g);
  ck_assert_int_ge(start_gate_default_slots(), 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("start_gate");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, never_more_than_slots);
  tcase_add_test(tc, every_slot_can_be_held_at_once);
  tcase_add_test(tc, close_releases_waiters);
  tcase_add_test(tc, at_least_one_slot);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
