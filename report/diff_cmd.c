/* diff_cmd.c: the `badup diff` command line. See diff.h. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diff.h"
#include "jsonio.h"
#include "page.h"
#include "usage.h"

void diff_usage(FILE *out) {
  fputs("usage: badup diff [--json | --html] [--out DIR] A B\n"
        "\n"
        "What changed from run A to run B, cell by cell (proxy x scenario): outcomes and\n"
        "verdicts, scenarios and proxies only one side ran, proxy versions, settings.\n"
        "A and B are results folders of `badup run --out` (or their results.json). Either may be\n"
        "`reference` (the shipped results/reference) or a reference folder: for each proxy of the\n"
        "other side, the file of the variant its settings ran (+retries, +tls, +ctls, +ch2), the\n"
        "version the other side ran if recorded, else the newest recorded (said per proxy), and\n"
        "the scenarios the other side ran. Against the reference only outcomes are compared.\n"
        "\n"
        "Groups: changed (another outcome or verdict); unstable (differs, but a side whose\n"
        "outcome varies takes the other's outcome too: not counted as a change); new (only B\n"
        "ran it); vanished (only A ran it). A proxy only one side ran is one line. Settings that\n"
        "differ (timeouts, retries, --client-tls, ...) are warned about: outcomes may then differ\n"
        "for that reason alone, and are compared all the same. Counted apart, never a change:\n"
        "not_run cells (an interrupted run), and a cell skipped on one side and absent on the\n"
        "other (h2_*, client_tls_*, fwd_* for a proxy that cannot take them).\n"
        "\n"
        "options:\n"
        "  --json      print the diff document (JSON; its shape is in report/diff.h)\n"
        "  --html      print it as an HTML section, as the results page embeds it\n"
        "  --out DIR   also write DIR/diff.json (DIR is made if missing); when DIR is a results\n"
        "              folder (it has results.json), also rewrite its index.html, whose\n"
        "              \"Changes against\" section then shows the diff and marks the cells that\n"
        "              differ (give A or B as DIR for that; `badup page DIR` does the same later)\n"
        "  -h, --help  this text\n"
        "Exit codes: 0 nothing changed (unstable cells, versions and settings aside), 1 a cell\n"
        "or proxy changed, is new or vanished, 2 usage error, a side that cannot be read, or\n"
        "DIR/diff.json (or DIR/index.html) that cannot be written.\n",
        out);
}

/* DIR/diff.json; says why on stderr when it cannot. */
static int write_out(const char *dir, json_t *doc) {
  if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
    fprintf(stderr, "badup diff: cannot make %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/diff.json", dir);
  int rc = jsonio_write(path, doc);
  if (rc < 0) {
    fprintf(stderr, "badup diff: cannot write %s: %s\n", path, strerror(-rc));
    return -1;
  }
  /* A results folder: its page shows the diff at once (page_diff.h), as `badup page DIR` would. */
  snprintf(path, sizeof path, "%s/results.json", dir);
  json_t *results = json_load_file(path, 0, NULL);
  if (!json_is_object(results)) {
    json_decref(results);
    return 0;
  }
  rc = page_write(dir, results);
  json_decref(results);
  if (rc < 0) fprintf(stderr, "badup diff: cannot write %s/index.html: %s\n", dir, strerror(-rc));
  return rc < 0 ? -1 : 0;
}

int diff_main(int argc, char **argv) {
  enum { O_JSON = 1, O_HTML, O_OUT };
  static const struct option opts[] = {{"json", no_argument, NULL, O_JSON},
                                       {"html", no_argument, NULL, O_HTML},
                                       {"out", required_argument, NULL, O_OUT},
                                       {"help", no_argument, NULL, 'h'},
                                       {0, 0, 0, 0}};
  bool json = false, html = false;
  const char *out_dir = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (c) {
    case O_JSON: json = true; break;
    case O_HTML: html = true; break;
    case O_OUT: out_dir = optarg; break;
    case 'h': diff_usage(stdout); return 0;
    default: return cli_usage_error("diff", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (json && html) return cli_usage_error("diff", "%s", "--json and --html: give one");
  if (argc - optind != 2)
    return cli_usage_error("diff", "give two results folders, A and B (%d given)", argc - optind);
  char err[2048];
  json_t *doc = diff_load(argv[optind], argv[optind + 1], err, sizeof err);
  if (!doc) {
    fprintf(stderr, "badup diff: %s\n", err);
    return USAGE_EXIT;
  }
  int rc = json_is_true(json_object_get(doc, "differs")) ? 1 : 0;
  if (out_dir && write_out(out_dir, doc) < 0) rc = USAGE_EXIT;
  if (json) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text) puts(text);
    free(text);
  } else if (html) {
    if (diff_html(stdout, doc) < 0) rc = USAGE_EXIT;
  } else {
    diff_text(stdout, doc);
  }
  json_decref(doc);
  return rc;
}
