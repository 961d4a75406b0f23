/* outcome.c: the words that say what the client of a proxy saw. */
#include "outcome.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct end_words {
  const char *alone, *suffix;
  bool expect_alone, expect_suffix;
};

static const struct end_words ends[OUTCOME_ENDS_COUNT] = {
#define BADUP_OUTCOME_ROW(id, alone, suffix, ea, es) {alone, suffix, ea, es},
    BADUP_OUTCOME_ENDS(BADUP_OUTCOME_ROW)
#undef BADUP_OUTCOME_ROW
};

/* snprintf that says whether everything fitted. */
static int put(char *out, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out, size, fmt, ap);
  va_end(ap);
  return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int outcome_format(char *out, size_t size, int status, enum outcome_end end) {
  bool status_ok = status == OUTCOME_HTTP09 || status == 0 || (status >= 100 && status <= 999);
  if ((unsigned)end >= OUTCOME_ENDS_COUNT || !status_ok || (status == 0 && end == OUTCOME_COMPLETE)) {
    int rc = put(out, size, "%s", ends[OUTCOME_ERROR].alone);
    return rc ? rc : -EINVAL;
  }
  const struct end_words *w = &ends[end];
  /* Without a status, or when this end cannot follow one (refused, error), the word says it all. */
  if (status == 0 || (end != OUTCOME_COMPLETE && !w->suffix)) return put(out, size, "%s", w->alone);
  char head[8];
  if (status == OUTCOME_HTTP09) snprintf(head, sizeof head, "%s", OUTCOME_HTTP09_WORD);
  else snprintf(head, sizeof head, "%03d", status);
  if (end == OUTCOME_COMPLETE) return put(out, size, "%s", head);
  return put(out, size, "%s+%s", head, w->suffix);
}

bool outcome_expect_valid(const char *e) {
  if (!e) return false;
  if (e[0] >= '1' && e[0] <= '9' && e[1] >= '0' && e[1] <= '9' && e[2] >= '0' && e[2] <= '9') {
    if (e[3] == 0) return true;
    if (e[3] != '+') return false;
    for (int i = 0; i < OUTCOME_ENDS_COUNT; i++)
      if (ends[i].expect_suffix && !strcmp(e + 4, ends[i].suffix)) return true;
    return false;
  }
  for (int i = 0; i < OUTCOME_ENDS_COUNT; i++)
    if (ends[i].expect_alone && !strcmp(e, ends[i].alone)) return true;
  return false;
}

int outcome_expect_describe(char *out, size_t size) {
  const char *words[2 * OUTCOME_ENDS_COUNT];
  char forms[OUTCOME_ENDS_COUNT][OUTCOME_MAX];
  size_t n = 0;
  if (size == 0) return -ENOSPC;
  for (int i = 0; i < OUTCOME_ENDS_COUNT; i++) {
    if (!ends[i].expect_suffix) continue;
    snprintf(forms[i], sizeof forms[i], "NNN+%s", ends[i].suffix);
    words[n++] = forms[i];
  }
  for (int i = 0; i < OUTCOME_ENDS_COUNT; i++)
    if (ends[i].expect_alone) words[n++] = ends[i].alone;
  int rc = put(out, size, "a status (100-999)");
  size_t len = strlen(out);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = put(out + len, size - len, "%s\"%s\"", i + 1 == n ? " or " : ", ", words[i]);
    len += strlen(out + len);
  }
  return rc;
}

/* RFC 9113 7, in code order. */
static const char *const h2_errors[] = {"NO_ERROR",        "PROTOCOL_ERROR",    "INTERNAL_ERROR",     "FLOW_CONTROL_ERROR",
                                        "SETTINGS_TIMEOUT", "STREAM_CLOSED",    "FRAME_SIZE_ERROR",   "REFUSED_STREAM",
                                        "CANCEL",           "COMPRESSION_ERROR", "CONNECT_ERROR",     "ENHANCE_YOUR_CALM",
                                        "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

const char *outcome_h2_error_name(unsigned long code) {
  return code < sizeof h2_errors / sizeof *h2_errors ? h2_errors[code] : NULL;
}

int outcome_format_h2(char *out, size_t size, int status, enum outcome_end end, unsigned long code) {
  int rc = outcome_format(out, size, status, end);
  if (rc || (end != OUTCOME_RST && end != OUTCOME_GOAWAY)) return rc;
  size_t len = strlen(out);
  const char *name = outcome_h2_error_name(code);
  return name ? put(out + len, size - len, "(%s)", name) : put(out + len, size - len, "(0x%lx)", code);
}

bool outcome_meets(const char *got, const char *expect) {
  if (!got || !expect) return false;
  if (!strcmp(got, expect)) return true;
  /* "NNN+truncated" against "NNN+rst(...)": the same status, then a reset stream */
  static const char cut[] = "+truncated", rst[] = "+rst(";
  return strlen(expect) == 3 + sizeof cut - 1 && !strcmp(expect + 3, cut) && !strncmp(got, expect, 3) &&
         !strncmp(got + 3, rst, sizeof rst - 1) && got[strlen(got) - 1] == ')';
}
