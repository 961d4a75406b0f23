/* seen.c: the shapes of seen.h. */
#include "seen.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *seen_field(const struct seen_response *r, const char *name, size_t *count) {
  const char *first = NULL;
  size_t n = 0;
  for (size_t i = 0; r && i < r->nfields; i++)
    if (!strcasecmp(r->fields[i].name, name)) {
      if (!first) first = r->fields[i].value;
      n++;
    }
  if (count) *count = n;
  return first;
}

const struct seen_response *seen_last(const struct seen *s) {
  return s->nresponses ? &s->responses[s->nresponses - 1] : NULL;
}

struct seen_response *seen_add_response(struct seen *s, int request, int connection) {
  struct seen_response *r = realloc(s->responses, (s->nresponses + 1) * sizeof *r);
  if (!r) return NULL;
  s->responses = r;
  r = &s->responses[s->nresponses++];
  memset(r, 0, sizeof *r);
  r->request = request;
  r->connection = connection;
  r->reason = strdup("");
  if (!r->reason) {
    s->nresponses--;
    return NULL;
  }
  return r;
}

static char *dup_n(const char *p, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    if (n) memcpy(d, p, n);
    d[n] = 0;
  }
  return d;
}

int seen_add_field(struct seen_response *r, const char *name, size_t nlen, const char *value, size_t vlen) {
  /* RFC 9110 5.5: the optional whitespace around a value is not part of it. */
  while (vlen && (*value == ' ' || *value == '\t')) value++, vlen--;
  while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) vlen--;
  struct seen_field *f = realloc(r->fields, (r->nfields + 1) * sizeof *f);
  if (!f) return -1;
  r->fields = f;
  char *n = dup_n(name, nlen), *v = dup_n(value, vlen);
  if (!n || !v) {
    free(n);
    free(v);
    return -1;
  }
  r->fields[r->nfields++] = (struct seen_field){n, v};
  return 0;
}

int seen_add_body(struct seen_response *r, const char *p, size_t n) {
  r->body_bytes += n;
  size_t room = r->body_kept < SEEN_BODY_CAP ? SEEN_BODY_CAP - r->body_kept : 0;
  size_t take = n < room ? n : room;
  if (!take) return 0;
  char *b = realloc(r->body, r->body_kept + take + 1);
  if (!b) return -1;
  memcpy(b + r->body_kept, p, take);
  r->body_kept += take;
  b[r->body_kept] = 0;
  r->body = b;
  return 0;
}

void seen_set_pending(struct seen *s, const int *interim, int n) {
  if (n < 0) n = 0;
  if (n > SEEN_MAX_INTERIM) n = SEEN_MAX_INTERIM;
  if (n) memcpy(s->pending_interim, interim, (size_t)n * sizeof *interim);
  s->npending = n;
}

void seen_free(struct seen *s) {
  for (size_t i = 0; i < s->nresponses; i++) {
    struct seen_response *r = &s->responses[i];
    for (size_t k = 0; k < r->nfields; k++) {
      free(r->fields[k].name);
      free(r->fields[k].value);
    }
    free(r->fields);
    free(r->reason);
    free(r->body);
  }
  free(s->responses);
  memset(s, 0, sizeof *s);
}
