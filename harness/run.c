/* run.c: `badup run`: the scenario catalog through real proxies, in parallel, with a
 * verdict per case. The stages are run_parts.h's; this file reads the command line, runs
 * them in order, and writes what the run found: the results, the reference, the table. */
#include "run.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "confine.h"
#include "files.h"
#include "paths.h"
#include "proc.h"
#include "provenance.h"
#include "reference.h"
#include "results.h"
#include "results_render.h"
#include "run_parts.h"
#include "run_tls.h"
#include "shard_auto.h"
#include "timeouts.h"
#include "usage.h"
#include "verdict.h"

void run_usage(FILE *out) {
  fprintf(out,
        "usage: badup run [options]\n"
        "\n"
        "Run the scenario catalog through real proxies: for every proxy x scenario, a fresh\n"
        "simulator and a fresh proxy on kernel-chosen ports, the scenario's request(s)\n"
        "through the proxy, and a verdict (below) from what its client saw.\n"
        "\n"
        "options:\n"
        "  --proxy LIST           proxies, comma-separated, or 'all' (default: all installed)\n"
        "  --scenario LIST        scenario names or globs, comma-separated (default: all)\n"
        "                         (an HTTP/2 scenario, h2_*, runs through a proxy's\n"
        "                         upstream_http2 variant; a proxy without one skips it)\n"
        "  --jobs N               cases in parallel (default: 4 per core); whatever N, no\n"
        "                         more cases than cores start their proxy at once\n"
        "  --shard I/N            run only the I-th of N slices of the matrix (1-based)\n"
        "  --shard auto           the slice the CI's parallel job is: BADUP_SHARD_INDEX/\n"
        "                         BADUP_SHARD_TOTAL (set them from a GitHub Actions matrix),\n"
        "                         GitLab's CI_NODE_INDEX/CI_NODE_TOTAL, Buildkite's\n"
        "                         BUILDKITE_PARALLEL_JOB/_COUNT, CircleCI's CIRCLE_NODE_INDEX/\n"
        "                         CIRCLE_NODE_TOTAL; none set: the whole matrix (docs/ci.md)\n"
        "  --out DIR              results folder (default results/<timestamp>, and\n"
        "                         results/latest points at it): results.json, .csv,\n"
        "                         junit.xml, report.md, index.html (the results page:\n"
        "                         badup page --help), cases/\n"
        "  --proxy-config FILE    use FILE as the proxy's main config (one proxy only);\n"
        "                         ${upstream_port}, ${proxy_port}, ... are substituted.\n"
        "                         Refused before any case (exit 2) unless it listens on\n"
        "                         ${proxy_port}, sends to ${upstream_port}, writes only\n"
        "                         under ${dir} and passes the proxy's own checker\n"
        "  --retries              let proxies retry the upstream (off by default)\n"
        "  --client-tls           the proxies' frontends speak TLS with a certificate of the run's\n"
        "                         own CA (OUT/tls/ca.crt), which the client verifies; proxies\n"
        "                         without a TLS frontend are skipped\n"
        "  --client-http2         the client speaks HTTP/2 to the proxies: h2c with prior\n"
        "                         knowledge, or with --client-tls ALPN h2 (a proxy that chooses\n"
        "                         http/1.1 is an error); proxies without an HTTP/2 frontend, and\n"
        "                         scenarios whose client sends raw HTTP/1 bytes, are skipped;\n"
        "                         judged against the proxy's \"+ch2\" reference\n"
        "  --upstream-tls         every upstream speaks TLS with a certificate of the run's\n"
        "                         own CA (OUT/tls/), which each proxy verifies (its\n"
        "                         upstream_tls variant; a proxy without one is skipped);\n"
        "                         judged against the proxy's \"+tls\" reference\n"
        "  --connect-timeout S    upstream connect timeout given to proxies (default %g)\n"
        "  --read-timeout S       upstream read timeout given to proxies (default %g)\n"
        "  --client-timeout S     client-side timeouts given to proxies: to receive the\n"
        "                         request head, and between request body bytes (default %g;\n"
        "                         where a proxy has such a directive: badup list)\n"
        "  --max-body BYTES       the largest request body proxies accept (default %ld)\n"
        "                         A value a proxy takes only in steps (whole seconds, KiB:\n"
        "                         badup list) skips its cases when off the step\n"
        "  --update-reference     record this run's outcomes as the reference (with\n"
        "                         --proxies, into a --reference folder of your own)\n"
        "  --reference DIR        reference folder (default results/reference)\n"
        "  --scenarios DIR        scenario folder (default scenarios)\n"
        "  --proxies DIR          proxy definitions (default harness/proxies)\n"
        "  --seed N               seed passed to the simulator (default 1)\n"
        "  --set NAME=VALUE       add to the ctx table the scenarios see, in the harness\n"
        "                         and in the simulator (an expect can read ctx.NAME);\n"
        "                         \"true\"/\"false\" are booleans, numbers are numbers;\n"
        "                         repeatable, also with --proxy-config\n"
        "  --repeat N             run every case N times (1-100) and report the outcomes'\n"
        "                         distribution; cases whose outcome varies are 'unstable'\n"
        "  -q, --quiet            no progress, only the table\n"
        "  -h, --help             this help\n"
        "\n"
        "Outcomes (what the client saw; README.md has the table): NNN (a complete final\n"
        "response), NNN+truncated (then a FIN before its end), NNN+reset, NNN+invalid,\n"
        "NNN+timeout, NNN+aborted (the client part reset it); with no final response:\n"
        "closed (FIN; 1xx are never final), reset, timeout, refused, invalid, aborted;\n"
        "tls (--client-tls: the handshake with the proxy failed);\n"
        "over HTTP/2 (--client-http2): NNN+rst(CODE) (RST_STREAM after the status, CODE its\n"
        "RFC 9113 name: INTERNAL_ERROR, CANCEL, ...; meets an expected NNN+truncated),\n"
        "rst(CODE) (before it), goaway(CODE) and NNN+goaway(CODE) (a GOAWAY left it unfinished);\n"
        "http09 (bytes with no status line); error; proxy_died.\n"
        "\n"
                "Verdicts: pass (what RFC 9110 expects, and the scenario's checks hold), deviates\n"
        "(differs, but matches the proxy's recorded reference for its version), unstable\n"
        "(the outcome varies from run to run, or the reference saw it vary: never a\n"
        "failure), fail, error (the case could not be run, or the scenario raised an\n"
        "error), skipped (not run, with why: the proxy is not installed, has no forward\n"
        "mode or no Basic proxy authentication for a scenario that needs one, sends to\n"
        "fewer upstreams than the scenario has, has no TLS or HTTP/2 upstream variant for\n"
        "a scenario whose upstream speaks it, or takes a value of the run only in steps\n"
        "it is not on: badup list), not_run (in results.json: the run was\n"
        "interrupted before the case finished).\n"
        "\n"
        "--out: a new or empty folder, or the folder of an earlier run, which is replaced\n"
        "(its cases/ and result files); anything else is refused.\n"
        "\n"
        "Exit codes: 0 nothing failed, 1 a case failed, 2 usage or set-up error (also when a\n"
        "case could not be run or its scenario raised: verdict error), 130 interrupted\n"
        "(results of finished cases are still written).\n",
        BADUP_CONNECT_TIMEOUT_S, BADUP_READ_TIMEOUT_S, BADUP_CLIENT_TIMEOUT_S, BADUP_MAX_BODY);
}

/* Is given the shipped harness/proxies (the same folder, however it is spelled)? */
static bool shipped_proxies(const char *given) {
  char *mine = repo_dir(given), *shipped = repo_dir("harness/proxies");
  char *a = mine ? realpath(mine, NULL) : NULL, *b = shipped ? realpath(shipped, NULL) : NULL;
  bool same = a && b && !strcmp(a, b);
  free(a);
  free(b);
  free(mine);
  free(shipped);
  return same;
}

static const char *env_get(const char *name) { return getenv(name); }

/* The shard --shard auto reads from the CI's variables (shard_auto.h) into a. 0, or -1
 * after saying why. */
static struct shard_auto shard_auto_seen;

static int shard_auto_apply(struct run_args *a) {
  char why[512];
  if (shard_auto_read(env_get, &shard_auto_seen, why, sizeof why) != 0) {
    fprintf(stderr, "badup run: %s\n", why);
    return -1;
  }
  if (!shard_auto_seen.found) {
    fprintf(stderr, "badup run: --shard auto: no CI shard variable is set (BADUP_SHARD_INDEX/BADUP_SHARD_TOTAL, "
                    "CI_NODE_INDEX/CI_NODE_TOTAL, BUILDKITE_PARALLEL_JOB/_COUNT, CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL): "
                    "running the whole matrix, 1/1\n");
    return 0;
  }
  a->shard_i = shard_auto_seen.index;
  a->shard_n = shard_auto_seen.total;
  snprintf(a->shard_text, sizeof a->shard_text, "%ld/%ld", a->shard_i, a->shard_n);
  a->shard = a->shard_text;
  return 0;
}

/* Cases in flight by default: a case mostly waits on a timeout (a run of 2 per core used a
 * fifth of the CPU), and the start gate (start_gate.h) keeps the starts, the part that works,
 * to one per core. More in flight would crowd the timers that the verdicts read. */
#define RUN_JOBS_PER_CORE 4

static long run_default_jobs(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  long jobs = (cores < 1 ? 1 : cores) * RUN_JOBS_PER_CORE;
  return jobs > 64 ? 64 : jobs;
}

/* The command line into *a. 0; -1 after --help (exit 0); or EXIT_SETUP after saying why. */
static int parse_run_args(int argc, char **argv, struct run_args *a) {
  *a = (struct run_args){.shard_i = 1,
                         .shard_n = 1,
                         .ref_dir_arg = "results/reference",
                         .scn_dir_arg = "scenarios",
                         .px_dir_arg = "harness/proxies",
                         .jobs = run_default_jobs(),
                         .repeat = 1,
                         .o = {.connect_timeout = BADUP_CONNECT_TIMEOUT_S,
                               .read_timeout = BADUP_READ_TIMEOUT_S,
                               .client_timeout = BADUP_CLIENT_TIMEOUT_S,
                               .max_body = BADUP_MAX_BODY,
                               .seed = 1}};
  enum {
    O_PROXY = 1, O_SCEN, O_JOBS, O_SHARD, O_OUT, O_PCONF, O_RETRIES, O_CT, O_RT, O_UPD, O_REF, O_SDIR, O_PDIR, O_SEED,
    O_REPEAT, O_SET, O_CLT, O_MAXB, O_CTLS, O_UPTLS, O_CH2
  };
  static const struct option longopts[] = {
      {"proxy", required_argument, NULL, O_PROXY},   {"scenario", required_argument, NULL, O_SCEN},
      {"jobs", required_argument, NULL, O_JOBS},     {"shard", required_argument, NULL, O_SHARD},
      {"out", required_argument, NULL, O_OUT},       {"proxy-config", required_argument, NULL, O_PCONF},
      {"retries", no_argument, NULL, O_RETRIES},     {"upstream-tls", no_argument, NULL, O_UPTLS},
      {"connect-timeout", required_argument, NULL, O_CT},
      {"read-timeout", required_argument, NULL, O_RT}, {"update-reference", no_argument, NULL, O_UPD},
      {"reference", required_argument, NULL, O_REF}, {"scenarios", required_argument, NULL, O_SDIR},
      {"proxies", required_argument, NULL, O_PDIR},  {"seed", required_argument, NULL, O_SEED},
      {"repeat", required_argument, NULL, O_REPEAT}, {"quiet", no_argument, NULL, 'q'},
      {"set", required_argument, NULL, O_SET},
      {"client-timeout", required_argument, NULL, O_CLT}, {"max-body", required_argument, NULL, O_MAXB},
      {"client-tls", no_argument, NULL, O_CTLS},     {"client-http2", no_argument, NULL, O_CH2},
      {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case O_PROXY: a->proxy_list = optarg; break;
    case O_SCEN: a->scenario_list = optarg; break;
    case O_JOBS:
      a->jobs = strtol(optarg, &end, 10);
      if (!*optarg || *end || a->jobs < 1 || a->jobs > 64)
        return cli_usage_error("run", "--jobs wants 1 to 64, got '%s'", optarg);
      break;
    case O_REPEAT:
      a->repeat = strtol(optarg, &end, 10);
      if (!*optarg || *end || a->repeat < 1 || a->repeat > 100)
        return cli_usage_error("run", "--repeat wants 1 to 100, got '%s'", optarg);
      break;
    case O_SHARD:
      if (!strcmp(optarg, "auto")) {
        a->shard_auto = true;
        a->shard = NULL;
        break;
      }
      a->shard_auto = false;
      int used = 0;
      if (sscanf(optarg, "%ld/%ld%n", &a->shard_i, &a->shard_n, &used) != 2 || optarg[used] || a->shard_n < 1 ||
          a->shard_i < 1 || a->shard_i > a->shard_n || a->shard_n > 10000)
        return cli_usage_error("run", "--shard wants I/N with 1 <= I <= N, or auto, got '%s'", optarg);
      a->shard = optarg;
      break;
    case O_OUT:
      if (!*optarg) return cli_usage_error("run", "%s", "--out wants a folder");
      a->out_arg = optarg;
      break;
    case O_PCONF: a->o.proxy_config = optarg; break;
    case O_RETRIES: a->o.retries = true; break;
    case O_CTLS: a->o.client_tls = true; break;
    case O_CH2: a->o.client_http2 = true; break;
    case O_UPTLS: a->o.upstream_tls = true; break;
    case O_CT:
    case O_RT: {
      double v = strtod(optarg, &end);
      /* Proxies take milliseconds at best, and 0 is "no timeout" to several of them. */
      if (!*optarg || *end || !(v >= 0.001) || v > 600)
        return cli_usage_error("run", "timeouts want seconds from 0.001 to 600, got '%s'", optarg);
      if (opt == O_CT) a->o.connect_timeout = v; else a->o.read_timeout = v;
      break;
    }
    case O_CLT:
      if (proxy_client_timeout_arg("run", optarg, &a->o.client_timeout)) return USAGE_EXIT;
      break;
    case O_MAXB:
      if (proxy_max_body_arg("run", optarg, &a->o.max_body)) return USAGE_EXIT;
      break;
    case O_UPD: a->update_ref = true; break;
    case O_REF:
      a->ref_dir_arg = optarg;
      a->ref_given = true;
      break;
    case O_SDIR: a->scn_dir_arg = optarg; break;
    case O_PDIR: a->px_dir_arg = optarg; break;
    case O_SEED:
      a->o.seed = strtoul(optarg, &end, 10);
      if (!*optarg || *end) return cli_usage_error("run", "--seed wants a number, got '%s'", optarg);
      break;
    case O_SET: {
      char *eq = strchr(optarg, '=');
      size_t nlen = eq ? (size_t)(eq - optarg) : 0;
      if (!eq || !nlen || strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != nlen ||
          (optarg[0] >= '0' && optarg[0] <= '9'))
        return cli_usage_error("run", "--set wants NAME=VALUE with NAME a Lua name, got '%s'", optarg);
      /* The harness's own values go to the proxy too: set by their options, so both agree. */
      static const char *const own[][2] = {{"read_timeout", "--read-timeout"},
                                           {"connect_timeout", "--connect-timeout"}, {"retries", "--retries"},
                                           {"client_timeout", "--client-timeout"}, {"max_body", "--max-body"}};
      for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (strlen(own[i][0]) == nlen && !strncmp(optarg, own[i][0], nlen))
          return cli_usage_error("run", "--set %s: give %s instead (the proxy gets it too)", own[i][0], own[i][1]);
      if (a->o.nctx == RUN_MAX_SET) return cli_usage_error("run", "at most %d --set options", RUN_MAX_SET);
      *eq = 0;
      a->set[a->o.nctx++] = (struct ctx_var){optarg, eq + 1};
      a->o.ctx = a->set;
      break;
    }
    case 'q': a->quiet = true; break;
    case 'h': run_usage(stdout); return -1;
    case ':': return cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
  if (a->shard_auto && shard_auto_apply(a) != 0) return EXIT_SETUP;
  struct stat pc_st;
  if (a->o.proxy_config && (stat(a->o.proxy_config, &pc_st) != 0 || access(a->o.proxy_config, R_OK) != 0))
    return cli_usage_error("run", "--proxy-config %s: cannot read it: %s", a->o.proxy_config, strerror(errno));
  if (a->o.proxy_config && !S_ISREG(pc_st.st_mode))
    return cli_usage_error("run", "--proxy-config %s is not a file", a->o.proxy_config);
  /* The reference records what a proxy version does with its shipped definition; a user's
   * config answering differently would be filed under that version and mislead later runs. */
  if (a->o.proxy_config && a->update_ref)
    return cli_usage_error("run", "%s", "--update-reference records the shipped definitions' answers; it cannot go "
                                        "with --proxy-config");
  /* The shipped reference holds the shipped definitions' answers: a user's definition of the
   * same name would overwrite them. */
  if (a->update_ref && !a->ref_given && !shipped_proxies(a->px_dir_arg))
    return cli_usage_error("run", "%s", "--update-reference with --proxies records a reference for your definitions: "
                                        "give --reference DIR");
  return 0;
}

/* The reference folder: --reference, made when this run is to record one there. NULL after
 * saying why. */
static char *reference_dir(const struct run_args *a) {
  struct stat st;
  if (stat(a->ref_dir_arg, &st) == 0 && !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "badup run: --reference %s is not a folder\n", a->ref_dir_arg);
    return NULL;
  }
  char *dir = repo_dir(a->ref_dir_arg);
  if (dir) return dir;
  /* A --reference that does not exist is a typo unless this run is to record one: read as
   * empty, it would turn every known deviation into a failure. */
  if (!a->update_ref && a->ref_given) {
    fprintf(stderr, "badup run: --reference %s: no such folder (give --update-reference to record one there)\n",
            a->ref_dir_arg);
    return NULL;
  }
  if (a->update_ref && run_mkdirs(a->ref_dir_arg) != 0) {
    fprintf(stderr, "badup run: --reference %s: cannot create it: %s\n", a->ref_dir_arg, strerror(errno));
    return NULL;
  }
  return strdup(a->ref_dir_arg);
}

/* Every proxy's reference, before any case: one that exists but does not load stops the run
 * (judged against it, the run would be judged against nothing; recorded over, what it held
 * would be lost). NULL after saying why. */
static struct reference **load_references(const struct run_args *a, const struct run_matrix *m, const char *dir) {
  struct reference **refs = calloc(m->npx ? m->npx : 1, sizeof *refs);
  if (!refs) {
    fprintf(stderr, "badup run: out of memory\n");
    return NULL;
  }
  for (size_t p = 0; p < m->npx; p++) {
    if (!run_selected(m->pxs[p].name, a->proxy_list)) continue; /* no rows: nothing to judge */
    char key[256], why[1024];
    reference_key(key, sizeof key, m->pxs[p].name, a->o.retries, a->o.upstream_tls, a->o.client_tls,
                  a->o.client_http2);
    if ((refs[p] = reference_load(dir, key, why, sizeof why))) continue;
    fprintf(stderr, "badup run: %s\n", why);
    for (size_t q = 0; q < p; q++) reference_free(refs[q]);
    free(refs);
    return NULL;
  }
  return refs;
}

static void announce(const struct run_args *a, const struct run_matrix *m, long jobs, const char *out) {
  size_t installed = 0, nsel = 0;
  for (size_t p = 0; p < m->npx; p++) installed += run_selected(m->pxs[p].name, a->proxy_list) && m->pxs[p].binary;
  for (size_t i = 0; i < m->nscn; i++) nsel += run_selected(m->scns[i].name, a->scenario_list);
  char reps[48] = "";
  if (a->repeat > 1) snprintf(reps, sizeof reps, ", each run %ld times", a->repeat);
  fprintf(stderr,
          "badup run: %zu cases%s (%zu proxies installed of %zu selected, %zu scenarios), %ld jobs, results in %s\n",
          m->nrows, reps, installed, m->selected_px, nsel, jobs, out);
}

/* Rows that did not finish all their runs: no verdict, and no half-filled case folder that
 * could be read as evidence. */
static void drop_unfinished(struct run_matrix *m, const char *out) {
  for (size_t i = 0; i < m->nrows; i++) {
    struct row *r = &m->rows[i];
    if (r->verdict == VERDICT_SKIPPED || atomic_load(&r->runs_done) >= r->repeat) continue;
    r->verdict = VERDICT_NOT_RUN;
    r->r.ran = false;
    /* An in-flight case stopped by the interrupt may hold "setup_error": that is the
     * interrupt, not the proxy, so not_run cells all say nothing (got ""). */
    r->r.got[0] = '\0';
    r->outcomes[0] = r->alternatives[0] = '\0';
    snprintf(r->reason, sizeof r->reason, "the run was interrupted");
    for (int k = 0; k < r->repeat; k++) {
      char dir[PATH_MAX];
      run_case_dir(out, r, k, dir, sizeof dir);
      files_remove_tree(dir);
    }
  }
}

/* Is some case to be run with a TLS upstream (a skipped one needs no certificates)? */
static bool run_needs_tls(const struct run_matrix *m, const struct run_opts *o) {
  for (size_t i = 0; i < m->nrows; i++)
    if (m->rows[i].verdict != VERDICT_SKIPPED && case_is_tls(m->rows[i].scn, o)) return true;
  return false;
}

/* results/latest -> <folder>, replaced atomically. */
static void link_latest(const char *out) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "results/latest.tmp.%d", (int)getpid());
  unlink(tmp);
  const char *base = strrchr(out, '/');
  if (symlink(base ? base + 1 : out, tmp) == 0 && rename(tmp, "results/latest") != 0) unlink(tmp);
}

/* Records the rows of proxy p that ran and were judged, errors aside (a case that could not
 * run says nothing about the proxy), into its reference. 0, or -errno. */
static int record_reference(const char *dir, const char *key, const struct proxy_def *p, const struct row *rows,
                            size_t n) {
  struct reference_record *recs = calloc(n ? n : 1, sizeof *recs);
  if (!recs) return -ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    if (r->proxy != p || !r->r.ran || !verdict_info[r->verdict].judged || r->verdict == VERDICT_ERROR) continue;
    struct reference_record *rec = &recs[k++];
    *rec = (struct reference_record){.scenario = r->scn->name,
                                     .got = row_got(r),
                                     .expect = scenario_expect_text(r->scn),
                                     .elapsed_ms = r->r.elapsed_ms,
                                     .case_ms = r->r.elapsed_ms + r->r.overhead_ms,
                                     .upstream_attempts = r->r.attempts,
                                     .proxy_log = r->r.proxy_log,
                                     .digest = r->scn->digest};
    for (int rep = 0; rep < r->repeat && rec->nseen < REFERENCE_SEEN_MAX; rep++) {
      const struct case_result *cr = row_run_const(r, rep);
      if (cr->ran && !reference_record_seen(rec, cr->got)) rec->seen[rec->nseen++] = cr->got;
    }
  }
  int rc = reference_update(dir, key, p->version, p->binary, recs, k);
  free(recs);
  return rc;
}

/* --update-reference: says what changes, records every installed selected proxy's rows, then
 * judges the rows again against what it recorded: the table then says what the reference
 * now holds (a deviation, not a failure for lack of one). Returns false when a reference
 * could not be written. */
static bool record_run(const struct run_args *a, struct run_matrix *m, struct reference **refs, const char *ref_dir) {
  bool ok = true;
  for (size_t i = 0; i < m->nrows; i++) {
    struct row *r = &m->rows[i];
    if (!r->r.ran || r->verdict == VERDICT_ERROR) continue;
    const char *was = r->reference_version[0] && !strcmp(r->reference_version, r->proxy->version) ? r->reference : NULL;
    if (was && !strcmp(was, row_got(r)) && r->verdict != VERDICT_UNSTABLE) continue;
    if (!a->quiet)
      fprintf(stderr, "badup run: recording %s %s / %s: %s%s%s\n", r->proxy->name, r->proxy->version, r->scn->name,
              was ? was : "(new)", was ? " -> " : " ", r->outcomes[0] ? r->outcomes : row_got(r));
  }
  for (size_t p = 0; p < m->npx; p++) {
    if (!m->pxs[p].binary || !run_selected(m->pxs[p].name, a->proxy_list)) continue;
    char key[256];
    reference_key(key, sizeof key, m->pxs[p].name, a->o.retries, a->o.upstream_tls, a->o.client_tls,
                  a->o.client_http2);
    int urc = record_reference(ref_dir, key, &m->pxs[p], m->rows, m->nrows);
    if (urc < 0) {
      fprintf(stderr, "badup run: updating the reference of %s in %s: %s\n", m->pxs[p].name, ref_dir, strerror(-urc));
      ok = false;
    }
    reference_free(refs[p]);
    char why[1024];
    if (!(refs[p] = reference_load(ref_dir, key, why, sizeof why))) {
      fprintf(stderr, "badup run: %s\n", why);
      ok = false;
    }
  }
  for (size_t i = 0; i < m->nrows; i++)
    if (m->rows[i].r.ran && atomic_load(&m->rows[i].runs_done) == m->rows[i].repeat)
      verdict_judge(&m->rows[i], refs[m->rows[i].proxy - m->pxs]);
  return ok;
}

/* The table, the counts and the rows that need a look, on stdout. Returns the highest exit
 * code a verdict asks for. */
static int print_closing(const struct run_matrix *m, const struct run_info *info, const char *out, const json_t *doc) {
  if (doc) results_render_table(stdout, doc, false);
  else results_table(stdout, m->rows, m->nrows, false);
  size_t c[VERDICT__COUNT] = {0};
  int worst = 0;
  for (size_t i = 0; i < m->nrows; i++) {
    c[m->rows[i].verdict]++;
    if (verdict_info[m->rows[i].verdict].exit > worst) worst = verdict_info[m->rows[i].verdict].exit;
  }
  char counts[256];
  verdict_summary(counts, sizeof counts, c);
  printf("\n%zu cases: %s%s; %.1f s; results in %s\n", m->nrows, counts, info->interrupted ? " (interrupted)" : "",
         info->duration_s, out);
  for (size_t i = 0; i < m->nrows; i++) {
    const struct row *r = &m->rows[i];
    const char *listed = verdict_info[r->verdict].listed;
    if (!listed) continue;
    printf("%s %s/%s: expected %s, got %s (%s)\n", listed, r->proxy->name, r->scn->name, scenario_expect_text(r->scn),
           r->outcomes[0] ? r->outcomes : r->r.got, r->reason);
  }
  /* Why cells show "-" (no forward mode, a value the proxy cannot take, one upstream only,
   * not installed): each reason once, with how many cases it skipped. */
  if (doc) results_render_skipped(stdout, doc, "SKIPPED ");
  /* More upstream requests than the client sent though --retries was not given: a config
   * that retries (a user's, most often), or the re-send of an idempotent request after a
   * reused connection closed, which a proxy may do by default and keepalive_race expects.
   * Both are said, so that a shipped definition is not blamed for the second. */
  json_int_t retried = json_integer_value(json_object_get(doc, "retries_seen"));
  if (retried > 0 && !info->opts->retries)
    printf("RETRIES SEEN %lld case%s: upstream got more requests than the client sent with --retries off: a "
           "config that retries, or a re-send after a reused connection closed (RFC 9112 9.3.1; keepalive_race "
           "expects it) (\"retried\" in results.json)\n",
           (long long)retried, retried == 1 ? "" : "s");
  fflush(stdout);
  /* A run that tested nothing must not pass in CI: every selected case was skipped. */
  size_t judged = 0;
  for (int v = 0; v < VERDICT__COUNT; v++) judged += verdict_info[v].judged ? c[v] : 0;
  if (!judged && m->nrows && !info->interrupted) {
    fprintf(stderr, "badup run: no case ran: every selected case was skipped (the reasons are above)\n");
    if (worst < EXIT_SETUP) worst = EXIT_SETUP;
  }
  return worst;
}

int run_main(int argc, char **argv) {
  struct run_args a;
  json_t *command = provenance_command(argc, argv), *provenance = NULL, *doc = NULL;
  int rc = parse_run_args(argc, argv, &a);
  if (rc) {
    json_decref(command);
    return rc < 0 ? 0 : rc;
  }
  struct run_matrix m;
  struct reference **refs = NULL;
  char *ref_dir = NULL;
  char out[PATH_MAX] = "", started[32], stamp[32];
  rc = EXIT_SETUP;
  int built = run_matrix_build(&m, &a);
  if (built != 0) {
    rc = built; /* EXIT_SETUP, or EXIT_INTERRUPTED while a config was checked */
    goto done;
  }
  provenance = provenance_json(command, &a, &m, a.shard_auto ? &shard_auto_seen : NULL);
  command = NULL;
  if (!provenance) goto done;
  if (!(ref_dir = reference_dir(&a))) goto done;
  if (!(refs = load_references(&a, &m, ref_dir))) goto done;
  if (a.o.proxy_config) {
    /* What the checks of the config cannot see (a path built from a variable, a program the
     * config runs), the mounts stop: the proxy's writes outside its case fail. Where this
     * process may not confine (no CAP_SYS_ADMIN), the run says so once and goes on with the
     * checks alone. */
    char why[512];
    a.o.confine = confine_probe(why, sizeof why) == 0;
    if (!a.o.confine)
      fprintf(stderr,
              "badup run: warning: cannot confine the proxy's writes to its case folder (%s); only the checks of %s "
              "keep it there\n",
              why, a.o.proxy_config);
  }
  run_iso_now(started, sizeof started, stamp, sizeof stamp);
  if (run_prepare_out("run", a.out_arg, stamp, started, out, sizeof out, a.quiet) != 0) goto done;
  /* One set of certificates for every TLS case (an upstream's, a frontend's), made before
   * the first starts. */
  char tls_dir[PATH_MAX];
  if (a.o.client_tls || run_needs_tls(&m, &a.o)) {
    char why[1024];
    if (run_tls_prepare(out, tls_dir, sizeof tls_dir, why, sizeof why) != 0) {
      fprintf(stderr, "badup run: cannot make the run's TLS certificates: %s\n", why);
      goto done;
    }
    a.o.tls_dir = tls_dir;
  }
  run_pool_catch_signals();
  if (client_global_init() != 0) {
    fprintf(stderr, "badup run: libcurl did not initialise\n");
    goto done;
  }

  size_t njobs = 0;
  double unknown_ms = a.o.read_timeout * 1000; /* a case not in the reference counts as a long one */
  struct run_job *order =
      run_order_by_reference(m.rows, m.nrows, (int)a.repeat, refs, m.pxs, unknown_ms, &njobs);
  if (!order) {
    fprintf(stderr, "badup run: out of memory\n");
    client_global_cleanup();
    goto done;
  }
  long jobs = a.jobs > (long)njobs ? (long)(njobs ? njobs : 1) : a.jobs;
  if (!a.quiet) announce(&a, &m, jobs, out);
  double duration = run_pool(m.rows, m.nrows, order, njobs, jobs, &a.o, m.pxs, refs, out, a.quiet, a.update_ref);
  free(order);
  proc_kill_strays(NULL, 0); /* anything that escaped a case's process group */
  drop_unfinished(&m, out);

  struct run_info info = {.opts = &a.o, .duration_s = duration, .interrupted = run_pool_interrupted(),
                          .jobs = (int)jobs, .shard = a.shard, .repeat = (int)a.repeat, .provenance = provenance};
  snprintf(info.started, sizeof info.started, "%s", started);
  /* With --update-reference the results are written once the reference is (below). */
  bool recording = a.update_ref && !info.interrupted, ref_failed = false;
  int wrc = recording ? 0 : results_write(out, m.rows, m.nrows, &info, &doc);
  if (wrc < 0) fprintf(stderr, "badup run: writing results to %s: %s\n", out, strerror(-wrc));
  if (!a.out_arg && wrc == 0) link_latest(out);
  if (recording) {
    ref_failed = !record_run(&a, &m, refs, ref_dir);
    wrc = results_write(out, m.rows, m.nrows, &info, &doc);
    if (wrc < 0) fprintf(stderr, "badup run: writing results to %s: %s\n", out, strerror(-wrc));
  }
  int worst = print_closing(&m, &info, out, doc);
  client_global_cleanup();
  rc = info.interrupted ? EXIT_INTERRUPTED : (ref_failed || wrc < 0) ? EXIT_SETUP : worst;
done:
  json_decref(doc);
  json_decref(provenance);
  json_decref(command);
  for (size_t p = 0; refs && p < m.npx; p++) reference_free(refs[p]);
  free(refs);
  run_matrix_free(&m);
  free(ref_dir);
  return rc;
}
