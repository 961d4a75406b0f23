/* serve.h: the `badup serve` command. */
#ifndef BADUP_SERVE_H
#define BADUP_SERVE_H

#include <stdio.h>

int serve_main(int argc, char **argv);
void serve_usage(FILE *out);

#endif
