/* rawclient.c: a client that sends exactly the bytes it is given: the scripted client
 * (client_script.h) with one raw request. */
#include "rawclient.h"

#include <string.h>

#include "client_script.h"

struct hook {
  void (*on_final_head)(void *);
  void *arg;
};

/* Only the final response to the last request reaches the caller's hook. */
static void on_head(void *arg, int request, bool last) {
  const struct hook *h = arg;
  if (last && h->on_final_head) h->on_final_head(h->arg);
}

int rawclient_exchange(int port, const char *bytes, size_t len, double timeout_s, struct client_result *r,
                       void (*on_final_head)(void *), void *arg) {
  struct client_request q = {.raw = {(char *)bytes, len}, .send_body_bytes = -1, .expect_100 = -1};
  struct client_part part = {&q, 1};
  struct client_vars v = {0};
  struct hook h = {on_final_head, arg};
  struct client_script_opts o = {.host = "127.0.0.1", .port = port, .timeout_s = timeout_s,
                                 .hooks = {.response_head = on_head, .arg = &h}};
  struct seen seen;
  client_script_run(&part, &v, &o, r, &seen);
  seen_free(&seen);
  return 0;
}
