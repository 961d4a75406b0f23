/* addr.c: "HOST:PORT" and "[V6]:PORT" to a socket address. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int addr_parse(const char *text, struct sockaddr_storage *out, const char **why) {
  memset(out, 0, sizeof *out);
  char host[128];
  const char *port;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof host) {
      *why = "expected [IPV6]:PORT";
      return -1;
    }
    memcpy(host, text + 1, (size_t)(end - text - 1));
    host[end - text - 1] = 0;
    port = end + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) {
      *why = "expected HOST:PORT";
      return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    port = colon + 1;
  }
  char *endp;
  long p = strtol(port, &endp, 10);
  if (!*port || *endp || p < 0 || p > 65535) {
    *why = "the port must be a number from 0 to 65535";
    return -1;
  }
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((unsigned short)p);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((unsigned short)p);
    return 0;
  }
  *why = "the host must be a numeric IPv4 or IPv6 address (or localhost)";
  return -1;
}

void addr_format(const struct sockaddr_storage *ss, char *out, size_t len) {
  char ip[INET6_ADDRSTRLEN];
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    snprintf(out, len, "[%s]:%d", ip, ntohs(a->sin6_port));
  } else if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, len, "%s:%d", ip, ntohs(a->sin_port));
  } else {
    snprintf(out, len, "?:0");
  }
}

bool addr_is_loopback(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
  if (ss->ss_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
  return false;
}
