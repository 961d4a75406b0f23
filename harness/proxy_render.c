/* proxy_render.c: a definition's templates with the values of one proxy instance. */
#include "proxy.h"

#include <string.h>

#include "buf.h"

const char *const proxy_var_names[PV__COUNT] = {
    [PV_BINARY] = "binary",
    [PV_DIR] = "dir",
    [PV_PROXY_PORT] = "proxy_port",
    [PV_UPSTREAM_HOST] = "upstream_host",
    [PV_UPSTREAM_PORT] = "upstream_port",
    [PV_CONNECT_TIMEOUT] = "connect_timeout",
    [PV_READ_TIMEOUT] = "read_timeout",
    [PV_CONNECT_TIMEOUT_MS] = "connect_timeout_ms",
    [PV_READ_TIMEOUT_MS] = "read_timeout_ms",
    [PV_RETRIES] = "retries",
    [PV_SCENARIO] = "scenario",
};

char *template_render(const char *t, const struct vars *v, char **bad) {
  struct buf b = {0};
  *bad = NULL;
  while (*t) {
    const char *open = strstr(t, "${");
    if (!open) {
      buf_puts(&b, t);
      break;
    }
    if (open > t && open[-1] == '$') { /* "$${" is a literal "${" */
      buf_append(&b, t, (size_t)(open - t));
      buf_puts(&b, "{");
      t = open + 2;
      continue;
    }
    buf_append(&b, t, (size_t)(open - t));
    const char *close = strchr(open + 2, '}');
    if (!close) {
      buf_puts(&b, open);
      break;
    }
    size_t len = (size_t)(close - open - 2);
    size_t i;
    for (i = 0; i < v->n; i++)
      if (strlen(v->names[i]) == len && memcmp(v->names[i], open + 2, len) == 0) break;
    if (i == v->n) {
      if (!*bad) *bad = strndup(open + 2, len);
    } else {
      buf_puts(&b, v->values[i]);
    }
    t = close + 1;
  }
  buf_append(&b, "", 1);
  return b.data;
}
