/* proc.c: child processes in their own process group, and stopping them for sure. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_GROUPS 256

/* Registry of live groups. Written under a mutex, read without it by proc_kill_all from a
 * signal context: slots are single words, a stale pid at worst gets a harmless ESRCH. */
static volatile pid_t groups[MAX_GROUPS];
static volatile bool kept[MAX_GROUPS]; /* groups[i] is a keeper: interrupt it, it kills its tree */
static pthread_mutex_t groups_mu = PTHREAD_MUTEX_INITIALIZER;

static void registry_add_locked(pid_t pid, bool keeper) {
  for (int i = 0; i < MAX_GROUPS; i++)
    if (groups[i] == 0) {
      kept[i] = keeper;
      groups[i] = pid;
      break;
    }
}

static bool registered_locked(pid_t pgid) {
  for (int i = 0; i < MAX_GROUPS; i++)
    if (groups[i] == pgid) return true;
  return false;
}

static void registry_remove(pid_t pid) {
  pthread_mutex_lock(&groups_mu);
  for (int i = 0; i < MAX_GROUPS; i++)
    if (groups[i] == pid) groups[i] = 0;
  pthread_mutex_unlock(&groups_mu);
}

void proc_subreaper(void) { prctl(PR_SET_CHILD_SUBREAPER, 1); }

void proc_kill_all(void) {
  for (int i = 0; i < MAX_GROUPS; i++) {
    pid_t g = groups[i];
    /* A keeper's command runs in a group of its own: the keeper kills that tree at once on
     * SIGINT, which a SIGKILL to the keeper would leave behind. */
    if (g > 0) kill(kept[i] ? g : -g, kept[i] ? SIGINT : SIGKILL);
  }
}

static int open_out(const char *path) {
  return open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static int spawn(struct proc *p, char *const argv[], const char *cwd, const char *out_path, const char *err_path,
                 char *const env_extra[], bool keeper) {
  memset(p, 0, sizeof *p);
  int out = open_out(out_path), err = open_out(err_path), in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || in < 0) {
    int e = errno;
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    if (in >= 0) close(in);
    return -e;
  }
  /* The child's environment is built here: between fork and exec only async-signal-safe
   * calls are allowed in a threaded program. */
  extern char **environ;
  size_t n_env = 0, n_extra = 0;
  while (environ[n_env]) n_env++;
  while (env_extra && env_extra[n_extra]) n_extra++;
  char **envp = malloc((n_env + n_extra + 1) * sizeof *envp);
  if (!envp) {
    close(out), close(err), close(in);
    return -ENOMEM;
  }
  /* The extras first, and inherited variables of the same name dropped: getenv() and
   * most runtimes take the first occurrence. */
  size_t k = 0;
  for (size_t i = 0; i < n_extra; i++) envp[k++] = env_extra[i];
  for (size_t i = 0; i < n_env; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
    bool shadowed = false;
    for (size_t j = 0; j < n_extra && !shadowed; j++)
      shadowed = strncmp(env_extra[j], environ[i], nl) == 0 && env_extra[j][nl] == '=';
    if (!shadowed) envp[k++] = environ[i];
  }
  envp[k] = NULL;
  /* Block signals across fork so the child starts clean, then restore them. The registry's
   * lock is held from the fork until the child is registered: a stray hunt in another
   * thread must never take a child that is ours but not registered yet. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_mutex_lock(&groups_mu);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    /* If badup dies (even by SIGKILL, say a CI timeout), this child goes too; a keeper
     * turns it into a stop of its whole tree. Dead before the call: go now. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (cwd && chdir(cwd) != 0) _exit(127);
    /* "/proc/self/exe" in the child is still our own binary: a rebuilt or moved file
     * cannot make a run start a different simulator. */
    execvpe(argv[0], argv, envp);
    static const char msg[] = "badup: cannot execute the command\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
  }
  int fork_errno = errno;
  if (pid > 0) {
    setpgid(pid, pid); /* also here: no window where a kill(-pid) misses it */
    registry_add_locked(pid, keeper);
  }
  pthread_mutex_unlock(&groups_mu);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  free(envp);
  close(out);
  close(err);
  close(in);
  if (pid < 0) return -fork_errno;
  p->pid = pid;
  return 0;
}

int proc_spawn(struct proc *p, char *const argv[], const char *cwd, const char *out_path, const char *err_path,
               char *const env_extra[]) {
  return spawn(p, argv, cwd, out_path, err_path, env_extra, false);
}

int proc_spawn_supervised(struct proc *p, char *const argv[], int grace_ms, const char *cwd, const char *out_path,
                          const char *err_path, char *const env_extra[]) {
  return proc_spawn_confined(p, argv, grace_ms, cwd, out_path, err_path, env_extra, NULL);
}

int proc_spawn_confined(struct proc *p, char *const argv[], int grace_ms, const char *cwd, const char *out_path,
                        const char *err_path, char *const env_extra[], const char *const writable[]) {
  size_t n = 0, nw = 0;
  while (argv[n]) n++;
  while (writable && writable[nw]) nw++;
  char **wrapped = calloc(n + 2 * nw + 5, sizeof *wrapped);
  if (!wrapped) return -ENOMEM;
  char grace[16];
  snprintf(grace, sizeof grace, "%d", grace_ms);
  /* "/proc/self/exe" in the child is still our own binary. */
  size_t k = 0;
  wrapped[k++] = "/proc/self/exe";
  wrapped[k++] = "__supervise";
  wrapped[k++] = grace;
  for (size_t i = 0; i < nw; i++) {
    wrapped[k++] = "--writable";
    wrapped[k++] = (char *)writable[i];
  }
  wrapped[k++] = "--";
  for (size_t i = 0; i < n; i++) wrapped[k++] = argv[i];
  int rc = spawn(p, wrapped, cwd, out_path, err_path, env_extra, true);
  free(wrapped);
  if (rc == 0) {
    p->supervised = true;
    p->grace_ms = grace_ms;
  }
  return rc;
}

bool proc_exited(struct proc *p) {
  if (!p->pid) return true;
  if (p->reaped) return true;
  int st;
  pid_t r = waitpid(p->pid, &st, WNOHANG);
  if (r == p->pid || (r < 0 && errno == ECHILD)) {
    p->reaped = true;
    p->status = r == p->pid ? st : 0;
    return true;
  }
  return false;
}

bool proc_wait(struct proc *p, int timeout_ms) {
  for (int waited = 0;; waited += 5) {
    if (proc_exited(p)) return true;
    if (waited >= timeout_ms) return false;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

void proc_stop(struct proc *p, int grace_ms) {
  if (!p->pid) return;
  if (!proc_exited(p)) {
    if (p->supervised) {
      /* The keeper stops its tree in its own grace; it is given that and a margin. */
      kill(p->pid, SIGTERM);
      grace_ms = p->grace_ms + 2500;
    } else {
      kill(-p->pid, SIGTERM);
    }
    if (!proc_wait(p, grace_ms)) {
      kill(-p->pid, SIGKILL);
      proc_wait(p, 5000);
    }
  }
  /* The leader is gone; children it left in the group are not. With proc_subreaper()
   * they are ours once orphaned, so reap them too: nothing is left behind, not even a
   * zombie. */
  kill(-p->pid, SIGKILL);
  for (int waited = 0; waited < 2000; waited += 5) {
    pid_t r = waitpid(-p->pid, NULL, WNOHANG);
    if (r > 0) continue;
    if (r < 0) break; /* ECHILD: none left in the group */
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  registry_remove(p->pid);
}

void proc_describe(const struct proc *p, char *buf, size_t len) {
  if (!p->reaped) snprintf(buf, len, "running");
  else if (WIFEXITED(p->status)) snprintf(buf, len, "exit status %d", WEXITSTATUS(p->status));
  else if (WIFSIGNALED(p->status))
    snprintf(buf, len, "killed by signal %d (SIG%s)", WTERMSIG(p->status), sigabbrev_np(WTERMSIG(p->status)) ? sigabbrev_np(WTERMSIG(p->status)) : "?");
  else snprintf(buf, len, "status 0x%x", p->status);
}

bool proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgid, char *comm, size_t clen) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  /* The command name may hold spaces and parentheses: the fields start after the last ')'. */
  char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
  if (!open_paren || !close_paren || close_paren < open_paren) return false;
  if (comm && clen) snprintf(comm, clen, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
  char st;
  int pp, pg;
  if (sscanf(close_paren + 1, " %c %d %d", &st, &pp, &pg) != 3) return false;
  if (state) *state = st;
  if (ppid) *ppid = pp;
  if (pgid) *pgid = pg;
  return true;
}

int proc_kill_strays(char *what, size_t len) {
  pid_t self = getpid(), ours = getpgrp();
  int found = 0;
  if (what && len) what[0] = 0;
  pthread_mutex_lock(&groups_mu);
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    pid_t ppid, pgid;
    char comm[64];
    if (!proc_stat((pid_t)pid, NULL, &ppid, &pgid, comm, sizeof comm) || ppid != self) continue;
    if (pgid == ours || registered_locked(pgid)) continue;
    /* Its whole group goes too: a daemon's workers share the group it made. */
    kill(-pgid, SIGKILL);
    kill((pid_t)pid, SIGKILL);
    if (!found && what && len) snprintf(what, len, "pid %ld (%s)", pid, comm);
    found++;
  }
  if (d) closedir(d);
  pthread_mutex_unlock(&groups_mu);
  /* Reap them (and any worker orphaned by the kill) without blocking on legit children. */
  for (int waited = 0; found && waited < 2000; waited += 5) {
    bool any = false;
    pthread_mutex_lock(&groups_mu);
    d = opendir("/proc");
    while (d && (e = readdir(d))) {
      char *end;
      long pid = strtol(e->d_name, &end, 10);
      if (*end || pid <= 0) continue;
      pid_t ppid, pgid;
      char comm[64];
      if (!proc_stat((pid_t)pid, NULL, &ppid, &pgid, comm, sizeof comm) || ppid != self) continue;
      if (pgid == ours || registered_locked(pgid)) continue;
      any = true;
      waitpid((pid_t)pid, NULL, WNOHANG);
    }
    if (d) closedir(d);
    pthread_mutex_unlock(&groups_mu);
    if (!any) break;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return found;
}
