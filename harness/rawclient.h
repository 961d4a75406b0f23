/* rawclient.h: a client that sends exactly the bytes it is given.
 *
 * libcurl cannot send a malformed request; scenarios that test what a proxy does with a
 * broken client request (duplicate Content-Length, bad version, junk) give the bytes, and
 * this client writes them as they are and reads what comes back. Its outcomes are the words
 * of outcome.h, decided as client.c decides them for curl, so the same bytes from a proxy
 * give the same word from either client.
 *
 * Responses are framed by http-parser per RFC 9112 6.3, against the requests in the bytes
 * sent (parsed as requests to learn their methods: a response to HEAD has no body; bytes
 * that do not parse as a request count as one GET). When the bytes hold several pipelined
 * requests, the outcome is about the response to the last one: its status, its body, the
 * 1xx before it; a connection that ends before it is "closed", "reset", ... as if nothing
 * came. 1xx responses are skipped, never final. The exchange ends as soon as that response
 * is complete (a keep-alive connection is not waited on), at FIN, RST, a parse error, or
 * timeout_s after the start. */
#ifndef BADUP_RAWCLIENT_H
#define BADUP_RAWCLIENT_H

#include <stddef.h>

#include "client.h"

/* Connects to 127.0.0.1:port, writes the len bytes while reading what comes back, and
 * fills *r. on_final_head (NULL: none) is called once, on this thread, when the header
 * section of the final response to the last request is complete, before its body is read;
 * arg is passed to it. Returns 0 (the outcome is in *r, "error" when the client itself
 * failed, e.g. out of memory). */
int rawclient_exchange(int port, const char *bytes, size_t len, double timeout_s, struct client_result *r,
                       void (*on_final_head)(void *), void *arg);

#endif
