/* fileio.c: whole files in and out. See fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "buf.h"

int fileio_write_atomic(const char *path, const void *data, size_t len) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= sizeof tmp) return -ENAMETOOLONG;
  FILE *f = fopen(tmp, "wb");
  if (!f) return -errno;
  errno = 0;
  size_t w = len ? fwrite(data, 1, len, f) : 0;
  if (w != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
    int e = errno ? errno : EIO;
    fclose(f);
    unlink(tmp);
    return -e;
  }
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    int e = errno ? errno : EIO;
    unlink(tmp);
    return -e;
  }
  return 0;
}

char *fileio_slurp(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct buf b = {0};
  char tmp[4096];
  size_t n;
  if (max) {
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (size > (long)max) fseek(f, size - (long)max, SEEK_SET);
    else fseek(f, 0, SEEK_SET);
  }
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  if (len) *len = b.len;
  return buf_take(&b);
}
