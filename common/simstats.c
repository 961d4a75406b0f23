/* simstats.c: a simulator's GET /stats, as its clients read it. See simstats.h. */
#include "simstats.h"

#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"

#define MAX_BODY (1 << 20)

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg) {
  struct buf *b = arg;
  size_t add = size * nmemb;
  if (b->len + add > MAX_BODY) return 0;
  buf_append(b, data, add);
  return b->oom ? 0 : add;
}

int simstats_read(const char *url, const char *token, long timeout_ms, struct simstats *st, char *err, size_t errlen) {
  CURL *c = curl_easy_init();
  if (!c) {
    snprintf(err, errlen, "cannot start libcurl");
    return -1;
  }
  struct buf b = {0};
  struct curl_slist *hdrs = NULL;
  char auth[512];
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    hdrs = curl_slist_append(NULL, auth);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* the loopback, never through a proxy of the environment */
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
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
    snprintf(err, errlen, "%s: HTTP %ld%s", url, status,
             status == 401 ? " (a token is needed: BADUP_ADMIN_TOKEN)" : "");
  } else {
    json_error_t jerr;
    json_t *doc = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
    json_t *r = json_object_get(doc, "requests"), *cn = json_object_get(doc, "connections");
    if (!json_is_integer(r) || !json_is_integer(cn)) {
      snprintf(err, errlen, "%s: no \"requests\" count in the answer (is this a badup serve control API?)", url);
    } else {
      st->requests = (long long)json_integer_value(r);
      st->connections = (long long)json_integer_value(cn);
      st->errors = (long long)json_integer_value(json_object_get(doc, "errors"));
      ret = 0;
    }
    json_decref(doc);
  }
  buf_free(&b);
  return ret;
}
