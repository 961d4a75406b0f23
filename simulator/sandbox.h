/* sandbox.h: a Lua state that scenario code cannot escape or exhaust.
 *
 * Each scenario gets its own state: a memory cap enforced by the allocator, an instruction
 * budget per call enforced by a count hook, and (unless unsafe) no os, io, require, dofile,
 * loadfile or bytecode. Every call into Lua goes through sandbox_pcall, which adds a
 * traceback and turns any failure into a message that starts with "file:line:". */
#ifndef BADUP_SANDBOX_H
#define BADUP_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "buf.h"

#define SANDBOX_DEFAULT_MEM (64u << 20)
#define SANDBOX_DEFAULT_BUDGET 50000000L /* instructions per call */

struct sandbox {
  lua_State *L;
  size_t mem_used, mem_cap;
  long budget_per_call;
  long budget_left;
  bool unsafe;
};

/* Opens the state. `name` prefixes print() output (which goes to stderr). Returns 0, or
 * -1 when the state could not be created. */
int sandbox_open(struct sandbox *sb, const char *name, bool unsafe, size_t mem_cap, long budget,
                 unsigned long seed);

/* The sandbox struct was moved (its array grew, or it was copied): points its state's
 * allocator and hook at sb, where it now is. Call it before the state runs again. */
void sandbox_moved(struct sandbox *sb);

/* lua_pcall with the budget armed and a traceback handler. Stack effect as lua_pcall.
 * On failure returns the Lua status, pops the error, and sets *err (first line is
 * "file:line: message"; a traceback follows). */
int sandbox_pcall(struct sandbox *sb, int nargs, int nresults, struct buf *err);

/* Loads a scenario file as text only, with chunk name "@path". Stack: pushes the chunk on
 * success. On failure returns the Lua status and sets *err to "path:line: message". */
int sandbox_loadfile(struct sandbox *sb, const char *path, struct buf *err);

/* Lua shortens long chunk names to "...tail": puts the full path back in front of err. */
void sandbox_restore_path(struct buf *err, const char *path);
/* Makes err start with "path:line:", blaming line 1 when it names no position in path. */
void sandbox_ensure_path(struct buf *err, const char *path);

void sandbox_close(struct sandbox *sb);

#endif
