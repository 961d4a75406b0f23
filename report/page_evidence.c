/* page_evidence.c: a case folder's upstream events and rendered config, read for index.html
 * (page_evidence.h). */
#include "page_evidence.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "fileio.h"
#include "jsonio.h"

/* An events file larger than this is not parsed at all (a scenario that dribbles a byte at a
 * time for minutes): the note sends the reader to the file. */
#define EVENTS_FILE_MAX (4u << 20)
/* A file larger than this is no rendered config (a body, a core dump): never read. */
#define CONFIG_FILE_MAX (1u << 20)

void page_lines_init(struct page_lines *pl) {
  pl->table = json_array();
  pl->index = json_object();
}

void page_lines_free(struct page_lines *pl) {
  json_decref(pl->table);
  json_decref(pl->index);
  pl->table = pl->index = NULL;
}

/* The index of line in the shared table, adding it on first sight; -1 without memory. */
static json_int_t line_index(struct page_lines *pl, const char *line) {
  json_t *text = json_text(line); /* the key must be UTF-8: json_text escapes what is not */
  if (!text) return -1;
  const char *key = json_string_value(text);
  json_t *have = json_object_get(pl->index, key);
  json_int_t at;
  if (have) {
    at = json_integer_value(have);
    json_decref(text);
  } else {
    at = (json_int_t)json_array_size(pl->table);
    json_object_set_new(pl->index, key, json_integer(at));
    json_array_append_new(pl->table, text);
  }
  return at;
}

/* dir/name into out; false when it does not fit (nothing is read from a cut path). */
static bool path_join(char *out, size_t len, const char *dir, const char *name) {
  int n = snprintf(out, len, "%s/%s", dir, name);
  return n >= 0 && (size_t)n < len;
}

/* ---- upstream-events.json as text --------------------------------------------------- */

static const char *str_or(const json_t *o, const char *key, const char *dflt) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : dflt;
}

/* One line per connection, then one per event, times in ms from that connection's accept:
 *   connection 1 +0 ms from 127.0.0.1:45234: upstream 1, 1 request, end fin
 *       0.021  accept  127.0.0.1:45234 */
static void events_text(struct buf *b, const json_t *conns) {
  double first = 0;
  size_t i;
  const json_t *c;
  json_array_foreach(conns, i, c) {
    double start = json_number_value(json_object_get(c, "start_unix_ms"));
    if (i == 0) first = start;
    buf_printf(b, "connection %lld +%.0f ms from %s: upstream %lld, %lld request%s, end %s",
               (long long)json_integer_value(json_object_get(c, "id")), start - first, str_or(c, "peer", "?"),
               (long long)json_integer_value(json_object_get(c, "upstream")),
               (long long)json_integer_value(json_object_get(c, "requests")),
               json_integer_value(json_object_get(c, "requests")) == 1 ? "" : "s", str_or(c, "end", "open"));
    json_int_t dropped = json_integer_value(json_object_get(c, "dropped_events"));
    if (dropped) buf_printf(b, " (%lld events not recorded)", (long long)dropped);
    buf_puts(b, "\n");
    size_t k;
    const json_t *e;
    json_array_foreach(json_object_get(c, "events"), k, e) {
      buf_printf(b, "  %10.3f  %s", json_number_value(json_object_get(e, "t_ms")), str_or(e, "what", "?"));
      const char *detail = str_or(e, "detail", NULL);
      if (detail) buf_printf(b, "  %s", detail);
      buf_puts(b, "\n");
    }
  }
}

/* Cuts text at the last line end within max bytes; returns whether it cut. */
static bool cut_lines(struct buf *b, size_t max) {
  if (b->len <= max) return false;
  size_t at = max;
  while (at > 0 && b->data[at - 1] != '\n') at--;
  if (at == 0) at = max;
  b->len = at;
  b->data[at] = 0;
  return true;
}

static void add_events(json_t *ev, const char *case_dir, const char *rel) {
  char path[4096];
  struct stat st;
  if (!path_join(path, sizeof path, case_dir, "upstream-events.json") || stat(path, &st) != 0) return;
  char note[512];
  if ((size_t)st.st_size > EVENTS_FILE_MAX) {
    snprintf(note, sizeof note, "not embedded: %lld bytes; see %s/upstream-events.json", (long long)st.st_size, rel);
    json_object_set_new(ev, "events_note", json_string(note));
    return;
  }
  json_t *conns = json_load_file(path, 0, NULL);
  if (!json_is_array(conns)) {
    snprintf(note, sizeof note, "%s/upstream-events.json is not a JSON array", rel);
    json_object_set_new(ev, "events_note", json_text(note));
    json_decref(conns);
    return;
  }
  struct buf b = {0};
  events_text(&b, conns);
  size_t whole = b.len;
  if (cut_lines(&b, PAGE_EVENTS_MAX)) {
    snprintf(note, sizeof note, "cut: the first %zu of %zu bytes; all of them in %s/upstream-events.json", b.len,
             whole, rel);
    json_object_set_new(ev, "events_note", json_text(note));
  }
  if (!b.oom) json_object_set_new(ev, "events", json_text(buf_cstr(&b)));
  json_object_set_new(ev, "upstream_connections", json_integer((json_int_t)json_array_size(conns)));
  buf_free(&b);
  json_decref(conns);
}

/* ---- the rendered config ----------------------------------------------------------- */

/* The files the harness itself writes into a case folder, and the kinds that are no config
 * (logs, the run's certificates, pid files): whatever else is there came from the proxy's
 * definition, its `config` and the files that config includes. Known by exclusion, so a new
 * proxy's config needs no change here. */
static bool is_config_name(const char *name) {
  static const char *const harness_files[] = {
      "proxy.out",        "proxy.err", "simulator.out", "simulator.err", "client-sent.txt", "client-received.txt",
      "upstream-events.json", "upstream-requests.json", "check.out", NULL};
  static const char *const not_config_ends[] = {".log", ".crt", ".pem", ".key", ".csr", ".srl", ".pid",
                                                ".sock", ".out", ".err", ".tmp", NULL};
  if (name[0] == '.') return false;
  for (size_t i = 0; harness_files[i]; i++)
    if (!strcmp(name, harness_files[i])) return false;
  size_t n = strlen(name);
  for (size_t i = 0; not_config_ends[i]; i++) {
    size_t e = strlen(not_config_ends[i]);
    if (n >= e && !strcmp(name + n - e, not_config_ends[i])) return false;
  }
  return !strstr(name, ".tmp.");
}

/* How likely name is the proxy's main config: one named after the proxy first (haproxy.cfg,
 * apache2.conf for apache), then any with a config's ending (.conf, .cfg, ...), then the rest, by name. */
static int config_rank(const char *name, const char *proxy) {
  size_t stem = strcspn(proxy, "0123456789-_+");
  if (stem >= 3 && !strncasecmp(name, proxy, stem)) return 0;
  const char *dot = strrchr(name, '.');
  static const char *const ends[] = {".conf", ".cfg", ".config", ".vcl", ".js", ".yaml", ".yml", ".toml", ".lua",
                                     NULL};
  for (size_t i = 0; dot && ends[i]; i++)
    if (!strcmp(dot, ends[i])) return 1;
  if (!dot) return 1; /* Caddyfile */
  return 2;
}

struct cand {
  char name[256];
  int rank;
};

static int cand_cmp(const void *a, const void *b) {
  const struct cand *x = a, *y = b;
  return x->rank != y->rank ? x->rank - y->rank : strcmp(x->name, y->name);
}

static json_t *config_json(const char *path, const char *name, const char *rel, struct page_lines *pl) {
  size_t len = 0;
  char *text = fileio_slurp(path, 0, &len);
  if (!text || memchr(text, 0, len)) { /* binary: no config */
    free(text);
    return NULL;
  }
  json_t *lines = json_array();
  size_t shown = len > PAGE_CONFIG_MAX ? PAGE_CONFIG_MAX : len;
  for (char *p = text; p < text + shown;) {
    char *nl = memchr(p, '\n', (size_t)(text + shown - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(text + shown - p);
    if (!nl && shown < len) break; /* a line the cut went through: left out whole */
    char saved = p[n];
    p[n] = 0;
    json_int_t at = line_index(pl, p);
    p[n] = saved;
    if (at >= 0) json_array_append_new(lines, json_integer(at));
    p += n + (nl != NULL);
  }
  json_t *o = json_pack("{s:o, s:o}", "name", json_text(name), "lines", lines);
  if (shown < len) {
    struct buf note = {0};
    buf_printf(&note, "cut: the first %zu of %zu bytes; all of it in %s/%s", shown, len, rel, name);
    if (!note.oom) json_object_set_new(o, "note", json_text(buf_cstr(&note)));
    buf_free(&note);
  }
  free(text);
  return o;
}

static void add_configs(json_t *ev, const char *case_dir, const char *rel, const char *proxy, struct page_lines *pl) {
  DIR *d = opendir(case_dir);
  if (!d) return;
  struct cand c[32];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < sizeof c / sizeof *c) {
    if (!is_config_name(de->d_name) || strlen(de->d_name) >= sizeof c[n].name) continue;
    char path[4096];
    struct stat st;
    if (!path_join(path, sizeof path, case_dir, de->d_name)) continue;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > CONFIG_FILE_MAX) continue;
    snprintf(c[n].name, sizeof c[n].name, "%s", de->d_name);
    c[n].rank = config_rank(de->d_name, proxy);
    n++;
  }
  closedir(d);
  if (!n) return;
  qsort(c, n, sizeof *c, cand_cmp);
  json_t *configs = json_array();
  for (size_t i = 0; i < n && json_array_size(configs) < PAGE_CONFIGS_MAX; i++) {
    char path[4096];
    if (!path_join(path, sizeof path, case_dir, c[i].name)) continue;
    json_t *o = config_json(path, c[i].name, rel, pl);
    if (o) json_array_append_new(configs, o);
  }
  if (n > PAGE_CONFIGS_MAX) {
    char note[512];
    snprintf(note, sizeof note, "%zu more files in %s", n - json_array_size(configs), rel);
    json_object_set_new(ev, "configs_note", json_text(note));
  }
  json_object_set_new(ev, "configs", configs);
}

json_t *page_case_evidence(const char *case_dir, const char *rel, const char *proxy, struct page_lines *pl) {
  json_t *ev = json_object();
  if (!ev) return NULL;
  struct stat st;
  if (stat(case_dir, &st) != 0 || !S_ISDIR(st.st_mode)) return ev;
  json_object_set_new(ev, "folder", json_text(rel));
  add_events(ev, case_dir, rel);
  add_configs(ev, case_dir, rel, proxy, pl);
  return ev;
}
