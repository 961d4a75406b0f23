/* tls_certs.c: a run's certificate set on disk. See tls_certs.h.
 *
 * The whole set is made in memory first (tls_x509.c), then each file is written under a
 * temporary name (NAME.tmp.PID) and, once every one is on disk, renamed into place. An
 * exclusive flock(2) on the folder itself is held from the "is a set already there?" check to
 * the last rename, so two processes that make the set of one folder at once (parallel cases)
 * make it once: the second finds it complete. */
#include "tls_certs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "buf.h"
#include "tls_x509.h"

const char *const tls_cert_kind_names[TLS_CERT__COUNT] = {"valid", "expired", "wrong_name", "untrusted"};

int tls_cert_kind_parse(const char *name) {
  for (int k = 0; name && k < TLS_CERT__COUNT; k++)
    if (!strcmp(tls_cert_kind_names[k], name)) return k;
  return -1;
}

int tls_cert_path(char *out, size_t outlen, const char *dir, int kind, const char *ext) {
  const char *stem;
  if (kind == TLS_CERT_CA) {
    if (strcmp(ext, "crt")) return -1;
    stem = "ca";
  } else {
    if (kind < 0 || kind >= TLS_CERT__COUNT) return -1;
    if (strcmp(ext, "crt") && strcmp(ext, "key") && strcmp(ext, "pem")) return -1;
    stem = tls_cert_kind_names[kind];
  }
  int n = snprintf(out, outlen, "%s/%s.%s", dir, stem, ext);
  return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- the files of a set ------------------------------------------------------------ */

/* ca.crt, then KIND.crt, KIND.key, KIND.pem for each kind. */
#define SET_FILES (1 + 3 * TLS_CERT__COUNT)
#define FILE_CRT(kind) (1 + 3 * (kind))
#define FILE_KEY(kind) (2 + 3 * (kind))
#define FILE_PEM(kind) (3 + 3 * (kind))

/* The name of file i inside the folder ("ca.crt", "valid.key"...), and its mode: whatever holds
 * a private key is the owner's alone. */
static void set_file_name(int i, char *out, size_t outlen) {
  static const char *const exts[3] = {"crt", "key", "pem"};
  if (i == 0) snprintf(out, outlen, "ca.crt");
  else snprintf(out, outlen, "%s.%s", tls_cert_kind_names[(i - 1) / 3], exts[(i - 1) % 3]);
}
static mode_t set_file_mode(int i) { return i == 0 || (i - 1) % 3 == 0 ? 0644 : 0600; }

bool tls_certs_present(const char *dir) {
  char path[4096], name[64];
  struct stat st;
  for (int i = 0; i < SET_FILES; i++) {
    set_file_name(i, name, sizeof name);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) return false;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return false;
  }
  return true;
}

static void set_err(char *err, size_t errlen, const char *dir, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_err(char *err, size_t errlen, const char *dir, const char *fmt, ...) {
  if (!err || !errlen) return;
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  snprintf(err, errlen, "%s: %s", dir, why);
}

/* ---- making the set in memory ------------------------------------------------------ */

#define HOUR_S 3600L
#define DAY_S (24 * HOUR_S)
#define SAN_LOCAL "DNS:localhost,IP:127.0.0.1,IP:::1"

/* What each kind's leaf says; self_signed: its own issuer rather than the run CA's. */
static const struct leaf_kind {
  struct tls_x509_spec spec;
  bool self_signed;
} LEAVES[TLS_CERT__COUNT] = {
    [TLS_CERT_VALID] = {{"localhost", NULL, SAN_LOCAL, -HOUR_S, 30 * DAY_S, 0}, false},
    [TLS_CERT_EXPIRED] = {{"localhost", NULL, SAN_LOCAL, -30 * DAY_S, -DAY_S, 0}, false},
    [TLS_CERT_WRONG_NAME] = {{"wrong.badup.invalid", NULL, "DNS:wrong.badup.invalid", -HOUR_S, 30 * DAY_S, 0}, false},
    [TLS_CERT_UNTRUSTED] = {{"localhost", NULL, SAN_LOCAL, -HOUR_S, 30 * DAY_S, 0}, true},
};

/* One leaf of kind k, signed by ca/ca_key unless self-signed, into its three files. */
static int build_leaf(struct buf *files, int k, X509 *ca, EVP_PKEY *ca_key) {
  EVP_PKEY *key = tls_x509_key();
  X509 *cert = key ? tls_x509_cert(&LEAVES[k].spec, key, LEAVES[k].self_signed ? NULL : ca, ca_key) : NULL;
  int rc = cert && tls_x509_pem_cert(&files[FILE_CRT(k)], cert) == 0 && tls_x509_pem_key(&files[FILE_KEY(k)], key) == 0 &&
                   tls_x509_pem_cert(&files[FILE_PEM(k)], cert) == 0 && tls_x509_pem_key(&files[FILE_PEM(k)], key) == 0
               ? 0
               : -1;
  X509_free(cert);
  EVP_PKEY_free(key);
  return rc;
}

/* The whole set as PEM text, files[i] for file i. The CA's key exists only inside this
 * function. Returns 0, or -1 with why set. */
static int build_set(struct buf *files, char *why, size_t whylen) {
  unsigned char tag[4];
  char cn[64];
  if (RAND_bytes(tag, sizeof tag) != 1) {
    tls_x509_error(why, whylen);
    return -1;
  }
  snprintf(cn, sizeof cn, "badup run CA %02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);
  const struct tls_x509_spec ca_spec = {cn, "badup", NULL, -HOUR_S, 30 * DAY_S, 1};
  EVP_PKEY *ca_key = tls_x509_key();
  X509 *ca = ca_key ? tls_x509_cert(&ca_spec, ca_key, NULL, NULL) : NULL;
  int rc = ca && tls_x509_pem_cert(&files[0], ca) == 0 ? 0 : -1;
  for (int k = 0; rc == 0 && k < TLS_CERT__COUNT; k++) rc = build_leaf(files, k, ca, ca_key);
  if (rc < 0) tls_x509_error(why, whylen);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return rc;
}

/* ---- writing it --------------------------------------------------------------------- */

/* Writes data to NAME.tmp.PID inside the folder dfd, with mode, flushed to disk. 0 or -errno. */
static int write_temp(int dfd, const char *tmp, const struct buf *data, mode_t mode) {
  unlinkat(dfd, tmp, 0); /* a leftover of a process with the same PID that was killed */
  int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return -errno;
  int e = 0;
  if (fchmod(fd, mode) != 0) e = errno; /* whatever the umask says */
  for (size_t off = 0; !e && off < data->len;) {
    ssize_t w = write(fd, data->data + off, data->len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) e = w < 0 ? errno : EIO;
    else off += (size_t)w;
  }
  if (!e && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && !e) e = errno;
  if (e) unlinkat(dfd, tmp, 0);
  return -e;
}

/* Every temporary file, then every rename; on failure nothing this call wrote stays. */
static int write_set(int dfd, const char *dir, const struct buf *files, char *err, size_t errlen) {
  char names[SET_FILES][64], tmps[SET_FILES][96];
  int written = 0, renamed = 0, rc = 0;
  for (int i = 0; i < SET_FILES; i++) {
    set_file_name(i, names[i], sizeof names[i]);
    snprintf(tmps[i], sizeof tmps[i], "%s.tmp.%d", names[i], (int)getpid());
  }
  for (; written < SET_FILES; written++) {
    rc = write_temp(dfd, tmps[written], &files[written], set_file_mode(written));
    if (rc < 0) {
      set_err(err, errlen, dir, "cannot write %s: %s", tmps[written], strerror(-rc));
      goto undo;
    }
  }
  for (; renamed < SET_FILES; renamed++) {
    if (renameat(dfd, tmps[renamed], dfd, names[renamed]) != 0) {
      set_err(err, errlen, dir, "cannot rename %s to %s: %s", tmps[renamed], names[renamed], strerror(errno));
      goto undo;
    }
  }
  fsync(dfd); /* the renames themselves on disk; a failure here loses nothing already read */
  return 0;
undo:
  for (int i = 0; i < renamed; i++) unlinkat(dfd, names[i], 0);
  for (int i = renamed; i < written; i++) unlinkat(dfd, tmps[i], 0);
  return -1;
}

/* Opens dir (creating it 0700) and takes its lock. *created: this call made the folder.
 * Retries when the folder it locked was removed or replaced meanwhile (a concurrent call
 * that made it, failed, and removed it). Returns the locked fd, or -1 with err set. */
static int lock_dir(const char *dir, bool *created, char *err, size_t errlen) {
  for (int attempt = 0; attempt < 5; attempt++) {
    *created = mkdir(dir, 0700) == 0;
    if (!*created && errno != EEXIST) {
      set_err(err, errlen, dir, "cannot create the folder: %s", strerror(errno));
      return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      set_err(err, errlen, dir, "cannot open the folder: %s", strerror(errno));
      return -1;
    }
    int r;
    while ((r = flock(dfd, LOCK_EX)) != 0 && errno == EINTR) {}
    if (r != 0) {
      set_err(err, errlen, dir, "cannot lock the folder: %s", strerror(errno));
      close(dfd);
      return -1;
    }
    struct stat locked, named;
    if (fstat(dfd, &locked) == 0 && stat(dir, &named) == 0 && locked.st_dev == named.st_dev && locked.st_ino == named.st_ino)
      return dfd;
    close(dfd);
  }
  set_err(err, errlen, dir, "the folder keeps being removed or replaced while it is locked");
  return -1;
}

static int make_set(const char *dir, bool replace, char *err, size_t errlen) {
  bool created;
  int dfd = lock_dir(dir, &created, err, errlen);
  if (dfd < 0) return -1;
  if (!replace && tls_certs_present(dir)) {
    close(dfd);
    return 0;
  }
  struct buf files[SET_FILES];
  memset(files, 0, sizeof files);
  char why[256];
  int rc = build_set(files, why, sizeof why);
  if (rc < 0) set_err(err, errlen, dir, "cannot make the certificates: %s", why);
  else rc = write_set(dfd, dir, files, err, errlen);
  /* No need to wipe these: the leaves' keys are on disk anyway, and the CA's key was never
   * turned into text. */
  for (int i = 0; i < SET_FILES; i++) buf_free(&files[i]);
  if (rc < 0 && created) rmdir(dir);
  close(dfd); /* releases the lock */
  return rc;
}

int tls_certs_make(const char *dir, char *err, size_t errlen) { return make_set(dir, false, err, errlen); }

int tls_certs_remake(const char *dir, char *err, size_t errlen) { return make_set(dir, true, err, errlen); }
