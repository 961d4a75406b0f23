/* upstream_stats.h: the number of requests a badup simulator has received, read from its
 * control API (GET /stats, field "requests"). `badup bench --upstream-admin` reads it before
 * and after the load: the difference is the upstream attempts behind the client's requests,
 * so a proxy's retries (which hide faults from the client) show as attempts > requests. */
#ifndef BADUP_UPSTREAM_STATS_H
#define BADUP_UPSTREAM_STATS_H

#include <stddef.h>

/* Checks ADDR (HOST:PORT or http://HOST:PORT[/], HOST a loopback address or localhost) and
 * writes the /stats URL into url (size n). 0 on success; -1 with a reason in why. */
int upstream_stats_url(const char *addr, char *url, size_t n, const char **why);

/* GET url; on success stores "requests" in *requests and returns 0. On failure returns -1 and
 * writes a one-line reason into err (size errlen). token (NULL for none) is sent as
 * "Authorization: Bearer TOKEN". At most 5 s. */
int upstream_stats_requests(const char *url, const char *token, long long *requests, char *err, size_t errlen);

#endif
