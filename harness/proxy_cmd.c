/* proxy_cmd.c: `badup proxy render`: one proxy's files rendered into a folder for a given
 * upstream, the way a case renders them (proxy_render), and the command line that starts it,
 * so that a benchmark or a person runs exactly the configuration `badup run` tests. */
#include "proxy_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "case.h"
#include "files.h"
#include "paths.h"
#include "usage.h"
#include "proxy.h"
#include "run_tls.h"
#include "timeouts.h"

#define EXIT_SETUP 2

/* The file render leaves in its folder: a folder holding it is one render made, whose files
 * a new render may replace; any other folder with files in it is someone's, left alone. */
#define RENDER_MARKER ".badup-render"

void proxy_usage(FILE *out) {
  fputs("usage: badup proxy render NAME --upstream [HOST:]PORT --dir DIR [options]\n"
        "       badup proxy render NAME --upstreams [HOST:]PORT,PORT[,...] --dir DIR [options]\n"
        "\n"
        "Writes the files of proxy NAME (harness/proxies/NAME.lua) into DIR, rendered for an\n"
        "upstream at HOST:PORT the way `badup run` renders them for a case, and prints how to\n"
        "start it. Nothing is started.\n"
        "\n"
        "options:\n"
        "  --upstream [HOST:]PORT  where the proxy sends requests (HOST default 127.0.0.1)\n"
        "  --upstreams [HOST:]PORT,PORT,...\n"
        "                          several upstreams on HOST, the first is ${upstream_port}\n"
        "                          (for a proxy whose definition takes that many: badup list)\n"
        "  --dir DIR               where the files go, made if missing; ${dir} of the templates.\n"
        "                          It must be new or empty, or a folder render made before\n"
        "                          (it holds " RENDER_MARKER "): then its contents are removed first\n"
        "  --listen PORT           the port it listens on (default: one the kernel hands out,\n"
        "                          free when asked, as `badup run` picks them)\n"
        "  --connect-timeout S     upstream connect timeout (default 1)\n"
        "  --read-timeout S        upstream read timeout (default 2)\n"
        "  --client-timeout S      request head and body idle timeouts (default 2)\n"
        "  --max-body BYTES        largest request body it accepts (default 1048576)\n"
        "                          (a value the proxy takes only in steps, whole seconds or\n"
        "                          KiB, must be a multiple of the step: badup list; exit 2)\n"
        "  --retries               let it retry the upstream (its definition's retries.on)\n"
        "  --client-tls            its TLS frontend (client_tls.on): a CA and certificates made\n"
        "                          in DIR/tls, the `valid` leaf copied to DIR/proxy.{crt,key,pem};\n"
        "                          clients verify it with DIR/tls/ca.crt (printed as ca:)\n"
        "  --client-http2          its HTTP/2 frontend (client_http2): h2c with prior knowledge\n"
        "                          (curl --http2-prior-knowledge), with --client-tls ALPN h2\n"
        "  --upstream-tls          its TLS upstream variant (upstream_tls = { ... }): https to\n"
        "                          the upstream, verified against a CA made for this render:\n"
        "                          DIR/tls/ holds it (ca.crt) and the leaves an upstream can\n"
        "                          serve (valid.crt, valid.key, valid.pem: for localhost,\n"
        "                          127.0.0.1 and ::1; expired, wrong_name, untrusted), and\n"
        "                          DIR/" PROXY_UPSTREAM_CA_FILE " the copy the proxy reads\n"
        "  --upstream-http2        its HTTP/2 upstream variant (upstream_http2 = { ... }): h2c\n"
        "                          with prior knowledge to the upstream (h2 with --upstream-tls);\n"
        "                          its client side stays HTTP/1.1 unless --client-http2\n"
        "                          (badup serve scenarios/h2_ok.lua)\n"
        "  --forward               its forward-proxy mode's files (forward = { ... })\n"
        "  --auth                  ... with Basic proxy authentication: random credentials,\n"
        "                          written into DIR (proxy-credentials.txt, proxy-users.passwd)\n"
        "  --max-connections N     connections it accepts at once, for definitions that\n"
        "                          say (default 256, as in a case)\n"
        "  --proxies DIR           proxy definitions (default harness/proxies)\n"
        "  -h, --help              this help\n"
        "\n"
        "It prints, one a line:\n"
        "  credentials: DIR/proxy-credentials.txt (user USER, password PASSWORD)   (--auth)\n"
        "  ca: DIR/tls/ca.crt (what a client verifies the proxy with)   (--client-tls)\n"
        "  proxy: NAME VERSION (BINARY)\n"
        "  dir: DIR\n"
        "  port: PORT\n"
        "  upstreams: HOST:PORT ...   (--upstreams)\n"
        "  upstream tls: DIR/tls (serve valid.crt and valid.key there; badup serve --tls-dir)\n"
        "                (--upstream-tls)\n"
        "  upstream http2: h2c (prior knowledge), or h2 (ALPN) with --upstream-tls\n"
        "                (--upstream-http2)\n"
        "  url: the URL a client asks (a forward proxy: the upstream's, through PORT)\n"
        "  command: cd DIR && exec [env NAME=value ...] BINARY ARGS...   (sh syntax)\n"
        "  sidecar: ...   (per companion to start once it listens: a log reader)\n"
        "  check: ...     (the proxy's own checker of these files, when it has one)\n"
        "  logs: FILES, and its stdout and stderr\n"
        "The command runs it in the foreground; `sh -c \"$command\"` starts it with the\n"
        "shell's PID becoming the proxy's.\n"
        "\n"
        "Exit codes: 0 rendered, 2 usage or set-up error (an unknown proxy, a definition that\n"
        "does not load, a folder that cannot be written, --forward or --auth for a proxy\n"
        "without that mode, more upstreams than it takes). A refused render leaves no folder\n"
        "it made, and an earlier render in DIR as it was.\n",
        out);
}

struct render_args {
  const char *name, *dir, *px_arg;
  char host[256];
  int upstream_port, listen_port, max_connections;
  int ports[PROXY_UPSTREAMS_MAX], nports; /* --upstreams */
  double connect_timeout, read_timeout, client_timeout;
  long max_body;
  bool retries, forward, auth, client_tls, upstream_tls, upstream_http2, client_http2;
};

static bool parse_port(const char *s, int *port) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 1 || v > 65535) return false;
  *port = (int)v;
  return true;
}

/* [HOST:]PORT. A host with a ':' of its own (IPv6) is refused: templates write HOST:PORT. */
static bool parse_upstream(const char *s, struct render_args *a) {
  const char *colon = strrchr(s, ':');
  if (!colon) {
    snprintf(a->host, sizeof a->host, "127.0.0.1");
    return parse_port(s, &a->upstream_port);
  }
  size_t n = (size_t)(colon - s);
  if (n == 0 || n >= sizeof a->host || memchr(s, ':', n) || strpbrk(s, " \t\"'")) return false;
  snprintf(a->host, sizeof a->host, "%.*s", (int)n, s);
  return parse_port(colon + 1, &a->upstream_port);
}

/* [HOST:]PORT,PORT,...: the first as --upstream, the others on the same host. */
static bool parse_upstreams(const char *s, struct render_args *a) {
  char first[300];
  size_t n = strcspn(s, ",");
  if (!s[n] || n >= sizeof first) return false;
  snprintf(first, sizeof first, "%.*s", (int)n, s);
  if (!parse_upstream(first, a)) return false;
  a->ports[0] = a->upstream_port;
  a->nports = 1;
  for (const char *p = s + n; *p == ',';) {
    char one[16];
    size_t k = strcspn(p + 1, ",");
    if (a->nports == PROXY_UPSTREAMS_MAX || k == 0 || k >= sizeof one) return false;
    snprintf(one, sizeof one, "%.*s", (int)k, p + 1);
    if (!parse_port(one, &a->ports[a->nports++])) return false;
    p += 1 + k;
  }
  return true;
}

static int parse_render_args(int argc, char **argv, struct render_args *a) {
  enum {
    O_UP = 256, O_UPS, O_DIR, O_LISTEN, O_CT, O_RT, O_RETRIES, O_MAX, O_PDIR, O_FWD, O_AUTH, O_CLT, O_MAXB, O_CTLS,
    O_UPTLS, O_UPH2, O_CH2
  };
  static const struct option longopts[] = {
      {"upstream", required_argument, NULL, O_UP},          {"dir", required_argument, NULL, O_DIR},
      {"upstreams", required_argument, NULL, O_UPS},
      {"listen", required_argument, NULL, O_LISTEN},        {"connect-timeout", required_argument, NULL, O_CT},
      {"read-timeout", required_argument, NULL, O_RT},      {"retries", no_argument, NULL, O_RETRIES},
      {"max-connections", required_argument, NULL, O_MAX},  {"proxies", required_argument, NULL, O_PDIR},
      {"upstream-tls", no_argument, NULL, O_UPTLS},
      {"upstream-http2", no_argument, NULL, O_UPH2},
      {"forward", no_argument, NULL, O_FWD},                {"auth", no_argument, NULL, O_AUTH},
      {"client-timeout", required_argument, NULL, O_CLT},   {"max-body", required_argument, NULL, O_MAXB},
      {"client-tls", no_argument, NULL, O_CTLS},            {"client-http2", no_argument, NULL, O_CH2},
      {"help", no_argument, NULL, 'h'},                     {NULL, 0, NULL, 0}};
  *a = (struct render_args){.px_arg = "harness/proxies", .connect_timeout = BADUP_CONNECT_TIMEOUT_S,
                            .read_timeout = BADUP_READ_TIMEOUT_S, .client_timeout = BADUP_CLIENT_TIMEOUT_S,
                            .max_body = BADUP_MAX_BODY};
  bool upstream = false;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    char *end;
    switch (opt) {
    case O_UP:
      if (!parse_upstream(optarg, a))
        return cli_usage_error("proxy", "--upstream wants [HOST:]PORT (an IPv4 address or a name), got '%s'", optarg);
      if (upstream) return cli_usage_error("proxy", "%s", "give --upstream or --upstreams, once");
      upstream = true;
      break;
    case O_UPS:
      if (upstream) return cli_usage_error("proxy", "%s", "give --upstream or --upstreams, once");
      if (!parse_upstreams(optarg, a))
        return cli_usage_error("proxy", "--upstreams wants [HOST:]PORT,PORT[,...] (2 to %d ports), got '%s'",
                               PROXY_UPSTREAMS_MAX, optarg);
      upstream = true;
      break;
    case O_DIR:
      if (!*optarg) return cli_usage_error("proxy", "%s", "--dir wants a folder");
      a->dir = optarg;
      break;
    case O_LISTEN:
      if (!parse_port(optarg, &a->listen_port))
        return cli_usage_error("proxy", "--listen wants a port from 1 to 65535, got '%s'", optarg);
      break;
    case O_CT:
    case O_RT: {
      double v = strtod(optarg, &end);
      if (!*optarg || *end || !(v >= 0.001) || v > 600)
        return cli_usage_error("proxy", "timeouts want seconds from 0.001 to 600, got '%s'", optarg);
      if (opt == O_CT) a->connect_timeout = v;
      else a->read_timeout = v;
      break;
    }
    case O_CLT:
      if (proxy_client_timeout_arg("proxy", optarg, &a->client_timeout)) return USAGE_EXIT;
      break;
    case O_MAXB:
      if (proxy_max_body_arg("proxy", optarg, &a->max_body)) return USAGE_EXIT;
      break;
    case O_RETRIES: a->retries = true; break;
    case O_FWD: a->forward = true; break;
    case O_UPTLS: a->upstream_tls = true; break;
    case O_UPH2: a->upstream_http2 = true; break;
    case O_AUTH: a->auth = true; break;
    case O_CTLS: a->client_tls = true; break;
    case O_CH2: a->client_http2 = true; break;
    case O_MAX: {
      long v = strtol(optarg, &end, 10);
      if (!*optarg || *end || v < 1 || v > 1000000)
        return cli_usage_error("proxy", "--max-connections wants 1 to 1000000, got '%s'", optarg);
      a->max_connections = (int)v;
      break;
    }
    case O_PDIR: a->px_arg = optarg; break;
    case 'h': proxy_usage(stdout); return -1;
    case ':': return cli_usage_error("proxy", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_usage_error("proxy", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc)
    return cli_usage_error("proxy", "%s", "which proxy? (badup proxy render NAME ...; 'badup list' shows them)");
  a->name = argv[optind++];
  if (optind < argc) return cli_usage_error("proxy", "unexpected argument '%s'", argv[optind]);
  if (!upstream)
    return cli_usage_error("proxy", "%s",
                           "--upstream [HOST:]PORT is required (or --upstreams): where the proxy sends requests");
  if (!a->dir) return cli_usage_error("proxy", "%s", "--dir DIR is required: where its files go");
  if (a->auth && !a->forward) return cli_usage_error("proxy", "%s", "--auth is about the forward mode: add --forward");
  return 0;
}

/* Empties a folder render made; refuses any other that is not empty. 0, or -1 after saying
 * why into err. */
static int claim_dir(const char *path, char *err, size_t errlen) {
  DIR *d = opendir(path);
  if (!d) return snprintf(err, errlen, "cannot read it: %s", strerror(errno)), -1;
  bool empty = true, ours = false;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      empty = false;
      ours |= !strcmp(e->d_name, RENDER_MARKER);
    }
  if (!empty && !ours) {
    closedir(d);
    snprintf(err, errlen, "is not empty, and not a folder `badup proxy render` made (it has no " RENDER_MARKER
                          "): give a new or empty folder");
    return -1;
  }
  rewinddir(d);
  int rc = 0;
  char entry[PATH_MAX + 256];
  while (rc == 0 && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(entry, sizeof entry, "%s/%s", path, e->d_name);
      int r = files_remove_tree(entry);
      if (r != 0) {
        snprintf(err, errlen, "cannot remove %.400s of the render before: %s", e->d_name, strerror(-r));
        rc = -1;
      }
    }
  closedir(d);
  return rc;
}

/* mkdir -p, or a folder render made before, emptied; then the absolute path (${dir} is
 * absolute: proxies run there), with render's marker in it. NULL after saying why into err.
 * made (PATH_MAX) gets the topmost folder it created, "" when none: a render that fails
 * later removes it, so a refused render leaves nothing behind. */
static char *make_dir(const char *dir, char *made, char *err, size_t errlen) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s", dir);
  made[0] = 0;
  if (!path[0]) return snprintf(err, errlen, "is empty"), NULL;
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) return snprintf(err, errlen, "is not a folder"), NULL;
  if (stat(path, &st) == 0 && claim_dir(path, err, errlen) != 0) return NULL;
  int last = 0; /* the errno of the last mkdir that failed other than EEXIST: why it is missing */
  for (char *p = path + 1;; p++)
    if (*p == '/' || !*p) {
      char c = *p;
      *p = 0;
      if (mkdir(path, 0755) == 0) {
        if (!made[0]) snprintf(made, PATH_MAX, "%s", path);
      } else if (errno != EEXIST) {
        last = errno;
      }
      *p = c;
      if (!c) break;
    }
  errno = 0;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || access(path, W_OK | X_OK) != 0) {
    snprintf(err, errlen, "cannot make or write it: %s", strerror(last ? last : errno ? errno : EACCES));
    return NULL;
  }
  char marker[PATH_MAX + 32];
  snprintf(marker, sizeof marker, "%s/" RENDER_MARKER, path);
  if (files_write(marker, "written by `badup proxy render`: a new render replaces this folder's files\n") != 0) {
    snprintf(err, errlen, "cannot make or write it: %s", strerror(errno ? errno : EACCES));
    return NULL;
  }
  return realpath(path, NULL);
}

/* "cd DIR && exec [env NAME=value ...] ARGV...": the environment first, as the harness
 * puts it (it wins over an inherited variable of the same name). */
static void print_command(const char *label, const char *dir, char **argv, char **env) {
  struct buf b = {0};
  buf_puts(&b, "cd ");
  buf_sh_word(&b, dir);
  buf_puts(&b, " && exec");
  if (env && *env) buf_puts(&b, " env");
  for (char **e = env; e && *e; e++) buf_puts(&b, " "), buf_sh_word(&b, *e);
  for (char **a = argv; *a; a++) buf_puts(&b, " "), buf_sh_word(&b, *a);
  printf("%s: %s\n", label, buf_cstr(&b));
  buf_free(&b);
}

/* The proxy's user (squid's, when badup runs as root) must be able to write where it works. */
static int hand_dir_to_user(const struct proxy_def *p, const char *dir) {
  if (!p->user || geteuid() != 0) return 0;
  struct passwd *pw = getpwnam(p->user);
  if (!pw) {
    fprintf(stderr, "badup proxy: %s switches to user '%s', which does not exist on this machine\n", p->name, p->user);
    return -1;
  }
  if (chown(dir, pw->pw_uid, pw->pw_gid) != 0)
    fprintf(stderr, "badup proxy: note: cannot hand %s to user %s (%s); %s may not be able to write there\n", dir,
            p->user, strerror(errno), p->name);
  return 0;
}

/* After a refusal for want of a TLS variant: the definitions that have one. */
static void tls_variants_hint(struct proxy_def *defs, size_t n, bool upstream, bool client) {
  for (int k = 0; k < 2; k++) {
    if (!(k == 0 ? upstream : client)) continue;
    fprintf(stderr, "badup proxy: those with a TLS %s variant:", k == 0 ? "upstream" : "frontend");
    for (size_t i = 0; i < n; i++)
      if (k == 0 ? defs[i].upstream_tls_on != NULL : defs[i].client_tls_on != NULL) fprintf(stderr, " %s", defs[i].name);
    fprintf(stderr, "\n");
  }
}

static int print_rendered(const struct proxy_def *p, const struct render_args *a, const char *dir, int port,
                          const struct proxy_rendered *rd) {
  printf("proxy: %s %s (%s)\n", p->name, p->version ? p->version : "unknown", p->binary);
  printf("dir: %s\n", dir);
  printf("port: %d\n", port);
  if (a->nports > 1) {
    printf("upstreams:");
    for (int k = 0; k < a->nports; k++) printf(" %s:%d", a->host, a->ports[k]);
    printf("\n");
  }
  if (a->upstream_tls) printf("upstream tls: %s/%s\n", dir, RUN_TLS_DIR);
  if (a->upstream_http2) printf("upstream http2: %s\n", a->upstream_tls ? "h2 (ALPN)" : "h2c (prior knowledge)");
  if (p->forward || a->forward) printf("url: http://%s:%d/ (through the proxy at 127.0.0.1:%d)\n", a->host, a->upstream_port, port);
  else if (a->client_tls)
    printf("url: https://localhost:%d/ (curl --cacert %s/tls/ca.crt%s)\n", port, dir, a->client_http2 ? " --http2" : "");
  else printf("url: http://127.0.0.1:%d/%s\n", port, a->client_http2 ? " (curl --http2-prior-knowledge)" : "");
  print_command("command", dir, rd->argv, rd->env);
  int rc = 0;
  for (size_t k = 0; k < p->nsidecars; k++) {
    size_t n = 0;
    while (p->sidecars[k][n]) n++;
    char **sargv = calloc(n + 1, sizeof *sargv);
    char *bad = NULL;
    for (size_t i = 0; sargv && i < n && !bad; i++) sargv[i] = template_render(p->sidecars[k][i], &rd->vars, &bad);
    if (sargv && !bad) print_command("sidecar", dir, sargv, rd->env);
    else rc = -1;
    for (size_t i = 0; sargv && i < n; i++) free(sargv[i]);
    free(sargv);
    free(bad);
  }
  if (p->check) { /* the proxy's own checker of the files, as --proxy-config runs it */
    size_t n = 0;
    while (p->check[n]) n++;
    char **cargv = calloc(n + 1, sizeof *cargv);
    char *bad = NULL;
    for (size_t i = 0; cargv && i < n && !bad; i++) cargv[i] = template_render(p->check[i], &rd->vars, &bad);
    if (cargv && !bad) print_command("check", dir, cargv, rd->env);
    else rc = -1;
    for (size_t i = 0; cargv && i < n; i++) free(cargv[i]);
    free(cargv);
    free(bad);
  }
  struct buf logs = {0};
  for (size_t i = 0; i < p->nlogs; i++) buf_printf(&logs, "%s%s/%s", i ? " " : "", dir, p->logs[i]);
  printf("logs: %s%sits stdout and stderr\n", buf_cstr(&logs), logs.len ? ", and " : "");
  buf_free(&logs);
  return rc;
}

static int render_main(int argc, char **argv) {
  struct render_args a;
  int rc = parse_render_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  char *px_dir = repo_dir(a.px_arg);
  if (!px_dir)
    return cli_usage_error("proxy", "cannot find the proxy definitions '%s' (run from the repository, or give --proxies)",
                           a.px_arg);
  int failures = 0;
  size_t n = 0;
  struct proxy_def *defs = proxy_load_dir(px_dir, &n, &failures), *p = NULL;
  for (size_t i = 0; i < n && !p; i++)
    if (!strcmp(defs[i].name, a.name)) p = &defs[i];
  char *dir = NULL, why[1024], made[PATH_MAX];
  made[0] = 0;
  rc = EXIT_SETUP;
  if (failures) {
    fprintf(stderr, "badup proxy: %d definition%s did not load\n", failures, failures == 1 ? "" : "s");
  } else if (!p) {
    fprintf(stderr, "badup proxy: no proxy is named '%s' in %s (see 'badup list')\n", a.name, px_dir);
  } else if (proxy_forward_refuse(p, a.forward, a.auth, why, sizeof why) ||
             proxy_upstream_tls_refuse(p, a.upstream_tls, a.forward, NULL, why, sizeof why) ||
             proxy_upstream_http2_refuse(p, a.upstream_http2, a.forward, NULL, why, sizeof why) ||
             proxy_upstreams_refuse(p, a.nports, NULL, why, sizeof why) ||
             proxy_granularity_refuse(p, a.connect_timeout, a.read_timeout, a.client_timeout, a.max_body, why,
                                      sizeof why) ||
             proxy_client_tls_refuse(p, "the render", false, a.forward || p->forward, a.client_tls, why, sizeof why) ||
             proxy_client_http2_refuse(p, "the render", false, a.forward || p->forward, a.client_http2, a.client_tls,
                                       why, sizeof why)) {
    /* before --dir is touched: a refused render neither makes it nor empties an old render */
    fprintf(stderr, "badup proxy: %s\n", why);
    tls_variants_hint(defs, n, a.upstream_tls && !p->upstream_tls_on, a.client_tls && !p->client_tls_on);
    if (a.client_http2) {
      fprintf(stderr, "badup proxy: those with an HTTP/2 frontend variant%s:", a.client_tls ? " over TLS" : " (h2c)");
      for (size_t i = 0; i < n; i++)
        if (a.client_tls ? defs[i].client_http2_tls != NULL : defs[i].client_http2_on != NULL)
          fprintf(stderr, " %s", defs[i].name);
      fprintf(stderr, "\n");
    }
    if (a.upstream_http2 && !p->upstream_http2_on) {
      fprintf(stderr, "badup proxy: those with an HTTP/2 upstream variant:");
      for (size_t i = 0; i < n; i++)
        if (defs[i].upstream_http2_on) fprintf(stderr, " %s", defs[i].name);
      fprintf(stderr, "\n");
    }
  } else if (!(dir = make_dir(a.dir, made, why, sizeof why))) {
    fprintf(stderr, "badup proxy: --dir %s: %s\n", a.dir, why);
  } else if (hand_dir_to_user(p, dir) == 0) {
    proxy_probe(p);
    if (!p->binary) { /* rendered all the same: the files may be for another machine */
      fprintf(stderr, "badup proxy: note: %s is not installed (looked for %s); the command names %s\n", p->name,
              p->binaries[0], p->binaries[0]);
      p->binary = strdup(p->binaries[0]);
    }
    int port = a.listen_port ? a.listen_port : case_free_port();
    struct proxy_instance in = {.dir = dir, .port = port, .upstream_host = a.host, .upstream_port = a.upstream_port,
                                .upstream_ports = a.ports, .nupstreams = a.nports,
                                .connect_timeout = a.connect_timeout, .read_timeout = a.read_timeout,
                                .client_timeout = a.client_timeout, .max_body = a.max_body,
                                .retries = a.retries, .scenario = "", .max_connections = a.max_connections};
    in.forward = a.forward && !p->forward;
    in.http2 = a.client_http2;
    in.upstream_http2 = a.upstream_http2;
    struct proxy_credentials cred;
    struct proxy_rendered rd = {0};
    bool refused = false;
    if (a.auth) {
      refused = proxy_auth_write(&cred, dir, dir, why, sizeof why) != 0;
      in.auth_user = cred.user, in.auth_password = cred.password, in.auth_file = cred.file;
    }
    /* --client-tls / --upstream-tls: a set of certificates of the render's own in DIR/tls, as
     * a run makes one: the frontend's leaf copied beside the config, the CA the proxy
     * verifies its upstream with */
    char tls_dir[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], pem[PATH_MAX], ca[PATH_MAX];
    if (!refused && (a.client_tls || a.upstream_tls))
      refused = run_tls_prepare(dir, tls_dir, sizeof tls_dir, why, sizeof why) != 0;
    if (!refused && a.client_tls) {
      refused = run_tls_case_files(tls_dir, dir, cert, key, pem, sizeof cert, why, sizeof why) != 0;
      in.proxy_cert = cert, in.proxy_key = key, in.proxy_pem = pem;
    }
    if (!refused && a.upstream_tls) {
      refused = run_tls_copy_ca(tls_dir, dir, ca, sizeof ca, why, sizeof why) != 0;
      in.upstream_tls = true, in.upstream_ca = ca;
    }
    if (refused) fprintf(stderr, "badup proxy: %s\n", why);
    else if (port < 0) fprintf(stderr, "badup proxy: the kernel handed out no free port\n");
    else if (proxy_render(p, &in, &rd, why, sizeof why) != 0) fprintf(stderr, "badup proxy: %s\n", why);
    else if (a.auth && printf("credentials: %s/" PROXY_CREDENTIALS_FILE " (user %s, password %s)\n", dir, cred.user,
                              cred.password) < 0)
      fprintf(stderr, "badup proxy: cannot write to stdout\n");
    else if (a.client_tls && printf("ca: %s/ca.crt\n", tls_dir) < 0)
      fprintf(stderr, "badup proxy: cannot write to stdout\n");
    else if (print_rendered(p, &a, dir, port, &rd) != 0)
      fprintf(stderr, "badup proxy: a sidecar or the check did not render\n");
    else rc = 0;
    proxy_rendered_free(&rd); /* zeroed when nothing was rendered */
  }
  if (rc != 0 && made[0]) files_remove_tree(made); /* what this render made, and nothing else */
  free(dir);
  proxy_free_all(defs, n);
  free(px_dir);
  return rc;
}

int proxy_main(int argc, char **argv) {
  if (argc < 2) {
    proxy_usage(stderr);
    return EXIT_SETUP;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    proxy_usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "render")) return render_main(argc - 1, argv + 1);
  return cli_usage_error("proxy", "unknown subcommand '%s' (there is: render)", argv[1]);
}
