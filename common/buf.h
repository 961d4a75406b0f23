/* buf.h: a growable byte buffer. The owner frees it with buf_free; a failed append leaves
 * the buffer as it was and sets buf->oom, so callers check once at the end. */
#ifndef BADUP_BUF_H
#define BADUP_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
  char *data;
  size_t len, cap;
  bool oom;
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(struct buf *b, size_t n); /* drops the first n bytes */
/* Appends s as one POSIX sh word: as is when it holds only characters sh never reads
 * specially, else in single quotes (a quote inside as '\''), so a printed command can be
 * pasted into a shell. */
void buf_sh_word(struct buf *b, const char *s);
/* The contents as a C string (a NUL is kept after len); "" when empty or out of memory. */
const char *buf_cstr(struct buf *b);
/* Hands the contents over as a malloc'd C string (the caller frees it; "" when empty) and
 * leaves the buffer empty; NULL, with the buffer freed, when memory ran out. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

#endif
