/* upstream_stats.c: see upstream_stats.h. One blocking libcurl request outside the load
 * window (before the first connection and after the last response), so it costs the
 * measurement nothing. */
#include "upstream_stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "addr.h"

#define MAX_BODY (1 << 20)

int upstream_stats_url(const char *addr, char *url, size_t n, const char **why) {
  const char *p = addr;
  if (strncmp(p, "http://", 7) == 0) p += 7;
  else if (strstr(p, "://")) { *why = "only http:// is spoken to the control API"; return -1; }
  size_t len = strcspn(p, "/");
  if (p[len] && strcmp(p + len, "/") != 0) { *why = "give the control API's address only (HOST:PORT), no path"; return -1; }
  char hostport[128];
  if (len == 0 || len >= sizeof hostport) { *why = "want HOST:PORT (the admin= address `badup serve` prints)"; return -1; }
  memcpy(hostport, p, len);
  hostport[len] = '\0';
  /* The simulator's own address parser and loopback test, as for its --listen and --admin. */
  struct sockaddr_storage ss;
  if (addr_parse(hostport, &ss, why) != 0) return -1;
  if (!addr_is_loopback(&ss)) { *why = "only a loopback control API is read (127.0.0.1, [::1], localhost)"; return -1; }
  in_port_t port = ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((const struct sockaddr_in *)&ss)->sin_port;
  if (ntohs(port) == 0) { *why = "the port must be a number from 1 to 65535"; return -1; }
  char formatted[64];
  addr_format(&ss, formatted, sizeof formatted);
  if ((size_t)snprintf(url, n, "http://%s/stats", formatted) >= n) { *why = "address too long"; return -1; }
  return 0;
}

struct body {
  char *p;
  size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg) {
  struct body *b = arg;
  size_t add = size * nmemb;
  if (b->len + add > MAX_BODY) return 0;
  char *np = realloc(b->p, b->len + add + 1);
  if (!np) return 0;
  memcpy(np + b->len, data, add);
  b->p = np;
  b->len += add;
  b->p[b->len] = '\0';
  return add;
}

int upstream_stats_read(const char *url, const char *token, struct upstream_counts *counts, char *err, size_t errlen) {
  CURL *c = curl_easy_init();
  if (!c) {
    snprintf(err, errlen, "cannot start libcurl");
    return -1;
  }
  struct body b = {0};
  struct curl_slist *hdrs = NULL;
  char auth[512];
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    hdrs = curl_slist_append(NULL, auth);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  if (hdrs) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  int ret = -1;
  if (rc != CURLE_OK) {
    snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
  } else if (status != 200) {
    snprintf(err, errlen, "%s: HTTP %ld%s", url, status, status == 401 ? " (a token is needed: BADUP_ADMIN_TOKEN)" : "");
  } else {
    json_error_t jerr;
    json_t *doc = json_loadb(b.p ? b.p : "", b.len, 0, &jerr);
    json_t *r = doc ? json_object_get(doc, "requests") : NULL, *cn = doc ? json_object_get(doc, "connections") : NULL;
    if (!json_is_integer(r) || !json_is_integer(cn)) {
      snprintf(err, errlen, "%s: no \"requests\" count in the answer (is this a badup serve control API?)", url);
    } else {
      counts->requests = (long long)json_integer_value(r);
      counts->connections = (long long)json_integer_value(cn);
      ret = 0;
    }
    json_decref(doc);
  }
  free(b.p);
  return ret;
}
