/* simctl.c: a case's simulator, as the harness drives it. */
#include "simctl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "fileio.h"
#include "simstats.h"

/* Every control API call: the simulator answers from memory, at once. */
#define CALL_TIMEOUT_MS 3000L

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The port after the last ':' of the word that starts at key (listen=127.0.0.1:41234). */
static int port_after(const char *text, const char *key) {
  const char *k = strstr(text, key);
  if (!k) return -1;
  size_t word = strcspn(k, " \n");
  const char *colon = memrchr(k, ':', word);
  return colon ? atoi(colon + 1) : -1;
}

/* upstreams=H:P,H:P,...: each port in order into ports; returns how many, or -1. */
static int ports_list(const char *text, int *ports, int max) {
  const char *k = strstr(text, " upstreams=");
  if (!k) return 0;
  k += 11;
  size_t word = strcspn(k, " \n");
  int n = 0;
  for (const char *p = k; p < k + word && n < max;) {
    size_t item = strcspn(p, ", \n");
    const char *colon = memrchr(p, ':', item);
    if (!colon) return -1;
    ports[n] = atoi(colon + 1);
    if (ports[n++] <= 0) return -1;
    p += item;
    if (*p == ',') p++;
  }
  return n;
}

bool simctl_ports(const char *out_path, struct proc *sim, int *ports, int max_ports, int *nports, int *admin,
                  char *err, size_t errlen) {
  for (int waited = 0; waited < 10000; waited += 2) {
    char *text = fileio_slurp(out_path, 0, NULL);
    if (text && strstr(text, "listen=") && strstr(text, "admin=") && strchr(strstr(text, "admin="), '\n')) {
      ports[0] = port_after(text, "listen=");
      *admin = port_after(text, "admin=");
      int n = ports_list(text, ports, max_ports);
      *nports = n > 0 ? n : 1;
      free(text);
      if (ports[0] > 0 && *admin > 0 && n >= 0) return true;
      snprintf(err, errlen, "the simulator's start-up line has no ports");
      return false;
    }
    free(text);
    if (proc_exited(sim)) {
      char how[64];
      proc_describe(sim, how, sizeof how);
      snprintf(err, errlen, "the simulator did not start (%s)", how);
      return false;
    }
    sleep_ms(2);
  }
  snprintf(err, errlen, "the simulator did not print its address within 10 s");
  return false;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg) {
  buf_append(arg, p, size * n);
  return size * n;
}

char *simctl_call(const char *admin, const char *method, const char *path) {
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

/* A call to the case's simulator, on loopback. */
static char *call(int admin, const char *method, const char *path) {
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", admin);
  return simctl_call(addr, method, path);
}

int simctl_stats(int admin, struct simstats *st) {
  char url[64], err[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", admin);
  return simstats_read(url, NULL, CALL_TIMEOUT_MS, st, err, sizeof err);
}

char *simctl_events(int admin) { return call(admin, "GET", "/events?limit=200"); }

char *simctl_requests(int admin) { return call(admin, "GET", "/requests"); }

int simctl_barrier_reach(int admin, const char *name) {
  char path[96];
  snprintf(path, sizeof path, "/barriers/%s", name);
  char *doc = call(admin, "POST", path);
  free(doc);
  return doc ? 0 : -1;
}

int simctl_barriers_reset(int admin) {
  char *doc = call(admin, "DELETE", "/barriers");
  free(doc);
  return doc ? 0 : -1;
}

bool simctl_scenario_error(const char *err_path, char *out, size_t len) {
  char *text = fileio_slurp(err_path, 65536, NULL);
  if (!text) return false;
  /* serve's data plane writes "badup: connection N: file:line: message" then the traceback */
  static const char prefix[] = "badup: connection ";
  bool found = false;
  for (char *line = text; line && *line && !found;) {
    char *next = strchr(line, '\n');
    if (next) *next = 0;
    if (!strncmp(line, prefix, sizeof prefix - 1)) {
      const char *msg = strstr(line + sizeof prefix - 1, ": ");
      if (msg) {
        snprintf(out, len, "%s", msg + 2);
        found = true;
      }
    }
    line = next ? next + 1 : NULL;
  }
  free(text);
  return found;
}
