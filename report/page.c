/* page.c: index.html from results.json and the case folders, and `badup page DIR` (page.h).
 * The page's look and behaviour are report/page.css and report/page.js; this file gathers the
 * data they show and writes the one file. */
#include "page.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fileio.h"
#include "jsonio.h"
#include "page_assets.h"
#include "page_diff.h"
#include "page_evidence.h"
#include "usage.h"

void page_usage(FILE *out) {
  fputs("usage: badup page DIR\n"
        "\n"
        "(Re)write DIR/index.html from DIR/results.json: the run as one web page that opens from\n"
        "disk in any browser, with no network and no file beside it. `badup run` and `badup\n"
        "merge` write it with results.json; this command is for folders of older runs.\n"
        "\n"
        "The page shows when the run was and how long it took, the counts per verdict and the\n"
        "run's settings; the matrix (scenarios as rows, proxies as columns), each cell coloured\n"
        "by its verdict and labelled with the outcome; filters by proxy, verdict and scenario\n"
        "family (tls_, client_tls_, h2_, req_, fwd_, and upstream for the rest). A cell opens its\n"
        "case: expected and got, each assertion, the reason, the proxy's log lines, the\n"
        "upstream's events and the proxy's rendered config (read from DIR/cases/PROXY/SCENARIO/\n"
        "now, bounded per case, with a note when cut), and the commands that reproduce it. The\n"
        "graphs `badup plot DIR` drew (*.svg, *.png in DIR or DIR/plots) are embedded.\n"
        "\n"
        "With a DIR/diff.json (`badup diff --out DIR A B`, which rewrites the page itself), the\n"
        "page also shows \"Changes against\" the other run: the counts, and the changed,\n"
        "unstable, new and vanished cells, each opening its case here; in the matrix a corner\n"
        "marks a cell that differs, its title says what the other run had. This run is found\n"
        "among the diff's sides by its start time; a diff.json of an earlier run of this folder,\n"
        "or of two other runs, is named as such and marks nothing.\n"
        "\n"
        "options:\n"
        "  -h, --help  this text\n"
        "Exit codes: 0 written, 1 index.html could not be written, 2 usage error or no readable\n"
        "results.json in DIR.\n",
        out);
}

/* ---- graphs ------------------------------------------------------------------------ */

static void base64(struct buf *b, const unsigned char *p, size_t n) {
  static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    char q[4] = {al[v >> 18 & 63], al[v >> 12 & 63], i + 1 < n ? al[v >> 6 & 63] : '=', i + 2 < n ? al[v & 63] : '='};
    buf_append(b, q, 4);
  }
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The images of one folder (sub is "" or "plots/"), in name order, onto graphs; *budget is
 * what the page may still spend on them. An image is shown as <img src="data:...">, never as
 * inline markup: an SVG's own script or link then cannot run or load anything. */
static void add_graphs(json_t *graphs, const char *dir, const char *sub, size_t *budget) {
  char folder[4096];
  snprintf(folder, sizeof folder, "%s/%s", dir, sub);
  DIR *d = opendir(folder);
  if (!d) return;
  char *names[64];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < sizeof names / sizeof *names) {
    const char *dot = strrchr(de->d_name, '.');
    if (de->d_name[0] != '.' && dot && (!strcmp(dot, ".svg") || !strcmp(dot, ".png"))) names[n++] = strdup(de->d_name);
    if (n && !names[n - 1]) n--;
  }
  closedir(d);
  qsort(names, n, sizeof *names, name_cmp);
  for (size_t i = 0; i < n; i++) {
    char path[4096], rel[512];
    snprintf(path, sizeof path, "%s%s", folder, names[i]);
    snprintf(rel, sizeof rel, "%s%s", sub, names[i]);
    bool svg = !strcmp(strrchr(names[i], '.'), ".svg");
    struct stat st;
    json_t *g = json_pack("{s:o}", "name", json_text(rel));
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
      json_decref(g);
    } else if ((size_t)st.st_size > PAGE_GRAPH_MAX || (size_t)st.st_size * 4 / 3 + 64 > *budget) {
      json_object_set_new(g, "note", json_string("not embedded: too large for the page; open the file"));
      json_array_append_new(graphs, g);
    } else {
      size_t len = 0;
      char *bytes = fileio_slurp(path, 0, &len);
      struct buf b = {0};
      buf_puts(&b, svg ? "data:image/svg+xml;base64," : "data:image/png;base64,");
      if (bytes) base64(&b, (const unsigned char *)bytes, len);
      if (bytes && !b.oom) {
        json_object_set_new(g, "uri", json_string(buf_cstr(&b)));
        *budget -= b.len;
      }
      json_array_append_new(graphs, g);
      buf_free(&b);
      free(bytes);
    }
    free(names[i]);
  }
}

/* ---- the data ---------------------------------------------------------------------- */

/* A proxy or scenario name that can be a folder under cases/: nothing that leaves it. */
static bool safe_component(const char *s) {
  return s && s[0] && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') && strlen(s) < 200;
}

/* A folder path inside the results folder: relative, and no part of it leaves. */
static bool safe_relative(const char *s) {
  if (!s[0] || s[0] == '/' || strlen(s) >= 500) return false;
  for (const char *p = s; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return false;
    p += n + (p[n] == '/');
  }
  return true;
}

/* {results, evidence: [one per case, same order], lines, graphs, diff?}: what page.js reads. */
static json_t *page_data(const char *dir, const json_t *doc) {
  struct page_lines pl;
  page_lines_init(&pl);
  json_t *evidence = json_array();
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(doc, "cases"), i, c) {
    const char *proxy = json_string_value(json_object_get(c, "proxy"));
    const char *scenario = json_string_value(json_object_get(c, "scenario"));
    json_t *ev = NULL;
    /* The case's folder as results.json names it (case_dir; null: it never ran), else where
     * a run puts it. With --repeat, the first run's; the others are SCENARIO.runN beside it. */
    const json_t *named = json_object_get(c, "case_dir");
    char rel[512], case_dir[4096];
    rel[0] = 0;
    if (json_is_string(named) && safe_relative(json_string_value(named)))
      snprintf(rel, sizeof rel, "%s", json_string_value(named));
    else if (!json_is_null(named) && safe_component(proxy) && safe_component(scenario))
      snprintf(rel, sizeof rel, "cases/%s/%s", proxy, scenario);
    if (rel[0] && proxy) {
      snprintf(case_dir, sizeof case_dir, "%s/%s", dir, rel);
      ev = page_case_evidence(case_dir, rel, proxy, &pl);
    }
    json_array_append_new(evidence, ev ? ev : json_object());
  }
  json_t *graphs = json_array();
  size_t budget = PAGE_GRAPHS_MAX;
  add_graphs(graphs, dir, "", &budget);
  add_graphs(graphs, dir, "plots/", &budget);
  json_t *data = json_pack("{s:O, s:o, s:O, s:o, s:{s:i, s:i}}", "results", doc, "evidence", evidence, "lines",
                           pl.table, "graphs", graphs, "limits", "events_bytes", PAGE_EVENTS_MAX, "config_bytes",
                           PAGE_CONFIG_MAX);
  page_lines_free(&pl);
  json_t *diff = data ? page_diff_load(dir, doc) : NULL; /* none without a diff.json */
  if (diff) json_object_set_new(data, "diff", diff);
  return data;
}

/* The data as the text of a <script type="application/json">: every '<' becomes \u003c, which
 * JSON reads back as '<' and which cannot close the element ("</script") or open a comment
 * that would swallow it ("<!--"): a log line quoting HTML stays data. In JSON a '<' can only
 * be inside a string, where \u003c means the same. */
static void data_script(struct buf *b, const char *json) {
  for (const char *p = json; *p;) {
    size_t n = strcspn(p, "<");
    buf_append(b, p, n);
    p += n;
    if (*p == '<') {
      buf_puts(b, "\\u003c");
      p++;
    }
  }
}

int page_write(const char *dir, const json_t *doc) {
  if (!json_is_object(doc)) return -EINVAL;
  json_t *data = page_data(dir, doc);
  char *json = data ? json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
  json_decref(data); /* reals as results.json has them (jsonio.h): the page shows the same numbers */
  if (!json) return -ENOMEM;
  struct buf b = {0};
  /* default-src 'none': the browser itself refuses any request the page might make; only its
   * own inline style and script run, and images come from data: URIs. */
  /* A merged folder says so: its cells come from several shard runs. */
  bool merged = json_array_size(json_object_get(doc, "shards")) > 0 || json_object_get(doc, "merge_command");
  buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>%s</title>\n<style>\n", merged ? "badup merge results" : "badup results");
  buf_puts(&b, badup_page_css);
  buf_puts(&b, "</style>\n</head>\n<body>\n<noscript><p>This page draws the results with its inline script; "
               "without it, read results.json, report.md or results.csv beside it.</p></noscript>\n"
               "<div id=\"app\"></div>\n<script type=\"application/json\" id=\"badup-data\">");
  data_script(&b, json);
  free(json);
  buf_puts(&b, "</script>\n<script>\n");
  buf_puts(&b, badup_page_js);
  buf_puts(&b, "</script>\n</body>\n</html>\n");
  char path[4096];
  snprintf(path, sizeof path, "%s/index.html", dir);
  int rc = b.oom ? -ENOMEM : fileio_write_atomic(path, b.data, b.len);
  buf_free(&b);
  return rc;
}

int page_main(int argc, char **argv) {
  static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0; /* one line of our own, not getopt's and then ours */
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (opt == 'h') {
      page_usage(stdout);
      return 0;
    }
    return cli_usage_error("page", "unknown option %s", argv[optind - 1]);
  }
  if (optind + 1 != argc) return cli_usage_error("page", "want one folder (DIR)");
  /* DIR, or DIR/results.json as `badup diff` takes it: the page goes beside that file. */
  char dir[4096], path[4096 + sizeof "/results.json"];
  snprintf(dir, sizeof dir, "%s", argv[optind]);
  struct stat st;
  if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) {
    char *slash = strrchr(dir, '/');
    if (strcmp(slash ? slash + 1 : dir, "results.json") != 0)
      return cli_usage_error("page", "%s: want a results folder or its results.json", dir);
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
  }
  snprintf(path, sizeof path, "%s/results.json", dir);
  json_error_t err;
  json_t *doc = json_load_file(path, JSON_DECODE_ANY, &err);
  if (!json_is_object(doc)) {
    if (doc) fprintf(stderr, "badup page: %s: not a JSON object\n", path);
    else if (err.line > 0) fprintf(stderr, "badup page: %s:%d:%d: %s\n", path, err.line, err.column, err.text);
    else fprintf(stderr, "badup page: %s: %s\n", path, err.text);
    json_decref(doc);
    return 2;
  }
  int rc = page_write(dir, doc);
  json_decref(doc);
  if (rc < 0) {
    fprintf(stderr, "badup page: writing %s/index.html: %s\n", dir, strerror(-rc));
    return 1;
  }
  printf("%s/index.html\n", dir);
  return 0;
}
