/* fuzz_scenario.c: arbitrary Lua source loaded as a scenario file, in the sandbox.
 *
 * Each input is written to a file in a private temporary folder and loaded with
 * scenario_load, as `badup serve` loads a file, with a small instruction budget and memory
 * cap. A scenario that loads is then run as the data plane would: a plan function is
 * called twice with a request (so req.* and the plan checks are fuzzed too), and the
 * scenario is unloaded. A crash, a leak (LeakSanitizer) or a hang (libFuzzer's -timeout)
 * is a bug; a load error is the expected answer to most inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

static char path[256], dir[64];

/* libFuzzer ends with exit(): the folder goes with the process, not left in /tmp. */
static void cleanup(void) {
  if (path[0]) unlink(path);
  if (dir[0]) rmdir(dir);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/badup-fuzz-scenario-XXXXXX");
  if (!mkdtemp(dir)) abort();
  snprintf(path, sizeof path, "%s/fuzzed.lua", dir);
  atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!path[0]) setup();
  if (size > 64 * 1024) return 0;
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  static const struct ctx_var ctx[] = {{"read_timeout", "2"}, {"connect_timeout", "1"}, {"name", "fuzz"}};
  struct scenario_opts o = {.seed = 7, .mem_cap = 4u << 20, .budget = 100000, .ctx = ctx, .nctx = 3};
  struct scenario s;
  struct buf err = {0};
  if (scenario_load(&s, path, &o, &err) != 0) {
    /* The contract: a message that starts with the path. */
    if (strncmp(buf_cstr(&err), path, strlen(path)) != 0) {
      fprintf(stderr, "fuzz_scenario: load error without the path: %s\n", buf_cstr(&err));
      abort();
    }
    buf_free(&err);
    return 0;
  }
  buf_free(&err);
  if (s.kind == SCENARIO_FUNCTION) {
    struct request req = {.http_major = 1, .http_minor = 1, .conn_id = 1, .peer = "127.0.0.1:1", .scenario = s.name};
    snprintf(req.method, sizeof req.method, "GET");
    buf_puts(&req.target, "/fuzzed/x?a=b");
    request_add_field(&req, "Host", 4);
    request_add_value(&req, "t", 1);
    request_add_field(&req, "X-Plan", 6);
    request_add_value(&req, "close", 5);
    request_add_body(&req, "body", 4);
    for (uint32_t i = 1; i <= 2; i++) {
      req.conn_seq = req.seq = i;
      struct buf e = {0};
      struct plan *p = scenario_call(&s, &req, &e);
      if (p) plan_unref(p);
      buf_free(&e);
    }
    request_free(&req);
  }
  scenario_unload(&s);
  return 0;
}
