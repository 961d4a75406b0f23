/* rawclient.h: a client that sends exactly the bytes it is given.
 *
 * libcurl cannot send a malformed request; scenarios that test what a proxy does with a
 * broken client request (duplicate Content-Length, bad version, junk) give the bytes, and
 * this client writes them as they are and reads what comes back. Outcomes use the same
 * words as client.h. */
#ifndef BADUP_RAWCLIENT_H
#define BADUP_RAWCLIENT_H

#include <stddef.h>

#include "client.h"

/* Connects to 127.0.0.1:port, writes len bytes, reads until the peer closes or the
 * response is complete by its Content-Length, or timeout_s passes. Returns 0. */
int rawclient_exchange(int port, const char *bytes, size_t len, double timeout_s, struct client_result *r,
                       void (*on_final_head)(void *), void *arg);

#endif
