/* proxy.h: a proxy definition, read from harness/proxies/<name>.lua.
 *
 * The file returns proxy { ... } (see docs/proxies.md): where the binary is, how to get
 * its version, the files to render into the case folder (with ${...} variables), the
 * command that runs it in the foreground, how retries are switched, its logs, and how
 * `badup explain` reads them.
 * Every field is type-checked by proxy{} itself, inside the protected call that runs the
 * file, and copied into struct proxy_def there: nothing reads Lua afterwards. Definitions
 * are plain data once loaded: worker threads share them read-only. */
#ifndef BADUP_PROXY_H
#define BADUP_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct proxy_file {
  char *name;     /* relative to the case folder */
  char *text;     /* template */
};

/* A write directive whose built-in default lies outside the case folder: a config must set it. */
struct proxy_must_set {
  char *directive;    /* Lua pattern matching a statement that sets it */
  char *default_path; /* where the proxy writes when nothing sets it */
  char *example;      /* a statement that sets it inside the case folder */
  bool main_only;     /* only a statement in the main context sets it (context = "main") */
};

/* How a config language is cut into statements, so that every rule sees whole statements
 * in their context: a directive whose value is on the next line, a directive inside a
 * string, a comment, a block of data (nginx's map) or a conditional section must each be
 * read as the proxy reads it. */
enum syntax_ends {
  ENDS_LINE,       /* a statement ends with its line (unless `continued`) */
  ENDS_SEMICOLON,  /* ... at its ';' (or a block's brace), over lines (nginx, VCL, JS) */
  ENDS_ASSIGNMENT, /* free form: a statement starts at `name =` (lighttpd) */
  ENDS_YAML        /* a YAML line with its continuation lines (h2o) */
};

enum {
  COMMENT_HASH = 1,      /* '#' at the start of a token, to the end of the line */
  COMMENT_HASH_ANY = 2,  /* '#' anywhere outside quotes (haproxy, lighttpd) */
  COMMENT_HASH_LINE = 4, /* only a line whose first character is '#' (apache, squid) */
  COMMENT_SLASHES = 8,   /* '//' to the end of the line */
  COMMENT_BLOCK = 16     /* C's block comments */
};

struct proxy_syntax {
  enum syntax_ends ends;
  bool braces;       /* '{' and '}' open and close blocks (the statement before '{' is its head) */
  bool brace_tokens; /* ... only as tokens of their own (caddy: {placeholders} are text) */
  char *open, *close; /* Lua patterns: a statement that opens / closes a block (apache's
                         sections, squid's if/endif), or NULL */
  char **data;       /* Lua patterns: heads of blocks whose lines are data, not statements */
  char *quotes;      /* the characters that open a string; '{' is VCL's {"..."} and """...""" */
  bool quote_anywhere; /* ... anywhere outside one, not only at a word's start (nginx's a"b is a word) */
  bool multiline;    /* a string may span lines */
  char *escapes;     /* the quotes (of `quotes`) whose strings take '\' escapes of the next character */
  bool word_escapes; /* '\' escapes the next character outside strings too (nginx, haproxy) */
  bool continued;    /* a line that ends in '\' goes on on the next one */
  bool caseless;     /* directive names are case-insensitive: patterns see them lowercased */
  unsigned comments; /* COMMENT_* */
};

/* Where a config sends requests: a statement matching `match` names a target (its captures,
 * or every capture of `each` in it), which must be the case's simulator. */
enum target_part {
  PART_ADDRESS,   /* a URL or host[:port] */
  PART_HOST,      /* a host alone (its port is said elsewhere) */
  PART_PORT,      /* a port alone */
  PART_HOST_PORT, /* two captures: the host, then the port */
  PART_SOCKET     /* a unix socket: never the simulator */
};

struct proxy_target {
  char *match;  /* Lua pattern: the statements it is about */
  char *each;   /* Lua pattern with one capture, applied to every place in the statement, or NULL */
  char *skip;   /* Lua pattern: a captured value that names no target (ProxyPass !), or NULL */
  char *unless; /* Lua pattern: a statement that also matches it is fine, or NULL */
  char *why;    /* a statement that matches is refused with this reason (it sends where
                   the check cannot follow: a forward proxy, a script), or NULL */
  char *use;    /* what to write instead, when it is not the statement with the simulator's
                   address in place of its target (a unix socket), or NULL */
  char *needs;  /* part host: Lua pattern of the statement that says its port, which its block
                   (or, with each, the parentheses around it) must hold, or NULL */
  enum target_part part;
};

/* How a config can make the proxy detach into the background (a daemon in a session of its
 * own), where the harness loses it: a case sees its command exit, and the daemon outlives
 * badup. A definition keeps the proxy in the foreground on its command line when a flag
 * there wins over the config (haproxy -db, squid -N, ...); these rules refuse a config that
 * would undo that, or that must say so itself (nginx: daemon off;). */
struct proxy_foreground {
  char **detaches; /* Lua patterns: a statement that makes it detach; empty: none can */
  char *stays;     /* Lua pattern: the statement that keeps it attached (it detaches by
                      default without one), or NULL */
  char *example;   /* the statement to write instead, or NULL: remove the one that detaches */
  bool main_only;  /* `stays` counts only in the main context (context = "main") */
};

/* How `badup explain` reads the proxy's log lines (explain = { ... }, docs/proxies.md). Every
 * pattern is a POSIX ERE, applied to a line after badup's proxy-neutral reading has replaced
 * times, addresses, URLs, paths and numbers by placeholders (<time>, <ip>, <n>, ...). */
struct proxy_mask {       /* a part of its lines that is a deployment's own (a name, a size) */
  char *pattern;
  unsigned groups;        /* bit k: capture k becomes `with` (bit 0: the whole match) */
  char *with;             /* "<name>", "<host>", "<n>", "<data>", "<path>" or "" */
};

struct proxy_signature {  /* where it states its verdict */
  char *kind;             /* names the verdict ("haproxy-state"); "status" is badup's own */
  char *label;            /* how explain names it ("termination state") */
  char *pattern;
  int group;              /* the capture that holds the value (0: the whole match) */
  int weight;             /* 1 to 10: how much it counts when two lines compare */
  bool all;               /* every match of the line counts, not the first only */
  size_t key_len;         /* > 0: two values compare by their first key_len bytes */
  bool not_verdict;       /* no value of this kind says why, only that something was logged */
  char *not_verdict_re;   /* ... or only the values matching it (caddy's "handled request"), or NULL */
};

struct proxy_family {     /* the kind of failure a value of one of its signatures says */
  char *kind, *pattern;
  char *family;           /* one of logline.h's families: close, reset, timeout, ... */
};

struct proxy_field {      /* a field the harness's log format adds to the proxy's default one */
  char *name;             /* how it starts ("err=") */
  char *pattern;          /* where it is, in a raw line and in a read one */
  char *kind;             /* the signature it carries, or NULL */
  char *anchor;           /* a signature every line of that format has ("status") */
  char *meaning;          /* what it says and who lacks it, for the user */
};

struct proxy_explain {
  char **detect;          /* lines in a format only it writes; NULL-terminated */
  char **tags;            /* the program names it logs under to syslog; NULL-terminated */
  struct proxy_mask *masks;
  size_t nmasks;
  struct proxy_signature *signatures;
  size_t nsignatures;
  struct proxy_family *families;
  size_t nfamilies;
  struct proxy_field *fields;
  size_t nfields;
  char *look_in_log;      /* the file of `logs` where it says why ("" the line itself), or NULL */
  char *look_in_what;     /* what that looks like in production */
};

/* A text written once per upstream (docs/proxies.md, "Several upstreams"). */
struct proxy_list {
  char *each; /* template: ${upstream_port}, ${upstream_index}, ${upstream_suffix} are that upstream's */
  char *join; /* between two (default "\n") */
};

/* A variable of the definition's own that is "" with one upstream (upstreams.several). */
struct proxy_several {
  char *name;
  char *text;              /* a template, or NULL: */
  struct proxy_list list;  /* ... a text per upstream */
};

/* How many upstreams (origin servers) a proxy can send to, and how its files say them. */
#define PROXY_UPSTREAMS_MAX 8
#define PROXY_UPSTREAMS_SEVERAL 16 /* own variables at most */
struct proxy_upstreams {
  int max;                       /* 1..PROXY_UPSTREAMS_MAX; 1: it sends to one upstream only */
  struct proxy_list servers;     /* ${upstream_servers}; each is NULL without one */
  struct proxy_several *several;
  size_t nseveral;
  char *retries_on, *retries_off; /* ${retries} with more than one upstream, or NULL: retries' own */
  char *why;                     /* max 1: why it cannot send to more, or NULL */
};

/* forward = { files = {...}, auth = "..." | false, why_no_auth = "..." }: how the proxy runs as
 * a forward proxy (RFC 9110 3.7: the client sends absolute-form targets and CONNECT, RFC 9112
 * 3.2.2, 3.2.3), for a scenario that asks for it (docs/proxies.md, "Forward mode"). */
struct proxy_forward_mode {
  bool on;                  /* the definition has a forward mode */
  struct proxy_file *files; /* replace the definition's files of the same name, or add to them */
  size_t nfiles;
  char *auth;               /* ${auth} when a scenario asks for Basic proxy authentication
                               (RFC 9110 11.7); a template; NULL: the proxy has none built in */
  char *why_no_auth;        /* with auth NULL: why, as a skip says it */
};

/* The client-side settings every definition writes from the same variables, where the proxy
 * has a directive for them (client = { ... }, docs/proxies.md "Client-side knobs"). */
enum proxy_knob { KNOB_HEADER_TIMEOUT, KNOB_BODY_TIMEOUT, KNOB_MAX_BODY, KNOB__COUNT };
extern const char *const proxy_knob_names[KNOB__COUNT]; /* "header_timeout", "body_timeout", "max_body" */

struct proxy_knob_decl {
  bool declared;   /* the definition says something about it */
  char *directive; /* the directive it uses ("client_header_timeout"), or NULL: it has none */
};

/* The run values a proxy takes only in steps (granularity = { ... }, docs/proxies.md): a
 * directive in whole seconds, a limit in KiB. A value that is not a multiple of the step
 * would reach the proxy rounded, or be refused by it, while the results say the value. */
enum proxy_grain { GRAIN_CONNECT_TIMEOUT, GRAIN_READ_TIMEOUT, GRAIN_CLIENT_TIMEOUT, GRAIN_MAX_BODY, GRAIN__COUNT };
extern const char *const proxy_grain_names[GRAIN__COUNT]; /* "connect_timeout", ..., "max_body" */

struct proxy_def {
  char *name, *summary, *source;
  int line;             /* of the proxy{} call in source */
  char **binaries;      /* candidates, first found wins */
  size_t nbinaries;
  char *binary;         /* resolved path, NULL when not installed */
  char **version_args;
  char *version_pattern; /* Lua pattern with one capture, applied to stdout+stderr */
  char *version;        /* "2.6.12", or "unknown" */
  struct proxy_file *files;
  size_t nfiles;
  char *config;         /* the file --proxy-config replaces */
  char **command;       /* argv templates */
  char **env;           /* "NAME=value" templates */
  char *retries_on, *retries_off;
  /* upstream_tls = { on = "...", off = "..." }: ${upstream_tls} when the upstream speaks TLS
   * (on: verify its certificate against ${upstream_ca} for ${upstream_tls_name}, send SNI)
   * or plain HTTP (off, often ""). on NULL: the proxy has no TLS upstream variant. */
  char *upstream_tls_on, *upstream_tls_off;
  int upstream_tls_warmup_ms; /* added to warmup_ms in a case whose upstream speaks TLS */
  /* upstream_http2 = { on = "...", off = "..." }: ${upstream_http2} when the upstream speaks
   * HTTP/2 (RFC 9113; h2c with prior knowledge, h2 over TLS) or HTTP/1 (off, often "").
   * on NULL: the proxy has no HTTP/2 upstream variant. */
  char *upstream_http2_on, *upstream_http2_off;
  char **logs;          /* relative to the case folder */
  size_t nlogs;
  char *log_match;      /* POSIX ERE: lines that are the proxy's own word on a request */
  bool forward;         /* a forward proxy: the client asks it for the absolute URL */
  struct proxy_forward_mode fwd; /* its forward mode (forward = { ... }), when it has one */
  double ready_timeout; /* seconds */
  char **packages;
  char ***sidecars;     /* commands started once the proxy is ready (log readers) */
  size_t nsidecars;
  char **cleanup;       /* glob patterns removed after the proxy stops */
  int warmup_ms;        /* wait after ready, before the request (sidecars attaching) */
  int settle_ms;        /* wait after the request, before the stop (late log writers) */
  int stop_grace_ms;    /* SIGTERM to SIGKILL (default 3000) */
  char *user;           /* the account the proxy switches to when started as root, or NULL */
  char **check;         /* argv templates of the proxy's own config checker, or NULL */
  char **paths;         /* Lua patterns, one capture: where a config line makes it write */
  char **includes;      /* Lua patterns, one capture: files a config line makes it read */
  bool include_folders; /* an include of a folder reads the files in it (apache); else it is refused */
  char *paths_base;     /* where relative paths land; NULL: the case folder */
  struct proxy_must_set *must_set;
  size_t nmust_set;
  struct proxy_foreground foreground;
  struct proxy_syntax syntax;
  struct proxy_target *targets; /* where a config sends requests */
  size_t ntargets;
  char **groups; /* Lua patterns, one capture: a name that stands for targets declared
                    with it (nginx's upstream NAME, apache's balancer://NAME) */
  struct proxy_explain *explain; /* NULL: explain does not know its lines */
  struct proxy_upstreams upstreams;
  struct proxy_knob_decl client[KNOB__COUNT];
  double granularity[GRAIN__COUNT]; /* seconds (timeouts) or bytes (max_body); 0: any value */
  /* client_tls = { on = ..., off = ... }: ${client_tls} with and without --client-tls (the
   * proxy's frontend terminates TLS, RFC 8446, with the run's `valid` leaf). NULL: the
   * definition has no TLS frontend, its cases are skipped under --client-tls. */
  char *client_tls_on, *client_tls_off;
  /* client_http2 = { on = ..., off = ..., tls = ..., why = ... }: ${client_http2} under
   * --client-http2 on a plain frontend (h2c: on), on a TLS one (ALPN h2: tls, default on),
   * and without it (off, default ""). NULL on or tls: no such variant, its cases are skipped
   * with why (NULL: a reason of the harness's own). */
  char *client_http2_on, *client_http2_off, *client_http2_tls, *client_http2_why;
};

/* What `badup list` shows of a knob: its directive, "none", or "-" (not declared). */
const char *proxy_knob_text(const struct proxy_def *p, enum proxy_knob k);
/* --client-timeout S and --max-body BYTES, as `badup run` and `badup proxy render` both take
 * them (CMD names the command in the message): 0 with *out set, or the usage exit code after
 * saying why on stderr. Seconds from 0.001 to 600; bytes from 1 to BADUP_MAX_BODY_LIMIT. */
int proxy_client_timeout_arg(const char *cmd, const char *arg, double *out);
int proxy_max_body_arg(const char *cmd, const char *arg, long *out);

#define MAX_SIDECARS 4

/* Loads every *.lua under dir (sorted). Definitions that do not load are reported on
 * stderr as file:line: message and counted in *failures. */
struct proxy_def *proxy_load_dir(const char *dir, size_t *n, int *failures);
/* Finds the binary and asks it its version (runs it once). */
void proxy_probe(struct proxy_def *p);
void proxy_free_all(struct proxy_def *defs, size_t n);

/* The template variables, in this order (values[] is indexed by them). */
enum proxy_var {
  PV_BINARY, PV_DIR, PV_PROXY_PORT, PV_UPSTREAM_HOST, PV_UPSTREAM_PORT, PV_CONNECT_TIMEOUT,
  PV_READ_TIMEOUT, PV_CONNECT_TIMEOUT_MS, PV_READ_TIMEOUT_MS, PV_RETRIES, PV_SCENARIO,
  PV_MAX_CONNECTIONS, PV_UPSTREAM_SERVERS, PV_UPSTREAM_INDEX, PV_UPSTREAM_SUFFIX,
  PV_AUTH, PV_AUTH_USER, PV_AUTH_PASSWORD, PV_AUTH_FILE, /* forward mode's (all "" otherwise) */
  PV_CLIENT_HEADER_TIMEOUT, PV_CLIENT_HEADER_TIMEOUT_MS, PV_CLIENT_BODY_TIMEOUT, PV_CLIENT_BODY_TIMEOUT_MS,
  PV_MAX_BODY, PV_MAX_BODY_KIB,
  PV_CLIENT_TLS, PV_PROXY_SCHEME, PV_PROXY_CERT, PV_PROXY_KEY, PV_PROXY_PEM, /* --client-tls's */
  PV_PROXY_URL_HOST,
  PV_CLIENT_HTTP2, /* --client-http2's */
  PV_UPSTREAM_TLS, PV_UPSTREAM_SCHEME, PV_UPSTREAM_CA, PV_UPSTREAM_TLS_NAME, /* upstream_tls's */
  PV_UPSTREAM_URL_HOST,
  PV_UPSTREAM_HTTP2, /* upstream_http2's */
  PV__COUNT
};
extern const char *const proxy_var_names[PV__COUNT];

/* ${max_connections} in a case: one request at a time needs few. */
#define PROXY_MAX_CONNECTIONS 256

/* ${name} substitution; unknown names are an error (returned in *bad, caller frees).
 * "$${" is a literal "${". */
struct vars {
  const char *const *names;
  const char *const *values;
  size_t n;
};
char *template_render(const char *tmpl, const struct vars *v, char **bad);

/* One instance of a proxy: what its templates are rendered with. Strings are borrowed and
 * must outlive the rendering. */
struct proxy_instance {
  const char *dir;           /* ${dir}, absolute: its files are written there, it runs there */
  int port;                  /* ${proxy_port} */
  const char *upstream_host; /* ${upstream_host} */
  int upstream_port;         /* ${upstream_port}: the first upstream */
  const int *upstream_ports; /* every upstream's port, upstream_ports[0] first, or NULL: */
  int nupstreams;            /* ... 0 or 1: upstream_port alone */
  double connect_timeout, read_timeout; /* seconds */
  double client_timeout;     /* seconds: request head, and between body bytes; 0: BADUP_CLIENT_TIMEOUT_S */
  long max_body;             /* bytes of a request body; 0: BADUP_MAX_BODY */
  bool retries;              /* ${retries} is retries.on (else retries.off) */
  const char *scenario;      /* ${scenario} ("" outside a case) */
  int max_connections;       /* ${max_connections}; 0: PROXY_MAX_CONNECTIONS */
  const char *config_file;   /* a file that replaces the config template (--proxy-config), or NULL */
  const char *config_text;   /* ... or its text, or NULL */
  bool forward;              /* render the forward mode's files (p->fwd.on must be true) */
  /* With proxy authentication (p->fwd.auth set): ${auth} is rendered, ${auth_user} and
   * ${auth_password} are these, ${auth_file} the file of `user:HASH` lines already written
   * (proxy_auth_write). NULL: no authentication, all four "". */
  const char *auth_user, *auth_password, *auth_file;
  /* --client-tls: the proxy's frontend speaks TLS with this certificate and key (absolute
   * paths of PEM files in the case folder: the run's `valid` leaf, its key, both in one).
   * NULL: plain; ${client_tls} is client_tls.off and the paths are "". */
  const char *proxy_cert, *proxy_key, *proxy_pem;
  /* The upstream speaks TLS: ${upstream_tls} is upstream_tls.on (p->upstream_tls_on must be
   * set), ${upstream_scheme} "https", ${upstream_ca} this (an absolute path to the CA file
   * that signed the upstream's certificate). false: .off, "http", "". */
  bool upstream_tls;
  const char *upstream_ca;
  /* --client-http2: ${client_http2} is client_http2.on (with proxy_cert: .tls); false: .off */
  bool http2;
  /* The upstream speaks HTTP/2 (the scenario's http2): ${upstream_http2} is upstream_http2.on
   * (p->upstream_http2_on must be set) and ${upstream_scheme} "h2c" ("h2" over TLS), the
   * scheme mod_proxy names the protocol by. false: .off. */
  bool upstream_http2;
};

/* A rendered instance: the variables' values, and its command's argv and environment
 * ("NAME=value"), both NULL-terminated. */
struct proxy_rendered {
  char port[16], upstream_port[16], connect_timeout[32], read_timeout[32], connect_timeout_ms[32],
      read_timeout_ms[32], max_connections[16];
  char client_timeout[32], client_timeout_ms[32], max_body[32], max_body_kib[32];
  char *retries;
  char *upstream_tls;        /* ${upstream_tls} */
  char *upstream_http2;      /* ${upstream_http2} */
  char *servers;             /* ${upstream_servers} */
  char *auth;                /* ${auth} */
  char *client_tls;          /* ${client_tls} */
  char *client_http2;        /* ${client_http2} */
  char **several;            /* the definition's own variables' values (upstreams.several) */
  const char *values[PV__COUNT];
  const char **all_names, **all_values; /* values[] and the definition's own, for vars */
  struct vars vars;          /* the variables and their values: for sidecars and cleanup */
  char **argv, **env;
  size_t nargs, nenv;
};

/* Renders p (probed: p->binary is ${binary}) for `in`, whose upstreams must be at most
 * p->upstreams.max (proxy_upstreams_refuse): writes its files into in->dir (and
 * the folders they are in), and its command line and environment into *out. 0, or -1 with
 * why in err: a --proxy-config that cannot be read, a file that cannot be written, an
 * unknown variable, no memory. Either way proxy_rendered_free frees what it made (out may be
 * rendered again after). */
int proxy_render(const struct proxy_def *p, const struct proxy_instance *in, struct proxy_rendered *out, char *err,
                 size_t errlen);
void proxy_rendered_free(struct proxy_rendered *r);

/* proxy_client_tls.c. ${client_tls} for in (client_tls.on when in->proxy_cert is set, else
 * .off; "" without the field), rendered with vars. Malloc'd; NULL: no memory (*bad: an
 * unknown variable's name, for the caller to free). */
char *proxy_client_tls_render(const struct proxy_def *p, const struct proxy_instance *in, const struct vars *vars,
                              char **bad);

/* Why a case of scenario `scenario` cannot run through p, into why, and true: the run has
 * --client-tls (run_tls) and p has no TLS frontend ("nginx has no TLS frontend variant"), or
 * the scenario is about the TLS frontend (scenario_tls: client_tls = ...) and the run is
 * plain, or the case runs p as a forward proxy (forward) under --client-tls; false when it
 * can. */
bool proxy_client_tls_refuse(const struct proxy_def *p, const char *scenario, bool scenario_tls, bool forward,
                             bool run_tls, char *why, size_t len);

/* proxy_client_http2.c. ${client_http2} for in (client_http2.on when in->http2, .tls when
 * in->proxy_cert too, else .off; "" without the field), rendered with vars. Malloc'd; NULL:
 * no memory (*bad: an unknown variable's name, for the caller to free). */
char *proxy_client_http2_render(const struct proxy_def *p, const struct proxy_instance *in, const struct vars *vars,
                                char **bad);

/* Why a case of scenario `scenario` cannot run through p under --client-http2 (run_http2),
 * into why, and true: p has no HTTP/2 frontend for the run's transport (run_tls: ALPN h2,
 * else h2c), with the definition's why; the case runs p as a forward proxy (forward); or the
 * scenario's client sends raw HTTP/1 bytes (raw_client: its client part or client_request).
 * false when it can, and always without --client-http2. */
bool proxy_client_http2_refuse(const struct proxy_def *p, const char *scenario, bool raw_client, bool forward,
                               bool run_http2, bool run_tls, char *why, size_t len);

/* proxy_granularity.c. Why p cannot take these values (seconds; bytes; 0: not given), into
 * why ("squid takes client_timeout in whole seconds (request_timeout): 2.5 is not"), and
 * true; false when each is a multiple of its step. read_s is what the proxy gets: a
 * scenario's proxy_read_timeout, else the run's. */
bool proxy_granularity_refuse(const struct proxy_def *p, double connect_s, double read_s, double client_s,
                              long max_body, char *why, size_t len);

/* proxy_upstreams.c. Why a case whose scenario has n upstreams cannot run through p, into
 * why ("nginx sends to one upstream only"; "... at most 2 upstreams"; a user's config without
 * ${upstream_servers}), and true; false when it can. config_text: the --proxy-config's text, or NULL. */
bool proxy_upstreams_refuse(const struct proxy_def *p, int n, const char *config_text, char *why, size_t len);
/* The text of a config as one upstream renders the upstream variables (${upstream_servers}
 * is `each` for upstream 1, the definition's own variables ""), every other ${name} kept:
 * what the --proxy-config checks read. Malloc'd; NULL: no memory. */
char *proxy_upstreams_as_one(const struct proxy_def *p, const char *text);
/* Is len bytes at name a template variable of p (the standard ones and its own)? */
bool proxy_var_known(const struct proxy_def *p, const char *name, size_t len);

/* proxy_forward.c. Why a case whose scenario needs a forward proxy (forward), with Basic
 * proxy authentication (auth, RFC 9110 11.7.1), cannot run through p, into why ("nginx: no
 * forward-proxy mode in its definition"; forward.why_no_auth), and true; false when it can. */
bool proxy_forward_refuse(const struct proxy_def *p, bool forward, bool auth, char *why, size_t len);
/* ... and with nupstreams upstreams: true with why when forward and nupstreams > 1 (the
 * forward mode's reason first when it has none), so such a scenario is not skipped with the
 * reverse mode's upstreams.why. False otherwise: the other checks decide. */
bool proxy_forward_several_refuse(const struct proxy_def *p, bool forward, bool auth, int nupstreams, char *why,
                                  size_t len);
void proxy_forward_free(struct proxy_forward_mode *f);

/* proxy_upstream_tls.c. The name a proxy verifies the upstream's certificate against and
 * sends as SNI (RFC 6066 3): ${upstream_tls_name}. The run's valid certificate is for it. */
#define PROXY_UPSTREAM_TLS_NAME "localhost"
/* The CA file a TLS case's folder gets (${upstream_ca} is its absolute path). */
#define PROXY_UPSTREAM_CA_FILE "upstream-ca.crt"
/* Why a case whose upstream speaks TLS (tls) cannot run through p, into why, and true: p has
 * no upstream_tls ("varnish has no TLS upstream variant"), the scenario needs a forward proxy
 * (forward: its client names the upstream in an http:// URL), or a --proxy-config's text
 * (config_text, or NULL) never writes ${upstream_tls}, so its proxy would speak plain HTTP to
 * a TLS upstream. False when it can, or when tls is false. */
/* proxy_upstream_http2.c. Should an HTTP/2 case (a scenario with http2) be skipped, and why
 * ("no HTTP/2 upstream: NAME has no upstream_http2 variant"): a definition without the
 * variant, a forward-mode scenario, or a --proxy-config (config_text, or NULL) that never
 * writes ${upstream_http2} (itself or through ${upstream_servers}). false when http2 is false. */
bool proxy_upstream_http2_refuse(const struct proxy_def *p, bool http2, bool forward, const char *config_text,
                                 char *why, size_t len);
bool proxy_upstream_tls_refuse(const struct proxy_def *p, bool tls, bool forward, const char *config_text, char *why,
                               size_t len);

/* proxy_auth.c. Credentials for one case: a random user ("badup-" and 8 hex digits) and
 * password (24 hex digits) from the kernel's random source; the file of `user:HASH` lines
 * (crypt(3) "$6$", SHA-512 with a random salt, what squid's basic_ncsa_auth and apache's
 * AuthUserFile read) written as dir/PROXY_AUTH_FILE (c->file), and user and password in plain
 * text as credentials_dir/PROXY_CREDENTIALS_FILE (for replaying by hand). 0, or -1 with why in
 * err (then c->user is ""). */
struct proxy_credentials {
  char user[32], password[32];
  char basic[96];  /* base64 of user:password (RFC 7617 2) */
  char file[4096]; /* ${auth_file} */
};
int proxy_auth_write(struct proxy_credentials *c, const char *dir, const char *credentials_dir, char *err,
                     size_t errlen);
/* The base64 (RFC 4648 4) of "user:password" into out (outlen: at least 4/3 of it and 5 more):
 * Basic credentials (RFC 7617 2). */
void proxy_basic(char *out, size_t outlen, const char *user_colon_password);
#define PROXY_AUTH_FILE "proxy-users.passwd"
/* --client-tls: the run's `valid` leaf copied into the case folder for the proxy's frontend
 * (${proxy_cert}, ${proxy_key}, ${proxy_pem}: the certificate, then the key, in one file). */
#define PROXY_TLS_CERT_FILE "proxy.crt"
#define PROXY_TLS_KEY_FILE "proxy.key"
#define PROXY_TLS_PEM_FILE "proxy.pem"
#define PROXY_CREDENTIALS_FILE "proxy-credentials.txt"

#endif
