/* run.h: the `badup run` and `badup list` commands. */
#ifndef BADUP_RUN_H
#define BADUP_RUN_H

#include <stdio.h>

int run_main(int argc, char **argv);
int list_main(int argc, char **argv);
void run_usage(FILE *out);
void list_usage(FILE *out);

#endif
