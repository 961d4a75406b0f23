/* client_tls_fault.c: a ClientHello, then a stall or a reset (client_tls_fault.h). */
#include "client_tls_fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client_tls.h"
#include "outcome.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The TLS record type of the first byte the proxy sent (RFC 8446 5.1), in words. */
static const char *record_type(unsigned char b) {
  switch (b) {
  case 21: return "an alert record";
  case 22: return "a handshake record (its ServerHello)";
  case 20: return "a change_cipher_spec record";
  case 23: return "an application_data record";
  default: return "bytes that are not a TLS record";
  }
}

static int done(struct client_result *r, struct seen *seen, double t0, enum outcome_end end) {
  r->end = end;
  r->total_s = now_s() - t0;
  seen->total_s = r->total_s;
  outcome_format(r->outcome, sizeof r->outcome, 0, end);
  return end == OUTCOME_ERROR ? -1 : 0;
}

int client_tls_fault_run(bool reset, const char *host, int port, double timeout_s, struct client_transcript *t,
                         struct client_result *r, struct seen *seen) {
  memset(r, 0, sizeof *r);
  memset(seen, 0, sizeof *seen);
  double t0 = now_s(), deadline = t0 + timeout_s;
  struct buf hello = {0};
  if (client_tls_hello(host, &hello, r->error, sizeof r->error) != 0) {
    buf_free(&hello);
    return done(r, seen, t0, OUTCOME_ERROR);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    int err = errno;
    snprintf(r->error, sizeof r->error, "raw client: connect: %s", strerror(err));
    if (fd >= 0) close(fd);
    buf_free(&hello);
    return done(r, seen, t0, err == ECONNREFUSED ? OUTCOME_REFUSED : OUTCOME_ERROR);
  }
  seen->connections = 1;
  ssize_t w = send(fd, hello.data, hello.len, MSG_NOSIGNAL);
  if (w > 0 && t) client_transcript_sent(t, 1, hello.data, (size_t)w);
  size_t hello_len = hello.len;
  buf_free(&hello);
  char buf[16384];
  size_t got = 0;
  unsigned char first = 0;
  enum outcome_end end = OUTCOME_TIMEOUT;
  const char *how = "";
  for (;;) {
    double left = deadline - now_s();
    if (left <= 0) break;
    if (reset && got > 0) { /* the proxy answered the hello: now the RST */
      struct linger l = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      end = OUTCOME_ABORTED;
      how = "then the client reset the connection (RST)";
      break;
    }
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      end = errno == ECONNRESET ? OUTCOME_RESET : OUTCOME_ERROR;
      how = errno == ECONNRESET ? "then the proxy reset the connection (RST)" : "then recv failed";
      break;
    }
    if (n == 0) {
      end = OUTCOME_FIN;
      how = "then the proxy closed the connection (FIN)";
      break;
    }
    if (!got) first = (unsigned char)buf[0], r->first_byte_s = now_s() - t0;
    got += (size_t)n;
    if (t) client_transcript_received(t, 1, buf, (size_t)n);
  }
  if (end == OUTCOME_TIMEOUT) how = "and the proxy had not ended the connection when the client gave up";
  double at = now_s() - t0;
  close(fd);
  char answer[128] = "nothing";
  if (got) snprintf(answer, sizeof answer, "%zu bytes starting with %s", got, record_type(first));
  snprintf(r->error, sizeof r->error, "raw client: sent a ClientHello (%zu bytes) and no more; the proxy sent %s, %s after %.3f s",
           hello_len, answer, how, at);
  return done(r, seen, t0, end);
}
