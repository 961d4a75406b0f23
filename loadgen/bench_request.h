/* bench_request.h: where `badup bench` sends (--url, loopback only) and the one request it
 * sends again and again on every connection, as bytes: the
 * request line (--method, the --url's target), Host, User-Agent, the --header lines, and with
 * --body a Content-Length and the body (RFC 9112 message framing; never chunked).
 *
 * Limits (a usage error beyond them): a method is 1..32 token characters (RFC 9110 tchar,
 * CONNECT refused: it opens a tunnel, not a request); up to BENCH_MAX_HEADERS headers, each
 * "Name: value" with a token name and a value of visible characters, spaces and tabs (no CR,
 * LF or NUL), at most BENCH_MAX_HEADER_BYTES; Content-Length and Transfer-Encoding are bench's
 * own (from --body); a body of at most BENCH_MAX_BODY bytes, any bytes from @file. */
#ifndef BADUP_BENCH_REQUEST_H
#define BADUP_BENCH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define BENCH_MAX_HEADERS 64
#define BENCH_MAX_HEADER_BYTES 8192
#define BENCH_MAX_BODY (16u * 1024 * 1024) /* bytes: 16 MiB, sent whole on each request */

struct bench_request_spec {
  const char *method;                         /* --method; NULL: GET */
  const char *headers[BENCH_MAX_HEADERS];     /* --header "Name: value", in order */
  unsigned n_headers;
  const char *body;                           /* --body STRING or @FILE; NULL: no body */
};

/* The request to `target` (origin-form, "/path?q") of `authority` (the Host value,
 * "127.0.0.1:8080"). On success *out (malloc'd, the caller frees it) and *len hold the bytes,
 * *head says the method is HEAD (its responses have no body), and 0 is returned; else 2 after
 * saying on stderr what is wrong (cli_usage_error). */
int bench_request_build(const struct bench_request_spec *spec, const char *target, const char *authority,
                        char **out, size_t *len, bool *head);

/* Parses --url, http://HOST[:PORT][/PATH][?QUERY] with HOST 127.x.y.z, localhost or [::1]:
 * the address to connect to, the request target ("/PATH?QUERY", "/" when none) and the Host
 * value ("HOST:PORT"). 0, or 2 after saying what is wrong (a host off the loopback is
 * refused: bench loads nothing else). */
int bench_url_parse(const char *url, struct sockaddr_storage *addr, char *target, size_t target_size,
                    char *authority, size_t authority_size);

#endif
