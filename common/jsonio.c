/* jsonio.c: JSON documents in and out. See jsonio.h. */
#include "jsonio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"

json_t *json_text(const char *s) {
  json_t *j = json_string(s ? s : "");
  if (j) return j;
  /* Not UTF-8 (a proxy's log line quoting the upstream's bytes, a path in Latin-1): every
   * byte that is not part of a valid sequence becomes the text \xNN, so nothing is lost
   * and the document stays valid. */
  struct buf b = {0};
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n > 0;
    for (size_t i = 1; ok && i < n; i++) ok = (p[i] & 0xC0) == 0x80;
    if (ok && n > 1) {
      json_t *probe = json_stringn((const char *)p, n); /* overlong or surrogate: jansson knows */
      ok = probe != NULL;
      json_decref(probe);
    }
    if (ok) {
      buf_append(&b, p, n);
      p += n;
    } else {
      buf_printf(&b, "\\x%02x", *p);
      p++;
    }
  }
  j = json_stringn(b.data ? b.data : "", b.len);
  buf_free(&b);
  return j ? j : json_string("");
}

int jsonio_write(const char *path, json_t *j) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
  if (!text) return -ENOMEM;
  size_t n = strlen(text);
  char *t2 = realloc(text, n + 2);
  if (t2) text = t2, text[n++] = '\n', text[n] = 0;
  int rc = fileio_write_atomic(path, text, n);
  free(text);
  return rc;
}
