/* plot.h: `badup plot DIR`, the graphs of a results or bench folder, drawn by gnuplot.
 * From DIR/results.json (a `badup run` folder): time_to_error.{dat,gp,svg}; from
 * DIR/error_rate.dat (bench/fault_sweep.sh): error_rate.{gp,svg}. The .dat and .gp stay beside
 * the image, so `cd DIR && gnuplot time_to_error.gp` redraws it without badup. */
#ifndef BADUP_PLOT_H
#define BADUP_PLOT_H

#include <stdio.h>

/* argv[0] is "plot". Returns the exit code: 0 drawn, 1 a file could not be written or gnuplot
 * failed, 2 usage error, nothing to plot, or gnuplot not installed. */
int plot_main(int argc, char **argv);
void plot_usage(FILE *out);

#endif
