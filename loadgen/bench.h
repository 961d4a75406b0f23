/* bench.h: `badup bench`, the project's own HTTP load generator (libuv, one loop, one
 * thread). N keep-alive connections to a loopback URL, closed-loop or open-loop at a fixed
 * rate (latency from the scheduled send time: coordinated omission corrected), one request
 * (GET by default; any method, headers and body: bench_request.h) sent again and again; a
 * summary on stdout and, with --out DIR, summary.json and latency.dat. */
#ifndef BADUP_BENCH_H
#define BADUP_BENCH_H

#include <stdio.h>

/* argv[0] is "bench". Returns the exit code: 0 measured (also when interrupted by SIGINT,
 * also when every request failed), 1 the results could not be written, 2 usage error. */
int bench_main(int argc, char **argv);
void bench_usage(FILE *out);

#endif
