/* confine.h: a process tree that can write only into its own folders.
 *
 * A user's own proxy config (--proxy-config) is the user's file, not ours: the checks in
 * proxy_config.c read it the way its proxy does and refuse paths outside the case folder,
 * but a config language has more ways to name a file than any reading of it can know (a
 * path built from a variable, a program the config starts, a trust store a proxy updates on
 * its own). So the keeper (supervise.c) of such a proxy, and of its checker, first makes
 * every file system read-only for its tree, except the folders the case gave it: a write
 * anywhere else fails in the proxy with EROFS ("Read-only file system"), which the proxy
 * reports like any other error, and nothing outside the case changes.
 *
 * How: a private mount namespace (unshare(CLONE_NEWNS), mount propagation private, so the
 * host's mounts never change), each writable folder bind-mounted onto itself, then every
 * other mount remounted read-only. /proc, /sys and /dev stay as they are (device nodes and
 * the kernel's files are no part of the host's data). This needs CAP_SYS_ADMIN (root, as
 * in CI and `make run`); without it, confine_probe says so once and the checks alone stand. */
#ifndef BADUP_CONFINE_H
#define BADUP_CONFINE_H

#include <stddef.h>

/* Makes every mount read-only for this process and its future children, except the folders
 * in `writable` (NULL-terminated; each must exist). Returns 0, or -errno with `err` saying
 * which step failed (e.g. "unshare: Operation not permitted"). Call it single-threaded,
 * before starting the tree. */
int confine_writes(const char *const writable[], char *err, size_t errlen);

/* Can this process confine a tree? Tries it in a short-lived child. Returns 0, or -errno
 * with `err` saying why not. */
int confine_probe(char *err, size_t errlen);

#endif
