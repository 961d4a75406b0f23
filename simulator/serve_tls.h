/* serve_tls.h: `badup serve`'s TLS: the certificates and each scenario's server context. */
#ifndef BADUP_SERVE_TLS_H
#define BADUP_SERVE_TLS_H

#include <limits.h>
#include <stdbool.h>

#include "server.h"

struct serve_tls {
  char dir[PATH_MAX]; /* the certificates in use; "" when nothing is served over TLS */
  bool temporary;     /* made for this run in $TMPDIR: removed at exit */
};

/* When a scenario has a tls table, or tls_all (--tls): takes the certificates of `dir` (made
 * there when it has none; a fresh folder in $TMPDIR when dir is NULL) and builds every
 * scenario's server context into srv. Returns 0, or -1 with the reason on stderr. */
int serve_tls_setup(struct serve_tls *st, struct server *srv, const char *dir, bool tls_all);

/* Frees srv's contexts and removes a temporary certificate folder. */
void serve_tls_teardown(struct serve_tls *st, struct server *srv);

#endif
