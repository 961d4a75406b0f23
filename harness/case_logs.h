/* case_logs.h: what a case quotes of the files its processes wrote: the last lines of a
 * process's stderr (why it did not start, how it died) and the proxy's own lines about the
 * request (results' proxy_log). */
#ifndef BADUP_CASE_LOGS_H
#define BADUP_CASE_LOGS_H

#include <stddef.h>

#include "proxy.h"

/* The last nlines lines of the file at path, joined with " | ", appended to out (after
 * ": " they complete the sentence). Nothing when the file cannot be read. */
void case_tail_lines(const char *path, int nlines, char *out, size_t outlen);
/* The same for a proxy that exited at start-up: its last nlines lines that read as an error
 * (error, fatal, cannot, ...), so that its own message is quoted and not the statistics it
 * prints on the way out (squid's "CPU Usage"); its last lines when none does. */
void case_error_lines(const char *path, int nlines, char *out, size_t outlen);

/* The proxy's lines about the request, from its logs in dir: the lines matching its
 * definition's log_match, newest last, " | "-joined; without a log_match, the last lines of
 * each log. "" when none. */
void case_proxy_lines(const struct proxy_def *p, const char *dir, char *out, size_t outlen);

#endif
