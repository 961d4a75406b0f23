/* received.c: the ring of requests the upstreams received, and its JSON (received.h). */
#include "received.h"

#include <stdlib.h>
#include <string.h>

void received_init(struct received_log *log) {
  memset(log, 0, sizeof *log);
  pthread_mutex_init(&log->mu, NULL);
}

static void slot_free(struct received *r) {
  free(r->target);
  free(r->fields);
  free(r->body);
  memset(r, 0, sizeof *r);
}

void received_clear(struct received_log *log) {
  pthread_mutex_lock(&log->mu);
  for (size_t i = 0; i < RECEIVED_CAP; i++) slot_free(&log->ring[i]);
  /* Ids go on growing: a connection still holding an id of before the clear must not
   * write its body into a newer request's slot. */
  pthread_mutex_unlock(&log->mu);
}

void received_destroy(struct received_log *log) {
  received_clear(log);
  pthread_mutex_destroy(&log->mu);
}

/* The fields of r as NUL-terminated pairs, whole pairs only, at most RECEIVED_FIELDS_KEPT
 * bytes. Built before the lock is taken. */
static char *copy_fields(const struct request *r, size_t *len, bool *truncated) {
  *len = 0;
  *truncated = false;
  if (!r->fields.len) return NULL;
  size_t cap = r->fields.len + 2 < RECEIVED_FIELDS_KEPT ? r->fields.len + 2 : RECEIVED_FIELDS_KEPT;
  char *out = malloc(cap);
  if (!out) return NULL;
  struct request_field_iter it = {r->fields.data, r->fields.data + r->fields.len};
  const char *n, *v;
  size_t nl, vl;
  while (request_next_field(&it, &n, &nl, &v, &vl)) {
    if (*len + nl + vl + 2 > cap) {
      *truncated = true;
      break;
    }
    memcpy(out + *len, n, nl);
    out[*len + nl] = 0;
    memcpy(out + *len + nl + 1, v, vl);
    out[*len + nl + 1 + vl] = 0;
    *len += nl + vl + 2;
  }
  return out;
}

uint64_t received_head(struct received_log *log, const struct request *r, int upstream, const char *scenario) {
  struct received rec = {.upstream = (uint8_t)upstream, .http_major = (uint8_t)r->http_major,
                         .http_minor = (uint8_t)r->http_minor, .conn = r->conn_id, .seq = r->conn_seq,
                         .scenario = scenario};
  memcpy(rec.method, r->method, sizeof rec.method);
  rec.target_len = r->target.len < RECEIVED_TARGET_KEPT ? r->target.len : RECEIVED_TARGET_KEPT;
  rec.target_truncated = rec.target_len < r->target.len;
  rec.target = malloc(rec.target_len ? rec.target_len : 1);
  rec.fields = copy_fields(r, &rec.fields_len, &rec.fields_truncated);
  if (!rec.target || (r->fields.len && !rec.fields)) {
    free(rec.target);
    free(rec.fields);
    return 0;
  }
  if (rec.target_len) memcpy(rec.target, r->target.data, rec.target_len);
  pthread_mutex_lock(&log->mu);
  rec.id = ++log->next_id;
  struct received *slot = &log->ring[(rec.id - 1) % RECEIVED_CAP];
  slot_free(slot); /* the oldest goes */
  *slot = rec;
  pthread_mutex_unlock(&log->mu);
  return rec.id;
}

void received_body(struct received_log *log, uint64_t id, const struct request *r, bool complete) {
  if (!id) return;
  size_t keep = r->body.len < RECEIVED_BODY_KEPT ? r->body.len : RECEIVED_BODY_KEPT;
  char *body = keep ? malloc(keep) : NULL;
  if (body) memcpy(body, r->body.data, keep);
  else keep = 0;
  pthread_mutex_lock(&log->mu);
  struct received *slot = &log->ring[(id - 1) % RECEIVED_CAP];
  if (slot->id == id) {
    free(slot->body);
    slot->body = body;
    slot->body_kept = keep;
    slot->body_length = r->body_length;
    slot->complete = complete;
    body = NULL;
  }
  pthread_mutex_unlock(&log->mu);
  free(body);
}

/* ---- JSON -------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (!len || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
  if (c == 0xED && p[1] > 0x9F) return 0;  /* surrogate */
  if (c == 0xF0 && p[1] < 0x90) return 0;  /* overlong */
  if (c == 0xF4 && p[1] > 0x8F) return 0;  /* past U+10FFFF */
  return len;
}

/* A JSON string of the bytes; each byte that is not part of valid UTF-8 becomes U+FFFD.
 * *exact says whether nothing was replaced. */
static json_t *text_json(const char *s, size_t n, bool *exact) {
  if (exact) *exact = true;
  json_t *j = json_stringn(s ? s : "", n);
  if (j) return j; /* valid UTF-8 (jansson checks) */
  if (exact) *exact = false;
  char *out = malloc(n * 3 + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq((const unsigned char *)s + i, n - i);
    if (k) {
      memcpy(out + o, s + i, k);
      o += k;
      i += k;
    } else {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    }
  }
  j = json_stringn(out, o);
  free(out);
  return j;
}

static json_t *base64_json(const char *s, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = malloc((n + 2) / 3 * 4 + 1);
  if (!out) return NULL;
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out[o++] = tab[v >> 18 & 63];
    out[o++] = tab[v >> 12 & 63];
    out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? tab[v & 63] : '=';
  }
  json_t *j = json_stringn(out, o);
  free(out);
  return j;
}

static json_t *record_json(const struct received *r) {
  char version[16];
  snprintf(version, sizeof version, "HTTP/%u.%u", (unsigned)r->http_major, (unsigned)r->http_minor);
  json_t *headers = json_array();
  for (size_t i = 0; headers && i < r->fields_len;) {
    const char *name = r->fields + i;
    size_t nl = strlen(name);
    const char *value = name + nl + 1;
    size_t vl = strlen(value);
    json_array_append_new(headers, json_pack("[o, o]", text_json(name, nl, NULL), text_json(value, vl, NULL)));
    i += nl + vl + 2;
  }
  bool exact = true;
  json_t *body = text_json(r->body, r->body_kept, &exact);
  json_t *o = json_pack("{s:i, s:I, s:i, s:s, s:s, s:o, s:s, s:o, s:I, s:o, s:b, s:b}", "upstream", (int)r->upstream,
                        "conn", (json_int_t)r->conn, "seq", (int)r->seq, "scenario", r->scenario ? r->scenario : "",
                        "method", r->method, "target", text_json(r->target, r->target_len, NULL), "version", version,
                        "headers", headers, "body_length", (json_int_t)r->body_length, "body", body,
                        "body_truncated", r->body_length > r->body_kept, "complete", r->complete);
  if (!o) return NULL;
  if (!exact) json_object_set_new(o, "body_base64", base64_json(r->body, r->body_kept));
  if (r->fields_truncated) json_object_set_new(o, "headers_truncated", json_true());
  if (r->target_truncated) json_object_set_new(o, "target_truncated", json_true());
  return o;
}

json_t *received_json(struct received_log *log, size_t limit, int upstream) {
  json_t *a = json_array();
  if (!a) return NULL;
  pthread_mutex_lock(&log->mu);
  uint64_t last = log->next_id;
  uint64_t first = last > RECEIVED_CAP ? last - RECEIVED_CAP + 1 : 1;
  /* Newest `limit` of those that match, so walk back, then reverse. */
  size_t n = 0;
  for (uint64_t id = last; id >= first && id > 0 && n < limit; id--) {
    const struct received *r = &log->ring[(id - 1) % RECEIVED_CAP];
    if (r->id != id || (upstream > 0 && r->upstream != upstream)) continue;
    json_t *o = record_json(r);
    if (o) json_array_insert_new(a, 0, o), n++;
  }
  pthread_mutex_unlock(&log->mu);
  return a;
}
