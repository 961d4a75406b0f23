/* client_h2_tap.c: a loopback relay that reads the proxy's HTTP/2 frame headers (client_h2_tap.h). */
#include "client_h2_tap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

/* RFC 9113 6: the frame types and the flag the tap reads. */
enum { FRAME_DATA = 0, FRAME_HEADERS = 1, FRAME_RST_STREAM = 3, FRAME_SETTINGS = 4, FRAME_GOAWAY = 7,
       FRAME_CONTINUATION = 9 };
#define FLAG_END_STREAM 0x1
#define FLAG_END_HEADERS 0x4
#define FLAG_PADDED 0x8
#define FLAG_PRIORITY 0x20
#define BLOCK_MAX (256 * 1024) /* a header block larger than this is not decoded */
#define FRAME_HEADER_LEN 9
#define REQUEST_STREAM 1 /* a client's first stream (5.1.1: odd, from 1) */

/* The frame reader's state over the bytes as they come, in pieces of any size. */
struct frames {
  unsigned char head[FRAME_HEADER_LEN];
  size_t have;          /* bytes of head read */
  size_t left;          /* payload bytes of the current frame still to come */
  unsigned char pay[8]; /* the first payload bytes of RST_STREAM (4) and GOAWAY (8) */
  size_t npay, want;    /* how many are in pay, and how many the frame's type reads */
  int type, flags;
  uint32_t stream;
  bool first_done, stop; /* the first frame was checked; the bytes are no frames: read no more */
  /* HEADERS and CONTINUATION: the frame's payload, then the header block they make */
  unsigned char *frame, *block;
  size_t nframe, nblock;
  uint32_t block_stream;
  nghttp2_hd_inflater *inflater; /* HPACK state is the connection's: every block goes through it */
};

struct h2_tap {
  int listen_fd, proxy_fd, wake[2];
  double timeout_s;
  pthread_t thread;
  struct frames f;
  struct h2_tap_seen seen;
};

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Why a field breaks RFC 9113 8.2.1, or NULL. */
static const char *bad_field(const nghttp2_nv *nv) {
  if (nv->namelen == 0) return "an empty name";
  if (nv->name[0] == ':') return NULL; /* pseudo-header fields: their own rules */
  for (size_t i = 0; i < nv->namelen; i++) {
    unsigned char c = nv->name[i];
    if (c >= 'A' && c <= 'Z') return "a name not in lowercase";
    /* RFC 9110 5.6.2: a name is a token */
    if (c == 0 || (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && !strchr("!#$%&'*+-.^_`|~", c)))
      return "a name with a character no token has";
  }
  for (size_t i = 0; i < nv->valuelen; i++)
    if (nv->value[i] == 0 || nv->value[i] == '\r' || nv->value[i] == '\n') return "a value with NUL, CR or LF";
  if (nv->valuelen && (nv->value[0] == ' ' || nv->value[0] == '\t' || nv->value[nv->valuelen - 1] == ' ' ||
                       nv->value[nv->valuelen - 1] == '\t'))
    return "a value with a blank at an end";
  return NULL;
}

/* A whole header block: its fields, decoded; the first final :status on stream 1 is kept. */
static void header_block(struct h2_tap *t) {
  struct frames *f = &t->f;
  const uint8_t *in = f->block;
  size_t left = f->nblock;
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t n = nghttp2_hd_inflate_hd2(f->inflater, &nv, &flags, in, left, 1);
    if (n < 0) { /* the state is lost with it: no later block can be read */
      f->stop = true;
      return;
    }
    in += n, left -= (size_t)n;
    bool is_status = (flags & NGHTTP2_HD_INFLATE_EMIT) && f->block_stream == REQUEST_STREAM && nv.namelen == 7 &&
                     !memcmp(nv.name, ":status", 7);
    /* 8.2.1: a field that makes the stream malformed, which curl's library resets at once */
    const char *bad = (flags & NGHTTP2_HD_INFLATE_EMIT) && f->block_stream == REQUEST_STREAM && !t->seen.bad_field_at
                          ? bad_field(&nv)
                          : NULL;
    if (bad) {
      t->seen.bad_field_at = t->seen.bytes;
      snprintf(t->seen.bad_field, sizeof t->seen.bad_field, "\"%.*s\", %s", (int)(nv.namelen < 20 ? nv.namelen : 20),
               (const char *)nv.name, bad);
    }
    if (is_status && !t->seen.first_status[0])
      snprintf(t->seen.first_status, sizeof t->seen.first_status, "%.*s", (int)(nv.valuelen < 7 ? nv.valuelen : 7),
               (const char *)nv.value);
    if (is_status && !t->seen.status && nv.valuelen == 3 && isdigit(nv.value[0]) && isdigit(nv.value[1]) &&
        isdigit(nv.value[2])) {
      int st = (nv.value[0] - '0') * 100 + (nv.value[1] - '0') * 10 + (nv.value[2] - '0');
      if (st >= 200 && st <= 999) t->seen.status = st, t->seen.status_at = t->seen.bytes;
    }
    /* the final head's content-length (a 1xx has none that counts) */
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) && f->block_stream == REQUEST_STREAM && t->seen.status &&
        t->seen.content_length < 0 && nv.namelen == 14 && !memcmp(nv.name, "content-length", 14)) {
      long v = 0;
      size_t i = 0;
      for (; i < nv.valuelen && i < 18 && nv.value[i] >= '0' && nv.value[i] <= '9'; i++) v = v * 10 + (nv.value[i] - '0');
      if (i == nv.valuelen && i > 0) t->seen.content_length = v;
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(f->inflater);
      return;
    }
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && left == 0) return;
  }
}

/* A HEADERS or CONTINUATION frame's payload is in: its fragment joins the block (6.2: less
 * the pad length, padding and priority fields), decoded at END_HEADERS. */
static void header_fragment(struct h2_tap *t) {
  struct frames *f = &t->f;
  const unsigned char *p = f->frame;
  size_t n = f->nframe;
  if (f->type == FRAME_HEADERS) {
    size_t pad = 0;
    if (f->flags & FLAG_PADDED) {
      if (n < 1) return;
      pad = p[0], p++, n--;
    }
    if (f->flags & FLAG_PRIORITY) {
      if (n < 5) return;
      p += 5, n -= 5;
    }
    n = pad <= n ? n - pad : 0;
    f->nblock = 0;
    f->block_stream = f->stream;
  }
  unsigned char *grown = f->nblock + n <= BLOCK_MAX ? realloc(f->block, f->nblock + n + 1) : NULL;
  if (!grown) {
    f->stop = true;
    return;
  }
  f->block = grown;
  memcpy(f->block + f->nblock, p, n);
  f->nblock += n;
  if (f->flags & FLAG_END_HEADERS) header_block(t);
}

/* n more DATA bytes on stream 1: more than content-length makes it malformed. */
static void data_bytes(struct h2_tap *t, size_t n) {
  struct h2_tap_seen *s = &t->seen;
  s->data_bytes += n;
  if (s->content_length >= 0 && s->data_bytes > (size_t)s->content_length && !s->overflow_at)
    s->overflow_at = s->bytes;
}

/* END_STREAM on stream 1: before content-length's bytes, malformed too. */
static void end_stream(struct h2_tap *t) {
  struct h2_tap_seen *s = &t->seen;
  if (s->content_length >= 0 && s->data_bytes < (size_t)s->content_length && !s->short_end_at)
    s->short_end_at = s->bytes;
}

/* A frame whose payload bytes the tap wanted are all in. */
static void frame_done(struct h2_tap *t) {
  struct frames *f = &t->f;
  if (f->type == FRAME_DATA && f->stream == REQUEST_STREAM && (f->flags & FLAG_PADDED) && f->npay == 1) {
    size_t len = (size_t)f->head[0] << 16 | (size_t)f->head[1] << 8 | f->head[2];
    data_bytes(t, len >= 1u + f->pay[0] ? len - 1 - f->pay[0] : 0);
    if (f->flags & FLAG_END_STREAM) end_stream(t);
  }
  if (f->type == FRAME_HEADERS || f->type == FRAME_CONTINUATION) header_fragment(t);
  if (f->type == FRAME_RST_STREAM && f->stream == REQUEST_STREAM && f->npay >= 4 && !t->seen.rst)
    t->seen.rst = true, t->seen.rst_code = be32(f->pay), t->seen.rst_at = t->seen.bytes;
  if (f->type == FRAME_GOAWAY && f->npay >= 8 && !t->seen.goaway)
    t->seen.goaway = true, t->seen.goaway_code = be32(f->pay + 4);
}

/* A frame header is complete. */
static void frame_start(struct h2_tap *t) {
  struct frames *f = &t->f;
  f->left = (size_t)f->head[0] << 16 | (size_t)f->head[1] << 8 | f->head[2];
  f->type = f->head[3];
  f->flags = f->head[4];
  f->stream = be32(f->head + 5) & 0x7fffffffu;
  f->npay = 0;
  f->want = f->type == FRAME_RST_STREAM ? 4 : f->type == FRAME_GOAWAY ? 8 : 0;
  f->nframe = 0;
  bool block = f->type == FRAME_HEADERS || f->type == FRAME_CONTINUATION;
  if (block) {
    unsigned char *grown = f->left <= BLOCK_MAX ? realloc(f->frame, f->left + 1) : NULL;
    if (!grown) {
      f->stop = true;
      return;
    }
    f->frame = grown;
  }
  /* 3.4: the server's preface is a SETTINGS frame; anything else (an "HTTP/1.1 400" reply to
   * the client's preface) is not HTTP/2 */
  if (!f->first_done) {
    f->first_done = true;
    if (f->type != FRAME_SETTINGS || f->stream != 0) {
      t->seen.not_frames = true;
      f->stop = true;
      return;
    }
  }
  if (f->type == FRAME_DATA && f->stream == REQUEST_STREAM) {
    /* 6.1: a padded DATA frame's payload holds its pad length and the padding (its first
     * byte is not here yet: the pad length is taken when the payload comes) */
    f->want = f->flags & FLAG_PADDED ? 1 : 0;
    if (!(f->flags & FLAG_PADDED)) data_bytes(t, f->left);
  }
  if ((f->type == FRAME_DATA || f->type == FRAME_HEADERS) && (f->flags & FLAG_END_STREAM) && f->stream == REQUEST_STREAM) {
    t->seen.end_stream = true;
    if (f->type == FRAME_HEADERS || !(f->flags & FLAG_PADDED)) end_stream(t);
  }
}

/* The proxy's bytes as they come: seen.bytes counts those read so far, so an event's offset
 * is where in the stream it ended. */
static void read_frames(struct h2_tap *t, const unsigned char *p, size_t n) {
  struct frames *f = &t->f;
  while (n && !f->stop) {
    if (f->have < FRAME_HEADER_LEN) {
      size_t k = FRAME_HEADER_LEN - f->have < n ? FRAME_HEADER_LEN - f->have : n;
      memcpy(f->head + f->have, p, k);
      f->have += k, p += k, n -= k;
      t->seen.bytes += k;
      if (f->have < FRAME_HEADER_LEN) continue;
      frame_start(t);
      if (f->left == 0 && !f->stop) { /* no payload: done already */
        frame_done(t);
        f->have = 0;
      }
      continue;
    }
    size_t k = f->left < n ? f->left : n;
    for (size_t i = 0; i < k && f->npay < f->want; i++) f->pay[f->npay++] = p[i];
    if (f->type == FRAME_HEADERS || f->type == FRAME_CONTINUATION) {
      memcpy(f->frame + f->nframe, p, k);
      f->nframe += k;
    }
    f->left -= k, p += k, n -= k;
    t->seen.bytes += k;
    if (f->left == 0) {
      frame_done(t);
      f->have = 0;
    }
  }
  t->seen.bytes += n; /* what was not read as frames */
}

static bool send_all(int fd, const unsigned char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= (size_t)w;
  }
  return true;
}

/* Closes fd with an RST (SO_LINGER 0), as the other side's reset came. */
static void close_reset(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

/* The relay: curl's connection, accepted, and the proxy's, until one resets, both have
 * ended, or h2_tap_finish wakes it. A FIN is passed on as a FIN (shutdown), a reset as a
 * reset: curl sees what the proxy did. */
static void *relay(void *arg) {
  struct h2_tap *t = arg;
  struct pollfd a[2] = {{t->listen_fd, POLLIN, 0}, {t->wake[0], POLLIN, 0}};
  int cfd = -1;
  if (poll(a, 2, (int)(t->timeout_s * 1000) + 1) > 0 && (a[0].revents & POLLIN))
    cfd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  close(t->listen_fd);
  t->listen_fd = -1;
  if (cfd < 0) {
    close(t->proxy_fd);
    return NULL;
  }
  int pfd = t->proxy_fd;
  bool from_client = true, from_proxy = true, reset = false;
  unsigned char buf[16384];
  while ((from_client || from_proxy) && !reset) {
    struct pollfd p[3] = {{from_client ? cfd : -1, POLLIN, 0}, {from_proxy ? pfd : -1, POLLIN, 0},
                          {t->wake[0], POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[2].revents) break;
    for (int side = 0; side < 2 && !reset; side++) {
      if (!(p[side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int from = side == 0 ? cfd : pfd, to = side == 0 ? pfd : cfd;
      ssize_t n = recv(from, buf, sizeof buf, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n > 0) {
        if (side == 1) read_frames(t, buf, (size_t)n);
        if (!send_all(to, buf, (size_t)n)) reset = true;
        continue;
      }
      if (n == 0) { /* a FIN: passed on, the other direction goes on */
        shutdown(to, SHUT_WR);
        if (side == 0) from_client = false;
        else from_proxy = false;
        continue;
      }
      /* a reset (or another error): the other side is reset too */
      close_reset(to);
      if (side == 0) pfd = -1;
      else cfd = -1;
      reset = true;
    }
  }
  if (cfd >= 0) close(cfd);
  if (pfd >= 0) close(pfd);
  return NULL;
}

struct h2_tap *h2_tap_start(const char *host, int port, double timeout_s, int *tap_port) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &to.sin_addr) != 1) return NULL;
  struct h2_tap *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->timeout_s = timeout_s;
  t->seen.content_length = -1;
  if (nghttp2_hd_inflate_new(&t->f.inflater) != 0) {
    free(t);
    return NULL;
  }
  t->listen_fd = t->proxy_fd = t->wake[0] = t->wake[1] = -1;
  struct sockaddr_in here = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof here;
  if ((t->proxy_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
      connect(t->proxy_fd, (struct sockaddr *)&to, sizeof to) != 0 ||
      (t->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
      bind(t->listen_fd, (struct sockaddr *)&here, sizeof here) != 0 || listen(t->listen_fd, 1) != 0 ||
      getsockname(t->listen_fd, (struct sockaddr *)&here, &len) != 0 || pipe2(t->wake, O_CLOEXEC) != 0 ||
      pthread_create(&t->thread, NULL, relay, t) != 0) {
    int fds[] = {t->proxy_fd, t->listen_fd, t->wake[0], t->wake[1]};
    for (size_t i = 0; i < 4; i++)
      if (fds[i] >= 0) close(fds[i]);
    nghttp2_hd_inflate_del(t->f.inflater);
    free(t);
    return NULL;
  }
  *tap_port = ntohs(here.sin_port);
  return t;
}

void h2_tap_finish(struct h2_tap *t, struct h2_tap_seen *seen) {
  memset(seen, 0, sizeof *seen);
  if (!t) return;
  ssize_t w;
  do w = write(t->wake[1], "x", 1);
  while (w < 0 && errno == EINTR);
  pthread_join(t->thread, NULL);
  *seen = t->seen;
  close(t->wake[0]);
  close(t->wake[1]);
  nghttp2_hd_inflate_del(t->f.inflater);
  free(t->f.frame);
  free(t->f.block);
  free(t);
}
