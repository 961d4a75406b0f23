/* proc.h: child processes in their own process group, and stopping them for sure.
 *
 * Every child the harness starts (a proxy, a simulator) gets its own process group, so a
 * stop reaches everything it forked: SIGTERM to the group, a grace period, then SIGKILL.
 * Live groups are registered, so an interrupted run (SIGINT/SIGTERM) can kill them all
 * before it exits: proc_kill_all is async-signal-safe. */
#ifndef BADUP_PROC_H
#define BADUP_PROC_H

#include <stdbool.h>
#include <sys/types.h>

struct proc {
  pid_t pid;       /* also the process group id; 0 when not started */
  bool reaped;
  int status;      /* waitpid status once reaped */
  bool supervised; /* pid is a keeper (supervise.c) around the command */
  int grace_ms;    /* the keeper's own SIGTERM-to-SIGKILL grace */
};

/* Starts argv[0] (searched in PATH) in a new process group, in cwd (NULL: ours), with
 * stdin from /dev/null and stdout/stderr appended to the given files (NULL: /dev/null).
 * env_extra: NULL-terminated "NAME=VALUE" list added to our environment, or NULL.
 * Returns 0, or -errno (exec failures show up as exit status 127). */
int proc_spawn(struct proc *p, char *const argv[], const char *cwd, const char *out_path,
               const char *err_path, char *const env_extra[]);

/* Like proc_spawn, through a keeper (`badup __supervise`, supervise.c) that owns the
 * command's whole process tree: every process it leaves behind or that escapes its group
 * (a daemon) is killed, the whole tree stops on proc_stop within grace_ms, and when badup
 * itself dies. The status seen is the command's, or 125 when it exited 0 and left processes
 * running (it daemonized; its stderr says which). */
int proc_spawn_supervised(struct proc *p, char *const argv[], int grace_ms, const char *cwd, const char *out_path,
                          const char *err_path, char *const env_extra[]);

/* Like proc_spawn_supervised, and the whole tree can write only into the folders of
 * `writable` (NULL-terminated, at most SUPERVISE_MAX_WRITABLE; confine.h). When the keeper
 * cannot confine it, nothing starts and the process exits SUPERVISE_CANNOT_CONFINE with the
 * reason on err_path. */
int proc_spawn_confined(struct proc *p, char *const argv[], int grace_ms, const char *cwd, const char *out_path,
                        const char *err_path, char *const env_extra[], const char *const writable[]);

/* What /proc/PID/stat says of a process: its state ('R', 'S', 'Z', ...), parent, process
 * group and command name (each may be NULL). false when the process is gone (or the file
 * does not read as one). */
bool proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgid, char *comm, size_t clen);

/* Has it exited? Reaps it if so. */
bool proc_exited(struct proc *p);

/* Waits up to timeout_ms for it to exit. Returns true when it has. */
bool proc_wait(struct proc *p, int timeout_ms);

/* SIGTERM to the group, up to grace_ms for the leader to exit, then SIGKILL to the group;
 * reaps the leader. Safe to call twice. */
void proc_stop(struct proc *p, int grace_ms);

/* "exit status 1" / "killed by signal 11 (SIGSEGV)" into buf. */
void proc_describe(const struct proc *p, char *buf, size_t len);

/* Makes this process the reaper of its orphaned descendants (a proxy's workers whose
 * master was killed), so proc_stop can reap them instead of leaving zombies. */
void proc_subreaper(void);

/* Async-signal-safe: SIGKILL every registered live group. */
void proc_kill_all(void);

/* Kills and reaps every process that escaped the groups we started: a child of ours (we are
 * the subreaper) outside our own process group and outside every registered group: what a
 * keeper (supervise.c) left when it was killed before it could stop its tree. Returns how
 * many; the first one's pid and command name go into `what` ("pid 1234 (nginx)"), when
 * given. */
int proc_kill_strays(char *what, size_t len);

#endif
