/* unit_util.c: helpers shared by the Check suites. */
#include "unit_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- time and files ---------------------------------------------------------------- */

double uu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void uu_sleep(double seconds) {
  struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void die(const char *what) {
  perror(what);
  abort();
}

char *uu_mkdtemp(void) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  size_t n = strlen(tmp) + 32;
  char *p = malloc(n);
  if (!p) die("malloc");
  snprintf(p, n, "%s/badup-unit-XXXXXX", tmp);
  if (!mkdtemp(p)) die("mkdtemp");
  return p;
}

static void write_fd(int fd, const char *text, size_t len) {
  while (len) {
    ssize_t w = write(fd, text, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write");
    text += w;
    len -= (size_t)w;
  }
  if (close(fd) != 0) die("close");
}

char *uu_write_temp(const char *dir, const char *stem, const char *text) {
  size_t n = strlen(dir) + strlen(stem) + 16;
  char *p = malloc(n);
  if (!p) die("malloc");
  snprintf(p, n, "%s/%sXXXXXX.lua", dir, stem);
  int fd = mkstemps(p, 4);
  if (fd < 0) die("mkstemps");
  write_fd(fd, text, strlen(text));
  return p;
}

char *uu_write_file(const char *dir, const char *name, const char *text, size_t len) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) die("malloc");
  snprintf(p, n, "%s/%s", dir, name);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("open");
  write_fd(fd, text, len);
  return p;
}

void uu_rmtree(char *dir) {
  if (!dir) return;
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
  free(dir);
}

const char *uu_cstr(struct buf *b) {
  buf_append(b, "", 1);
  if (b->oom || !b->data) return "";
  b->len--;
  return b->data;
}

const char *uu_proxies_dir(void) {
  static char dir[4096];
  const char *given = getenv("BADUP_PROXIES");
  if (given && *given) return given;
  const char *scn = getenv("BADUP_SCENARIOS");
  snprintf(dir, sizeof dir, "%s/../harness/proxies", scn && *scn ? scn : "scenarios");
  return dir;
}

/* ---- the data plane on a thread ------------------------------------------------------ */

static void on_stop(uv_async_t *a) {
  struct uu_server *u = a->data;
  server_stop(u->srv);
  uv_close((uv_handle_t *)&u->stop_async, NULL);
}

static void *loop_thread(void *arg) {
  struct uu_server *u = arg;
  uv_run(&u->loop, UV_RUN_DEFAULT);
  return NULL;
}

int uu_server_start(struct uu_server *u, const char *lua, int linger_ms, struct buf *err) {
  memset(u, 0, sizeof *u);
  err->len = 0;
  u->dir = uu_mkdtemp();
  u->path = uu_write_temp(u->dir, "scn", lua);
  u->scn = calloc(1, sizeof *u->scn);
  u->srv = calloc(1, sizeof *u->srv);
  if (!u->scn || !u->srv) die("calloc");
  struct scenario_opts opts = {.seed = 1};
  if (scenario_load(u->scn, u->path, &opts, err) != 0) {
    free(u->scn);
    u->scn = NULL;
    return -1;
  }
  u->srv->scenarios = u->scn;
  u->srv->nscenarios = 1;
  u->srv->routed = false;
  u->srv->linger_ms = linger_ms;
  u->srv->nups = u->scn->nupstreams; /* a port per upstream, as badup serve does */
  atomic_store(&u->srv->default_idx, 0);
  if (uv_loop_init(&u->loop) != 0) die("uv_loop_init");
  struct sockaddr_in sin;
  uv_ip4_addr("127.0.0.1", 0, &sin);
  const char *why = "?";
  int rc = server_start(u->srv, &u->loop, (const struct sockaddr *)&sin, &why);
  if (rc < 0) {
    buf_printf(err, "server_start: %s: %s", why, strerror(rc < 0 ? -rc : rc));
    server_stop(u->srv);
    uv_run(&u->loop, UV_RUN_DEFAULT);
    server_destroy(u->srv);
    uv_loop_close(&u->loop);
    scenario_unload(u->scn);
    free(u->scn);
    u->scn = NULL;
    return -1;
  }
  u->port = ntohs(((struct sockaddr_in *)&u->srv->ups[0].addr)->sin_port);
  uv_async_init(&u->loop, &u->stop_async, on_stop);
  u->stop_async.data = u;
  if (pthread_create(&u->thread, NULL, loop_thread, u) != 0) die("pthread_create");
  u->running = true;
  return 0;
}

int uu_server_stop(struct uu_server *u) {
  int rc = 0;
  if (u->running) {
    uv_async_send(&u->stop_async);
    pthread_join(u->thread, NULL);
    server_destroy(u->srv);
    rc = uv_loop_close(&u->loop);
    u->running = false;
  }
  if (u->scn) {
    scenario_unload(u->scn);
    free(u->scn);
  }
  free(u->srv);
  if (u->path) unlink(u->path);
  free(u->path);
  uu_rmtree(u->dir);
  memset(u, 0, sizeof *u);
  return rc;
}

/* ---- the client -------------------------------------------------------------------- */

int uu_connect(int port, double timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct timeval tv = {(time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int uu_send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -errno;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

int uu_send_str(int fd, const char *s) { return uu_send_all(fd, s, strlen(s)); }

const char *uu_end_name(enum uu_end e) {
  static const char *const names[] = {"limit", "fin", "reset", "timeout", "error"};
  return (unsigned)e < 5 ? names[e] : "?";
}

enum uu_end uu_read(int fd, struct buf *out, size_t upto, double timeout, int *err) {
  double deadline = uu_now() + timeout;
  char tmp[16384];
  if (err) *err = 0;
  while (out->len < upto) {
    double left = deadline - uu_now();
    if (left <= 0) return UU_TIMEOUT;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int pr = poll(&p, 1, (int)(left * 1000.0) + 1);
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) continue; /* the loop re-checks the deadline */
    size_t want = upto - out->len;
    if (want > sizeof tmp) want = sizeof tmp;
    ssize_t n = recv(fd, tmp, want, 0);
    if (n == 0) return UU_FIN;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      if (errno == ECONNRESET) return UU_RESET;
      if (err) *err = errno;
      return UU_ERROR;
    }
    buf_append(out, tmp, (size_t)n);
  }
  return UU_LIMIT;
}

enum uu_end uu_read_all(int fd, struct buf *out, double timeout) {
  return uu_read(fd, out, SIZE_MAX, timeout, NULL);
}
