/* proxy_config.h: a user's own proxy config (--proxy-config) is checked before any case.
 *
 * A production config pasted into a run must not reach outside the case: it must listen on
 * ${proxy_port} (when the shipped config does), every place it sends requests (the
 * definition's `targets`) must be the case's simulator, ${upstream_host}:${upstream_port},
 * every file it makes the proxy write (the definition's `paths`: pid, logs, sockets, temp
 * and cache folders) must lie in the case folder, it must keep the proxy in the foreground
 * (the definition's `foreground`), and the proxy's own checker (`check`) must accept it, run
 * in a scratch folder that stands in for the case folder and is removed after. Statements
 * are read as the proxy reads them (the definition's `syntax`, config_lex.h). Every problem
 * is reported at once: adapting a production config is one edit, not one run per line. */
#ifndef BADUP_PROXY_CONFIG_H
#define BADUP_PROXY_CONFIG_H

#include <stddef.h>

#include <stdbool.h>

#include "buf.h"
#include "proxy.h"

/* At most this many problems are listed; the rest are counted ("... and N more"). */
#define PROXY_CONFIG_SHOWN 50

/* Checks user_config (a file name, as the user gave it) for p, or the shipped config when
 * user_config is NULL. p must have been probed (proxy_probe): the checker runs only when
 * the binary was found. Returns the number of problems: 0 when the config may run, with one
 * line in *report saying what was checked ("checked by ..." or why no checker ran); else
 * *report has one line per problem, "FILE:LINE: what and why; use ..." (or "FILE: ..." when
 * no line is to blame), in the order of the file, problems of a file it includes at the
 * include, the ones without a line last, at most PROXY_CONFIG_SHOWN of them and then
 * "... and N more". Every line ends in '\n'. The proxy's own checker runs only on a config
 * without any other problem. Touches nothing outside a scratch folder of its own, which it
 * removes. */
int proxy_config_check(const struct proxy_def *p, const char *user_config, struct buf *report);

/* Did a Ctrl-C (SIGINT, SIGTERM or SIGHUP) stop a checker? The signal was taken: the caller
 * ends the run as interrupted. */
bool proxy_config_interrupted(void);

#endif
