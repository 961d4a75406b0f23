/* run_tls.c: a run's certificates, made and handed to a case (run_tls.h). */
#include "run_tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "proxy.h"
#include "tls_certs.h"

int run_tls_make(const char *dir, char *err, size_t errlen) { return tls_certs_make(dir, err, errlen); }

int run_tls_copy_ca(const char *tls_dir, const char *dest_dir, char *path, size_t len, char *err, size_t errlen) {
  char ca[PATH_MAX], dest[PATH_MAX];
  if (tls_cert_path(ca, sizeof ca, tls_dir, TLS_CERT_CA, "crt") != 0 ||
      snprintf(dest, sizeof dest, "%s/%s", dest_dir, PROXY_UPSTREAM_CA_FILE) >= (int)sizeof dest) {
    snprintf(err, errlen, "%.200s: the path of the run CA is too long", tls_dir);
    return -1;
  }
  size_t n = 0;
  char *pem = fileio_slurp(ca, 0, &n);
  if (!pem) {
    snprintf(err, errlen, "cannot read the run CA %.300s: %s", ca, strerror(errno));
    return -1;
  }
  int rc = fileio_write_atomic(dest, pem, n);
  free(pem);
  if (rc != 0 || chmod(dest, 0644) != 0) {
    snprintf(err, errlen, "cannot write %.300s: %s", dest, strerror(rc < 0 ? -rc : errno));
    return -1;
  }
  /* the proxy runs in the case folder, but reads the CA by this path: make it absolute */
  char *abs = realpath(dest, NULL);
  if (!abs || strlen(abs) >= len) {
    snprintf(err, errlen, "%.300s: cannot resolve its absolute path", dest);
    free(abs);
    return -1;
  }
  snprintf(path, len, "%s", abs);
  free(abs);
  return 0;
}
