/* run_matrix.c: what `badup run` runs: the scenario and proxy definitions, the selection
 * (--proxy, --scenario) and the shard made into rows, and the order of their cases. */
#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "paths.h"
#include "proxy_config.h"
#include "run_parts.h"
#include "shard_auto.h"
#include "usage.h"

struct scenario *run_load_scenarios(const char *dir, const struct run_opts *o, size_t *n, int *failures) {
  struct dirent **names;
  int k = scandir(dir, &names, NULL, alphasort);
  *n = 0;
  if (k < 0) return NULL;
  struct scenario *list = calloc((size_t)k + 1, sizeof *list);
  char rt[64], ct[64], clt[64], mb[32];
  snprintf(rt, sizeof rt, "%g", o->read_timeout);
  snprintf(ct, sizeof ct, "%g", o->connect_timeout);
  snprintf(clt, sizeof clt, "%g", o->client_timeout);
  snprintf(mb, sizeof mb, "%ld", o->max_body);
  /* The harness's values, then --set's (checked not to name these: the proxy gets the same). */
  struct ctx_var *ctx = calloc(5 + o->nctx, sizeof *ctx);
  if (!ctx) {
    *failures += 1;
    fprintf(stderr, "badup: out of memory\n");
    free(list);
    for (int i = 0; i < k; i++) free(names[i]);
    free(names);
    return NULL;
  }
  ctx[0] = (struct ctx_var){"read_timeout", rt};
  ctx[1] = (struct ctx_var){"connect_timeout", ct};
  ctx[2] = (struct ctx_var){"retries", o->retries ? "true" : "false"};
  ctx[3] = (struct ctx_var){"client_timeout", clt};
  ctx[4] = (struct ctx_var){"max_body", mb};
  for (size_t i = 0; i < o->nctx; i++) ctx[5 + i] = o->ctx[i];
  struct scenario_opts so = {.seed = o->seed, .ctx = ctx, .nctx = 5 + o->nctx};
  for (int i = 0; i < k; i++) {
    size_t len = strlen(names[i]->d_name);
    if (len > 4 && names[i]->d_name[0] != '.' && !strcmp(names[i]->d_name + len - 4, ".lua")) {
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
      char *full = realpath(path, NULL);
      struct buf err = {0};
      if (scenario_load(&list[*n], full ? full : path, &so, &err) == 0) {
        /* Metadata is all the harness needs; each case's simulator loads its own. */
        sandbox_close(&list[*n].sb);
        (*n)++;
      } else {
        fprintf(stderr, "%.*s\n", (int)err.len, err.data ? err.data : "");
        (*failures)++;
      }
      buf_free(&err);
      free(full);
    }
    free(names[i]);
  }
  free(names);
  free(ctx);
  return list;
}

bool run_selected(const char *name, const char *list) {
  if (!list || !strcmp(list, "all")) return true;
  char *copy = strdup(list), *save = NULL;
  bool hit = false;
  for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save)) hit = fnmatch(t, name, 0) == 0;
  free(copy);
  return hit;
}

/* Is name in the comma list as itself (not through 'all' or a glob)? */
static bool named_outright(const char *name, const char *list) {
  if (!list || !strcmp(list, "all")) return false;
  char *copy = strdup(list), *save = NULL;
  bool hit = false;
  for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save))
    hit = !strpbrk(t, "*?[") && !strcmp(t, name);
  free(copy);
  return hit;
}

/* Every name of a comma list must match something; a typo is a usage error. */
static const char *unmatched(const char *list, const char *const *names, size_t n, char *buf, size_t len) {
  if (!list || !strcmp(list, "all")) return NULL;
  char *copy = strdup(list), *save = NULL;
  const char *bad = NULL;
  for (char *t = strtok_r(copy, ",", &save); t && !bad; t = strtok_r(NULL, ",", &save)) {
    bool hit = false;
    for (size_t i = 0; i < n && !hit; i++) hit = fnmatch(t, names[i], 0) == 0;
    if (!hit) {
      snprintf(buf, len, "%s", t);
      bad = buf;
    }
  }
  free(copy);
  return bad;
}

/* How many upstreams a case of the scenario listens on (the proxy must send to them all). */
static int scenario_upstreams(const struct scenario *s) {
  return s->nupstreams;
}

int run_matrix_build(struct run_matrix *m, const struct run_args *a) {
  memset(m, 0, sizeof *m);
  m->scn_dir = repo_dir(a->scn_dir_arg);
  m->px_dir = repo_dir(a->px_dir_arg);
  if (!m->scn_dir || !m->px_dir)
    return cli_usage_error("run",
                           "cannot find the folder '%s' (run from the repository, or give --scenarios / --proxies)",
                           !m->scn_dir ? a->scn_dir_arg : a->px_dir_arg);
  int scn_failures = 0, px_failures = 0;
  m->scns = run_load_scenarios(m->scn_dir, &a->o, &m->nscn, &scn_failures);
  m->pxs = proxy_load_dir(m->px_dir, &m->npx, &px_failures);
  /* each counted by its own word: a user looks in --scenarios for the one, --proxies for the other */
  if (scn_failures)
    fprintf(stderr, "badup run: %d scenario file%s did not load\n", scn_failures, scn_failures == 1 ? "" : "s");
  if (px_failures)
    fprintf(stderr, "badup run: %d proxy definition%s did not load\n", px_failures, px_failures == 1 ? "" : "s");
  if (scn_failures || px_failures) return EXIT_SETUP;
  {
    const char **names = calloc(m->nscn + m->npx + 1, sizeof *names);
    char bad[128];
    for (size_t i = 0; i < m->nscn; i++) names[i] = m->scns[i].name;
    const char *u = unmatched(a->scenario_list, names, m->nscn, bad, sizeof bad);
    for (size_t i = 0; i < m->npx; i++) names[i] = m->pxs[i].name;
    const char *v = u ? NULL : unmatched(a->proxy_list, names, m->npx, bad, sizeof bad);
    free(names);
    if (u || v) {
      fprintf(stderr, "badup run: no %s matches '%s' (see 'badup list')\n", u ? "scenario" : "proxy", bad);
      return EXIT_SETUP;
    }
  }
  m->selected_px = 0;
  for (size_t p = 0; p < m->npx; p++)
    if (run_selected(m->pxs[p].name, a->proxy_list)) {
      proxy_probe(&m->pxs[p]);
      m->selected_px++;
    }
  if (a->o.proxy_config && m->selected_px != 1) {
    fprintf(stderr, "badup run: --proxy-config needs exactly one --proxy\n");
    return EXIT_SETUP;
  }
  {
    /* A proxy named outright (not 'all', not a glob) that is not installed is a set-up
     * error: skipped, it would make a green run that tested nothing. */
    const char *missing = NULL;
    size_t runnable = 0;
    for (size_t p = 0; p < m->npx; p++) {
      if (!run_selected(m->pxs[p].name, a->proxy_list)) continue;
      if (m->pxs[p].binary) runnable++;
      else if (!missing && named_outright(m->pxs[p].name, a->proxy_list)) missing = m->pxs[p].name;
    }
    for (size_t p = 0; missing && p < m->npx; p++)
      if (!strcmp(m->pxs[p].name, missing)) {
        fprintf(stderr,
                "badup run: %s is not installed (looked for %s); install it (sh scripts/install-deps.sh proxies) "
                "or leave it out of --proxy\n",
                missing, m->pxs[p].binaries[0]);
        return EXIT_SETUP;
      }
    if (!runnable) {
      fprintf(stderr, "badup run: none of the selected proxies is installed (see 'badup list')\n");
      return EXIT_SETUP;
    }
  }
  /* A user's config must not reach outside the case: refused before any case runs, with
   * every problem found, so that one edit can fix them all. */
  for (size_t p = 0; a->o.proxy_config && p < m->npx; p++) {
    if (!run_selected(m->pxs[p].name, a->proxy_list)) continue;
    struct buf report = {0};
    int problems = proxy_config_check(&m->pxs[p], a->o.proxy_config, &report);
    if (problems > 0 && proxy_config_interrupted()) {
      buf_free(&report);
      fprintf(stderr, "badup run: interrupted while %s was checked; nothing was run\n", a->o.proxy_config);
      return EXIT_INTERRUPTED;
    }
    if (problems > 0) {
      const char *r = buf_cstr(&report);
      while (*r) {
        size_t n = strcspn(r, "\n");
        fprintf(stderr, "badup run: %.*s\n", (int)n, r);
        r += n + (r[n] == '\n');
      }
      fprintf(stderr, "badup run: %s: %d problem%s; nothing was run\n", a->o.proxy_config, problems,
              problems == 1 ? "" : "s");
    }
    buf_free(&report);
    if (problems > 0) return EXIT_SETUP;
  }
  /* A user's config that does not write every upstream sends to the first only. */
  char *config_text = a->o.proxy_config ? fileio_slurp(a->o.proxy_config, 0, NULL) : NULL;
  m->rows = calloc(m->nscn * m->npx + 1, sizeof *m->rows);
  size_t cell = 0, nselected = 0;
  for (size_t s = 0; s < m->nscn; s++) nselected += run_selected(m->scns[s].name, a->scenario_list);
  for (size_t p = 0; p < m->npx; p++) {
    if (!run_selected(m->pxs[p].name, a->proxy_list)) continue;
    for (size_t s = 0; s < m->nscn; s++) {
      if (!run_selected(m->scns[s].name, a->scenario_list)) continue;
      /* Shards interleave, so every shard gets a share of the slow cases. */
      size_t here = cell++;
      if ((long)shard_of_cell(here, nselected, (size_t)a->shard_n) != a->shard_i - 1) continue;
      struct row *r = &m->rows[m->nrows++];
      r->cell = here;
      r->proxy = &m->pxs[p];
      r->scn = &m->scns[s];
      r->verdict = VERDICT_NOT_RUN;
      r->repeat = (int)a->repeat;
      if (a->repeat > 1) r->more = calloc((size_t)a->repeat - 1, sizeof *r->more);
      const struct proxy_def *px = &m->pxs[p];
      const struct scenario *sc = r->scn;
      if (!px->binary)
        snprintf(r->reason, sizeof r->reason, "%s is not installed (looked for %s)", px->name, px->binaries[0]);
      /* The first reason that applies is the one given: a forward scenario with several
       * upstreams before upstreams.why, which is the reverse mode's; then the upstreams it
       * cannot send to, its forward mode (with authentication), a TLS or HTTP/2 upstream it has
       * no variant for, a value it would get rounded. */
      bool skipped =
          !px->binary ||
          proxy_forward_several_refuse(px, sc->forward, sc->forward_auth, scenario_upstreams(sc), r->reason,
                                       sizeof r->reason) ||
          proxy_upstreams_refuse(px, scenario_upstreams(sc), config_text, r->reason, sizeof r->reason) ||
          proxy_forward_refuse(px, sc->forward, sc->forward_auth, r->reason, sizeof r->reason) ||
          proxy_upstream_tls_refuse(px, case_is_tls(sc, &a->o), sc->forward, config_text, r->reason,
                                    sizeof r->reason) ||
          proxy_upstream_http2_refuse(px, case_is_http2(sc), sc->forward, config_text, r->reason, sizeof r->reason) ||
          proxy_granularity_refuse(px, a->o.connect_timeout, case_read_timeout(sc, &a->o), a->o.client_timeout,
                                   a->o.max_body, r->reason, sizeof r->reason) ||
          proxy_client_tls_refuse(px, sc->name, sc->client_tls, sc->forward || px->forward, a->o.client_tls, r->reason,
                                  sizeof r->reason) ||
          proxy_client_http2_refuse(px, sc->name, sc->client || sc->client_request, sc->forward || px->forward,
                                    a->o.client_http2, a->o.client_tls, r->reason, sizeof r->reason);
      if (skipped) {
        r->verdict = VERDICT_SKIPPED;
        for (int k = 0; k < r->repeat; k++) case_set_got(row_run(r, k), CASE_SKIPPED);
      }
    }
  }
  free(config_text);
  if (m->nrows == 0 && a->shard_n == 1) {
    fprintf(stderr, "badup run: nothing selected\n");
    return EXIT_SETUP;
  }
  return 0;
}

void run_matrix_free(struct run_matrix *m) {
  for (size_t i = 0; m->rows && i < m->nrows; i++) free(m->rows[i].more);
  free(m->rows);
  for (size_t i = 0; i < m->nscn; i++) scenario_unload(&m->scns[i]);
  free(m->scns);
  proxy_free_all(m->pxs, m->npx);
  free(m->scn_dir);
  free(m->px_dir);
  memset(m, 0, sizeof *m);
}

/* Longest expected cases first, by the time each took when the reference was recorded;
 * unknown ones count as long, so they start early too. */
struct run_job *run_order_by_reference(const struct row *rows, size_t nrows, int repeat, struct reference **refs,
                                       const struct proxy_def *pxs, double unknown_ms, size_t *njobs) {
  *njobs = nrows * (size_t)repeat;
  struct run_job *jobs = calloc(*njobs ? *njobs : 1, sizeof *jobs);
  double *est = calloc(*njobs ? *njobs : 1, sizeof *est);
  if (!jobs || !est) {
    free(jobs), free(est);
    return NULL;
  }
  for (size_t i = 0; i < nrows; i++) {
    double e = reference_case_ms(refs[rows[i].proxy - pxs], rows[i].proxy->version, rows[i].scn->name, unknown_ms);
    for (int k = 0; k < repeat; k++) {
      /* repetitions of one row spread over the run rather than all at once */
      size_t j = (size_t)k * nrows + i;
      jobs[j] = (struct run_job){i, k};
      est[j] = e;
    }
  }
  for (size_t i = 1; i < *njobs; i++)
    for (size_t j = i; j > 0 && est[j - 1] < est[j]; j--) {
      struct run_job t = jobs[j];
      jobs[j] = jobs[j - 1];
      jobs[j - 1] = t;
      double te = est[j];
      est[j] = est[j - 1];
      est[j - 1] = te;
    }
  free(est);
  return jobs;
}
