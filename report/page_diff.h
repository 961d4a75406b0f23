/* page_diff.h: the diff.json of a results folder (written by `badup diff --out DIR A B`, its
 * shape in diff.h), as the results page shows it: which side of the diff this folder is, so
 * the page can say "Changes against <the other side>" and mark this folder's cells.
 *
 * The side is found by the run's start time (results.json "started" against each side's
 * "started"): a folder keeps it when moved, and a later run written into the same folder has
 * another. The side's path breaks a tie (a run compared with itself) and tells a stale
 * diff.json (the path is this folder's, the start time is not) from one about other runs. */
#ifndef BADUP_PAGE_DIFF_H
#define BADUP_PAGE_DIFF_H

#include <jansson.h>

/* diff.json larger than this is not embedded (the page says so): a diff of 12 proxies x 120
 * scenarios that all changed is about 0.5 MiB. */
#define PAGE_DIFF_MAX (2u << 20)

/* What the page embeds of dir/diff.json, for results (the object of dir/results.json):
 * NULL when there is no diff.json (or memory runs out); else
 *   { "state": "a" | "b"            this folder is that side; "doc" is the diff document
 *            | "stale"              a side's path is this folder, but an earlier run's
 *            | "neither"            this folder is neither side
 *            | "unreadable" | "too_large",
 *     "doc": DIFF | null,           (null for unreadable and too_large)
 *     "note": "why, in a sentence" | null }
 * The page marks cells only for "a" and "b". */
json_t *page_diff_load(const char *dir, const json_t *results);

#endif
