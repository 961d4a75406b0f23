/* page.h: index.html, a results folder as one self-contained web page, and `badup page DIR`.
 *
 * The page is a single file: its style, its script and its data inline, no network access,
 * no file beside it (a Content-Security-Policy of default-src 'none' makes the browser keep
 * to that). It shows the run's settings and counts per verdict, the matrix (scenarios as rows,
 * proxies as columns, each cell a button coloured and labelled by its verdict and outcome),
 * filters by proxy, verdict and scenario family, and, for the cell clicked, that case's
 * evidence: expected and got, the assertions, the reason, the proxy's log lines, the
 * upstream's events and the rendered config (both read from the case folder when the page is
 * written, bounded in size: page_evidence.h) and the commands that reproduce it. The graphs of
 * `badup plot` found in the folder are embedded as data: URIs. A diff.json of `badup diff
 * --out` in the folder is embedded too and shown as the changes against the other run, its
 * cells marked in the matrix (page_diff.h). */
#ifndef BADUP_PAGE_H
#define BADUP_PAGE_H

#include <jansson.h>
#include <stdio.h>

/* Each graph (an *.svg or *.png of DIR or DIR/plots) up to this many bytes, and all of them
 * together up to PAGE_GRAPHS_MAX: a larger one is named on the page, not embedded. */
#define PAGE_GRAPH_MAX (1u << 20)
#define PAGE_GRAPHS_MAX (3u << 20)

/* Writes dir/index.html atomically (temp + rename, fileio.h) from doc, the object of
 * dir/results.json, and the case folders under dir/cases/. Tolerates fields it does not know
 * (shown as they are) and missing ones. Returns 0, or -errno (-EINVAL: doc is no object). */
int page_write(const char *dir, const json_t *doc);

/* argv[0] is "page". Returns the exit code: 0 written, 1 index.html could not be written,
 * 2 usage error or no readable results.json in DIR. */
int page_main(int argc, char **argv);
void page_usage(FILE *out);

#endif
