/* run_tls.h: the TLS material of a run: the run's CA and leaves, made once in OUT/tls/
 * before any case, when some case speaks TLS (common/tls_certs.h says what the files are);
 * each case's copy of what its proxy reads: the `valid` leaf its frontend presents
 * (--client-tls), the CA it verifies its upstream against (a TLS upstream). */
#ifndef BADUP_RUN_TLS_H
#define BADUP_RUN_TLS_H

#include <stddef.h>

/* The folder of a run's certificates under its output folder: OUT/RUN_TLS_DIR. */
#define RUN_TLS_DIR "tls"

/* Makes (or keeps, when complete) the run's certificate set in OUT_DIR/RUN_TLS_DIR and writes
 * that folder's absolute path into path_out. 0, or -1 with why in err ("OUT/tls: ..."). */
int run_tls_prepare(const char *out_dir, char *path_out, size_t len, char *err, size_t errlen);

/* The CA file the clients verify the proxy against: "TLS_DIR/ca.crt", into out. */
void run_tls_ca(const char *tls_dir, char *out, size_t len);

/* Copies the run's `valid` leaf into the case folder dir as proxy.crt, proxy.key (0600) and
 * proxy.pem (certificate then key, 0600), their absolute paths into cert, key, pem (each
 * `len` bytes). 0, or -1 with why in err. */
int run_tls_case_files(const char *tls_dir, const char *dir, char *cert, char *key, char *pem, size_t len, char *err,
                       size_t errlen);

/* Copies the CA certificate of the set in tls_dir to dest_dir/PROXY_UPSTREAM_CA_FILE (mode
 * 0644: a proxy that switches to its own user reads it), and its absolute path into path.
 * 0, or -1 with why in err. */
int run_tls_copy_ca(const char *tls_dir, const char *dest_dir, char *path, size_t len, char *err, size_t errlen);

#endif
