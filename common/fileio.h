/* fileio.h: whole files in and out, for every part of badup that writes results or reads
 * what a child wrote.
 *
 * A file is written to a temporary name in its own folder (PATH.tmp.PID), flushed to disk
 * and renamed over PATH: a reader sees the old file or the new one, never half of one, and
 * a run interrupted at any point leaves at worst a *.tmp.PID beside it. */
#ifndef BADUP_FILEIO_H
#define BADUP_FILEIO_H

#include <stddef.h>

/* Writes len bytes of data to path atomically (above). Returns 0, or -errno; on failure the
 * temporary file is removed and path is left as it was. */
int fileio_write_atomic(const char *path, const void *data, size_t len);

/* The whole file, or its last max bytes when max > 0, NUL-terminated, malloc'd (the caller
 * frees it); *len (may be NULL) gets its length without the NUL. NULL when the file cannot
 * be read or memory runs out. */
char *fileio_slurp(const char *path, size_t max, size_t *len);

#endif
