/* jsonio.h: JSON documents as badup writes them (jansson). */
#ifndef BADUP_JSONIO_H
#define BADUP_JSONIO_H

#include <jansson.h>

/* A JSON string of s (NULL reads as ""), valid even when s is not UTF-8: invalid bytes
 * become the text \xNN. Never NULL unless memory runs out. */
json_t *json_text(const char *s);

/* Writes doc to path atomically (fileio.h): indented by 2, keys in insertion order, reals
 * with 10 significant digits, a newline at the end. Returns 0, or -errno. */
int jsonio_write(const char *path, json_t *doc);

#endif
