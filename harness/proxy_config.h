/* proxy_config.h: a user's own proxy config (--proxy-config) is checked before any case.
 *
 * A production config pasted into a run must not reach outside the case: it must listen on
 * ${proxy_port} and send to ${upstream_port} (when the shipped config does), every file it
 * makes the proxy write (the definition's `paths`: pid, logs, sockets, temp and cache
 * folders) must lie in the case folder, and the proxy's own checker (`check`) must accept
 * it, run in a scratch folder that stands in for the case folder and is removed after. */
#ifndef BADUP_PROXY_CONFIG_H
#define BADUP_PROXY_CONFIG_H

#include <stddef.h>

#include "proxy.h"

/* Checks user_config (a file name, as the user gave it) for p, or the shipped config when
 * user_config is NULL. p must have been probed (proxy_probe): the checker runs only when
 * the binary was found. Returns 0 when the config may run, with msg saying what was checked
 * ("checked by ..." or why no checker ran); -1 when it is refused, with msg
 * "FILE:LINE: what and why" (or "FILE: ..." when no line is to blame). Touches nothing
 * outside a scratch folder of its own, which it removes. */
int proxy_config_check(const struct proxy_def *p, const char *user_config, char *msg, size_t len);

#endif
