/* plot.c: `badup plot`. See plot.h.
 *
 * badup writes the data (.dat) and the gnuplot script (.gp) into OUT (DIR unless --out), then
 * runs gnuplot as a child in OUT (the script names its files relative to OUT, so gnuplot alone
 * redraws them). Every file is written atomically (fileio.h). The time-to-error, capacity and
 * latency-sweep graphs are here; the fault sweep's and the bench percentiles' have files of
 * their own (plot_error_rate.c, plot_latency_pct.c). */
#include "plot.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "plot_gp.h"
#include "plot_graphs.h"

void plot_usage(FILE *out) {
  fputs("usage: badup plot [--png] [--out OUT] DIR\n"
        "       badup plot [--png] [--out OUT] [--label NAME]... DIR1 DIR2 ...\n"
        "\n"
        "(Re)draw the graphs of DIR with gnuplot, from the data files there:\n"
        "  DIR/results.json  (a `badup run` folder) -> time_to_error.dat, .gp, .svg: how long each\n"
        "                    proxy's client waited for its outcome, per scenario (a 504 waits for\n"
        "                    the read timeout, a 502 comes at once)\n"
        "  DIR/error_rate.dat (bench/fault_sweep.sh) -> error_rate.gp, .svg: client-visible error\n"
        "                    rate (left axis) and requests/s (right axis, log scale) against\n"
        "                    injected fault rate, one line per proxy (and variant, e.g.\n"
        "                    haproxy+retries), all rates and a panel zoomed on 0-5 %\n"
        "  DIR/capacity.dat  (bench/capacity.sh) -> capacity.gp, .svg: the proxy's requests/s with\n"
        "                    badup's healthy path and with nginx as the upstream, one bar each\n"
        "  DIR/latency_concurrency.dat, DIR/latency_upstream.dat (bench/latency_sweep.sh) ->\n"
        "                    .gp, .svg: client latency p50 p90 p99 p99.9 max against concurrent\n"
        "                    connections and against the injected upstream latency, one panel\n"
        "                    per proxy (and 'direct': the simulator alone)\n"
        "  DIR/latency.dat   (`badup bench --out DIR`) -> latency_percentiles.dat, .gp, .svg:\n"
        "                    latency (ms, log scale) against percentile, HdrHistogram style\n"
        "                    (x = 1/(1 - p), log scale: 90%, 99%, 99.9% ... equally spaced; the\n"
        "                    max at the right end)\n"
        "With several folders (bench folders: direct, through haproxy, through nginx ...), their\n"
        "latency.dat are overlaid in one latency_percentiles graph, one series per folder, named\n"
        "by --label (in the order of the folders) or else by the folder's own name. Each series\n"
        "has its own colour, dash pattern and point shape, later ones drawn thinner on the\n"
        "earlier ones, and the key says when two series are the same: none hides another.\n"
        "The .dat and .gp stay beside the image: `cd OUT && gnuplot error_rate.gp` redraws it.\n"
        "\n"
        "options:\n"
        "  --out OUT     write the graphs (and the data they read) into OUT, made if missing;\n"
        "                default: DIR, or DIR1 with several folders\n"
        "  --label NAME  the name of the next folder's series (repeatable)\n"
        "  --png         PNG images (pngcairo) instead of SVG\n"
        "  -h, --help    this text\n"
        "Exit codes: 0 drawn, 1 a file could not be written or gnuplot failed, 2 usage error,\n"
        "nothing to plot in DIR, or gnuplot missing (install gnuplot-nox).\n",
        out);
}

/* ---- time to error, from results.json ---------------------------------------------- */

static int plot_time_to_error(const char *dir, const char *out, bool png) {
  char path[4096];
  snprintf(path, sizeof path, "%s/results.json", dir);
  json_error_t jerr;
  json_t *doc = json_load_file(path, 0, &jerr);
  if (!doc) {
    fprintf(stderr, "badup plot: %s:%d: %s\n", path, jerr.line, jerr.text);
    return 2;
  }
  json_t *cases = json_object_get(doc, "cases");
  if (!json_is_array(cases) || json_array_size(cases) == 0) {
    fprintf(stderr, "badup plot: %s: no cases to plot\n", path);
    json_decref(doc);
    return 2;
  }
  double read_s = json_number_value(json_object_get(json_object_get(doc, "timeouts"), "read_s"));

  /* Proxies and scenarios in order of first appearance. */
  const char *proxies[MAX_SERIES];
  size_t np = 0, ns = 0, nc = json_array_size(cases);
  const char **scen = calloc(nc, sizeof *scen);
  if (!scen) { json_decref(doc); return 1; }
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    const char *p = json_string_value(json_object_get(c, "proxy"));
    const char *s = json_string_value(json_object_get(c, "scenario"));
    if (!p || !s) continue;
    if (plot_index_of(proxies, np, p) < 0) {
      if (np == MAX_SERIES) {
        fprintf(stderr, "badup plot: more than %d proxies in %s\n", MAX_SERIES, path);
        free(scen);
        json_decref(doc);
        return 2;
      }
      proxies[np++] = p;
    }
    if (plot_index_of(scen, ns, s) < 0) scen[ns++] = s;
  }
  if (np == 0) {
    fprintf(stderr, "badup plot: %s: no case names a proxy and a scenario\n", path);
    free(scen);
    json_decref(doc);
    return 2;
  }

  struct buf dat = {0}, gp = {0};
  buf_printf(&dat, "# time_to_error.dat, written by `badup plot` from results.json: how long each proxy's client\n"
                  "# waited for its outcome (elapsed_ms), per scenario. One block per proxy (gnuplot index N).\n"
                  "# columns: 1 x (scenario number + offset of the proxy), 2 elapsed_ms, 3 got (what the client\n"
                  "#   saw), 4 scenario, 5 verdict, 6 first_byte_ms\n");
  double width = np > 1 ? 0.7 / (double)np : 0.0;
  for (size_t p = 0; p < np; p++) {
    buf_printf(&dat, "%s# index %zu: proxy %s\n", p ? "\n\n" : "", p, proxies[p]);
    json_array_foreach(cases, i, c) {
      const char *cp = json_string_value(json_object_get(c, "proxy"));
      const char *cs = json_string_value(json_object_get(c, "scenario"));
      if (!cp || !cs || strcmp(cp, proxies[p])) continue;
      const char *got = json_string_value(json_object_get(c, "got"));
      const char *verdict = json_string_value(json_object_get(c, "verdict"));
      double x = (double)plot_index_of(scen, ns, cs) + ((double)p - (double)(np - 1) / 2.0) * width;
      buf_printf(&dat, "%.3f %.1f \"", x, json_number_value(json_object_get(c, "elapsed_ms")));
      dat_token(&dat, got ? got : "");
      buf_printf(&dat, "\" ");
      dat_token(&dat, cs);
      buf_printf(&dat, " ");
      dat_token(&dat, verdict ? verdict : "");
      buf_printf(&dat, " %.1f\n", json_number_value(json_object_get(c, "first_byte_ms")));
    }
  }

  int w = 360 + 70 * (int)ns;
  if (w < 800) w = 800;
  if (w > 4000) w = 4000;
  buf_printf(&gp, "# time_to_error.gp, written by `badup plot`: redraw with `gnuplot time_to_error.gp` in this folder.\n"
                 "# Data: time_to_error.dat (columns documented in its header), one block per proxy.\n");
  gp_terminal(&gp, png, w, 600, "time_to_error");
  buf_printf(&gp, "set title 'Time to error: how long the client waited for its outcome, per fault and proxy'\n"
                 "set xlabel 'scenario (upstream fault); point label: what the client got'\n"
                 "set ylabel 'time to outcome (ms, log scale)'\n"
                 "set logscale y\n"
                 "set grid ytics\n"
                 "set key outside top right box\n"
                 "set bmargin 10\n"
                 "set xrange [-0.6:%zu.4]\n"
                 "set xtics rotate by -45 nomirror (",
            ns - 1);
  for (size_t s = 0; s < ns; s++) {
    buf_printf(&gp, "%s", s ? ", " : "");
    gp_str(&gp, scen[s]);
    buf_printf(&gp, " %zu", s);
  }
  buf_printf(&gp, ")\n");
  if (read_s > 0) {
    buf_printf(&gp, "set arrow from graph 0, first %g to graph 1, first %g nohead dashtype 2 linecolor 'gray40'\n"
                   "set label 'proxy read timeout (%g s)' at graph 0.01, first %g offset 0,0.6 textcolor 'gray40'\n",
              read_s * 1000, read_s * 1000, read_s, read_s * 1000);
  }
  buf_printf(&gp, "plot \\\n");
  for (size_t p = 0; p < np; p++) {
    buf_printf(&gp, "  'time_to_error.dat' index %zu using 1:($2 > 0.1 ? $2 : 0.1) with points pointtype 7 "
                   "pointsize 1.2 linecolor %zu title ",
              p, p + 1);
    gp_str(&gp, proxies[p]);
    buf_printf(&gp, ", \\\n  '' index %zu using 1:($2 > 0.1 ? $2 : 0.1):3 with labels offset 0,0.9 font ',8' "
                   "textcolor lt %zu notitle%s\n",
              p, p + 1, p + 1 < np ? ", \\" : "");
  }
  free(scen);
  json_decref(doc);

  if (plot_write_file(out, "time_to_error.dat", &dat) || plot_write_file(out, "time_to_error.gp", &gp)) {
    buf_free(&dat);
    buf_free(&gp);
    return 1;
  }
  buf_free(&dat);
  buf_free(&gp);
  int rc = plot_run_gnuplot(out, "time_to_error.gp");
  if (rc == 0) printf("badup plot: %s/time_to_error.%s\n", out, png ? "png" : "svg");
  return rc;
}

/* ---- capacity: proxy requests/s per upstream, from capacity.dat --------------------- */

static int plot_capacity(const char *dir, const char *out, bool png) {
  char path[4096];
  snprintf(path, sizeof path, "%s/capacity.dat", dir);
  FILE *f = fopen(path, "r");
  if (!f) { fprintf(stderr, "badup plot: %s: %s\n", path, strerror(errno)); return 2; }
  char *proxies[MAX_SERIES], *ups[MAX_SERIES];
  double rps[MAX_SERIES][MAX_SERIES];
  bool have[MAX_SERIES][MAX_SERIES];
  memset(have, 0, sizeof have);
  size_t np = 0, nu = 0, rows = 0;
  char line[1024];
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    char pname[256], uname[256];
    double v;
    if (line[0] == '#' || sscanf(line, "%255s %255s %lf", pname, uname, &v) != 3) continue;
    rows++;
    int pi = plot_intern(proxies, &np, pname, "proxies", path, &rc);
    int ui = pi < 0 ? -1 : plot_intern(ups, &nu, uname, "upstreams", path, &rc);
    if (ui < 0) break;
    rps[pi][ui] = v;
    have[pi][ui] = true;
  }
  fclose(f);
  if (rc == 0 && rows == 0) {
    fprintf(stderr, "badup plot: %s: no data rows (columns: proxy upstream requests_s)\n", path);
    rc = 2;
  }
  struct buf gp = {0};
  if (rc) goto out;

  int ib = plot_index_of((const char **)ups, nu, "badup"), in = plot_index_of((const char **)ups, nu, "nginx");
  buf_printf(&gp, "# capacity.gp, written by `badup plot`: redraw with `gnuplot capacity.gp` in this folder.\n"
                 "# Data: capacity.dat, one row per proxy and upstream (bench/capacity.sh):\n"
                 "#   1 proxy       the proxy loaded (a name without blanks)\n"
                 "#   2 upstream    what served behind it: badup (its healthy path, scenarios/ok.lua) or\n"
                 "#                 nginx (return 200), or any other name\n"
                 "#   3 requests_s  the proxy's complete responses per second (median of the rounds)\n"
                 "# Lines starting with '#' are comments. One bar per row, clustered by proxy.\n");
  gp_terminal(&gp, png, 900, 600, "capacity");
  buf_printf(&gp, "set title 'Capacity: proxy requests/s with badup or nginx as the upstream'\n"
                 "set xlabel 'proxy (ratio: requests/s with badup / with nginx upstream)'\n"
                 "set ylabel 'proxy throughput (requests/s)'\n"
                 "set grid ytics\n"
                 "set key top right box\n"
                 "set yrange [0:*]\n"
                 "set offsets 0, 0, graph 0.12, 0\n"
                 "set style fill solid 0.8 border -1\n"
                 "set boxwidth %g\n"
                 "set xrange [-0.6:%zu.6]\n"
                 "set xtics nomirror (",
            0.8 / (double)nu, np - 1);
  for (size_t p = 0; p < np; p++) {
    char label[600];
    if (ib >= 0 && in >= 0 && have[p][ib] && have[p][in] && rps[p][in] > 0)
      snprintf(label, sizeof label, "%s (%.3f)", proxies[p], rps[p][ib] / rps[p][in]);
    else
      snprintf(label, sizeof label, "%s", proxies[p]);
    buf_printf(&gp, "%s", p ? ", " : "");
    gp_str(&gp, label);
    buf_printf(&gp, " %zu", p);
  }
  buf_printf(&gp, ")\nproxies = \"");
  for (size_t p = 0; p < np; p++) buf_printf(&gp, "%s%s", p ? " " : "", proxies[p]);
  buf_printf(&gp, "\"\nupstreams = \"");
  for (size_t u = 0; u < nu; u++) buf_printf(&gp, "%s%s", u ? " " : "", ups[u]);
  buf_printf(&gp, "\"\n"
                 "# position of word s in list l (0-based), -1 if absent\n"
                 "pos(l, s, i) = i > words(l) ? -1 : (word(l, i) eq s ? i - 1 : pos(l, s, i + 1))\n"
                 "bw = %g\n"
                 "x(p, u) = pos(proxies, p, 1) + (u - 1 - (words(upstreams) - 1) / 2.0) * bw\n"
                 "plot for [u=1:words(upstreams)] 'capacity.dat' using (x(strcol(1), u)):"
                 "(strcol(2) eq word(upstreams, u) ? $3 : NaN) with boxes linecolor u title "
                 "'upstream: '.word(upstreams, u), \\\n"
                 "  for [u=1:words(upstreams)] '' using (x(strcol(1), u)):"
                 "(strcol(2) eq word(upstreams, u) ? $3 : NaN):(sprintf('%%.0f', $3)) with labels "
                 "offset 0,0.7 font ',9' notitle\n",
            0.8 / (double)nu);
  if (plot_copy_input(dir, out, "capacity.dat") || plot_write_file(out, "capacity.gp", &gp)) {
    rc = 1;
    goto out;
  }
  rc = plot_run_gnuplot(out, "capacity.gp");
  if (rc == 0) printf("badup plot: %s/capacity.%s\n", out, png ? "png" : "svg");
out:
  buf_free(&gp);
  for (size_t p = 0; p < np; p++) free(proxies[p]);
  for (size_t u = 0; u < nu; u++) free(ups[u]);
  return rc;
}

/* ---- latency percentiles per proxy, from latency_concurrency.dat / latency_upstream.dat ---- */

/* The two latency graphs differ only in their x column and words. */
struct latency_kind {
  const char *base;   /* file name without extension */
  int xcol;           /* 2 connections, 3 upstream latency */
  const char *title, *xlabel;
  bool logx;          /* concurrency spans 1..hundreds */
  bool identity;      /* draw y = x: the injected latency itself */
};

static const struct latency_kind latency_kinds[] = {
    {"latency_concurrency", 2, "Client latency against concurrency (upstream answers at once)",
     "concurrent client connections (closed loop, log scale)", true, false},
    {"latency_upstream", 3, "Client latency against injected upstream latency",
     "injected upstream latency, mean (ms)", false, true},
};

#define LAT_COLS 12 /* series connections upstream_ms p50 p90 p99 p99.9 max rps requests errors distribution */

static int plot_latency(const char *dir, const char *out, bool png, const struct latency_kind *k) {
  char path[4096], name[256];
  snprintf(name, sizeof name, "%s.dat", k->base);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (!f) { fprintf(stderr, "badup plot: %s: %s\n", path, strerror(errno)); return 2; }
  char *series[MAX_SERIES];
  char dist[64] = "";
  size_t ns = 0, rows = 0, lineno = 0;
  double ymin = 0, ymax = 0;
  char line[1024];
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
    char sname[256], d[64] = "";
    double v[7];
    int n = sscanf(line, "%255s %lf %lf %lf %lf %lf %lf %lf %*s %*s %*s %63s", sname, &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], d);
    if (n < 8) {
      fprintf(stderr, "badup plot: %s:%zu: want %d columns (series connections upstream_latency_ms p50 p90 p99 "
                      "p99.9 max ...)\n", path, lineno, LAT_COLS);
      rc = 2;
      break;
    }
    rows++;
    if (n == 9 && !dist[0]) snprintf(dist, sizeof dist, "%s", d);
    for (int i = 2; i < 7; i++) {
      if (v[i] > 0 && (ymin == 0 || v[i] < ymin)) ymin = v[i];
      if (v[i] > ymax) ymax = v[i];
    }
    plot_intern(series, &ns, sname, "series", path, &rc);
  }
  fclose(f);
  if (rc == 0 && rows == 0) {
    fprintf(stderr, "badup plot: %s: no data rows\n", path);
    rc = 2;
  }
  struct buf gp = {0};
  if (rc) goto out;

  /* One panel per series side by side, the same y range in all, so they compare at a glance. */
  if (ymin <= 0) ymin = 0.01;
  double lo = ymin / 1.5, hi = ymax * 1.5;
  buf_printf(&gp, "# %s.gp, written by `badup plot`: redraw with `gnuplot %s.gp` in this folder.\n"
                 "# Data: %s.dat (bench/latency_sweep.sh), one row per series and point:\n"
                 "#   1 series (a proxy, or direct: the simulator alone)  2 connections\n"
                 "#   3 upstream_latency_ms (mean injected)  4 p50  5 p90  6 p99  7 p99.9  8 max (ms)\n"
                 "#   9 requests_s  10 requests  11 errors  12 distribution of the upstream latency\n"
                 "#   13 upstream_connections (optional)\n"
                 "# One panel per series; x is column %d.\n",
            k->base, k->base, k->base, k->xcol);
  int panel_w = 420;
  gp_terminal(&gp, png, panel_w * (int)ns + 40 < 800 ? 800 : panel_w * (int)ns + 40, 560, k->base);
  buf_printf(&gp, "set multiplot layout 1,%zu title ", ns);
  {
    char t[512];
    if (k->identity && dist[0]) snprintf(t, sizeof t, "%s (%s distribution)", k->title, dist);
    else snprintf(t, sizeof t, "%s", k->title);
    gp_str(&gp, t);
  }
  buf_printf(&gp, " font ',14'\n"
                 "set xlabel '%s'\n"
                 "set ylabel 'client latency (ms, log scale)'\n"
                 "set logscale y\n"
                 "set yrange [%g:%g]\n"
                 "set grid\n"
                 "set key top left box font ',9'\n"
                 "%s",
            k->xlabel, lo, hi, k->logx ? "set logscale x\nset offsets graph 0.05, graph 0.05, 0, 0\n"
                                       : "set xrange [0:*]\nset offsets 0, graph 0.04, 0, 0\n");
  static const char *const pct[] = {"p50", "p90", "p99", "p99.9", "max"};
  static const char *const color[] = {"#1f4e9c", "#2a9d4b", "#e08a00", "#c8102e", "#666666"};
  for (size_t i = 0; i < ns; i++) {
    buf_printf(&gp, "set title ");
    gp_str(&gp, series[i]);
    buf_printf(&gp, "\nplot \\\n");
    for (int c = 0; c < 5; c++) {
      buf_printf(&gp, "  '%s.dat' using %d:(strcol(1) eq ", k->base, k->xcol);
      gp_str(&gp, series[i]);
      buf_printf(&gp, " ? $%d : NaN) with linespoints linewidth 2 pointtype 7 pointsize 0.7 linecolor rgb '%s'%s "
                     "title '%s'%s\n",
                4 + c, color[c], c == 4 ? " dashtype 2" : "", pct[c], (c < 4 || k->identity) ? ", \\" : "");
    }
    if (k->identity)
      buf_printf(&gp, "  x > 0 ? x : NaN with lines linewidth 1.5 dashtype 3 linecolor 'black' title 'injected mean'\n");
  }
  buf_printf(&gp, "unset multiplot\n");
  snprintf(name, sizeof name, "%s.dat", k->base);
  if (plot_copy_input(dir, out, name)) {
    rc = 1;
    goto out;
  }
  snprintf(name, sizeof name, "%s.gp", k->base);
  if (plot_write_file(out, name, &gp)) {
    rc = 1;
    goto out;
  }
  rc = plot_run_gnuplot(out, name);
  if (rc == 0) printf("badup plot: %s/%s.%s\n", out, k->base, png ? "png" : "svg");
out:
  buf_free(&gp);
  for (size_t i = 0; i < ns; i++) free(series[i]);
  return rc;
}

/* ---- main -------------------------------------------------------------------------- */

static bool is_folder(const char *dir) {
  struct stat st;
  return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A folder's own name: its last path component ("results/bench/haproxy-c50/" -> "haproxy-c50"). */
static void folder_name(const char *dir, char *name, size_t size) {
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') len--;
  size_t start = len;
  while (start > 0 && dir[start - 1] != '/') start--;
  snprintf(name, size, "%.*s", (int)(len - start), dir + start);
  if (!*name) snprintf(name, size, "%s", dir);
}

/* Several folders: their latency.dat overlaid. Labels: --label, else the folder's name, or the
 * path as given when two folders share a name. */
static int plot_overlay(char **dirs, size_t n, char **given, size_t n_given, const char *out, bool png) {
  char names[MAX_SERIES][256];
  const char *labels[MAX_SERIES];
  if (n > MAX_SERIES) {
    fprintf(stderr, "badup plot: more than %d folders\n", MAX_SERIES);
    return 2;
  }
  for (size_t i = 0; i < n; i++) folder_name(dirs[i], names[i], sizeof names[i]);
  for (size_t i = 0; i < n; i++) {
    bool shared = false;
    for (size_t j = 0; j < n; j++) shared |= j != i && !strcmp(names[i], names[j]);
    labels[i] = i < n_given ? given[i] : shared ? dirs[i] : names[i];
  }
  return plot_latency_percentiles((const char *const *)dirs, labels, n, out, png);
}

int plot_main(int argc, char **argv) {
  static const struct option longopts[] = {{"png", no_argument, NULL, 'p'},
                                           {"out", required_argument, NULL, 'o'},
                                           {"label", required_argument, NULL, 'l'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  bool png = false;
  const char *out = NULL;
  char *labels[MAX_SERIES];
  size_t n_labels = 0;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
      case 'p': png = true; break;
      case 'o': out = optarg; break;
      case 'l':
        if (n_labels == MAX_SERIES) {
          fprintf(stderr, "badup plot: more than %d --label\n", MAX_SERIES);
          return 2;
        }
        if (!*optarg || strpbrk(optarg, "\n\r")) {
          fprintf(stderr, "badup plot: --label wants a name on one line\n");
          return 2;
        }
        labels[n_labels++] = optarg;
        break;
      case 'h': plot_usage(stdout); return 0;
      default: plot_usage(stderr); return 2;
    }
  }
  size_t n_dirs = (size_t)(argc - optind);
  char **dirs = argv + optind;
  if (n_dirs == 0) {
    fprintf(stderr, "badup plot: want a folder (DIR), or several to overlay\n");
    plot_usage(stderr);
    return 2;
  }
  if (n_labels > n_dirs) {
    fprintf(stderr, "badup plot: %zu --label for %zu folder%s\n", n_labels, n_dirs, n_dirs > 1 ? "s" : "");
    return 2;
  }
  for (size_t i = 0; i < n_dirs; i++)
    if (!is_folder(dirs[i])) {
      fprintf(stderr, "badup plot: %s: not a folder\n", dirs[i]);
      return 2;
    }
  if (!out) out = dirs[0];
  if (!is_folder(out) && mkdir(out, 0777) != 0) {
    fprintf(stderr, "badup plot: --out %s: %s\n", out, strerror(errno));
    return 2;
  }
  if (n_dirs > 1) return plot_overlay(dirs, n_dirs, labels, n_labels, out, png);

  const char *dir = dirs[0];
  bool runs = plot_file_exists(dir, "results.json"), sweep = plot_file_exists(dir, "error_rate.dat");
  bool capacity = plot_file_exists(dir, "capacity.dat"), bench = plot_file_exists(dir, "latency.dat");
  bool latency[sizeof latency_kinds / sizeof *latency_kinds];
  bool any_latency = false;
  for (size_t i = 0; i < sizeof latency_kinds / sizeof *latency_kinds; i++) {
    char name[256];
    snprintf(name, sizeof name, "%s.dat", latency_kinds[i].base);
    any_latency |= latency[i] = plot_file_exists(dir, name);
  }
  if (!runs && !sweep && !capacity && !any_latency && !bench) {
    fprintf(stderr, "badup plot: nothing to plot in %s (no results.json, error_rate.dat, capacity.dat, "
                    "latency_concurrency.dat, latency_upstream.dat or latency.dat)\n", dir);
    return 2;
  }
  int rc = 0;
  if (runs) rc = plot_time_to_error(dir, out, png);
  if (sweep && rc != 2) {
    int r = plot_error_rate(dir, out, png);
    if (r > rc) rc = r;
  }
  if (capacity && rc != 2) {
    int r = plot_capacity(dir, out, png);
    if (r > rc) rc = r;
  }
  for (size_t i = 0; i < sizeof latency_kinds / sizeof *latency_kinds; i++) {
    if (!latency[i] || rc == 2) continue;
    int r = plot_latency(dir, out, png, &latency_kinds[i]);
    if (r > rc) rc = r;
  }
  if (bench && rc != 2) {
    int r = plot_overlay(dirs, 1, labels, n_labels, out, png);
    if (r > rc) rc = r;
  }
  return rc;
}
