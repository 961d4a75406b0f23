/* badup: a misbehaving HTTP upstream, and the harness that puts real proxies in front of
 * it. This file only dispatches to the commands. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "explain.h"
#include "plot.h"
#include "run.h"
#include "serve.h"

#ifndef BADUP_VERSION
#define BADUP_VERSION "0.1.0"
#endif

static void usage(FILE *out) {
  fputs("usage: badup COMMAND [options]\n"
        "\n"
        "commands:\n"
        "  run             run the scenario catalog through real proxies, with verdicts\n"
        "  list            list the scenarios and the proxies (installed or not)\n"
        "  serve PATH...   serve Lua scenarios as a misbehaving HTTP upstream\n"
        "  explain LINE    find the scenarios that make a proxy write this log line\n"
        "  bench --url URL load a loopback HTTP server: requests/s, status mix, latency\n"
        "  plot DIR        (re)draw the gnuplot graphs of a results or bench folder\n"
        "  help COMMAND    show a command's options\n"
        "\n"
        "options: -h, --help (this text), --version\n"
        "Each command takes --help. Exit codes: 0 success, 1 a check failed, 2 usage or set-up error.\n",
        out);
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
    if (argc > 2 && !strcmp(argv[2], "serve")) serve_usage(stdout);
    else if (argc > 2 && !strcmp(argv[2], "run")) run_usage(stdout);
    else if (argc > 2 && !strcmp(argv[2], "list")) list_usage(stdout);
    else if (argc > 2 && !strcmp(argv[2], "explain")) explain_usage(stdout);
    else if (argc > 2 && !strcmp(argv[2], "bench")) bench_usage(stdout);
    else if (argc > 2 && !strcmp(argv[2], "plot")) plot_usage(stdout);
    else usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "serve")) return serve_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "run")) return run_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "list")) return list_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "explain")) return explain_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "bench")) return bench_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "plot")) return plot_main(argc - 1, argv + 1);
  fprintf(stderr, "badup: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
