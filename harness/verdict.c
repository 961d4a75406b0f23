/* verdict.c: a row's verdict from its runs, its scenario's checks and the reference. */
#include "verdict.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "outcome.h"
#include "reference.h"
#include "results.h"

const struct verdict_info verdict_info[VERDICT__COUNT] = {
#define BADUP_VERDICT_INFO(id, word, progress, summary, junit, exit, judged, listed) \
  [VERDICT_##id] = {word, progress, summary, junit, exit, judged, listed},
    BADUP_VERDICTS(BADUP_VERDICT_INFO)
#undef BADUP_VERDICT_INFO
};

static const char *label_of(int v, bool progress) {
  return progress ? verdict_info[v].progress : verdict_info[v].summary;
}

/* "N label, N label, ...": one count per label, verdicts sharing a label (next to each
 * other) counted together; a verdict with no label is left out. */
static void counts_line(char *out, size_t len, const size_t counts[VERDICT__COUNT], bool progress) {
  size_t used = 0;
  out[0] = 0;
  for (int v = 0; v < VERDICT__COUNT; v++) {
    const char *label = label_of(v, progress);
    if (!label) continue;
    size_t n = counts[v];
    while (v + 1 < VERDICT__COUNT && label_of(v + 1, progress) && !strcmp(label, label_of(v + 1, progress)))
      n += counts[++v];
    int w = snprintf(out + used, len - used, "%s%zu %s", used ? ", " : "", n, label);
    if (w < 0 || (size_t)w >= len - used) return;
    used += (size_t)w;
  }
}

void verdict_summary(char *out, size_t len, const size_t counts[VERDICT__COUNT]) {
  counts_line(out, len, counts, false);
}

void verdict_progress(char *out, size_t len, const size_t counts[VERDICT__COUNT]) {
  counts_line(out, len, counts, true);
}

/* Appends "; text" (or text) to a bounded reason. */
static void add_reason(struct row *r, const char *fmt, const char *a, const char *b) {
  size_t used = strlen(r->reason);
  if (used + 3 >= sizeof r->reason) return;
  if (used) used += (size_t)snprintf(r->reason + used, sizeof r->reason - used, "; ");
  snprintf(r->reason + used, sizeof r->reason - used, fmt, a, b);
}

/* The scenario's check.log pattern for this proxy, if any, must match the run's log lines. */
static bool log_ok(const struct scenario *s, const struct case_result *cr, struct row *r) {
  for (char **l = s->check_log; l && l[0] && l[1]; l += 2) {
    if (strcmp(l[0], r->proxy->name) != 0) continue;
    regex_t re;
    if (regcomp(&re, l[1], REG_EXTENDED | REG_NOSUB) != 0) {
      snprintf(r->reason, sizeof r->reason, "check.log for %s: /%s/ is not a valid POSIX ERE", l[0], l[1]);
      return false;
    }
    bool ok = regexec(&re, cr->proxy_log, 0, NULL, 0) == 0;
    regfree(&re);
    if (ok) return true;
    if (!cr->proxy_log[0])
      snprintf(r->reason, sizeof r->reason,
               "the status is right, but the log check failed: no log line matched /%.100s/ (the proxy wrote "
               "no log line for the request; see its files in the case folder)",
               l[1]);
    else
      snprintf(r->reason, sizeof r->reason,
               "the status is right, but the log check failed: no log line matched /%.100s/; the proxy wrote: %.300s",
               l[1], cr->proxy_log);
    return false;
  }
  return true;
}

/* The upstream attempts a run needs before its outcome can count: a proxy that answers by
 * itself proves nothing about how it handles the upstream's fault. A scenario's
 * check.attempts says exactly how many; without it, an upstream-fault scenario needs one,
 * except refuse and blackhole, which the upstream never sees. accept_close/accept_reset
 * never read a request: their attempt is the connection; so is a TLS upstream's, whose
 * handshake may fail (a certificate the proxy refuses, tls.handshake steps) before any
 * request can come; so is an HTTP/2 upstream's whose connection preface is the fault
 * (h2_http1_reply, h2_no_settings). */
static bool attempt_is_connection(const struct scenario *s) {
  /* An HTTP/2 upstream's attempt is a request (a stream), as an HTTP/1 one's: a retry after
   * REFUSED_STREAM (RFC 9113 8.7) may come on the same connection, and counts. Only where the
   * server's connection preface is the fault is the attempt the connection: an upstream that
   * answers the client's preface with steps of its own (http2.preface) never reads a stream,
   * and one that sends no SETTINGS (settings = false) may never get one: a client may wait
   * for the server's preface before it opens a stream (3.4 lets it send at once, not must;
   * haproxy waits). */
  bool preface_fault = s->http2 && (s->http2->preface || s->http2->settings_len == 0);
  return s->kind == SCENARIO_LISTENER || s->tls || preface_fault;
}

static const char *attempts_problem(const struct scenario *s, const struct case_result *cr, char *buf, size_t len) {
  long seen = cr->attempts;
  bool listener = attempt_is_connection(s);
  if (s->kind == SCENARIO_LISTENER && s->plan &&
      (s->plan->listener == STEP_REFUSE || s->plan->listener == STEP_BLACKHOLE))
    return NULL;
  if (listener) seen = cr->upstream_connections;
  if (seen < 0) return NULL; /* unknown: the simulator did not answer; the detail says so */
  if (s->check_attempts >= 0) {
    if (!listener && seen != s->check_attempts) {
      snprintf(buf, len, "%ld upstream attempts, expected %d", seen, s->check_attempts);
      return buf;
    }
    return NULL;
  }
  if (seen == 0) {
    snprintf(buf, len, "the request never reached the upstream (0 upstream %s): the proxy answered by itself",
             listener ? "connections" : "attempts");
    return buf;
  }
  return NULL;
}

/* Did the alternative that held say how many attempts (or upstream connections) are right?
 * Then it, not the rule of one attempt at least, decides (a request the proxy must refuse:
 * `attempts = 0`). */
static bool asserts_attempts(const struct case_result *cr) {
  for (size_t i = 0; cr->expect.evaluated && i < cr->expect.n; i++)
    if (!strcmp(cr->expect.a[i].id, "attempts") || !strcmp(cr->expect.a[i].id, "connections")) return true;
  return false;
}

/* Where a request that never reached the upstream may have gone. A reverse proxy's config
 * names the upstream; a forward proxy's client does (absolute form, CONNECT; RFC 9110 3.7),
 * so there the question is whether its config lets the request through. */
static const char *no_upstream_hint(const struct scenario *s, const struct proxy_def *p) {
  bool forward = s->forward || (p && p->forward);
  return forward ? "does the forward config let requests through to the upstream's host and port?"
                 : "does the config send it to ${upstream_host}:${upstream_port}?";
}

/* The reason when the attempts rule alone keeps an outcome that is `expect` from passing:
 * first that the proxy answered by itself, then what to do if that is right. A table's
 * alternative can say attempts = 0; a plain expect, check.attempts (its scenario is about an
 * upstream fault, so a config that sends the request elsewhere is as likely). */
static void self_answer_reason(const struct scenario *s, const struct case_result *cr, struct row *r,
                               const char *why) {
  bool listener = attempt_is_connection(s);
  const char *what = listener ? "connections" : "attempts";
  char word[64];
  snprintf(word, sizeof word, "%.*s", (int)strcspn(cr->got, " "), cr->got);
  if (s->check_attempts >= 0) snprintf(r->reason, sizeof r->reason, "%s", why);
  else if (s->expectation)
    snprintf(r->reason, sizeof r->reason,
             "the proxy answered %s by itself (0 upstream %s); add %s = 0 (or %s = 0) to the alternative if that is "
             "right",
             word, what, what, listener ? "attempts" : "connections");
  else
    snprintf(r->reason, sizeof r->reason,
             "the proxy answered %s by itself: the request never reached the upstream (0 upstream %s); if that is "
             "right, say check = { attempts = 0 }, else %s",
             word, what, no_upstream_hint(s, r->proxy));
}

/* A run whose outcome is `expect`: do its checks hold? Sets the reason when not, and
 * *by_itself when the attempts rule is what failed. */
static bool checks_hold(const struct scenario *s, const struct case_result *cr, struct row *r, bool *by_itself) {
  double secs = cr->elapsed_ms / 1000;
  char buf[256];
  if (s->check_min_s >= 0 && secs < s->check_min_s) {
    snprintf(r->reason, sizeof r->reason, "came after %.3f s, expected no sooner than %.3f s", secs, s->check_min_s);
    return false;
  }
  if (s->check_max_s >= 0 && secs > s->check_max_s) {
    snprintf(r->reason, sizeof r->reason, "came after %.3f s, expected within %.3f s", secs, s->check_max_s);
    return false;
  }
  const char *why = asserts_attempts(cr) ? NULL : attempts_problem(s, cr, buf, sizeof buf);
  if (why) {
    self_answer_reason(s, cr, r, why);
    *by_itself = true;
    return false;
  }
  return log_ok(s, cr, r);
}

/* Did every run give what the scenario expects? A plain expect is one outcome word; a table
 * expect (expectation.h) holds when one of its alternatives held fully (expect_eval.h). */
static bool expect_met(const struct scenario *s, struct row *r, const char *got) {
  /* over HTTP/2 a reset stream meets an expected truncation (outcome_meets) */
  if (!s->expectation) return outcome_meets(got, s->expect);
  for (int i = 0; i < r->repeat; i++)
    if (!row_run(r, i)->expect.passed) return false;
  return true;
}

/* Puts the failed assertions of the row's first run at the head of its reason: they say
 * what differs better than anything after them. */
static void name_failed_assertions(struct row *r) {
  char list[sizeof r->reason], rest[sizeof r->reason];
  expect_failed_list(&r->r.expect, list, sizeof list);
  if (!list[0]) return;
  snprintf(rest, sizeof rest, "%s", r->reason);
  snprintf(r->reason, sizeof r->reason, "%s", list);
  if (rest[0]) add_reason(r, "%s%s", rest, "");
}

/* "closed x2, 502 x1", in order of first appearance; returns the number of distinct ones. */
static size_t distribution(struct row *r, const char **first) {
  const char *names[16];
  int counts[16];
  size_t n = 0;
  for (int i = 0; i < r->repeat; i++) {
    const char *got = row_run(r, i)->got;
    size_t k;
    for (k = 0; k < n && strcmp(names[k], got) != 0; k++) {}
    if (k == n && n < 16) names[n] = got, counts[n++] = 0;
    if (k < 16) counts[k]++;
  }
  r->outcomes[0] = 0;
  r->most[0] = 0;
  size_t best = 0;
  for (size_t k = 1; k < n; k++)
    if (counts[k] > counts[best]) best = k;
  if (r->repeat > 1 && n) snprintf(r->most, sizeof r->most, "%s", names[best]);
  size_t used = 0;
  for (size_t k = 0; k < n && used < sizeof r->outcomes; k++)
    used += (size_t)snprintf(r->outcomes + used, sizeof r->outcomes - used, "%s%s x%d", k ? ", " : "", names[k],
                             counts[k]);
  *first = n ? names[0] : "";
  return n;
}

void verdict_judge(struct row *r, const struct reference *ref) {
  const struct scenario *s = r->scn;
  r->reason[0] = 0;
  for (int i = 0; i < r->repeat; i++) {
    const struct case_result *cr = row_run(r, i);
    if (case_got_is(cr, CASE_SETUP_ERROR)) {
      r->verdict = VERDICT_ERROR;
      snprintf(r->reason, sizeof r->reason, "%s", cr->detail);
      return;
    }
    if (cr->scenario_error) {
      r->verdict = VERDICT_ERROR;
      snprintf(r->reason, sizeof r->reason, "the scenario failed at run time: %.400s", cr->detail);
      return;
    }
  }
  const char *from = ref ? reference_version_for(ref, r->proxy->version) : NULL;
  struct reference_record rec;
  const char *recorded = from && reference_lookup(ref, from, s->name, &rec) && rec.got[0] ? rec.got : NULL;
  /* Recorded for another file of that name (the scenario changed, or a user's own scenario
   * took a catalog name): not this scenario's outcome. */
  bool other_file = recorded && rec.digest[0] && s->digest[0] && strcmp(rec.digest, s->digest) != 0;
  if (other_file) recorded = NULL;
  if (recorded) {
    snprintf(r->reference, sizeof r->reference, "%s", recorded);
    snprintf(r->reference_version, sizeof r->reference_version, "%s", from);
  }
  const char *got;
  if (distribution(r, &got) > 1) {
    r->verdict = VERDICT_UNSTABLE;
    snprintf(r->alternatives, sizeof r->alternatives, "%s", r->outcomes);
    snprintf(r->reason, sizeof r->reason, "the outcome varies from run to run: %s", r->outcomes);
    return;
  }
  if (r->repeat == 1) r->outcomes[0] = 0; /* one run: the outcome is the got column */
  /* A cell the reference saw answer in several ways for this very version: the proxy is
   * racy there. Whatever this run gave, if it is one of those, the verdict is the same
   * every time. */
  if (recorded && !other_file && !strcmp(from, r->proxy->version) && rec.nseen > 1 &&
      reference_record_seen(&rec, got)) {
    char seen[sizeof r->alternatives];
    reference_record_seen_list(&rec, seen, sizeof seen);
    r->verdict = VERDICT_UNSTABLE;
    snprintf(r->alternatives, sizeof r->alternatives, "%s", seen);
    snprintf(r->reason, sizeof r->reason, "known to vary for %s %s: the reference saw %s", r->proxy->name, from, seen);
    return;
  }
  bool by_itself = false; /* the attempts rule failed: its reason says what to do */
  if (expect_met(s, r, got)) {
    bool ok = true;
    for (int i = 0; i < r->repeat && ok; i++) ok = checks_hold(s, row_run(r, i), r, &by_itself);
    r->verdict = ok ? VERDICT_PASS : VERDICT_FAIL;
  } else if (recorded && (!strcmp(recorded, got) || reference_record_seen(&rec, got))) {
    r->verdict = VERDICT_DEVIATES;
    snprintf(r->reason, sizeof r->reason, "recorded for %s %s", r->proxy->name, from);
    char buf[256];
    const char *why = attempts_problem(s, &r->r, buf, sizeof buf);
    if (why) add_reason(r, "%s%s", why, "");
  } else {
    r->verdict = VERDICT_FAIL;
    if (other_file)
      snprintf(r->reason, sizeof r->reason,
               "the reference for %s %s was recorded for another file of scenario %s (its steps differ): record "
               "it again with --update-reference",
               r->proxy->name, from, s->name);
    else if (recorded)
      snprintf(r->reason, sizeof r->reason, "the reference for %s %s says %s", r->proxy->name, from, recorded);
    else if (from)
      snprintf(r->reason, sizeof r->reason,
               "the reference for %s %s has no entry for scenario %s (record one with --update-reference)",
               r->proxy->name, from ? from : "", s->name);
    else /* the key says which file: haproxy+ctls+ch2 is not haproxy's plain reference */
      snprintf(r->reason, sizeof r->reason,
               "no reference recorded for %s with this run's settings (%s.json; record one with --update-reference)",
               r->proxy->name, ref && reference_proxy(ref) ? reference_proxy(ref) : r->proxy->name);
  }
  if (r->verdict == VERDICT_FAIL || r->verdict == VERDICT_DEVIATES) name_failed_assertions(r);
  if (r->verdict == VERDICT_FAIL && r->r.detail[0] && !strstr(r->reason, r->r.detail))
    add_reason(r, "%s%s", r->r.detail, "");
  /* A failure the upstream never saw is most likely a config that sends elsewhere, unless the
   * expect itself counts attempts or connections (a request the proxy must refuse). */
  if (r->verdict == VERDICT_FAIL && !by_itself && r->r.attempts == 0 && r->r.upstream_connections == 0 &&
      s->check_attempts < 0 && s->kind != SCENARIO_LISTENER && !asserts_attempts(&r->r))
    add_reason(r, "%s%s", "the request never reached the upstream (0 upstream connections): ",
               no_upstream_hint(s, r->proxy));
  /* A pass the upstream never saw is worth saying, even when the scenario allows it. */
  if (r->verdict == VERDICT_PASS && r->r.attempts == 0 && s->kind != SCENARIO_LISTENER &&
      !strstr(r->r.detail, "answered by itself")) {
    size_t used = strlen(r->r.detail);
    snprintf(r->r.detail + used, sizeof r->r.detail - used, "%sthe proxy answered by itself: 0 upstream attempts",
             used ? "; " : "");
  }
}
