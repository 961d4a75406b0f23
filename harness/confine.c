/* confine.c: every mount read-only for a process tree, but its own folders (confine.h). */
#include "confine.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *what, const char *path) {
  int e = errno ? errno : EINVAL;
  snprintf(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "", strerror(e));
  return -e;
}

/* mountinfo writes space, tab, newline and backslash in a mount point as \ooo. */
static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
}

/* Is `path` `dir` or inside it? */
static bool within(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1 && dir[0] == '/') return true;
  return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* The kernel's own file systems and the device nodes: no part of the host's data, and a
 * proxy needs them as they are (/dev/null, /proc/self, /dev/shm for shared memory). */
static bool left_alone(const char *mnt) {
  return within(mnt, "/proc") || within(mnt, "/sys") || within(mnt, "/dev");
}

/* A remount must repeat the flags the mount has that it may not drop (the kernel refuses
 * to clear nosuid, nodev or noexec where they are locked). */
static unsigned long kept_flags(const char *mnt, bool *already_ro) {
  struct statvfs st;
  *already_ro = false;
  if (statvfs(mnt, &st) != 0) return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_RDONLY) *already_ro = true;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

int confine_writes(const char *const writable[], char *err, size_t errlen) {
  size_t nw = 0;
  while (writable && writable[nw]) nw++;
  char(*real)[PATH_MAX] = calloc(nw ? nw : 1, sizeof *real);
  if (!real) return fail(err, errlen, "confine", NULL);
  int rc = 0;
  FILE *f = NULL;
  char *line = NULL;
  size_t cap = 0;
  for (size_t i = 0; i < nw; i++) {
    if (!realpath(writable[i], real[i])) {
      rc = fail(err, errlen, "cannot resolve", writable[i]);
      goto out;
    }
  }
  errno = 0;
  if (unshare(CLONE_NEWNS) != 0) {
    rc = fail(err, errlen, "unshare", NULL);
    goto out;
  }
  /* Nothing done in this namespace may reach the host's mounts. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    rc = fail(err, errlen, "mount --make-rprivate", "/");
    goto out;
  }
  for (size_t i = 0; i < nw; i++) {
    if (mount(real[i], real[i], NULL, MS_BIND | MS_REC, NULL) != 0) {
      rc = fail(err, errlen, "mount --bind", real[i]);
      goto out;
    }
  }
  f = fopen("/proc/self/mountinfo", "re");
  if (!f) {
    rc = fail(err, errlen, "cannot read", "/proc/self/mountinfo");
    goto out;
  }
  /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...": the fifth field. */
  while (getline(&line, &cap, f) > 0) {
    char *save = NULL, *field = strtok_r(line, " ", &save);
    for (int k = 1; field && k < 5; k++) field = strtok_r(NULL, " ", &save);
    if (!field) continue;
    unescape(field);
    if (left_alone(field)) continue;
    bool mine = false;
    for (size_t i = 0; i < nw && !mine; i++) mine = within(field, real[i]);
    if (mine) continue;
    bool ro;
    unsigned long keep = kept_flags(field, &ro);
    if (ro) continue;
    if (mount(NULL, field, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) != 0) {
      rc = fail(err, errlen, "mount -o remount,bind,ro", field);
      goto out;
    }
  }
out:
  free(line);
  if (f) fclose(f);
  free(real);
  return rc;
}

int confine_probe(char *err, size_t errlen) {
  int fds[2];
  if (pipe(fds) != 0) return fail(err, errlen, "pipe", NULL);
  /* The child only calls confine_writes and exits; glibc's fork leaves malloc usable in the
   * child of a threaded parent. Its mounts die with it. */
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return fail(err, errlen, "fork", NULL);
  }
  if (pid == 0) {
    close(fds[0]);
    char msg[256] = "";
    const char *none[] = {NULL};
    int rc = confine_writes(none, msg, sizeof msg);
    if (rc != 0) {
      ssize_t w = write(fds[1], msg, strlen(msg));
      (void)w;
    }
    _exit(rc == 0 ? 0 : (-rc & 0x7f));
  }
  close(fds[1]);
  char msg[256];
  ssize_t n, got = 0;
  while (got < (ssize_t)sizeof msg - 1 && (n = read(fds[0], msg + got, sizeof msg - 1 - (size_t)got)) > 0) got += n;
  msg[got] = 0;
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  snprintf(err, errlen, "%s", got ? msg : "the confining child failed");
  return WIFEXITED(st) && WEXITSTATUS(st) ? -WEXITSTATUS(st) : -EPERM;
}
