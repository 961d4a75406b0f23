/* case.c: one scenario through one fresh proxy instance. */
#include "case.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "proc.h"
#include "rawclient.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A port nobody holds right now: bind 0, read it, release it. The proxy binds it a few
 * milliseconds later; the kernel hands out ephemeral ports at random, so a collision with
 * a parallel case is unlikely, and shows as a failed start, never as a wrong result. */
int case_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

static bool can_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

static char *slurp(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct buf b = {0};
  char tmp[4096];
  size_t n;
  if (max) {
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (size > (long)max) fseek(f, size - (long)max, SEEK_SET);
    else fseek(f, 0, SEEK_SET);
  }
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_append(&b, tmp, n);
  fclose(f);
  buf_append(&b, "", 1);
  return b.data;
}

static int write_file(const char *path, const char *text) {
  char dirs[4096];
  snprintf(dirs, sizeof dirs, "%s", path);
  for (char *p = dirs + 1; *p; p++) /* files may live in sub-folders of the case folder */
    if (*p == '/') {
      *p = 0;
      mkdir(dirs, 0755);
      *p = '/';
    }
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

/* Waits for the simulator's start-up line and reads its two addresses. */
static bool simulator_ports(const char *out_path, struct proc *sim, int *port, int *admin, char *err, size_t errlen) {
  for (int waited = 0; waited < 10000; waited += 2) {
    char *text = slurp(out_path, 0);
    const char *l = text ? strstr(text, "listen=") : NULL, *a = text ? strstr(text, "admin=") : NULL;
    if (l && a && strchr(a, '\n')) {
      const char *lc = strchr(l, ' ');
      const char *p1 = memrchr(l, ':', (size_t)(lc - l));
      *port = atoi(p1 + 1);
      const char *ac = strchr(a, ' ');
      const char *p2 = memrchr(a, ':', (size_t)(ac - a));
      *admin = atoi(p2 + 1);
      free(text);
      return *port > 0 && *admin > 0;
    }
    free(text);
    if (proc_exited(sim)) {
      char how[64];
      proc_describe(sim, how, sizeof how);
      snprintf(err, errlen, "the simulator did not start (%s)", how);
      return false;
    }
    sleep_ms(2);
  }
  snprintf(err, errlen, "the simulator did not print its address within 10 s");
  return false;
}

/* The last lines of a file, joined with " | ", into out. */
static void tail_lines(const char *path, int nlines, char *out, size_t outlen) {
  char *text = slurp(path, 16384);
  if (!text) return;
  size_t len = strlen(text);
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) text[--len] = 0;
  char *start = text + len;
  for (int i = 0; i < nlines && start > text; i++) {
    start--;
    while (start > text && start[-1] != '\n') start--;
  }
  for (char *c = start; *c; c++)
    if (*c == '\n') *c = '|';
  size_t used = strlen(out);
  snprintf(out + used, outlen - used, "%s%s", used ? " | " : "", start);
  free(text);
}

/* The proxy's own lines about the request: lines of its logs matching log_match (or the
 * last lines when it has none), newest last, joined with " | ". */
/* Log file i of the proxy (i == nlogs: its stderr, proxy.err). */
static void log_path(const struct proxy_def *p, const char *dir, size_t i, char *path, size_t len) {
  if (i < p->nlogs) snprintf(path, len, "%s/%s", dir, p->logs[i]);
  else snprintf(path, len, "%s/proxy.err", dir);
}

static void proxy_lines(const struct proxy_def *p, const char *dir, char *out, size_t outlen) {
  out[0] = 0;
  char path[4096];
  regex_t re;
  bool have_re = p->log_match && regcomp(&re, p->log_match, REG_EXTENDED | REG_NOSUB) == 0;
  for (size_t i = 0; have_re && i <= p->nlogs; i++) {
    log_path(p, dir, i, path, sizeof path);
    char *text = slurp(path, 65536);
    if (!text) continue;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      if (regexec(&re, line, 0, NULL, 0) != 0) continue;
      size_t used = strlen(out);
      snprintf(out + used, outlen - used, "%s%s", used ? " | " : "", line);
    }
    free(text);
  }
  if (have_re) regfree(&re);
  if (!out[0]) {
    /* No log_match, or nothing matched it (a user's --proxy-config may log in another
     * shape): the last lines are the best evidence there is. stderr counts only when a
     * log_match was meant to pick from it. */
    for (size_t i = 0; i < p->nlogs + (have_re ? 1 : 0); i++) {
      log_path(p, dir, i, path, sizeof path);
      tail_lines(path, 2, out, outlen);
    }
  }
}

static void fetch_attempts(int admin, const char *dir, struct case_result *r) {
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", admin);
  char *doc = client_fetch(url, 3.0, NULL);
  json_t *j = doc ? json_loads(doc, 0, NULL) : NULL;
  if (j) {
    r->attempts = (long)json_integer_value(json_object_get(j, "requests"));
    r->upstream_connections = (long)json_integer_value(json_object_get(j, "connections"));
  }
  json_decref(j);
  free(doc);
  /* What the upstream saw, connection by connection: kept for whoever debugs the case. */
  snprintf(url, sizeof url, "http://127.0.0.1:%d/events?limit=50", admin);
  doc = client_fetch(url, 3.0, NULL);
  if (doc) {
    char path[4096];
    snprintf(path, sizeof path, "%s/upstream-events.json", dir);
    write_file(path, doc);
    free(doc);
  }
}

static void fmt_seconds(char *out, size_t len, double s) { snprintf(out, len, "%g", s); }

void case_run(const struct proxy_def *p, const struct scenario *s, const struct run_opts *o,
              const char *dir, struct case_result *r) {
  memset(r, 0, sizeof *r);
  r->attempts = r->upstream_connections = -1;
  r->ran = true;
  double t0 = now_ms();
  mkdir(dir, 0755);
  char path[4096], sim_out[4096], sim_err[4096];
  snprintf(sim_out, sizeof sim_out, "%s/simulator.out", dir);
  snprintf(sim_err, sizeof sim_err, "%s/simulator.err", dir);

  /* 1. The upstream: this scenario alone, so listener faults act on its port. */
  char seed[32], rt[64], ct[64];
  snprintf(seed, sizeof seed, "%lu", o->seed);
  snprintf(rt, sizeof rt, "read_timeout=%g", o->read_timeout);
  snprintf(ct, sizeof ct, "connect_timeout=%g", o->connect_timeout);
  char *sim_argv[] = {"/proc/self/exe", "serve", "--seed", seed, "--set", rt, "--set", ct, "--set",
                      o->retries ? "retries=true" : "retries=false", s->file, NULL};
  struct proc sim, px = {0}, side[MAX_SIDECARS] = {{0}};
  int up_port = 0, admin = 0;
  if (proc_spawn(&sim, sim_argv, NULL, sim_out, sim_err, NULL) != 0) {
    snprintf(r->got, sizeof r->got, "setup_error");
    snprintf(r->detail, sizeof r->detail, "cannot start the simulator: %s", strerror(errno));
    return;
  }
  if (!simulator_ports(sim_out, &sim, &up_port, &admin, r->detail, sizeof r->detail)) {
    snprintf(r->got, sizeof r->got, "setup_error");
    tail_lines(sim_err, 3, r->detail, sizeof r->detail);
    proc_stop(&sim, 2000);
    return;
  }

  /* 2. The proxy: rendered files, then its command, in its own process group. */
  int port = case_free_port();
  char sport[16], sup[16], sct_ms[32], srt_ms[32], sct[32], srt[32];
  snprintf(sport, sizeof sport, "%d", port);
  snprintf(sup, sizeof sup, "%d", up_port);
  fmt_seconds(sct, sizeof sct, o->connect_timeout);
  fmt_seconds(srt, sizeof srt, o->read_timeout);
  snprintf(sct_ms, sizeof sct_ms, "%ld", (long)(o->connect_timeout * 1000 + 0.5));
  snprintf(srt_ms, sizeof srt_ms, "%ld", (long)(o->read_timeout * 1000 + 0.5));
  const char *values[PV__COUNT] = {
      [PV_BINARY] = p->binary, [PV_DIR] = dir, [PV_PROXY_PORT] = sport, [PV_UPSTREAM_HOST] = "127.0.0.1",
      [PV_UPSTREAM_PORT] = sup, [PV_CONNECT_TIMEOUT] = sct, [PV_READ_TIMEOUT] = srt,
      [PV_CONNECT_TIMEOUT_MS] = sct_ms, [PV_READ_TIMEOUT_MS] = srt_ms, [PV_RETRIES] = "", [PV_SCENARIO] = s->name};
  struct vars v = {proxy_var_names, values, PV__COUNT};
  char *bad = NULL;
  /* The retries text may use the other variables (a port, a timeout). */
  char *retries = template_render(o->retries ? p->retries_on : p->retries_off, &v, &bad);
  values[PV_RETRIES] = retries;
  for (size_t i = 0; i < p->nfiles && !bad; i++) {
    const char *tmpl = p->files[i].text;
    char *user = NULL;
    if (o->proxy_config && p->config && strcmp(p->files[i].name, p->config) == 0) tmpl = user = slurp(o->proxy_config, 0);
    if (!tmpl) {
      snprintf(r->detail, sizeof r->detail, "cannot read --proxy-config %s", o->proxy_config);
      break;
    }
    char *text = template_render(tmpl, &v, &bad);
    free(user);
    snprintf(path, sizeof path, "%s/%s", dir, p->files[i].name);
    if (!bad && write_file(path, text) != 0) snprintf(r->detail, sizeof r->detail, "cannot write %.400s", path);
    free(text);
  }
  size_t nargs = 0, nenv = 0;
  while (p->command[nargs]) nargs++;
  while (p->env[nenv]) nenv++;
  char **argv = calloc(nargs + 1, sizeof *argv), **env = calloc(nenv + 1, sizeof *env);
  for (size_t i = 0; i < nargs && !bad; i++) argv[i] = template_render(p->command[i], &v, &bad);
  for (size_t i = 0; i < nenv && !bad; i++) env[i] = template_render(p->env[i], &v, &bad);
  if (bad || r->detail[0]) {
    snprintf(r->got, sizeof r->got, "setup_error");
    if (bad) snprintf(r->detail, sizeof r->detail, "%.300s: unknown template variable ${%.100s}", p->source, bad);
    goto stop;
  }
  char px_out[4096], px_err[4096];
  snprintf(px_out, sizeof px_out, "%s/proxy.out", dir);
  snprintf(px_err, sizeof px_err, "%s/proxy.err", dir);
  double start = now_ms();
  if (proc_spawn(&px, argv, dir, px_out, px_err, env) != 0) {
    snprintf(r->got, sizeof r->got, "setup_error");
    snprintf(r->detail, sizeof r->detail, "cannot start %s: %s", p->binary, strerror(errno));
    goto stop;
  }
  bool ready = false;
  while (now_ms() - start < p->ready_timeout * 1000) {
    if (proc_exited(&px)) break;
    if (can_connect(port)) {
      ready = true;
      break;
    }
    sleep_ms(5);
  }
  r->ready_ms = now_ms() - start;
  if (!ready) {
    snprintf(r->got, sizeof r->got, "setup_error");
    char how[64];
    proc_exited(&px);
    proc_describe(&px, how, sizeof how);
    snprintf(r->detail, sizeof r->detail, "%s did not become ready in %.0f ms (%s): ", p->name, r->ready_ms, how);
    tail_lines(px_err, 3, r->detail, sizeof r->detail);
    goto stop;
  }
  char url[512];
  /* Companions (a log reader such as varnishncsa) start once the proxy is up. */
  for (size_t k = 0; k < p->nsidecars && k < MAX_SIDECARS; k++) {
    size_t n = 0;
    while (p->sidecars[k][n]) n++;
    char **sargv = calloc(n + 1, sizeof *sargv);
    for (size_t i = 0; i < n && !bad; i++) sargv[i] = template_render(p->sidecars[k][i], &v, &bad);
    char so[4096];
    snprintf(so, sizeof so, "%s/sidecar%zu.err", dir, k + 1);
    if (!bad) proc_spawn(&side[k], sargv, dir, so, so, env);
    for (size_t i = 0; i < n; i++) free(sargv[i]);
    free(sargv);
  }
  if (p->warmup_ms > 0) sleep_ms(p->warmup_ms);

  /* 3. The client. Its timeout leaves the proxy time to time out first. */
  struct client_result cr;
  /* Long enough for the slowest proxy to time out first (lighttpd answers at read + 2 s). */
  double timeout = o->connect_timeout + o->read_timeout + 2.5;
  for (int i = 0; i < s->requests; i++) {
    if (p->forward) snprintf(url, sizeof url, "http://127.0.0.1:%d/%s/%d", up_port, s->name, i + 1);
    else snprintf(url, sizeof url, "http://127.0.0.1:%d/%s/%d", port, s->name, i + 1);
    if (s->client_request) rawclient_exchange(port, s->client_request, s->client_request_len, timeout, &cr);
    else client_get(url, timeout, &cr, p->forward ? port : 0);
    if (i + 1 < s->requests) sleep_ms(50); /* let the proxy park its upstream connection */
  }
  snprintf(r->got, sizeof r->got, "%s", cr.outcome);
  r->elapsed_ms = cr.total_s * 1000;
  r->first_byte_ms = cr.first_byte_s * 1000;
  if (!strcmp(cr.outcome, "error") || !strcmp(cr.outcome, "invalid"))
    snprintf(r->detail, sizeof r->detail, "curl: %s", cr.curl_error);

  /* 4. A proxy that died on this is the finding. It may still be dying when the client
   * sees its connection go: give it a moment before asking. */
  if (proc_wait(&px, 50)) {
    char how[64];
    proc_describe(&px, how, sizeof how);
    snprintf(r->got, sizeof r->got, "proxy_died");
    snprintf(r->detail, sizeof r->detail, "%s %s (client saw %s): ", p->name, how, cr.outcome);
    tail_lines(px_err, 3, r->detail, sizeof r->detail);
  }
  fetch_attempts(admin, dir, r);

stop:
  if (p->settle_ms > 0 && px.pid) sleep_ms(p->settle_ms); /* logs written late */
  for (int k = 0; k < MAX_SIDECARS; k++) proc_stop(&side[k], 2000);
  proc_stop(&px, p->stop_grace_ms);
  proc_stop(&sim, 3000);
  for (size_t k = 0; p->cleanup && p->cleanup[k]; k++) {
    char *bad2 = NULL, *pattern = template_render(p->cleanup[k], &v, &bad2);
    glob_t g;
    if (!bad2 && glob(pattern, 0, NULL, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
      globfree(&g);
    }
    free(pattern);
    free(bad2);
  }
  if (r->ran && px.pid) proxy_lines(p, dir, r->proxy_log, sizeof r->proxy_log);
  for (size_t i = 0; i < nargs; i++) free(argv[i]);
  for (size_t i = 0; i < nenv; i++) free(env[i]);
  free(argv);
  free(env);
  free(bad);
  free(retries);
  r->overhead_ms = now_ms() - t0 - r->elapsed_ms;
}
