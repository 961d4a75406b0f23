/* proxy_probe.c: finding a proxy's binary and asking it its version. */
#include "proxy.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "buf.h"

static char *find_binary(const char *name) {
  if (strchr(name, '/')) return access(name, X_OK) == 0 ? strdup(name) : NULL;
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  char *save = NULL, *found = NULL;
  for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", d, name);
    if (access(full, X_OK) == 0) found = strdup(full);
  }
  free(copy);
  return found;
}

/* Runs `binary args...` with stdout and stderr captured (bounded), up to 10 s. */
static char *capture(const char *binary, char **args) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  size_t n = 0;
  while (args && args[n]) n++;
  char **argv = calloc(n + 2, sizeof *argv);
  argv[0] = (char *)binary;
  for (size_t i = 0; i < n; i++) argv[i + 1] = args[i];
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    execv(binary, argv);
    _exit(127);
  }
  free(argv);
  close(fds[1]);
  struct buf b = {0};
  char tmp[4096];
  ssize_t r;
  while ((r = read(fds[0], tmp, sizeof tmp)) > 0 && b.len < 65536) buf_append(&b, tmp, (size_t)r);
  close(fds[0]);
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  buf_append(&b, "", 1);
  return b.data;
}

void proxy_probe(struct proxy_def *p) {
  for (size_t i = 0; i < p->nbinaries && !p->binary; i++) p->binary = find_binary(p->binaries[i]);
  if (!p->binary) return;
  char *out = p->version_pattern ? capture(p->binary, p->version_args) : NULL;
  if (out) {
    /* Lua's own pattern matcher, through string.match, so definitions use one syntax. */
    lua_State *L = luaL_newstate();
    if (L) {
      luaL_requiref(L, "string", luaopen_string, 1);
      lua_getfield(L, -1, "match");
      lua_pushstring(L, out);
      lua_pushstring(L, p->version_pattern);
      if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1)) p->version = strdup(lua_tostring(L, -1));
      lua_close(L);
    }
    free(out);
  }
  if (!p->version) p->version = strdup("unknown");
}
