/* scenario.h: a loaded scenario file: its metadata, its plan and its Lua state.
 *
 * Loading runs the file once in its own sandbox. A static plan is compiled to C right
 * there and the state is never entered again for it; a plan function stays in the state
 * and is called per request through scenario_call. */
#ifndef BADUP_SCENARIO_H
#define BADUP_SCENARIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "client_part.h"
#include "expectation.h"
#include "plan.h"
#include "request.h"
#include "sandbox.h"

enum scenario_kind { SCENARIO_STATIC, SCENARIO_FUNCTION, SCENARIO_LISTENER };

extern const char *const scenario_kind_names[3];

/* A scenario serves 1 to SCENARIO_MAX_UPSTREAMS upstreams, each on a port of its own. */
#define SCENARIO_MAX_UPSTREAMS 8

/* What one upstream runs. */
struct upstream_plan {
  enum scenario_kind kind;
  struct plan *plan; /* static and listener */
  int fn_ref;        /* a plan function in the registry, or LUA_NOREF */
};

/* Counters: written by the data plane, read by the control API thread. */
struct scenario_stats {
  _Atomic uint64_t connections, requests, errors;
  _Atomic uint64_t steps[STEP__COUNT];
};

struct ctx_var {
  const char *name;
  const char *value;
};

/* tls = { ... }: the upstream speaks TLS (RFC 8446) on its port, with OpenSSL on the loop
 * (transport_tls.c); docs/tls.md has the Lua shape. Absent: plain TCP. */
struct scenario_tls {
  int cert;                     /* enum tls_cert_kind (tls_certs.h): the leaf served */
  int min_version, max_version; /* TLS1_VERSION .. TLS1_3_VERSION; 0: OpenSSL's default */
  char **alpn;                  /* protocols the server picks from, its preference first
                                   (RFC 7301); NULL: no ALPN answer */
  size_t nalpn;
  char *sni;                    /* the server name the client must send (RFC 6066 3), else
                                   a fatal unrecognized_name alert; NULL: any or none */
  struct plan *handshake;       /* steps run on the raw connection once the ClientHello has
                                   come, instead of the handshake; NULL: complete it */
};

/* http2 = true | { ... }: the upstream speaks HTTP/2 (RFC 9113) on its connections
 * (h2_conn.c); h2_vocabulary.h has the Lua shape. Absent: HTTP/1. */
struct scenario_http2 {
  unsigned char *settings; /* the whole SETTINGS frame sent once the client preface came */
  size_t settings_len;     /* 0 with settings = false: no SETTINGS frame, and no ACK either */
  struct plan *preface;    /* steps run once the client preface (or bytes that cannot be one)
                              came, instead of HTTP/2; NULL: HTTP/2 */
  /* Read off settings once, at load: */
  uint32_t max_frame;      /* SETTINGS_MAX_FRAME_SIZE announced (16384 unless set; RFC 9113
                              6.5.2's range): a peer may send frames that large (4.2) */
  bool window_closed;      /* INITIAL_WINDOW_SIZE 0: a server that handed back what it reads
                              would open the window it closed, so no stream WINDOW_UPDATE */
};

/* client_tls = { handshake = ... }: what the harness's client does on the proxy's TLS port in
 * place of a whole handshake (RFC 8446 4.1.2: the ClientHello opens it). */
enum scenario_client_handshake {
  CLIENT_HANDSHAKE_FULL,        /* client_tls = true: a whole handshake, then the request */
  CLIENT_HANDSHAKE_NONE,        /* "none": the request's plain bytes, no TLS at all */
  CLIENT_HANDSHAKE_HELLO_STALL, /* "client_hello_then_stall": a ClientHello, then silence */
  CLIENT_HANDSHAKE_HELLO_RESET, /* "client_hello_then_reset": a ClientHello, then an RST */
};
/* The handshake named name ("none", ...), or -1; "full" is client_tls = true's. */
int scenario_client_handshake_parse(const char *name);
extern const char *const scenario_client_handshake_names[]; /* indexed by the enum */

struct scenario_opts {
  bool unsafe;
  unsigned long seed;
  size_t mem_cap;
  long budget;
  const struct ctx_var *ctx;
  size_t nctx;
};

struct scenario {
  /* expect: the outcome word a plain expect compares with; for a table, its first
   * alternative's status. expect_text: what a report shows as the expect, every
   * alternative's status once, "502|200" (scenario_expect_text). */
  char *name, *file, *summary, *expect, *rfc, *expect_text;
  enum scenario_kind kind;
  bool continue100;
  /* What the harness needs to run the scenario through a proxy and judge the outcome;
   * the data plane never reads these. (Unnamed, so they read as s->requests.) */
  struct {
    int requests;          /* requests sent through the proxy (the last counts) */
    bool forward, forward_auth; /* forward = true | { auth = true }: the proxy runs as a
                                   forward proxy (RFC 9110 3.7), with Basic proxy
                                   authentication (RFC 9110 11.7.1) */
    double proxy_read_timeout; /* seconds: the proxies' upstream read timeout for this
                                  scenario instead of the run's (--read-timeout); 0: the run's */
    double check_min_s, check_max_s; /* the outcome's time window; <0: none */
    int check_attempts;    /* upstream requests expected; <0: not checked */
    char **check_log;      /* {proxy, POSIX ERE, proxy, ERE, ..., NULL} */
    char digest[17];       /* FNV-1a 64 of the file without its comment lines, hex: the
                              reference is only compared with the scenario it recorded */
    char *client_request;  /* raw bytes sent instead of curl's GET, or NULL */
    size_t client_request_len;
    struct client_part *client; /* `client = { request{...}, ... }`, or NULL */
    bool client_tls;       /* client_tls = ...: runs only with badup run --client-tls */
    enum scenario_client_handshake client_handshake;
    struct expectation *expectation; /* expect given as a table (then expect is the first
                                        alternative's status word), or NULL */
  };
  struct plan *plan; /* static and listener scenarios */
  struct scenario_http2 *http2; /* NULL: HTTP/1 */
  struct scenario_tls *tls; /* NULL: plain TCP (unless badup serve --tls gives every
                               scenario the default TLS) */
  struct sandbox sb;
  int fn_ref;        /* plan function in the registry, or LUA_NOREF */
  /* kind, plan and fn_ref are upstream 1's. `upstreams = N` (the harness starts N upstreams,
   * the simulator listens on N ports) runs them on every upstream; `upstreams = { {plan =
   * ...}, ... }` gives each its own: upstream k's is more[k - 2]. */
  int nupstreams;             /* 1.. SCENARIO_MAX_UPSTREAMS */
  struct upstream_plan *more; /* nupstreams - 1 of them, or NULL */
  struct scenario_stats stats;
};

/* Loads path into s. On failure returns -1, leaves nothing allocated, and sets *err to a
 * message that starts with "path:line:". */
int scenario_load(struct scenario *s, const char *path, const struct scenario_opts *o,
                  struct buf *err);

/* What upstream `up` (0-based) runs: its own plan, or upstream 1's when the scenario gives
 * all the same (or has fewer upstreams than that: a folder served with several ports). */
struct upstream_plan scenario_upstream(const struct scenario *s, int up);

/* Calls the plan function of the upstream req came in on (req->upstream) for req. Returns a plan with one reference, or NULL and *err
 * ("file:line: message"). Never raises; the state stays usable. */
struct plan *scenario_call(struct scenario *s, const struct request *req, struct buf *err);

void scenario_unload(struct scenario *s);

/* The expect as reports show it: "502", or for a table every alternative's status once, in
 * order, joined with "|" ("502|200"). Never compared: verdicts compare s->expect or the
 * expectation's alternatives. */
static inline const char *scenario_expect_text(const struct scenario *s) {
  return s->expect_text ? s->expect_text : s->expect;
}

/* The scenario that answers requests no loaded scenario claims when none is named "ok":
 * a static 200 "ok". Returns 0 or -1 (out of memory). */
int scenario_builtin_ok(struct scenario *s);

#endif
