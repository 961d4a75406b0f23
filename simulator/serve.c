/* serve.c: `badup serve`: load scenarios, start the data plane and the control API. */
#include "serve.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "serve_tls.h"
#include "server.h"

#define EXIT_SETUP 2

void serve_usage(FILE *out) {
  fputs("usage: badup serve [options] PATH...\n"
        "\n"
        "Serve scenario files (or folders of them) as a misbehaving HTTP upstream.\n"
        "With one file, that scenario handles every connection, listener faults included.\n"
        "With a folder or several files, the first path segment picks the scenario\n"
        "(GET /empty_reply/x runs empty_reply); other requests get the default scenario.\n"
        "\n"
        "options:\n"
        "  --listen ADDR:PORT     data plane address (default 127.0.0.1:0: the kernel picks)\n"
        "  --admin ADDR:PORT|off  control API address (default 127.0.0.1:0)\n"
        "  --admin-token TOKEN    require \"Authorization: Bearer TOKEN\" on the control API;\n"
        "                         mandatory when --admin is not a loopback address\n"
        "  --default NAME         scenario for unrouted requests (default: ok)\n"
        "  --seed N               seed for math.random in scenarios (default: from the clock,\n"
        "                         printed at start so a run can be repeated)\n"
        "  --set NAME=VALUE       add to the ctx table scenarios see (ctx.read_timeout=2,\n"
        "                         ctx.connect_timeout=1, ctx.client_timeout=2 and\n"
        "                         ctx.max_body=1048576 unless set); repeatable\n"
        "  --unsafe               give scenarios os, io, require and bytecode loading\n"
        "  --lua-memory MIB       memory cap per scenario's Lua state (default 64)\n"
        "  --instructions N       instruction budget per call into Lua (default 50000000)\n"
        "  --linger MS            after a FIN, how long to drain the peer's input (default 2000)\n"
        "  --tls                  serve every scenario over TLS (the valid certificate), not\n"
        "                         only those with a tls table (an http2 one offers ALPN h2)\n"
        "  --tls-dir DIR          the certificates (badup certs DIR makes them; made there if\n"
        "                         missing); default: a folder made in $TMPDIR, removed at exit\n"
        "  -h, --help             this help\n"
        "\n"
        "On start, one line goes to stdout:\n"
        "  badup serve: listen=127.0.0.1:PORT admin=127.0.0.1:PORT scenarios=N seed=S\n"
        "A scenario with `upstreams` listens on a port per upstream: --listen is upstream 1's,\n"
        "the others get ports from the kernel, and the line lists them all after admin=:\n"
        "  upstreams=127.0.0.1:PORT1,127.0.0.1:PORT2\n"
        "With TLS, the line ends with the certificates' folder (its ca.crt verifies them):\n"
        "  tls=DIR\n"
        "A scenario with http2 = true speaks HTTP/2 (h2c with prior knowledge; h2 inside TLS),\n"
        "frame by frame; a connection's protocol and TLS are the default scenario's.\n"
        "SIGINT, SIGTERM or SIGHUP stops the server (exit 0). Exit 2: usage error, a scenario that\n"
        "does not load (file:line: message on stderr), or an address that cannot be bound.\n"
        "Control API: GET /health /scenarios /default /stats /events /requests /barriers\n"
        "/metrics, PUT /default {\"name\":...}, POST /stats/reset, DELETE /requests,\n"
        "POST /barriers/NAME (reach a barrier a plan waits at), DELETE /barriers.\n"
        "See docs/serve.md.\n",
        out);
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "badup serve: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'badup serve --help'.\n");
  return EXIT_SETUP;
}

static int has_lua_suffix(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 4 && d->d_name[0] != '.' && strcmp(d->d_name + n - 4, ".lua") == 0;
}

struct loader {
  struct scenario *list;
  size_t n, cap;
  int failures;
  const struct scenario_opts *opts;
};

static void load_one(struct loader *ld, const char *path) {
  if (ld->n == ld->cap) {
    size_t cap = ld->cap ? ld->cap * 2 : 64;
    struct scenario *l = realloc(ld->list, cap * sizeof *l);
    if (!l) {
      fprintf(stderr, "badup serve: out of memory\n");
      ld->failures++;
      return;
    }
    ld->list = l;
    ld->cap = cap;
    /* Each loaded state knows its sandbox by address: a grown array moved them all. */
    for (size_t i = 0; i < ld->n; i++) sandbox_moved(&ld->list[i].sb);
  }
  struct buf err = {0};
  struct scenario *s = &ld->list[ld->n];
  if (scenario_load(s, path, ld->opts, &err) != 0) {
    fprintf(stderr, "%.*s\n", (int)err.len, err.data ? err.data : "");
    buf_free(&err);
    ld->failures++;
    return;
  }
  buf_free(&err);
  for (size_t i = 0; i < ld->n; i++)
    if (strcmp(ld->list[i].name, s->name) == 0) {
      fprintf(stderr, "%s:1: a scenario named '%s' is already loaded from %s\n", path, s->name, ld->list[i].file);
      scenario_unload(s);
      ld->failures++;
      return;
    }
  ld->n++;
}

/* Loads PATH: a file, or every *.lua in a folder (sorted, not recursive). Returns 1 for
 * a folder, 0 for a file, -1 when PATH cannot be read. */
static int load_path(struct loader *ld, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "badup serve: %s: %s\n", path, strerror(errno));
    ld->failures++;
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    load_one(ld, path);
    return 0;
  }
  struct dirent **names;
  int n = scandir(path, &names, has_lua_suffix, alphasort);
  if (n < 0) {
    fprintf(stderr, "badup serve: %s: %s\n", path, strerror(errno));
    ld->failures++;
    return -1;
  }
  for (int i = 0; i < n; i++) {
    size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
    char *full = malloc(len);
    if (full) {
      snprintf(full, len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]->d_name);
      load_one(ld, full);
      free(full);
    }
    free(names[i]);
  }
  free(names);
  if (n == 0) fprintf(stderr, "badup serve: %s: no *.lua scenario files\n", path);
  return 1;
}

/* SIGINT or SIGTERM before the loop's own handlers are in (start-up: loading, certificates).
 * A shell starts a background job with SIGINT ignored, and an ignored signal is gone for good:
 * without this, `badup serve ... & kill -INT $!` early enough left a server nothing stops. */
static volatile sig_atomic_t stop_asked;
static void on_early_signal(int signum) {
  (void)signum;
  stop_asked = 1;
}

static void on_signal(uv_signal_t *sig, int signum) {
  (void)signum;
  struct server *srv = sig->data;
  server_stop(srv);
  uv_close((uv_handle_t *)&srv->sigint, NULL);
  uv_close((uv_handle_t *)&srv->sigterm, NULL);
  uv_close((uv_handle_t *)&srv->sighup, NULL);
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int serve_main(int argc, char **argv) {
  const char *listen_s = "127.0.0.1:0", *admin_s = "127.0.0.1:0", *token = NULL, *default_name = NULL;
  struct scenario_opts opts = {.seed = 0};
  bool seed_given = false;
  struct ctx_var *ctx = calloc((size_t)argc, sizeof *ctx);
  size_t nctx = 0;
  long linger = 2000;
  bool tls_all = false;
  const char *tls_dir = NULL;
  struct serve_tls tls = {0};
  enum { O_LISTEN = 1, O_ADMIN, O_TOKEN, O_DEFAULT, O_SEED, O_SET, O_UNSAFE, O_MEM, O_INSN, O_LINGER, O_TLS, O_TLS_DIR };
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, O_LISTEN}, {"admin", required_argument, NULL, O_ADMIN},
      {"admin-token", required_argument, NULL, O_TOKEN}, {"default", required_argument, NULL, O_DEFAULT},
      {"seed", required_argument, NULL, O_SEED},     {"set", required_argument, NULL, O_SET},
      {"unsafe", no_argument, NULL, O_UNSAFE},       {"lua-memory", required_argument, NULL, O_MEM},
      {"instructions", required_argument, NULL, O_INSN}, {"linger", required_argument, NULL, O_LINGER},
      {"tls", no_argument, NULL, O_TLS},             {"tls-dir", required_argument, NULL, O_TLS_DIR},
      {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
  int rc = EXIT_SETUP, opt;
  stop_asked = 0;
  struct sigaction early = {.sa_handler = on_early_signal};
  sigemptyset(&early.sa_mask);
  sigaction(SIGINT, &early, NULL);
  sigaction(SIGTERM, &early, NULL);
  sigaction(SIGHUP, &early, NULL);
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case O_LISTEN: listen_s = optarg; break;
    case O_ADMIN: admin_s = optarg; break;
    case O_TOKEN: token = optarg; break;
    case O_DEFAULT: default_name = optarg; break;
    case O_SEED:
      opts.seed = strtoul(optarg, &end, 10);
      if (!*optarg || *end) { free(ctx); return usage_error("--seed wants a number, got '%s'", optarg); }
      seed_given = true;
      break;
    case O_SET: {
      char *eq = strchr(optarg, '=');
      if (!eq || eq == optarg) { free(ctx); return usage_error("--set wants NAME=VALUE, got '%s'", optarg); }
      *eq = 0;
      ctx[nctx].name = optarg;
      ctx[nctx].value = eq + 1;
      nctx++;
      break;
    }
    case O_UNSAFE: opts.unsafe = true; break;
    case O_TLS: tls_all = true; break;
    case O_TLS_DIR:
      if (!*optarg) { free(ctx); return usage_error("--tls-dir wants a folder%s", ""); }
      tls_dir = optarg;
      break;
    case O_MEM: {
      long mib = strtol(optarg, &end, 10);
      if (!*optarg || *end || mib < 1 || mib > 65536) { free(ctx); return usage_error("--lua-memory wants MiB from 1 to 65536, got '%s'", optarg); }
      opts.mem_cap = (size_t)mib << 20;
      break;
    }
    case O_INSN:
      opts.budget = strtol(optarg, &end, 10);
      if (!*optarg || *end || opts.budget < 1000) { free(ctx); return usage_error("--instructions wants a number >= 1000, got '%s'", optarg); }
      break;
    case O_LINGER:
      linger = strtol(optarg, &end, 10);
      if (!*optarg || *end || linger < 1 || linger > 600000) { free(ctx); return usage_error("--linger wants milliseconds from 1 to 600000, got '%s'", optarg); }
      break;
    case 'h':
      serve_usage(stdout);
      free(ctx);
      return 0;
    default:
      free(ctx);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) {
    free(ctx);
    return usage_error("%s", "give at least one scenario file or folder");
  }
  if (!seed_given) opts.seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
  opts.ctx = ctx;
  opts.nctx = nctx;

  struct sockaddr_storage laddr, aaddr;
  const char *why = NULL;
  if (addr_parse(listen_s, &laddr, &why) != 0) { free(ctx); return usage_error("--listen: %s", why); }
  bool admin_on = strcmp(admin_s, "off") != 0;
  if (admin_on && addr_parse(admin_s, &aaddr, &why) != 0) { free(ctx); return usage_error("--admin: %s", why); }
  if (admin_on && !addr_is_loopback(&aaddr) && !token) {
    free(ctx);
    return usage_error("--admin %s is not a loopback address: give --admin-token too", admin_s);
  }

  struct loader ld = {.opts = &opts};
  bool routed = argc - optind > 1;
  for (int i = optind; i < argc; i++)
    if (load_path(&ld, argv[i]) == 1) routed = true; /* a folder routes, even with one file */
  struct server *srv = calloc(1, sizeof *srv);
  uv_loop_t loop;
  bool loop_open = false;
  struct admin admin = {0};
  if (ld.failures) {
    fprintf(stderr, "badup serve: %d scenario file%s did not load\n", ld.failures, ld.failures == 1 ? "" : "s");
    goto out;
  }
  if (ld.n == 0 || !srv) {
    fprintf(stderr, "badup serve: no scenario loaded\n");
    goto out;
  }
  if (routed && server_find(&(struct server){.scenarios = ld.list, .nscenarios = ld.n}, "ok", 2) < 0) {
    /* Unrouted requests need an answer: add the built-in ok. */
    struct scenario ok;
    if (scenario_builtin_ok(&ok) != 0) goto out;
    if (ld.n == ld.cap) {
      struct scenario *l = realloc(ld.list, (ld.cap + 1) * sizeof *l);
      if (!l) { scenario_unload(&ok); goto out; }
      ld.list = l;
      ld.cap++;
      for (size_t i = 0; i < ld.n; i++) sandbox_moved(&ld.list[i].sb);
    }
    ld.list[ld.n++] = ok;
    sandbox_moved(&ld.list[ld.n - 1].sb); /* its state still knew the copy on the stack */
  }
  srv->scenarios = ld.list;
  srv->nscenarios = ld.n;
  /* As many ports as the scenario that asks for the most upstreams. */
  for (size_t i = 0; i < ld.n; i++)
    if (ld.list[i].nupstreams > srv->nups) srv->nups = ld.list[i].nupstreams;
  srv->routed = routed;
  srv->linger_ms = (int)linger;
  int def = routed ? server_find(srv, "ok", 2) : 0;
  if (default_name) {
    def = server_find(srv, default_name, strlen(default_name));
    if (def < 0) {
      fprintf(stderr, "badup serve: --default %s: no such scenario\n", default_name);
      goto out;
    }
  }
  atomic_store(&srv->default_idx, def);
  if (serve_tls_setup(&tls, srv, tls_dir, tls_all) != 0) goto out;

  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  uv_loop_init(&loop);
  loop_open = true;
  int src = server_start(srv, &loop, (struct sockaddr *)&laddr, &why);
  if (src < 0) {
    fprintf(stderr, "badup serve: --listen %s: %s: %s\n", listen_s, why, strerror(-src));
    server_stop(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    server_destroy(srv);
    goto out;
  }
  if (admin_on) {
    int arc = admin_start(&admin, srv, (struct sockaddr *)&aaddr, token, &why);
    if (arc < 0) {
      fprintf(stderr, "badup serve: --admin %s: %s: %s\n", admin_s, why, strerror(-arc));
      server_stop(srv);
      uv_run(&loop, UV_RUN_DEFAULT);
      server_destroy(srv);
      goto out;
    }
  }
  uv_signal_init(&loop, &srv->sigint);
  uv_signal_init(&loop, &srv->sigterm);
  uv_signal_init(&loop, &srv->sighup); /* its terminal closed: stop as cleanly (a TLS folder in $TMPDIR goes) */
  srv->sigint.data = srv->sigterm.data = srv->sighup.data = srv;
  uv_signal_start(&srv->sigint, on_signal, SIGINT);
  uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
  uv_signal_start(&srv->sighup, on_signal, SIGHUP);
  if (stop_asked) on_signal(&srv->sigint, SIGINT); /* asked while starting: stop once started */
  /* Upstream 1 stays listen=, so readers of one upstream need not change; upstreams= lists
   * every port, upstream 1 first, when there are several. */
  char ups[SCENARIO_MAX_UPSTREAMS * 66 + 16] = "";
  for (int i = 0; srv->nups > 1 && i < srv->nups; i++) {
    size_t n = strlen(ups);
    snprintf(ups + n, sizeof ups - n, "%s%s", i ? "," : " upstreams=", srv->ups[i].addr_str);
  }
  printf("badup serve: listen=%s admin=%s%s scenarios=%zu seed=%lu%s%s\n", srv->ups[0].addr_str,
         admin_on ? admin.addr_str : "off", ups, srv->nscenarios, opts.seed, tls.dir[0] ? " tls=" : "", tls.dir);
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  admin_stop(&admin);
  server_destroy(srv);
  rc = 0;
out:
  if (srv) serve_tls_teardown(&tls, srv);
  if (loop_open) uv_loop_close(&loop);
  for (size_t i = 0; i < ld.n; i++) scenario_unload(&ld.list[i]);
  free(ld.list);
  free(srv);
  free(ctx);
  return rc;
}
