/* run_tls.h: the certificates of a run whose upstreams speak TLS, as the harness uses them.
 *
 * A run makes one set (common/tls_certs.h: a run CA, and a leaf of each kind) in OUT/tls/
 * before its first case, only when some case is TLS. Each such case's simulator serves a leaf
 * of that set (badup serve --tls-dir), and its proxy verifies it against the run CA, copied
 * into the case folder as PROXY_UPSTREAM_CA_FILE: ${upstream_ca} (proxy.h). */
#ifndef BADUP_RUN_TLS_H
#define BADUP_RUN_TLS_H

#include <stddef.h>

/* The folder of a run's certificates under its output folder: OUT/RUN_TLS_DIR. */
#define RUN_TLS_DIR "tls"

/* Makes the set in dir (kept when dir already holds one). 0, or -1 with why in err. */
int run_tls_make(const char *dir, char *err, size_t errlen);

/* Copies the CA certificate of the set in tls_dir to dest_dir/PROXY_UPSTREAM_CA_FILE (mode
 * 0644: a proxy that switches to its own user reads it), and its absolute path into path.
 * 0, or -1 with why in err. */
int run_tls_copy_ca(const char *tls_dir, const char *dest_dir, char *path, size_t len, char *err, size_t errlen);

#endif
