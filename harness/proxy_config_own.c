/* proxy_config_own.c: the proxy's own word on a --proxy-config (`check`: nginx -t, haproxy -c,
 * ...), run on a config nothing else was found wrong with, in a scratch folder that stands in
 * for the case folder and is removed after. */
#include "proxy_config_check.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "case.h"
#include "confine.h"
#include "proc.h"

/* ---- the proxy's own checker ---------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

/* Replaces every occurrence of `from` in *text by `to`. */
static void replace_all(char **text, const char *from, const char *to) {
  if (!*from || !strstr(*text, from)) return;
  struct buf b = {0};
  const char *t = *text, *at;
  while ((at = strstr(t, from))) {
    buf_append(&b, t, (size_t)(at - t));
    buf_puts(&b, to);
    t = at + strlen(from);
  }
  buf_puts(&b, t);
  buf_append(&b, "", 1);
  if (b.oom) {
    buf_free(&b);
    return;
  }
  free(*text);
  *text = b.data;
}

/* The line of `name` a checker's output blames: "name:12", "name line 12", "name' Line 12",
 * "line 12 of name". 0 when it names none. */
static int blamed_line(const char *out, const char *name) {
  size_t nlen = strlen(name);
  for (const char *at = strstr(out, name); at; at = strstr(at + 1, name)) {
    const char *a = at + nlen;
    a += strspn(a, "'\"");
    if (*a == ':' && isdigit((unsigned char)a[1])) return atoi(a + 1);
    a += strspn(a, " ,:(");
    if (strncasecmp(a, "line", 4) == 0) {
      a += 4;
      a += strspn(a, " :");
      if (isdigit((unsigned char)*a)) return atoi(a);
    }
    size_t pos = (size_t)(at - out);
    for (size_t back = 1; back <= pos && back < 24; back++) {
      const char *b = at - back;
      if (strncasecmp(b, "line ", 5) == 0 && isdigit((unsigned char)b[5])) return atoi(b + 5);
    }
  }
  return 0;
}

/* A line a checker writes whatever the config: varnishd -C's cleanup of its build folder
 * ("Could not delete 'vcl_boot.1796029143.446808/vgc.sym': No such file or directory"). */
static bool noise(const char *l, size_t n) {
  return n > 22 && strncmp(l, "Could not delete 'vcl_", 22) == 0;
}

/* What the checker said: its first line that reads like an error and the two lines after it
 * (apache names the line, then the problem; varnish says "Message from VCC-compiler:", then
 * the problem), or its first three lines; joined with " | ". Noise lines are left out. */
static void first_lines(const char *out, char *dst, size_t len) {
  static const char *const marks[] = {"emerg", "alert", "crit", "error", "fatal", "syntax", "invalid", "unknown",
                                      "fail", "bungled", "unexpected", "missing", "not allowed", "no such",
                                      "message from vcc", NULL};
  const char *from = NULL;
  for (const char *l = out; *l && !from;) {
    size_t n = strcspn(l, "\n");
    for (int i = 0; marks[i] && !from && !noise(l, n); i++)
      for (size_t k = 0; k + strlen(marks[i]) <= n && !from; k++)
        if (strncasecmp(l + k, marks[i], strlen(marks[i])) == 0) from = l;
    l += n + (l[n] == '\n');
  }
  dst[0] = 0;
  int taken = 0;
  for (const char *l = from ? from : out; *l && taken < 3;) {
    size_t n = strcspn(l, "\n");
    if (strspn(l, " \t\r") < n && !noise(l, n)) {
      size_t used = strlen(dst);
      snprintf(dst + used, len - used, "%s%.*s", used ? " | " : "", (int)(n > 300 ? 300 : n), l);
      taken++;
    }
    l += n + (l[n] == '\n');
  }
}

/* A Ctrl-C (SIGINT, SIGTERM, SIGHUP) came while a checker ran. */
static bool check_interrupted;

/* The checker's grace to stop on SIGTERM (it is stopped only when it overran or badup was
 * interrupted). */
#define CHECK_STOP_GRACE_MS 1000

/* May this process confine a checker's writes (confine.h)? Asked once. */
static bool checker_can_confine(void) {
  static int can = -1;
  if (can < 0) {
    char why[256];
    can = confine_probe(why, sizeof why) == 0;
  }
  return can;
}

/* Renders the definition's files (the user's text for the config) into dir, with the
 * template variables of a case; then runs the checker there. */
int pc_run_checker(struct checker *c, const char *name, const char *user_text) {
  const struct proxy_def *p = c->p;
  /* A Ctrl-C while the scratch folder exists stops the checker and removes the folder
   * first; the signal then ends badup as before (run_main takes signals over only once
   * cases start). */
  sigset_t stop_sigs, old_mask;
  sigemptyset(&stop_sigs);
  sigaddset(&stop_sigs, SIGINT);
  sigaddset(&stop_sigs, SIGTERM);
  sigaddset(&stop_sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);
  char tmpl[4096];
  const char *tmp = getenv("TMPDIR");
  snprintf(tmpl, sizeof tmpl, "%s/badup-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  char *dir = mkdtemp(tmpl);
  if (!dir) {
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return pc_refuse(c, "%s: cannot make a scratch folder to check it in (%s): %s", name, tmpl, strerror(errno));
  }
  /* The files as a case would have them, the user's text for the config. */
  struct proxy_instance in = {.dir = dir, .port = case_free_port(), .upstream_host = "127.0.0.1",
                              .upstream_port = case_free_port(), .connect_timeout = 1, .read_timeout = 2,
                              .scenario = "ok", .config_text = user_text};
  struct proxy_rendered rd;
  char why[1024];
  int rc = 0;
  if (proxy_render(p, &in, &rd, why, sizeof why) != 0) rc = pc_refuse(c, "%s: %s to check it", name, why);
  char path[4096], *bad = NULL;
  size_t nargs = 0;
  while (p->check[nargs]) nargs++;
  /* the environment is the proxy's (borrowed from rd), and TMPDIR */
  char **argv = calloc(nargs + 1, sizeof *argv), **env = calloc(rd.nenv + 2, sizeof *env);
  for (size_t i = 0; argv && i < nargs; i++) argv[i] = template_render(p->check[i], &rd.vars, &bad);
  for (size_t i = 0; env && rd.env && i < rd.nenv; i++) env[i] = rd.env[i];
  /* Temporary files of the checker and its helpers (varnishd runs gcc) go to the scratch too. */
  char tmpdir[4200];
  snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", dir);
  if (env) env[rd.env ? rd.nenv : 0] = tmpdir;
  char out_path[4096];
  snprintf(out_path, sizeof out_path, "%s/check.out", dir);
  struct proc pr;
  int spawned = -1;
  if (rc == 0 && (!argv || !env)) rc = pc_refuse(c, "%s: out of memory", name);
  /* The checker reads the user's config as the proxy will, and may open what it names (nginx
   * -t opens every log): it can write into its scratch folder only, like the proxy later. */
  const char *writable[] = {dir, NULL};
  if (rc == 0 && (spawned = proc_spawn_confined(&pr, argv, CHECK_STOP_GRACE_MS, dir, out_path, out_path, env,
                                                checker_can_confine() ? writable : NULL)) != 0)
    rc = pc_refuse(c, "%s: cannot run %s's checker %s: %s", name, p->name, argv[0], strerror(-spawned));
  else if (rc == 0) {
    bool done = false, interrupted = false;
    for (int waited = 0; !done && !interrupted && waited < CHECK_TIMEOUT_MS; waited += 20) {
      done = proc_wait(&pr, 20);
      sigset_t pending;
      sigpending(&pending);
      interrupted = sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) || sigismember(&pending, SIGHUP);
    }
    proc_stop(&pr, 1000); /* whatever it left running in its group */
    size_t len;
    int err;
    char *out = pc_read_file(out_path, 65536, &len, &err);
    if (!out) out = strdup("");
    snprintf(path, sizeof path, "%s/%s", dir, p->config);
    if (out) {
      replace_all(&out, path, name); /* the checker names the scratch copy: name the user's file */
      replace_all(&out, dir, "${dir}");
    }
    char how[64], lines[768];
    proc_describe(&pr, how, sizeof how);
    first_lines(out ? out : "", lines, sizeof lines);
    int line = out ? blamed_line(out, name) : 0;
    char at[24] = "";
    if (line > 0) snprintf(at, sizeof at, ":%d", line);
    if (interrupted) {
      rc = pc_refuse(c, "%s: interrupted while %s's checker ran", name, p->name);
      check_interrupted = true;
    }
    else if (!done) rc = pc_refuse(c, "%s: %s's checker (%s) did not finish within %d s", name, p->name, argv[0], CHECK_TIMEOUT_MS / 1000);
    else if (!WIFEXITED(pr.status) || WEXITSTATUS(pr.status) != 0)
      rc = pc_refuse(c, "%s%s: %s's own check refused it (%s): %s", name, at, p->name, how, lines[0] ? lines : "(no output)");
    else
      snprintf(c->ok, sizeof c->ok, "%s: checked by %s's own checker", name, p->name);
    free(out);
  }
  for (size_t i = 0; argv && i < nargs; i++) free(argv[i]);
  free(argv);
  free(env);
  /* What a checker leaves outside its folder by name (squid's shared memory segments). */
  for (size_t k = 0; p->cleanup[k]; k++) {
    char *bad2 = NULL, *pattern = template_render(p->cleanup[k], &rd.vars, &bad2);
    glob_t g;
    if (!bad2 && glob(pattern, 0, NULL, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
      globfree(&g);
    }
    free(pattern);
    free(bad2);
  }
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  proxy_rendered_free(&rd);
  free(bad);
  if (check_interrupted) {
    /* Taken here, so that the caller ends the run as interrupted (exit 130) whatever the
     * signal's disposition (a shell's background job ignores SIGINT; SIGTERM would kill). */
    struct timespec now = {0, 0};
    while (sigtimedwait(&stop_sigs, NULL, &now) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, NULL); /* a signal outside the checker acts now */
  return rc;
}

bool proxy_config_interrupted(void) { return check_interrupted; }
