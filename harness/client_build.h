/* client_build.h: the bytes of a scenario's client request (client_part.h), with the
 * placeholders of the case that runs it.
 *
 * Nothing is corrected: headers are written as given, malformed or not. What is added, and
 * only when the request's own headers do not say it: `Host: ${proxy}` (RFC 9112 3.2; `${upstream}`
 * through a forward proxy; not with host = false), `Content-Length` (RFC 9112 6.2; the body's length, or `length`), or
 * `Transfer-Encoding: chunked` with chunks (RFC 9112 7.1), `Expect: 100-continue` with
 * expect_100 (RFC 9110 10.1.1). */
#ifndef BADUP_CLIENT_BUILD_H
#define BADUP_CLIENT_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "client_part.h"

/* The values of the placeholders, for one run. */
struct client_vars {
  const char *proxy;         /* ${proxy}: "127.0.0.1:PORT" */
  const char *upstreams[8];  /* ${upstream}, ${upstream2}, ...; NULL: the run has none */
  const char *scenario;      /* ${scenario} */
  bool forward;              /* the proxy is a forward proxy: the default target is
                                absolute-form, "http://${upstream}/${scenario}/${n}" */
  /* ${proxy_user}, ${proxy_password}, ${proxy_credentials} (base64 of user:password, for
   * `Proxy-Authorization: Basic ...`, RFC 9110 11.7.1, RFC 7617 2); NULL: the run has none. */
  const char *proxy_user, *proxy_password, *proxy_credentials;
  /* How a user gives those when the run has none (`badup client`: "pass --proxy-auth
   * USER:PASSWORD"), added to the error; NULL: nothing to add. */
  const char *proxy_auth_hint;
};

/* The bytes of request q, the n-th (1-based) of its part: its header section into head and
 * its framed body (chunks encoded) into body; a raw request's bytes all go to head. Returns
 * 0, or -1 with a sentence in err (a placeholder the run has no value for, out of memory). */
int client_build(const struct client_request *q, int n, const struct client_vars *v, struct buf *head,
                 struct buf *body, char *err, size_t errlen);

#endif
