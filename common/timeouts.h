/* timeouts.h: the upstream timeouts the proxies under test are given when the user does not
 * say: the defaults of `badup run --connect-timeout/--read-timeout`, the values `badup list`
 * loads the scenarios with, and a scenario's ctx when nothing is passed in (`badup serve`
 * without --set). In seconds. How the read timeout travels from there to a verdict is
 * written in harness/case.h. */
#ifndef BADUP_TIMEOUTS_H
#define BADUP_TIMEOUTS_H

#define BADUP_CONNECT_TIMEOUT_S 1.0
#define BADUP_READ_TIMEOUT_S 2.0

#endif
