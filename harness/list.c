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
        "not, version, upstreams=N: how many upstreams it can send to, forward=: its\n"
        "forward-proxy mode for the fwd_* scenarios (no; yes; auth: with Basic proxy\n"
        "authentication; only: the definition is a forward proxy), the binary), then\n"
        "the client-side knobs: per proxy, the directive that takes --client-timeout (the\n"
        "request head's timeout; the request body's idle timeout) and --max-body, \"none\"\n"
        "when the proxy has no such setting, \"-\" when its definition does not say; and\n"
        "the values each proxy takes only in steps (granularity): a run value off its step\n"
        "skips that proxy's cases.\n",
        out);
}

/* The values a proxy takes only in steps (granularity), a row per proxy that declares any. */
static void print_steps(const struct proxy_def *pxs, size_t npx) {
  bool head = false;
  for (size_t i = 0; i < npx; i++) {
    bool any = false;
    for (int k = 0; k < GRAIN__COUNT; k++) {
      double step = pxs[i].granularity[k];
      if (step <= 0) continue;
      if (!head) printf("\nvalues taken in steps (granularity; a run value off its step skips the proxy's cases):\n");
      head = true;
      if (!any) printf("  %-14s", pxs[i].name);
      printf("%s %s %g %s", any ? "," : "", proxy_grain_names[k], step, k == GRAIN_MAX_BODY ? "bytes" : "s");
      any = true;
    }
    if (any) printf("\n");
  }
}

/* The client-side knobs, a row per proxy: which directive each one is written into. Columns
 * are as wide as their longest cell, so the table stays readable with long directives. */
static void print_knobs(const struct proxy_def *pxs, size_t npx) {
  static const char *const heads[KNOB__COUNT] = {"header timeout", "body timeout", "max body"};
  int w[KNOB__COUNT], nw = 14;
  for (int k = 0; k < KNOB__COUNT; k++) w[k] = (int)strlen(heads[k]);
  for (size_t i = 0; i < npx; i++) {
    if ((int)strlen(pxs[i].name) > nw) nw = (int)strlen(pxs[i].name);
    for (int k = 0; k < KNOB__COUNT; k++) {
      int len = (int)strlen(proxy_knob_text(&pxs[i], (enum proxy_knob)k));
      if (len > w[k]) w[k] = len;
    }
  }
  printf("\nclient-side knobs (--client-timeout, --max-body; none: the proxy has no such setting):\n");
  printf("  %-*s", nw, "proxy");
  for (int k = 0; k < KNOB__COUNT; k++) printf(" | %-*s", k + 1 < KNOB__COUNT ? w[k] : 0, heads[k]);
  printf("\n");
  for (size_t i = 0; i < npx; i++) {
    printf("  %-*s", nw, pxs[i].name);
    for (int k = 0; k < KNOB__COUNT; k++) /* the last column unpadded: no trailing blanks */
      printf(" | %-*s", k + 1 < KNOB__COUNT ? w[k] : 0, proxy_knob_text(&pxs[i], (enum proxy_knob)k));
    printf("\n");
  }
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
                       .client_timeout = BADUP_CLIENT_TIMEOUT_S, .max_body = BADUP_MAX_BODY, .seed = 1};
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
  /* Probed first, so the name and version columns are as wide as their longest value
   * (definition names such as "go-reverseproxy-h2c" pass 14 characters). */
  int nw = 14, vw = 10;
  for (size_t i = 0; i < npx; i++) {
    proxy_probe(&pxs[i]);
    if ((int)strlen(pxs[i].name) > nw) nw = (int)strlen(pxs[i].name);
    if (pxs[i].version && (int)strlen(pxs[i].version) > vw) vw = (int)strlen(pxs[i].version);
  }
  for (size_t i = 0; i < npx; i++) {
    char ups[16];
    snprintf(ups, sizeof ups, "upstreams=%d", pxs[i].upstreams.max);
    /* its forward mode (fwd_* scenarios): none, one, one with Basic proxy authentication, or a
     * definition that is a forward proxy itself */
    const char *fwd = pxs[i].forward ? "forward=only" : !pxs[i].fwd.on ? "forward=no"
                      : pxs[i].fwd.auth ? "forward=auth" : "forward=yes";
    printf("  %-*s %-14s %-*s %-12s %-12s %s\n", nw, pxs[i].name, pxs[i].binary ? "installed" : "not installed",
           vw, pxs[i].version ? pxs[i].version : "-", ups, fwd, pxs[i].binary ? pxs[i].binary : pxs[i].binaries[0]);
  }
  print_knobs(pxs, npx);
  print_steps(pxs, npx);
  for (size_t i = 0; i < nscn; i++) scenario_unload(&scns[i]);
  free(scns);
  proxy_free_all(pxs, npx);
  int rc = (!scn_dir || !px_dir || failures) ? EXIT_SETUP : 0;
  free(scn_dir);
  free(px_dir);
  return rc;
}

