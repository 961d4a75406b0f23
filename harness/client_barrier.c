/* client_barrier.c: the client's side of the simulator's barriers. */
#include "client_barrier.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"

#define CALL_TIMEOUT_MS 3000L

static size_t on_data(char *p, size_t size, size_t n, void *arg) {
  buf_append(arg, p, size * n);
  return size * n;
}

/* One call; the body of a 200 (caller frees) or NULL. */
static char *call(const char *admin, const char *method, const char *path) {
  CURL *h = curl_easy_init();
  if (!h) return NULL;
  char url[300];
  snprintf(url, sizeof url, "http://%.200s%s", admin, path);
  struct buf b = {0};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (!strcmp(method, "POST")) curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK || code != 200) {
    buf_free(&b);
    return NULL;
  }
  return buf_take(&b);
}

int client_barrier_reach(const char *admin, const char *name) {
  char path[96];
  snprintf(path, sizeof path, "/barriers/%.40s", name);
  char *doc = call(admin, "POST", path);
  free(doc);
  return doc ? 0 : -1;
}

int client_barrier_reached(const char *admin, const char *name) {
  char *doc = call(admin, "GET", "/barriers");
  if (!doc) return -1;
  json_t *root = json_loads(doc, 0, NULL);
  free(doc);
  int reached = 0;
  json_t *list = json_object_get(root, "barriers"), *b;
  size_t i;
  json_array_foreach(list, i, b) {
    const char *n = json_string_value(json_object_get(b, "name"));
    if (n && !strcmp(n, name) && json_is_true(json_object_get(b, "reached"))) reached = 1;
  }
  json_decref(root);
  return reached;
}
