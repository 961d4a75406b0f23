/* provenance.h: where a run's results came from, for results.json and report.md: the
 * command line, badup's version, the selection, --proxy-config and its SHA-256, how the
 * shard was chosen, and a digest of the selected catalog that `badup merge` compares
 * across shards. */
#ifndef BADUP_PROVENANCE_H
#define BADUP_PROVENANCE_H

#include "jsonio.h"
#include "run_parts.h"
#include "shard_auto.h"

/* The command line as given, ["badup", "run", ...], before the options are parsed (the
 * parser writes into --set's values). */
json_t *provenance_command(int argc, char **argv);

/* SHA-256 of a file, 64 lowercase hex digits and a NUL into hex. 0, or -errno. */
int provenance_sha256_file(const char *path, char hex[65]);

/* The provenance object: command (taken over), badup_version, selection {proxy, scenario}
 * (null: not given), proxy_config {path, sha256} or null, seed, set ["NAME=VALUE"],
 * shard_from {how: "given"|"auto", system, variables {NAME: value}} (null without --shard),
 * catalog {scenarios, proxies, cells, digest}: the selected scenarios with their digests and
 * the selected proxies, before sharding. auto is NULL unless --shard auto. NULL when memory
 * runs out or the config cannot be read (why on stderr). */
json_t *provenance_json(json_t *command, const struct run_args *a, const struct run_matrix *m,
                        const struct shard_auto *autos);

#endif
