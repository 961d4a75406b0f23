/* badup: a misbehaving HTTP upstream, and the harness that puts real proxies in front of
 * it. This file only dispatches to the commands. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "certs_cmd.h"
#include "client_cmd.h"
#include "diff.h"
#include "explain.h"
#include "merge.h"
#include "page.h"
#include "plot.h"
#include "proxy_cmd.h"
#include "run.h"
#include "serve.h"
#include "supervise.h"

#ifndef BADUP_VERSION
#define BADUP_VERSION "0.1.0"
#endif

static void usage(FILE *out) {
  fputs("usage: badup COMMAND [options]\n"
        "\n"
        "commands:\n"
        "  run             run the scenario catalog through real proxies, with verdicts\n"
        "  list            list the scenarios and the proxies (installed or not)\n"
        "  merge DIR... --out DIR  join the results folders of a run's shards into one\n"
        "  serve PATH...   serve Lua scenarios as a misbehaving HTTP upstream\n"
        "  client FILE --to HOST:PORT  send a scenario's client part; print what came back\n"
        "  explain LINE    find the scenarios that make a proxy write this log line\n"
        "  bench --url URL load a loopback HTTP server: requests/s, status mix, latency\n"
        "  plot DIR        (re)draw the gnuplot graphs of a results or bench folder\n"
        "  diff A B        what changed from one run's results to another's (or the reference)\n"
        "  page DIR        (re)write DIR/index.html, the results as one self-contained web page\n"
        "  proxy render NAME  write a proxy's config for an upstream; print how to start it\n"
        "  certs DIR       make a run CA and TLS leaf certificates (valid, expired, ...) in DIR\n"
        "  help COMMAND    show a command's options\n"
        "\n"
        "options: -h, --help (this text), --version\n"
        "Each command takes --help. Exit codes: 0 success, 1 a check failed, 2 usage or set-up error.\n",
        out);
}

/* Every command once: its name, its entry point and its --help text. */
static const struct command {
  const char *name;
  int (*main)(int argc, char **argv);
  void (*usage)(FILE *out);
} COMMANDS[] = {
    {"run", run_main, run_usage},         {"list", list_main, list_usage},
    {"serve", serve_main, serve_usage},   {"explain", explain_main, explain_usage},
    {"bench", bench_main, bench_usage},   {"plot", plot_main, plot_usage},
    {"proxy", proxy_main, proxy_usage},   {"client", client_main, client_usage},
    {"certs", certs_main, certs_usage},   {"merge", merge_main, merge_usage},
    {"diff", diff_main, diff_usage},      {"page", page_main, page_usage},
};

static const struct command *command_named(const char *name) {
  for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
    if (!strcmp(COMMANDS[i].name, name)) return &COMMANDS[i];
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("badup %s\n", BADUP_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "help")) {
    if (argc < 3) {
      usage(stdout);
      return 0;
    }
    const struct command *c = command_named(argv[2]);
    if (!c) {
      fprintf(stderr, "badup help: unknown command '%s'\n", argv[2]);
      usage(stderr);
      return 2;
    }
    c->usage(stdout);
    return 0;
  }
  /* Internal: the keeper badup run puts around each proxy (harness/supervise.c). */
  if (!strcmp(cmd, "__supervise")) return supervise_main(argc - 1, argv + 1);
  const struct command *c = command_named(cmd);
  if (c) return c->main(argc - 1, argv + 1);
  fprintf(stderr, "badup: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
