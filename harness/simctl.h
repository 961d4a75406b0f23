/* simctl.h: a case's simulator, as the harness drives it: started as `badup serve`, its
 * addresses read from its start-up line, and its control API (counters, the connections it
 * saw, barriers) called over loopback.
 *
 * Every call is bounded (at most a few seconds); a call that fails returns a negative
 * code and leaves its outputs as they were. */
#ifndef BADUP_SIMCTL_H
#define BADUP_SIMCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"
#include "simstats.h"

/* Waits (up to 10 s) for the start-up line `badup serve: listen=HOST:PORT admin=HOST:PORT
 * [upstreams=HOST:PORT,HOST:PORT...]` in out_path and reads its ports: every upstream's into
 * ports (at most max_ports, upstream 1 first: listen= alone means one), their count into
 * *nports, the control API's into *admin. On failure returns false with the reason in err. */
bool simctl_ports(const char *out_path, struct proc *sim, int *ports, int max_ports, int *nports, int *admin,
                  char *err, size_t errlen);

/* One control API call to the simulator at admin ("HOST:PORT"), bounded by a few seconds:
 * the body of a 200 (NUL-terminated, caller frees), or NULL for anything else. */
char *simctl_call(const char *admin, const char *method, const char *path);

/* GET /stats: what the upstream counted (simstats.h). 0, or -1 with *st untouched. */
int simctl_stats(int admin, struct simstats *st);

/* GET /events: every connection the simulator saw, finished and still open, as JSON text
 * (caller frees), or NULL. */
char *simctl_events(int admin);

/* GET /requests: every request the upstreams received, in order, as JSON text
 * ({"requests": [...]}, docs/serve.md; caller frees), or NULL. */
char *simctl_requests(int admin);

/* POST /barriers/NAME: the harness's side of a barrier is reached. */
int simctl_barrier_reach(int admin, const char *name);
/* DELETE /barriers: no barrier is reached any more (between a case's requests). */
int simctl_barriers_reset(int admin);

/* The first plan-function error the simulator reported on stderr ("file:line: message",
 * without the traceback), into out. Returns whether there was one. */
bool simctl_scenario_error(const char *err_path, char *out, size_t len);

#endif
