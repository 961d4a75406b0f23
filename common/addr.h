/* addr.h: "HOST:PORT" and "[V6]:PORT" to a socket address. */
#ifndef BADUP_ADDR_H
#define BADUP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Returns 0, or -1 with *why set. Hosts are numeric (127.0.0.1, ::1) or "localhost". */
int addr_parse(const char *text, struct sockaddr_storage *out, const char **why);
bool addr_is_loopback(const struct sockaddr_storage *ss);

/* "127.0.0.1:8080" or "[::1]:8080"; "?:0" for anything else (a failed getpeername). */
void addr_format(const struct sockaddr_storage *ss, char *out, size_t len);

#endif
