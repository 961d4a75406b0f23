/* run_pool.c: `badup run`'s worker threads: each takes the next job, runs its case and,
 * when a row's last run ends, judges it; a ticker keeps the progress line moving, and one
 * thread takes the signals. */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "run_parts.h"
#include "start_gate.h"
#include "verdict.h"

struct job_state {
  struct row *rows;
  const struct run_job *jobs; /* longest expected cases first: the run ends sooner on few cores */
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
/* The running pool's start gate, which Ctrl-C closes so that no case waits for a slot. */
static struct start_gate *_Atomic gate_in_use;

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

void run_case_dir(const char *out, const struct row *r, int rep, char *dir, size_t len) {
  if (rep == 0) snprintf(dir, len, "%s/cases/%s/%s", out, r->proxy->name, r->scn->name);
  else snprintf(dir, len, "%s/cases/%s/%s.run%d", out, r->proxy->name, r->scn->name, rep + 1);
}

static void *worker_loop(struct job_state *js) {
  for (;;) {
    if (atomic_load(&interrupted)) break;
    size_t k = atomic_fetch_add(&js->next, 1);
    if (k >= js->njobs) break;
    struct row *r = &js->rows[js->jobs[k].row];
    int rep = js->jobs[k].rep;
    struct case_result *cr = row_run(r, rep);
    if (r->verdict == VERDICT_SKIPPED) continue; /* not installed, or it cannot send to every upstream */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/cases/%s", js->out, r->proxy->name);
    mkdir(dir, 0755);
    run_case_dir(js->out, r, rep, dir, sizeof dir);
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

/* What the signal thread waits for; it lives as long as the process. */
static sigset_t caught;

static void *signal_thread(void *arg) {
  sigset_t *set = arg;
  for (int count = 0;; count++) {
    int sig;
    if (sigwait(set, &sig) != 0) continue;
    atomic_store(&interrupted, sig);
    case_stop_waiting(); /* a case's warmup or settle wait would hold the exit for seconds */
    struct start_gate *g = atomic_load(&gate_in_use);
    if (g) start_gate_close(g); /* cases waiting to start never will */
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

bool run_pool_interrupted(void) { return atomic_load(&interrupted) != 0; }

void run_pool_catch_signals(void) {
  sigemptyset(&caught);
  sigaddset(&caught, SIGINT);
  sigaddset(&caught, SIGTERM);
  sigaddset(&caught, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &caught, NULL);
  signal(SIGPIPE, SIG_IGN);
  proc_subreaper();
  pthread_t sigt;
  pthread_create(&sigt, NULL, signal_thread, &caught);
  pthread_detach(sigt);
}

double run_pool(struct row *rows, size_t nrows, const struct run_job *jobs, size_t njobs, long threads,
                const struct run_opts *o, const struct proxy_def *pxs, struct reference **refs, const char *out,
                bool quiet, bool recording) {
  /* However many cases are in flight, no more than the cores start at once. Static: the
   * signal thread may close it at any moment, even as the pool returns. */
  static struct start_gate gate;
  start_gate_init(&gate, start_gate_default_slots());
  struct run_opts gated = *o;
  gated.start_gate = &gate;
  atomic_store(&gate_in_use, &gate);
  struct job_state js = {.rows = rows, .nrows = nrows, .jobs = jobs, .njobs = njobs, .opts = &gated, .pxs = pxs,
                         .refs = refs, .out = out, .tty = isatty(2), .quiet = quiet, .recording = recording};
  pthread_mutex_init(&js.print_mu, NULL);
  js.started = now_s();
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  atomic_store(&js.workers_left, (int)threads);
  for (long j = 0; j < threads; j++) pthread_create(&ids[j], NULL, worker, &js);
  ticker(&js);
  for (long j = 0; j < threads; j++) pthread_join(ids[j], NULL);
  free(ids);
  pthread_mutex_destroy(&js.print_mu);
  if (js.tty && !quiet) fprintf(stderr, "\n");
  return now_s() - js.started;
}
