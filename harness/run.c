/* run.c: `badup run`: the scenario catalog through real proxies, in parallel, with a
 * verdict per case; and `badup list`. */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
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
#include "files.h"
#include "paths.h"
#include "proc.h"
#include "proxy_config.h"
#include "reference.h"
#include "results.h"
#include "usage.h"
#include "verdict.h"

#define EXIT_SETUP 2
#define EXIT_INTERRUPTED 130

void run_usage(FILE *out) {
  fputs("usage: badup run [options]\n"
        "\n"
        "Run the scenario catalog through real proxies: for every proxy x scenario, a fresh\n"
        "simulator and a fresh proxy on kernel-chosen ports, the scenario's request(s)\n"
        "through the proxy, and a verdict (below) from what its client saw.\n"
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
        "  --repeat N             run every case N times (1-100) and report the outcomes'\n"
        "                         distribution; cases whose outcome varies are 'unstable'\n"
        "  -q, --quiet            no progress, only the table\n"
        "  -h, --help             this help\n"
        "\n"
        "Outcomes (what the client saw; README.md has the table): NNN (a complete final\n"
        "response), NNN+truncated (then a FIN before its end), NNN+reset, NNN+invalid,\n"
        "NNN+timeout; with no final response: closed (FIN; 1xx are never final), reset,\n"
        "timeout, refused, invalid; http09 (bytes with no status line); error; proxy_died.\n"
        "\n"
                "Verdicts: pass (what RFC 9110 expects, and the scenario's checks hold), deviates\n"
        "(differs, but matches the proxy's recorded reference for its version), unstable\n"
        "(the outcome varies from run to run, or the reference saw it vary: never a\n"
        "failure), fail, error (the case could not be run, or the scenario raised an\n"
        "error), skipped (proxy not installed).\n"
        "\n"
        "--out: a new or empty folder, or the folder of an earlier run, which is replaced\n"
        "(its cases/ and result files); anything else is refused.\n"
        "\n"
        "Exit codes: 0 nothing failed, 1 a case failed, 2 usage or set-up error (also when a\n"
        "case could not be run or its scenario raised: verdict error), 130 interrupted\n"
        "(results of finished cases are still written).\n",
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

/* ---- the parallel run ------------------------------------------------------------ */

/* One run of one row: --repeat N makes N jobs per row. */
struct job {
  size_t row;
  int rep;
};

struct job_state {
  struct row *rows;
  struct job *jobs; /* longest expected cases first: the run ends sooner on few cores */
  size_t njobs, nrows;
  _Atomic size_t next, done;
  _Atomic int running;
  _Atomic int workers_left; /* workers still taking cases */
  const struct run_opts *opts;
  const struct proxy_def *pxs;
  struct reference **refs;  /* per proxy; read-only while workers run */
  const char *out;
  bool tty, quiet, recording; /* recording: verdicts come after the reference is written */
  pthread_mutex_t print_mu;
  size_t counts[VERDICT__COUNT];
  double started;
};

static _Atomic int interrupted;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void status_line(struct job_state *js, char *buf, size_t len) {
  char counts[160];
  verdict_progress(counts, sizeof counts, js->counts);
  snprintf(buf, len, "[%zu/%zu] %d running, %s", atomic_load(&js->done), js->njobs, atomic_load(&js->running), counts);
}

/* A row is judged as soon as its last run ends, so the progress shows real verdicts. */
static void progress(struct job_state *js, const struct row *r, const struct case_result *cr, bool judged) {
  if (js->quiet) return;
  char line[256];
  status_line(js, line, sizeof line);
  if (js->tty) {
    fprintf(stderr, "\r\033[K%s | %s %s: %s%s%s", line, r->proxy->name, r->scn->name, cr->got,
            judged && !js->recording ? " " : "", judged && !js->recording ? verdict_word(r->verdict) : "");
  } else if (judged && js->recording) {
    fprintf(stderr, "[%zu/%zu] %s %s: %s (%.0f ms)\n", atomic_load(&js->done), js->njobs, r->proxy->name, r->scn->name,
            r->outcomes[0] ? r->outcomes : cr->got, r->r.elapsed_ms);
  } else if (judged) {
    fprintf(stderr, "[%zu/%zu] %s %s: %s %s (%.0f ms)%s%s\n", atomic_load(&js->done), js->njobs, r->proxy->name,
            r->scn->name, r->outcomes[0] ? r->outcomes : cr->got, verdict_word(r->verdict), r->r.elapsed_ms,
            verdict_is_failure(r->verdict) ? ": " : "", verdict_is_failure(r->verdict) ? r->reason : "");
  }
  fflush(stderr);
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
    char line[256];
    status_line(js, line, sizeof line);
    fprintf(stderr, "\r\033[K%s | %.0f s", line, now_s() - js->started);
    fflush(stderr);
    pthread_mutex_unlock(&js->print_mu);
  }
}

static void case_dir(const struct job_state *js, const struct row *r, int rep, char *dir, size_t len) {
  if (rep == 0) snprintf(dir, len, "%s/cases/%s/%s", js->out, r->proxy->name, r->scn->name);
  else snprintf(dir, len, "%s/cases/%s/%s.run%d", js->out, r->proxy->name, r->scn->name, rep + 1);
}

static void *worker_loop(struct job_state *js) {
  for (;;) {
    if (atomic_load(&interrupted)) break;
    size_t k = atomic_fetch_add(&js->next, 1);
    if (k >= js->njobs) break;
    struct row *r = &js->rows[js->jobs[k].row];
    int rep = js->jobs[k].rep;
    struct case_result *cr = row_run(r, rep);
    if (!r->proxy->binary) continue;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/cases/%s", js->out, r->proxy->name);
    mkdir(dir, 0755);
    case_dir(js, r, rep, dir, sizeof dir);
    atomic_fetch_add(&js->running, 1);
    case_run(r->proxy, r->scn, js->opts, dir, cr);
    atomic_fetch_sub(&js->running, 1);
    if (atomic_load(&interrupted)) {
      cr->ran = false; /* killed under it: not a result */
      break;
    }
    atomic_fetch_add(&js->done, 1);
    pthread_mutex_lock(&js->print_mu);
    bool last = atomic_fetch_add(&r->runs_done, 1) + 1 == r->repeat;
    if (last) {
      verdict_judge(r, js->refs[r->proxy - js->pxs]);
      js->counts[r->verdict]++;
    }
    progress(js, r, cr, last);
    pthread_mutex_unlock(&js->print_mu);
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
    proc_kill_strays(NULL, 0);
    if (count == 0) {
      static const char msg[] = "\nbadup run: interrupted; stopping every proxy and simulator, writing finished cases\n";
      ssize_t w = write(2, msg, sizeof msg - 1);
      (void)w;
    } else if (count == 1) {
      /* People press Ctrl-C twice out of habit: that must not cost the finished cases,
       * which take well under a second to write now that every process is gone. */
      static const char msg[] = "badup run: still writing the finished cases; Ctrl-C once more to quit without them\n";
      ssize_t w = write(2, msg, sizeof msg - 1);
      (void)w;
    } else {
      case_remove_scratch(); /* nothing left in /tmp either */
      _exit(EXIT_INTERRUPTED); /* out now; result files are whole or absent */
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

/* The files a run writes at the top of its folder. MARKER says a run made the folder: only
 * such a folder is ever emptied for a new run. */
#define MARKER ".badup-run"
static const char *const RUN_FILES[] = {"results.json", "results.csv", "junit.xml", "report.md", /* badup plot: */
                                        "time_to_error.dat", "time_to_error.gp", "time_to_error.svg",
                                        "time_to_error.png", NULL};

/* The marker of the run's folder, open and locked (flock) for as long as the run lives:
 * two runs into one folder would empty each other's cases and overwrite each other's
 * results. The kernel drops the lock when the process ends, however it ends. */
static int out_lock = -1;

static int lock_out(const char *out) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/%s", out, MARKER);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "badup run: cannot write to %s: %s\n", out, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char who[96] = "";
    ssize_t n = pread(fd, who, sizeof who - 1, 0);
    who[n > 0 ? n : 0] = 0;
    who[strcspn(who, "\n")] = 0;
    fprintf(stderr, "badup run: --out %s is in use by another badup run%s%s%s; wait for it, or give another folder\n",
            out, who[0] ? " (" : "", who, who[0] ? ")" : "");
    close(fd);
    return -1;
  }
  out_lock = fd;
  return 0;
}

/* One of RUN_FILES, or one of them with ".tmp.<pid>" (a write an interrupted run left). */
static bool run_file(const char *name) {
  for (int i = 0; RUN_FILES[i]; i++) {
    size_t n = strlen(RUN_FILES[i]);
    if (strncmp(name, RUN_FILES[i], n) != 0) continue;
    if (!name[n]) return true;
    if (strncmp(name + n, ".tmp.", 5) == 0 && name[n + 5] && strspn(name + n + 5, "0123456789") == strlen(name + n + 5))
      return true;
  }
  return false;
}

/* Checks --out (or makes the default folder) before any case, so a wrong folder is a set-up
 * error (exit 2) and a run never reads or mixes with another run's files: a new or empty
 * folder is used as is; a folder an earlier run made (it has MARKER, and nothing but what
 * a run writes) is emptied of what that run wrote; anything else is refused and left
 * alone. Returns 0, or EXIT_SETUP after saying why. */
static int prepare_out(const char *out_arg, const char *stamp, const char *started, char *out, size_t len, bool quiet) {
  if (out_arg) {
    snprintf(out, len, "%s", out_arg);
  } else {
    /* Two runs in the same second get their own folders. */
    snprintf(out, len, "results/%s", stamp);
    for (int n = 2; access(out, F_OK) == 0 && n < 100; n++) snprintf(out, len, "results/%s-%d", stamp, n);
  }
  struct stat st;
  if (stat(out, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      fprintf(stderr, "badup run: --out %s is not a folder\n", out);
      return EXIT_SETUP;
    }
    DIR *d = opendir(out);
    if (!d) {
      fprintf(stderr, "badup run: --out %s: %s\n", out, strerror(errno));
      return EXIT_SETUP;
    }
    bool empty = true, marked = false;
    const char *foreign = NULL;
    char foreign_name[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      empty = false;
      if (!strcmp(e->d_name, MARKER)) marked = true;
      else if (strcmp(e->d_name, "cases") != 0 && !run_file(e->d_name) && !foreign) {
        snprintf(foreign_name, sizeof foreign_name, "%s", e->d_name);
        foreign = foreign_name;
      }
    }
    closedir(d);
    if (marked && lock_out(out) != 0) return EXIT_SETUP;
    if (!empty && (!marked || foreign)) {
      if (!marked)
        fprintf(stderr,
                "badup run: --out %s is not empty and no badup run made it (no %s in it); give a new or empty "
                "folder: a run never mixes its files with others, nor removes them\n",
                out, MARKER);
      else
        fprintf(stderr,
                "badup run: --out %s holds '%s', which no badup run wrote; it is left alone: move it, or give "
                "another folder\n",
                out, foreign);
      return EXIT_SETUP;
    }
    if (!empty) {
      char cases[PATH_MAX + 8];
      snprintf(cases, sizeof cases, "%s/cases", out);
      int rc = files_remove_tree(cases);
      d = opendir(out);
      while (d && (e = readdir(d)) && rc == 0) {
        if (!run_file(e->d_name)) continue;
        char f[PATH_MAX + 256];
        snprintf(f, sizeof f, "%s/%s", out, e->d_name);
        if (unlink(f) != 0 && errno != ENOENT) rc = -errno;
      }
      if (d) closedir(d);
      if (rc < 0) {
        fprintf(stderr, "badup run: cannot empty the earlier run in %s: %s\n", out, strerror(-rc));
        return EXIT_SETUP;
      }
      if (!quiet) fprintf(stderr, "badup run: replacing the earlier run in %s\n", out);
    }
  } else if (errno != ENOENT || mkdirs(out) != 0) {
    fprintf(stderr, "badup run: cannot create %s: %s\n", out, strerror(errno));
    return EXIT_SETUP;
  }
  if (access(out, W_OK | X_OK) != 0) {
    fprintf(stderr, "badup run: cannot write to %s: %s\n", out, strerror(errno));
    return EXIT_SETUP;
  }
  /* Absolute from here on: proxies run in their case folder and read ${dir} from there,
   * so a relative path would point into itself. */
  char *abs_out = realpath(out, NULL);
  if (abs_out) {
    snprintf(out, len, "%s", abs_out);
    free(abs_out);
  }
  if (out_lock < 0 && lock_out(out) != 0) return EXIT_SETUP;
  char path[PATH_MAX + 16];
  char text[96];
  snprintf(text, sizeof text, "badup run %s, pid %d\n", started, (int)getpid());
  /* Into the locked marker itself (a rename would replace the file the lock is on). */
  int wrc = ftruncate(out_lock, 0) == 0 && pwrite(out_lock, text, strlen(text), 0) == (ssize_t)strlen(text) ? 0 : -errno;
  snprintf(path, sizeof path, "%s/cases", out);
  if (wrc < 0 || (mkdir(path, 0755) != 0 && errno != EEXIST)) {
    fprintf(stderr, "badup run: cannot write to %s: %s\n", out, strerror(wrc < 0 ? -wrc : errno));
    return EXIT_SETUP;
  }
  return 0;
}

/* Longest expected cases first, by the time each took when the reference was recorded;
 * unknown ones count as long, so they start early too. */
static struct job *order_jobs(struct row *rows, size_t nrows, int repeat, struct reference **refs,
                              const struct proxy_def *pxs, double default_ms, size_t *njobs) {
  *njobs = nrows * (size_t)repeat;
  struct job *jobs = calloc(*njobs ? *njobs : 1, sizeof *jobs);
  double *est = calloc(*njobs ? *njobs : 1, sizeof *est);
  if (!jobs || !est) {
    free(jobs), free(est);
    return NULL;
  }
  for (size_t i = 0; i < nrows; i++) {
    double e = reference_case_ms(refs[rows[i].proxy - pxs], rows[i].proxy->version, rows[i].scn->name, default_ms);
    for (int k = 0; k < repeat; k++) {
      /* repetitions of one row spread over the run rather than all at once */
      size_t j = (size_t)k * nrows + i;
      jobs[j] = (struct job){i, k};
      est[j] = e;
    }
  }
  for (size_t i = 1; i < *njobs; i++)
    for (size_t j = i; j > 0 && est[j - 1] < est[j]; j--) {
      struct job t = jobs[j];
      jobs[j] = jobs[j - 1];
      jobs[j - 1] = t;
      double te = est[j];
      est[j] = est[j - 1];
      est[j - 1] = te;
    }
  free(est);
  return jobs;
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
                                     .expect = r->scn->expect,
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

int run_main(int argc, char **argv) {
  const char *proxy_list = NULL, *scenario_list = NULL, *out_arg = NULL, *shard = NULL;
  const char *ref_dir_arg = "results/reference", *scn_dir_arg = "scenarios", *px_dir_arg = "harness/proxies";
  bool update_ref = false, quiet = false, ref_given = false;
  long jobs = sysconf(_SC_NPROCESSORS_ONLN), repeat = 1;
  struct run_opts o = {.connect_timeout = 1, .read_timeout = 2, .seed = 1};
  enum { O_PROXY = 1, O_SCEN, O_JOBS, O_SHARD, O_OUT, O_PCONF, O_RETRIES, O_CT, O_RT, O_UPD, O_REF, O_SDIR, O_PDIR, O_SEED, O_REPEAT };
  static const struct option longopts[] = {
      {"proxy", required_argument, NULL, O_PROXY},   {"scenario", required_argument, NULL, O_SCEN},
      {"jobs", required_argument, NULL, O_JOBS},     {"shard", required_argument, NULL, O_SHARD},
      {"out", required_argument, NULL, O_OUT},       {"proxy-config", required_argument, NULL, O_PCONF},
      {"retries", no_argument, NULL, O_RETRIES},     {"connect-timeout", required_argument, NULL, O_CT},
      {"read-timeout", required_argument, NULL, O_RT}, {"update-reference", no_argument, NULL, O_UPD},
      {"reference", required_argument, NULL, O_REF}, {"scenarios", required_argument, NULL, O_SDIR},
      {"proxies", required_argument, NULL, O_PDIR},  {"seed", required_argument, NULL, O_SEED},
      {"repeat", required_argument, NULL, O_REPEAT}, {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  long shard_i = 1, shard_n = 1;
  while ((opt = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case O_PROXY: proxy_list = optarg; break;
    case O_SCEN: scenario_list = optarg; break;
    case O_JOBS:
      jobs = strtol(optarg, &end, 10);
      if (!*optarg || *end || jobs < 1 || jobs > 64) return cli_usage_error("run", "--jobs wants 1 to 64, got '%s'", optarg);
      break;
    case O_REPEAT:
      repeat = strtol(optarg, &end, 10);
      if (!*optarg || *end || repeat < 1 || repeat > 100) return cli_usage_error("run", "--repeat wants 1 to 100, got '%s'", optarg);
      break;
    case O_SHARD:
      int used = 0;
      if (sscanf(optarg, "%ld/%ld%n", &shard_i, &shard_n, &used) != 2 || optarg[used] || shard_n < 1 || shard_i < 1 ||
          shard_i > shard_n || shard_n > 10000)
        return cli_usage_error("run", "--shard wants I/N with 1 <= I <= N, got '%s'", optarg);
      shard = optarg;
      break;
    case O_OUT:
      if (!*optarg) return cli_usage_error("run", "%s", "--out wants a folder");
      out_arg = optarg;
      break;
    case O_PCONF: o.proxy_config = optarg; break;
    case O_RETRIES: o.retries = true; break;
    case O_CT:
    case O_RT: {
      double v = strtod(optarg, &end);
      /* Proxies take milliseconds at best, and 0 is "no timeout" to several of them. */
      if (!*optarg || *end || !(v >= 0.001) || v > 600)
        return cli_usage_error("run", "timeouts want seconds from 0.001 to 600, got '%s'", optarg);
      if (opt == O_CT) o.connect_timeout = v; else o.read_timeout = v;
      break;
    }
    case O_UPD: update_ref = true; break;
    case O_REF:
      ref_dir_arg = optarg;
      ref_given = true;
      break;
    case O_SDIR: scn_dir_arg = optarg; break;
    case O_PDIR: px_dir_arg = optarg; break;
    case O_SEED:
      o.seed = strtoul(optarg, &end, 10);
      if (!*optarg || *end) return cli_usage_error("run", "--seed wants a number, got '%s'", optarg);
      break;
    case 'q': quiet = true; break;
    case 'h': run_usage(stdout); return 0;
    case ':': return cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
  struct stat pc_st;
  if (o.proxy_config && (stat(o.proxy_config, &pc_st) != 0 || access(o.proxy_config, R_OK) != 0))
    return cli_usage_error("run", "--proxy-config %s: cannot read it", o.proxy_config);
  if (o.proxy_config && !S_ISREG(pc_st.st_mode)) return cli_usage_error("run", "--proxy-config %s is not a file", o.proxy_config);
  /* The reference records what a proxy version does with its shipped definition; a user's
   * config answering differently would be filed under that version and mislead later runs. */
  if (o.proxy_config && update_ref)
    return cli_usage_error("run", "%s", "--update-reference records the shipped definitions' answers; it cannot go with --proxy-config");

  char *scn_dir = repo_dir(scn_dir_arg), *px_dir = repo_dir(px_dir_arg);
  if (!scn_dir || !px_dir) {
    free(scn_dir);
    free(px_dir);
    return cli_usage_error("run", "cannot find the folder '%s' (run from the repository, or give --scenarios / --proxies)",
                       !scn_dir ? scn_dir_arg : px_dir_arg);
  }
  char *ref_dir = NULL;
  int failures = 0, rc = EXIT_SETUP;
  size_t nscn = 0, npx = 0, nrows = 0;
  struct scenario *scns = load_scenarios(scn_dir, &o, &nscn, &failures);
  struct proxy_def *pxs = proxy_load_dir(px_dir, &npx, &failures);
  struct row *rows = NULL;
  struct reference **refs = NULL;
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
  {
    /* A proxy named outright (not 'all', not a glob) that is not installed is a set-up
     * error: skipped, it would make a green run that tested nothing. */
    const char *missing = NULL;
    size_t runnable = 0;
    for (size_t p = 0; p < npx; p++) {
      if (!selected(pxs[p].name, proxy_list)) continue;
      if (pxs[p].binary) runnable++;
      else if (!missing && named_outright(pxs[p].name, proxy_list)) missing = pxs[p].name;
    }
    for (size_t p = 0; missing && p < npx; p++)
      if (!strcmp(pxs[p].name, missing)) {
        fprintf(stderr, "badup run: %s is not installed (looked for %s); install it (sh scripts/install-deps.sh proxies) "
                        "or leave it out of --proxy\n", missing, pxs[p].binaries[0]);
        goto done;
      }
    if (!runnable) {
      fprintf(stderr, "badup run: none of the selected proxies is installed (see 'badup list')\n");
      goto done;
    }
  }
  /* A user's config must not reach outside the case: refused before any case runs, with
   * every problem found, so that one edit can fix them all. */
  for (size_t p = 0; o.proxy_config && p < npx; p++) {
    if (!selected(pxs[p].name, proxy_list)) continue;
    struct buf report = {0};
    int problems = proxy_config_check(&pxs[p], o.proxy_config, &report);
    if (problems > 0) {
      const char *r = buf_cstr(&report);
      while (*r) {
        size_t n = strcspn(r, "\n");
        fprintf(stderr, "badup run: %.*s\n", (int)n, r);
        r += n + (r[n] == '\n');
      }
      fprintf(stderr, "badup run: %s: %d problem%s; nothing was run\n", o.proxy_config, problems,
              problems == 1 ? "" : "s");
    }
    buf_free(&report);
    if (problems > 0) goto done;
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
      r->verdict = VERDICT_NOT_RUN;
      r->repeat = (int)repeat;
      if (repeat > 1) r->more = calloc((size_t)repeat - 1, sizeof *r->more);
      if (!pxs[p].binary) {
        r->verdict = VERDICT_SKIPPED;
        for (int k = 0; k < r->repeat; k++) case_set_got(row_run(r, k), CASE_SKIPPED);
        snprintf(r->reason, sizeof r->reason, "%s is not installed (looked for %s)", pxs[p].name, pxs[p].binaries[0]);
      }
    }
  }
  if (nrows == 0 && shard_n == 1) {
    fprintf(stderr, "badup run: nothing selected\n");
    goto done;
  }

  struct stat ref_st;
  if (stat(ref_dir_arg, &ref_st) == 0 && !S_ISDIR(ref_st.st_mode)) {
    fprintf(stderr, "badup run: --reference %s is not a folder\n", ref_dir_arg);
    goto done;
  }
  ref_dir = repo_dir(ref_dir_arg);
  if (!ref_dir) {
    /* A --reference that does not exist is a typo unless this run is to record one: read
     * as empty, it would turn every known deviation into a failure. */
    if (!update_ref && ref_given) {
      fprintf(stderr, "badup run: --reference %s: no such folder (give --update-reference to record one there)\n",
              ref_dir_arg);
      goto done;
    }
    if (update_ref && mkdirs(ref_dir_arg) != 0) {
      fprintf(stderr, "badup run: --reference %s: cannot create it: %s\n", ref_dir_arg, strerror(errno));
      goto done;
    }
    ref_dir = strdup(ref_dir_arg);
  }

  char started[32], stamp[32];
  iso_now(started, sizeof started, stamp, sizeof stamp);
  if (prepare_out(out_arg, stamp, started, out, sizeof out, quiet) != 0) goto done;

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

  refs = calloc(npx, sizeof *refs);
  for (size_t p = 0; p < npx; p++) {
    char key[256];
    reference_key(key, sizeof key, pxs[p].name, o.retries);
    refs[p] = reference_load(ref_dir, key);
  }
  size_t njobs = 0;
  struct job *order = order_jobs(rows, nrows, (int)repeat, refs, pxs, o.read_timeout * 1000, &njobs);
  struct job_state js = {.rows = rows, .nrows = nrows, .jobs = order, .njobs = njobs, .opts = &o, .pxs = pxs,
                         .refs = refs, .out = out, .tty = isatty(2), .quiet = quiet, .recording = update_ref};
  pthread_mutex_init(&js.print_mu, NULL);
  double t0 = now_s();
  if (jobs > (long)njobs) jobs = (long)(njobs ? njobs : 1);
  if (!quiet) {
    size_t installed = 0, nsel = 0;
    for (size_t p = 0; p < npx; p++) installed += selected(pxs[p].name, proxy_list) && pxs[p].binary;
    for (size_t i = 0; i < nscn; i++) nsel += selected(scns[i].name, scenario_list);
    char reps[32] = "";
    if (repeat > 1) snprintf(reps, sizeof reps, ", each run %ld times", repeat);
    fprintf(stderr, "badup run: %zu cases%s (%zu proxies installed of %zu selected, %zu scenarios), %ld jobs, results in %s\n",
            nrows, reps, installed, selected_px, nsel, jobs, out);
  }
  pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
  js.started = t0;
  atomic_store(&js.workers_left, (int)jobs);
  for (long j = 0; j < jobs; j++) pthread_create(&threads[j], NULL, worker, &js);
  ticker(&js);
  for (long j = 0; j < jobs; j++) pthread_join(threads[j], NULL);
  free(threads);
  free(order);
  if (js.tty && !quiet) fprintf(stderr, "\n");

  proc_kill_strays(NULL, 0); /* anything that escaped a case's process group */

  /* Rows that did not finish all their runs: no verdict, and no half-filled case folder
   * that could be read as evidence. */
  for (size_t i = 0; i < nrows; i++) {
    struct row *r = &rows[i];
    if (r->verdict == VERDICT_SKIPPED) continue;
    if (atomic_load(&r->runs_done) < r->repeat) {
      r->verdict = VERDICT_NOT_RUN;
      r->r.ran = false;
      snprintf(r->reason, sizeof r->reason, "the run was interrupted");
      for (int k = 0; k < r->repeat; k++) {
        char dir[PATH_MAX];
        case_dir(&js, r, k, dir, sizeof dir);
        files_remove_tree(dir);
      }
    }
  }
  struct run_info info = {.opts = &o, .duration_s = now_s() - t0, .interrupted = atomic_load(&interrupted) != 0,
                          .jobs = (int)jobs, .shard = shard, .repeat = (int)repeat};
  snprintf(info.started, sizeof info.started, "%s", started);
  /* With --update-reference the results are written once the reference is (below). */
  bool recording = update_ref && !info.interrupted, ref_failed = false;
  int wrc = recording ? 0 : results_write(out, rows, nrows, &info);
  if (wrc < 0) fprintf(stderr, "badup run: writing results to %s: %s\n", out, strerror(-wrc));
  if (!out_arg && wrc == 0) {
    /* results/latest -> <folder>, replaced atomically. */
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "results/latest.tmp.%d", (int)getpid());
    unlink(tmp);
    const char *base = strrchr(out, '/');
    if (symlink(base ? base + 1 : out, tmp) == 0 && rename(tmp, "results/latest") != 0) unlink(tmp);
  }
  if (recording) {
    /* What the reference said before, for the rows this run changes in it. */
    for (size_t i = 0; i < nrows; i++) {
      struct row *r = &rows[i];
      if (!r->r.ran || r->verdict == VERDICT_ERROR) continue;
      const char *was = r->reference_version[0] && !strcmp(r->reference_version, r->proxy->version) ? r->reference : NULL;
      if (was && !strcmp(was, row_got(r)) && r->verdict != VERDICT_UNSTABLE) continue;
      if (!quiet)
        fprintf(stderr, "badup run: recording %s %s / %s: %s%s%s\n", r->proxy->name, r->proxy->version, r->scn->name,
                was ? was : "(new)", was ? " -> " : " ", r->outcomes[0] ? r->outcomes : row_got(r));
    }
    for (size_t p = 0; p < npx; p++)
      if (pxs[p].binary && selected(pxs[p].name, proxy_list)) {
        char key[256];
        reference_key(key, sizeof key, pxs[p].name, o.retries);
        int urc = record_reference(ref_dir, key, &pxs[p], rows, nrows);
        if (urc < 0) {
          fprintf(stderr, "badup run: updating the reference of %s in %s: %s\n", pxs[p].name, ref_dir, strerror(-urc));
          ref_failed = true;
        }
        /* The run's verdicts against what it just recorded: the table then says what the
         * reference now holds (a deviation, not a failure for lack of one). */
        reference_free(refs[p]);
        refs[p] = reference_load(ref_dir, key);
      }
    for (size_t i = 0; i < nrows; i++)
      if (rows[i].r.ran && atomic_load(&rows[i].runs_done) == rows[i].repeat)
        verdict_judge(&rows[i], refs[rows[i].proxy - pxs]);
    wrc = results_write(out, rows, nrows, &info);
    if (wrc < 0) fprintf(stderr, "badup run: writing results to %s: %s\n", out, strerror(-wrc));
  }
  results_table(stdout, rows, nrows, false);
  size_t c[VERDICT__COUNT] = {0};
  int worst = 0; /* the highest exit code a verdict asks for */
  for (size_t i = 0; i < nrows; i++) {
    c[rows[i].verdict]++;
    if (verdict_info[rows[i].verdict].exit > worst) worst = verdict_info[rows[i].verdict].exit;
  }
  char counts[256];
  verdict_summary(counts, sizeof counts, c);
  printf("\n%zu cases: %s%s; %.1f s; results in %s\n", nrows, counts, info.interrupted ? " (interrupted)" : "",
         info.duration_s, out);
  for (size_t i = 0; i < nrows; i++) {
    const struct row *r = &rows[i];
    const char *listed = verdict_info[r->verdict].listed;
    if (!listed) continue;
    printf("%s %s/%s: expected %s, got %s (%s)\n", listed, r->proxy->name, r->scn->name, r->scn->expect,
           r->outcomes[0] ? r->outcomes : r->r.got, r->reason);
  }
  fflush(stdout);
  client_global_cleanup();
  rc = info.interrupted ? EXIT_INTERRUPTED : (ref_failed || wrc < 0) ? EXIT_SETUP : worst;
done:
  if (refs)
    for (size_t p = 0; p < npx; p++) reference_free(refs[p]);
  free(refs);
  for (size_t i = 0; rows && i < nrows; i++) free(rows[i].more);
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
  if (optind < argc) {
    fprintf(stderr, "badup list: unexpected argument '%s'\n", argv[optind]);
    list_usage(stderr);
    return EXIT_SETUP;
  }
  char *scn_dir = repo_dir(scn_dir_arg), *px_dir = repo_dir(px_dir_arg);
  if (!scn_dir || !px_dir) {
    fprintf(stderr, "badup list: cannot find the folder '%s' (run from the repository, or give --scenarios / --proxies)\n",
            !scn_dir ? scn_dir_arg : px_dir_arg);
    free(scn_dir);
    free(px_dir);
    return EXIT_SETUP;
  }
  struct run_opts o = {.connect_timeout = 1, .read_timeout = 2, .seed = 1};
  int failures = 0;
  size_t nscn = 0, npx = 0;
  struct scenario *scns = load_scenarios(scn_dir, &o, &nscn, &failures);
  struct proxy_def *pxs = proxy_load_dir(px_dir, &npx, &failures);
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
