/* list.c: `badup list`: the scenarios and the proxies, as `badup run` would load them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "paths.h"
#include "run.h"
#include "run_parts.h"
#include "timeouts.h"

void list_usage(FILE *out) {
  fputs("usage: badup list [--scenarios DIR] [--proxies DIR]\n"
        "\n"
        "Prints the scenarios (name, expect, summary) and the proxies (name, installed or\n"
        "not, version, upstreams=N: how many upstreams it can send to, the binary).\n",
        out);
}

int list_main(int argc, char **argv) {
  const char *scn_dir_arg = "scenarios", *px_dir_arg = "harness/proxies";
  static const struct option longopts[] = {{"scenarios", required_argument, NULL, 's'},
                                           {"proxies", required_argument, NULL, 'p'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
    if (opt == 's') scn_dir_arg = optarg;
    else if (opt == 'p') px_dir_arg = optarg;
    else if (opt == 'h') {
      list_usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "badup list: unknown option '%s'\n", argv[optind - 1]);
      list_usage(stderr);
      return EXIT_SETUP;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "badup list: unexpected argument '%s'\n", argv[optind]);
    list_usage(stderr);
    return EXIT_SETUP;
  }
  char *scn_dir = repo_dir(scn_dir_arg), *px_dir = repo_dir(px_dir_arg);
  if (!scn_dir || !px_dir) {
    fprintf(stderr, "badup list: cannot find the folder '%s' (run from the repository, or give --scenarios / --proxies)\n",
            !scn_dir ? scn_dir_arg : px_dir_arg);
    free(scn_dir);
    free(px_dir);
    return EXIT_SETUP;
  }
  struct run_opts o = {.connect_timeout = BADUP_CONNECT_TIMEOUT_S, .read_timeout = BADUP_READ_TIMEOUT_S,
                       .seed = 1};
  int failures = 0;
  size_t nscn = 0, npx = 0;
  struct scenario *scns = run_load_scenarios(scn_dir, &o, &nscn, &failures);
  struct proxy_def *pxs = proxy_load_dir(px_dir, &npx, &failures);
  printf("scenarios (%zu):\n", nscn);
  int width = 26; /* the longest name sets the column, so every summary starts in it */
  int ewidth = 14; /* likewise the longest expect ("502|200|closed") */
  for (size_t i = 0; i < nscn; i++) {
    if ((int)strlen(scns[i].name) > width) width = (int)strlen(scns[i].name);
    if ((int)strlen(scenario_expect_text(&scns[i])) > ewidth) ewidth = (int)strlen(scenario_expect_text(&scns[i]));
  }
  for (size_t i = 0; i < nscn; i++)
    printf("  %-*s %-*s %s\n", width, scns[i].name, ewidth, scenario_expect_text(&scns[i]), scns[i].summary);
  printf("\nproxies (%zu):\n", npx);
  for (size_t i = 0; i < npx; i++) {
    proxy_probe(&pxs[i]);
    char ups[16];
    snprintf(ups, sizeof ups, "upstreams=%d", pxs[i].upstreams.max);
    printf("  %-14s %-14s %-10s %-12s %s\n", pxs[i].name, pxs[i].binary ? "installed" : "not installed",
           pxs[i].version ? pxs[i].version : "-", ups, pxs[i].binary ? pxs[i].binary : pxs[i].binaries[0]);
  }
  for (size_t i = 0; i < nscn; i++) scenario_unload(&scns[i]);
  free(scns);
  proxy_free_all(pxs, npx);
  int rc = (!scn_dir || !px_dir || failures) ? EXIT_SETUP : 0;
  free(scn_dir);
  free(px_dir);
  return rc;
}

