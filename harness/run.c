/* run.c: `badup run`: the scenario catalog through real proxies, in parallel, with a
 * verdict per case; and `badup list`. */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "case.h"
#include "client.h"
#include "paths.h"
#include "proc.h"
#include "proxy_config.h"
#include "results.h"

#define EXIT_SETUP 2
#define EXIT_INTERRUPTED 130

void run_usage(FILE *out) {
  fputs("usage: badup run [options]\n"
        "\n"
        "Run the scenario catalog through real proxies: for every proxy x scenario, a fresh\n"
        "simulator and a fresh proxy on kernel-chosen ports, one request through the proxy,\n"
        "and a verdict: pass (the status RFC 9110 expects), deviates (differs, but matches\n"
        "the proxy's recorded reference for its version), or fail.\n"
        "\n"
        "options:\n"
        "  --proxy LIST           proxies, comma-separated, or 'all' (default: all installed)\n"
        "  --scenario LIST        scenario names or globs, comma-separated (default: all)\n"
        "  --jobs N               cases in parallel (default: number of cores)\n"
        "  --shard I/N            run only the I-th of N slices of the matrix (1-based)\n"
        "  --out DIR              results folder (default results/<timestamp>, and\n"
        "                         results/latest points at it)\n"
        "  --proxy-config FILE    use FILE as the proxy's main config (one proxy only);\n"
        "                         ${upstream_port}, ${proxy_port}, ... are substituted.\n"
        "                         Refused before any case (exit 2) unless it listens on\n"
        "                         ${proxy_port}, sends to ${upstream_port}, writes only\n"
        "                         under ${dir} and passes the proxy's own checker\n"
        "  --retries              let proxies retry the upstream (off by default)\n"
        "  --connect-timeout S    upstream connect timeout given to proxies (default 1)\n"
        "  --read-timeout S       upstream read timeout given to proxies (default 2)\n"
        "  --update-reference     record this run's outcomes as the reference\n"
        "  --reference DIR        reference folder (default results/reference)\n"
        "  --scenarios DIR        scenario folder (default scenarios)\n"
        "  --proxies DIR          proxy definitions (default harness/proxies)\n"
        "  --seed N               seed passed to the simulator (default 1)\n"
        "  -q, --quiet            no progress, only the table\n"
        "  -h, --help             this help\n"
        "\n"
        "Exit codes: 0 nothing failed, 1 a case failed or errored, 2 usage or set-up error,\n"
        "130 interrupted (results of finished cases are still written).\n",
        out);
}

void list_usage(FILE *out) {
  fputs("usage: badup list [--scenarios DIR] [--proxies DIR]\n"
        "\n"
        "Prints the scenarios (name, expect, summary) and the proxies (name, installed or\n"
        "not, version).\n",
        out);
}

static struct scenario *load_scenarios(const char *dir, const struct run_opts *o, size_t *n, int *failures) {
  struct dirent **names;
  int k = scandir(dir, &names, NULL, alphasort);
  *n = 0;
  if (k < 0) return NULL;
  struct scenario *list = calloc((size_t)k + 1, sizeof *list);
  char rt[64], ct[64];
  snprintf(rt, sizeof rt, "%g", o->read_timeout);
  snprintf(ct, sizeof ct, "%g", o->connect_timeout);
  struct ctx_var ctx[] = {{"read_timeout", rt}, {"connect_timeout", ct}, {"retries", o->retries ? "true" : "false"}};
  struct scenario_opts so = {.seed = o->seed, .ctx = ctx, .nctx = 3};
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
  return list;
}

static bool selected(const char *name, const char *list) {
  if (!list || !strcmp(list, "all")) return true;
  char *copy = strdup(list), *save = NULL;
  bool hit = false;
  for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save)) hit = fnmatch(t, name, 0) == 0;
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

/* ---- the parallel run ------------------------------------------------------------ */

struct job_state {
  struct row *rows;
  size_t *order; /* longest expected cases first: the run ends sooner on few cores */
  size_t n;
  _Atomic size_t next, done;
  _Atomic int running;
  _Atomic int workers_left; /* workers still taking cases */
  const struct run_opts *opts;
  const char *out;
  bool tty, quiet;
  pthread_mutex_t print_mu;
  size_t counts[4]; /* as expected, -, -, differs (verdicts come after the run) */
  double started;
};

static _Atomic int interrupted;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The scenario's check.log pattern for this proxy, if any, must match its log lines. */
static bool log_ok(const struct scenario *s, struct row *r) {
  for (char **l = s->check_log; l && l[0] && l[1]; l += 2) {
    if (strcmp(l[0], r->proxy->name) != 0) continue;
    regex_t re;
    if (regcomp(&re, l[1], REG_EXTENDED | REG_NOSUB) != 0) {
      snprintf(r->reason, sizeof r->reason, "check.log for %s: /%s/ is not a valid POSIX ERE", l[0], l[1]);
      return false;
    }
    bool ok = regexec(&re, r->r.proxy_log, 0, NULL, 0) == 0;
    regfree(&re);
    if (!ok) snprintf(r->reason, sizeof r->reason, "the proxy's log does not match /%.100s/: %.120s", l[1], r->r.proxy_log);
    return ok;
  }
  return true;
}

static void judge(struct row *r, json_t *ref) {
  const struct scenario *s = r->scn;
  const char *from = NULL;
  const char *recorded = ref ? reference_lookup(ref, r->proxy->version, s->name, &from) : NULL;
  if (recorded) {
    snprintf(r->reference, sizeof r->reference, "%s", recorded);
    snprintf(r->reference_version, sizeof r->reference_version, "%s", from);
  }
  if (!strcmp(r->r.got, "setup_error")) {
    r->verdict = "error";
    snprintf(r->reason, sizeof r->reason, "%s", r->r.detail);
    return;
  }
  if (!strcmp(r->r.got, s->expect)) {
    double secs = r->r.elapsed_ms / 1000;
    if (s->check_min_s >= 0 && secs < s->check_min_s) {
      r->verdict = "fail";
      snprintf(r->reason, sizeof r->reason, "came after %.3f s, expected no sooner than %.3f s", secs, s->check_min_s);
    } else if (s->check_max_s >= 0 && secs > s->check_max_s) {
      r->verdict = "fail";
      snprintf(r->reason, sizeof r->reason, "came after %.3f s, expected within %.3f s", secs, s->check_max_s);
    } else if (s->check_attempts >= 0 && r->r.attempts >= 0 && r->r.attempts != s->check_attempts) {
      r->verdict = "fail";
      snprintf(r->reason, sizeof r->reason, "%ld upstream attempts, expected %d", r->r.attempts, s->check_attempts);
    } else if (!log_ok(s, r)) {
      r->verdict = "fail";
    } else {
      r->verdict = "pass";
    }
    return;
  }
  if (recorded && (!strcmp(recorded, r->r.got) || reference_seen(ref, from, s->name, r->r.got))) {
    r->verdict = "deviates";
    snprintf(r->reason, sizeof r->reason, "recorded for %s %s", r->proxy->name, from);
    return;
  }
  r->verdict = "fail";
  if (recorded)
    snprintf(r->reason, sizeof r->reason, "the reference for %s %s says %s", r->proxy->name, from, recorded);
  else
    snprintf(r->reason, sizeof r->reason, "no reference recorded for %s", r->proxy->name);
  if (r->r.detail[0]) {
    size_t used = strlen(r->reason);
    snprintf(r->reason + used, sizeof r->reason - used, "; %s", r->r.detail);
  }
}

static void progress(struct job_state *js, const struct row *r) {
  if (js->quiet) return;
  pthread_mutex_lock(&js->print_mu);
  size_t done = atomic_load(&js->done);
  if (js->tty) {
    fprintf(stderr, "\r\033[K[%zu/%zu] %d running, %zu as expected, %zu differ | %s %s: %s", done, js->n,
            atomic_load(&js->running), js->counts[0], js->counts[3], r->proxy->name, r->scn->name, r->r.got);
  } else {
    fprintf(stderr, "[%zu/%zu] %s %s: %s %s (%.0f ms)\n", done, js->n, r->proxy->name, r->scn->name, r->r.got,
            r->verdict, r->r.elapsed_ms);
  }
  fflush(stderr);
  pthread_mutex_unlock(&js->print_mu);
}

static void *worker_loop(struct job_state *js);

static void *worker(void *arg) {
  struct job_state *js = arg;
  worker_loop(js);
  atomic_fetch_sub(&js->workers_left, 1);
  return NULL;
}

/* On a terminal the line also moves while every case is waiting on a timeout. */
static void ticker(struct job_state *js) {
  while (atomic_load(&js->workers_left) > 0) {
    struct timespec ts = {0, 250 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (!js->tty || js->quiet) continue;
    pthread_mutex_lock(&js->print_mu);
    fprintf(stderr, "\r\033[K[%zu/%zu] %d running, %zu as expected, %zu differ | %.0f s", atomic_load(&js->done), js->n,
            atomic_load(&js->running), js->counts[0], js->counts[3], now_s() - js->started);
    fflush(stderr);
    pthread_mutex_unlock(&js->print_mu);
  }
}

static void *worker_loop(struct job_state *js) {
  for (;;) {
    if (atomic_load(&interrupted)) break;
    size_t k = atomic_fetch_add(&js->next, 1);
    if (k >= js->n) break;
    struct row *r = &js->rows[js->order[k]];
    if (!r->proxy->binary) continue;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/cases/%s", js->out, r->proxy->name);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/cases/%s/%s", js->out, r->proxy->name, r->scn->name);
    atomic_fetch_add(&js->running, 1);
    case_run(r->proxy, r->scn, js->opts, dir, &r->r);
    atomic_fetch_sub(&js->running, 1);
    if (atomic_load(&interrupted)) {
      r->r.ran = false; /* killed under it: not a result */
      break;
    }
    /* Verdicts need the reference and come after the run; progress shows expect vs got. */
    atomic_fetch_add(&js->done, 1);
    pthread_mutex_lock(&js->print_mu);
    bool as_expected = !strcmp(r->r.got, r->scn->expect);
    r->verdict = as_expected ? "as expected" : "differs";
    js->counts[as_expected ? 0 : 3]++;
    pthread_mutex_unlock(&js->print_mu);
    progress(js, r);
  }
  return NULL;
}

static void *signal_thread(void *arg) {
  sigset_t *set = arg;
  for (int count = 0;; count++) {
    int sig;
    if (sigwait(set, &sig) != 0) continue;
    atomic_store(&interrupted, sig);
    proc_kill_all(); /* every proxy and simulator: nothing survives the run */
    if (count == 0) {
      static const char msg[] = "\nbadup run: interrupted; stopping every proxy and simulator, writing finished cases\n";
      ssize_t w = write(2, msg, sizeof msg - 1);
      (void)w;
    } else {
      _exit(EXIT_INTERRUPTED); /* a second Ctrl-C: out now; result files are whole or absent */
    }
  }
  return NULL;
}

static void iso_now(char *out, size_t len, char *stamp, size_t slen) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
  strftime(stamp, slen, "%Y%m%d-%H%M%S", &tm);
}

static int mkdirs(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(buf, 0755);
      *p = '/';
    }
  return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "badup run: ");
  fprintf(stderr, msg, arg);
  fprintf(stderr, "\nTry 'badup run --help'.\n");
  return EXIT_SETUP;
}

int run_main(int argc, char **argv) {
  const char *proxy_list = NULL, *scenario_list = NULL, *out_arg = NULL, *shard = NULL;
  const char *ref_dir_arg = "results/reference", *scn_dir_arg = "scenarios", *px_dir_arg = "harness/proxies";
  bool update_ref = false, quiet = false;
  long jobs = sysconf(_SC_NPROCESSORS_ONLN);
  struct run_opts o = {.connect_timeout = 1, .read_timeout = 2, .seed = 1};
  enum { O_PROXY = 1, O_SCEN, O_JOBS, O_SHARD, O_OUT, O_PCONF, O_RETRIES, O_CT, O_RT, O_UPD, O_REF, O_SDIR, O_PDIR, O_SEED };
  static const struct option longopts[] = {
      {"proxy", required_argument, NULL, O_PROXY},   {"scenario", required_argument, NULL, O_SCEN},
      {"jobs", required_argument, NULL, O_JOBS},     {"shard", required_argument, NULL, O_SHARD},
      {"out", required_argument, NULL, O_OUT},       {"proxy-config", required_argument, NULL, O_PCONF},
      {"retries", no_argument, NULL, O_RETRIES},     {"connect-timeout", required_argument, NULL, O_CT},
      {"read-timeout", required_argument, NULL, O_RT}, {"update-reference", no_argument, NULL, O_UPD},
      {"reference", required_argument, NULL, O_REF}, {"scenarios", required_argument, NULL, O_SDIR},
      {"proxies", required_argument, NULL, O_PDIR},  {"seed", required_argument, NULL, O_SEED},
      {"quiet", no_argument, NULL, 'q'},             {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  long shard_i = 1, shard_n = 1;
  while ((opt = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case O_PROXY: proxy_list = optarg; break;
    case O_SCEN: scenario_list = optarg; break;
    case O_JOBS:
      jobs = strtol(optarg, &end, 10);
      if (!*optarg || *end || jobs < 1 || jobs > 64) return usage_error("--jobs wants 1 to 64, got '%s'", optarg);
      break;
    case O_SHARD:
      if (sscanf(optarg, "%ld/%ld", &shard_i, &shard_n) != 2 || shard_n < 1 || shard_i < 1 || shard_i > shard_n)
        return usage_error("--shard wants I/N with 1 <= I <= N, got '%s'", optarg);
      shard = optarg;
      break;
    case O_OUT: out_arg = optarg; break;
    case O_PCONF: o.proxy_config = optarg; break;
    case O_RETRIES: o.retries = true; break;
    case O_CT:
    case O_RT: {
      double v = strtod(optarg, &end);
      if (!*optarg || *end || !(v > 0) || v > 600) return usage_error("timeouts want seconds (0 < S <= 600), got '%s'", optarg);
      if (opt == O_CT) o.connect_timeout = v; else o.read_timeout = v;
      break;
    }
    case O_UPD: update_ref = true; break;
    case O_REF: ref_dir_arg = optarg; break;
    case O_SDIR: scn_dir_arg = optarg; break;
    case O_PDIR: px_dir_arg = optarg; break;
    case O_SEED: o.seed = strtoul(optarg, NULL, 10); break;
    case 'q': quiet = true; break;
    case 'h': run_usage(stdout); return 0;
    default: return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
  if (o.proxy_config && access(o.proxy_config, R_OK) != 0) return usage_error("--proxy-config %s: cannot read it", o.proxy_config);

  char *scn_dir = repo_dir(scn_dir_arg), *px_dir = repo_dir(px_dir_arg);
  if (!scn_dir || !px_dir) {
    free(scn_dir);
    free(px_dir);
    return usage_error("cannot find the folder '%s' (run from the repository, or give --scenarios / --proxies)",
                       !scn_dir ? scn_dir_arg : px_dir_arg);
  }
  char *ref_dir = repo_dir(ref_dir_arg);
  if (!ref_dir) {
    mkdirs(ref_dir_arg);
    ref_dir = strdup(ref_dir_arg);
  }
  int failures = 0, rc = EXIT_SETUP;
  size_t nscn = 0, npx = 0, nrows = 0;
  struct scenario *scns = load_scenarios(scn_dir, &o, &nscn, &failures);
  struct proxy_def *pxs = proxy_load_dir(px_dir, &npx, &failures);
  struct row *rows = NULL;
  json_t **refs = NULL;
  char out[PATH_MAX] = "";
  if (failures) {
    fprintf(stderr, "badup run: %d definition%s did not load\n", failures, failures == 1 ? "" : "s");
    goto done;
  }
  {
    const char **names = calloc(nscn + npx + 1, sizeof *names);
    char bad[128];
    for (size_t i = 0; i < nscn; i++) names[i] = scns[i].name;
    const char *u = unmatched(scenario_list, names, nscn, bad, sizeof bad);
    for (size_t i = 0; i < npx; i++) names[i] = pxs[i].name;
    const char *v = u ? NULL : unmatched(proxy_list, names, npx, bad, sizeof bad);
    free(names);
    if (u || v) {
      fprintf(stderr, "badup run: no %s matches '%s' (see 'badup list')\n", u ? "scenario" : "proxy", bad);
      goto done;
    }
  }
  size_t selected_px = 0;
  for (size_t p = 0; p < npx; p++)
    if (selected(pxs[p].name, proxy_list)) {
      proxy_probe(&pxs[p]);
      selected_px++;
    }
  if (o.proxy_config && selected_px != 1) {
    fprintf(stderr, "badup run: --proxy-config needs exactly one --proxy\n");
    goto done;
  }
  /* A user's config must not reach outside the case: refused before any case runs. */
  for (size_t p = 0; o.proxy_config && p < npx; p++) {
    char why[2048];
    if (selected(pxs[p].name, proxy_list) && proxy_config_check(&pxs[p], o.proxy_config, why, sizeof why) != 0) {
      fprintf(stderr, "badup run: %s\n", why);
      goto done;
    }
  }
  rows = calloc(nscn * npx + 1, sizeof *rows);
  size_t cell = 0;
  for (size_t p = 0; p < npx; p++) {
    if (!selected(pxs[p].name, proxy_list)) continue;
    for (size_t s = 0; s < nscn; s++) {
      if (!selected(scns[s].name, scenario_list)) continue;
      /* Shards interleave, so every shard gets a share of the slow cases. */
      if ((long)(cell++ % (size_t)shard_n) != shard_i - 1) continue;
      struct row *r = &rows[nrows++];
      r->proxy = &pxs[p];
      r->scn = &scns[s];
      r->verdict = "not_run";
      if (!pxs[p].binary) {
        r->verdict = "skipped";
        snprintf(r->r.got, sizeof r->r.got, "skipped");
        snprintf(r->reason, sizeof r->reason, "%s is not installed (looked for %s)", pxs[p].name, pxs[p].binaries[0]);
      }
    }
  }
  if (nrows == 0) {
    fprintf(stderr, "badup run: nothing selected\n");
    goto done;
  }

  char started[32], stamp[32];
  iso_now(started, sizeof started, stamp, sizeof stamp);
  if (out_arg) snprintf(out, sizeof out, "%s", out_arg);
  else snprintf(out, sizeof out, "results/%s", stamp);
  if (mkdirs(out) != 0) {
    fprintf(stderr, "badup run: cannot create %s: %s\n", out, strerror(errno));
    goto done;
  }
  /* Absolute from here on: proxies run in their case folder and read ${dir} from there,
   * so a relative path would point into itself. */
  char *abs_out = realpath(out, NULL);
  if (abs_out) {
    snprintf(out, sizeof out, "%s", abs_out);
    free(abs_out);
  }
  char cases[PATH_MAX + 8];
  snprintf(cases, sizeof cases, "%s/cases", out);
  mkdir(cases, 0755);

  /* Signals go to one thread; workers and children never see them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  proc_subreaper();
  pthread_t sigt;
  pthread_create(&sigt, NULL, signal_thread, &set);
  pthread_detach(sigt);
  if (client_global_init() != 0) {
    fprintf(stderr, "badup run: libcurl did not initialise\n");
    goto done;
  }

  /* Schedule by the time each case took when the reference was recorded (longest first);
   * unknown cases count as long, so they start early too. */
  refs = calloc(npx, sizeof *refs);
  for (size_t p = 0; p < npx; p++) {
    char key[256];
    reference_key(key, sizeof key, pxs[p].name, o.retries);
    refs[p] = reference_load(ref_dir, key);
  }
  size_t *order = calloc(nrows, sizeof *order);
  double *est = calloc(nrows, sizeof *est);
  for (size_t i = 0; i < nrows; i++) {
    order[i] = i;
    json_t *c = reference_entry(refs[rows[i].proxy - pxs], rows[i].proxy->version, rows[i].scn->name);
    json_t *case_ms = json_object_get(c, "case_ms");
    est[i] = case_ms ? json_number_value(case_ms) : c ? json_number_value(json_object_get(c, "elapsed_ms")) : o.read_timeout * 1000;
  }
  for (size_t i = 1; i < nrows; i++)
    for (size_t j = i; j > 0 && est[order[j - 1]] < est[order[j]]; j--) {
      size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  free(est);
  struct job_state js = {.rows = rows, .order = order, .n = nrows, .opts = &o, .out = out, .tty = isatty(2), .quiet = quiet};
  pthread_mutex_init(&js.print_mu, NULL);
  double t0 = now_s();
  if (!quiet) {
    size_t installed = 0;
    for (size_t p = 0; p < npx; p++) installed += selected(pxs[p].name, proxy_list) && pxs[p].binary;
    fprintf(stderr, "badup run: %zu cases (%zu proxies installed of %zu selected, %zu scenarios), %ld jobs, results in %s\n",
            nrows, installed, selected_px, nscn, jobs, out);
  }
  if (jobs > (long)nrows) jobs = (long)nrows;
  pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
  js.started = t0;
  atomic_store(&js.workers_left, (int)jobs);
  for (long j = 0; j < jobs; j++) pthread_create(&threads[j], NULL, worker, &js);
  ticker(&js);
  for (long j = 0; j < jobs; j++) pthread_join(threads[j], NULL);
  free(threads);
  free(order);
  if (js.tty && !quiet) fprintf(stderr, "\n");

  /* Verdicts, with each proxy's reference. */
  bool any_fail = false;
  for (size_t i = 0; i < nrows; i++) {
    struct row *r = &rows[i];
    if (!strcmp(r->verdict, "skipped")) continue;
    if (!r->r.ran) {
      r->verdict = "not_run";
      snprintf(r->reason, sizeof r->reason, "the run was interrupted");
      continue;
    }
    judge(r, refs[r->proxy - pxs]);
    any_fail |= !strcmp(r->verdict, "fail") || !strcmp(r->verdict, "error");
  }
  struct run_info info = {.opts = &o, .duration_s = now_s() - t0, .interrupted = atomic_load(&interrupted) != 0,
                          .jobs = (int)jobs, .shard = shard};
  snprintf(info.started, sizeof info.started, "%s", started);
  int wrc = results_write(out, rows, nrows, &info);
  if (wrc < 0) fprintf(stderr, "badup run: writing results to %s: %s\n", out, strerror(-wrc));
  if (!out_arg && wrc == 0) {
    /* results/latest -> <stamp>, replaced atomically. */
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "results/latest.tmp.%d", (int)getpid());
    unlink(tmp);
    if (symlink(stamp, tmp) == 0 && rename(tmp, "results/latest") != 0) unlink(tmp);
  }
  if (update_ref && !info.interrupted) {
    for (size_t p = 0; p < npx; p++)
      if (pxs[p].binary && selected(pxs[p].name, proxy_list)) {
        char key[256];
        reference_key(key, sizeof key, pxs[p].name, o.retries);
        int urc = reference_update(ref_dir, key, &pxs[p], rows, nrows);
        if (urc < 0) fprintf(stderr, "badup run: updating the reference of %s: %s\n", pxs[p].name, strerror(-urc));
      }
  }
  results_table(stdout, rows, nrows, false);
  size_t c[5] = {0};
  for (size_t i = 0; i < nrows; i++) {
    const char *v = rows[i].verdict;
    c[!strcmp(v, "pass") ? 0 : !strcmp(v, "deviates") ? 1 : !strcmp(v, "fail") ? 2 : !strcmp(v, "error") ? 3 : 4]++;
  }
  printf("\n%zu cases: %zu pass, %zu deviate, %zu fail, %zu errors, %zu skipped; %.1f s; results in %s\n", nrows, c[0],
         c[1], c[2], c[3], c[4], info.duration_s, out);
  for (size_t i = 0; i < nrows; i++) {
    const struct row *r = &rows[i];
    if (strcmp(r->verdict, "fail") && strcmp(r->verdict, "error")) continue;
    printf("%s %s/%s: expected %s, got %s (%s)\n", r->verdict == NULL ? "?" : !strcmp(r->verdict, "fail") ? "FAIL" : "ERROR",
           r->proxy->name, r->scn->name, r->scn->expect, r->r.got, r->reason);
  }
  fflush(stdout);
  client_global_cleanup();
  rc = info.interrupted ? EXIT_INTERRUPTED : any_fail ? 1 : 0;
done:
  if (refs)
    for (size_t p = 0; p < npx; p++) json_decref(refs[p]);
  free(refs);
  free(rows);
  for (size_t i = 0; i < nscn; i++) scenario_unload(&scns[i]);
  free(scns);
  proxy_free_all(pxs, npx);
  free(scn_dir);
  free(px_dir);
  free(ref_dir);
  return rc;
}

int list_main(int argc, char **argv) {
  const char *scn_dir_arg = "scenarios", *px_dir_arg = "harness/proxies";
  static const struct option longopts[] = {{"scenarios", required_argument, NULL, 's'},
                                           {"proxies", required_argument, NULL, 'p'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
    if (opt == 's') scn_dir_arg = optarg;
    else if (opt == 'p') px_dir_arg = optarg;
    else if (opt == 'h') {
      list_usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "badup list: unknown option '%s'\n", argv[optind - 1]);
      list_usage(stderr);
      return EXIT_SETUP;
    }
  }
  char *scn_dir = repo_dir(scn_dir_arg), *px_dir = repo_dir(px_dir_arg);
  struct run_opts o = {.connect_timeout = 1, .read_timeout = 2, .seed = 1};
  int failures = 0;
  size_t nscn = 0, npx = 0;
  struct scenario *scns = scn_dir ? load_scenarios(scn_dir, &o, &nscn, &failures) : NULL;
  struct proxy_def *pxs = px_dir ? proxy_load_dir(px_dir, &npx, &failures) : NULL;
  if (!scn_dir || !px_dir) fprintf(stderr, "badup list: cannot find %s\n", !scn_dir ? scn_dir_arg : px_dir_arg);
  printf("scenarios (%zu):\n", nscn);
  for (size_t i = 0; i < nscn; i++) printf("  %-26s %-14s %s\n", scns[i].name, scns[i].expect, scns[i].summary);
  printf("\nproxies (%zu):\n", npx);
  for (size_t i = 0; i < npx; i++) {
    proxy_probe(&pxs[i]);
    printf("  %-14s %-14s %-10s %s\n", pxs[i].name, pxs[i].binary ? "installed" : "not installed",
           pxs[i].version ? pxs[i].version : "-", pxs[i].binary ? pxs[i].binary : pxs[i].binaries[0]);
  }
  for (size_t i = 0; i < nscn; i++) scenario_unload(&scns[i]);
  free(scns);
  proxy_free_all(pxs, npx);
  int rc = (!scn_dir || !px_dir || failures) ? EXIT_SETUP : 0;
  free(scn_dir);
  free(px_dir);
  return rc;
}
