/* vocabulary.h: the Lua side of the step vocabulary: constructors checked at call time,
 * scenario{}, response{}, and the conversion of a list of steps to a compiled plan. */
#ifndef BADUP_VOCABULARY_H
#define BADUP_VOCABULARY_H

#include <stdbool.h>

#include <lua.h>

#include "buf.h"
#include "plan.h"

/* Registers the step constructors, scenario() and response() as globals. */
void vocabulary_open(lua_State *L);

/* Converts the list of steps at idx into a plan with `refs` references. On failure returns
 * NULL and sets *err to "source:line: message", the line being that of the offending step
 * (or `fallback_line` when no step is to blame). */
struct plan *vocabulary_to_plan(lua_State *L, int idx, uint32_t refs, const char *source,
                                int fallback_line, struct buf *err);

/* A new step as a Lua value (stack +1): its bytes copied, its line the caller's. For
 * constructors outside vocabulary.c (tls_vocabulary.c). */
struct step *vocabulary_new_step(lua_State *L, enum step_op op, const char *bytes, size_t len);

/* The step at idx, or NULL when the value is not one. */
const struct step *vocabulary_test_step(lua_State *L, int idx);

/* Checks the steps at h that answer something before any request (tls.handshake,
 * http2.preface; `what` names them): a non-empty list of steps that `allowed` takes (listed
 * in words in allowed_list), ending with close(), reset(), halfclose() or a stall() without
 * a duration, for the reason why_end. Raises at the offending step's line. */
void vocabulary_check_prelude(lua_State *L, int h, const char *what, bool (*allowed)(enum step_op),
                              const char *allowed_list, const char *why_end);

/* Raises "WHAT: unknown field 'x'" for a key of table t that is not in known (NULL-ended). */
void vocabulary_check_fields(lua_State *L, int t, const char *const *known, const char *what);

#endif
