/* run_tls.c: the run's TLS material (run_tls.h). */
#include "run_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "proxy.h"
#include "tls_certs.h"

int run_tls_prepare(const char *out_dir, char *path_out, size_t len, char *err, size_t errlen) {
  int n = snprintf(path_out, len, "%s/" RUN_TLS_DIR, out_dir);
  if (n < 0 || (size_t)n >= len) {
    snprintf(err, errlen, "%.200s/tls: the path is too long", out_dir);
    return -1;
  }
  /* A path the proxies read from their case folders, whatever folder they run in. */
  char *abs = realpath(out_dir, NULL);
  if (abs) {
    n = snprintf(path_out, len, "%s/" RUN_TLS_DIR, abs);
    free(abs);
    if (n < 0 || (size_t)n >= len) {
      snprintf(err, errlen, "%.200s/tls: the path is too long", out_dir);
      return -1;
    }
  }
  return tls_certs_make(path_out, err, errlen);
}

void run_tls_ca(const char *tls_dir, char *out, size_t len) { snprintf(out, len, "%s/ca.crt", tls_dir); }

/* Copies src to dst with mode (a fresh file: an old one of another mode is replaced). */
static int copy_file(const char *src, const char *dst, mode_t mode, char *err, size_t errlen) {
  size_t n = 0;
  char *data = fileio_slurp(src, 1 << 20, &n);
  if (!data) {
    snprintf(err, errlen, "cannot read %.300s: %s", src, strerror(errno ? errno : EIO));
    return -1;
  }
  unlink(dst);
  int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  ssize_t w = fd >= 0 ? write(fd, data, n) : -1;
  int saved = errno;
  free(data);
  if (fd >= 0 && close(fd) != 0 && w == (ssize_t)n) w = -1, saved = errno;
  if (w != (ssize_t)n) {
    snprintf(err, errlen, "cannot write %.300s: %s", dst, strerror(saved ? saved : EIO));
    return -1;
  }
  return 0;
}

int run_tls_case_files(const char *tls_dir, const char *dir, char *cert, char *key, char *pem, size_t len, char *err,
                       size_t errlen) {
  static const struct {
    const char *from, *to;
    mode_t mode; /* the key stays the harness user's; a certificate is public */
  } files[] = {{"valid.crt", PROXY_TLS_CERT_FILE, 0644}, {"valid.key", PROXY_TLS_KEY_FILE, 0600},
               {"valid.pem", PROXY_TLS_PEM_FILE, 0600}};
  char *outs[] = {cert, key, pem};
  for (size_t i = 0; i < 3; i++) {
    char src[4096];
    snprintf(src, sizeof src, "%s/%s", tls_dir, files[i].from);
    int k = snprintf(outs[i], len, "%s/%s", dir, files[i].to);
    if (k < 0 || (size_t)k >= len) {
      snprintf(err, errlen, "%.300s/%s: the path is too long", dir, files[i].to);
      return -1;
    }
    if (copy_file(src, outs[i], files[i].mode, err, errlen) != 0) return -1;
  }
  return 0;
}

int run_tls_copy_ca(const char *tls_dir, const char *dest_dir, char *path, size_t len, char *err, size_t errlen) {
  char ca[PATH_MAX], dest[PATH_MAX];
  if (tls_cert_path(ca, sizeof ca, tls_dir, TLS_CERT_CA, "crt") != 0 ||
      snprintf(dest, sizeof dest, "%s/%s", dest_dir, PROXY_UPSTREAM_CA_FILE) >= (int)sizeof dest) {
    snprintf(err, errlen, "%.200s: the path of the run CA is too long", tls_dir);
    return -1;
  }
  if (copy_file(ca, dest, 0644, err, errlen) != 0) return -1;
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
