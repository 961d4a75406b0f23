/* explain_answer.h: one line's answer, for explain.c: what the line says, the candidates it
 * ranks, and the answer as text or as JSON objects (explain_answer.c). Not an API. */
#ifndef BADUP_EXPLAIN_ANSWER_H
#define BADUP_EXPLAIN_ANSWER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "explain_rank.h"

/* The scenarios' summaries, loaded when a tie needs them. */
struct summaries {
  char *dir; /* NULL when the scenario folder is not found */
  char **names, **texts;
  size_t n;
};
void summaries_free(struct summaries *s);

/* What the commands that reproduce a candidate need of the command line explain was given,
 * so that they run the same definitions, reference and scenarios. */
struct reproduce {
  const char *run_options;  /* "" or " --proxies DIR --reference DIR --scenarios DIR", the
                             * ones given, sh-quoted: appended to `badup run ...` */
  const char *scenario_dir; /* sh-quoted; the folder `badup serve` takes the scenario from */
};

/* Explains one line: printed (several: with its number), or appended to json_out (a JSON
 * array) when it is not NULL. Returns whether anything matched. */
bool explain_line(const struct catalog *cat, struct summaries *sums, const struct reproduce *repro, const char *line,
                  size_t line_no, bool several, size_t top, json_t *json_out);

/* text, folded at 88 columns. */
void explain_fold(FILE *out, const char *text);

#endif
