/* certs_cmd.h: `badup certs [--force] DIR`: a run's TLS certificates (common/tls_certs.h) made
 * in DIR, and what each says (names, validity dates). */
#ifndef BADUP_CERTS_CMD_H
#define BADUP_CERTS_CMD_H

#include <stdio.h>

/* argv[0] is "certs". Returns the exit code: 0 made, 1 they could not be made (the reason on
 * stderr), 2 usage error or DIR already holds a set (without --force). */
int certs_main(int argc, char **argv);
void certs_usage(FILE *out);

#endif
