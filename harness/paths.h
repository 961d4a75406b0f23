/* paths.h: finding the repository's folders (scenarios/, harness/proxies/,
 * results/reference/) from wherever a command runs. */
#ifndef BADUP_PATHS_H
#define BADUP_PATHS_H

/* `given` as is when it is a folder; else, for a relative path, the same path next to the
 * binary's folder (build/badup -> ../scenarios), so commands work from anywhere in a
 * checkout. Returns a malloc'd path, or NULL when neither exists. */
char *repo_dir(const char *given);

#endif
