/* upstream_stats.h: the requests and connections a badup simulator has received, read from its
 * control API (GET /stats, fields "requests" and "connections"). `badup bench --upstream-admin` reads it before
 * and after the load: the difference is the upstream attempts behind the client's requests,
 * so a proxy's retries (which hide faults from the client) show as attempts > requests. */
#ifndef BADUP_UPSTREAM_STATS_H
#define BADUP_UPSTREAM_STATS_H

#include <stddef.h>

/* Checks ADDR (HOST:PORT or http://HOST:PORT[/], HOST a loopback address or localhost) and
 * writes the /stats URL into url (size n). 0 on success; -1 with a reason in why. */
int upstream_stats_url(const char *addr, char *url, size_t n, const char **why);

/* What the simulator has counted since it started (or since POST /stats/reset). */
struct upstream_counts {
  long long requests;    /* requests read: the upstream attempts */
  long long connections; /* connections accepted: a proxy without upstream keep-alive opens one per request */
};

/* GET url; on success fills *counts and returns 0. On failure returns -1 and writes a one-line
 * reason into err (size errlen). token (NULL for none) is sent as "Authorization: Bearer
 * TOKEN". At most 5 s. */
int upstream_stats_read(const char *url, const char *token, struct upstream_counts *counts, char *err, size_t errlen);

#endif
