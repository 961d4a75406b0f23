/* diff_side.h: one side of `badup diff`, a results folder or the reference standing in for
 * one, read into a single shape the comparison (diff.h) works on.
 *
 * A side is a JSON object (jansson; the caller owns it, json_decref):
 *
 *   { "kind": "results" | "reference",
 *     "path": "/tmp/a/results.json" | "results/reference",
 *     "started": "2026-11-30T23:00:00Z" | null,   (ISO 8601, UTC; null for the reference)
 *     "repeat": 3 | null,                          (runs per case; null for the reference)
 *     "settings": { "connect_s": 1.0, "read_s": 2.0, "client_s": 2.0,   (seconds)
 *                   "max_body": 1048576,                                 (bytes)
 *                   "retries": false, "client_tls": false, "upstream_tls": false,
 *                   "client_http2": false, "shard": "1/4" | null },
 *                  (a field an older results.json lacks is null)
 *     "proxies": { "<proxy>": { "version": "2.6.12" | null, "cells": N,
 *                               "note": "why this version, or why none" | null,
 *                               "version_from": "ran" | "newest" | null } },
 *                  (version_from, the reference's alone: the version the other side ran, or
 *                   the newest recorded since that one is not; null when nothing is)
 *     "cells": { "<proxy> / <scenario>": CELL } }              (in the file's order)
 *
 *   CELL = { "proxy": "haproxy", "scenario": "stall_headers", "version": "2.6.12",
 *            "expect": "504", "got": "504", "verdict": "pass",
 *            "alternatives": ["504"] }
 *
 * "got" is the cell's outcome (with --repeat, the most frequent); "alternatives" every
 * outcome the cell takes: one, or for an unstable cell those its runs (or the reference)
 * saw. A results cell's verdict is the run's word (pass, deviates, unstable, fail, error,
 * skipped, not_run); a reference cell's is "recorded", or "unstable" when the reference saw
 * that version answer it several ways. */
#ifndef BADUP_DIFF_SIDE_H
#define BADUP_DIFF_SIDE_H

#include <stddef.h>

#include <jansson.h>

enum diff_side_kind { DIFF_SIDE_RESULTS, DIFF_SIDE_REFERENCE };

/* What a command-line argument names: "reference" (the shipped results/reference, found next
 * to the binary as `badup run` finds it), a folder of reference files, a results folder or
 * its results.json. Sets *kind and *path (malloc'd: the results.json itself, or the reference
 * folder) and returns 0; or returns -1 with err (size errlen) saying "ARG: why" (no such file
 * or folder, not a results folder). */
int diff_side_locate(const char *arg, enum diff_side_kind *kind, char **path, char *err, size_t errlen);

/* A results.json read into a side, or NULL with err saying "PATH: why" (it does not parse,
 * with its line and column; it is not an object with a "cases" array; a case lacks a string
 * proxy, scenario, got or verdict, with its index). */
json_t *diff_side_results(const char *path, char *err, size_t errlen);

/* The reference in folder dir standing in for `other` (a results side): for each of its
 * proxies, the file of the variant its settings ran (reference.h's key: +retries, +tls,
 * +ctls, +ch2), that proxy's record for the version `other` ran when the file has it, else
 * for the newest version recorded (the proxy's note says which), and of it the scenarios
 * `other` ran. A proxy without a file has no cells and a note naming the file. Its settings
 * are badup run's defaults (common/timeouts.h: the reference is recorded with them) and
 * other's variant flags. NULL with err when a file is there but does not load. */
json_t *diff_side_reference(const char *dir, const json_t *other, char *err, size_t errlen);

/* The key of a cell in a side's "cells": "<proxy> / <scenario>", into out (size len). */
void diff_cell_key(char *out, size_t len, const char *proxy, const char *scenario);

#endif
