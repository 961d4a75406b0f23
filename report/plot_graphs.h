/* plot_graphs.h: the graphs `badup plot` draws, each from its data file in IN into OUT (the
 * same folder unless --out). Each returns 0 drawn, 1 a file could not be written or gnuplot
 * failed, 2 bad or missing data or gnuplot not installed (said on stderr). */
#ifndef BADUP_PLOT_GRAPHS_H
#define BADUP_PLOT_GRAPHS_H

#include <stdbool.h>
#include <stddef.h>

/* IN/error_rate.dat (bench/fault_sweep.sh) -> OUT/error_rate.{gp,svg}: client-visible error
 * rate and throughput against the injected fault rate, with a panel zoomed on 0-5 %. */
int plot_error_rate(const char *in, const char *out, bool png);

/* DIRS[i]/latency.dat (`badup bench --out`) -> OUT/latency_percentiles.{dat,gp,svg}: latency
 * against percentile, HdrHistogram style, one series per folder named LABELS[i]. */
int plot_latency_percentiles(const char *const *dirs, const char *const *labels, size_t n, const char *out,
                             bool png);

#endif
