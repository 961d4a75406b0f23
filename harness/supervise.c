/* supervise.c: `badup __supervise GRACE_MS [--writable DIR]... -- COMMAND...`, the harness's keeper of one
 * proxy (never typed by a user; proc_spawn_supervised starts it).
 *
 * A proxy is a tree of processes the harness did not write: a master and workers, and
 * sometimes a daemon that leaves its process group (setsid) when its config says so. The
 * keeper sits between the harness and that tree and owns all of it:
 *   - it is the child subreaper of the tree, so every process that loses its parent,
 *     escaped or not, becomes its child and nobody else's;
 *   - when the command exits on its own while anything of its tree lives on, the proxy left
 *     the foreground (or crashed and left workers): everything is killed, and a command
 *     that exited 0 and left processes behind is reported with exit status 125 and a line
 *     on stderr naming what ran on;
 *   - SIGTERM (from the harness, or as the parent-death signal when badup itself dies, even
 *     by SIGKILL) stops the tree: SIGTERM to its group and to every escaped process, GRACE_MS
 *     to exit, then SIGKILL to all; SIGINT (an interrupted run) kills it all at once; the
 *     keeper exits last, with the command's status.
 * With --writable, the whole tree can write only into those folders (confine.h): the keeper
 * confines itself before it starts the command. It mirrors the command's end (exit code, or the same signal) so the harness sees the
 * proxy's own death as before. Only async-free calls after fork in the child; the keeper
 * itself is single-threaded. */
#include "supervise.h"

#include "confine.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The command exited 0 but left processes running: it went to the background. */
#define EXIT_LEFT_FOREGROUND SUPERVISE_LEFT_FOREGROUND

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Our children (the command, and every orphan of its tree we inherited as subreaper):
 * calls fn for each. Returns how many. */
static int each_child(void (*fn)(pid_t pid, pid_t pgid, const char *comm, void *arg), void *arg) {
  pid_t self = getpid();
  int n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    pid_t ppid, pgid;
    char comm[64];
    if (!proc_stat((pid_t)pid, NULL, &ppid, &pgid, comm, sizeof comm) || ppid != self) continue;
    n++;
    if (fn) fn((pid_t)pid, (pid_t)pgid, comm, arg);
  }
  if (d) closedir(d);
  return n;
}

struct kill_arg {
  int sig;
  pid_t leader;      /* the command; its process group has the same id */
  bool outside_only; /* only those that left the command's group */
  char first[96];    /* "pid N (comm)" of the first one signalled, not the command */
};

static void signal_child(pid_t pid, pid_t pgid, const char *comm, void *arg) {
  struct kill_arg *k = arg;
  if (k->outside_only && pgid == k->leader) return;
  if (pgid != k->leader && pgid != getpgrp()) kill(-pgid, k->sig); /* a daemon's own group: its workers too */
  kill(pid, k->sig);
  if (pid != k->leader && !k->first[0]) snprintf(k->first, sizeof k->first, "pid %d (%s)", (int)pid, comm);
}

/* Reaps every child that has ended; notes the command's status. */
static void reap(pid_t leader, bool *leader_done, int *leader_status) {
  int st;
  pid_t r;
  while ((r = waitpid(-1, &st, WNOHANG)) > 0)
    if (r == leader) {
      *leader_done = true;
      *leader_status = st;
    }
}

/* Kills everything left and reaps it, for at most two seconds. */
static void kill_all_and_reap(pid_t leader, bool *leader_done, int *leader_status) {
  for (double until = now_s() + 2; now_s() < until;) {
    struct kill_arg k = {SIGKILL, leader, false, ""};
    kill(-leader, SIGKILL); /* the command's group, its workers included */
    if (each_child(signal_child, &k) == 0) break;
    reap(leader, leader_done, leader_status);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  reap(leader, leader_done, leader_status);
}

/* Ends the keeper the way the command ended. */
static int mirror(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int supervise_main(int argc, char **argv) {
  /* argv: __supervise GRACE_MS [--writable DIR]... -- COMMAND ARGS... */
  int i = 2;
  const char *writable[SUPERVISE_MAX_WRITABLE + 1] = {NULL};
  size_t nw = 0;
  while (i + 1 < argc && strcmp(argv[i], "--writable") == 0 && nw < SUPERVISE_MAX_WRITABLE) {
    writable[nw++] = argv[i + 1];
    i += 2;
  }
  if (argc < i + 2 || strcmp(argv[i], "--") != 0) {
    fprintf(stderr,
            "badup __supervise: usage: badup __supervise GRACE_MS [--writable DIR]... -- COMMAND [ARGS...] (internal)\n");
    return 2;
  }
  long grace_ms = strtol(argv[1], NULL, 10);
  if (grace_ms < 0 || grace_ms > 600000) grace_ms = 3000;
  char **cmd = argv + i + 1;
  if (nw > 0) {
    /* Before anything of the tree starts: the tree may write only into these folders. */
    char err[512];
    if (confine_writes(writable, err, sizeof err) != 0) {
      fprintf(stderr, "badup: cannot confine %s to its folders: %s\n", cmd[0], err);
      return SUPERVISE_CANNOT_CONFINE;
    }
  }

  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  /* When badup dies, however it dies, stop the tree: SIGTERM, handled below. (proc_spawn
   * checked that badup was alive after setting the child's first parent-death signal.) */
  prctl(PR_SET_PDEATHSIG, SIGTERM);

  pid_t leader = fork();
  if (leader < 0) {
    fprintf(stderr, "badup __supervise: fork: %s\n", strerror(errno));
    return 126;
  }
  setpgid(leader, leader); /* also here: no window where kill(-leader) misses it */
  if (leader == 0) {
    /* A group of its own, so the keeper can signal all of it without signalling itself. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    execvp(cmd[0], cmd);
    fprintf(stderr, "badup: cannot execute %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }

  bool leader_done = false, stopping = false;
  int leader_status = 0;
  double deadline = 0;
  for (;;) {
    siginfo_t info;
    int sig;
    if (stopping) {
      double left = deadline - now_s();
      if (left < 0) left = 0;
      struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
      sig = sigtimedwait(&set, &info, &ts);
      if (sig < 0 && errno == EAGAIN) { /* the grace is over */
        kill_all_and_reap(leader, &leader_done, &leader_status);
        return mirror(leader_status);
      }
    } else {
      sig = sigwaitinfo(&set, &info);
    }
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      reap(leader, &leader_done, &leader_status);
      if (!leader_done) continue;
      if (stopping) { /* the command ended as asked: what it left goes too */
        kill_all_and_reap(leader, &leader_done, &leader_status);
        return mirror(leader_status);
      }
      /* The command ended on its own. Anything of its tree still running was left behind:
       * a daemon that detached (exit 0), or workers of a proxy that crashed. */
      struct kill_arg k = {SIGKILL, leader, false, ""};
      int left = each_child(signal_child, &k);
      kill_all_and_reap(leader, &leader_done, &leader_status);
      if (left > 0 && WIFEXITED(leader_status) && WEXITSTATUS(leader_status) == 0) {
        fprintf(stderr, "badup: the proxy left the foreground: its command exited with status 0 and %s ran on "
                        "(killed); its config must keep it in the foreground (docs/proxies.md)\n",
                k.first[0] ? k.first : "a process");
        return EXIT_LEFT_FOREGROUND;
      }
      return mirror(leader_status);
    }
    /* SIGINT: stop everything now (the harness was interrupted). */
    if (sig == SIGINT) {
      kill_all_and_reap(leader, &leader_done, &leader_status);
      return mirror(leader_status);
    }
    /* SIGTERM, SIGHUP: stop the tree, once, with the grace the proxy's definition gives. */
    if (stopping) continue;
    stopping = true;
    deadline = now_s() + grace_ms / 1000.0;
    kill(-leader, SIGTERM); /* the command's group */
    struct kill_arg k = {SIGTERM, leader, true, ""};
    each_child(signal_child, &k); /* and whatever left the group */
    reap(leader, &leader_done, &leader_status);
    if (leader_done) {
      kill_all_and_reap(leader, &leader_done, &leader_status);
      return mirror(leader_status);
    }
  }
}
