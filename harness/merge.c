/* merge.c: `badup merge`: the command line, the output folder (run_out.c's rules), the case
 * folders linked in, and the files written from the merged document (merge.h). */
#include "merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provenance.h"
#include "results_render.h"
#include "run_parts.h"
#include "usage.h"

void merge_usage(FILE *out) {
  fputs("usage: badup merge SHARD_DIR... --out DIR [options]\n"
        "\n"
        "Join the results folders of a run's shards (badup run --shard I/N, or --shard auto\n"
        "in CI) into one results folder, as the unsharded run would have written it:\n"
        "results.json with every case in the unsharded order (each shard's command and\n"
        "shard_from under \"shards\", this command as \"merge_command\"), results.csv,\n"
        "junit.xml (one testsuite per shard, \"badup run shard I/N\"), report.md, index.html\n"
        "(the results page), and cases/ (files hard-linked from the shards, copied where a\n"
        "link cannot cross file systems).\n"
        "\n"
        "options:\n"
        "  --out DIR          the merged folder: a new or empty folder, or one an earlier\n"
        "                     badup run or merge wrote (replaced); never one of the\n"
        "                     shards, a folder inside one, or one that holds a shard\n"
        "  --allow-partial    take shards that were interrupted (their unfinished cases\n"
        "                     stay not_run)\n"
        "  -q, --quiet        no table on stdout\n"
        "  -h, --help         this help\n"
        "\n"
        "Refused (exit 2, nothing written): a folder without results.json or with a broken\n"
        "one; shards of different catalogs (scenarios, their files, proxies) or settings\n"
        "(timeouts, retries, --repeat, --client-tls, --upstream-tls, --client-http2, --seed,\n"
        "--set, --proxy-config, --proxy/--scenario, badup or proxy versions); different\n"
        "shard totals; a shard missing or given twice; an interrupted shard; a cell\n"
        "missing, twice, outside the catalog or in the wrong shard; a case folder that is\n"
        "not cases/PROXY/SCENARIO in its shard, or is missing; two shards holding one\n"
        "case folder. All of it is checked before an earlier --out is replaced.\n"
        "\n"
        "Exit codes, as badup run's: 0 nothing failed, 1 a case failed, 2 usage or set-up\n"
        "error (also a case with verdict error, or no case judged), 130 interrupted (Ctrl-C\n"
        "or SIGTERM: the folder is left without results.json).\n",
        out);
}

/* Ctrl-C or SIGTERM: the merge stops between two files and ends with exit 130; its
 * results.json (written last) is never there, so the folder claims no results. */
static volatile sig_atomic_t merge_stop;

static void on_stop(int sig) {
  (void)sig;
  merge_stop = 1;
}

static void catch_stop(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

struct link_counts {
  size_t linked, copied;
};

/* A copy of one file, for when a hard link cannot be made (another file system). */
static int copy_file(const char *from, const char *to, mode_t mode) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -errno;
  int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
  if (out < 0) {
    int e = errno;
    close(in);
    return -e;
  }
  char buf[65536];
  ssize_t got;
  int rc = 0;
  while ((got = read(in, buf, sizeof buf)) != 0) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      rc = -errno;
      break;
    }
    for (ssize_t done = 0; done < got;) {
      ssize_t w = write(out, buf + done, (size_t)(got - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        rc = -errno;
        break;
      }
      done += w;
    }
    if (rc) break;
  }
  close(in);
  if (close(out) != 0 && !rc) rc = -errno;
  return rc;
}

/* Everything under from into to (which exists): folders made, files hard-linked (copied
 * across file systems), symbolic links made again; anything else (a socket a proxy left) is
 * left out. A name that is already there is an error: shards never share a case. */
static int link_tree(const char *from, const char *to, struct link_counts *k, char *why, size_t len) {
  DIR *d = opendir(from);
  if (!d) {
    snprintf(why, len, "%.900s: %s", from, strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && !merge_stop && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", from, e->d_name);
    snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
    struct stat st;
    if (lstat(src, &st) != 0) {
      snprintf(why, len, "%.900s: %s", src, strerror(errno));
      rc = -1;
    } else if (S_ISDIR(st.st_mode)) {
      /* cases/<proxy>/ is shared by the shards; a case's own folder is not */
      if (mkdir(dst, 0755) != 0 && !(errno == EEXIST && !strcmp(from + strlen(from) - 6, "/cases"))) {
        snprintf(why, len, "%.900s: %s%s", dst, strerror(errno), errno == EEXIST ? " (two shards hold this case)" : "");
        rc = -1;
      } else {
        rc = link_tree(src, dst, k, why, len);
      }
    } else if (S_ISREG(st.st_mode)) {
      if (link(src, dst) == 0) {
        k->linked++;
      } else if (errno == EXDEV || errno == EPERM || errno == EMLINK) {
        int c = copy_file(src, dst, st.st_mode);
        if (c < 0) {
          snprintf(why, len, "copying %.900s: %s", src, strerror(-c));
          rc = -1;
        }
        k->copied++;
      } else {
        snprintf(why, len, "%.900s: %s", dst, strerror(errno));
        rc = -1;
      }
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(src, target, sizeof target - 1);
      if (n >= 0) target[n] = 0;
      if (n < 0 || symlink(target, dst) != 0) {
        snprintf(why, len, "%.900s: %s", dst, strerror(errno));
        rc = -1;
      }
    }
  }
  closedir(d);
  return rc;
}

/* The command line into its parts. 0; -1 after --help; or EXIT_SETUP after saying why. */
static int parse_merge_args(int argc, char **argv, const char **out, bool *partial, bool *quiet, const char ***dirs,
                            size_t *ndirs) {
  enum { O_OUT = 1000, O_PARTIAL };
  static const struct option longopts[] = {{"out", required_argument, NULL, O_OUT},
                                           {"allow-partial", no_argument, NULL, O_PARTIAL},
                                           {"quiet", no_argument, NULL, 'q'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  *dirs = calloc((size_t)argc + 1, sizeof **dirs);
  if (!*dirs) return cli_usage_error("merge", "%s", "out of memory");
  optind = 1;
  opterr = 0;
  int opt;
  /* options and folders in any order: "-" first in optstring returns folders as 1 */
  while ((opt = getopt_long(argc, argv, "-:qh", longopts, NULL)) != -1) {
    switch (opt) {
    case 1: (*dirs)[(*ndirs)++] = optarg; break;
    case O_OUT:
      if (!*optarg) return cli_usage_error("merge", "%s", "--out wants a folder");
      *out = optarg;
      break;
    case O_PARTIAL: *partial = true; break;
    case 'q': *quiet = true; break;
    case 'h': merge_usage(stdout); return -1;
    case ':': return cli_usage_error("merge", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_usage_error("merge", "unknown option '%s'", argv[optind - 1]);
    }
  }
  for (; optind < argc; optind++) (*dirs)[(*ndirs)++] = argv[optind];
  if (!*out) return cli_usage_error("merge", "%s", "--out DIR is required");
  if (!*ndirs) return cli_usage_error("merge", "%s", "give the shards' results folders");
  return 0;
}

/* path made absolute with every symbolic link resolved, though its end may not exist yet:
 * realpath of the deepest part that exists, the rest added as written ("." dropped, ".."
 * taking a part off). NULL when no part resolves. */
static char *resolve_to_be(const char *path) {
  char head[PATH_MAX];
  snprintf(head, sizeof head, "%s", path);
  const char *tail = "";
  char *real = NULL;
  for (;;) {
    real = realpath(head[0] ? head : ".", NULL);
    if (real) break;
    char *slash = strrchr(head, '/');
    if (!slash) {
      tail = path;
      head[0] = 0;
    } else {
      tail = path + (slash - head) + 1;
      if (slash == head) slash[1] = 0; /* "/x": the root */
      else *slash = 0;
    }
    if (!head[0] || !strcmp(head, "/")) {
      real = realpath(head[0] ? head : ".", NULL);
      break;
    }
  }
  if (!real) return NULL;
  char out[PATH_MAX * 2];
  snprintf(out, sizeof out, "%s", real);
  free(real);
  char rest[PATH_MAX];
  snprintf(rest, sizeof rest, "%s", tail);
  for (char *save = NULL, *part = strtok_r(rest, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
    if (!strcmp(part, ".")) continue;
    if (!strcmp(part, "..")) {
      char *slash = strrchr(out, '/');
      if (slash && slash != out) *slash = 0;
      else strcpy(out, "/");
      continue;
    }
    size_t l = strlen(out);
    snprintf(out + l, sizeof out - l, "%s%s", l && out[l - 1] == '/' ? "" : "/", part);
  }
  return strdup(out);
}

/* Is a inside b (or b itself)? Both absolute, resolved. */
static bool within(const char *a, const char *b) {
  size_t l = strlen(b);
  if (!strcmp(b, "/")) return true;
  return !strncmp(a, b, l) && (a[l] == 0 || a[l] == '/');
}

/* --out one of the shards, inside one (at any depth), or holding one: preparing it would
 * empty a shard, or the linking would walk into its own output. Says why; true to refuse. */
static bool out_overlaps_input(const char *out, const char *const *dirs, size_t n) {
  char *o = resolve_to_be(out);
  bool hit = false;
  if (!o) {
    fprintf(stderr, "badup merge: --out %s: %s\n", out, strerror(errno));
    return true;
  }
  for (size_t k = 0; k < n && !hit; k++) {
    char *d = realpath(dirs[k], NULL);
    if (!d) continue;
    hit = true;
    if (!strcmp(d, o))
      fprintf(stderr, "badup merge: --out %s is one of the shards (%s); give another folder\n", out, dirs[k]);
    else if (within(o, d))
      fprintf(stderr, "badup merge: --out %s is inside the shard %s; give a folder outside every shard\n", out,
              dirs[k]);
    else if (within(d, o))
      fprintf(stderr, "badup merge: the shard %s is inside --out %s; give a folder that holds no shard\n", dirs[k],
              out);
    else
      hit = false;
    free(d);
  }
  free(o);
  return hit;
}

/* Before anything is replaced: no name under cases/ in two shards (each shard's
 * cases/<proxy>/<name>, against the earlier shards'), so the linking cannot stop half way
 * on a clash. 0, or -1 with why. */
static int cases_clash(const char *const *dirs, size_t n, char *why, size_t len) {
  for (size_t k = 1; k < n; k++) {
    char top[PATH_MAX + 8];
    snprintf(top, sizeof top, "%s/cases", dirs[k]);
    DIR *d = opendir(top);
    struct dirent *e;
    int rc = 0;
    while (d && rc == 0 && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char px[PATH_MAX + 8];
      struct stat st;
      snprintf(px, sizeof px, "%.3800s/%s", top, e->d_name);
      bool px_dir = lstat(px, &st) == 0 && S_ISDIR(st.st_mode);
      for (size_t j = 0; j < k && rc == 0; j++) {
        char other[PATH_MAX + 8];
        snprintf(other, sizeof other, "%.3800s/cases/%s", dirs[j], e->d_name);
        if (lstat(other, &st) != 0) continue;
        if (!px_dir || !S_ISDIR(st.st_mode)) {
          snprintf(why, len, "%.450s and %.450s: two shards hold this name", px, other);
          rc = -1;
        }
      }
      DIR *p = px_dir ? opendir(px) : NULL;
      struct dirent *c;
      while (p && rc == 0 && (c = readdir(p))) {
        if (!strcmp(c->d_name, ".") || !strcmp(c->d_name, "..")) continue;
        for (size_t j = 0; j < k && rc == 0; j++) {
          char other[PATH_MAX * 2];
          snprintf(other, sizeof other, "%.3800s/cases/%s/%s", dirs[j], e->d_name, c->d_name);
          if (lstat(other, &st) == 0) {
            snprintf(why, len, "%.400s/%.100s and %.400s: two shards hold this case", px, c->d_name, other);
            rc = -1;
          }
        }
      }
      if (p) closedir(p);
    }
    if (d) closedir(d);
    if (rc) return rc;
  }
  return 0;
}

int merge_main(int argc, char **argv) {
  const char *out_arg = NULL, **dirs = NULL;
  bool partial = false, quiet = false;
  size_t n = 0;
  json_t *command = provenance_command(argc, argv);
  int rc = parse_merge_args(argc, argv, &out_arg, &partial, &quiet, &dirs, &n);
  json_t **docs = NULL, **ordered = NULL, *doc = NULL;
  const char **odirs = NULL;
  size_t *by_index = NULL, loaded = 0;
  if (rc) {
    rc = rc < 0 ? 0 : rc;
    goto done;
  }
  rc = EXIT_SETUP;
  catch_stop();
  docs = calloc(n, sizeof *docs);
  ordered = calloc(n, sizeof *ordered);
  odirs = calloc(n, sizeof *odirs);
  by_index = calloc(n, sizeof *by_index);
  if (!docs || !ordered || !odirs || !by_index) goto done;
  char why[1024];
  for (; loaded < n; loaded++)
    if (!(docs[loaded] = merge_load(dirs[loaded], why, sizeof why))) {
      fprintf(stderr, "badup merge: %s\n", why);
      goto done;
    }
  if (merge_check(docs, dirs, n, partial, by_index, why, sizeof why) != 0) {
    fprintf(stderr, "badup merge: %s\n", why);
    goto done;
  }
  if (out_overlaps_input(out_arg, dirs, n)) goto done;
  if (cases_clash(dirs, n, why, sizeof why) != 0) {
    fprintf(stderr, "badup merge: the case folders: %s\n", why);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    ordered[i] = docs[by_index[i]];
    odirs[i] = dirs[by_index[i]];
  }
  doc = merge_docs(ordered, odirs, n, command);
  command = NULL;
  if (!doc) {
    fprintf(stderr, "badup merge: out of memory\n");
    goto done;
  }
  char out[PATH_MAX], started[32], stamp[32];
  run_iso_now(started, sizeof started, stamp, sizeof stamp);
  if (merge_stop) {
    fprintf(stderr, "badup merge: interrupted; nothing was written\n");
    rc = EXIT_INTERRUPTED;
    goto done;
  }
  if (run_prepare_out("merge", out_arg, stamp, started, out, sizeof out, quiet) != 0) goto done;
  struct link_counts k = {0};
  char cases[PATH_MAX + 8];
  snprintf(cases, sizeof cases, "%s/cases", out);
  for (size_t i = 0; i < n; i++) {
    char from[PATH_MAX + 8];
    snprintf(from, sizeof from, "%s/cases", odirs[i]);
    struct stat st;
    if (stat(from, &st) != 0) continue; /* a shard whose every case was skipped */
    if (link_tree(from, cases, &k, why, sizeof why) != 0) {
      fprintf(stderr, "badup merge: the case folders: %s\n", why);
      goto done;
    }
  }
  if (merge_stop) goto stopped;
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/results.json", out);
  /* results.json last: a merge cut short leaves no results.json claiming a whole folder */
  int wrc = results_publish(out, doc);
  if (wrc == 0) wrc = jsonio_write(path, doc);
  if (wrc < 0) {
    fprintf(stderr, "badup merge: writing the results to %s: %s\n", out, strerror(-wrc));
    goto done;
  }
  if (!quiet) results_render_table(stdout, doc, false);
  size_t ncases = json_array_size(json_object_get(doc, "cases"));
  printf("%s%zu shard%s merged: %zu cases; case files: %zu hard-linked, %zu copied; results in %s\n", quiet ? "" : "\n",
         n, n == 1 ? "" : "s", ncases, k.linked, k.copied, out);
  if (!quiet) results_render_skipped(stdout, doc, "SKIPPED ");
  rc = results_exit_code(doc);
  goto done; /* a stop after results.json was written leaves the whole folder */
stopped:
  fprintf(stderr, "badup merge: interrupted; %s holds part of the case folders and no results.json\n", out);
  rc = EXIT_INTERRUPTED;
done:
  for (size_t i = 0; docs && i < loaded; i++) json_decref(docs[i]);
  free(docs);
  free(ordered);
  free(odirs);
  free(by_index);
  free(dirs);
  json_decref(doc);
  json_decref(command);
  return rc;
}
