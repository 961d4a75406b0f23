/* plot_latency_pct.c: latency by percentile from `badup bench --out` folders, one series per
 * folder (direct, through haproxy, through nginx ...). See plot_graphs.h.
 *
 * The x axis is HdrHistogram's: position 1/(1 - p/100) on a log scale, so 90 %, 99 %, 99.9 %
 * ... are equally spaced and the tail, where proxies differ, gets as much room as the median.
 * The max (p = 100) has no such position: it is drawn one decade right of the last finite
 * percentile, on a tic of its own. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plot_gp.h"
#include "plot_graphs.h"

#define MAX_POINTS 256

struct pct_series {
  size_t n;
  double pct[MAX_POINTS], ms[MAX_POINTS];
  char title[512];
};

/* DIR/latency.dat: "percentile latency_ms" rows, '#' comments. 0, or 2 after saying why. */
static int read_latency(const char *dir, struct pct_series *s) {
  char path[4096], line[512];
  snprintf(path, sizeof path, "%s/latency.dat", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "badup plot: %s: %s (a `badup bench --out` folder has one)\n", path, strerror(errno));
    return 2;
  }
  size_t lineno = 0;
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) continue;
    double p, ms;
    if (sscanf(line, "%lf %lf", &p, &ms) != 2 || p < 0 || p > 100 || !(ms >= 0)) {
      fprintf(stderr, "badup plot: %s:%zu: want 'percentile latency_ms' (0..100, ms >= 0)\n", path, lineno);
      rc = 2;
      break;
    }
    if (s->n == MAX_POINTS) {
      fprintf(stderr, "badup plot: %s: more than %d percentiles\n", path, MAX_POINTS);
      rc = 2;
      break;
    }
    s->pct[s->n] = p;
    s->ms[s->n++] = ms;
  }
  fclose(f);
  if (rc == 0 && s->n == 0) {
    fprintf(stderr, "badup plot: %s: no percentiles (did the load get any response?)\n", path);
    rc = 2;
  }
  return rc;
}

/* The key's words for a series: its label and, from DIR/summary.json when bench wrote one,
 * how it was loaded and what it did. */
static void series_title(struct pct_series *s, const char *dir, const char *label) {
  char path[4096];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  json_t *j = json_load_file(path, 0, NULL);
  const char *mode = j ? json_string_value(json_object_get(j, "mode")) : NULL;
  if (mode) {
    snprintf(s->title, sizeof s->title, "%s (%s loop, %lld connections, %.0f requests/s)", label, mode,
             (long long)json_integer_value(json_object_get(j, "connections")),
             json_number_value(json_object_get(j, "requests_per_s")));
  } else {
    snprintf(s->title, sizeof s->title, "%s", label);
  }
  json_decref(j);
}

static bool same_points(const struct pct_series *a, const struct pct_series *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (a->pct[i] != b->pct[i] || fabs(a->ms[i] - b->ms[i]) > 1e-9) return false;
  return true;
}

static double position(double pct, double max_x) { return pct < 100 ? 100.0 / (100.0 - pct) : max_x; }

int plot_latency_percentiles(const char *const *dirs, const char *const *labels, size_t n, const char *out,
                             bool png) {
  if (n > MAX_SERIES) {
    fprintf(stderr, "badup plot: more than %d folders\n", MAX_SERIES);
    return 2;
  }
  struct pct_series *s = calloc(n, sizeof *s);
  if (!s) return 1;
  int rc = 0;
  double last = 1; /* the largest finite position */
  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = read_latency(dirs[i], &s[i]);
    series_title(&s[i], dirs[i], labels[i]);
    for (size_t k = 0; k < s[i].n; k++)
      if (s[i].pct[k] < 100 && position(s[i].pct[k], 0) > last) last = position(s[i].pct[k], 0);
  }
  struct buf dat = {0}, gp = {0};
  if (rc) goto done;
  double max_x = last * 10;
  /* The y range from the data, with a margin: gnuplot's own stops at whole decades, which
   * can squeeze the curves into a third of the height. */
  double ymin = 0, ymax = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < s[i].n; k++) {
      if (s[i].ms[k] > 0 && (ymin == 0 || s[i].ms[k] < ymin)) ymin = s[i].ms[k];
      if (s[i].ms[k] > ymax) ymax = s[i].ms[k];
    }
  if (ymax <= 0) ymin = 0.001, ymax = 1; /* every latency 0 ms: an empty graph, not an error */

  buf_printf(&dat, "# latency_percentiles.dat, written by `badup plot` from the latency.dat of each folder\n"
                   "# (`badup bench --out`). One block per series (gnuplot index N), in the order given.\n"
                   "# columns: 1 percentile (%%, 0..100; 100 is the max)  2 latency_ms (milliseconds)\n"
                   "#   3 x: the position on the graph, 1/(1 - percentile/100) (log scale); the max at %g\n",
             max_x);
  for (size_t i = 0; i < n; i++) {
    buf_printf(&dat, "%s# index %zu: %s, from %s/latency.dat\n", i ? "\n\n" : "", i, s[i].title, dirs[i]);
    for (size_t k = 0; k < s[i].n; k++)
      buf_printf(&dat, "%g %.6f %.6g\n", s[i].pct[k], s[i].ms[k], position(s[i].pct[k], max_x));
  }

  buf_printf(&gp, "# latency_percentiles.gp, written by `badup plot`: redraw with `gnuplot latency_percentiles.gp`\n"
                  "# in this folder. Data: latency_percentiles.dat (columns in its header), one block per series.\n"
                  "# Each series has its own colour, dashes and points, and the later ones are drawn thinner:\n"
                  "# identical series stay visible (and the key says which are the same).\n");
  gp_terminal(&gp, png, 1000, 580 + 22 * (int)n, "latency_percentiles");
  /* Room under the x label for the key, one line per series. */
  buf_printf(&gp, "set bmargin %zu\n", 6 + n);
  buf_printf(&gp, "set title 'Latency by percentile (HdrHistogram style: the tail spread out to the right)'\n"
                  "set xlabel 'percentile (log scale of 1/(1 - p))'\n"
                  "set ylabel 'latency (ms, log scale)'\n"
                  "set logscale xy\n"
                  "set grid xtics ytics mytics\n"
                  "set key below Left reverse box\n"
                  "set yrange [%g:%g]\n"
                  "set xrange [0.9:%g]\n"
                  "set xtics (",
             ymin / 1.5, ymax * 1.5, max_x * 1.5);
  static const char *const tic_names[] = {"0%%", "90%%", "99%%", "99.9%%", "99.99%%", "99.999%%", "99.9999%%"}; /* %% : gnuplot reads a tic label as a format */
  double x = 1;
  for (size_t t = 0; t < sizeof tic_names / sizeof *tic_names && x <= last * 1.001; t++, x *= 10)
    buf_printf(&gp, "'%s' %g, ", tic_names[t], x);
  buf_printf(&gp, "'max' %g)\n", max_x);
  buf_printf(&gp, "plot \\\n");
  for (size_t i = 0; i < n; i++) {
    char title[700];
    int same = -1;
    for (size_t j = 0; j < i && same < 0; j++)
      if (same_points(&s[j], &s[i])) same = (int)j;
    if (same >= 0) snprintf(title, sizeof title, "%s: the same as %s", s[i].title, labels[same]);
    else snprintf(title, sizeof title, "%s", s[i].title);
    buf_printf(&gp, "  'latency_percentiles.dat' index %zu using 3:($2 > 0 ? $2 : NaN) with linespoints ", i);
    gp_series_style(&gp, i, true);
    buf_printf(&gp, " title ");
    gp_str(&gp, title);
    buf_printf(&gp, "%s\n", i + 1 < n ? ", \\" : "");
  }
  if (plot_write_file(out, "latency_percentiles.dat", &dat) || plot_write_file(out, "latency_percentiles.gp", &gp)) {
    rc = 1;
    goto done;
  }
  rc = plot_run_gnuplot(out, "latency_percentiles.gp");
  if (rc == 0) printf("badup plot: %s/latency_percentiles.%s\n", out, png ? "png" : "svg");
done:
  buf_free(&dat);
  buf_free(&gp);
  free(s);
  return rc;
}
