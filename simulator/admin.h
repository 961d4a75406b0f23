/* admin.h: the control API (libmicrohttpd, its own thread, loopback by default).
 *
 * It reads the data plane's atomics and event log, and switches the default scenario
 * through server_select_default. It never touches a Lua state or a connection. */
#ifndef BADUP_ADMIN_H
#define BADUP_ADMIN_H

#include <sys/socket.h>

#include "server.h"

struct admin {
  struct MHD_Daemon *daemon;
  struct server *srv;
  const char *token; /* required as "Authorization: Bearer <token>" when set */
  char addr_str[64];
};

/* Binds addr (port 0 allowed) and starts serving. Returns 0 or -errno with *why set. */
int admin_start(struct admin *a, struct server *srv, const struct sockaddr *addr, const char *token,
                const char **why);
void admin_stop(struct admin *a);

#endif
