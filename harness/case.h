/* case.h: one case: one scenario through one fresh proxy instance.
 *
 * A case starts its own simulator (badup serve with the one scenario file) and its own
 * proxy on ports the kernel handed out, waits until the proxy accepts connections, sends
 * the request(s), asks the simulator how many attempts reached it, stops both (process
 * groups, SIGTERM then SIGKILL) and keeps every log in the case folder. A proxy that dies
 * is an outcome ("proxy_died"), not an error of the harness.
 *
 * The read timeout's route, from the command line to the verdict (the connect timeout's is
 * the same, less the checks). Each crossing of a process or a file is a text conversion
 * ("%g"), so both loads of a scenario see the same number:
 *   1. `badup run --read-timeout S` (default BADUP_READ_TIMEOUT_S, common/timeouts.h) into
 *      run_opts.read_timeout (run.c);
 *   2. run_matrix.c loads every scenario with ctx.read_timeout = S for its metadata: a
 *      scenario may compute its checks from it (check = { min_s = ctx.read_timeout * 0.95 }),
 *      which come back as scenario.check_min_s / check_max_s; and a case the reference has
 *      no time for counts as taking S when the cases are ordered;
 *   3. per case (case.c): the simulator child gets `--set read_timeout=S` and loads the
 *      scenario again with that ctx, in its own Lua state: what its plan stalls for;
 *   4. the proxy's files get ${read_timeout} (S) and ${read_timeout_ms} (render_proxy), which
 *      its definition writes into its config (haproxy's `timeout server`);
 *   5. the client gives up after connect + read + CLIENT_GRACE_S, so the proxy times out
 *      first and its answer is what the client sees;
 *   6. verdict.c compares the case's elapsed time with check_min_s / check_max_s;
 *   7. results.c writes S as timeouts.read_s in results.json, where `badup plot` reads it to
 *      draw the timeout line.
 * The client side's `--client-timeout S` and `--max-body BYTES` (BADUP_CLIENT_TIMEOUT_S,
 * BADUP_MAX_BODY) take the same route: run_opts.client_timeout / max_body; ctx.client_timeout
 * and ctx.max_body on both loads (2, 3: a scenario sends a body of ctx.max_body * 2 bytes, or
 * says max_s = ctx.client_timeout + 3); ${client_header_timeout}, ${client_body_timeout}
 * (and _ms), ${max_body} and ${max_body_kib} in the proxy's files (4), where its definition's
 * `client` field says which directives take them; the client gives up after
 * max(connect + read, client timeout) + CLIENT_GRACE_S (5), so a proxy that waits on a slow
 * client answers first; timeouts.client_s and timeouts.max_body in results.json (7). */
#ifndef BADUP_CASE_H
#define BADUP_CASE_H

#include <stdbool.h>

#include "client.h"
#include "expect_eval.h"
#include "proxy.h"
#include "scenario.h"

struct start_gate; /* start_gate.h */

struct run_opts {
  double connect_timeout, read_timeout;
  double client_timeout; /* seconds: the proxy's request-head and body-idle timeouts */
  long max_body;         /* bytes: the largest request body the proxy accepts */
  bool retries;
  /* --client-tls: the proxy's frontend speaks TLS with the run's `valid` leaf and the
   * clients verify it against tls_dir/ca.crt (run_tls.h). */
  bool client_tls;
  /* --client-http2: the proxy's frontend speaks HTTP/2 (client_http2's variant: h2c, or ALPN
   * h2 with client_tls) and the client's GET does (client.h, CLIENT_HTTP2) */
  bool client_http2;
  const char *proxy_config;  /* --proxy-config FILE, or NULL */
  bool confine;              /* the proxy may write only into its case's folders (confine.h) */
  unsigned long seed;
  const struct ctx_var *ctx; /* --set NAME=VALUE: more ctx values for the scenarios (both loads) */
  size_t nctx;
  bool upstream_tls;         /* --upstream-tls: every upstream speaks TLS (badup serve --tls) */
  const char *tls_dir;       /* the run's certificates (run_tls.h), absolute; NULL: no case is
                                TLS, upstream or frontend */
  /* A case holds a slot of it from its simulator's start until its proxy listens
   * (start_gate.h); NULL: cases start whenever they come. */
  struct start_gate *start_gate;
};

/* Does the case's upstream speak TLS: the scenario has a tls table, or the run --upstream-tls? */
bool case_is_tls(const struct scenario *s, const struct run_opts *o);
/* Does the case's upstream speak HTTP/2: the scenario says http2 = ... (its proxy renders
 * upstream_http2.on; a proxy without the variant skips the case). */
bool case_is_http2(const struct scenario *s);

/* The upstream read timeout a case's proxy gets, in seconds: the scenario's
 * proxy_read_timeout (a scenario about a client-side timer, which the upstream one must not
 * race), else the run's. The scenario's ctx.read_timeout stays the run's on both loads. */
double case_read_timeout(const struct scenario *s, const struct run_opts *o);

/* The words a case reports in `got` in place of what its client saw (outcome.h's words):
 * the harness's own, each once. */
#define BADUP_CASE_OUTCOMES(X)                                                           \
  X(PROXY_DIED,  "proxy_died")   /* the proxy exited during the case: the finding */      \
  X(SETUP_ERROR, "setup_error")  /* the case could not be run (detail says why) */        \
  X(SKIPPED,     "skipped")      /* never run: the proxy is not installed */

enum case_outcome {
#define BADUP_CASE_OUTCOME_ENUM(id, word) CASE_##id,
  BADUP_CASE_OUTCOMES(BADUP_CASE_OUTCOME_ENUM)
#undef BADUP_CASE_OUTCOME_ENUM
  CASE_OUTCOMES_COUNT
};

struct case_result {
  char got[EXPECT_SIGNATURE_MAX]; /* an outcome (outcome.h), or a case outcome (above); with a
                                     table expect, the signature (expect_eval.h):
                                     "200 !headers.absent:X-Badup-Hop" */
  char detail[512];          /* why, for errors and deaths */
  double elapsed_ms;         /* client: request start to the end of the exchange */
  double first_byte_ms;
  double ready_ms;           /* proxy start to first accepted connection */
  double overhead_ms;        /* everything in the case but the client's exchange */
  long attempts;             /* requests that reached the upstream, -1 unknown */
  long upstream_connections;
  char proxy_log[1024];      /* the proxy's lines for the request */
  bool ran;                  /* false: skipped or never started */
  bool scenario_error;       /* the scenario raised at run time: detail has file:line: message */
  struct expect_report expect; /* the assertions of a table expect (expect_eval.h) */
};

/* The word of a case outcome. */
const char *case_outcome_word(enum case_outcome o);
/* Sets r->got to the word of o. */
void case_set_got(struct case_result *r, enum case_outcome o);
/* Does r->got say o? */
bool case_got_is(const struct case_result *r, enum case_outcome o);

/* A loopback port nobody holds right now (bind 0, read it, release it), or -1. */
int case_free_port(void);

/* Removes the scratch folders of the cases running now (a proxy whose user cannot reach the
 * case folder works in one): for an abrupt end, when the cases cannot move their files. */
void case_remove_scratch(void);

/* From now on every wait of a case (a definition's warmup_ms and settle_ms, the pauses
 * between requests) ends at once: the run is being interrupted and its processes are gone.
 * Safe from any thread. */
void case_stop_waiting(void);

/* Runs it; never fails as a function: problems are in r->got / r->detail. */
void case_run(const struct proxy_def *p, const struct scenario *s, const struct run_opts *o,
              const char *case_dir, struct case_result *r);

#endif
