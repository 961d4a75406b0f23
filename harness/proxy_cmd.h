/* proxy_cmd.h: `badup proxy`: a proxy definition used outside a run. `badup proxy render NAME
 * --upstream [HOST:]PORT --dir DIR` writes the proxy's files for that upstream and prints the
 * command line that starts it. Returns an exit code (0, or 2 for usage and set-up errors). */
#ifndef BADUP_PROXY_CMD_H
#define BADUP_PROXY_CMD_H

#include <stdio.h>

int proxy_main(int argc, char **argv);
void proxy_usage(FILE *out);

#endif
