/* explain.c: `badup explain`: a proxy's log line in, the scenarios that make the proxy write
 * that line out, ranked, with the commands that reproduce them, the versions the answer
 * comes from, and, when several scenarios tie, what tells them apart.
 *
 * What a line says is logline.c's business (with the proxy definitions' explain fields), the
 * reference and the ranking explain_rank.c's, the answer explain_answer.c's; this file reads
 * the arguments, the definitions, the reference and the lines. */
#include "explain.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "explain_answer.h"
#include "explain_rank.h"
#include "paths.h"
#include "usage.h"
#include "proxy.h"
#include "reference.h"
#include "results.h"
#include "scenario.h"

#define EXIT_MATCH 0
#define EXIT_NO_MATCH 1
#define EXIT_USAGE 2

/* ---- help ---------------------------------------------------------------------------------- */

/* "haproxy 2.6.12; nginx 1.22.1, 1.24.0; ..." from the reference folder's files, or NULL. */
static char *coverage(const char *dir_arg) {
  char *dir = repo_dir(dir_arg);
  struct dirent **names;
  int k = dir ? scandir(dir, &names, NULL, alphasort) : -1;
  if (k < 0) {
    free(dir);
    return NULL;
  }
  struct buf b = {0};
  for (int i = 0; i < k; i++) {
    size_t len = strlen(names[i]->d_name);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    char err[160];
    struct reference *ref =
        len > 5 && !strcmp(names[i]->d_name + len - 5, ".json") ? reference_read(path, err, sizeof err) : NULL;
    const char *proxy = reference_proxy(ref), *versions[64];
    /* "+retries" files hold the same versions, with retries on */
    if (proxy && !strchr(names[i]->d_name, '+')) {
      buf_printf(&b, "%s%s", b.len ? "; " : "", proxy);
      size_t nv = reference_versions(ref, versions, 64);
      for (size_t n = 0; n < nv; n++) buf_printf(&b, "%s%s", n ? ", " : " ", versions[n]);
    }
    reference_free(ref);
    free(names[i]);
  }
  free(names);
  free(dir);
  char *r = b.len ? strdup(buf_cstr(&b)) : NULL;
  buf_free(&b);
  return r;
}

/* text, folded at 88 columns. */

static void usage_for(FILE *out, const char *ref_arg) {
  fputs("usage: badup explain [options] [\"LOG LINE\"... | -]\n"
        "\n"
        "Finds the scenarios that make a proxy write a given log line, from the lines each\n"
        "proxy version wrote for each scenario in the reference (results/reference/). Each\n"
        "argument that is not one of the options below is one line, whatever it starts with\n"
        "(varnishlog's records start with '-'); with no line or '-', lines are read from\n"
        "stdin, one explanation per line. What differs by deployment does not count: times\n"
        "in any common format, syslog, journald and RFC 5424 headers, client addresses (IPv4\n"
        "or IPv6) and ports, pids and ids, methods, paths and query strings, host, frontend,\n"
        "backend, server and upstream names, response and error page sizes.\n"
        "\n"
        "For each line it prints the proxy whose format it recognises, the proxy's verdict\n"
        "(haproxy's termination state, nginx's message, apache's AH code, varnish's\n"
        "FetchError, squid's ERR_*, ...), the family of the failure (close, reset, timeout,\n"
        "refused, connect-timeout, connect-failed, invalid-response, too-large, client) and\n"
        "the versions of that proxy in the reference (each proxy's formats, verdicts and\n"
        "fields are in its definition, harness/proxies/NAME.lua, `explain`; see --proxies);\n"
        "then the matching scenarios ranked by score (1.00: the same verdict and status), each\n"
        "with the versions where the line was measured and the commands that reproduce it:\n"
        "  badup serve scenarios/S.lua              point a staging proxy's upstream at the\n"
        "                                           listen= address it prints\n"
        "  badup run --proxy P --scenario S         the built-in proxy set-up\n"
        "(with the --proxies, --reference and --scenarios given here, so that they run the\n"
        "same definitions, reference and scenarios).\n"
        "When scenarios tie, one line each says what differs in the recorded runs: what the\n"
        "upstream did, what the client saw, upstream attempts, time to the answer.\n"
        "A verdict worded in a way the reference never saw (another version's wording) is\n"
        "compared by its family, and says so. A line it cannot place gets \"no match\" and\n"
        "the nearest candidates.\n"
        "A status alone is not a verdict (every proxy writes 502 for a dozen faults): a line\n"
        "whose only signature is a status, such as most proxies' access lines, is never a\n"
        "match. It gets \"no match\", where the proxy writes why (its error log; every\n"
        "proxy's when the format is nobody's in particular) and the nearest candidates,\n"
        "below a match.\n"
        "A field the harness's log format adds to a proxy's default (squid's err=,\n"
        "trafficserver's sssc= cfsc= pfsc=, nginx's rt= ua= us= uct= urt=, varnishncsa's\n"
        "fetcherror=) that the line lacks is left out of the comparison, and where it would\n"
        "tell tied scenarios apart, each one's recorded value is shown.\n"
        "\n"
        "options:\n"
        "  --json            print a JSON array: one object per candidate (line, input,\n"
        "                    rank, match, matched_by, scenario, proxy, proxy_version,\n"
        "                    proxy_versions, reference_versions, recognised,\n"
        "                    recognised_versions, family, unseen, why, look_in, score,\n"
        "                    matched_line, got, expect, upstream_attempts, elapsed_ms,\n"
        "                    summary, tied_with, missing_fields, reproduce); a line with no\n"
        "                    match lists its nearest candidates with match false and the\n"
        "                    reason in why, a line with nothing near it one object with\n"
        "                    rank null\n"
        "  --top N           at most N candidates per line (default 5)\n"
        "  --reference DIR   reference folder (default results/reference)\n"
        "  --scenarios DIR   scenario folder, for the summaries (default scenarios)\n"
        "  --proxies DIR     proxy definitions, whose explain fields say how each proxy's\n"
        "                    lines are read (default harness/proxies)\n"
        "  --                what follows is log lines, even if it looks like an option\n"
        "  -h, --help        this help\n"
        "\n"
        "Exit codes: 0 every line matched, 1 a line matched nothing, 2 usage or set-up error.\n",
        out);
  char *covered = coverage(ref_arg);
  struct buf b = {0};
  buf_printf(&b, "The reference (%s) covers %s. A line from another version may word its verdict otherwise, "
             "or decide otherwise.", ref_arg, covered ? covered : "nothing: the folder is not found");
  fputc('\n', out);
  explain_fold(out, buf_cstr(&b));
  buf_free(&b);
  free(covered);
}

void explain_usage(FILE *out) { usage_for(out, "results/reference"); }

/* ---- arguments ------------------------------------------------------------------------------ */

static void chomp(char *s) {
  size_t len = strlen(s);
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = 0;
}

static bool blank(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return !*s;
}

struct explain_args {
  const char *ref_arg, *scn_arg, *px_arg;
  bool ref_given, scn_given, px_given;
  bool json;
  size_t top;
  bool help;
  bool from_stdin; /* no line given, or '-' */
  char **lines;    /* borrowed from argv */
  size_t nlines;
};

/* An argument shaped like an option (one word after '-' or '--') that is not one of ours:
 * it is still a log line, but most likely a typo, so say so once on stderr. */
static bool looks_like_option(const char *a) {
  if (a[0] != '-') return false;
  const char *p = a + 1 + (a[1] == '-');
  if (!isalpha((unsigned char)*p)) return false;
  while (*p && *p != '=' && (isalnum((unsigned char)*p) || *p == '-')) p++;
  return !*p || *p == '=';
}

/* The value of --NAME VALUE or --NAME=VALUE at argv[*k], moving *k past it; NULL when argv[*k]
 * is not --NAME. *missing is set when --NAME comes without a value. */
static const char *option_value(int argc, char **argv, int *k, const char *name, bool *missing) {
  size_t n = strlen(name);
  const char *a = argv[*k];
  if (strncmp(a, name, n)) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n]) return NULL;
  if (*k + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*k];
}

/* Only the options below are options; every other argument is a log line, whatever it
 * starts with: varnishlog's records start with '-' ("-   FetchError ..."), and a line must
 * never be mistaken for an option cluster. '--' ends the options; a lone '-' is stdin. */
static int parse_args(int argc, char **argv, struct explain_args *a) {
  *a = (struct explain_args){.ref_arg = "results/reference", .scn_arg = "scenarios", .px_arg = "harness/proxies",
                             .top = 5};
  a->lines = calloc((size_t)argc + 1, sizeof *a->lines);
  bool options = true, dash = false;
  for (int k = 1; k < argc; k++) {
    const char *arg = argv[k], *v;
    bool missing = false;
    if (!options || arg[0] != '-' || !arg[1]) {
      if (options && !strcmp(arg, "-")) dash = true;
      else a->lines[a->nlines++] = argv[k];
    } else if (!strcmp(arg, "--")) {
      options = false;
    } else if (!strcmp(arg, "--json")) {
      a->json = true;
    } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      a->help = true;
    } else if ((v = option_value(argc, argv, &k, "--top", &missing))) {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || end == v || n < 1 || n > 1000)
        return cli_usage_error("explain", "--top wants a number from 1 to 1000, not '%s'", v);
      a->top = (size_t)n;
    } else if ((v = option_value(argc, argv, &k, "--reference", &missing))) {
      a->ref_arg = v;
      a->ref_given = true;
    } else if ((v = option_value(argc, argv, &k, "--scenarios", &missing))) {
      a->scn_arg = v;
      a->scn_given = true;
    } else if ((v = option_value(argc, argv, &k, "--proxies", &missing))) {
      a->px_arg = v;
      a->px_given = true;
    } else if (missing) {
      return cli_usage_error("explain", "option '%s' needs a value", arg);
    } else {
      if (looks_like_option(arg))
        fprintf(stderr, "badup explain: '%s' is not an option, so it is read as a log line "
                        "(options: --json, --top N, --reference DIR, --scenarios DIR, --proxies DIR, --help)\n",
                arg);
      a->lines[a->nlines++] = argv[k];
    }
  }
  if (dash && a->nlines) return cli_usage_error("explain", "%s", "'-' (read stdin) cannot be mixed with log lines");
  a->from_stdin = !a->nlines;
  return 0;
}

/* The lines to explain, blank ones left out: the arguments, or stdin's lines. */
static char **gather_lines(const struct explain_args *args, size_t *n) {
  char **lines = NULL;
  size_t cap = 0;
  *n = 0;
  char *line = NULL;
  size_t len = 0;
  if (args->from_stdin && isatty(STDIN_FILENO))
    fprintf(stderr, "badup explain: reading log lines from stdin (Ctrl-D to end)\n");
  for (size_t k = 0;; k++) {
    const char *l;
    if (args->from_stdin) {
      if (getline(&line, &len, stdin) == -1) break;
      chomp(line);
      l = line;
    } else {
      if (k == args->nlines) break;
      l = args->lines[k];
    }
    if (blank(l)) continue;
    if (*n == cap) lines = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof *lines);
    lines[(*n)++] = strdup(l);
  }
  free(line);
  return lines;
}

/* The folders given on the command line, as `badup run` takes them: a reproducing run of a
 * user's definitions needs them, or it runs the shipped ones (or none of that name). */
static void reproduce_options(const struct explain_args *args, struct buf *run, struct buf *scn) {
  const char *names[] = {"--proxies", "--reference", "--scenarios"};
  const char *given[] = {args->px_given ? args->px_arg : NULL, args->ref_given ? args->ref_arg : NULL,
                         args->scn_given ? args->scn_arg : NULL};
  for (size_t i = 0; i < 3; i++)
    if (given[i]) {
      buf_printf(run, " %s ", names[i]);
      buf_sh_word(run, given[i]);
    }
  buf_sh_word(scn, args->scn_arg);
}

static int explain_all(const struct catalog *cat, struct summaries *sums, const struct explain_args *args) {
  size_t n;
  char **lines = gather_lines(args, &n);
  int rc;
  if (!n) {
    rc = cli_usage_error("explain", "%s", "no log line given (as an argument, or on stdin)");
  } else {
    json_t *out = args->json ? json_array() : NULL;
    bool all_matched = true;
    struct buf run = {0}, scn = {0};
    reproduce_options(args, &run, &scn);
    struct reproduce repro = {.run_options = buf_cstr(&run), .scenario_dir = buf_cstr(&scn)};
    for (size_t k = 0; k < n; k++)
      all_matched &= explain_line(cat, sums, &repro, lines[k], k + 1, n > 1, args->top, out);
    buf_free(&run);
    buf_free(&scn);
    if (out) {
      char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
      if (text) puts(text);
      free(text);
      json_decref(out);
    }
    rc = all_matched ? EXIT_MATCH : EXIT_NO_MATCH;
  }
  for (size_t k = 0; k < n; k++) free(lines[k]);
  free(lines);
  return rc;
}

int explain_main(int argc, char **argv) {
  struct explain_args args;
  int rc = parse_args(argc, argv, &args);
  if (rc || args.help) {
    free(args.lines);
    if (args.help) usage_for(stdout, args.ref_arg);
    return rc;
  }
  char *ref_dir = repo_dir(args.ref_arg), *px_dir = repo_dir(args.px_arg);
  struct catalog cat;
  struct proxy_def *defs = NULL;
  size_t ndefs = 0;
  int failures = 0;
  if (!ref_dir) {
    rc = cli_usage_error("explain", "cannot find the reference folder '%s' (run from the repository, or give --reference)",
                         args.ref_arg);
  } else if (!px_dir) {
    rc = cli_usage_error("explain",
                         "cannot find the proxy definitions '%s' (run from the repository, or give --proxies)",
                         args.px_arg);
  } else if ((defs = proxy_load_dir(px_dir, &ndefs, &failures)), failures) {
    fprintf(stderr, "badup explain: %d definition%s did not load\n", failures, failures == 1 ? "" : "s");
    rc = EXIT_USAGE;
  } else if (catalog_load(&cat, ref_dir, defs, ndefs)) {
    fprintf(stderr, "badup explain: no recorded proxy log lines in %s\n", ref_dir);
    catalog_free(&cat);
    rc = EXIT_USAGE;
  } else {
    /* without the scenario folder, ties only lack their summaries */
    struct summaries sums = {.dir = repo_dir(args.scn_arg)};
    if (!sums.dir && strcmp(args.scn_arg, "scenarios") != 0)
      fprintf(stderr, "badup explain: --scenarios %s: no such folder; tied candidates are shown without their summaries\n",
              args.scn_arg);
    rc = explain_all(&cat, &sums, &args);
    summaries_free(&sums);
    catalog_free(&cat);
  }
  proxy_free_all(defs, ndefs);
  free(ref_dir);
  free(px_dir);
  free(args.lines);
  return rc;
}
