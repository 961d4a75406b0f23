/* client_build.c: the bytes of a scenario's client request. */
#include "client_build.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Appends s with its ${...} replaced. -1 with err set when one has no value. */
static int expand(struct buf *out, const char *s, int n, const struct client_vars *v, char *err, size_t errlen) {
  for (const char *p = s; *p;) {
    const char *open = strstr(p, "${");
    const char *close = open ? strchr(open, '}') : NULL;
    if (!open || !close) {
      buf_puts(out, p);
      break;
    }
    buf_append(out, p, (size_t)(open - p));
    size_t len = (size_t)(close - open - 2);
    const char *name = open + 2, *val = NULL;
    char num[16];
    if (len == 5 && !memcmp(name, "proxy", 5)) val = v->proxy;
    else if (len == 8 && !memcmp(name, "scenario", 8)) val = v->scenario;
    else if (len == 1 && *name == 'n') snprintf(num, sizeof num, "%d", n), val = num;
    else if (len == 8 && !memcmp(name, "upstream", 8)) val = v->upstreams[0];
    else if (len == 10 && !memcmp(name, "proxy_user", 10)) val = v->proxy_user;
    else if (len == 14 && !memcmp(name, "proxy_password", 14)) val = v->proxy_password;
    else if (len == 17 && !memcmp(name, "proxy_credentials", 17)) val = v->proxy_credentials;
    else if (len == 9 && !memcmp(name, "upstream", 8) && name[8] >= '2' && name[8] <= '8') val = v->upstreams[name[8] - '1'];
    if (!val) {
      bool cred = len >= 6 && !memcmp(name, "proxy_", 6) && v->proxy_auth_hint;
      snprintf(err, errlen, "client request %d: %.*s has no value in this run%s%s", n, (int)(len + 3), open,
               cred ? ": " : "", cred ? v->proxy_auth_hint : "");
      return -1;
    }
    buf_puts(out, val);
    p = close + 1;
  }
  return 0;
}

/* Does a header line name this field (ASCII case-insensitive, RFC 9110 5.1)? */
static bool names(const char *line, const char *name) {
  size_t n = strlen(name);
  return !strncasecmp(line, name, n) && (line[n] == ':' || line[n] == ' ' || line[n] == '\t');
}

static bool has_header(const struct client_request *q, const char *name) {
  for (size_t i = 0; i < q->nheaders; i++)
    if (names(q->headers[i], name)) return true;
  return false;
}

int client_build(const struct client_request *q, int n, const struct client_vars *v, struct buf *head,
                 struct buf *body, char *err, size_t errlen) {
  if (q->raw.p) {
    buf_append(head, q->raw.p, q->raw.len);
    return head->oom ? (snprintf(err, errlen, "out of memory"), -1) : 0;
  }
  buf_printf(head, "%s ", q->method);
  const char *dflt = v->forward ? "http://${upstream}/${scenario}/${n}" : "/${scenario}/${n}";
  if (expand(head, q->target ? q->target : dflt, n, v, err, errlen) != 0) return -1;
  buf_printf(head, " %s\r\n", q->version);
  if (q->host && !has_header(q, "Host")) {
    /* Through a forward proxy the host is the upstream's, as curl writes it. */
    buf_puts(head, "Host: ");
    if (expand(head, v->forward ? "${upstream}" : "${proxy}", n, v, err, errlen) != 0) return -1;
    buf_puts(head, "\r\n");
  }
  for (size_t i = 0; i < q->nheaders; i++) {
    if (expand(head, q->headers[i], n, v, err, errlen) != 0) return -1;
    buf_puts(head, "\r\n");
  }
  bool framed = has_header(q, "Content-Length") || has_header(q, "Transfer-Encoding");
  if (q->chunks) {
    if (!framed) buf_puts(head, "Transfer-Encoding: chunked\r\n");
    if (q->length >= 0) buf_printf(head, "Content-Length: %ld\r\n", q->length);
    for (size_t i = 0; i < q->nchunks; i++) {
      if (!q->chunks[i].len) continue; /* an empty chunk would end the body early */
      buf_printf(body, "%zx\r\n", q->chunks[i].len);
      buf_append(body, q->chunks[i].p, q->chunks[i].len);
      buf_puts(body, "\r\n");
    }
    buf_puts(body, "0\r\n\r\n");
  } else {
    bool wants = q->body.len || !strcmp(q->method, "POST") || !strcmp(q->method, "PUT") || !strcmp(q->method, "PATCH");
    if (q->length >= 0) buf_printf(head, "Content-Length: %ld\r\n", q->length);
    else if (q->length == CLIENT_LENGTH_AUTO && wants && !framed) buf_printf(head, "Content-Length: %zu\r\n", q->body.len);
    if (q->body.len) buf_append(body, q->body.p, q->body.len);
  }
  if (q->expect_100 >= 0 && !has_header(q, "Expect")) buf_puts(head, "Expect: 100-continue\r\n");
  buf_puts(head, "\r\n");
  if (head->oom || body->oom) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}
