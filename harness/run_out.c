/* run_out.c: the folder a run writes into: a new one, an empty one, or an earlier run's,
 * which is emptied of what that run wrote; locked against another run for as long as this
 * one lives. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "run_parts.h"
#include "run_tls.h"

void run_iso_now(char *out, size_t len, char *stamp, size_t slen) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
  strftime(stamp, slen, "%Y%m%d-%H%M%S", &tm);
}

int run_mkdirs(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(buf, 0755);
      *p = '/';
    }
  return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

/* The files a run writes at the top of its folder. MARKER says a run made the folder: only
 * such a folder is ever emptied for a new run. */
#define MARKER ".badup-run"
static const char *const RUN_FILES[] = {"results.json", "results.csv", "junit.xml", "report.md", "index.html",
                                        /* badup diff --out DIR A B, into a results folder: */
                                        "diff.json",
                                        /* badup plot: */
                                        "time_to_error.dat", "time_to_error.gp", "time_to_error.svg",
                                        "time_to_error.png", NULL};

/* The marker of the run's folder, open and locked (flock) for as long as the run lives:
 * two runs into one folder would empty each other's cases and overwrite each other's
 * results. The kernel drops the lock when the process ends, however it ends. */
static int out_lock = -1;

static int lock_out(const char *out, const char *cmd) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/%s", out, MARKER);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "badup %s: cannot write to %s: %s\n", cmd, out, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char who[96] = "";
    ssize_t n = pread(fd, who, sizeof who - 1, 0);
    who[n > 0 ? n : 0] = 0;
    who[strcspn(who, "\n")] = 0;
    fprintf(stderr, "badup %s: --out %s is in use by another badup run%s%s%s; wait for it, or give another folder\n", cmd,
            out, who[0] ? " (" : "", who, who[0] ? ")" : "");
    close(fd);
    return -1;
  }
  out_lock = fd;
  return 0;
}

/* One of RUN_FILES, or one of them with ".tmp.<pid>" (a write an interrupted run left). */
static bool run_file(const char *name) {
  for (int i = 0; RUN_FILES[i]; i++) {
    size_t n = strlen(RUN_FILES[i]);
    if (strncmp(name, RUN_FILES[i], n) != 0) continue;
    if (!name[n]) return true;
    if (strncmp(name + n, ".tmp.", 5) == 0 && name[n + 5] && strspn(name + n + 5, "0123456789") == strlen(name + n + 5))
      return true;
  }
  return false;
}

/* Checks --out (or makes the default folder) before any case, so a wrong folder is a set-up
 * error (exit 2) and a run never reads or mixes with another run's files: a new or empty
 * folder is used as is; a folder an earlier run made (it has MARKER, and nothing but what
 * a run writes) is emptied of what that run wrote; anything else is refused and left
 * alone. Returns 0, or EXIT_SETUP after saying why. */
int run_prepare_out(const char *cmd, const char *out_arg, const char *stamp, const char *started, char *out, size_t len,
                    bool quiet) {
  if (out_arg) {
    snprintf(out, len, "%s", out_arg);
  } else {
    /* Two runs in the same second get their own folders. */
    snprintf(out, len, "results/%s", stamp);
    for (int n = 2; access(out, F_OK) == 0 && n < 100; n++) snprintf(out, len, "results/%s-%d", stamp, n);
  }
  struct stat st;
  if (stat(out, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      fprintf(stderr, "badup %s: --out %s is not a folder\n", cmd, out);
      return EXIT_SETUP;
    }
    DIR *d = opendir(out);
    if (!d) {
      fprintf(stderr, "badup %s: --out %s: %s\n", cmd, out, strerror(errno));
      return EXIT_SETUP;
    }
    bool empty = true, marked = false;
    const char *foreign = NULL;
    char foreign_name[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      empty = false;
      if (!strcmp(e->d_name, MARKER)) marked = true;
      else if (strcmp(e->d_name, "cases") != 0 && strcmp(e->d_name, RUN_TLS_DIR) != 0 && !run_file(e->d_name) &&
               !foreign) {
        snprintf(foreign_name, sizeof foreign_name, "%s", e->d_name);
        foreign = foreign_name;
      }
    }
    closedir(d);
    if (marked && lock_out(out, cmd) != 0) return EXIT_SETUP;
    if (!empty && (!marked || foreign)) {
      if (!marked)
        fprintf(stderr,
                "badup %s: --out %s is not empty and no badup run made it (no %s in it); give a new or empty "
                "folder: a run never mixes its files with others, nor removes them\n", cmd,
                out, MARKER);
      else
        fprintf(stderr,
                "badup %s: --out %s holds '%s', which no badup run wrote; it is left alone: move it, or give "
                "another folder\n", cmd,
                out, foreign);
      return EXIT_SETUP;
    }
    if (!empty) {
      /* results.json first: it is what makes the folder a run's results (merge, diff and
       * the page read it), so a replace cut short (SIGINT, a full disk) leaves a folder
       * that no longer claims results, never an old results.json beside half its cases.
       * Then the other top-level files, then the case folders. */
      char f[PATH_MAX + 256];
      snprintf(f, sizeof f, "%s/results.json", out);
      int rc = unlink(f) != 0 && errno != ENOENT ? -errno : 0;
      d = rc == 0 ? opendir(out) : NULL;
      while (d && (e = readdir(d)) && rc == 0) {
        if (!run_file(e->d_name)) continue;
        snprintf(f, sizeof f, "%s/%s", out, e->d_name);
        if (unlink(f) != 0 && errno != ENOENT) rc = -errno;
      }
      if (d) closedir(d);
      char cases[PATH_MAX + 8];
      snprintf(cases, sizeof cases, "%s/cases", out);
      if (rc == 0) rc = files_remove_tree(cases);
      /* the earlier run's certificates too: each run makes its own CA */
      snprintf(cases, sizeof cases, "%s/%s", out, RUN_TLS_DIR);
      if (rc == 0) rc = files_remove_tree(cases);
      if (rc < 0) {
        fprintf(stderr, "badup %s: cannot empty the earlier run in %s: %s\n", cmd, out, strerror(-rc));
        return EXIT_SETUP;
      }
      if (!quiet) fprintf(stderr, "badup %s: replacing the earlier run in %s\n", cmd, out);
    }
  } else if (errno != ENOENT || run_mkdirs(out) != 0) {
    fprintf(stderr, "badup %s: cannot create %s: %s\n", cmd, out, strerror(errno));
    return EXIT_SETUP;
  }
  if (access(out, W_OK | X_OK) != 0) {
    fprintf(stderr, "badup %s: cannot write to %s: %s\n", cmd, out, strerror(errno));
    return EXIT_SETUP;
  }
  /* Absolute from here on: proxies run in their case folder and read ${dir} from there,
   * so a relative path would point into itself. */
  char *abs_out = realpath(out, NULL);
  if (abs_out) {
    snprintf(out, len, "%s", abs_out);
    free(abs_out);
  }
  if (out_lock < 0 && lock_out(out, cmd) != 0) return EXIT_SETUP;
  char path[PATH_MAX + 16];
  char text[96];
  snprintf(text, sizeof text, "badup %s %s, pid %d\n", cmd, started, (int)getpid());
  /* Into the locked marker itself (a rename would replace the file the lock is on). */
  int wrc = ftruncate(out_lock, 0) == 0 && pwrite(out_lock, text, strlen(text), 0) == (ssize_t)strlen(text) ? 0 : -errno;
  snprintf(path, sizeof path, "%s/cases", out);
  if (wrc < 0 || (mkdir(path, 0755) != 0 && errno != EEXIST)) {
    fprintf(stderr, "badup %s: cannot write to %s: %s\n", cmd, out, strerror(wrc < 0 ? -wrc : errno));
    return EXIT_SETUP;
  }
  return 0;
}
