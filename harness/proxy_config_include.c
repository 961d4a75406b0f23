/* proxy_config_include.c: the files a --proxy-config includes, read as part of it (the
 * definition's `includes`), as its proxy would find them.
 *
 * What the check does not read, it cannot vouch for: a file it cannot read, one past its
 * limits (MAX_INCLUDE_DEPTH levels, MAX_INCLUDED_FILES in all, MAX_CONFIG_BYTES each), a
 * folder where the proxy wants a file, an include that leads back into a file being read (the
 * proxy would read it until it runs out of stack or files), is each a problem at the include,
 * never a file silently left out. */
#include "proxy_config_check.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include "buf.h"

/* The include being followed: its statement, where it is, and how its file was included. */
struct include_at {
  const char *file;          /* the file the statement is in */
  const struct stmt *s;
  int depth;                 /* of that file: 0 is the user's config */
  int at;                    /* where its problems sort (a line of the user's config) */
  const char *from;          /* how `file` was included: " (included by ...)", or "" */
  const char *inner_from;    /* ... and how the files it includes are: " (included by file:line)" */
  const struct lex_from *ctx;
};

/* "FILE:LINE: STATEMENT: why (included by ...)" for the include statement. */
__attribute__((format(printf, 3, 4))) static void include_problem(struct checker *c, const struct include_at *in,
                                                                    const char *fmt, ...) {
  char why[1600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  pc_problem(c, in->at, "%s:%d: %.*s: %s%s", in->file, in->s->line, SHOWN, in->s->text, why, in->from);
}

/* Has a file of this identity been read already? Remembers it if not. */
static bool seen_before(struct checker *c, const char *key) {
  for (size_t i = 0; i < c->nseen; i++)
    if (strcmp(c->seen[i], key) == 0) return true;
  char **grown = realloc(c->seen, (c->nseen + 1) * sizeof *grown);
  char *copy = strdup(key);
  if (!grown || !copy) {
    free(copy);
    if (grown) c->seen = grown;
    return true; /* out of memory: stop following includes */
  }
  c->seen = grown;
  c->seen[c->nseen++] = copy;
  return false;
}

bool pc_chain_push(struct checker *c, const char *key, const char *name) {
  if (c->nchain >= (int)(sizeof c->chain / sizeof *c->chain)) return false;
  char *k = strdup(key), *n = strdup(name);
  if (!k || !n) {
    free(k), free(n);
    return false;
  }
  c->chain[c->nchain].key = k;
  c->chain[c->nchain].name = n;
  c->chain[c->nchain++].via = 0;
  return true;
}

void pc_chain_pop(struct checker *c) {
  if (c->nchain == 0) return;
  c->nchain--;
  free(c->chain[c->nchain].key), free(c->chain[c->nchain].name);
}

/* A file's identity: its device and inode, whatever name leads to it (a symbolic link, ../). */
static void file_key(const struct stat *st, char *key, size_t len) {
  snprintf(key, len, "%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
}

/* Reads a file the include names, unless a limit or a loop stops it: each is a problem. */
static void read_included(struct checker *c, const struct include_at *in, const char *key, const char *name,
                          const char *text, size_t len) {
  if (c->nchain > 0) c->chain[c->nchain - 1].via = in->s->line;
  for (int i = 0; i < c->nchain; i++) {
    if (strcmp(c->chain[i].key, key) != 0) continue;
    struct buf chain = {0};
    for (int k = i; k < c->nchain; k++) buf_printf(&chain, "%s:%d > ", c->chain[k].name, c->chain[k].via);
    include_problem(c, in, "an include loop (%s%s): %s would read it again and again until it fails; remove the include",
                    chain.oom ? "" : buf_cstr(&chain), name, c->p->name);
    buf_free(&chain);
    return;
  }
  if (seen_before(c, key)) return; /* read already, from another include: its problems are listed */
  if (in->depth + 1 > MAX_INCLUDE_DEPTH) {
    include_problem(c, in, "%s is %d includes deep, deeper than the check follows (%d): it would go unchecked; "
                    "include it from a file nearer the config", name, in->depth + 1, MAX_INCLUDE_DEPTH);
    return;
  }
  if (c->nfiles >= MAX_INCLUDED_FILES) {
    if (!c->capped)
      include_problem(c, in, "the config and what it includes are more than %d files, the most the check reads: %s "
                      "and the files after it would go unchecked; include fewer files", MAX_INCLUDED_FILES, name);
    c->capped = true;
    return;
  }
  if (len > MAX_CONFIG_BYTES) {
    include_problem(c, in, "%s is larger than %u MiB, more than the check reads; not a config", name,
                    MAX_CONFIG_BYTES >> 20);
    return;
  }
  if (strlen(text) != len) {
    include_problem(c, in, "%s contains a NUL byte, past which the check cannot read; not a config", name);
    return;
  }
  c->nfiles++;
  if (!pc_chain_push(c, key, name)) {
    include_problem(c, in, "out of memory reading %s", name);
    return;
  }
  pc_scan_text(c, name, text, in->depth + 1, in->inner_from, in->at, in->ctx);
  pc_chain_pop(c);
}

static void scan_path(struct checker *c, const struct include_at *in, const char *path, int folders);

/* An included folder (apache, trafficserver): every entry in it, by name, its sub-folders'
 * too, as apache reads them (dot files included, only . and .. left out). */
static void scan_folder(struct checker *c, const struct include_at *in, const char *path, int folders) {
  if (folders >= MAX_INCLUDE_DEPTH) {
    include_problem(c, in, "%s holds folders more than %d deep, deeper than the check follows, so their files "
                    "would go unchecked", path, MAX_INCLUDE_DEPTH);
    return;
  }
  struct dirent **names;
  int k = scandir(path, &names, NULL, alphasort);
  if (k < 0) include_problem(c, in, "cannot read the folder %s: %s", path, strerror(errno));
  for (int i = 0; i < k; i++) {
    const char *n = names[i]->d_name;
    char sub[4096];
    if (!c->capped && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && snprintf(sub, sizeof sub, "%s/%s", path, n) < (int)sizeof sub)
      scan_path(c, in, sub, folders + 1);
    free(names[i]);
  }
  if (k >= 0) free(names);
}

/* One name the include leads to: a file is read; a folder is read or refused, as the proxy
 * does; anything else cannot be read. */
static void scan_path(struct checker *c, const struct include_at *in, const char *path, int folders) {
  struct stat st;
  if (stat(path, &st) != 0) {
    include_problem(c, in, "cannot read %s: %s", path, strerror(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (c->p->include_folders) {
      scan_folder(c, in, path, folders);
    } else {
      char use[1200];
      const char *v = strstr(in->s->text, path);
      if (v) snprintf(use, sizeof use, "`%.*s%s/*%s`", (int)(v - in->s->text), in->s->text, path, v + strlen(path));
      else snprintf(use, sizeof use, "%s/*", path);
      include_problem(c, in, "%s is a folder, which %s does not read (it includes files); name its files: %s", path,
                      c->p->name, use);
    }
    return;
  }
  if (S_ISCHR(st.st_mode) && strcmp(path, "/dev/null") == 0) return; /* empty */
  struct statfs fs;
  if (!S_ISREG(st.st_mode) ||
      (statfs(path, &fs) == 0 && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC))) {
    include_problem(c, in, "%s is not a config file", path); /* a kernel file may never end (/proc/kmsg) */
    return;
  }
  char key[64];
  file_key(&st, key, sizeof key);
  size_t len = 0;
  int err = 0;
  char *text = pc_read_file(path, MAX_CONFIG_BYTES, &len, &err);
  if (!text) include_problem(c, in, "cannot read %s: %s", path, strerror(err));
  else read_included(c, in, key, path, text, len);
  free(text);
}

/* Every file a name (perhaps a glob pattern) leads to, as the proxy's glob(3) lists them. */
static void scan_glob(struct checker *c, const struct include_at *in, const char *pattern) {
  glob_t g;
  if (glob(pattern, 0, NULL, &g) != 0) return; /* no file: the proxy's checker says whether that is wrong */
  for (size_t i = 0; i < g.gl_pathc && !c->capped; i++) scan_path(c, in, g.gl_pathv[i], 0);
  globfree(&g);
}

/* A file in the case folder: at run time only the definition's own rendered files are there
 * (trafficserver's records.config names its remap.config), so that is what is read. */
static void scan_in_case(struct checker *c, const struct include_at *in, const char *rel) {
  while (rel[0] == '.' && rel[1] == '/') rel += 2;
  const struct proxy_def *p = c->p;
  for (size_t i = 0; i < p->nfiles; i++) {
    if (strcmp(p->files[i].name, rel) != 0 || strcmp(p->files[i].name, p->config) == 0) continue;
    char name[4096];
    snprintf(name, sizeof name, "%s[%s]", p->source, p->files[i].name);
    read_included(c, in, name, name, p->files[i].text, strlen(p->files[i].text));
  }
}

/* Follows an included name to the file the proxy would read: relative to paths_base, or to
 * the case folder (the proxy runs there; its config is copied there); a name in an included
 * file outside the case may also be relative to that file's folder, so both are read. A
 * relative name that climbs out of the case folder leads to a file no one can tell (it
 * depends on where the case folder is): refused. */
void pc_follow_include(struct checker *c, const char *file, const struct stmt *s, const char *v, int depth, int at,
                       const char *from, const struct lex_from *ctx) {
  char inner_from[512], pattern[4096];
  snprintf(inner_from, sizeof inner_from, " (included by %s:%d)", file, s->line);
  struct include_at in = {file, s, depth, at, from ? from : "", inner_from, ctx};
  if (!*v) return;
  if (strncmp(v, "${dir}", 6) == 0 && (v[6] == '/' || v[6] == 0)) {
    if (pc_climbs_out(v + 6)) include_problem(c, &in, "'..' leads out of the case folder; use ${dir}/%s", pc_basename(v));
    else scan_in_case(c, &in, v + 6 + (v[6] == '/'));
    return;
  }
  if (v[0] == '$' || strchr(v, ':') || strstr(v, "//")) return; /* a variable (refused as unknown), or no file */
  if (v[0] == '/') {
    scan_glob(c, &in, v);
    return;
  }
  if (c->p->paths_base) {
    snprintf(pattern, sizeof pattern, "%s/%s", c->p->paths_base, v);
    scan_glob(c, &in, pattern);
  } else if (pc_climbs_out(v)) {
    include_problem(c, &in, "'..' leads out of the case folder, to a file that depends on where the case folder is; "
                    "name it by its absolute path (it is checked too) or use ${dir}/%s", pc_basename(v));
  } else {
    scan_in_case(c, &in, v);
  }
  const char *slash = strrchr(file, '/');
  if (depth > 0 && file[0] == '/' && slash) { /* relative to the including file's folder */
    snprintf(pattern, sizeof pattern, "%.*s/%s", (int)(slash - file), file, v);
    scan_glob(c, &in, pattern);
  }
}
