/* timeouts.h: the timeouts and the body limit the proxies under test are given when the user
 * does not say: the defaults of `badup run --connect-timeout/--read-timeout` (upstream side)
 * and `--client-timeout/--max-body` (client side), the values `badup list` loads the
 * scenarios with, and a scenario's ctx when nothing is passed in (`badup serve` without
 * --set). Timeouts in seconds. How the read timeout travels from there to a verdict is
 * written in harness/case.h; the client-side values take the same route. */
#ifndef BADUP_TIMEOUTS_H
#define BADUP_TIMEOUTS_H

#define BADUP_CONNECT_TIMEOUT_S 1.0
#define BADUP_READ_TIMEOUT_S 2.0
/* The client side: how long a proxy waits for a request head, and between two bytes of a
 * request body (where it has such a directive: docs/proxies.md, "Client-side knobs"). */
#define BADUP_CLIENT_TIMEOUT_S 2.0
/* The largest request body a proxy accepts, in bytes (1 MiB); larger gets 413 (RFC 9110,
 * 15.5.14). */
#define BADUP_MAX_BODY 1048576L
/* --max-body's range: one byte to 8 MiB. req_body_too_large sends twice the limit, built in its
 * sandbox (64 MiB at most) when the scenario loads. */
#define BADUP_MAX_BODY_LIMIT (8L << 20)

#endif
