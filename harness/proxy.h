/* proxy.h: a proxy definition, read from harness/proxies/<name>.lua.
 *
 * The file returns proxy { ... } (see docs/proxies.md): where the binary is, how to get
 * its version, the files to render into the case folder (with ${...} variables), the
 * command that runs it in the foreground, how retries are switched, and its logs.
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
};

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
  char **logs;          /* relative to the case folder */
  size_t nlogs;
  char *log_match;      /* POSIX ERE: lines that are the proxy's own word on a request */
  bool forward;         /* a forward proxy: the client asks it for the absolute URL */
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
  char *paths_base;     /* where relative paths land; NULL: the case folder */
  struct proxy_must_set *must_set;
  size_t nmust_set;
  struct proxy_foreground foreground;
};

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
  PV_READ_TIMEOUT, PV_CONNECT_TIMEOUT_MS, PV_READ_TIMEOUT_MS, PV_RETRIES, PV_SCENARIO, PV__COUNT
};
extern const char *const proxy_var_names[PV__COUNT];

/* ${name} substitution; unknown names are an error (returned in *bad, caller frees).
 * "$${" is a literal "${". */
struct vars {
  const char *const *names;
  const char *const *values;
  size_t n;
};
char *template_render(const char *tmpl, const struct vars *v, char **bad);

#endif
