/* case_logs.c: what a case quotes of the files its processes wrote. */
#include "case_logs.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

/* The last lines of a file, joined with " | ", appended to out. */
void case_tail_lines(const char *path, int nlines, char *out, size_t outlen) {
  char *text = fileio_slurp(path, 16384, NULL);
  if (!text) return;
  size_t len = strlen(text);
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) text[--len] = 0;
  char *start = text + len;
  for (int i = 0; i < nlines && start > text; i++) {
    start--;
    while (start > text && start[-1] != '\n') start--;
  }
  for (char *c = start; *c; c++)
    if (*c == '\n') *c = '|';
  size_t used = strlen(out);
  /* ": " ends a sentence that the lines complete; otherwise lines are joined with " | " */
  bool after_colon = used >= 2 && !strcmp(out + used - 2, ": ");
  if (*start) snprintf(out + used, outlen - used, "%s%s", used && !after_colon ? " | " : "", start);
  else if (after_colon) out[used - 2] = 0;
  free(text);
}

/* Words of a start-up failure, as proxies write them (lowercase: compared caselessly). */
static const char *const ERROR_WORDS[] = {"error", "fatal", "emerg", "alert", "cannot", "can't", "unable",
                                          "invalid", "unknown", "failed", "denied", "bungled", "too small",
                                          "not allowed", "no such", NULL};

static bool reads_as_error(const char *line) {
  for (size_t i = 0; ERROR_WORDS[i]; i++)
    if (strcasestr(line, ERROR_WORDS[i])) return true;
  return false;
}

void case_error_lines(const char *path, int nlines, char *out, size_t outlen) {
  char *text = fileio_slurp(path, 16384, NULL);
  if (!text) return;
  /* the last nlines error lines, oldest first */
  char *lines[64];
  int n = 0, picked = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (!reads_as_error(line)) continue;
    /* a proxy started again on a new port appends the same lines: each once, its newest place */
    for (int i = 0; i < n; i++)
      if (!strcmp(lines[i], line)) {
        memmove(lines + i, lines + i + 1, (size_t)(n - i - 1) * sizeof *lines);
        n--;
        break;
      }
    if (n == (int)(sizeof lines / sizeof *lines)) {
      memmove(lines, lines + 1, sizeof lines - sizeof *lines);
      n--;
    }
    lines[n++] = line;
  }
  size_t used = strlen(out);
  bool after_colon = used >= 2 && !strcmp(out + used - 2, ": ");
  for (int i = n > nlines ? n - nlines : 0; i < n; i++, picked++) {
    size_t l = strcspn(lines[i], "\r");
    used = strlen(out);
    snprintf(out + used, outlen - used, "%s%.*s", picked ? " | " : used && !after_colon ? " | " : "", (int)l, lines[i]);
  }
  free(text);
  if (!picked) case_tail_lines(path, nlines, out, outlen);
}

/* Log file i of the proxy (i == nlogs: its stderr, proxy.err). */
static void log_path(const struct proxy_def *p, const char *dir, size_t i, char *path, size_t len) {
  if (i < p->nlogs) snprintf(path, len, "%s/%s", dir, p->logs[i]);
  else snprintf(path, len, "%s/proxy.err", dir);
}

/* The proxy's own lines about the request: lines of its logs matching log_match (or the
 * last lines when it has none), newest last, joined with " | ". */
void case_proxy_lines(const struct proxy_def *p, const char *dir, char *out, size_t outlen) {
  out[0] = 0;
  char path[4096];
  regex_t re;
  bool have_re = p->log_match && regcomp(&re, p->log_match, REG_EXTENDED | REG_NOSUB) == 0;
  for (size_t i = 0; have_re && i <= p->nlogs; i++) {
    log_path(p, dir, i, path, sizeof path);
    char *text = fileio_slurp(path, 65536, NULL);
    if (!text) continue;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      if (regexec(&re, line, 0, NULL, 0) != 0) continue;
      size_t used = strlen(out);
      snprintf(out + used, outlen - used, "%s%s", used ? " | " : "", line);
    }
    free(text);
  }
  if (have_re) regfree(&re);
  /* Without a log_match, the last lines of each log are the best evidence there is. With
   * one that matched nothing, the proxy wrote no line about the request (caddy answering a
   * malformed request from Go's HTTP server, before its own logging): saying so beats
   * passing off start-up notes as its word on the request. The files are in the case
   * folder either way. */
  if (!out[0] && !p->log_match)
    for (size_t i = 0; i < p->nlogs; i++) {
      log_path(p, dir, i, path, sizeof path);
      case_tail_lines(path, 2, out, outlen);
    }
}
