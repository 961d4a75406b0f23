/* client.c: what the proxy's client sees, through libcurl. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"

int client_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }
void client_global_cleanup(void) { curl_global_cleanup(); }

struct sink {
  struct client_result *r;
  size_t hlen;
  long status;
  void (*on_final_head)(void *);
  void *arg;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  struct sink *s = arg;
  s->r->body_bytes += size * n;
  return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg) {
  struct sink *s = arg;
  size_t len = size * n, room = sizeof s->r->headers - 1 - s->hlen;
  int st;
  if (len > 9 && !strncmp(p, "HTTP/", 5) && sscanf(p, "HTTP/%*s %3d", &st) == 1) s->status = st;
  if ((len == 2 || len == 1) && (p[0] == '\r' || p[0] == '\n') && s->status >= 200 && s->on_final_head) {
    s->on_final_head(s->arg);
    s->on_final_head = NULL;
  }
  if (len > room) len = room;
  memcpy(s->r->headers + s->hlen, p, len);
  s->hlen += len;
  s->r->headers[s->hlen] = 0;
  return size * n;
}

int client_get(const char *url, double timeout_s, struct client_result *r, int proxy_port,
               void (*on_final_head)(void *), void *arg) {
  memset(r, 0, sizeof *r);
  CURL *h = curl_easy_init();
  if (!h) {
    snprintf(r->outcome, sizeof r->outcome, "client_error");
    return 0;
  }
  struct sink s = {r, 0, 0, on_final_head, arg};
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
  char proxy[64] = ""; /* never an environment proxy: we talk to ours */
  if (proxy_port > 0) snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", proxy_port);
  curl_easy_setopt(h, CURLOPT_PROXY, proxy);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  /* Proxies may forward what the upstream sent; do not let curl refuse it before we see
   * the status (HTTP/0.9 bodies are an outcome here, not an error). */
  curl_easy_setopt(h, CURLOPT_HTTP09_ALLOWED, 1L);
  CURLcode rc = curl_easy_perform(h);
  long code = 0, oserr = 0;
  double total = 0, first = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
  curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME, &first);
  r->status = code;
  r->total_s = total;
  r->first_byte_s = first;
  r->curl_code = (int)rc;
  snprintf(r->curl_error, sizeof r->curl_error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
  const char *kind;
  switch (rc) {
  case CURLE_OK: kind = NULL; break;
  case CURLE_GOT_NOTHING: kind = "closed"; break;
  case CURLE_OPERATION_TIMEDOUT: kind = "timeout"; break;
  case CURLE_COULDNT_CONNECT: kind = "refused"; break;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL: kind = "invalid"; break;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR: kind = oserr == ECONNRESET || oserr == EPIPE ? "reset" : "closed"; break;
  case CURLE_PARTIAL_FILE: kind = "closed"; break;
  default: kind = "error"; break;
  }
  if (code == 0 && r->body_bytes > 0) {
    /* Bytes with no status line: the proxy passed an HTTP/0.9-style reply through. */
    snprintf(r->outcome, sizeof r->outcome, "http09%s", rc == CURLE_OK ? "" : rc == CURLE_OPERATION_TIMEDOUT ? "+timeout" : "+truncated");
  } else if (rc == CURLE_OK) {
    snprintf(r->outcome, sizeof r->outcome, "%03ld", code);
  } else if (code > 0) {
    /* A status came, then the body broke: never report that as a plain status. */
    snprintf(r->outcome, sizeof r->outcome, "%03ld+%s", code, rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "truncated");
  } else {
    snprintf(r->outcome, sizeof r->outcome, "%s", kind);
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
