/* expect_eval.c: a scenario's assertions against what a case saw. See expect_eval.h. */
#include "expect_eval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "outcome.h"


/* The assertions of one alternative, as they are evaluated. */
struct alist {
  struct expect_assertion *v;
  size_t n, cap;
  bool oom;
};

/* Appends one; id, expected and got are printf'd by the caller into the returned entry. */
static struct expect_assertion *add(struct alist *l, bool ok, const char *fmt, ...) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    struct expect_assertion *v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      l->oom = true;
      return NULL;
    }
    l->v = v;
    l->cap = cap;
  }
  struct expect_assertion *a = &l->v[l->n++];
  memset(a, 0, sizeof *a);
  a->ok = ok;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->id, sizeof a->id, fmt, ap);
  va_end(ap);
  return a;
}

/* Sets expected and got of a (which may be NULL after running out of memory). */
static void say(struct expect_assertion *a, const char *expected, const char *got) {
  if (!a) return;
  snprintf(a->expected, sizeof a->expected, "%s", expected);
  snprintf(a->got, sizeof a->got, "%s", got);
}

/* 'text', with bytes that are not printable ASCII as \xNN and the end cut ("...") to fit
 * out (size len). */
static void quote(char *out, size_t len, const char *s, size_t n) {
  size_t o = 0;
  if (len < 8) {
    if (len) out[0] = 0;
    return;
  }
  out[o++] = '\'';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char piece[8];
    int w = c >= 0x20 && c < 0x7f && c != '\\' ? snprintf(piece, sizeof piece, "%c", c)
                                               : snprintf(piece, sizeof piece, "\\x%02x", c);
    if (o + (size_t)w + 5 > len) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    memcpy(out + o, piece, (size_t)w);
    o += (size_t)w;
  }
  out[o++] = '\'';
  out[o] = 0;
}

static void quote_str(char *out, size_t len, const char *s) { quote(out, len, s, strlen(s)); }

/* Where a header assertion looks: the fields of a response, or of an upstream request. */
struct fields {
  const struct seen_response *resp; /* one of the two */
  json_t *headers;                  /* [[name, value], ...] */
};

/* The first value of a field by name (ASCII case-insensitive) and how many there are. */
static const char *field(const struct fields *f, const char *name, size_t *count) {
  if (f->resp) return seen_field(f->resp, name, count);
  const char *first = NULL;
  *count = 0;
  size_t i;
  json_t *pair;
  json_array_foreach(f->headers, i, pair) {
    const char *n = json_string_value(json_array_get(pair, 0)), *v = json_string_value(json_array_get(pair, 1));
    if (!n || strcasecmp(n, name)) continue;
    if (!(*count)++) first = v ? v : "";
  }
  return first;
}

static void eval_headers(struct alist *l, const char *prefix, const struct expect_headers *h, const struct fields *f,
                         const char *missing) {
  for (size_t i = 0; i < h->n; i++) {
    const struct expect_header *x = &h->v[i];
    const char *kw = expect_header_kind_words[x->kind];
    char exp[96], got[96];
    size_t count = 0;
    const char *v = missing ? NULL : field(f, x->name, &count);
    if (v) quote_str(got, sizeof got, v);
    else snprintf(got, sizeof got, "%s", missing ? missing : "absent");
    bool ok = false;
    switch (x->kind) {
    case EXPECT_H_PRESENT:
      ok = v != NULL;
      snprintf(exp, sizeof exp, "present");
      break;
    case EXPECT_H_ABSENT:
      ok = !missing && !v;
      snprintf(exp, sizeof exp, "absent");
      break;
    case EXPECT_H_EQUAL:
      ok = v && !strcmp(v, x->value);
      quote_str(exp, sizeof exp, x->value);
      break;
    case EXPECT_H_MATCH:
      ok = v && regexec(&x->re, v, 0, NULL, 0) == 0;
      snprintf(exp, sizeof exp, "/%.90s/", x->value);
      break;
    case EXPECT_H_COUNT:
      ok = !missing && (long)count == x->count;
      snprintf(exp, sizeof exp, "%ld", x->count);
      if (!missing) snprintf(got, sizeof got, "%zu", count);
      break;
    case EXPECT_H__COUNT: break;
    }
    say(add(l, ok, "%sheaders.%s:%s", prefix, kw, x->name), exp, got);
  }
}

/* A response's own outcome word: its status, complete or not. The last one ended as the
 * client's outcome says. */
static void response_word(const struct seen_response *r, bool last, const char *outcome, char *out, size_t len) {
  if (r->complete) snprintf(out, len, "%d", r->status);
  else if (last && atoi(outcome) == r->status && strchr(outcome, '+')) snprintf(out, len, "%s", outcome);
  else snprintf(out, len, "%d+truncated", r->status);
}

static void interim_text(const int *v, int n, char *out, size_t len) {
  size_t used = 0;
  out[0] = 0;
  if (n == 0) snprintf(out, len, "none");
  for (int i = 0; i < n && used < len; i++) used += (size_t)snprintf(out + used, len - used, "%s%d", i ? ", " : "", v[i]);
}

/* The assertions about one response (r may be NULL: none came; then each fails with got
 * `missing`). Its status is compared with `word`. */
static void eval_response(struct alist *l, const char *prefix, const struct expect_response *x,
                          const struct seen_response *r, const char *word, const char *missing) {
  char exp[96], got[96];
  if (x->status) say(add(l, outcome_meets(word, x->status), "%sstatus", prefix), x->status, word);
  if (x->reason) {
    quote_str(exp, sizeof exp, x->reason);
    if (r) quote_str(got, sizeof got, r->reason ? r->reason : "");
    say(add(l, r && !strcmp(x->reason, r->reason ? r->reason : ""), "%sreason", prefix), exp, r ? got : missing);
  }
  if (x->interim_set) {
    interim_text(x->interim, x->ninterim, exp, sizeof exp);
    bool ok = r && r->ninterim == x->ninterim && !memcmp(r->interim, x->interim, sizeof *x->interim * (size_t)x->ninterim);
    if (r) interim_text(r->interim, r->ninterim, got, sizeof got);
    say(add(l, ok, "%sinterim", prefix), exp, r ? got : missing);
  }
  struct fields f = {.resp = r};
  eval_headers(l, prefix, &x->headers, &f, r ? NULL : missing);
  const struct expect_body *b = &x->body;
  if (b->equal) {
    quote(exp, sizeof exp, b->equal, b->equal_len);
    bool ok = r && r->body_bytes == b->equal_len && r->body_kept == b->equal_len &&
              !memcmp(r->body ? r->body : "", b->equal, b->equal_len);
    if (r) quote(got, sizeof got, r->body ? r->body : "", r->body_kept);
    say(add(l, ok, "%sbody.equal", prefix), exp, r ? got : missing);
  }
  if (b->match) {
    snprintf(exp, sizeof exp, "/%.90s/", b->match);
    bool ok = false;
    if (r) {
      /* The kept bytes as a C string: a NUL in the body ends what the pattern sees. */
      char *text = malloc(r->body_kept + 1);
      if (text) {
        memcpy(text, r->body ? r->body : "", r->body_kept);
        text[r->body_kept] = 0;
        ok = regexec(&b->re, text, 0, NULL, 0) == 0;
        quote(got, sizeof got, text, r->body_kept);
        free(text);
      }
    }
    say(add(l, ok, "%sbody.match", prefix), exp, r ? got : missing);
  }
  if (b->length >= 0) {
    snprintf(exp, sizeof exp, "%ld", b->length);
    if (r) snprintf(got, sizeof got, "%zu", r->body_bytes);
    say(add(l, r && (long)r->body_bytes == b->length, "%sbody.length", prefix), exp, r ? got : missing);
  }
}

static void eval_upstream(struct alist *l, const char *prefix, const struct expect_upstream *u, json_t *req,
                          const char *missing) {
  const char *texts[3][2] = {{"method", u->method}, {"target", u->target}, {"version", u->version}};
  char exp[96], got[96];
  for (int i = 0; i < 3; i++) {
    if (!texts[i][1]) continue;
    const char *v = json_string_value(json_object_get(req, texts[i][0]));
    quote_str(exp, sizeof exp, texts[i][1]);
    if (v) quote_str(got, sizeof got, v);
    say(add(l, v && !strcmp(v, texts[i][1]), "%s%s", prefix, texts[i][0]), exp, v ? got : missing);
  }
  struct fields f = {.headers = json_object_get(req, "headers")};
  eval_headers(l, prefix, &u->headers, &f, req ? NULL : missing);
  if (u->body_length >= 0) {
    json_t *n = json_object_get(req, "body_length");
    snprintf(exp, sizeof exp, "%ld", u->body_length);
    if (n) snprintf(got, sizeof got, "%lld", (long long)json_integer_value(n));
    say(add(l, n && json_integer_value(n) == u->body_length, "%sbody_length", prefix), exp, n ? got : missing);
  }
  if (u->upstream) {
    json_t *n = json_object_get(req, "upstream");
    snprintf(exp, sizeof exp, "%d", u->upstream);
    if (n) snprintf(got, sizeof got, "%lld", (long long)json_integer_value(n));
    say(add(l, n && json_integer_value(n) == u->upstream, "%supstream", prefix), exp, n ? got : missing);
  }
}

static void eval_count(struct alist *l, const char *id, long want, long have) {
  if (want < 0) return;
  char exp[32], got[32];
  snprintf(exp, sizeof exp, "%ld", want);
  snprintf(got, sizeof got, have < 0 ? "unknown" : "%ld", have);
  say(add(l, have == want, "%s", id), exp, got);
}

/* ---- upstream_closed: who ended each upstream connection (expectation.h's rule) ---- */

struct upconn {
  long long id;
  const char *end;   /* the record's end: "peer_fin", "fin", "open", ... */
  const char *state; /* an open one's, or NULL */
  double t_ms;       /* the proxy's: its first peer_fin/peer_reset; else the close; -1: unknown */
  bool by_proxy;     /* ended by the proxy's FIN or RST, before its stop */
  bool at_stop;      /* a peer_fin/peer_reset at or after the proxy's stop */
};

static double event_t(json_t *ev) { return json_number_value(json_object_get(ev, "t_ms")); }

static void upconn_read(json_t *rec, double stop_unix_ms, struct upconn *u) {
  memset(u, 0, sizeof *u);
  u->id = json_integer_value(json_object_get(rec, "id"));
  u->end = json_string_value(json_object_get(rec, "end"));
  if (!u->end) u->end = "unknown";
  u->state = json_string_value(json_object_get(rec, "state"));
  double first_peer = -1, close = -1;
  size_t i;
  json_t *ev;
  json_array_foreach(json_object_get(rec, "events"), i, ev) {
    const char *what = json_string_value(json_object_get(ev, "what"));
    if (!what) continue;
    if (first_peer < 0 && (!strcmp(what, "peer_fin") || !strcmp(what, "peer_reset"))) first_peer = event_t(ev);
    if (!strcmp(what, "close")) close = event_t(ev);
  }
  bool peer = !strcmp(u->end, "peer_fin") || !strcmp(u->end, "peer_reset");
  /* The proxy's first FIN or RST, which may precede the close by a plan still writing. */
  u->t_ms = peer ? (first_peer >= 0 ? first_peer : close) : close;
  double start = json_number_value(json_object_get(rec, "start_unix_ms"));
  u->at_stop = peer && stop_unix_ms > 0 && u->t_ms >= 0 && start + u->t_ms >= stop_unix_ms;
  u->by_proxy = peer && !u->at_stop;
}

/* "connection 3 ended by the upstream (fin) at 3.20 s", and the like. */
static void upconn_say(const struct upconn *u, char *out, size_t len) {
  char at[32] = "";
  if (u->t_ms >= 0) snprintf(at, sizeof at, " at %.2f s", u->t_ms / 1000);
  if (u->by_proxy) snprintf(out, len, "connection %lld closed by the proxy (%s)%s", u->id, u->end, at);
  else if (u->at_stop)
    snprintf(out, len, "connection %lld held by the proxy until it was stopped (%s%s)", u->id, u->end, at);
  else if (!strcmp(u->end, "open"))
    snprintf(out, len, "connection %lld still open (%s)", u->id, u->state ? u->state : "?");
  else if (!strcmp(u->end, "shutdown"))
    snprintf(out, len, "connection %lld ended by the simulator's shutdown%s", u->id, at);
  else snprintf(out, len, "connection %lld ended by the upstream (%s)%s", u->id, u->end, at);
}

static void eval_upstream_closed(struct alist *l, const struct expect_set *s, const struct expect_inputs *in,
                                 json_t *records) {
  if (s->upstream_closed == EXPECT_UPCLOSED_ANY) return;
  bool want = s->upstream_closed == EXPECT_UPCLOSED_TRUE;
  char got[96], got_s[96], exp_s[96];
  size_t n = json_array_size(records), others = 0;
  struct upconn first_other = {0}, latest = {.t_ms = -2};
  for (size_t i = 0; i < n; i++) {
    struct upconn u;
    upconn_read(json_array_get(records, i), in->proxy_stop_unix_ms, &u);
    if (!u.by_proxy && !others++) first_other = u;
    /* The proxy's latest close, an unknown time being the latest of all. */
    if (u.by_proxy && (latest.t_ms == -2 || u.t_ms < 0 || (latest.t_ms >= 0 && u.t_ms > latest.t_ms))) latest = u;
  }
  bool all = n > 0 && others == 0, ok = want ? all : n > 0 && others > 0;
  if (!json_is_array(records)) {
    snprintf(got, sizeof got, "unknown (no record of the upstream's connections)");
  } else if (n == 0) {
    snprintf(got, sizeof got, "no upstream connection");
  } else if (others) {
    upconn_say(&first_other, got, sizeof got);
    if (others > 1) snprintf(got + strlen(got), sizeof got - strlen(got), " (and %zu more)", others - 1);
  } else {
    upconn_say(&latest, got, sizeof got);
    if (n > 1) snprintf(got + strlen(got), sizeof got - strlen(got), ", the last of %zu", n);
  }
  say(add(l, ok, "upstream_closed"),
      want ? "every upstream connection closed by the proxy" : "an upstream connection not closed by the proxy", got);
  if (s->upstream_closed_s < 0) return;
  snprintf(exp_s, sizeof exp_s, "closed by the proxy within %.3g s of its accept", s->upstream_closed_s);
  bool in_time = all && latest.t_ms >= 0 && latest.t_ms <= s->upstream_closed_s * 1000;
  if (all && latest.t_ms < 0)
    snprintf(got_s, sizeof got_s, "connection %lld closed by the proxy at an unknown time", latest.id);
  else if (all) upconn_say(&latest, got_s, sizeof got_s);
  else snprintf(got_s, sizeof got_s, "%s", got);
  say(add(l, in_time, "upstream_closed_s"), exp_s, got_s);
}

/* Every assertion of one alternative, in the order of expect_eval.h. */
static void eval_set(struct alist *l, const struct expect_set *s, const struct expect_inputs *in, json_t *requests,
                     json_t *records) {
  const struct seen_response *last = in->seen ? seen_last(in->seen) : NULL;
  eval_response(l, "", &s->final, last, in->outcome, "no response");
  char exp[96], got[96];
  if (s->connection != EXPECT_CONN_ANY) {
    enum seen_conn c = in->seen ? in->seen->last_conn : SEEN_CONN_UNKNOWN;
    static const char *const words[] = {[SEEN_CONN_UNKNOWN] = "unknown", [SEEN_CONN_KEPT] = "kept",
                                        [SEEN_CONN_CLOSED] = "closed", [SEEN_CONN_RESET] = "reset"};
    bool closed = c == SEEN_CONN_CLOSED || c == SEEN_CONN_RESET; /* "closed" includes a reset */
    bool ok = s->connection == EXPECT_CONN_CLOSED ? closed : c == SEEN_CONN_KEPT;
    say(add(l, ok, "connection"), s->connection == EXPECT_CONN_CLOSED ? "closed" : "kept", words[c]);
  }
  snprintf(got, sizeof got, "%.3f s", in->elapsed_s);
  if (s->min_s >= 0) {
    snprintf(exp, sizeof exp, ">= %.3f s", s->min_s);
    say(add(l, in->elapsed_s >= s->min_s, "min_s"), exp, got);
  }
  if (s->max_s >= 0) {
    snprintf(exp, sizeof exp, "<= %.3f s", s->max_s);
    say(add(l, in->elapsed_s <= s->max_s, "max_s"), exp, got);
  }
  eval_count(l, "attempts", s->attempts, in->attempts);
  eval_count(l, "connections", s->connections, in->connections);
  eval_upstream_closed(l, s, in, records);
  for (size_t i = 0; i < s->nupstream; i++) {
    char prefix[48];
    if (s->upstream_list) snprintf(prefix, sizeof prefix, "upstream_requests[%zu].", i + 1);
    else snprintf(prefix, sizeof prefix, "upstream.");
    json_t *req = json_array_get(requests, i);
    eval_upstream(l, prefix, &s->upstream[i], req,
                  !in->requests_json ? "unknown (no record of the upstream's requests)" : "no request");
  }
  for (size_t i = 0; i < s->nlog; i++) {
    if (!in->proxy || strcmp(s->log[i].proxy, in->proxy)) continue; /* another proxy's pattern */
    const char *lines = in->proxy_log ? in->proxy_log : "";
    snprintf(exp, sizeof exp, "/%.90s/", s->log[i].pattern);
    if (lines[0]) quote_str(got, sizeof got, lines);
    else snprintf(got, sizeof got, "no log line");
    say(add(l, regexec(&s->log[i].re, lines, 0, NULL, 0) == 0, "log.%s", s->log[i].proxy), exp, got);
  }
  size_t nseen = in->seen ? in->seen->nresponses : 0;
  for (size_t i = 0; i < s->nresponses; i++) {
    char prefix[48], word[48] = "none";
    snprintf(prefix, sizeof prefix, "responses[%zu].", i + 1);
    const struct seen_response *r = i < nseen ? &in->seen->responses[i] : NULL;
    if (r) response_word(r, i + 1 == nseen, in->outcome, word, sizeof word);
    eval_response(l, prefix, &s->responses[i], r, word, "no response");
  }
}

static bool all_ok(const struct alist *l) {
  for (size_t i = 0; i < l->n; i++)
    if (!l->v[i].ok) return false;
  return !l->oom;
}

void expect_evaluate(const struct expectation *e, const struct expect_inputs *in, struct expect_report *out,
                     char *signature, size_t len) {
  memset(out, 0, sizeof *out);
  snprintf(signature, len, "%s", in->outcome);
  if (!e || !e->n) return;
  out->evaluated = true;
  json_t *doc = in->requests_json ? json_loads(in->requests_json, 0, NULL) : NULL;
  json_t *requests = json_object_get(doc, "requests");
  json_t *records = in->events_json ? json_loads(in->events_json, 0, NULL) : NULL;
  struct alist *lists = calloc(e->n, sizeof *lists);
  size_t pick = 0, by_status = e->n, held = e->n;
  for (size_t i = 0; lists && i < e->n; i++) {
    eval_set(&lists[i], &e->alt[i], in, requests, records);
    if (held == e->n && all_ok(&lists[i])) held = i;
    if (by_status == e->n && outcome_meets(in->outcome, e->alt[i].final.status)) by_status = i;
  }
  pick = held < e->n ? held : by_status < e->n ? by_status : 0;
  out->passed = held < e->n;
  out->alternative = pick;
  const struct alist *l = lists ? &lists[pick] : NULL;
  size_t used = strlen(signature);
  for (size_t i = 0; l && i < l->n; i++) {
    const struct expect_assertion *a = &l->v[i];
    if (out->n < EXPECT_ASSERTIONS_MAX) out->a[out->n++] = *a;
    if (a->ok) continue;
    out->failed++;
    if (!strcmp(a->id, "status")) continue; /* the outcome word says it */
    size_t need = strlen(a->id) + 2;
    if (used + need + 6 < len) used += (size_t)snprintf(signature + used, len - used, " !%s", a->id);
    else if (used + 6 < len && !strstr(signature, " !...")) used += (size_t)snprintf(signature + used, len - used, " !...");
  }
  if (out->passed && e->alt[pick].note[0] && used + strlen(e->alt[pick].note) + 2 < len)
    snprintf(signature + used, len - used, " =%s", e->alt[pick].note);
  for (size_t i = 0; lists && i < e->n; i++) free(lists[i].v);
  free(lists);
  json_decref(doc);
  json_decref(records);
}

int expect_events_open(const char *events_json) {
  json_t *records = events_json ? json_loads(events_json, 0, NULL) : NULL;
  if (!json_is_array(records)) {
    json_decref(records);
    return -1;
  }
  int open = 0;
  size_t i;
  json_t *rec;
  json_array_foreach(records, i, rec) {
    const char *end = json_string_value(json_object_get(rec, "end"));
    open += end && !strcmp(end, "open");
  }
  json_decref(records);
  return open;
}

void expect_failed_list(const struct expect_report *r, char *out, size_t len) {
  size_t used = 0;
  if (len) out[0] = 0;
  for (size_t i = 0; i < r->n && used < len; i++) {
    const struct expect_assertion *a = &r->a[i];
    if (a->ok) continue;
    int w = snprintf(out + used, len - used, "%s%s: expected %s, got %s", used ? "; " : "", a->id, a->expected, a->got);
    if (w < 0) break;
    used += (size_t)w;
  }
}

void expect_evaluate_case(const struct expectation *e, struct expect_inputs *in, struct expect_report *out,
                          char *got, size_t len) {
  char *outcome = strdup(got); /* got is overwritten with the signature */
  in->outcome = outcome ? outcome : "error";
  expect_evaluate(e, in, out, got, len);
  in->outcome = NULL;
  free(outcome);
}
