/* case.c: one scenario through one fresh proxy instance, in five stages: the simulator,
 * the proxy's files, the proxy, the exchange, and the evidence. */
#include "case.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "case_logs.h"
#include "fileio.h"
#include "files.h"
#include "proc.h"
#include "case_client.h"
#include "results.h"
#include "run_tls.h"
#include "simctl.h"
#include "start_gate.h"
#include "tcp_listeners.h"
#include "supervise.h"

/* The times a case gives each of its steps (case.h has the timeouts' route). */
/* The client waits connect + read timeout + this: long enough for the slowest proxy to time
 * out first and answer (lighttpd answers at read + 2 s). */
#define CLIENT_GRACE_S 2.5
/* Between two requests of a scenario: the proxy parks its upstream connection. */
#define BETWEEN_REQUESTS_MS 50
/* A proxy still dying when its client saw the connection go: how long to wait for it; and,
 * when its command is seen dead already (the keeper still has to stop the rest of the tree
 * and mirror the death, which a loaded machine can delay), how long to wait for that. */
#define DEATH_WAIT_MS 50
#define DYING_WAIT_MS 3000
/* How often the proxy's port is checked while it starts. */
#define READY_POLL_MS 5
/* A socket of someone else's on the proxy's port: how long the proxy gets to fail its bind
 * before the case starts over on a new port, and how many ports it tries. */
#define PORT_TAKEN_MS 500
#define PORT_ATTEMPTS 3
/* SIGTERM to SIGKILL for a proxy's companions (a log reader) and for the simulator. */
#define SIDECAR_STOP_GRACE_MS 2000
#define SIMULATOR_STOP_GRACE_MS 3000
/* How long a proxy may take to close its upstream connections after the exchange, when an
 * expect asks whether it did (upstream_closed). */
#define UPSTREAM_CLOSE_WAIT_S 1.0

static const char *const case_outcome_words[CASE_OUTCOMES_COUNT] = {
#define BADUP_CASE_OUTCOME_WORD(id, word) [CASE_##id] = word,
    BADUP_CASE_OUTCOMES(BADUP_CASE_OUTCOME_WORD)
#undef BADUP_CASE_OUTCOME_WORD
};

const char *case_outcome_word(enum case_outcome o) { return case_outcome_words[o]; }

void case_set_got(struct case_result *r, enum case_outcome o) {
  snprintf(r->got, sizeof r->got, "%s", case_outcome_words[o]);
}

bool case_got_is(const struct case_result *r, enum case_outcome o) { return !strcmp(r->got, case_outcome_words[o]); }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static atomic_bool stopping;

void case_stop_waiting(void) { atomic_store(&stopping, true); }

/* Sleeps ms, in steps short enough that an interrupted run does not wait out a definition's
 * warmup or settle time (they may be seconds) before it can end. */
static void sleep_ms(int ms) {
  enum { STEP_MS = 20 };
  double until = now_ms() + ms;
  for (double left = ms; left > 0 && !atomic_load(&stopping); left = until - now_ms()) {
    long step = left < STEP_MS ? (long)(left * 1e6) : STEP_MS * 1000000L;
    struct timespec ts = {0, step > 0 ? step : 1};
    nanosleep(&ts, NULL);
  }
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

/* The first TCP listener (IPv4 or IPv6) for which want(port, inode, arg) is true: its port,
 * with its inode in *inode; 0 when none is. Read from the kernel's socket tables, without
 * connecting (tcp_listeners.h; /proc/net/tcp, which costs much more, where sock_diag is not
 * there): a probe connection would be logged by the proxy (haproxy's <BADREQ> 400 CR--,
 * squid's NONE_NONE/000) and could be mistaken for the case's request. A listening socket
 * accepts connections at once (the kernel completes the handshake), which is all a
 * connect-based probe ever proved. */
static int find_listener(bool (*want)(unsigned port, unsigned long inode, void *arg), void *arg,
                         unsigned long *inode) {
  int asked = tcp_listeners_find(want, arg, inode); /* cheap; /proc/net/tcp where it fails */
  if (asked >= 0) return asked;
  static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
  for (int t = 0; t < 2; t++) {
    FILE *f = fopen(tables[t], "r");
    if (!f) continue;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
      unsigned lport, state;
      unsigned long ino;
      /* "  0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 INODE" */
      if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x %*u %*d %lu", &lport, &state,
                 &ino) == 3 &&
          state == 0x0A /* TCP_LISTEN */ && want(lport, ino, arg)) {
        found = (int)lport;
        *inode = ino;
      }
    }
    fclose(f);
    if (found) return found;
  }
  return 0;
}

static bool on_port(unsigned port, unsigned long inode, void *arg) {
  (void)inode;
  return port == *(const unsigned *)arg;
}

/* The inode of a socket listening on this TCP port (any local address), or 0. */
static unsigned long listening_inode(int port) {
  unsigned want = (unsigned)port;
  unsigned long inode = 0;
  if (!find_listener(on_port, &want, &inode)) return 0;
  return inode ? inode : 1;
}

/* Is pid the keeper (or a descendant of it)? Walks the parents. */
static bool descends_from(pid_t pid, pid_t keeper) {
  for (int depth = 0; pid > 1 && depth < 64; depth++) {
    if (pid == keeper) return true;
    if (!proc_stat(pid, NULL, &pid, NULL, NULL, 0)) return false;
  }
  return false;
}

/* Does a process of the keeper's tree hold the socket with this inode? A port handed out by
 * free_port can be taken by someone else before the proxy binds it (a parallel case that
 * asked the kernel at the same moment, any process on the machine); the proxy then fails
 * to bind, and a check by port alone would send the request to that other process. */
static bool tree_owns_socket(pid_t keeper, unsigned long inode) {
  char want[64];
  snprintf(want, sizeof want, "socket:[%lu]", inode);
  DIR *d = opendir("/proc");
  struct dirent *e;
  bool owned = false;
  while (!owned && d && (e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || !descends_from((pid_t)pid, keeper)) continue;
    char fds[64];
    snprintf(fds, sizeof fds, "/proc/%ld/fd", pid);
    DIR *fd = opendir(fds);
    struct dirent *fe;
    while (!owned && fd && (fe = readdir(fd))) {
      char link[PATH_MAX], target[128];
      snprintf(link, sizeof link, "%s/%s", fds, fe->d_name);
      ssize_t n = readlink(link, target, sizeof target - 1);
      if (n > 0) {
        target[n] = 0;
        owned = !strcmp(target, want);
      }
    }
    if (fd) closedir(fd);
  }
  if (d) closedir(d);
  return owned;
}

struct stray {
  pid_t keeper;
  unsigned port;
};

static bool strays(unsigned port, unsigned long inode, void *arg) {
  const struct stray *w = arg;
  return port != w->port && inode && tree_owns_socket(w->keeper, inode);
}

/* A TCP port other than `port` on which a socket of the keeper's tree listens, or 0. A user's
 * config (--proxy-config) may listen on the case's port only: the checks of its text refuse
 * `listen 80` beside it, and this sees what they cannot (a second address in a list, a
 * listener in a block a reading does not know). Ports are the kernel's word, read from its
 * tables as for readiness. */
static int stray_listener(pid_t keeper, int port) {
  struct stray w = {keeper, (unsigned)port};
  unsigned long inode;
  return find_listener(strays, &w, &inode);
}

/* The keeper's child: the proxy's command. 0 when none is found. */
static pid_t keeper_child(pid_t keeper) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t found = 0;
  while (!found && d && (e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    pid_t ppid;
    if (!*end && pid > 0 && proc_stat((pid_t)pid, NULL, &ppid, NULL, NULL, 0) && ppid == keeper) found = (pid_t)pid;
  }
  if (d) closedir(d);
  return found;
}

/* Has this process ended (a zombie, or gone)? */
static bool process_ended(pid_t pid) {
  char state = 0;
  return !proc_stat(pid, &state, NULL, NULL, NULL, 0) || state == 'Z' || state == 'X';
}

/* Everything one case holds while it runs. */
struct case_ctx {
  const struct proxy_def *p;
  const struct scenario *s;
  const struct run_opts *o;
  const char *dir;      /* the case folder: evidence ends here */
  const char *pdir;     /* where the proxy works (${dir}): the case folder, or a scratch one */
  char scratch[256];    /* a scratch folder the proxy's user can reach, or "" */
  struct case_result *r;
  struct proc sim, px, side[MAX_SIDECARS];
  int up_port, admin, port; /* up_port: upstream 1's, up_ports[0] */
  int up_ports[SCENARIO_MAX_UPSTREAMS]; /* every upstream's port, in order */
  int nups;
  int attempt;              /* 1.. PORT_ATTEMPTS: the proxy's start on its attempt-th port */
  pid_t command;            /* the keeper's child, the proxy's command, once it is ready */
  struct proxy_rendered rd; /* render_proxy's: what argv, env and v point into */
  bool auth;                /* the scenario asks for Basic proxy authentication: */
  struct proxy_credentials cred; /* ... the case's own, random (user "" until written) */
  char upstream_ca[PATH_MAX];    /* ${upstream_ca}: the run CA's copy where the proxy works, or "" */
  struct vars v;            /* the template variables; v.n is 0 until the proxy is rendered */
  char **argv, **env;
  struct seen seen;         /* what the client saw, response by response (seen.h) */
  char *events_json;        /* GET /events and GET /requests as the case kept them (the */
  char *requests_json;      /* upstream-*.json files): what a table expect reads; or NULL */
  double proxy_stop_unix_ms; /* wall clock when the proxy began to be stopped (expect_eval.h) */
  char tls_cert[4096], tls_key[4096], tls_pem[4096]; /* --client-tls: the frontend's, or "" */
};

static void setup_error(struct case_ctx *c, const char *fmt, const char *a, const char *b) {
  case_set_got(c->r, CASE_SETUP_ERROR);
  snprintf(c->r->detail, sizeof c->r->detail, fmt, a, b);
}

/* Stage 1: the upstream: this scenario alone, so listener faults act on its port. */
static bool start_simulator(struct case_ctx *c) {
  char sim_out[4096], sim_err[4096], seed[32], rt[64], ct[64], clt[64], mb[48];
  snprintf(sim_out, sizeof sim_out, "%s/simulator.out", c->dir);
  snprintf(sim_err, sizeof sim_err, "%s/simulator.err", c->dir);
  snprintf(seed, sizeof seed, "%lu", c->o->seed);
  snprintf(rt, sizeof rt, "read_timeout=%g", c->o->read_timeout);
  snprintf(ct, sizeof ct, "connect_timeout=%g", c->o->connect_timeout);
  snprintf(clt, sizeof clt, "client_timeout=%g", c->o->client_timeout);
  snprintf(mb, sizeof mb, "max_body=%ld", c->o->max_body);
  /* badup run --set NAME=VALUE after the harness's own: the same ctx as its own load. */
  size_t n = 0, max = 20 + 2 * c->o->nctx; /* the NULL at the end included */
  char **argv = calloc(max, sizeof *argv), **owned = calloc(c->o->nctx + 1, sizeof *owned);
  bool ok = argv && owned;
  const char *fixed[] = {"/proc/self/exe", "serve", "--seed", seed, "--set", rt, "--set", ct, "--set", clt,
                         "--set", mb, "--set", c->o->retries ? "retries=true" : "retries=false"};
  for (size_t i = 0; ok && i < sizeof fixed / sizeof *fixed; i++) argv[n++] = (char *)fixed[i];
  for (size_t i = 0; ok && i < c->o->nctx; i++) {
    argv[n++] = "--set";
    ok = asprintf(&owned[i], "%s=%s", c->o->ctx[i].name, c->o->ctx[i].value) >= 0;
    argv[n++] = ok ? owned[i] : NULL;
    if (!ok) owned[i] = NULL;
  }
  /* A TLS upstream serves a leaf of the run's set; --tls gives every scenario without a tls
   * table of its own the valid one. */
  if (ok && case_is_tls(c->s, c->o)) argv[n++] = "--tls-dir", argv[n++] = (char *)c->o->tls_dir;
  if (ok && c->o->upstream_tls) argv[n++] = "--tls";
  if (ok) argv[n++] = c->s->file;
  ok = ok && proc_spawn(&c->sim, argv, NULL, sim_out, sim_err, NULL) == 0;
  for (size_t i = 0; owned && i < c->o->nctx; i++) free(owned[i]);
  free(owned);
  free(argv);
  if (!ok) {
    setup_error(c, "cannot start the simulator: %s%s", strerror(errno), "");
    return false;
  }
  if (!simctl_ports(sim_out, &c->sim, c->up_ports, SCENARIO_MAX_UPSTREAMS, &c->nups, &c->admin, c->r->detail,
                    sizeof c->r->detail)) {
    case_set_got(c->r, CASE_SETUP_ERROR);
    case_tail_lines(sim_err, 3, c->r->detail, sizeof c->r->detail);
    return false;
  }
  c->up_port = c->up_ports[0];
  return true;
}

/* A proxy that switches to its own user (squid's cache_effective_user) must be able to
 * write where it works. When that user cannot reach the case folder (a parent folder is
 * 0700, as `mktemp -d` makes them), the proxy works in a scratch folder under /tmp made
 * for it, and what it wrote is moved into the case folder afterwards. */
static bool user_can_write(uid_t uid, gid_t gid, const char *dir) {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(2);
    _exit(access(dir, W_OK | X_OK) == 0 ? 0 : 1);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The scratch folders in use, so an abrupt end (a third Ctrl-C) can still remove them. */
#define MAX_SCRATCH 64
static char scratch_dirs[MAX_SCRATCH][256];
static pthread_mutex_t scratch_mu = PTHREAD_MUTEX_INITIALIZER;

static void scratch_register(const char *dir, bool add) {
  pthread_mutex_lock(&scratch_mu);
  for (int i = 0; i < MAX_SCRATCH; i++) {
    if (add && !scratch_dirs[i][0]) {
      snprintf(scratch_dirs[i], sizeof scratch_dirs[i], "%s", dir);
      break;
    }
    if (!add && !strcmp(scratch_dirs[i], dir)) {
      scratch_dirs[i][0] = 0;
      break;
    }
  }
  pthread_mutex_unlock(&scratch_mu);
}

void case_remove_scratch(void) {
  pthread_mutex_lock(&scratch_mu);
  for (int i = 0; i < MAX_SCRATCH; i++)
    if (scratch_dirs[i][0]) {
      files_remove_tree(scratch_dirs[i]);
      scratch_dirs[i][0] = 0;
    }
  pthread_mutex_unlock(&scratch_mu);
}

static bool proxy_workdir(struct case_ctx *c) {
  c->pdir = c->dir;
  if (!c->p->user || geteuid() != 0) return true;
  struct passwd *pw = getpwnam(c->p->user);
  if (!pw) {
    setup_error(c, "%s switches to user '%s', which does not exist on this machine", c->p->name, c->p->user);
    return false;
  }
  if (chown(c->dir, pw->pw_uid, pw->pw_gid) == 0 && user_can_write(pw->pw_uid, pw->pw_gid, c->dir)) return true;
  /* $TMPDIR first (a test, or a user, may want the scratch elsewhere), then /tmp; each must
   * be reachable by the user too (a private 0700 TMPDIR is not). */
  const char *tmpdir = getenv("TMPDIR");
  const char *bases[] = {tmpdir && *tmpdir ? tmpdir : "/tmp", "/tmp"};
  for (int i = 0; i < 2; i++) {
    snprintf(c->scratch, sizeof c->scratch, "%.180s/badup-%.40s-XXXXXX", bases[i], c->p->name);
    if (!mkdtemp(c->scratch)) continue;
    if (chown(c->scratch, pw->pw_uid, pw->pw_gid) == 0 && user_can_write(pw->pw_uid, pw->pw_gid, c->scratch)) {
      c->pdir = c->scratch;
      scratch_register(c->scratch, true);
      return true;
    }
    rmdir(c->scratch);
  }
  c->scratch[0] = 0;
  case_set_got(c->r, CASE_SETUP_ERROR);
  snprintf(c->r->detail, sizeof c->r->detail,
           "%s switches to user '%s', which can write neither to %.200s nor to a scratch folder under %.60s or /tmp",
           c->p->name, c->p->user, c->dir, bases[0]);
  return false;
}

bool case_is_tls(const struct scenario *s, const struct run_opts *o) { return s->tls || o->upstream_tls; }

bool case_is_http2(const struct scenario *s) { return s->http2 != NULL; }

double case_read_timeout(const struct scenario *s, const struct run_opts *o) {
  return s->proxy_read_timeout > 0 ? s->proxy_read_timeout : o->read_timeout;
}

/* What render_proxy allocated; it can then run again. */
static void free_render(struct case_ctx *c) {
  proxy_rendered_free(&c->rd);
  c->argv = c->env = NULL;
}

/* Stage 2: the proxy's files, rendered into the folder it works in, on a port of its own. */
static bool render_proxy(struct case_ctx *c) {
  c->port = case_free_port();
  struct proxy_instance in = {.dir = c->pdir, .port = c->port, .upstream_host = "127.0.0.1",
                              .upstream_port = c->up_port, .connect_timeout = c->o->connect_timeout,
                              .upstream_ports = c->up_ports, .nupstreams = c->nups, /* every upstream, in order */
                              .read_timeout = case_read_timeout(c->s, c->o), .retries = c->o->retries, .scenario = c->s->name,
                              .client_timeout = c->o->client_timeout, .max_body = c->o->max_body,
                              .config_file = c->o->proxy_config,
                              /* a forward proxy by definition has no mode to switch to */
                              .forward = c->s->forward && !c->p->forward};
  char why[sizeof c->r->detail];
  c->auth = in.forward && c->s->forward_auth && c->p->fwd.auth;
  /* once per case, whatever port the proxy gets; the plain text in the case folder */
  if (c->auth && !c->cred.user[0] && proxy_auth_write(&c->cred, c->pdir, c->dir, why, sizeof why) != 0) {
    setup_error(c, "%s%s", why, "");
    return false;
  }
  if (c->auth) in.auth_user = c->cred.user, in.auth_password = c->cred.password, in.auth_file = c->cred.file;
  /* --client-tls: the run's valid leaf in the folder the proxy works in, once per case */
  if (c->o->client_tls && !c->tls_cert[0] &&
      run_tls_case_files(c->o->tls_dir, c->pdir, c->tls_cert, c->tls_key, c->tls_pem, sizeof c->tls_cert, why,
                         sizeof why) != 0) {
    c->tls_cert[0] = 0;
    setup_error(c, "--client-tls: %.400s%s", why, "");
    return false;
  }
  if (c->o->client_tls) in.proxy_cert = c->tls_cert, in.proxy_key = c->tls_key, in.proxy_pem = c->tls_pem;
  in.http2 = c->o->client_http2;
  /* where the proxy works, which its user can read (a scratch folder is moved back after) */
  in.upstream_tls = case_is_tls(c->s, c->o);
  if (in.upstream_tls && !c->upstream_ca[0] &&
      (!c->o->tls_dir ||
       run_tls_copy_ca(c->o->tls_dir, c->pdir, c->upstream_ca, sizeof c->upstream_ca, why, sizeof why) != 0)) {
    c->upstream_ca[0] = 0;
    setup_error(c, "%s%s", c->o->tls_dir ? why : "the run made no certificates for a TLS upstream", "");
    return false;
  }
  in.upstream_ca = c->upstream_ca;
  in.upstream_http2 = case_is_http2(c->s);
  if (proxy_render(c->p, &in, &c->rd, why, sizeof why) != 0) {
    setup_error(c, "%s%s", why, "");
    return false;
  }
  c->v = c->rd.vars;
  c->argv = c->rd.argv;
  c->env = c->rd.env;
  return true;
}

/* Stage 3: the proxy, through its keeper (supervise.c), ready when a socket of its own
 * listens on its port; then its companions (a log reader such as varnishncsa). Returns 1
 * when ready, 0 after a set-up error, -1 when another process holds its port, or the proxy
 * exited before it listened and attempts are left (a new port and a new start are due). */
static int start_proxy(struct case_ctx *c) {
  const struct proxy_def *p = c->p;
  char px_out[4096], px_err[4096];
  snprintf(px_out, sizeof px_out, "%s/proxy.out", c->pdir);
  snprintf(px_err, sizeof px_err, "%s/proxy.err", c->pdir);
  double start = now_ms();
  /* A user's config (--proxy-config) can write only into the case's folders. */
  const char *writable[] = {c->dir, c->scratch[0] ? c->scratch : NULL, NULL};
  const char *const *confined = c->o->confine ? writable : NULL;
  if (proc_spawn_confined(&c->px, c->argv, p->stop_grace_ms, c->pdir, px_out, px_err, c->env, confined) != 0) {
    setup_error(c, "cannot start %s: %s", p->binary, strerror(errno));
    return 0;
  }
  bool ready = false, taken = false;
  while (now_ms() - start < p->ready_timeout * 1000) {
    if (proc_exited(&c->px)) break;
    unsigned long inode = listening_inode(c->port);
    if (inode) {
      if (tree_owns_socket(c->px.pid, inode)) {
        ready = true;
        c->command = keeper_child(c->px.pid);
        break;
      }
      /* Someone else's: give the proxy a moment to fail its bind, then start over. */
      if (now_ms() - start > PORT_TAKEN_MS) {
        taken = true;
        break;
      }
    }
    sleep_ms(READY_POLL_MS);
  }
  c->r->ready_ms = now_ms() - start;
  if (taken) {
    proc_stop(&c->px, p->stop_grace_ms);
    return -1;
  }
  if (!ready) {
    char how[64];
    bool exited = proc_exited(&c->px);
    int status = exited && c->px.reaped && WIFEXITED(c->px.status) ? WEXITSTATUS(c->px.status) : -1;
    /* A proxy that exits before it listens has most often lost its port to another process
     * between free_port and its bind (an outgoing connection of anyone may take any
     * ephemeral port, and is gone before anyone looks): a new start on a new port, as for a
     * port seen taken. A proxy that cannot start at all fails every attempt, and the last
     * one says why. Leaving the foreground and a failed confinement are no port's fault. */
    if (exited && c->attempt < PORT_ATTEMPTS && status != SUPERVISE_LEFT_FOREGROUND &&
        status != SUPERVISE_CANNOT_CONFINE)
      return -1;
    proc_describe(&c->px, how, sizeof how);
    case_set_got(c->r, CASE_SETUP_ERROR);
    if (status == SUPERVISE_LEFT_FOREGROUND) {
      /* The keeper's own line says what ran on. */
      snprintf(c->r->detail, sizeof c->r->detail, "%s: ", p->name);
      case_tail_lines(px_err, 1, c->r->detail, sizeof c->r->detail);
      return 0;
    }
    char starts[64] = "";
    if (c->attempt > 1) snprintf(starts, sizeof starts, " (started %d times, each on a new port)", c->attempt);
    snprintf(c->r->detail, sizeof c->r->detail,
             "%s did not become ready%s: nothing of it listened on its port %d within %.0f ms (%s): ", p->name, starts,
             c->port, c->r->ready_ms, how);
    case_error_lines(px_err, 3, c->r->detail, sizeof c->r->detail);
    return 0;
  }
  for (size_t k = 0; k < p->nsidecars && k < MAX_SIDECARS; k++) {
    size_t n = 0;
    while (p->sidecars[k][n]) n++;
    char **sargv = calloc(n + 1, sizeof *sargv);
    char *bad = NULL;
    for (size_t i = 0; sargv && i < n && !bad; i++) sargv[i] = template_render(p->sidecars[k][i], &c->v, &bad);
    char so[4096];
    snprintf(so, sizeof so, "%s/sidecar%zu.err", c->pdir, k + 1);
    if (sargv && !bad)
      proc_spawn_confined(&c->side[k], sargv, SIDECAR_STOP_GRACE_MS, c->pdir, so, so, c->env, confined);
    for (size_t i = 0; sargv && i < n; i++) free(sargv[i]);
    free(sargv);
    free(bad);
  }
  return 1;
}

/* Stage 3, after the start slot is given back: the definition's warmup (a companion
 * attaching, a name the proxy resolves), which is waiting, not work; then a --proxy-config's
 * stray listener looked for. 1 when the case can go on, 0 after a set-up error. */
static int warm_up(struct case_ctx *c) {
  const struct proxy_def *p = c->p;
  int warmup = p->warmup_ms + (case_is_tls(c->s, c->o) ? p->upstream_tls_warmup_ms : 0);
  if (warmup > 0) sleep_ms(warmup);
  int stray = c->o->proxy_config ? stray_listener(c->px.pid, c->port) : 0;
  if (stray) {
    case_set_got(c->r, CASE_SETUP_ERROR);
    snprintf(c->r->detail, sizeof c->r->detail,
             "%s listens on port %d too, which the case did not ask the kernel for: a --proxy-config may listen on "
             "${proxy_port} (%d) only",
             p->name, stray, c->port);
    return 0;
  }
  return 1;
}

/* Stage 4: the client's request(s). Its timeout leaves the proxy time to time out first (on
 * the upstream side, or on the client side when the client part is the slow one);
 * when it has the response head it reaches the barrier a scenario's plan may wait at. */
static void exchange(struct case_ctx *c) {
  struct client_result cr;
  double upstream_s = c->o->connect_timeout + case_read_timeout(c->s, c->o);
  /* wait_conn: the expect's `connection` assertion needs the client to watch the last
   * connection after the last response. */
  struct case_client_in in = {.s = c->s, .dir = c->dir, .proxy_port = c->port, .upstream_ports = c->up_ports,
                              .nupstreams = c->nups, .admin = c->admin,
                              .forward = c->p->forward || c->s->forward, .credentials = c->auth ? &c->cred : NULL,
                              .timeout_s = upstream_s > c->o->client_timeout ? upstream_s + CLIENT_GRACE_S
                                                                             : c->o->client_timeout + CLIENT_GRACE_S,
                              .wait_conn = expectation_asks_connection(c->s->expectation),
                              .http2 = c->o->client_http2};
  char ca[4096];
  if (c->o->client_tls) {
    run_tls_ca(c->o->tls_dir, ca, sizeof ca);
    in.cacert = ca;
  }
  /* A scenario's client part is one script however many requests it holds. */
  for (in.n = 1; in.n <= (c->s->client ? 1 : c->s->requests); in.n++) {
    if (in.n > 1) {
      sleep_ms(BETWEEN_REQUESTS_MS);
      simctl_barriers_reset(c->admin);   /* a barrier reached for the last request is not this one's */
    }
    seen_free(&c->seen); /* the last request's exchange is the one kept */
    if (case_client_run(&in, &cr, &c->seen) != 0) {
      setup_error(c, "%s%s", cr.error, "");
      return;
    }
  }
  /* A proxy that answered in HTTP/1.1 under --client-http2 has not been tested over HTTP/2:
   * its definition's variant is wrong, which no outcome word should hide */
  if (cr.h2_mismatch[0]) {
    setup_error(c, "--client-http2: %.400s%s", cr.h2_mismatch, "");
    return;
  }
  struct case_result *r = c->r;
  snprintf(r->got, sizeof r->got, "%s", cr.outcome);
  r->elapsed_ms = cr.total_s * 1000;
  r->first_byte_ms = cr.first_byte_s * 1000;
  /* What the client said when the exchange broke ("curl: (52) Empty reply from server"). */
  if (cr.error[0]) snprintf(r->detail, sizeof r->detail, "%s", cr.error);
}

/* A table expect's assertions (expect_eval.h), once every piece of evidence is in; r->got
 * becomes the signature. A case that died or could not run has its word alone. */
static void assert_expectation(struct case_ctx *c) {
  struct case_result *r = c->r;
  if (!c->s->expectation || case_got_is(r, CASE_SETUP_ERROR) || case_got_is(r, CASE_PROXY_DIED)) return;
  struct expect_inputs in = {.seen = &c->seen, .attempts = r->attempts, .connections = r->upstream_connections,
                             .proxy = c->p->name, .proxy_log = r->proxy_log, .elapsed_s = r->elapsed_ms / 1000,
                             .proxy_stop_unix_ms = c->proxy_stop_unix_ms, .requests_json = c->requests_json,
                             .events_json = c->events_json};
  expect_evaluate_case(c->s->expectation, &in, &r->expect, r->got, sizeof r->got);
}

/* Stage 5: the evidence. The proxy goes first, so every upstream connection it held has
 * ended when the simulator is asked what it saw; the simulator last. */
static void collect(struct case_ctx *c, bool exchanged) {
  const struct proxy_def *p = c->p;
  struct case_result *r = c->r;
  char path[4096];
  /* A proxy that died on this is the finding. It may still be dying when the client sees
   * its connection go: give it a moment before asking; and when its command has ended
   * already (h2o aborts, and its socket closes as it dies), wait for the keeper to say so,
   * however loaded the machine: the same death is proxy_died every run. */
  bool died = false;
  if (exchanged) {
    double t0 = now_ms(), limit = DEATH_WAIT_MS;
    while (!(died = proc_exited(&c->px)) && now_ms() - t0 < limit) {
      if (c->command > 0 && process_ended(c->command)) limit = DYING_WAIT_MS;
      sleep_ms(READY_POLL_MS);
    }
  }
  if (died &&
      !(WIFEXITED(c->px.status) && WEXITSTATUS(c->px.status) == SUPERVISE_LEFT_FOREGROUND)) {
    char how[64];
    proc_describe(&c->px, how, sizeof how);
    char saw[sizeof r->got];
    snprintf(saw, sizeof saw, "%s", r->got);
    case_set_got(r, CASE_PROXY_DIED);
    snprintf(r->detail, sizeof r->detail, "%s %s (client saw %s): ", p->name, how, saw);
    snprintf(path, sizeof path, "%s/proxy.err", c->pdir);
    case_tail_lines(path, 3, r->detail, sizeof r->detail);
  }
  if (p->settle_ms > 0 && c->px.pid) sleep_ms(p->settle_ms); /* logs written late */
  /* upstream_closed: a proxy closes the upstream after its client has gone, and may take a
   * moment; what it still holds when it is stopped, it never closed on its own. */
  if (exchanged && !died && c->admin > 0 && expectation_asks_upstream_closed(c->s->expectation))
    case_client_wait_upstream(c->admin, UPSTREAM_CLOSE_WAIT_S);
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  c->proxy_stop_unix_ms = wall.tv_sec * 1e3 + wall.tv_nsec / 1e6;
  for (int k = 0; k < MAX_SIDECARS; k++) proc_stop(&c->side[k], SIDECAR_STOP_GRACE_MS);
  proc_stop(&c->px, p->stop_grace_ms);
  if (c->px.reaped && WIFEXITED(c->px.status) && WEXITSTATUS(c->px.status) == SUPERVISE_LEFT_FOREGROUND &&
      !case_got_is(r, CASE_SETUP_ERROR)) {
    /* Its command went to the background during the case: the case ran with a proxy the
     * harness could not control, which proves nothing. */
    case_set_got(r, CASE_SETUP_ERROR);
    snprintf(r->detail, sizeof r->detail, "%s: ", p->name);
    snprintf(path, sizeof path, "%s/proxy.err", c->pdir);
    case_tail_lines(path, 1, r->detail, sizeof r->detail);
  }
  if (c->sim.pid && c->admin > 0) {
    if (proc_exited(&c->sim)) {
      char how[64];
      proc_describe(&c->sim, how, sizeof how);
      case_set_got(r, CASE_SETUP_ERROR);
      snprintf(r->detail, sizeof r->detail, "the simulator died (%s): ", how);
      snprintf(path, sizeof path, "%s/simulator.err", c->dir);
      case_tail_lines(path, 3, r->detail, sizeof r->detail);
    } else {
      struct simstats st;
      if (simctl_stats(c->admin, &st) == 0) {
        r->attempts = (long)st.requests;
        r->upstream_connections = (long)st.connections;
        /* A plan function that raised: the scenario's error, not the proxy's. */
        snprintf(path, sizeof path, "%s/simulator.err", c->dir);
        if (st.errors > 0 && !case_got_is(r, CASE_SETUP_ERROR)) {
          r->scenario_error = true;
          if (!simctl_scenario_error(path, r->detail, sizeof r->detail))
            snprintf(r->detail, sizeof r->detail, "a plan function failed (see simulator.err)");
        }
      }
      /* What the upstream saw, connection by connection, including those still open. */
      c->events_json = simctl_events(c->admin);
      if (c->events_json) {
        snprintf(path, sizeof path, "%s/upstream-events.json", c->dir);
        fileio_write_atomic(path, c->events_json, strlen(c->events_json));
      }
      /* What the upstream received, request by request: the fields the proxy forwarded. */
      c->requests_json = simctl_requests(c->admin);
      if (c->requests_json) {
        snprintf(path, sizeof path, "%s/upstream-requests.json", c->dir);
        fileio_write_atomic(path, c->requests_json, strlen(c->requests_json));
      }
    }
  }
  proc_stop(&c->sim, SIMULATOR_STOP_GRACE_MS);
  for (size_t k = 0; p->cleanup && p->cleanup[k] && c->v.n; k++) {
    char *bad = NULL, *pattern = template_render(p->cleanup[k], &c->v, &bad);
    glob_t g;
    if (!bad && glob(pattern, 0, NULL, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
      globfree(&g);
    }
    free(pattern);
    free(bad);
  }
  if (c->scratch[0]) {
    int mrc = files_move_tree(c->scratch, c->dir);
    scratch_register(c->scratch, false);
    if (mrc < 0 && !r->detail[0])
      snprintf(r->detail, sizeof r->detail, "moving %s's files from %s: %s", p->name, c->scratch, strerror(-mrc));
  }
  if (c->px.pid) case_proxy_lines(p, c->dir, r->proxy_log, sizeof r->proxy_log);
  if (exchanged) assert_expectation(c);
}

void case_run(const struct proxy_def *p, const struct scenario *s, const struct run_opts *o, const char *dir,
              struct case_result *r) {
  memset(r, 0, sizeof *r);
  r->attempts = r->upstream_connections = -1;
  r->ran = true;
  double t0 = now_ms();
  struct case_ctx c = {.p = p, .s = s, .o = o, .dir = dir, .r = r};
  /* A case folder starts empty: nothing of an earlier run can be read as this one's. */
  int rm = files_remove_tree(dir);
  if (rm < 0 || mkdir(dir, 0755) != 0) {
    setup_error(&c, "cannot make the case folder %.300s: %s", dir, strerror(rm < 0 ? -rm : errno));
    return;
  }
  bool exchanged = false;
  /* The start is work, the rest mostly waiting: a slot of the start gate for the start only. */
  struct start_gate *gate = o->start_gate;
  bool admitted = !gate || start_gate_enter(gate);
  bool gated = gate && admitted;
  if (admitted && start_simulator(&c) && proxy_workdir(&c)) {
    /* A port taken by another process between free_port and the proxy's bind (seen, or
     * the proxy exited before it listened): a new port, a new start (the files are rendered
     * again with it). */
    for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      c.attempt = attempt;
      int started = render_proxy(&c) ? start_proxy(&c) : 0;
      if (started != -1 && gated) {
        start_gate_leave(gate);
        gated = false;
      }
      if (started == 1) started = warm_up(&c);
      if (started == 1) {
        exchange(&c);
        exchanged = true;
      }
      if (started != -1) break;
      free_render(&c);
      if (attempt == PORT_ATTEMPTS)
        setup_error(&c, "the port given to %s was taken by another process three times%s", p->name, "");
    }
  }
  if (gated) start_gate_leave(gate); /* the simulator or the proxy's folder failed */
  collect(&c, exchanged);
  seen_free(&c.seen);
  free(c.events_json);
  free(c.requests_json);
  free_render(&c);
  r->overhead_ms = now_ms() - t0 - r->elapsed_ms;
}
