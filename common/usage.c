/* usage.c: a usage error, said the same way by every command. */
#include "usage.h"

#include <stdarg.h>
#include <stdio.h>

int cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "badup %s: ", command);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'badup %s --help'.\n", command);
  va_end(ap);
  return USAGE_EXIT;
}
