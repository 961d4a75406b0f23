/* files.c: the harness's file chores over folders (whole files are fileio.h's). */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int files_write(const char *path, const char *text) {
  char dirs[PATH_MAX];
  snprintf(dirs, sizeof dirs, "%s", path);
  for (char *p = dirs + 1; *p; p++) /* files may live in sub-folders of the case folder */
    if (*p == '/') {
      *p = 0;
      mkdir(dirs, 0755);
      *p = '/';
    }
  return fileio_write_atomic(path, text, strlen(text));
}

int files_remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -errno;
  if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 ? 0 : -errno;
  DIR *d = opendir(path);
  if (!d) return -errno;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    int r = files_remove_tree(sub);
    if (r && !rc) rc = r;
  }
  closedir(d);
  if (rmdir(path) != 0 && !rc) rc = -errno;
  return rc;
}

static int copy_file(const char *src, const char *dst, mode_t mode) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -errno;
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0666);
  if (out < 0) {
    int e = -errno;
    close(in);
    return e;
  }
  char buf[65536];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof buf)) > 0)
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0) {
        rc = -errno;
        n = -1;
        break;
      }
      off += w;
    }
  if (n < 0 && !rc) rc = -errno;
  close(in);
  if (close(out) != 0 && !rc) rc = -errno;
  return rc;
}

int files_move_tree(const char *src, const char *dst) {
  if (mkdir(dst, 0755) != 0 && errno != EEXIST) return -errno;
  DIR *d = opendir(src);
  if (!d) return -errno;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", src, e->d_name);
    snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
    struct stat st;
    if (lstat(from, &st) != 0) continue;
    int r = 0;
    if (rename(from, to) == 0) continue;
    if (S_ISDIR(st.st_mode)) r = files_move_tree(from, to);
    else if (S_ISREG(st.st_mode)) r = copy_file(from, to, st.st_mode);
    if (r && !rc) rc = r;
  }
  closedir(d);
  int r = files_remove_tree(src);
  return rc ? rc : r;
}
