/* logline.h: what a proxy's log line says, in a form two lines can be compared in: the line
 * with its variable parts replaced by placeholders, its words, the proxy's own verdict
 * (signatures), and the proxies whose format it has. Used by `badup explain`. */
#ifndef BADUP_LOGLINE_H
#define BADUP_LOGLINE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

struct sig {
  const char *kind; /* static: one of the rule kinds below */
  char *value;
  int weight;
};

struct logline {
  char *norm;    /* the line with its variable parts replaced by placeholders */
  char **tokens; /* sorted, unique, lower case */
  double *weights; /* of each token, once the reference is counted */
  size_t ntok;
  struct sig *sigs; /* sorted by kind then value, unique */
  size_t nsig;
  unsigned proxies; /* bit i: the line has the format of DETECTORS[i].proxy */
};

#define LOGLINE_NSIG_RULES 23
#define LOGLINE_NDETECTORS 12

struct logline_matcher {
  regex_t sig_re[LOGLINE_NSIG_RULES];
  regex_t detect_re[LOGLINE_NDETECTORS];
};

/* Compiles the rules; 0, or -1 with a message on stderr. */
int logline_matcher_init(struct logline_matcher *m);
void logline_matcher_free(struct logline_matcher *m);
/* Reads raw into f (weights left NULL); the caller frees f with logline_free. */
void logline_read(const struct logline_matcher *m, const char *raw, struct logline *f);
void logline_free(struct logline *f);
int logline_cmp_sig(const void *a, const void *b);
const char *logline_sig_label(const char *kind);
/* The proxies whose formats are recognised: bit i of logline.proxies is logline_proxy(i). */
size_t logline_nproxies(void);
const char *logline_proxy(size_t i);

#endif
