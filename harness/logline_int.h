/* logline_int.h: what logline.c (signatures, formats, families, fields) and logline_norm.c
 * (times, syslog headers, masks, placeholders) share: the compiled rules. Not an API. */
#ifndef BADUP_LOGLINE_INT_H
#define BADUP_LOGLINE_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "logline.h"

#define GROUP(k) (1u << (k))

/* In every match of pattern, the groups in `groups` (bit 0: the whole match) become `with`. */
struct mask_rule {
  const char *pattern;
  unsigned groups;
  const char *with;
};

/* A syslog or runtime header; tag is the capture that holds the program name (0: none). */
struct prefix_rule {
  const char *pattern;
  int tag;
};

/* group is the capture that holds the value; all means every match counts (a line can
 * carry several codes); key_len > 0 compares only the value's first key_len bytes. owner:
 * the proxy whose rule it is (its index), or -1 for badup's own. */
struct sig_rule {
  const char *kind, *label, *pattern;
  int group, weight;
  bool all;
  size_t key_len;
  int owner;
};

/* A kind whose values (all of them, value NULL; or those matching value) say only that
 * something was logged. */
struct not_verdict {
  const char *kind, *value;
};

/* A row with a kind reads the value of that signature; a row without reads the whole line. */
struct family_rule {
  const char *family, *kind, *pattern;
  bool icase;
};

struct field_rule {
  const char *proxy, *name, *pattern, *kind, *anchor, *meaning;
};

/* A proxy that explain knows: its name, the syslog tags it logs under (NULL-terminated) and
 * where it says why (look_log NULL: not said). */
struct known_proxy {
  const char *name;
  char *const *tags;
  const char *look_log, *look_what;
};

/* Every table: badup's own rows, then the definitions' (borrowed from them). */
struct logline_rules {
  regex_t *time_re, *prefix_re; /* logline_norm.c's fixed tables */
  struct mask_rule *masks;
  regex_t *mask_re;
  size_t nmasks;
  struct sig_rule *sigs;
  regex_t *sig_re;
  size_t nsigs;
  struct not_verdict *nots;
  regex_t *not_re; /* compiled where value is not NULL */
  size_t nnots;
  struct family_rule *families;
  regex_t *family_re;
  size_t nfamilies;
  struct field_rule *fields;
  regex_t *field_re;
  size_t nfields;
  const char **detect; /* formats only one proxy writes */
  int *detect_owner;
  regex_t *detect_re;
  size_t ndetect;
  struct known_proxy *proxies;
  size_t nproxies;
};

/* logline_norm.c: the fixed tables, and badup's own masks. */
extern const struct mask_rule NORM_TIME_MASKS[];
extern const size_t NORM_NTIME_MASKS;
extern const struct prefix_rule NORM_PREFIXES[];
extern const size_t NORM_NPREFIXES;
extern const struct mask_rule NORM_FIELD_MASKS[];
extern const size_t NORM_NFIELD_MASKS;

/* Steps 1-4 on raw (times, headers, masks, placeholders): the line read, malloc'd; *tag gets
 * the program name of the first syslog header (or stays NULL), malloc'd. */
char *norm_line(const struct logline_rules *r, const char *raw, char **tag);

#endif
