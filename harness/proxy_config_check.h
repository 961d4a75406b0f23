/* proxy_config_check.h: what the files of the --proxy-config check share (proxy_config.c
 * scans the statements; proxy_config_targets.c judges where they send; proxy_config_include.c
 * follows what they include; proxy_config_own.c runs the proxy's own checker). Not an API:
 * nothing else includes it. */
#ifndef BADUP_PROXY_CONFIG_CHECK_H
#define BADUP_PROXY_CONFIG_CHECK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "config_lex.h"
#include "proxy_config.h"

#define MAX_CONFIG_BYTES (4u << 20)
#define MAX_INCLUDED_FILES 256 /* read per check, the config included; one more is a problem */
#define MAX_INCLUDE_DEPTH 8    /* levels of includes below the config; one more is a problem */
#define CHECK_TIMEOUT_MS 30000
#define SHOWN 100 /* characters of a statement quoted in a message */

#define NO_LINE INT_MAX /* a problem of the whole file: listed after those with a line */

/* One problem: its text, and where it sorts: the line of the user's config it is at (for a
 * file the config includes, the line of the include), then the order it was found in. */
struct problem {
  int at;
  unsigned seq;
  char *text;
};

/* A target that may name a group (nginx's `proxy_pass http://app`): fine when the config
 * declares the group, whose members are judged where they are; known only after the scan
 * (nginx allows the upstream block after its use). */
struct group_ref {
  int at;
  char *full, *host; /* "scheme://name" and "name" */
  char *text;        /* the problem, when no group has the name */
};

/* What one check is about: the problems found, and the state the scan needs. */
struct checker {
  const struct proxy_def *p;
  lua_State *L; /* string.find for the definition's patterns */
  bool *set;    /* per must_set entry: a scanned statement sets it */
  char **set_elsewhere; /* per must_set entry: where a statement outside its context sets it */
  struct problem *set_wrong; /* per must_set entry: the first statement of its directive whose
                                value does not set it (`auto_https disable_redirects`), as a problem */
  bool stays;   /* a statement keeps the proxy in the foreground (foreground.stays) */
  char *stays_elsewhere;
  bool detached; /* a statement makes it detach (foreground.detaches) */
  const struct stmts *shipped;
  bool listen_in_shipped; /* the shipped config listens on ${proxy_port}: so must the user's */
  bool listen_in_user;    /* a listening statement of the user's config holds it */
  bool listen_blamed;     /* a listening statement was blamed for not holding it */
  char sim_example[2 * SHOWN + 8]; /* a shipped statement that sends to the simulator, or "" */
  bool sim_in_user;       /* a target of the user's config is the simulator */
  bool target_blamed;     /* a target was refused */
  char **groups;          /* names the config declares (nginx upstreams, apache balancers) */
  size_t ngroups;
  struct group_ref *refs;
  size_t nrefs;
  int nfiles; /* files scanned, the config included */
  bool capped; /* an include went past MAX_INCLUDED_FILES (said once) */
  char **seen; /* the files read: "dev:ino", or "source[name]" for the definition's own */
  size_t nseen;
  struct {
    char *key, *name; /* as in seen; as messages name it */
    int via;          /* the line of its include being followed */
  } chain[MAX_INCLUDE_DEPTH + 1]; /* the files being read, the config first: an include of one is a loop */
  int nchain;
  struct problem shown[PROXY_CONFIG_SHOWN]; /* the first ones in file order, sorted */
  size_t nshown;
  int problems; /* all of them, shown or not */
  unsigned seq;
  char ok[4400]; /* what was checked, when nothing is wrong (it names the file: up to 4096) */
};

/* Counts a problem at `at` (a line of the user's config; NO_LINE: of the whole file). */
__attribute__((format(printf, 3, 4))) void pc_problem(struct checker *c, int at, const char *fmt, ...);
/* A problem after which nothing more can be checked: returns -1, for the caller to stop. */
__attribute__((format(printf, 2, 3))) int pc_refuse(struct checker *c, const char *fmt, ...);
/* A file's text, at most max bytes read (*len: how many), NUL-terminated; NULL with *err set. */
char *pc_read_file(const char *path, size_t max, size_t *len, int *err);
/* The first capture of pattern in the statement (or the whole match), as written; NULL: no match. */
char *pc_match_stmt(struct checker *c, const struct stmt *s, const char *pattern);
bool pc_matches(struct checker *c, const struct stmt *s, const char *pattern);
/* Trims blanks, one pair of quotes, and a trailing ',' or ';'. */
void pc_clean_value(char *v);

/* Scans one file's statements with every rule, following its includes. depth: 0 for the
 * config; from: how the file was included (" (included by FILE:LINE)") or NULL; at: where its
 * problems sort; ctx: the context of its include, or NULL. */
void pc_scan_text(struct checker *c, const char *file, const char *text, int depth, const char *from, int at,
                  const struct lex_from *ctx);
/* Does a relative path, read from its folder, end up above it? */
bool pc_climbs_out(const char *path);
/* The last part of a path. */
const char *pc_basename(const char *v);

/* proxy_config_include.c: follows what an include statement names (v: its value) into the
 * files the proxy would read, each scanned (pc_scan_text) or refused (unreadable, past a
 * limit, a folder, a loop). The chain of files being read starts with the config's. */
void pc_follow_include(struct checker *c, const char *file, const struct stmt *s, const char *v, int depth, int at,
                       const char *from, const struct lex_from *ctx);
bool pc_chain_push(struct checker *c, const char *key, const char *name);
void pc_chain_pop(struct checker *c);

/* proxy_config_targets.c: every target statement i of its file's ss names, judged (at most
 * one problem for it); the group names it declares; after the scan, targets that named no
 * declared group; a statement of the shipped config that sends to the simulator, kept in
 * c->sim_example. */
void pc_check_targets(struct checker *c, const char *file, const struct stmts *ss, size_t i, int at,
                      const char *from);
void pc_declare_groups(struct checker *c, const struct stmt *s);
void pc_resolve_group_refs(struct checker *c);
void pc_find_sim_example(struct checker *c, const struct stmt *s);

/* proxy_config_own.c: renders the definition's files (user_text for the config) into a scratch
 * folder and runs the proxy's own checker there; 0, or -1 after a problem. */
int pc_run_checker(struct checker *c, const char *name, const char *user_text);

#endif
