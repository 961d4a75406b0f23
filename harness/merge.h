/* merge.h: `badup merge DIR... --out DIR`: the results folders of a run's shards (--shard
 * I/N, --shard auto) joined into the one folder the unsharded run would have written:
 * results.json with every case in the unsharded order, results.csv, junit.xml (one
 * testsuite per shard), report.md, index.html, and the case folders (hard-linked, copied
 * where a link cannot cross file systems). */
#ifndef BADUP_MERGE_H
#define BADUP_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "jsonio.h"

int merge_main(int argc, char **argv);
void merge_usage(FILE *out);

/* ---- merge_check.c ---- */

/* DIR/results.json, loaded and checked to be one badup wrote (an object with "cases", each
 * with proxy, scenario, verdict and its cell). NULL with why: not a folder, no
 * results.json, JSON that does not parse (line and column), or a document of another
 * shape. */
json_t *merge_load(const char *dir, char *why, size_t len);

/* Checks that docs (n of them, from dirs) are the shards of one run: the same catalog
 * (scenarios and their digests, proxies), settings (timeouts, retries, repeat, client_tls,
 * upstream_tls, client_http2, seed, --set, --proxy-config's digest), selection, badup
 * version, proxy versions and shard total; every shard 1..N once; none interrupted unless
 * allow_partial; each shard holding exactly its cells of 0..catalog.cells-1 (shard_of_cell),
 * each once; each case that ran with its folder at cases/<proxy>/<scenario> in its shard.
 * by_index[i] gets the position in docs of shard i+1 (n entries). 0, or -1 with why (the
 * folder and the reason). */
int merge_check(json_t *const *docs, const char *const *dirs, size_t n, bool allow_partial, size_t *by_index,
                char *why, size_t len);

/* The merged document: the first shard's settings and provenance, the cases of all shards
 * by cell, "shards" (one object per shard, in shard order: shard, folder, started,
 * duration_s, jobs, interrupted, command, shard_from), started the earliest, duration_s the
 * longest, retries_seen the sum, "merge_command" the merge's command line. docs are in
 * shard order. NULL when memory runs out. */
json_t *merge_docs(json_t *const *docs, const char *const *dirs, size_t n, json_t *merge_command);

#endif
