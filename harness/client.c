/* client.c: what the proxy's client sees, through libcurl. */
#include "client.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "client_h2_tap.h"

int client_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }
void client_global_cleanup(void) { curl_global_cleanup(); }

struct sink {
  struct client_result *r;
  size_t hlen;
  int head_status; /* the status of the head being received; 0 between heads */
  bool saw_status; /* any status line came: the reply is not HTTP/0.9 */
  bool bad_status_line;
  bool bad_length;  /* a head with Content-Length twice, or not a number */
  int lengths;      /* Content-Length fields in the head being received */
  void (*on_final_head)(void *);
  void *arg;
  struct seen *seen;     /* NULL: not kept */
  long cur;              /* seen->responses index of the final response, or -1 */
  int interim[SEEN_MAX_INTERIM];
  int ninterim;
  struct timespec t0;
  struct client_transcript *transcript; /* NULL: not kept */
  bool h2;               /* HTTP/2: curl's status lines read "HTTP/2 200" */
  bool goaway;           /* a GOAWAY came (curl's own note says so) ... */
  unsigned long goaway_code; /* ... with this error code */
};

static double since(const struct timespec *t0) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)(ts.tv_sec - t0->tv_sec) + (double)(ts.tv_nsec - t0->tv_nsec) / 1e9;
}

static struct seen_response *current(struct sink *s) {
  return s->seen && s->cur >= 0 ? &s->seen->responses[s->cur] : NULL;
}

/* A line without its CR LF. */
static size_t line_len(const char *p, size_t len) {
  while (len && (p[len - 1] == '\n' || p[len - 1] == '\r')) len--;
  return len;
}

/* The status line of a final response starts the one curl's exchange keeps in seen. */
static void seen_status_line(struct sink *s, const char *p, size_t len) {
  if (!s->seen) return;
  if (s->head_status > 0 && s->head_status < 200) {
    if (s->ninterim < SEEN_MAX_INTERIM) s->interim[s->ninterim++] = s->head_status;
    seen_set_pending(s->seen, s->interim, s->ninterim);
    return;
  }
  if (s->head_status < 200) return;
  s->seen->npending = 0;
  struct seen_response *r = seen_add_response(s->seen, 0, 0);
  if (!r) return;
  s->cur = (long)(r - s->seen->responses);
  len = line_len(p, len);
  /* "HTTP/1.1 200 OK", or curl's "HTTP/2 200" for an HTTP/2 response (which has no reason) */
  const char *sp = memchr(p, ' ', len);
  int vlen = sp ? (int)(sp - p) : (int)len;
  snprintf(r->version, sizeof r->version, "%.*s", vlen < 8 ? vlen : 8, p);
  r->status = s->head_status;
  if (len > 13) {
    char *reason = strndup(p + 13, len - 13);
    if (reason) free(r->reason), r->reason = reason;
  }
  memcpy(r->interim, s->interim, sizeof r->interim);
  r->ninterim = s->ninterim;
}

static void seen_field_line(struct sink *s, const char *p, size_t len) {
  struct seen_response *r = current(s);
  const char *colon = memchr(p, ':', len);
  if (!r || !colon) return;
  size_t vlen = line_len(colon + 1, len - (size_t)(colon + 1 - p));
  seen_add_field(r, p, (size_t)(colon - p), colon + 1, vlen);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct sink *s = arg;
  s->r->body_bytes += size * n;
  struct seen_response *r = current(s);
  if (r) seen_add_body(r, p, size * n);
  return size * n;
}

/* The status of a status line: RFC 9112 4, HTTP-version SP 3DIGIT, the version being
 * "HTTP/" DIGIT "." DIGIT. curl also takes "HTTP/2 200" on an HTTP/1.1 connection; http-parser
 * (the raw client) does not, and neither does the RFC: -1 for such a line. 0 when the line
 * is no status line at all. */
static int status_of(const char *p, size_t len, bool h2) {
  if (len < 5 || memcmp(p, "HTTP/", 5) != 0) return 0;
  /* HTTP/2 has no status line (RFC 9113 8.3.2: a :status pseudo-header): curl writes one as
   * "HTTP/2 200 " for its callbacks */
  if (h2 && len >= 10 && !memcmp(p, "HTTP/2 ", 7) && isdigit((unsigned char)p[7]) && isdigit((unsigned char)p[8]) &&
      isdigit((unsigned char)p[9]))
    return (p[7] - '0') * 100 + (p[8] - '0') * 10 + (p[9] - '0');
  if (len < 12 || !isdigit((unsigned char)p[5]) || p[6] != '.' || !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
      !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]))
    return -1;
  return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* Does this field line make the head's framing invalid: a "Content-Length:" whose value
 * is not 1*DIGIT (OWS around), or a second one? RFC 9112 6.3 item 5: a recipient MUST
 * treat an invalid Content-Length as unrecoverable, and MAY reject a repeated one (RFC 9110
 * 8.6). curl takes the last value; http-parser (the raw client) rejects both, and so must
 * this client, or the two would not say the same word. */
static bool bad_content_length(struct sink *s, const char *p, size_t len) {
  static const char name[] = "content-length:";
  if (len < sizeof name - 1 || strncasecmp(p, name, sizeof name - 1) != 0) return false;
  if (++s->lengths > 1) return true;
  size_t i = sizeof name - 1, digits = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
  while (i < len && isdigit((unsigned char)p[i])) i++, digits++;
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
  return digits == 0 || i != len;
}

/* curl hands over every header line, 1xx heads and trailers included, one call each: the
 * status line, the fields, then the empty line that ends the head. That empty line after
 * a non-1xx status is the end of the final head (RFC 9110 15.2: a 1xx is never final);
 * CURLINFO_RESPONSE_CODE cannot say it, it keeps the last status seen, 1xx or not. */
static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  struct sink *s = arg;
  struct client_result *r = s->r;
  size_t len = size * n, room = sizeof r->headers - 1 - s->hlen, keep = len < room ? len : room;
  memcpy(r->headers + s->hlen, p, keep);
  s->hlen += keep;
  r->headers[s->hlen] = 0;
  if (r->final_head) return len; /* trailers */
  if (s->head_status == 0) {
    s->lengths = 0;
    s->head_status = status_of(p, len, s->h2);
    s->saw_status |= s->head_status != 0;
    s->bad_status_line |= s->head_status < 0;
    if (s->head_status >= 200) r->status = s->head_status;
    seen_status_line(s, p, len);
  } else if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n')) {
    /* A head whose framing is invalid is no head the client can use, final or not. */
    bool usable = !s->bad_length;
    if (usable && s->head_status > 0 && s->head_status < 200) {
      r->interim++;
    } else if (usable && s->head_status >= 200) {
      r->final_head = true;
      struct seen_response *sr = current(s);
      if (sr) sr->head_complete = true, sr->head_s = since(&s->t0);
      if (s->on_final_head) s->on_final_head(s->arg);
    }
    s->head_status = 0;
  } else {
    if (bad_content_length(s, p, len)) s->bad_length = true;
    if (s->head_status >= 200) seen_field_line(s, p, len);
  }
  return len;
}

/* The bytes of the exchange as curl shows them to a debug callback: the request head and
 * body it wrote; the response's header lines and body bytes as it read them (its one
 * connection, FORBID_REUSE: "connection 1"). Its own notes (CURLINFO_TEXT) are not bytes. */
static int on_debug(CURL *h, curl_infotype type, char *p, size_t n, void *arg) {
  struct sink *s = arg;
  /* curl tells a GOAWAY in a note of its own only (7.88's spelling, "recveived", and a
   * corrected one): no CURLcode or info says the stream died of it */
  static const char goaway[] = "eived GOAWAY, error=";
  if (type == CURLINFO_TEXT && s->h2) {
    char note[160];
    snprintf(note, sizeof note, "%.*s", (int)(n < sizeof note - 1 ? n : sizeof note - 1), p);
    const char *at = strstr(note, goaway);
    if (at) s->goaway = true, s->goaway_code = strtoul(at + sizeof goaway - 1, NULL, 10);
  }
  if (!s->transcript) return 0;
  if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT) client_transcript_sent(s->transcript, 1, p, n);
  else if (type == CURLINFO_HEADER_IN || type == CURLINFO_DATA_IN) client_transcript_received(s->transcript, 1, p, n);
  return 0;
}

/* How curl's exchange ended, in outcome.h's terms. CURLINFO_OS_ERRNO tells a reset from a
 * receive error that is curl's own verdict on the bytes (errno 0: a bad chunk size). */
static enum outcome_end end_of(CURLcode rc, long oserr) {
  switch (rc) {
  case CURLE_OK: return OUTCOME_COMPLETE;
  case CURLE_GOT_NOTHING:          /* 52 Empty reply from server */
  case CURLE_PARTIAL_FILE: return OUTCOME_FIN; /* 18 transfer closed with ... remaining */
  case CURLE_OPERATION_TIMEDOUT: return OUTCOME_TIMEOUT;
  case CURLE_COULDNT_CONNECT: return OUTCOME_REFUSED;
  case CURLE_BAD_CONTENT_ENCODING: /* 61: the body is not in the coding its head names */
  case CURLE_WEIRD_SERVER_REPLY:   /* 8: a NUL in a header, a bad status line */
  case CURLE_UNSUPPORTED_PROTOCOL: return OUTCOME_INVALID; /* 1: "Unsupported HTTP version" */
  case CURLE_RECV_ERROR:
    return oserr == ECONNRESET ? OUTCOME_RESET : oserr == 0 ? OUTCOME_INVALID : OUTCOME_ERROR;
  case CURLE_SEND_ERROR: return oserr == ECONNRESET || oserr == EPIPE ? OUTCOME_RESET : OUTCOME_ERROR;
  /* --client-tls: the handshake with the proxy failed (an alert, a connection that ended in
   * it), or its certificate did not verify against the run's CA. */
  case CURLE_SSL_CONNECT_ERROR:        /* 35 */
  case CURLE_PEER_FAILED_VERIFICATION: /* 60 */
  case CURLE_SSL_CERTPROBLEM:          /* 58 */
  case CURLE_SSL_CIPHER:               /* 59 */
  case CURLE_SSL_CACERT_BADFILE: return OUTCOME_TLS; /* 77 */
  /* HTTP/2 (CURLE_HTTP2: a framing or HPACK error; a stream's own ends: h2_end) */
  case CURLE_HTTP2: return OUTCOME_INVALID;
  default: return OUTCOME_ERROR;
  }
}

#define H2_REFUSED_STREAM 7 /* RFC 9113 7 */

/* h2c: a tap between curl and the server of url (client_h2_tap.h), which curl is sent to
 * (CURLOPT_CONNECT_TO, the URL and its :authority unchanged); NULL when the server does not
 * take a connection: curl then connects itself and says how that failed. */
static struct h2_tap *tap_for(CURL *h, const char *url, double timeout_s, struct curl_slist **connect_to) {
  CURLU *u = curl_url();
  char *host = NULL, *port = NULL;
  struct h2_tap *tap = NULL;
  if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    int tap_port = 0;
    tap = h2_tap_start(host, atoi(port), timeout_s, &tap_port);
    char rule[64];
    snprintf(rule, sizeof rule, "::127.0.0.1:%d", tap_port);
    if (tap && (*connect_to = curl_slist_append(NULL, rule)) != NULL) curl_easy_setopt(h, CURLOPT_CONNECT_TO, *connect_to);
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return tap;
}

/* How an h2c stream ended, by what the tap saw the server send, where curl's word is not
 * enough: a RST_STREAM of the server's (NO_ERROR too, which curl takes for a clean end that
 * came short) is rst(its code); a stream reset that the server did not send is curl's own,
 * for a stream that broke HTTP/2's rules: END_STREAM before Content-Length's bytes is a body
 * cut short (NNN+truncated, as a FIN is in HTTP/1.1), anything else invalid; a GOAWAY that
 * left the stream unfinished is goaway(its code). Sets *code; writes what happened into why. */
static enum outcome_end tapped_end(enum outcome_end end, CURLcode rc, const struct h2_tap_seen *t, unsigned long *code,
                                   char *why, size_t len, size_t *decided_at) {
  *decided_at = 0; /* where in the proxy's bytes the end was decided; 0: not by the tap */
  if (rc == CURLE_OK) return end;
  /* what went wrong first, in the order the proxy sent it (0: never) */
  size_t malformed = 0;
  const size_t marks[] = {t->short_end_at, t->overflow_at, t->bad_field_at};
  for (size_t i = 0; i < 3; i++)
    if (marks[i] && (!malformed || marks[i] < malformed)) malformed = marks[i];
  if (t->rst && (!malformed || t->rst_at < malformed)) {
    *code = t->rst_code;
    *decided_at = t->rst_at;
    /* RFC 9113 8.7: a request refused so was not processed, and a client may send it again:
     * curl does, on a new connection, which the tap does not take (the exchange is the first) */
    if (t->rst_code == H2_REFUSED_STREAM) snprintf(why, len, "the proxy refused the stream (REFUSED_STREAM); curl's retry on a new "
                                             "connection was not let through");
    return OUTCOME_RST;
  }
  *decided_at = malformed;
  if (malformed && malformed == t->short_end_at) {
    snprintf(why, len, "the proxy ended the stream (END_STREAM) after %zu of its content-length %ld bytes, and curl "
                       "reset it", t->data_bytes, t->content_length);
    return OUTCOME_FIN;
  }
  if (malformed && malformed == t->bad_field_at) {
    snprintf(why, len, "the proxy sent a field that makes the stream malformed (RFC 9113 8.2.1: %s), and curl reset it",
             t->bad_field);
    return OUTCOME_INVALID;
  }
  if (malformed) {
    snprintf(why, len, "the proxy sent more DATA than its content-length %ld, and curl reset the stream%s",
             t->content_length, t->rst ? " (the proxy's RST_STREAM came after)" : "");
    return OUTCOME_INVALID;
  }
  if (end == OUTCOME_RST) { /* curl's own RST_STREAM, for another of HTTP/2's rules */
    snprintf(why, len, "curl reset the stream itself: the proxy's frames broke HTTP/2's rules");
    return OUTCOME_INVALID;
  }
  if (t->goaway && (end == OUTCOME_FIN || end == OUTCOME_RESET || end == OUTCOME_GOAWAY)) {
    *code = t->goaway_code;
    *decided_at = t->bytes;
    return OUTCOME_GOAWAY;
  }
  return end;
}

/* How an HTTP/2 stream that curl reports as CURLE_HTTP2_STREAM (92) ended, from its error
 * text (curl's lib/http2.c, 7.88):
 *   "HTTP/2 stream 1 was not closed cleanly: INTERNAL_ERROR (err 2)"   RST_STREAM, code 2
 *   "HTTP/2 stream 1 was not closed cleanly before end of the underlying stream"
 *       the connection ended with the stream open: after a GOAWAY, goaway(its code); else a FIN
 *   "HTTP/2 stream 1 was closed cleanly, but before getting  all response header fields"
 *       END_STREAM with no final response: closed
 * *code gets the error code of an RST or GOAWAY end. */
static enum outcome_end h2_end(const char *text, const struct sink *s, unsigned long *code) {
  static const char rst[] = "not closed cleanly: ";
  const char *at = strstr(text, rst), *err = at ? strstr(at, "(err ") : NULL;
  if (err) {
    *code = strtoul(err + 5, NULL, 10);
    return OUTCOME_RST;
  }
  if (s->goaway) {
    *code = s->goaway_code;
    return OUTCOME_GOAWAY;
  }
  return OUTCOME_FIN;
}

int client_get(const char *url, double timeout_s, struct client_result *r, int proxy_port,
               void (*on_final_head)(void *), void *arg) {
  return client_get_seen(url, timeout_s, r, proxy_port, on_final_head, arg, NULL, NULL, NULL, CLIENT_HTTP1);
}

int client_get_seen(const char *url, double timeout_s, struct client_result *r, int proxy_port,
                    void (*on_final_head)(void *), void *arg, struct seen *seen, struct client_transcript *transcript,
                    const char *cainfo, enum client_http http) {
  memset(r, 0, sizeof *r);
  if (seen) memset(seen, 0, sizeof *seen);
  CURL *h = curl_easy_init();
  if (!h) {
    snprintf(r->error, sizeof r->error, "curl: curl_easy_init failed");
    r->end = OUTCOME_ERROR;
    outcome_format(r->outcome, sizeof r->outcome, 0, OUTCOME_ERROR);
    return 0;
  }
  struct sink s = {.r = r, .on_final_head = on_final_head, .arg = arg, .seen = seen, .cur = -1,
                   .transcript = transcript, .h2 = http == CLIENT_HTTP2};
  clock_gettime(CLOCK_MONOTONIC, &s.t0);
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (transcript || http == CLIENT_HTTP2) {
    /* The debug callback is called only in verbose mode; it then gets what stderr would
     * (over HTTP/2, curl's notes tell a GOAWAY). */
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &s);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  }
  char proxy[64] = ""; /* never an environment proxy: we talk to ours */
  if (proxy_port > 0) snprintf(proxy, sizeof proxy, "%s://localhost:%d", cainfo ? "https" : "http", proxy_port);
  curl_easy_setopt(h, CURLOPT_PROXY, proxy);
  if (cainfo) {
    /* The proxy's certificate must chain to the run's CA and name the host of the URL
     * (RFC 6125): curl's defaults, said here so nobody turns them off by accident. */
    curl_easy_setopt(h, proxy_port > 0 ? CURLOPT_PROXY_CAINFO : CURLOPT_CAINFO, cainfo);
    curl_easy_setopt(h, proxy_port > 0 ? CURLOPT_PROXY_SSL_VERIFYPEER : CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, proxy_port > 0 ? CURLOPT_PROXY_SSL_VERIFYHOST : CURLOPT_SSL_VERIFYHOST, 2L);
    /* localhost is also ::1, where the proxy does not listen: one connection, to 127.0.0.1 */
    curl_easy_setopt(h, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
  }
  /* HTTP/1.1, inside TLS too: curl would offer h2 in ALPN, and a proxy that speaks it would
   * answer in another protocol than the run asked for. HTTP/2: h2c with prior knowledge (the
   * connection preface at once, no Upgrade), or over TLS ALPN h2 (and http/1.1, whose choice is checked below). Through a forward
   * proxy curl speaks HTTP/1.1 to it whatever it is told ("Ignoring HTTP/2 prior knowledge
   * due to proxy"), which is why --client-http2 skips forward cases. */
  long version = http == CLIENT_HTTP1 ? CURL_HTTP_VERSION_1_1
                 : cainfo             ? CURL_HTTP_VERSION_2TLS
                                      : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, version);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  /* Proxies may forward what the upstream sent; do not let curl refuse it before we see
   * the status (HTTP/0.9 bodies are an outcome here, not an error). */
  curl_easy_setopt(h, CURLOPT_HTTP09_ALLOWED, 1L);
  /* h2c: a tap reads what the proxy sends, frame by frame (TLS hides the frames from it) */
  struct curl_slist *connect_to = NULL;
  struct h2_tap *tap = http == CLIENT_HTTP2 && !cainfo && proxy_port <= 0 ? tap_for(h, url, timeout_s, &connect_to) : NULL;
  CURLcode rc = curl_easy_perform(h);
  struct h2_tap_seen tapped;
  h2_tap_finish(tap, &tapped);
  curl_slist_free_all(connect_to);
  long oserr = 0;
  double total = 0, first = 0;
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
  curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME, &first);
  r->total_s = total;
  r->first_byte_s = first;
  r->curl_code = (int)rc;
  /* What the curl command line prints, so a reader can compare with `curl -v`. */
  if (rc != CURLE_OK)
    /* curl's message is at most CURL_ERROR_SIZE (256) itself: cut it to what fits beside the code */
    snprintf(r->error, sizeof r->error, "curl: (%d) %.200s", (int)rc, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  r->end = end_of(rc, oserr);
  unsigned long h2_code = 0;
  if (rc == CURLE_HTTP2_STREAM) r->end = h2_end(errbuf, &s, &h2_code);
  char tap_why[200] = "";
  size_t decided_at = 0;
  if (tap) r->end = tapped_end(r->end, rc, &tapped, &h2_code, tap_why, sizeof tap_why, &decided_at);
  /* h2c: a server whose first bytes are no SETTINGS frame does not speak HTTP/2 there (an
   * HTTP/1.1 server answers the preface "PRI * HTTP/2.0" with a 400, or closes) */
  if (tap && tapped.not_frames)
    snprintf(r->h2_mismatch, sizeof r->h2_mismatch,
             "the proxy answered the h2c connection preface with no SETTINGS frame (%zu bytes that are not HTTP/2)",
             tapped.bytes);
  /* a :status that is no status (RFC 9110 15: three digits, 100-599; curl takes any number):
   * nginx passes an HTTP/0.9 reply on as ":status: 009" */
  const char *st = tap ? tapped.first_status : "";
  if (st[0] && !(strlen(st) == 3 && st[0] >= '1' && st[0] <= '9' && isdigit((unsigned char)st[1]) &&
                 isdigit((unsigned char)st[2]))) {
    r->status = 0;
    r->final_head = false;
    s.saw_status = true;
    r->end = OUTCOME_INVALID;
    snprintf(tap_why, sizeof tap_why, "the proxy's HEADERS had \":status: %s\", which is no status", st);
  }
  /* a head that came on the wire, which curl did not hand over as its stream broke first:
   * only when it came before what ended the stream, as the tap saw it (after a reset of
   * curl's own for a rule the tap does not check, whether the head reached the tap before
   * curl stopped would be a race) */
  if (tap && rc != CURLE_OK && !r->status && tapped.status && decided_at && tapped.status_at <= decided_at) {
    r->status = tapped.status;
    r->final_head = s.saw_status = true;
    if (!tap_why[0]) snprintf(tap_why, sizeof tap_why, "curl did not hand over the %d head", tapped.status);
    else snprintf(tap_why + strlen(tap_why), sizeof tap_why - strlen(tap_why), " (after the %d head, which curl did not hand over)", tapped.status);
  }
  long spoke = 0;
  curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &spoke);
  r->http_version = spoke == CURL_HTTP_VERSION_1_0 ? 10
                    : spoke == CURL_HTTP_VERSION_1_1 ? 11
                    : spoke == CURL_HTTP_VERSION_2_0 ? 20
                                                     : 0;
  /* ALPN is the server's choice (RFC 7301 3.2): one that took http/1.1 answered, but not in
   * the protocol the run is about */
  if (http == CLIENT_HTTP2 && r->http_version && r->http_version != 20)
    snprintf(r->h2_mismatch, sizeof r->h2_mismatch,
             "the proxy answered in HTTP/1.%d, not HTTP/2 (%s)", r->http_version % 10,
             cainfo ? "its ALPN choice was http/1.1 over h2" : "h2c with prior knowledge");
  /* Bytes with no status line: curl passed them on as an HTTP/0.9 body. */
  int status = !s.saw_status && r->body_bytes > 0 ? OUTCOME_HTTP09 : r->status;
  /* Where curl's verdict is not the truth, the truth wins and the error text says why. */
  const char *why = NULL;
  if (s.bad_status_line) {
    status = 0;
    r->status = 0;
    why = "a status line that is not HTTP/x.y NNN";
    r->end = OUTCOME_INVALID;
  } else if (s.bad_length) {
    why = "Content-Length repeated or not a number";
    r->end = OUTCOME_INVALID;
  } else if (r->end == OUTCOME_COMPLETE && status > 0 && !r->final_head) {
    why = "the response head never ended";
    r->end = OUTCOME_FIN;
  } else if (r->end == OUTCOME_COMPLETE && status == 0) {
    /* After a 1xx, curl hands on bytes that are not a status line (after a 101: another
     * protocol) as a body; and ends well when the connection ends inside a 1xx head. */
    why = r->body_bytes > 0 ? "bytes that are not a response after a 1xx" : "no final response";
    r->end = r->body_bytes > 0 ? OUTCOME_INVALID : OUTCOME_FIN;
  }
  if (!why && tap_why[0]) why = tap_why;
  if (why) {
    size_t k = strlen(r->error);
    if (k) snprintf(r->error + k, sizeof r->error - k, "; and %s", why);
    else snprintf(r->error, sizeof r->error, "curl: (%d) %s, yet %s", (int)rc, curl_easy_strerror(rc), why);
  }
  outcome_format_h2(r->outcome, sizeof r->outcome, status, r->end, h2_code);
  if (seen) {
    long sent = 0, conns = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
    seen->requests_sent = sent > 0;
    seen->connections = (int)conns;
    seen->total_s = total;
    struct seen_response *sr = current(&s);
    if (sr) sr->complete = r->end == OUTCOME_COMPLETE && r->final_head;
  }
  curl_easy_cleanup(h);
  return 0;
}

static size_t on_doc(char *p, size_t size, size_t n, void *arg) {
  buf_append(arg, p, size * n);
  return size * n;
}

char *client_fetch(const char *url, double timeout_s, long *status) {
  CURL *h = curl_easy_init();
  if (!h) return NULL;
  struct buf b = {0};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_doc);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  if (status) *status = code;
  buf_append(&b, "", 1);
  if (rc != CURLE_OK || b.oom) {
    buf_free(&b);
    return NULL;
  }
  return b.data;
}
