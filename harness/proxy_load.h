/* proxy_load.h: what the files that read a definition share (proxy.c runs the file,
 * proxy_fields.c and proxy_explain_def.c copy its fields, proxy_want.c reads typed values).
 * Not an API: nothing outside the loader includes it.
 *
 * proxy{} checks and copies every field while the file runs, inside sandbox_pcall: a wrong
 * type is a Lua error with the file and the line of the proxy{} call, never a crash later.
 * Everything a reader allocates is stored in the struct proxy_def at once, so an error
 * half-way leaves nothing unowned (the loader frees a partly filled definition). Every
 * ld_* function below that finds a problem raises a Lua error and does not return. */
#ifndef BADUP_PROXY_LOAD_H
#define BADUP_PROXY_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "proxy.h"

struct loader {
  struct proxy_def *p;
  const char *dir;  /* the definitions' folder: `from` files are read there */
  const char *path; /* the definition file, as messages name it */
  int line;         /* of the proxy{} call; 0 before it */
  bool done;        /* proxy{} has filled p */
};

#define MAX_MS 600000        /* 10 minutes: any longer wait is a mistake, not a setting */
#define MAX_READY_S 3600.0
#define MAX_FROM_BYTES (16u << 20)

/* One field of proxy{}: its reader copies the value at stack index v into ld->p. */
struct ld_field {
  const char *name;
  void (*copy)(lua_State *L, struct loader *ld, int v);
  bool required;
};
/* Every field, in the order they are copied (proxy_fields.c). */
extern const struct ld_field LD_FIELDS[];
extern const size_t LD_NFIELDS;

/* Raises "path:line: message" / "path:line: proxy{}: message" (line: the proxy{} call's). */
int ld_fail_at(lua_State *L, const struct loader *ld, int line, const char *fmt, ...);
int ld_fail(lua_State *L, const struct loader *ld, const char *fmt, ...);

char *ld_dup(lua_State *L, const struct loader *ld, const char *s, size_t len);
/* A copy of the string at idx (no NUL inside). The caller stores it before anything else can fail. */
char *ld_string(lua_State *L, const struct loader *ld, int idx, const char *what);
/* Checks that the value at idx is a list (keys 1..n, no hole, no other key); returns n. */
size_t ld_list(lua_State *L, const struct loader *ld, int idx, const char *what, const char *of);
/* A list of strings into *dst (NULL-terminated), stored before it is filled; templates are
 * checked for unknown ${names}. Returns its length. */
size_t ld_strings(lua_State *L, const struct loader *ld, int idx, const char *what, char ***dst, bool is_template);
void ld_nonempty(lua_State *L, const struct loader *ld, size_t n, const char *what);
/* The template at key `key` of the table at idx into *dst, stored there before it is checked
 * for unknown ${names} (messages name it "field.key"), or a copy of dflt when the key is
 * absent (NULL: *dst stays). Leaves the stack as it was. */
void ld_template_at(lua_State *L, const struct loader *ld, int idx, const char *field, const char *key,
                    const char *dflt, char **dst);
/* Fails on an unknown ${name} in text. */
void ld_template(lua_State *L, const struct loader *ld, const char *text, const char *what);
/* ... plain: in a text written per upstream, which knows the standard variables only. */
void ld_template_in(lua_State *L, const struct loader *ld, const char *text, const char *what, bool plain);
/* files = { ["name"] = template | { from = "file" } } at v, checked, into *files (sorted by
 * name); field names it in messages ("files", "forward.files"). */
void ld_files(lua_State *L, struct loader *ld, int v, const char *field, struct proxy_file **files, size_t *nfiles);
/* forward = true | false | { files = ..., auth = ..., why_no_auth = ... } (proxy_forward.c). */
void ld_forward(lua_State *L, struct loader *ld, int v);
/* Once every field is read: forward.auth is used as ${auth}, and no ${auth...} variable is
 * used without it. */
void ld_forward_finish(lua_State *L, struct loader *ld);
/* ld_uses, and the forward mode's files too. */
bool ld_uses_anywhere(const struct proxy_def *p, const char *name);
/* A whole number of milliseconds, 0..MAX_MS. */
int ld_ms(lua_State *L, const struct loader *ld, int idx, const char *what);
/* Why a name the harness joins to the case folder would land elsewhere, or NULL. */
const char *ld_unsafe_relative(const char *s);
/* Which of the files the harness writes into the case folder the name s (or its first
 * folder) is, or NULL when none. */
const char *ld_harness_file(const char *s);
/* The number of captures of a Lua pattern, or -1 with *why when string.match would raise
 * an error on it. */
int ld_pattern_captures(const char *p, const char **why);
/* A list of Lua patterns with exactly one capture each; `of` says what it captures. */
void ld_patterns(lua_State *L, const struct loader *ld, int idx, const char *what, char ***dst, const char *of);
/* A Lua pattern with min..max captures, stored in *dst. */
void ld_pattern(lua_State *L, const struct loader *ld, int idx, const char *what, int min, int max, char **dst);
/* Checks that the table at idx has no key but these (NULL-terminated). */
void ld_only_keys(lua_State *L, const struct loader *ld, int idx, const char *what, const char *const *keys);
/* t[key] as a boolean; dflt when absent. */
bool ld_bool(lua_State *L, const struct loader *ld, int t, const char *key, const char *what, bool dflt);
/* t[key], one of names (NULL-terminated), as its index; dflt when absent. */
int ld_word(lua_State *L, const struct loader *ld, int t, const char *key, const char *what,
            const char *const *names, int dflt);
/* A file's text (at most max bytes read, NUL added), its length in *len; NULL when it cannot be opened. */
char *ld_read_text(const char *path, size_t max, size_t *len);

void ld_free_list(char **l);

/* proxy_explain_def.c: the explain field's reader; freeing what it read; the first signature
 * kind (status aside) that b declares and a declares too, or NULL. */
void ld_explain(lua_State *L, struct loader *ld, int v);
void proxy_explain_free(struct proxy_explain *e);
const char *proxy_explain_shared_kind(const struct proxy_def *a, const struct proxy_def *b);

/* proxy_upstreams.c: the upstreams field's reader (before files: they may use its
 * variables); once every field is read, that ${upstream_servers} and each of its own
 * variables is used somewhere; freeing it. */
void ld_upstreams(lua_State *L, struct loader *ld, int v);
void ld_upstreams_finish(lua_State *L, struct loader *ld);
void proxy_upstreams_free(struct proxy_upstreams *u);
/* Does a file, the command, the environment, a sidecar or a retries or upstreams text use ${name}? */
bool ld_uses(const struct proxy_def *p, const char *name);

/* proxy_client.c: the client field's reader; once every field is read, that each knob with
 * a directive has its variable used, and each declared false has not; freeing it. */
void ld_client(lua_State *L, struct loader *ld, int v);
void ld_client_finish(lua_State *L, struct loader *ld);
void proxy_client_free(struct proxy_def *p);

/* proxy_client_tls.c: the client_tls field's reader; once every field is read, that the
 * definition uses ${client_tls} with it and no TLS variable without it; freeing it. */
void ld_client_tls(lua_State *L, struct loader *ld, int v);
void ld_client_tls_finish(lua_State *L, struct loader *ld);
void proxy_client_tls_free(struct proxy_def *p);
/* proxy_client_http2.c: the client_http2 field's reader; once every field is read, that the
 * definition uses ${client_http2} with a variant and not without one; freeing it. */
void ld_client_http2(lua_State *L, struct loader *ld, int v);
void ld_client_http2_finish(lua_State *L, struct loader *ld);
void proxy_client_http2_free(struct proxy_def *p);
/* proxy_upstream_tls.c: the upstream_tls field's reader; once every field is read, that
 * ${upstream_tls} is used when the field is given, and that neither it nor ${upstream_ca}
 * is used when it is not. */
void ld_upstream_tls(lua_State *L, struct loader *ld, int v);
void ld_upstream_tls_finish(lua_State *L, struct loader *ld);
/* proxy_upstream_http2.c: the upstream_http2 field's reader; once every field is read, that
 * ${upstream_http2} is used exactly when the field is given. */
void ld_upstream_http2(lua_State *L, struct loader *ld, int v);
void ld_upstream_http2_finish(lua_State *L, struct loader *ld);

/* proxy_granularity.c: the granularity field's reader. */
void ld_granularity(lua_State *L, struct loader *ld, int v);

#endif
