/* plot_gp.h: what every graph of `badup plot` shares: gnuplot script text, the data files in
 * the output folder, one look per series, and gnuplot run as a child. */
#ifndef BADUP_PLOT_GP_H
#define BADUP_PLOT_GP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define MAX_SERIES 64
#define GNUPLOT_MISSING 127

/* A gnuplot single-quoted string: only ' needs escaping (doubled). */
void gp_str(struct buf *b, const char *s);
/* A token for a whitespace-separated .dat column: blanks, quotes and '#' become '_'. */
void dat_token(struct buf *b, const char *s);
/* DIR/NAME from the buffer, atomically (fileio.h); says why on stderr when it cannot. 0 or -1. */
int plot_write_file(const char *dir, const char *name, const struct buf *b);
bool plot_file_exists(const char *dir, const char *name);
/* IN/NAME copied to OUT/NAME (nothing when IN and OUT are the same folder), so the script in
 * OUT finds its data beside it. 0, or 1 after saying why on stderr. */
int plot_copy_input(const char *in, const char *out, const char *name);
int plot_index_of(const char **names, size_t n, const char *s);
/* Adds a copy of name to names[0..*n) unless it is there (the series of a .dat file, in order
 * of first appearance). Returns its index; else sets *rc: 2 when there would be more than
 * MAX_SERIES (reported, naming what and path), 1 when out of memory; and returns -1. */
int plot_intern(char **names, size_t *n, const char *name, const char *what, const char *path, int *rc);

/* The terminal lines every script starts with: BASE.svg, or BASE.png with png. */
void gp_terminal(struct buf *gp, bool png, int width, int height, const char *base);

/* The look of series i (0-based) of a graph where series may coincide: its own colour
 * (colour-blind safe), dash pattern and point shape, and a line and points that get thinner
 * and smaller with i. Drawn in order, a later series lies on an earlier one and leaves its
 * wider edge showing, so two identical series both stay visible. Appends
 * "linecolor rgb '#...' dashtype D pointtype P linewidth W pointsize S". With `dashed`
 * false the line is solid whatever i (where dashes mean something else). */
void gp_series_style(struct buf *gp, size_t i, bool dashed);
/* The colour of series i, "#rrggbb", for a second line of the same series. */
const char *gp_series_colour(size_t i);
/* The open (unfilled) point shape matching series i's filled one. */
int gp_series_open_point(size_t i);

/* Runs `gnuplot SCRIPT` in DIR. 0 success, 1 gnuplot failed, 2 gnuplot not installed. */
int plot_run_gnuplot(const char *dir, const char *script);

#endif
