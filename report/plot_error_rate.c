/* plot_error_rate.c: the fault sweep's graph. See plot_graphs.h.
 *
 * Faults injected at 1 % and 5 % are where proxies differ (retries hide them, or not); at
 * 25-50 % every line is high. So beside the whole range, a second panel zooms on 0-5 %. Each
 * panel carries the throughput on a second, logarithmic y axis: a proxy that hides faults by
 * retrying pays in requests/s, and the two read together. Two proxies can meet the same
 * fault sequence (the simulator's seed is the same for every point) and give the same error
 * rates: their lines are drawn with distinct dashes, shapes and widths, and the key says so. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_gp.h"
#include "plot_graphs.h"

#define MAX_ROWS 4096
#define ZOOM_PCT 5.0 /* the zoomed panel's x range, % */

struct sweep_row {
  int series;
  double fault, error, rps;
};

/* Series j's error rates equal series i's at every fault rate, in the same order. */
static bool same_errors(const struct sweep_row *r, size_t n, int i, int j) {
  size_t ki = 0, kj = 0;
  for (;;) {
    while (ki < n && r[ki].series != i) ki++;
    while (kj < n && r[kj].series != j) kj++;
    if (ki == n || kj == n) return ki == n && kj == n;
    if (fabs(r[ki].fault - r[kj].fault) > 1e-12 || fabs(r[ki].error - r[kj].error) > 1e-12) return false;
    ki++;
    kj++;
  }
}

/* The plot command of one panel: the error lines (widest first), then the throughput lines
 * on y2, then the reference line y = x. */
static void panel_plot(struct buf *gp, char **names, size_t np, const int *same_as) {
  buf_printf(gp, "plot \\\n");
  for (size_t p = 0; p < np; p++) {
    buf_printf(gp, "  'error_rate.dat' using (100*$2):(strcol(1) eq word(proxies, %zu) ? 100*$3 : NaN) "
                   "axes x1y1 with linespoints ",
               p + 1);
    gp_series_style(gp, p, true);
    char title[600];
    if (same_as[p] >= 0)
      snprintf(title, sizeof title, "%s: errors (the same as %s's)", names[p], names[same_as[p]]);
    else snprintf(title, sizeof title, "%s: errors", names[p]);
    buf_printf(gp, " title ");
    gp_str(gp, title);
    buf_printf(gp, ", \\\n  '' using (100*$2):(strcol(1) eq word(proxies, %zu) && $6 > 0 ? $6 : NaN) axes x1y2 "
                   "with linespoints linecolor rgb '%s' dashtype (3,4) linewidth 1.2 pointtype %d pointsize 0.9 "
                   "title ",
               p + 1, gp_series_colour(p), gp_series_open_point(p));
    snprintf(title, sizeof title, "%s: requests/s (right axis)", names[p]);
    gp_str(gp, title);
    buf_printf(gp, ", \\\n");
  }
  buf_printf(gp, "  x with lines axes x1y1 dashtype 3 linecolor 'gray50' title 'errors = faults (nothing hidden)'\n");
}

int plot_error_rate(const char *in, const char *out, bool png) {
  char path[4096];
  snprintf(path, sizeof path, "%s/error_rate.dat", in);
  FILE *f = fopen(path, "r");
  if (!f) { fprintf(stderr, "badup plot: %s: %s\n", path, strerror(errno)); return 2; }
  char *names[MAX_SERIES];
  struct sweep_row *rows = calloc(MAX_ROWS, sizeof *rows);
  size_t np = 0, nr = 0;
  char line[1024];
  int rc = rows ? 0 : 1;
  bool low = false, high = false; /* fault rates in (0, ZOOM] and above: a zoom shows something */
  while (rc == 0 && fgets(line, sizeof line, f)) {
    char name[256];
    struct sweep_row r = {0};
    int n = sscanf(line, "%255s %lf %lf %*s %*s %lf", name, &r.fault, &r.error, &r.rps);
    if (line[0] == '#' || n < 3) continue;
    if (nr == MAX_ROWS) {
      fprintf(stderr, "badup plot: more than %d rows in %s\n", MAX_ROWS, path);
      rc = 2;
      break;
    }
    if ((r.series = plot_intern(names, &np, name, "proxies", path, &rc)) < 0) break;
    low |= r.fault > 0 && r.fault * 100 <= ZOOM_PCT;
    high |= r.fault * 100 > ZOOM_PCT;
    rows[nr++] = r;
  }
  fclose(f);
  if (rc == 0 && nr == 0) {
    fprintf(stderr, "badup plot: %s: no data rows (columns: proxy fault_rate error_rate ...)\n", path);
    rc = 2;
  }
  if (rc == 0) rc = plot_copy_input(in, out, "error_rate.dat");
  struct buf gp = {0};
  if (rc) goto done;

  int same_as[MAX_SERIES];
  for (size_t j = 0; j < np; j++) {
    same_as[j] = -1;
    for (size_t i = 0; i < j && same_as[j] < 0; i++)
      if (same_errors(rows, nr, (int)i, (int)j)) same_as[j] = (int)i;
  }
  bool zoom = low && high;
  buf_printf(&gp, "# error_rate.gp, written by `badup plot`: redraw with `gnuplot error_rate.gp` in this folder.\n"
                  "# Data: error_rate.dat, one row per proxy and injected fault rate (bench/fault_sweep.sh):\n"
                  "#   1 proxy (a name without blanks; e.g. haproxy+retries for a variant)\n"
                  "#   2 fault_rate   fraction of upstream requests given a fault (0..1)\n"
                  "#   3 error_rate   fraction of client requests that failed or got a non-2xx status (0..1)\n"
                  "#   4 requests     client requests counted (responses + failures)\n"
                  "#   5 errors       of which non-2xx or failed\n"
                  "#   6 requests_s   complete responses per second (right axis, log scale)\n"
                  "#   7 upstream_attempts  requests the upstream (the simulator) received, from its control\n"
                  "#                  API's GET /stats \"requests\"; more than column 4 means the proxy retried\n"
                  "#                  (optional: older files have six columns)\n"
                  "# Lines starting with '#' are comments. Each series has its own colour, dashes and points,\n"
                  "# and the later ones are drawn thinner: identical series stay visible.\n");
  size_t key_rows = 2 * np + 1; /* errors and requests/s of each series, and y = x */
  int height = 520 + 16 * (int)key_rows;
  gp_terminal(&gp, png, zoom ? 1400 : 900, height, "error_rate");
  /* The key sits under the panels, one row per series (its errors, its requests/s). */
  double key_h = (30.0 + 16.0 * (double)key_rows) / height;
  buf_printf(&gp, "set multiplot title 'Client-visible error rate and throughput against injected upstream fault rate' "
                  "font ',14'\n"
                  "proxies = \"");
  for (size_t p = 0; p < np; p++) buf_printf(&gp, "%s%s", p ? " " : "", names[p]);
  buf_printf(&gp, "\"\n"
                  "set xlabel 'injected upstream fault rate (%% of requests)'\n"
                  "set ylabel 'client-visible errors: non-2xx or failed (%% of requests)'\n"
                  "set y2label 'throughput (complete responses/s, log scale)'\n"
                  "set grid xtics ytics\n"
                  "set ytics nomirror\n"
                  "set y2tics nomirror\n"
                  "set logscale y2\n"
                  "set yrange [0:*]\n"
                  "set offsets 0, 0, graph 0.05, 0\n"
                  "set size %g, %.4f\n"
                  "set origin 0, %.4f\n"
                  "set title '%s'\n"
                  "set xrange [0:*]\n"
                  "set key at screen 0.5, %.4f center top vertical box width 1\n",
             zoom ? 0.5 : 1.0, 0.95 - key_h, key_h, zoom ? "all fault rates" : "", key_h - 0.01);
  panel_plot(&gp, names, np, same_as);
  if (zoom) {
    buf_printf(&gp, "set origin 0.5, %.4f\n"
                    "set title 'zoom on the low fault rates (0-%g %%)'\n"
                    "set xrange [0:%g]\n"
                    "unset key\n",
               key_h, ZOOM_PCT, ZOOM_PCT);
    panel_plot(&gp, names, np, same_as);
  }
  buf_printf(&gp, "unset multiplot\n");
  if (plot_write_file(out, "error_rate.gp", &gp)) {
    rc = 1;
    goto done;
  }
  rc = plot_run_gnuplot(out, "error_rate.gp");
  if (rc == 0) printf("badup plot: %s/error_rate.%s\n", out, png ? "png" : "svg");
done:
  buf_free(&gp);
  free(rows);
  for (size_t p = 0; p < np; p++) free(names[p]);
  return rc;
}
