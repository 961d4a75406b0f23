/* provenance.c: provenance.h. */
#include "provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BADUP_VERSION
#define BADUP_VERSION "0.1.0"
#endif

json_t *provenance_command(int argc, char **argv) {
  json_t *arr = json_array();
  json_array_append_new(arr, json_string("badup"));
  for (int i = 0; i < argc; i++) json_array_append_new(arr, json_text(argv[i]));
  return arr;
}

static void hex_of(const unsigned char *md, unsigned n, char *hex) {
  for (unsigned i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int provenance_sha256_file(const char *path, char hex[65]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -ENOMEM;
  unsigned char buf[65536];
  ssize_t got;
  while (rc == 0 && (got = read(fd, buf, sizeof buf)) != 0) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) rc = -errno;
    else if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1) rc = -EIO;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (rc == 0 && EVP_DigestFinal_ex(ctx, md, &n) != 1) rc = -EIO;
  if (rc == 0) hex_of(md, n, hex);
  EVP_MD_CTX_free(ctx);
  close(fd);
  return rc;
}

/* The selected catalog, before sharding: each selected scenario's name and digest, then
 * each selected proxy's name; two shards of one matrix have the same. */
static json_t *catalog_json(const struct run_args *a, const struct run_matrix *m) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    return NULL;
  }
  size_t ns = 0, np = 0;
  for (size_t s = 0; s < m->nscn; s++) {
    if (!run_selected(m->scns[s].name, a->scenario_list)) continue;
    ns++;
    EVP_DigestUpdate(ctx, "scenario ", 9);
    EVP_DigestUpdate(ctx, m->scns[s].name, strlen(m->scns[s].name) + 1);
    EVP_DigestUpdate(ctx, m->scns[s].digest, strlen(m->scns[s].digest) + 1);
  }
  for (size_t p = 0; p < m->npx; p++) {
    if (!run_selected(m->pxs[p].name, a->proxy_list)) continue;
    np++;
    EVP_DigestUpdate(ctx, "proxy ", 6);
    EVP_DigestUpdate(ctx, m->pxs[p].name, strlen(m->pxs[p].name) + 1);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
  if (EVP_DigestFinal_ex(ctx, md, &n) == 1) hex_of(md, n, hex);
  EVP_MD_CTX_free(ctx);
  return json_pack("{s:I, s:I, s:I, s:s}", "scenarios", (json_int_t)ns, "proxies", (json_int_t)np, "cells",
                   (json_int_t)(ns * np), "digest", hex);
}

static json_t *shard_from_json(const struct run_args *a, const struct shard_auto *autos) {
  if (!autos) return a->shard ? json_pack("{s:s}", "how", "given") : json_null();
  json_t *vars = json_object();
  for (size_t i = 0; i < autos->nvars; i++) json_object_set_new(vars, autos->names[i], json_text(autos->values[i]));
  json_t *o = json_pack("{s:s, s:o}", "how", "auto", "variables", vars);
  json_object_set_new(o, "system", autos->system ? json_string(autos->system) : json_null());
  return o;
}

json_t *provenance_json(json_t *command, const struct run_args *a, const struct run_matrix *m,
                        const struct shard_auto *autos) {
  json_t *o = json_pack("{s:o, s:s}", "command", command ? command : json_null(), "badup_version", BADUP_VERSION);
  if (!o) return NULL;
  json_object_set_new(o, "selection",
                      json_pack("{s:o, s:o}", "proxy", a->proxy_list ? json_text(a->proxy_list) : json_null(),
                                "scenario", a->scenario_list ? json_text(a->scenario_list) : json_null()));
  if (a->o.proxy_config) {
    char hex[65];
    int rc = provenance_sha256_file(a->o.proxy_config, hex);
    if (rc < 0) {
      fprintf(stderr, "badup run: --proxy-config %s: cannot read it: %s\n", a->o.proxy_config, strerror(-rc));
      json_decref(o);
      return NULL;
    }
    json_object_set_new(o, "proxy_config", json_pack("{s:o, s:s}", "path", json_text(a->o.proxy_config), "sha256", hex));
  } else {
    json_object_set_new(o, "proxy_config", json_null());
  }
  json_object_set_new(o, "seed", json_integer((json_int_t)a->o.seed));
  json_t *set = json_array();
  for (size_t i = 0; i < a->o.nctx; i++) {
    char kv[1024];
    snprintf(kv, sizeof kv, "%s=%s", a->o.ctx[i].name, a->o.ctx[i].value);
    json_array_append_new(set, json_text(kv));
  }
  json_object_set_new(o, "set", set);
  json_object_set_new(o, "shard_from", shard_from_json(a, autos));
  json_t *cat = catalog_json(a, m);
  json_object_set_new(o, "catalog", cat ? cat : json_null());
  return o;
}
