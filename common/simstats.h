/* simstats.h: the counters of a running badup simulator, read from its control API
 * (GET /stats): what the harness asks after each case (the upstream attempts behind the
 * client's request) and what `badup bench --upstream-admin` reads before and after its load.
 * One blocking libcurl request, bounded in time. */
#ifndef BADUP_SIMSTATS_H
#define BADUP_SIMSTATS_H

#include <stddef.h>

/* What the simulator has counted since it started (or since POST /stats/reset). */
struct simstats {
  long long requests;    /* requests read: the upstream attempts */
  long long connections; /* connections accepted: a proxy without upstream keep-alive opens one per request */
  long long errors;      /* plan functions that raised; 0 when the simulator does not say */
};

/* GET url (http://HOST:PORT/stats) within timeout_ms; token (NULL for none) is sent as
 * "Authorization: Bearer TOKEN". Returns 0 and fills *st; or -1, *st untouched, with a
 * one-line reason in err (size errlen). */
int simstats_read(const char *url, const char *token, long timeout_ms, struct simstats *st, char *err, size_t errlen);

#endif
