/* usage.h: how a badup command says its command line is wrong, the same way in every
 * command: "badup CMD: <what>" and where to read the options, on stderr. */
#ifndef BADUP_USAGE_H
#define BADUP_USAGE_H

/* The exit code of a usage error, in every command. */
#define USAGE_EXIT 2

/* Prints "badup COMMAND: " and the printf-style message, then "Try 'badup COMMAND --help'.",
 * on stderr. Returns USAGE_EXIT, for `return cli_usage_error(...)`. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
