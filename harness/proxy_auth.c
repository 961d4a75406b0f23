/* proxy_auth.c: the credentials of one case with Basic proxy authentication (RFC 9110
 * 11.7.1, RFC 7617): random per case, so nothing secret is in the repository and two runs
 * never share a password. */
#include "proxy.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

static int random_bytes(unsigned char *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < n) {
    ssize_t k = read(fd, out + got, n - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  return got == n ? 0 : -1;
}

static void hex(char *out, const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

/* RFC 4648 4, with padding. */
void proxy_basic(char *out, size_t outlen, const char *in) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), o = 0;
  for (size_t i = 0; i < n && o + 5 <= outlen; i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0) |
                 (i + 2 < n ? (unsigned char)in[i + 2] : 0);
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? a[v & 63] : '=';
  }
  out[o] = 0;
}

static int write_both(struct proxy_credentials *c, const char *dir, const char *credentials_dir, char *err,
                      size_t errlen) {
  unsigned char r[4 + 12 + 12];
  if (random_bytes(r, sizeof r) != 0) {
    snprintf(err, errlen, "cannot read /dev/urandom: %s", strerror(errno ? errno : EIO));
    return -1;
  }
  memcpy(c->user, "badup-", 6);
  hex(c->user + 6, r, 4);
  hex(c->password, r + 4, 12);
  char pair[80];
  snprintf(pair, sizeof pair, "%s:%s", c->user, c->password);
  proxy_basic(c->basic, sizeof c->basic, pair);
  /* "$6$" and 16 salt characters of crypt(3)'s alphabet */
  static const char salt_chars[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  char salt[3 + 16 + 1] = "$6$";
  for (int i = 0; i < 12; i++) salt[3 + i] = salt_chars[r[16 + i] & 63];
  for (int i = 12; i < 16; i++) salt[3 + i] = salt_chars[(r[i] ^ r[i + 4]) & 63];
  salt[19] = 0;
  struct crypt_data cd;
  memset(&cd, 0, sizeof cd);
  const char *hash = crypt_r(c->password, salt, &cd);
  if (!hash || hash[0] != '$') {
    snprintf(err, errlen, "crypt(3) cannot make a SHA-512 hash here");
    return -1;
  }
  char line[256], plain[512];
  snprintf(line, sizeof line, "%s:%s\n", c->user, hash);
  snprintf(plain, sizeof plain,
           "user: %s\npassword: %s\nProxy-Authorization: Basic %s\n"
           "curl: curl -x http://%s:%s@PROXY http://UPSTREAM/\n",
           c->user, c->password, c->basic, c->user, c->password);
  char credentials_file[4096 + 32];
  snprintf(c->file, sizeof c->file, "%.4000s/" PROXY_AUTH_FILE, dir);
  snprintf(credentials_file, sizeof credentials_file, "%.4000s/" PROXY_CREDENTIALS_FILE, credentials_dir);
  if (fileio_write_atomic(c->file, line, strlen(line)) != 0) {
    snprintf(err, errlen, "cannot write %.300s: %s", c->file, strerror(errno));
    return -1;
  }
  if (fileio_write_atomic(credentials_file, plain, strlen(plain)) != 0) {
    snprintf(err, errlen, "cannot write %.300s: %s", credentials_file, strerror(errno));
    return -1;
  }
  return 0;
}

int proxy_auth_write(struct proxy_credentials *c, const char *dir, const char *credentials_dir, char *err,
                     size_t errlen) {
  if (write_both(c, dir, credentials_dir, err, errlen) == 0) return 0;
  c->user[0] = 0;
  return -1;
}
