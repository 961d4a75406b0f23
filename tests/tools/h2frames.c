/* h2frames: a frame-level HTTP/2 client for the wire tests of the HTTP/2 catalog.
 *
 * It sends the client connection preface, a SETTINGS frame and one request (HEADERS, then
 * DATA with --body) on stream 1, and prints one line per frame it receives, exactly as it
 * came: it never validates, so a response a correct HTTP/2 library would reject (an
 * uppercase header name, DATA after END_STREAM, a HEADERS without :status) shows as sent.
 * Header blocks are decoded with libnghttp2's HPACK inflater, which checks no names.
 * Bytes that cannot be a frame (an HTTP/1 reply to the preface: its first 3 bytes read as a
 * length far above SETTINGS_MAX_FRAME_SIZE) print as one RAW line.
 * The last line says how the connection ended: EOF (FIN), RST (ECONNRESET) or TIMEOUT.
 *
 * It ACKs the server's SETTINGS and PINGs (unless --no-ack) and sends request DATA only
 * within the server's windows, once the server's SETTINGS came (a server that lowers
 * INITIAL_WINDOW_SIZE to 0 must see no DATA). It sends no WINDOW_UPDATE of its own: a
 * response larger than 65535 bytes stalls, which these tests never need.
 *
 * Exit: 0 when it ran (whatever the server did), 2 on a usage error or a failed connect
 * (or TLS handshake), 1 on an internal error (out of memory, HPACK deflater failure).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { T_DATA, T_HEADERS, T_PRIORITY, T_RST_STREAM, T_SETTINGS, T_PUSH_PROMISE, T_PING, T_GOAWAY,
       T_WINDOW_UPDATE, T_CONTINUATION };
enum { F_END_STREAM = 0x1, F_ACK = 0x1, F_END_HEADERS = 0x4, F_PADDED = 0x8, F_PRIORITY = 0x20 };
/* The default SETTINGS_MAX_FRAME_SIZE (RFC 9113 6.5.2); this client never raises it, so a
 * longer frame cannot be HTTP/2 from a server, and is what tells an HTTP/1 reply apart. */
#define MAX_FRAME 16384u
#define STREAM 1u
#define MAX_HEADERS 64

static const char *const TYPE_NAMES[] = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
                                         "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE",
                                         "CONTINUATION"};
/* RFC 9113 7 */
static const char *const ERROR_NAMES[] = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
  "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED"};
/* RFC 9113 6.5.2, index = identifier */
static const char *const SETTING_NAMES[] = {NULL, "HEADER_TABLE_SIZE", "ENABLE_PUSH",
  "MAX_CONCURRENT_STREAMS", "INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE"};

struct opts {
  int port;
  const char *method, *path, *body, *cacert;
  const char *hname[MAX_HEADERS], *hvalue[MAX_HEADERS];
  size_t hnamelen[MAX_HEADERS], hlen[MAX_HEADERS]; /* names point into argv: not NUL-ended */
  int nheaders, tls, no_ack;
  long window; /* -1: not sent */
  double timeout;
};

/* The connection: a socket, and an OpenSSL session over it with --tls. */
static int g_fd = -1;
static SSL *g_ssl;
static double g_deadline;
/* A RST is reported once, to the first call that meets it: when that is a write (an ACK),
 * the next read sees a plain end, which must still print RST. */
static int g_reset_on_write;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("h2frames: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

/* Bytes as a C-like string literal: printable ASCII as is, the rest escaped, so a line
 * stays one line and a test can compare it with what the scenario wrote. */
static void put_escaped(const uint8_t *p, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c == '\r') fputs("\\r", stdout);
    else if (c == '\t') fputs("\\t", stdout);
    else if (c >= 0x20 && c < 0x7f) putchar(c);
    else printf("\\x%02x", c);
  }
  putchar('"');
}

/* A header name or value: bare when it is plain printable text without space or '=',
 * quoted with escapes otherwise, so "name=value" pairs split unambiguously on spaces. */
static void put_field(const uint8_t *p, size_t n) {
  int plain = n > 0;
  for (size_t i = 0; i < n && plain; i++)
    plain = p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '=' && p[i] != '\\';
  if (plain) fwrite(p, 1, n, stdout);
  else put_escaped(p, n);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_code(uint32_t code) {
  if (code < sizeof ERROR_NAMES / sizeof *ERROR_NAMES) fputs(ERROR_NAMES[code], stdout);
  else printf("0x%x", code);
}

/* Known flag bits by name in bit order, joined with '|'; the rest in hex. */
static void put_flags(uint8_t type, uint8_t flags) {
  static const struct { uint8_t bit; const char *name; } names[] = {
    {F_END_STREAM, "END_STREAM"}, {F_END_HEADERS, "END_HEADERS"}, {F_PADDED, "PADDED"},
    {F_PRIORITY, "PRIORITY"}};
  fputs(" flags=", stdout);
  if (type == T_SETTINGS || type == T_PING) {
    if (flags == F_ACK) { fputs("ACK", stdout); return; }
    printf("0x%x", flags);
    return;
  }
  uint8_t known = 0;
  if (type == T_DATA) known = F_END_STREAM | F_PADDED;
  else if (type == T_HEADERS) known = F_END_STREAM | F_END_HEADERS | F_PADDED | F_PRIORITY;
  else if (type == T_PUSH_PROMISE) known = F_END_HEADERS | F_PADDED;
  else if (type == T_CONTINUATION) known = F_END_HEADERS;
  int first = 1;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    if (!(flags & known & names[i].bit)) continue;
    printf("%s%s", first ? "" : "|", names[i].name);
    first = 0;
  }
  uint8_t rest = flags & (uint8_t)~known;
  if (rest || first) printf("%s0x%x", first ? "" : "|", rest);
}

/* ---- sending: every write goes out whole before the deadline, or the run ends */

static int write_all(const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w;
    short ev = POLLOUT;
    if (g_ssl) {
      ERR_clear_error();
      errno = 0;
      int r = SSL_write(g_ssl, p, (int)n);
      if (r > 0) w = r;
      else {
        int e = SSL_get_error(g_ssl, r);
        if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET) g_reset_on_write = 1;
        if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) return -1;
        if (e == SSL_ERROR_WANT_READ) ev = POLLIN;
        w = -1, errno = EAGAIN;
      }
    } else {
      w = send(g_fd, p, n, MSG_NOSIGNAL);
    }
    if (w >= 0) { p += w; n -= (size_t)w; continue; }
    if (errno == ECONNRESET) g_reset_on_write = 1;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    double left = g_deadline - now();
    struct pollfd pfd = {g_fd, ev, 0};
    if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) < 0) return -1;
  }
  return 0;
}

/* A write the server may refuse by closing: ignored, the reader then sees EOF or RST. */
static void send_frame(uint8_t type, uint8_t flags, uint32_t stream, const uint8_t *payload,
                       size_t len) {
  uint8_t head[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
                     (uint8_t)(stream >> 24 & 0x7f), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
                     (uint8_t)stream};
  if (write_all(head, 9) == 0 && len > 0) write_all(payload, len);
}

static void send_request_headers(const struct opts *o, const char *authority) {
  nghttp2_nv nv[MAX_HEADERS + 4];
  size_t n = 0;
#define NV(name, nlen, value, vlen)                                                           \
  nv[n++] = (nghttp2_nv){(uint8_t *)(name), (uint8_t *)(value), (nlen), (vlen), NGHTTP2_NV_FLAG_NONE}
  NV(":method", 7, o->method, strlen(o->method));
  NV(":scheme", 7, o->tls ? "https" : "http", strlen(o->tls ? "https" : "http"));
  NV(":authority", 10, authority, strlen(authority));
  NV(":path", 5, o->path, strlen(o->path));
  for (int i = 0; i < o->nheaders; i++) {
    /* a --header naming one of the four pseudo-headers above takes its place */
    size_t j = 0;
    while (j < 4 && !(nv[j].namelen == o->hnamelen[i] && !memcmp(nv[j].name, o->hname[i], nv[j].namelen)))
      j++;
    if (j < 4) nv[j].value = (uint8_t *)o->hvalue[i], nv[j].valuelen = o->hlen[i];
    else NV(o->hname[i], o->hnamelen[i], o->hvalue[i], o->hlen[i]);
  }
#undef NV
  nghttp2_hd_deflater *deflater;
  if (nghttp2_hd_deflate_new(&deflater, 4096) != 0) die(1, "out of memory");
  size_t bound = nghttp2_hd_deflate_bound(deflater, nv, n);
  uint8_t *block = malloc(bound);
  if (!block) die(1, "out of memory");
  ssize_t len = nghttp2_hd_deflate_hd(deflater, block, bound, nv, n);
  if (len < 0) die(1, "HPACK deflate failed: %s", nghttp2_strerror((int)len));
  nghttp2_hd_deflate_del(deflater);
  /* A block above the frame size goes on in CONTINUATION frames (RFC 9113 6.10). */
  size_t off = 0;
  uint8_t type = T_HEADERS;
  do {
    size_t chunk = (size_t)len - off > MAX_FRAME ? MAX_FRAME : (size_t)len - off;
    uint8_t flags = off + chunk == (size_t)len ? F_END_HEADERS : 0;
    if (type == T_HEADERS && !o->body) flags |= F_END_STREAM;
    send_frame(type, flags, STREAM, block + off, chunk);
    off += chunk;
    type = T_CONTINUATION;
  } while (off < (size_t)len);
  free(block);
}

/* ---- the request body, within the server's windows (RFC 9113 6.9) */

struct body_state {
  const uint8_t *data;
  size_t len, sent;
  int64_t conn_window, stream_window, initial_window;
  uint32_t max_frame;
  int server_settings_seen, ended, stream_closed;
};

static void send_body(struct body_state *b) {
  if (!b->data || b->ended || b->stream_closed || !b->server_settings_seen) return;
  while (b->sent < b->len) {
    int64_t room = b->conn_window < b->stream_window ? b->conn_window : b->stream_window;
    if (room > (int64_t)b->max_frame) room = b->max_frame;
    if (room <= 0) return; /* wait for WINDOW_UPDATE (or SETTINGS) */
    size_t chunk = b->len - b->sent < (size_t)room ? b->len - b->sent : (size_t)room;
    int last = b->sent + chunk == b->len;
    send_frame(T_DATA, last ? F_END_STREAM : 0, STREAM, b->data + b->sent, chunk);
    b->sent += chunk;
    b->conn_window -= (int64_t)chunk;
    b->stream_window -= (int64_t)chunk;
    if (last) b->ended = 1;
  }
  if (b->len == 0 && !b->ended) { /* --body '': a lone END_STREAM, which costs no window */
    send_frame(T_DATA, F_END_STREAM, STREAM, NULL, 0);
    b->ended = 1;
  }
}

/* ---- receiving: one line per frame */

struct reader {
  const struct opts *o;
  nghttp2_hd_inflater *inflater;
  int hpack_broken; /* after a decoding error the HPACK context is lost for good */
  struct body_state *body;
};

/* Decodes one header block fragment and prints its fields on the current line. */
static void put_header_fragment(struct reader *r, const uint8_t *in, size_t n, int final) {
  if (r->hpack_broken) { fputs(" (HPACK context lost)", stdout); return; }
  for (;;) {
    nghttp2_nv nv;
    int iflags = 0;
    ssize_t used = nghttp2_hd_inflate_hd2(r->inflater, &nv, &iflags, in, n, final);
    if (used < 0) {
      printf(" HPACK_ERROR=\"%s\"", nghttp2_strerror((int)used));
      r->hpack_broken = 1;
      return;
    }
    in += used;
    n -= (size_t)used;
    if (iflags & NGHTTP2_HD_INFLATE_EMIT) {
      putchar(' ');
      put_field(nv.name, nv.namelen);
      putchar('=');
      put_field(nv.value, nv.valuelen);
    }
    if (iflags & NGHTTP2_HD_INFLATE_FINAL) { nghttp2_hd_inflate_end_headers(r->inflater); return; }
    if (!(iflags & NGHTTP2_HD_INFLATE_EMIT) && n == 0) return;
  }
}

/* Strips the Pad Length byte and padding of a PADDED frame; -1 when they do not fit. */
static int unpad(uint8_t flags, const uint8_t **p, size_t *n) {
  if (!(flags & F_PADDED)) return 0;
  if (*n < 1 || (size_t)(*p)[0] + 1 > *n) return -1;
  size_t pad = (*p)[0];
  *p += 1;
  *n -= 1 + pad;
  return 0;
}

static void put_raw_payload(const uint8_t *p, size_t n) {
  printf(" len=%zu payload=", n);
  put_escaped(p, n);
}

static void on_settings(struct reader *r, uint8_t flags, const uint8_t *p, size_t n) {
  struct body_state *b = r->body;
  for (size_t i = 0; i + 6 <= n; i += 6) {
    unsigned id = (unsigned)p[i] << 8 | p[i + 1];
    uint32_t v = get32(p + i + 2);
    if (id < sizeof SETTING_NAMES / sizeof *SETTING_NAMES && SETTING_NAMES[id])
      printf(" %s=%u", SETTING_NAMES[id], v);
    else printf(" 0x%x=%u", id, v);
    if (flags & F_ACK) continue;
    if (id == 4) { /* the change applies to open streams' windows (RFC 9113 6.9.2) */
      b->stream_window += (int64_t)v - b->initial_window;
      b->initial_window = v;
    } else if (id == 5 && v >= MAX_FRAME && v <= 0xffffff) {
      b->max_frame = v;
    }
  }
  if (n % 6) put_raw_payload(p + n - n % 6, n % 6);
  if (!(flags & F_ACK)) {
    b->server_settings_seen = 1;
    if (!r->o->no_ack) send_frame(T_SETTINGS, F_ACK, 0, NULL, 0);
  }
}

static void on_frame(struct reader *r, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream,
                     const uint8_t *p) {
  struct body_state *b = r->body;
  size_t n = len;
  if (type == T_GOAWAY && n >= 8) { /* GOAWAY is about the connection: no stream= */
    printf("GOAWAY last_stream_id=%u code=", get32(p) & 0x7fffffffu);
    put_code(get32(p + 4));
    fputs(" debug=", stdout);
    put_escaped(p + 8, n - 8);
    putchar('\n');
    return;
  }
  if (type <= T_CONTINUATION) printf("%s stream=%u", TYPE_NAMES[type], stream);
  else printf("FRAME type=0x%x stream=%u", type, stream);
  switch (type) {
  case T_DATA:
    put_flags(type, flags);
    if (unpad(flags, &p, &n) < 0) { put_raw_payload(p, n); break; }
    printf(" len=%zu data=", n);
    put_escaped(p, n);
    break;
  case T_HEADERS:
  case T_PUSH_PROMISE:
  case T_CONTINUATION:
    put_flags(type, flags);
    if ((type != T_CONTINUATION && unpad(flags, &p, &n) < 0) ||
        (type == T_HEADERS && (flags & F_PRIORITY) && n < 5) || (type == T_PUSH_PROMISE && n < 4)) {
      put_raw_payload(p, n);
      break;
    }
    if (type == T_HEADERS && (flags & F_PRIORITY)) {
      printf(" dep=%u weight=%u", get32(p) & 0x7fffffffu, p[4] + 1u);
      p += 5, n -= 5;
    }
    if (type == T_PUSH_PROMISE) {
      printf(" promised=%u", get32(p) & 0x7fffffffu);
      p += 4, n -= 4;
    }
    put_header_fragment(r, p, n, (flags & F_END_HEADERS) != 0);
    break;
  case T_RST_STREAM:
    if (n != 4) { put_raw_payload(p, n); break; }
    fputs(" code=", stdout);
    put_code(get32(p));
    if (stream == STREAM) b->stream_closed = 1;
    break;
  case T_SETTINGS:
    put_flags(type, flags);
    on_settings(r, flags, p, n);
    break;
  case T_PING:
    put_flags(type, flags);
    fputs(" data=", stdout);
    put_escaped(p, n);
    if (!(flags & F_ACK) && !r->o->no_ack && n == 8) send_frame(T_PING, F_ACK, 0, p, 8);
    break;
  case T_WINDOW_UPDATE:
    if (n != 4) { put_raw_payload(p, n); break; }
    printf(" increment=%u", get32(p) & 0x7fffffffu);
    if (stream == 0) b->conn_window += get32(p) & 0x7fffffffu;
    else if (stream == STREAM) b->stream_window += get32(p) & 0x7fffffffu;
    break;
  default: /* PRIORITY, a GOAWAY too short, types without a name */
    put_flags(type, flags);
    put_raw_payload(p, n);
  }
  putchar('\n');
  if (type == T_SETTINGS || type == T_WINDOW_UPDATE) send_body(b);
}

/* Reads what is there; returns bytes read, 0 for nothing yet, -1 EOF, -2 RST, -3 error. */
static ssize_t read_some(uint8_t *buf, size_t cap) {
  if (!g_ssl) {
    ssize_t n = recv(g_fd, buf, cap, 0);
    if (n > 0) return n;
    if (n == 0) return -1;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    return errno == ECONNRESET ? -2 : -3;
  }
  ERR_clear_error();
  errno = 0;
  int n = SSL_read(g_ssl, buf, (int)cap);
  if (n > 0) return n;
  switch (SSL_get_error(g_ssl, n)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE: return 0;
  case SSL_ERROR_ZERO_RETURN: return -1; /* close_notify */
  case SSL_ERROR_SYSCALL: return errno == ECONNRESET ? -2 : -1;
  default: /* OpenSSL 3 reports a FIN without close_notify as an SSL error */
    return errno == ECONNRESET ? -2 : -1;
  }
}

/* The receive loop: frames until the connection ends or the deadline passes. */
static const char *receive(struct reader *r) {
  static uint8_t buf[1 << 16]; /* a whole frame fits: 9 + MAX_FRAME */
  size_t have = 0;
  int raw = 0; /* once bytes are not a frame, the rest of the connection is RAW */
  const char *end = "TIMEOUT";
  for (;;) {
    int pending = g_ssl && SSL_pending(g_ssl) > 0;
    double left = g_deadline - now();
    if (left <= 0) break;
    struct pollfd pfd = {g_fd, POLLIN, 0};
    if (!pending) {
      int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
      if (pr < 0 && errno != EINTR) break;
      if (pr <= 0) continue;
    }
    ssize_t got = read_some(buf + have, sizeof buf - have);
    if (got == -1) { end = g_reset_on_write ? "RST" : "EOF"; break; }
    if (got < -1) { end = "RST"; break; }
    have += (size_t)got;
    while (!raw && have >= 9) {
      uint32_t len = (uint32_t)buf[0] << 16 | (uint32_t)buf[1] << 8 | buf[2];
      if (len > MAX_FRAME) { raw = 1; break; }
      if (have < 9 + len) break;
      on_frame(r, len, buf[3], buf[4], get32(buf + 5) & 0x7fffffffu, buf + 9);
      memmove(buf, buf + 9 + len, have - 9 - len);
      have -= 9 + len;
    }
    if (raw && have == sizeof buf) { /* a long non-HTTP/2 reply: one RAW line per buffer */
      fputs("RAW ", stdout);
      put_escaped(buf, have);
      putchar('\n');
      have = 0;
    }
  }
  /* Whatever is left is no (whole) frame: shown as it is. */
  if (have > 0) {
    fputs("RAW ", stdout);
    put_escaped(buf, have);
    putchar('\n');
  }
  return end;
}

/* ---- connecting */

static void connect_tls(const struct opts *o) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) die(1, "SSL_CTX_new failed");
  if (o->cacert) {
    if (SSL_CTX_load_verify_locations(ctx, o->cacert, NULL) != 1)
      die(2, "cannot load CA file %s", o->cacert);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  }
  static const unsigned char alpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn);
  g_ssl = SSL_new(ctx);
  SSL_CTX_free(ctx); /* the session keeps its reference */
  SSL_set_fd(g_ssl, g_fd);
  SSL_set_tlsext_host_name(g_ssl, "localhost");
  /* the run's certificates name localhost and 127.0.0.1; check the address we dialed */
  if (o->cacert) SSL_set1_host(g_ssl, "127.0.0.1");
  if (SSL_connect(g_ssl) != 1) {
    unsigned long e = ERR_get_error();
    die(2, "TLS handshake with 127.0.0.1:%d failed: %s", o->port,
        e ? ERR_error_string(e, NULL) : "connection closed");
  }
  const unsigned char *proto;
  unsigned int plen;
  SSL_get0_alpn_selected(g_ssl, &proto, &plen);
  if (plen) printf("ALPN %.*s\n", (int)plen, (const char *)proto);
  else puts("ALPN none");
}

static void connect_to(const struct opts *o) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (g_fd < 0) die(2, "socket: %s", strerror(errno));
  /* the blocking steps (connect, handshake) end at the deadline too */
  struct timeval tv = {(time_t)o->timeout, (suseconds_t)((o->timeout - (double)(time_t)o->timeout) * 1e6)};
  setsockopt(g_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(g_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(g_fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    die(2, "cannot connect to 127.0.0.1:%d: %s", o->port, strerror(errno));
  if (o->tls) connect_tls(o);
  fcntl(g_fd, F_SETFL, fcntl(g_fd, F_GETFL) | O_NONBLOCK);
}

/* ---- options */

static const char USAGE[] =
  "usage: h2frames [options] PORT\n"
  "  Connects to 127.0.0.1:PORT, sends the HTTP/2 preface, SETTINGS and one request on\n"
  "  stream 1, and prints one line per frame received; the last line is EOF, RST or TIMEOUT.\n"
  "  --method M        :method (default GET)\n"
  "  --path P          :path (default /)\n"
  "  --header n:v      an extra header field, as given (repeatable); :method, :scheme,\n"
  "                    :authority or :path replace the default one\n"
  "  --body STRING     sends STRING as DATA, within the server's windows\n"
  "  --window N        its own SETTINGS_INITIAL_WINDOW_SIZE\n"
  "  --tls             TLS with ALPN h2 (first line: ALPN <protocol>|none)\n"
  "  --cacert FILE     with --tls: verify the server against FILE (default: no verification)\n"
  "  --no-ack          does not ACK the server's SETTINGS and PINGs\n"
  "  --timeout S       seconds for the whole exchange (default 5)\n"
  "  --help            this text\n"
  "Exit: 0 when it ran, 2 on a usage error or a failed connect.\n";

static void usage_error(const char *fmt, const char *arg) {
  fputs("h2frames: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n", stderr);
  fputs(USAGE, stderr);
  exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o) {
  *o = (struct opts){.method = "GET", .path = "/", .window = -1, .timeout = 5.0};
  const char *port = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help")) { fputs(USAGE, stdout); exit(0); }
    if (!strcmp(a, "--tls")) { o->tls = 1; continue; }
    if (!strcmp(a, "--no-ack")) { o->no_ack = 1; continue; }
    if (a[0] == '-' && a[1] == '-') {
      if (i + 1 >= argc) usage_error("%s needs a value", a);
      const char *v = argv[++i];
      char *endp;
      if (!strcmp(a, "--method")) o->method = v;
      else if (!strcmp(a, "--path")) o->path = v;
      else if (!strcmp(a, "--body")) o->body = v;
      else if (!strcmp(a, "--cacert")) o->cacert = v;
      else if (!strcmp(a, "--header")) {
        /* split at the first ':' after the first byte, so ":authority:x" names a pseudo-header */
        const char *colon = *v ? strchr(v + 1, ':') : NULL;
        if (!colon) usage_error("--header %s: expected name:value", v);
        if (o->nheaders == MAX_HEADERS) usage_error("too many --header (at most 64): %s", v);
        o->hname[o->nheaders] = v;
        o->hnamelen[o->nheaders] = (size_t)(colon - v);
        o->hvalue[o->nheaders] = colon + 1;
        o->hlen[o->nheaders++] = strlen(colon + 1);
      } else if (!strcmp(a, "--window")) {
        long w = strtol(v, &endp, 10);
        if (*endp || endp == v || w < 0 || w > 0x7fffffffL) usage_error("--window %s: 0..2147483647", v);
        o->window = w;
      } else if (!strcmp(a, "--timeout")) {
        double t = strtod(v, &endp);
        if (*endp || endp == v || !(t > 0 && t < 86400)) usage_error("--timeout %s: seconds > 0", v);
        o->timeout = t;
      } else usage_error("unknown option %s", a);
      continue;
    }
    if (port) usage_error("one PORT only (extra: %s)", a);
    port = a;
  }
  if (!port) usage_error("%s", "PORT is missing");
  char *endp;
  long p = strtol(port, &endp, 10);
  if (*endp || endp == port || p < 1 || p > 65535) usage_error("PORT %s: 1..65535", port);
  o->port = (int)p;
  if (o->cacert && !o->tls) usage_error("%s", "--cacert needs --tls");
}

int main(int argc, char **argv) {
  struct opts o;
  parse_opts(argc, argv, &o);
  signal(SIGPIPE, SIG_IGN); /* a server that closes shows as EOF or RST, not as a signal */
  setvbuf(stdout, NULL, _IOLBF, 0); /* a line is out as soon as its frame came */
  g_deadline = now() + o.timeout;
  connect_to(&o);

  static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  write_all(preface, sizeof preface - 1);
  /* ENABLE_PUSH=0 as browsers and curl send it; INITIAL_WINDOW_SIZE only when asked */
  uint8_t settings[12] = {0, 2, 0, 0, 0, 0};
  size_t slen = 6;
  if (o.window >= 0) {
    uint8_t *s = settings + 6;
    s[0] = 0, s[1] = 4;
    s[2] = (uint8_t)(o.window >> 24), s[3] = (uint8_t)(o.window >> 16);
    s[4] = (uint8_t)(o.window >> 8), s[5] = (uint8_t)o.window;
    slen = 12;
  }
  send_frame(T_SETTINGS, 0, 0, settings, slen);
  char authority[32];
  snprintf(authority, sizeof authority, "127.0.0.1:%d", o.port);
  send_request_headers(&o, authority);

  struct body_state body = {.data = (const uint8_t *)o.body, .len = o.body ? strlen(o.body) : 0,
                            .conn_window = 65535, .stream_window = 65535, .initial_window = 65535,
                            .max_frame = MAX_FRAME};
  struct reader r = {.o = &o, .body = &body};
  if (nghttp2_hd_inflate_new(&r.inflater) != 0) die(1, "out of memory");
  const char *end = receive(&r);
  if (o.body && !body.ended)
    printf("BODY %s sent=%zu of=%zu stream_window=%lld connection_window=%lld%s\n",
           body.stream_closed ? "stopped" : "blocked", body.sent, body.len,
           (long long)body.stream_window, (long long)body.conn_window,
           body.stream_closed ? " (RST_STREAM)"
           : body.server_settings_seen ? "" : " (no SETTINGS from the server)");
  puts(end);
  nghttp2_hd_inflate_del(r.inflater);
  if (g_ssl) SSL_free(g_ssl);
  close(g_fd);
  return 0;
}
