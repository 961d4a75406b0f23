/* client_cmd.h: `badup client FILE --to HOST:PORT`: a scenario's client part against any
 * address, and what came back. */
#ifndef BADUP_CLIENT_CMD_H
#define BADUP_CLIENT_CMD_H

#include <stdio.h>

int client_main(int argc, char **argv);
void client_usage(FILE *out);

#endif
