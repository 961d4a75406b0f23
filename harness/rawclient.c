/* rawclient.c: a client that sends exactly the bytes it is given. */
#include "rawclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is the response in buf complete? Only Content-Length framing is understood; anything
 * else ends with the connection. */
static bool complete(const char *buf, size_t len) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (!end) return false;
  size_t head = (size_t)(end - buf) + 4;
  for (const char *p = buf; p < end; p++) {
    if ((p == buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) {
      long n = strtol(p + 15, NULL, 10);
      return n >= 0 && len >= head + (size_t)n;
    }
  }
  return false;
}

int rawclient_exchange(int port, const char *bytes, size_t len, double timeout_s, struct client_result *r,
                       void (*on_final_head)(void *), void *arg) {
  memset(r, 0, sizeof *r);
  double t0 = now_s();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    snprintf(r->outcome, sizeof r->outcome, "refused");
    snprintf(r->curl_error, sizeof r->curl_error, "connect: %s", strerror(errno));
    if (fd >= 0) close(fd);
    return 0;
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = send(fd, bytes + off, len - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += (size_t)w;
  }
  char buf[65536];
  size_t got = 0;
  const char *how = "closed";
  for (;;) {
    double left = timeout_s - (now_s() - t0);
    if (left <= 0) {
      how = "timeout";
      break;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)(left * 1000) + 1) <= 0) continue;
    ssize_t n = recv(fd, buf + got, sizeof buf - got - 1, 0);
    if (n == 0) break;
    if (n < 0) {
      how = errno == ECONNRESET ? "reset" : "closed";
      break;
    }
    if (got == 0) r->first_byte_s = now_s() - t0;
    got += (size_t)n;
    if (on_final_head && memmem(buf, got, "\r\n\r\n", 4) && strncmp(buf, "HTTP/1.1 1", 10) != 0) {
      on_final_head(arg);
      on_final_head = NULL;
    }
    if (complete(buf, got)) {
      how = NULL;
      break;
    }
    if (got >= sizeof buf - 1) break;
  }
  close(fd);
  buf[got] = 0;
  r->total_s = now_s() - t0;
  snprintf(r->headers, sizeof r->headers, "%.*s", (int)(got < sizeof r->headers - 1 ? got : sizeof r->headers - 1), buf);
  int major, minor, status;
  if (got && sscanf(buf, "HTTP/%d.%d %3d", &major, &minor, &status) == 3) {
    r->status = status;
    if (!how || !strcmp(how, "closed")) snprintf(r->outcome, sizeof r->outcome, "%03d", status);
    else snprintf(r->outcome, sizeof r->outcome, "%03d+%s", status, !strcmp(how, "timeout") ? "timeout" : "truncated");
  } else if (got) {
    snprintf(r->outcome, sizeof r->outcome, "invalid");
  } else {
    snprintf(r->outcome, sizeof r->outcome, "%s", how ? how : "closed");
  }
  return 0;
}
