/* files.h: the harness's file chores: reading a whole file, writing one with its folders,
 * removing a tree the run owns, moving a tree across file systems.
 *
 * Functions return 0 or -errno; text comes back malloc'd and NUL-terminated (the caller
 * frees it), or NULL. */
#ifndef BADUP_FILES_H
#define BADUP_FILES_H

#include <stddef.h>

/* The whole file, or its last `max` bytes when max > 0. NULL when it cannot be read. */
char *files_slurp(const char *path, size_t max);

/* Writes text to path, creating the folders on the way. */
int files_write(const char *path, const char *text);

/* Removes path and everything under it (no symlink is followed). 0 when it did not exist. */
int files_remove_tree(const char *path);

/* Moves every entry of folder src into folder dst (made when missing), across file systems
 * when needed (copy, then remove), then removes src. Symlinks and special files are
 * skipped: nothing a proxy leaves behind may point outside. */
int files_move_tree(const char *src, const char *dst);

#endif
