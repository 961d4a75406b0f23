/* proxy_probe.c: finding a proxy's binary and asking it its version. */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "buf.h"

/* Only an executable regular file is a binary: access(X_OK) says yes to a folder too. */
static bool is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A relative candidate with a '/' names a file beside the definition (a program built or
 * installed into the repository, such as harness/proxies/go/bin/go-reverseproxy): it is made
 * absolute from the definition's own folder, since the proxy runs in the case folder. */
static char *beside_definition(const char *source, const char *name) {
  char *real = realpath(source, NULL);
  if (!real) return NULL;
  char *slash = strrchr(real, '/');
  if (slash) *slash = 0;
  size_t n = strlen(real) + 1 + strlen(name) + 1;
  char *full = malloc(n);
  if (full) snprintf(full, n, "%s/%s", real, name);
  free(real);
  return full;
}

static char *find_binary(const char *source, const char *name) {
  if (strchr(name, '/') && name[0] != '/') {
    char *full = beside_definition(source, name);
    if (full && is_executable_file(full)) return full;
    free(full);
    return NULL;
  }
  if (strchr(name, '/')) return is_executable_file(name) ? strdup(name) : NULL;
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  char *save = NULL, *found = NULL;
  for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", d, name);
    if (is_executable_file(full)) found = strdup(full);
  }
  free(copy);
  return found;
}

#define PROBE_BOUND_MS 10000 /* docs/proxies.md promises a version probe never takes longer */
#define PROBE_MAX_BYTES 65536
#define VERSION_MAX 64 /* a version is a short word in listings and results, not a log */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs `binary args...` with stdout and stderr captured (bounded), for up to PROBE_BOUND_MS.
 * The probe runs in a process group of its own, killed as a whole when the read ends, so
 * nothing it started outlives it. Reading stops at end of file, at the bound, or soon after
 * the probe itself exits (a process it put into a session of its own may hold the pipe open
 * for ever). Returns NULL when it timed out or could not run. */
static char *capture(const char *binary, char **args) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  size_t n = 0;
  while (args && args[n]) n++;
  char **argv = calloc(n + 2, sizeof *argv);
  if (!argv) {
    close(fds[0]), close(fds[1]);
    return NULL;
  }
  argv[0] = (char *)binary;
  for (size_t i = 0; i < n; i++) argv[i + 1] = args[i];
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    execv(binary, argv);
    _exit(127);
  }
  free(argv);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return NULL;
  }
  setpgid(pid, pid); /* as well as in the child: whichever runs first, the group exists before the kill */
  struct buf b = {0};
  char tmp[4096];
  long long deadline = now_ms() + PROBE_BOUND_MS;
  bool timed_out = false, exited = false;
  while (b.len < PROBE_MAX_BYTES) {
    long long left = deadline - now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    /* Once the probe has exited, only what is already in the pipe is its answer. */
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    int pr = poll(&pfd, 1, exited ? 0 : (int)(left < 100 ? left : 100));
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) break;
    if (pr == 0) {
      if (exited) break;
      /* WNOWAIT: the zombie keeps the group's id taken until the kill below */
      siginfo_t si = {0};
      exited = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
      continue;
    }
    ssize_t r = read(fds[0], tmp, sizeof tmp);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    buf_append(&b, tmp, (size_t)r);
  }
  close(fds[0]);
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    buf_free(&b);
    return NULL;
  }
  buf_append(&b, "", 1);
  return b.data;
}

/* The version as listings and results.json show it: printable ASCII (JSON takes only valid
 * UTF-8, and a terminal should not take control bytes), at most VERSION_MAX bytes. */
static char *printable_version(const char *s) {
  size_t n = strlen(s);
  if (n > VERSION_MAX) n = VERSION_MAX;
  char *v = malloc(n + 1);
  if (!v) return NULL;
  for (size_t i = 0; i < n; i++) v[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
  v[n] = 0;
  return v;
}

void proxy_probe(struct proxy_def *p) {
  for (size_t i = 0; i < p->nbinaries && !p->binary; i++) p->binary = find_binary(p->source, p->binaries[i]);
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
      if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isstring(L, -1)) p->version = printable_version(lua_tostring(L, -1));
      lua_close(L);
    }
    free(out);
  }
  if (!p->version) p->version = strdup("unknown");
}
