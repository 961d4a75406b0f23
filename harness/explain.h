/* explain.h: `badup explain`: from a proxy's log line to the scenarios that make the proxy
 * write it, using the lines recorded in results/reference/. */
#ifndef BADUP_EXPLAIN_H
#define BADUP_EXPLAIN_H

#include <stdio.h>

int explain_main(int argc, char **argv);
void explain_usage(FILE *out);

#endif
