/* tls_certs.h: the certificates of one run (a run CA, and leaves of the kinds valid, expired,
 * wrong_name, untrusted), made by badup itself with OpenSSL 3 into one folder: ca.crt, and
 * KIND.crt, KIND.key, KIND.pem (certificate then key) for each kind. valid is for
 * DNS:localhost, IP:127.0.0.1, IP:::1. */
#ifndef BADUP_TLS_CERTS_H
#define BADUP_TLS_CERTS_H

#include <stdbool.h>
#include <stddef.h>

/* Makes the run CA and the leaves in dir (kept when already complete). 0, or -1 with why in err. */
int tls_certs_make(const char *dir, char *err, size_t errlen);

/* True when dir holds every file tls_certs_make writes. */
bool tls_certs_present(const char *dir);

#endif
