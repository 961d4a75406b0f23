/* files.h: the harness's file chores over folders: writing a file with its folders,
 * removing a tree the run owns, moving a tree across file systems. Reading and writing one
 * whole file is common/fileio.h's.
 *
 * Functions return 0 or -errno. */
#ifndef BADUP_FILES_H
#define BADUP_FILES_H

#include <stddef.h>

/* Writes text to path (atomically, fileio.h), creating the folders on the way. */
int files_write(const char *path, const char *text);

/* Removes path and everything under it (no symlink is followed). 0 when it did not exist. */
int files_remove_tree(const char *path);

/* Moves every entry of folder src into folder dst (made when missing), across file systems
 * when needed (copy, then remove), then removes src. Symlinks and special files are
 * skipped: nothing a proxy leaves behind may point outside. */
int files_move_tree(const char *src, const char *dst);

#endif
