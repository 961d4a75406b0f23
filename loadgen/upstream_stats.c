/* upstream_stats.c: see upstream_stats.h. */
#include "upstream_stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

int upstream_stats_url(const char *addr, char *url, size_t n, const char **why) {
  const char *p = addr;
  if (strncmp(p, "http://", 7) == 0) p += 7;
  else if (strstr(p, "://")) { *why = "only http:// is spoken to the control API"; return -1; }
  size_t len = strcspn(p, "/");
  if (p[len] && strcmp(p + len, "/") != 0) { *why = "give the control API's address only (HOST:PORT), no path"; return -1; }
  char hostport[128];
  if (len == 0 || len >= sizeof hostport) { *why = "want HOST:PORT (the admin= address `badup serve` prints)"; return -1; }
  memcpy(hostport, p, len);
  hostport[len] = '\0';
  /* The simulator's own address parser and loopback test, as for its --listen and --admin. */
  struct sockaddr_storage ss;
  if (addr_parse(hostport, &ss, why) != 0) return -1;
  if (!addr_is_loopback(&ss)) { *why = "only a loopback control API is read (127.0.0.1, [::1], localhost)"; return -1; }
  in_port_t port = ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((const struct sockaddr_in *)&ss)->sin_port;
  if (ntohs(port) == 0) { *why = "the port must be a number from 1 to 65535"; return -1; }
  char formatted[64];
  addr_format(&ss, formatted, sizeof formatted);
  if ((size_t)snprintf(url, n, "http://%s/stats", formatted) >= n) { *why = "address too long"; return -1; }
  return 0;
}
