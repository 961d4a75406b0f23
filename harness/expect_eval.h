/* expect_eval.h: a scenario's assertions (expectation.h) against what a case saw.
 *
 * A pure function of its inputs: the expectation, what the client saw (seen.h), the text
 * of the simulator's GET /requests ({"requests":[{"upstream":1,"method":...,"headers":
 * [[name,value],...],"body_length":N,...}]}), the text of its GET /events ([{"id":N,
 * "start_unix_ms":N,"end":"peer_fin",...,"events":[{"t_ms":N,"what":"close",...}]}]), the
 * upstream's counters, the proxy's log lines and the exchange's duration.
 *
 * Every alternative is evaluated; the case passes when one holds fully. The assertions
 * reported are those of the alternative that held, else of the first whose status is the
 * outcome word, else of the first. The signature (what verdicts and the reference compare,
 * case_result.got) is the outcome word, followed by " !ID" for each failed assertion of the
 * reported alternative, in order: "200 !headers.absent:X-Badup-Hop !connection". The
 * `status` assertion is never in it: the outcome word already says what came.
 *
 * Assertion ids (stable text):
 *   status, reason, interim, connection, min_s, max_s, attempts, connections,
 *   upstream_closed, upstream_closed_s,
 *   headers.KIND:Name (KIND: present absent equal match count), body.equal, body.match,
 *   body.length, upstream.method|target|version|body_length|upstream,
 *   upstream.headers.KIND:Name, upstream_requests[N].… (1-based), log.PROXY,
 *   responses[N].status|reason|interim|headers.KIND:Name|body.… (1-based). */
#ifndef BADUP_EXPECT_EVAL_H
#define BADUP_EXPECT_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "expectation.h"
#include "seen.h"

/* The longest signature, with its NUL; longer ones end in " !..." (every failed id is still
 * in the report's assertions, up to EXPECT_ASSERTIONS_MAX). */
#define EXPECT_SIGNATURE_MAX 256
/* Assertions kept per case (of the reported alternative). */
#define EXPECT_ASSERTIONS_MAX 24

struct expect_assertion {
  char id[96];
  char expected[96]; /* "absent", "'5'", "/^nginx/", ">= 1.5 s", ... */
  char got[96];      /* what was there, in the same terms */
  bool ok;
};

struct expect_inputs {
  const char *outcome;        /* the client's outcome word (outcome.h) */
  const struct seen *seen;    /* may be empty: then response assertions fail ("no response") */
  const char *requests_json;  /* GET /requests text, or NULL when unknown */
  const char *events_json;    /* GET /events text (upstream connections), or NULL when unknown */
  double proxy_stop_unix_ms;  /* wall clock (ms since 1970) when the harness began to stop the
                                 proxy: a connection that ended then or later was held open
                                 until the stop; 0: unknown (no such cut) */
  long attempts, connections; /* upstream requests and connections; -1: unknown */
  const char *proxy;          /* the proxy's name: which `log` pattern applies */
  const char *proxy_log;      /* its lines for the request, " | "-joined */
  double elapsed_s;           /* the exchange's duration */
};

struct expect_report {
  bool evaluated;             /* false: no table expect, or the case never had an outcome */
  bool passed;                /* an alternative held fully */
  size_t alternative;         /* the reported one, 0-based */
  size_t n;                   /* assertions kept in a */
  size_t failed;              /* failed assertions of the reported alternative, all counted */
  struct expect_assertion a[EXPECT_ASSERTIONS_MAX];
};

/* Evaluates e; fills *out and the signature (size len). */
void expect_evaluate(const struct expectation *e, const struct expect_inputs *in, struct expect_report *out,
                     char *signature, size_t len);

/* expect_evaluate for a case: the outcome is what got holds (it becomes the signature);
 * in->outcome is set here, in->requests_json and in->events_json are the case's (the texts
 * it wrote to upstream-requests.json and upstream-events.json; NULL: unknown). */
void expect_evaluate_case(const struct expectation *e, struct expect_inputs *in, struct expect_report *out,
                          char *got, size_t len);

/* How many upstream connections GET /events text (events_json) says are still open; -1
 * when it does not parse. */
int expect_events_open(const char *events_json);

/* "ID: expected E, got G" for failed assertions of r, "; "-joined, into out (size len). */
void expect_failed_list(const struct expect_report *r, char *out, size_t len);

#endif
