/* supervise.h: the keeper between the harness and one proxy's process tree (supervise.c).
 * proc_spawn_supervised starts `badup __supervise GRACE_MS -- COMMAND...`; the keeper runs
 * COMMAND in a process group of its own, is the subreaper of its whole tree, stops all of it
 * on SIGTERM (GRACE_MS, then SIGKILL) or when badup dies, and exits with the command's
 * status, or 125 when the command exited 0 and left processes running (it daemonized). With
 * `--writable DIR` (repeatable, before `--`), the tree can write only into those folders. */
#ifndef BADUP_SUPERVISE_H
#define BADUP_SUPERVISE_H

#define SUPERVISE_LEFT_FOREGROUND 125
/* --writable was given and the tree could not be confined (confine.h); nothing was started. */
#define SUPERVISE_CANNOT_CONFINE 124
/* At most this many --writable folders. */
#define SUPERVISE_MAX_WRITABLE 8

int supervise_main(int argc, char **argv);

#endif
