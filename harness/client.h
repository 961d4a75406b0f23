/* client.h: what the proxy's client sees, through libcurl.
 *
 * One request, and its outcome in the vocabulary of the results: a status ("502"), a
 * status followed by a broken body ("200+truncated"), or what happened instead of a
 * status: "closed" (no byte), "reset" (ECONNRESET), "timeout", "refused" (nothing
 * listening: the proxy is gone), "invalid" (a reply curl cannot parse), "http09" (bytes
 * with no status line, passed through as an HTTP/0.9 reply). */
#ifndef BADUP_CLIENT_H
#define BADUP_CLIENT_H

#include <stddef.h>

struct client_result {
  char outcome[32];
  long status;           /* 0 when none */
  double total_s;        /* from start to the end of the exchange */
  double first_byte_s;   /* 0 when none */
  int curl_code;
  char curl_error[256];
  size_t body_bytes;
  char headers[2048];    /* the response head as received (truncated) */
};

/* Process-wide set-up and teardown of libcurl (call from main, single-threaded). */
int client_global_init(void);
void client_global_cleanup(void);

/* GET url with an overall timeout, through the forward proxy on 127.0.0.1:proxy_port
 * when proxy_port > 0. Returns 0 (the outcome is in *r). */
int client_get(const char *url, double timeout_s, struct client_result *r, int proxy_port,
               void (*on_final_head)(void *), void *arg);

/* GET a small document (the simulator's control API); NUL-terminated, caller frees.
 * Returns NULL on any failure. */
char *client_fetch(const char *url, double timeout_s, long *status);

#endif
