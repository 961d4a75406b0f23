/* upstream_stats.h: where `badup bench --upstream-admin` reads the requests and connections a
 * badup simulator has received (its control API's GET /stats, read with simstats.h). It reads
 * them before and after the load, outside the load window (before the first connection and
 * after the last response), so the reads cost the measurement nothing: the difference is the
 * upstream attempts behind the client's requests, and a proxy's retries (which hide faults
 * from the client) show as attempts > requests. */
#ifndef BADUP_UPSTREAM_STATS_H
#define BADUP_UPSTREAM_STATS_H

#include <stddef.h>

/* Checks ADDR (HOST:PORT or http://HOST:PORT[/], HOST a loopback address or localhost) and
 * writes the /stats URL into url (size n). 0 on success; -1 with a reason in why. */
int upstream_stats_url(const char *addr, char *url, size_t n, const char **why);

#endif
