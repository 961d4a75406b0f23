/* run_tls.h: the TLS material of one `badup run --client-tls`: the run's CA and leaves,
 * made once in OUT/tls/ before any case (common/tls_certs.h says what the files are), and
 * each case's copy of the `valid` leaf that its proxy's frontend presents. */
#ifndef BADUP_RUN_TLS_H
#define BADUP_RUN_TLS_H

#include <stddef.h>

/* Makes (or keeps, when complete) the run's certificate set in OUT_DIR/tls and writes that
 * folder's path into path_out. 0, or -1 with why in err ("OUT/tls: ..."). */
int run_tls_prepare(const char *out_dir, char *path_out, size_t len, char *err, size_t errlen);

/* The CA file the clients verify the proxy against: "TLS_DIR/ca.crt", into out. */
void run_tls_ca(const char *tls_dir, char *out, size_t len);

/* Copies the run's `valid` leaf into the case folder dir as proxy.crt, proxy.key (0600) and
 * proxy.pem (certificate then key, 0600), their absolute paths into cert, key, pem (each
 * `len` bytes). 0, or -1 with why in err. */
int run_tls_case_files(const char *tls_dir, const char *dir, char *cert, char *key, char *pem, size_t len, char *err,
                       size_t errlen);

#endif
