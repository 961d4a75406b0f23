/* logline.h: what a proxy's log line says, in a form two lines can be compared in.
 *
 * A production line never equals a recorded one: times, addresses, ports, pids, ids,
 * paths, methods, host, frontend, backend and server names, syslog prefixes and sizes
 * differ by deployment. Reading a line replaces those parts with placeholders (<time>,
 * <ip>, <host>, <name>, <method>, <path>, <url>, <n>, <data>), then takes from it:
 *   - signatures: the fields where a proxy states its own verdict (haproxy's termination
 *     state, nginx's error message, apache's AHnnnnn, varnish's FetchError, squid's ERR_*,
 *     the status, ...), as the proxy definitions' `explain` fields say where they are;
 *   - a family: what kind of failure the line says (close, reset, timeout, refused, ...),
 *     in words no proxy owns, so a wording the reference lacks still lands near its kin;
 *   - the words outside the signatures;
 *   - the proxies whose format the line has;
 *   - whether it says why at all (a verdict): a status alone does not, every proxy writes
 *     502 for a dozen faults;
 *   - the optional fields it carries: the harness logs some proxies with fields their
 *     default formats lack (squid's err=, nginx's us=, varnishncsa's fetcherror=, ...), and
 *     a production line without such a field says nothing about it. */
#ifndef BADUP_LOGLINE_H
#define BADUP_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>

struct logline_sig {
  const char *kind; /* the rule's (it lives as long as the rules): "haproxy-state", "status", ... */
  char *value;      /* as the normalised line has it: "SH--" */
  char *key;        /* what two lines compare: the value, or the part of it that is the
                       verdict ("SH": haproxy's last two letters are cookie flags) */
  int weight;
  bool verdict;     /* it says why (a termination state, an error message, an ERR_ code),
                       where a status, a backend name or an access log's fixed message
                       ("handled request") says only that something was logged */
  unsigned fields;  /* the optional fields (logline_field_*) it lies in; 0: outside them */
};

struct logline {
  char *norm;       /* the line with its variable parts replaced by placeholders */
  char **tokens;    /* the words outside the signatures: sorted, unique, lower case */
  size_t ntok;
  double *weights;  /* one per token: left NULL here, for the caller to fill */
  unsigned *tok_fields; /* one per token: the optional fields it lies in, 0 when it also
                           lies outside them */
  struct logline_sig *sigs; /* sorted by kind then key, unique */
  size_t nsig;
  unsigned proxies; /* bit i: the line has the format (or syslog tag) of logline_proxy(i) */
  unsigned own;     /* bit i: it carries a verdict of logline_proxy(i)'s own signatures */
  const char *family; /* static: a name from the family table, or NULL */
  unsigned family_fields; /* the optional fields the family was read from; 0: outside them */
  unsigned fields;  /* bit i: the line carries optional field i */
  bool verdict;     /* some signature is a verdict, or the words name a family */
};

struct logline_rules; /* the compiled regular expressions */
struct proxy_def;

/* badup's own rules (times, syslog headers, addresses, a status in an access line, squid's
 * native format, http-parser's codes, the families) and those of every definition's
 * `explain` field, proxies numbered in the order of defs (only those with the field). The
 * rules borrow the definitions' strings: defs must outlive them. NULL, with a message on
 * stderr, when more than 32 proxies or 32 optional fields would be known, or out of memory. */
struct logline_rules *logline_rules_new(const struct proxy_def *defs, size_t ndefs);
void logline_rules_free(struct logline_rules *r);

/* Reads raw into *out; the caller frees it with logline_free. */
void logline_read(const struct logline_rules *r, const char *raw, struct logline *out);
void logline_free(struct logline *l);

/* Orders signatures by kind, then key. */
int logline_cmp_sig(const void *a, const void *b);
/* "termination state" for "haproxy-state". */
const char *logline_sig_label(const struct logline_rules *r, const char *kind);
/* A kind many formats carry and many do not (the status): its absence from a line says
 * nothing, where the absence of a proxy's own verdict does. */
bool logline_sig_generic(const char *kind);
/* The kinds badup reads itself, in any line ("status", "squid-code", "http-parser-error"),
 * which a definition's signatures cannot take (but "status"); the list, for messages. */
bool logline_builtin_kind(const char *kind);
const char *logline_builtin_kinds(void);

/* Optional fields: parts of a format the harness logs that a proxy's default format lacks.
 * name is how the field starts ("err="), meaning what it says and who lacks it. */
size_t logline_nfields(const struct logline_rules *r);
const char *logline_field_name(const struct logline_rules *r, size_t i);
const char *logline_field_proxy(const struct logline_rules *r, size_t i);
const char *logline_field_meaning(const struct logline_rules *r, size_t i);
/* The fields a line of in's kind could carry but in lacks, so that what a recorded line
 * says in them cannot count against in: in may be the field's proxy's (recognised as it,
 * or as no proxy), has the kind of line the field belongs to (a result code for squid's
 * err=) but neither the field nor what it says in another form (varnishlog's FetchError
 * record for varnishncsa's fetcherror=). */
unsigned logline_absent_fields(const struct logline_rules *r, const struct logline *in);
/* Field i as raw has it ("err=ERR_ZERO_SIZE_OBJECT/WITH_SERVER"), or NULL; caller frees. */
char *logline_field_text(const struct logline_rules *r, const char *raw, size_t i);

/* The proxies whose formats are known, in the order of logline.proxies' bits. */
size_t logline_nproxies(const struct logline_rules *r);
const char *logline_proxy(const struct logline_rules *r, size_t i);
int logline_proxy_index(const struct logline_rules *r, const char *proxy); /* -1 when unknown */
/* The proxies l is recognised as (indices into order, which has room for 32), in the order to
 * name them: those whose own verdict the line carries first. Returns how many. */
size_t logline_recognised(const struct logline_rules *r, const struct logline *l, size_t *order);
/* Where proxy i says why a request failed: the file of its `logs` ("": the line itself), or
 * NULL when its definition does not say; what that looks like in production. */
const char *logline_look_in_log(const struct logline_rules *r, size_t i);
const char *logline_look_in_what(const struct logline_rules *r, size_t i);

/* What a family means, in a few words ("the upstream closed the connection early"). */
const char *logline_family_meaning(const char *family);
/* 1 for the same family, 0.5 for kin (close and reset: proxies blur FIN and RST), else 0. */
double logline_family_agreement(const char *a, const char *b);
/* Is name one of the families? The list, for messages. */
bool logline_is_family(const char *name);
const char *logline_family_names(void);

#endif
