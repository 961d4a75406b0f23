/* paths.c: finding the repository's folders from wherever a command runs. */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *repo_dir(const char *given) {
  struct stat st;
  if (stat(given, &st) == 0 && S_ISDIR(st.st_mode)) return strdup(given);
  if (given[0] == '/') return NULL;
  char self[PATH_MAX];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) return NULL;
  self[sl] = 0;
  char *slash = strrchr(self, '/');
  if (!slash) return NULL;
  *slash = 0;
  char full[PATH_MAX + 64];
  snprintf(full, sizeof full, "%s/../%s", self, given);
  if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) return realpath(full, NULL);
  return NULL;
}
