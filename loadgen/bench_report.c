/* bench_report.c: what `badup bench` prints and writes from what its load measured. See
 * bench_report.h. */
#include "bench_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fileio.h"

const char *bench_fail_name(enum fail_kind k) {
  static const char *const alone[] = {
#define BENCH_END_ALONE(id, a, suffix, ea, es) a,
      BADUP_OUTCOME_ENDS(BENCH_END_ALONE)
#undef BENCH_END_ALONE
  };
  static const char *const after_status[] = {
#define BENCH_END_SUFFIX(id, a, suffix, ea, es) suffix,
      BADUP_OUTCOME_ENDS(BENCH_END_SUFFIX)
#undef BENCH_END_SUFFIX
  };
  static const struct {
    enum outcome_end end;
    bool cut;
  } kinds[F_KINDS] = {
#define BENCH_FAIL_KIND(id, end, cut) [F_##id] = {end, cut},
      BENCH_FAILS(BENCH_FAIL_KIND)
#undef BENCH_FAIL_KIND
  };
  return kinds[k].cut ? after_status[kinds[k].end] : alone[kinds[k].end];
}

uint64_t bench_failures(const uint64_t *fails) {
  uint64_t n = 0;
  for (enum fail_kind k = 0; k < F_KINDS; k++) n += fails[k];
  return n;
}

static const double report_pcts[] = {50, 90, 99, 99.9};
static const char *const report_names[] = {"p50", "p90", "p99", "p99.9"};
/* latency.dat's percentiles: every 10 % up to 90, then 2, 4 and 8 points per "nine" (90, 99,
 * 99.9 ...), so a graph with the tail spread out (x = 1/(1 - p), `badup plot`) has points all
 * along it. */
static const double dat_pcts[] = {0,     10,    20,     25,     30,    40,     50,     60,     70,
                                  75,    80,    90,     95,     97.5,  99,     99.25,  99.5,   99.75,
                                  99.9,  99.95, 99.975, 99.99,  99.995, 99.9975, 99.999, 100};

static double ms(uint64_t ns) { return (double)ns / 1e6; }

void bench_print_summary(const struct bench_report *b) {
  double el = b->elapsed_s;
  uint64_t fails = bench_failures(b->fails);
  printf("badup bench: %s, %s, %u connections%s\n", b->url, b->open_loop ? "open loop" : "closed loop",
         b->connections, b->interrupted ? " (interrupted)" : "");
  if (b->open_loop)
    printf("target rate: %.2f requests/s (%llu due but not sent: no free connection)\n", b->rate,
           (unsigned long long)b->not_sent);
  printf("requests: %llu (%llu responses, %llu failures)\n", (unsigned long long)(b->responses + fails),
         (unsigned long long)b->responses, (unsigned long long)fails);
  printf("duration: %.3f s\n", el);
  printf("requests/s: %.2f\n", el > 0 ? (double)b->responses / el : 0.0);
  printf("status:");
  bool any = false;
  for (unsigned s = 0; s < BENCH_STATUSES; s++)
    if (b->status[s]) {
      printf(" %u=%llu", s, (unsigned long long)b->status[s]);
      any = true;
    }
  for (enum fail_kind k = 0; k < F_KINDS; k++)
    if (b->fails[k]) {
      printf(" %s=%llu", bench_fail_name(k), (unsigned long long)b->fails[k]);
      any = true;
    }
  printf("%s\n", any ? "" : " none");
  printf("latency (ms):");
  if (!b->hist->count) {
    printf(" none (no response)\n"); /* zeros would read as an infinitely fast server */
  } else {
    for (size_t i = 0; i < sizeof report_pcts / sizeof *report_pcts; i++)
      printf(" %s=%.3f", report_names[i], ms(hist_percentile(b->hist, report_pcts[i])));
    printf(" max=%.3f\n", ms(b->hist->max));
  }
  if (b->upstream) {
    uint64_t n = b->responses + fails;
    if (b->upstream_attempts < 0) printf("upstream attempts: unknown (the control API did not answer)\n");
    else printf("upstream attempts: %lld (%.3f per client request) on %lld upstream connections\n",
                b->upstream_attempts, n ? (double)b->upstream_attempts / (double)n : 0.0, b->upstream_connections);
  }
  fflush(stdout);
}

int bench_write_results(const struct bench_report *b) {
  const char *dir = b->out;
  size_t dl = strlen(dir) + 32; /* room for "/summary.json" */
  char *path = malloc(dl);
  if (!path) return 1;
  int rc = 0;
  double el = b->elapsed_s;

  json_t *root = json_object();
  json_object_set_new(root, "url", json_string(b->url));
  json_object_set_new(root, "method", json_string(b->method));
  json_object_set_new(root, "body_bytes", b->body_bytes >= 0 ? json_integer(b->body_bytes) : json_null());
  json_object_set_new(root, "mode", json_string(b->open_loop ? "open" : "closed"));
  json_object_set_new(root, "rate", b->open_loop ? json_real(b->rate) : json_null());
  json_object_set_new(root, "connections", json_integer(b->connections));
  json_object_set_new(root, "duration_requested_s", json_real(b->duration));
  json_object_set_new(root, "timeout_s", json_real(b->timeout));
  json_object_set_new(root, "duration_s", json_real(el));
  json_object_set_new(root, "interrupted", json_boolean(b->interrupted));
  json_object_set_new(root, "requests", json_integer((json_int_t)(b->responses + bench_failures(b->fails))));
  json_object_set_new(root, "responses", json_integer((json_int_t)b->responses));
  json_object_set_new(root, "failures", json_integer((json_int_t)bench_failures(b->fails)));
  json_object_set_new(root, "not_sent", json_integer((json_int_t)b->not_sent));
  json_object_set_new(root, "requests_per_s", json_real(el > 0 ? (double)b->responses / el : 0.0));
  json_t *st = json_object();
  for (unsigned s = 0; s < BENCH_STATUSES; s++)
    if (b->status[s]) {
      char key[8];
      snprintf(key, sizeof key, "%u", s);
      json_object_set_new(st, key, json_integer((json_int_t)b->status[s]));
    }
  for (enum fail_kind k = 0; k < F_KINDS; k++)
    if (b->fails[k]) json_object_set_new(st, bench_fail_name(k), json_integer((json_int_t)b->fails[k]));
  json_object_set_new(root, "status", st);
  json_t *lat = json_object();
  for (size_t i = 0; i < sizeof report_pcts / sizeof *report_pcts; i++)
    json_object_set_new(lat, report_names[i], json_real(ms(hist_percentile(b->hist, report_pcts[i]))));
  json_object_set_new(lat, "max", json_real(ms(b->hist->count ? b->hist->max : 0)));
  json_object_set_new(lat, "min", json_real(ms(b->hist->count ? b->hist->min : 0)));
  json_object_set_new(lat, "mean", json_real(hist_mean(b->hist) / 1e6));
  json_object_set_new(root, "latency_ms", lat);
  if (b->upstream && b->upstream_attempts >= 0) {
    uint64_t n = b->responses + bench_failures(b->fails);
    json_object_set_new(root, "upstream_attempts", json_integer(b->upstream_attempts));
    json_object_set_new(root, "upstream_attempts_per_request",
                        n ? json_real((double)b->upstream_attempts / (double)n) : json_null());
    json_object_set_new(root, "upstream_connections", json_integer(b->upstream_connections));
  } else {
    json_object_set_new(root, "upstream_attempts", json_null());
    json_object_set_new(root, "upstream_connections", json_null());
  }
  /* Each file written atomically (fileio.h): an interrupted or failed write never leaves a
   * half-written summary where a script would read it. */
  snprintf(path, dl, "%s/summary.json", dir);
  char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
  if (!text || fileio_write_atomic(path, text, strlen(text)) != 0) {
    fprintf(stderr, "badup bench: cannot write %s\n", path);
    rc = 1;
  }
  free(text);
  json_decref(root);

  snprintf(path, dl, "%s/latency.dat", dir);
  struct buf dat = {0};
  buf_printf(&dat, "# badup bench %s: latency of %llu responses (from the %s send time)\n"
                   "# columns: percentile (%%, 0..100: 0 is the min, 100 the max) latency_ms (milliseconds)\n"
                   "# percentile latency_ms\n",
             b->url, (unsigned long long)b->hist->count, b->open_loop ? "scheduled" : "actual");
  if (b->hist->count)
    for (size_t i = 0; i < sizeof dat_pcts / sizeof *dat_pcts; i++)
      buf_printf(&dat, "%g %.6f\n", dat_pcts[i], ms(hist_percentile(b->hist, dat_pcts[i])));
  int wrc = dat.oom ? -ENOMEM : fileio_write_atomic(path, dat.data, dat.len);
  if (wrc < 0) {
    fprintf(stderr, "badup bench: cannot write %s: %s\n", path, strerror(-wrc));
    rc = 1;
  }
  buf_free(&dat);
  free(path);
  return rc;
}

