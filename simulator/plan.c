/* plan.c: order rules and the self-contained compiled form of a plan. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

const char *const step_names[STEP__COUNT] = {
#define BADUP_STEP_NAME(id, name, kind, ctor, exec) name,
    BADUP_STEPS(BADUP_STEP_NAME)
#undef BADUP_STEP_NAME
};

const enum step_kind step_kinds[STEP__COUNT] = {
#define BADUP_STEP_KIND(id, name, kind, ctor, exec) kind,
    BADUP_STEPS(BADUP_STEP_KIND)
#undef BADUP_STEP_KIND
};

const char *plan_check(const struct step *const *steps, size_t n, size_t *bad) {
  *bad = 0;
  if (n == 0) return "a plan needs at least one step";
  if (n > 1000) {
    *bad = 1000;
    return "a plan has at most 1000 steps";
  }
  for (size_t i = 0; i < n; i++) {
    enum step_kind k = step_kinds[steps[i]->op];
    *bad = i;
    switch (k) {
    case STEP_KIND_LISTENER:
      if (n != 1) return "a listener step (refuse, blackhole, accept_close, accept_reset) must be the only step of its plan";
      break;
    case STEP_KIND_START:
      if (i != 0) return "rxreq() and rxhdrs() can only be the first step of a plan";
      break;
    case STEP_KIND_END:
      if (i != n - 1) return "nothing can follow an ending step (close, reset, halfclose, keepalive)";
      break;
    case STEP_KIND_ACTION:
      break;
    }
  }
  return NULL;
}

struct plan *plan_build(const struct step *const *steps, size_t n, uint32_t refs) {
  size_t pool = 0, nsteps = 0;
  for (size_t i = 0; i < n; i++) {
    if (step_kinds[steps[i]->op] == STEP_KIND_START) continue;
    pool += steps[i]->len;
    nsteps++;
  }
  struct plan *p = malloc(sizeof *p + nsteps * sizeof(struct step) + pool);
  if (!p) return NULL;
  p->refs = refs;
  p->nsteps = (uint16_t)nsteps;
  p->start = STEP_RXREQ;
  p->listener = STEP__COUNT;
  char *out = (char *)&p->steps[nsteps];
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    const struct step *s = steps[i];
    if (step_kinds[s->op] == STEP_KIND_START) {
      p->start = (uint8_t)s->op;
      continue;
    }
    if (step_kinds[s->op] == STEP_KIND_LISTENER) p->listener = (uint8_t)s->op;
    p->steps[j] = *s;
    if (s->len) {
      memcpy(out, s->bytes, s->len);
      p->steps[j].bytes = out;
      out += s->len;
    } else {
      p->steps[j].bytes = NULL;
    }
    j++;
  }
  return p;
}

void plan_ref(struct plan *p) {
  if (p && p->refs) p->refs++;
}

void plan_unref(struct plan *p) {
  if (p && p->refs && --p->refs == 0) free(p);
}

void plan_free(struct plan *p) { free(p); }

bool barrier_name_valid(const char *name, size_t len) {
  if (len == 0 || len >= BARRIER_NAME_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    char ch = name[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}
