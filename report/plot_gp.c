/* plot_gp.c: see plot_gp.h. */
#include "plot_gp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

/* A gnuplot single-quoted string: only ' needs escaping (doubled). */
void gp_str(struct buf *b, const char *s) {
  buf_printf(b, "'");
  for (; *s; s++) {
    if (*s == '\'') buf_printf(b, "''");
    else buf_printf(b, "%c", *s);
  }
  buf_printf(b, "'");
}

/* A token for a whitespace-separated .dat column: no blanks, quotes or '#'. */
void dat_token(struct buf *b, const char *s) {
  if (!*s) { buf_printf(b, "-"); return; }
  for (; *s; s++) buf_printf(b, "%c", (*s == ' ' || *s == '\t' || *s == '"' || *s == '#' || *s == '\n') ? '_' : *s);
}

/* DIR/NAME from the buffer, atomically (fileio.h); says why on stderr when it cannot. */
int plot_write_file(const char *dir, const char *name, const struct buf *b) {
  char path[4096];
  if (b->oom) { fprintf(stderr, "badup plot: out of memory writing %s\n", name); return -1; }
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int rc = fileio_write_atomic(path, b->data, b->len);
  if (rc < 0) {
    fprintf(stderr, "badup plot: cannot write %s: %s\n", path, strerror(-rc));
    return -1;
  }
  return 0;
}

bool plot_file_exists(const char *dir, const char *name) {
  char path[4096];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int plot_index_of(const char **names, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(names[i], s)) return (int)i;
  return -1;
}

/* Adds a copy of name to names[0..*n) unless it is there (the series of a .dat file, in order
 * of first appearance). Returns its index; else sets *rc: 2 when there would be more than
 * MAX_SERIES (reported, naming what and path), 1 when out of memory; and returns -1. */
int plot_intern(char **names, size_t *n, const char *name, const char *what, const char *path, int *rc) {
  int i = plot_index_of((const char **)names, *n, name);
  if (i >= 0) return i;
  if (*n == MAX_SERIES) {
    fprintf(stderr, "badup plot: more than %d %s in %s\n", MAX_SERIES, what, path);
    *rc = 2;
    return -1;
  }
  if (!(names[*n] = strdup(name))) {
    *rc = 1;
    return -1;
  }
  return (int)(*n)++;
}

/* The terminal lines every script starts with. */
void gp_terminal(struct buf *gp, bool png, int width, int height, const char *base) {
  if (png) buf_printf(gp, "set terminal pngcairo size %d,%d noenhanced font 'sans,10'\n", width, height);
  else buf_printf(gp, "set terminal svg size %d,%d noenhanced font 'sans,12' background '#ffffff'\n", width, height);
  buf_printf(gp, "set output '%s.%s'\n", base, png ? "png" : "svg");
}

/* ---- gnuplot as a child ------------------------------------------------------------ */

/* Runs `gnuplot SCRIPT` in DIR. 0 success, 1 gnuplot failed, 2 gnuplot not installed. */
int plot_run_gnuplot(const char *dir, const char *script) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) { fprintf(stderr, "badup plot: fork: %s\n", strerror(errno)); return 1; }
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(126);
    execlp("gnuplot", "gnuplot", script, (char *)NULL);
    _exit(errno == ENOENT ? GNUPLOT_MISSING : 126);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) { fprintf(stderr, "badup plot: waitpid: %s\n", strerror(errno)); return 1; }
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
  if (WIFEXITED(st) && WEXITSTATUS(st) == GNUPLOT_MISSING) {
    fprintf(stderr, "badup plot: gnuplot not found: install gnuplot-nox (scripts/install-deps.sh bench)\n");
    return 2;
  }
  if (WIFEXITED(st)) fprintf(stderr, "badup plot: gnuplot %s/%s exited with status %d\n", dir, script, WEXITSTATUS(st));
  else fprintf(stderr, "badup plot: gnuplot %s/%s killed by signal %d\n", dir, script, WTERMSIG(st));
  return 1;
}


int plot_copy_input(const char *in, const char *out, const char *name) {
  struct stat si, so;
  if (stat(in, &si) == 0 && stat(out, &so) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) return 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", in, name);
  size_t len = 0;
  char *data = fileio_slurp(path, 0, &len);
  if (!data) {
    fprintf(stderr, "badup plot: cannot read %s: %s\n", path, strerror(errno ? errno : EIO));
    return 1;
  }
  struct buf b = {.data = data, .len = len, .cap = len + 1};
  int rc = plot_write_file(out, name, &b) ? 1 : 0;
  free(data);
  return rc;
}

/* Okabe-Ito: told apart with any colour vision, and in grey by their dashes and points. */
static const char *const series_colour[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                            "#D55E00", "#56B4E9", "#000000", "#999999"};
#define N_COLOURS (sizeof series_colour / sizeof *series_colour)
/* Filled shapes of gnuplot's default set, and their open twins: circle, square, triangle,
 * diamond, inverted triangle, pentagon. */
static const int filled_point[] = {7, 5, 9, 13, 11, 15};
static const int open_point[] = {6, 4, 8, 12, 10, 14};
#define N_POINTS (sizeof filled_point / sizeof *filled_point)
/* gnuplot dash patterns: solid, long dashes, dots, dash-dot, short dashes. */
static const char *const dash[] = {"1", "(14,6)", "(2,5)", "(12,5,2,5)", "(6,6)"};
#define N_DASHES (sizeof dash / sizeof *dash)

const char *gp_series_colour(size_t i) { return series_colour[i % N_COLOURS]; }
int gp_series_open_point(size_t i) { return open_point[i % N_POINTS]; }

void gp_series_style(struct buf *gp, size_t i, bool dashed) {
  double lw = 4.5 - 1.0 * (double)i, ps = 1.7 - 0.25 * (double)i;
  if (lw < 1.3) lw = 1.3;
  if (ps < 0.8) ps = 0.8;
  buf_printf(gp, "linecolor rgb '%s' dashtype %s pointtype %d linewidth %.1f pointsize %.2f", gp_series_colour(i),
             dashed ? dash[i % N_DASHES] : "1", filled_point[i % N_POINTS], lw, ps);
}
