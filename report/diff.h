/* diff.h: `badup diff A B`, what changed from one run to another (or to the reference).
 *
 * A is the older side, B the newer: "new" is in B and not in A, "vanished" in A and not in B.
 * Either side may be the reference (diff_side.h), which then stands in for the other.
 *
 * The diff document (diff_compare; written as diff.json by `badup diff --out DIR` and printed
 * by --json; the results page embeds it with diff_html):
 *
 *   { "a": SIDE, "b": SIDE,
 *     "settings": [ { "name": "read_s", "a": 2.0, "b": 5.0 } ],   (those that differ; a field
 *                     one side does not record is not compared; names as in diff_side.h,
 *                     and "repeat")
 *     "proxies": [ { "proxy": "haproxy", "change": "same" | "version" | "new" | "vanished",
 *                    "a": { "version": "2.6.12" | null, "cells": N, "note": "..." | null } | null,
 *                    "b": { ... } | null } ],            (A's order, then B's new ones)
 *     "changed":  [ CELLDIFF ],    a cell of both sides whose outcome or verdict differs
 *     "unstable": [ CELLDIFF ],    differs, but an unstable side takes the other's outcome(s)
 *                                  among its alternatives: the same behaviour, not a change
 *     "new":      [ CELLDIFF ],    a scenario only B ran ("a": null), for a proxy both ran
 *     "vanished": [ CELLDIFF ],    a scenario only A ran ("b": null), for a proxy both ran
 *     "counts": { "changed": N, "unstable": N, "new": N, "vanished": N, "same": N,
 *                 "new_proxies": N, "vanished_proxies": N, "versions": N, "settings": N,
 *                 "not_run": N, "not_compared": N },
 *                 not_run: cells an interrupted run never finished (verdict "not_run" on
 *                 either side); not_compared: a cell skipped on one side and absent on the
 *                 other (h2_*, client_tls_* for a proxy that cannot take them). Neither is
 *                 listed nor counts as a difference.
 *     "differs": true | false }    (a changed, new or vanished cell or proxy: exit 1)
 *
 *   SIDE = { "kind": "results" | "reference", "path": "...", "started": "..." | null,
 *            "repeat": N | null, "settings": { ... } }    (diff_side.h)
 *   CELLDIFF = { "proxy": "haproxy", "scenario": "stall_headers",
 *                "a": CELL | null, "b": CELL | null }      (CELL: diff_side.h)
 *
 * The cells of a proxy only one side ran are not listed one by one: its "proxies" entry says
 * "new" or "vanished" and how many cells it has. A reference cell's verdict is "recorded"
 * (or "unstable"): against the reference only outcomes are compared, never verdicts. A
 * version change or a setting that differs is reported, and never counts as a difference by
 * itself: with other settings, outcomes may differ for that reason alone (the text says so). */
#ifndef BADUP_DIFF_H
#define BADUP_DIFF_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* How one cell compares. */
enum diff_cell_change {
  DIFF_CELL_SAME,     /* the same outcomes and verdict */
  DIFF_CELL_CHANGED,  /* another outcome, outcome set or verdict */
  DIFF_CELL_UNSTABLE, /* differs, but a side that varies (verdict unstable, or several
                         alternatives) takes every outcome of the other side */
};

/* Compares two cells of the shape of diff_side.h. Outcomes: "got" and the set of
 * "alternatives" (its order aside); two unstable cells with the same set are the same
 * whatever their most frequent outcome. Verdicts: compared unless either is "recorded". */
enum diff_cell_change diff_cell_compare(const json_t *a, const json_t *b);

/* The diff document of two sides (above); NULL only when memory runs out. */
json_t *diff_compare(const json_t *a, const json_t *b);

/* Reads A and B as `badup diff` does (diff_side_locate: a results folder or file,
 * "reference", a reference folder; at most one side may be the reference) and compares them.
 * NULL with err (size errlen) saying which file and why. */
json_t *diff_load(const char *a, const char *b, char *err, size_t errlen);

/* The document as text: the sides, the settings and proxies that differ, then the changed,
 * unstable, new and vanished cells ("haproxy / stall_headers: 504 -> 502 (pass -> fail)"),
 * then one summary line. */
void diff_text(FILE *out, const json_t *doc);

/* The document as an HTML section (<section class="diff">...</section>, every text escaped,
 * no style or script: the page gives those), for the results page. Returns 0, or -1 when a
 * write to out failed. */
int diff_html(FILE *out, const json_t *doc);

/* `badup diff`: argv[0] is "diff". Returns the exit code: 0 nothing changed, 1 a cell or
 * proxy changed, 2 usage error or a side that cannot be read. */
int diff_main(int argc, char **argv);
void diff_usage(FILE *out);

#endif
