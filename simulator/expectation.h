/* expectation.h: a scenario's `expect` when it is a table: alternatives, each a set of
 * assertions about what the client saw (RFC 9110 15 status and reason, 6.3 header fields,
 * 6.4 content, 15.2 interim responses; RFC 9112 9.6 the connection's fate), what the
 * upstream(s) received, timing, attempts and the proxy's log.
 *
 *   expect = 502                                   a word: no expectation (s->expect only)
 *   expect = { 400, 505 }                          alternatives: any one passes
 *   expect = { status = 200, headers = {...} }     one set of assertions
 *   expect = { 400, { status = 200, ... } }        alternatives, each a word or a set
 *
 * Read and checked at load (scenario{} in vocabulary.c, then scenario_load): unknown
 * fields, wrong types, bad outcome words and regular expressions that do not compile
 * (POSIX ERE, compiled here once) are load errors. The harness evaluates it
 * (harness/expect_eval.h); the data plane never reads it. */
#ifndef BADUP_EXPECTATION_H
#define BADUP_EXPECTATION_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

/* 1xx statuses an expectation may list before a final response (seen.h keeps as many). */
#define EXPECT_MAX_INTERIM 8

/* What a header assertion asks of a field (names ASCII case-insensitive, RFC 9110 5.1). */
#define BADUP_EXPECT_HEADER_KINDS(X) \
  X(PRESENT, "present")              \
  X(ABSENT,  "absent")               \
  X(EQUAL,   "equal")                \
  X(MATCH,   "match")                \
  X(COUNT,   "count")

enum expect_header_kind {
#define BADUP_EXPECT_HK_ENUM(id, word) EXPECT_H_##id,
  BADUP_EXPECT_HEADER_KINDS(BADUP_EXPECT_HK_ENUM)
#undef BADUP_EXPECT_HK_ENUM
  EXPECT_H__COUNT
};

extern const char *const expect_header_kind_words[EXPECT_H__COUNT];

struct expect_header {
  enum expect_header_kind kind;
  char *name;
  char *value;   /* equal: the value; match: the pattern; else NULL */
  regex_t re;    /* match only */
  long count;    /* count only */
};

/* In the order they are evaluated and reported: present, absent, equal, match, count; map
 * entries sorted by name, so ids come out in the same order on every run. */
struct expect_headers {
  struct expect_header *v;
  size_t n;
};

/* `body = "exact"` or `body = { equal =, match =, length = }`: the decoded content. */
struct expect_body {
  char *equal;      /* NULL: not asserted */
  size_t equal_len;
  char *match;      /* the pattern, NULL: not asserted */
  regex_t re;
  long length;      /* bytes; -1: not asserted */
};

/* About one final response: the top level of a set (the last response), or an entry of
 * `responses`. */
struct expect_response {
  char *status;     /* an outcome word ("502", "200+truncated", "closed"); NULL: not asserted */
  char *reason;     /* exact reason phrase; NULL: not asserted */
  struct expect_headers headers;
  struct expect_body body;
  bool interim_set; /* interim given: exactly these 1xx statuses, in order (none: 0 of them) */
  int interim[EXPECT_MAX_INTERIM];
  int ninterim;
};

/* About one request an upstream received (the JSON of GET /requests). */
struct expect_upstream {
  char *method, *target, *version; /* NULL: not asserted */
  struct expect_headers headers;
  long body_length;                /* -1: not asserted */
  int upstream;                    /* 1-based; 0: not asserted */
};

enum expect_connection { EXPECT_CONN_ANY, EXPECT_CONN_CLOSED, EXPECT_CONN_KEPT };

/* `upstream_closed = true|false`: how the upstream connections of the case ended, read from
 * the simulator's GET /events (events.h: each connection's `end`, its events' t_ms since its
 * accept). A connection was closed by the proxy when its end is "peer_fin" or "peer_reset"
 * (the proxy's FIN or RST ended it; RFC 9112 9.6) and that came before the harness began to
 * stop the proxy. Every other end counts against it: "fin", "reset", "error" (the upstream's
 * plan ended it first, or failed), "shutdown" (the simulator stopped), "open" (still open
 * when the evidence was taken), or a peer_fin/peer_reset at or after the proxy's stop (the
 * proxy held it until it was stopped). When the proxy's FIN comes while the upstream's plan is
 * still writing, the plan goes on; its end then says who ended it last: "peer_reset" (a
 * write failed) or "fin" (the plan ran to its close: ended by the upstream).
 *   true:  there is at least one upstream connection, and the proxy closed every one;
 *   false: there is at least one, and at least one was not closed by the proxy.
 * With no upstream connection at all both fail ("no upstream connection").
 * `upstream_closed_s = N` (seconds, needs upstream_closed = true): the proxy closed each one
 * within N seconds of its accept: the t_ms of its first peer_fin or peer_reset event (or of
 * its close event when a failed write ended it). */
enum expect_upstream_closed { EXPECT_UPCLOSED_ANY, EXPECT_UPCLOSED_TRUE, EXPECT_UPCLOSED_FALSE };

struct expect_log {
  char *proxy, *pattern;
  regex_t re;
};

/* One alternative. A plain word in a list of alternatives is a set with its status alone. */
struct expect_set {
  struct expect_response final;    /* final.status is always set */
  enum expect_connection connection;
  char note[32];                   /* note = "word": named in the signature when this one holds; "": none */
  double min_s, max_s;             /* the exchange's seconds; < 0: not asserted */
  long attempts, connections;      /* upstream requests and connections; -1: not asserted */
  enum expect_upstream_closed upstream_closed;
  double upstream_closed_s;        /* seconds after each accept; < 0: not asserted */
  struct expect_upstream *upstream; /* upstream = {...}: one; upstream_requests: one per request */
  size_t nupstream;
  bool upstream_list;              /* given as upstream_requests (ids "upstream_requests[N].") */
  struct expect_log *log;          /* sorted by proxy name */
  size_t nlog;
  struct expect_response *responses; /* responses = { {...}, ... }: per final response */
  size_t nresponses;
};

struct expectation {
  struct expect_set *alt;
  size_t n;
  bool list; /* given as a list of alternatives (ids and messages say "expect[N]") */
};

/* Reads the table at idx (an `expect` table) into a new expectation. Returns it, or NULL
 * with why (no position: the caller adds "file:line: ") in err (size errlen). An empty list
 * or map where assertions go (headers.present, upstream, log, responses, ...) is an error:
 * it would assert nothing. Never raises a Lua error except on memory exhaustion; the stack
 * is left as it was. */
struct expectation *expectation_read(lua_State *L, int idx, char *err, size_t errlen);

void expectation_free(struct expectation *e);

/* The registry field the scenario loader (scenario.c) keeps a list in: the names of the ctx
 * values the file read that are not set, at most EXPECT_CTX_UNSET_MAX. An empty list or map
 * expectation_read finds then says which (`present = { ctx.field }` without
 * `badup run --set field=...` is { }). */
#define EXPECT_CTX_UNSET "badup.ctx_unset"
#define EXPECT_CTX_UNSET_MAX 8

/* Does e fit the scenario: every `upstream = K` at most nupstreams, and `responses` no
 * longer than the nrequests requests the client part sends (0: not known, not checked: no
 * client part, or a raw request, which may hold several)? False with why in err (no position: the caller adds "file:line: "). */
bool expectation_fits(const struct expectation *e, int nupstreams, int nrequests, char *err, size_t errlen);

/* Does an alternative assert the connection's fate after the last response? (The client
 * then waits a moment for the proxy's FIN or RST.) NULL: no. */
bool expectation_asks_connection(const struct expectation *e);

/* Does an alternative assert upstream_closed? (The harness then gives the proxy a moment to
 * close its upstream connections before it stops the proxy.) NULL: no. */
bool expectation_asks_upstream_closed(const struct expectation *e);

#endif
