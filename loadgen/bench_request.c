/* bench_request.c: the bytes `badup bench` sends. See bench_request.h. */
#include "bench_request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "fileio.h"
#include "usage.h"

#include <uv.h>

#define MAX_METHOD 32

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!is_tchar((unsigned char)s[i])) return false;
  return true;
}

/* A field value: visible characters, spaces and tabs, obs-text (RFC 9110 5.5); no CR, LF,
 * NUL or other controls, which would split or end the header block on the wire. */
static bool is_field_value(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

/* "Name: value" split at the first ':', blanks around the value trimmed. 0 or 2 (reported). */
static int check_header(const char *h, size_t *name_len, const char **value, size_t *value_len) {
  if (strlen(h) > BENCH_MAX_HEADER_BYTES)
    return cli_usage_error("bench", "--header longer than %d bytes", BENCH_MAX_HEADER_BYTES);
  const char *colon = strchr(h, ':');
  if (!colon || !is_token(h, (size_t)(colon - h)))
    return cli_usage_error("bench", "--header '%s': want 'Name: value' with a token name (RFC 9110)", h);
  *name_len = (size_t)(colon - h);
  const char *v = colon + 1;
  while (*v == ' ' || *v == '\t') v++;
  size_t vl = strlen(v);
  while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
  if (!is_field_value(v))
    return cli_usage_error("bench", "--header '%.*s': the value holds a control character (CR, LF, NUL ...)",
                           (int)*name_len, h);
  if ((*name_len == 14 && !strncasecmp(h, "content-length", 14)) ||
      (*name_len == 17 && !strncasecmp(h, "transfer-encoding", 17)))
    return cli_usage_error("bench", "--header %.*s: bench frames the body itself (Content-Length from --body)",
                           (int)*name_len, h);
  *value = v;
  *value_len = vl;
  return 0;
}

static bool has_header(const struct bench_request_spec *s, const char *name) {
  size_t n = strlen(name);
  for (unsigned i = 0; i < s->n_headers; i++)
    if (!strncasecmp(s->headers[i], name, n) && s->headers[i][n] == ':') return true;
  return false;
}

/* The body: the string itself, or the bytes of FILE for "@FILE". *body is malloc'd. */
static int load_body(const char *arg, char **body, size_t *len) {
  if (arg[0] == '@') {
    /* Sized first: a file too big is refused before it is read into memory. */
    struct stat st;
    if (stat(arg + 1, &st) != 0) return cli_usage_error("bench", "--body %s: %s", arg, strerror(errno));
    /* A directory reads as zero bytes on some systems: refused, or bench would send an empty
     * body as if that were asked for. A FIFO or device has no size to check first. */
    if (S_ISDIR(st.st_mode)) return cli_usage_error("bench", "--body %s: is a directory, want a file", arg);
    if (!S_ISREG(st.st_mode)) return cli_usage_error("bench", "--body %s: not a regular file", arg);
    if ((uintmax_t)st.st_size > BENCH_MAX_BODY)
      return cli_usage_error("bench", "--body %s: %jd bytes, more than the %u bench sends", arg,
                             (intmax_t)st.st_size, BENCH_MAX_BODY);
    size_t n = 0;
    errno = 0;
    *body = fileio_slurp(arg + 1, 0, &n);
    if (!*body) return cli_usage_error("bench", "--body %s: cannot read it (%s)", arg, strerror(errno ? errno : EIO));
    *len = n;
  } else {
    *len = strlen(arg);
    *body = strdup(arg);
    if (!*body) return cli_usage_error("bench", "%s", "out of memory");
  }
  if (*len > BENCH_MAX_BODY) {
    free(*body);
    *body = NULL;
    return cli_usage_error("bench", "--body: %zu bytes, more than the %u bench sends", *len, BENCH_MAX_BODY);
  }
  return 0;
}

int bench_request_build(const struct bench_request_spec *spec, const char *target, const char *authority,
                        char **out, size_t *len, bool *head) {
  const char *method = spec->method ? spec->method : "GET";
  size_t ml = strlen(method);
  if (ml > MAX_METHOD || !is_token(method, ml))
    return cli_usage_error("bench", "--method '%s': want a token of 1 to %d characters (RFC 9110), e.g. POST",
                           method, MAX_METHOD);
  if (!strcmp(method, "CONNECT"))
    return cli_usage_error("bench", "%s", "--method CONNECT: a tunnel, not a request; not supported");
  struct buf b = {0};
  buf_printf(&b, "%s %s HTTP/1.1\r\n", method, target);
  /* Host and User-Agent are bench's unless a --header gives its own (the proxy's virtual host). */
  if (!has_header(spec, "Host")) buf_printf(&b, "Host: %s\r\n", authority);
  if (!has_header(spec, "User-Agent")) buf_printf(&b, "User-Agent: badup-bench\r\n");
  for (unsigned i = 0; i < spec->n_headers; i++) {
    size_t nl = 0, vl = 0;
    const char *v = "";
    if (check_header(spec->headers[i], &nl, &v, &vl)) {
      buf_free(&b);
      return 2;
    }
    buf_printf(&b, "%.*s: %.*s\r\n", (int)nl, spec->headers[i], (int)vl, v);
  }
  char *body = NULL;
  size_t body_len = 0;
  if (spec->body) {
    if (load_body(spec->body, &body, &body_len)) {
      buf_free(&b);
      return 2;
    }
    buf_printf(&b, "Content-Length: %zu\r\n", body_len);
  }
  buf_printf(&b, "\r\n");
  if (body) buf_append(&b, body, body_len);
  free(body);
  if (b.oom) {
    buf_free(&b);
    return cli_usage_error("bench", "%s", "out of memory");
  }
  *len = b.len;
  *out = buf_take(&b);
  if (!*out) return cli_usage_error("bench", "%s", "out of memory");
  *head = !strcmp(method, "HEAD");
  return 0;
}

int bench_url_parse(const char *url, struct sockaddr_storage *addr, char *target, size_t target_size,
                    char *authority, size_t authority_size) {
  const char *p = url;
  if (strncmp(p, "http://", 7) != 0)
    return cli_usage_error("bench", "--url must start with http:// (got '%s')", url);
  p += 7;
  char host[64];
  const char *hs, *he, *rest;
  bool v6 = false;
  if (*p == '[') {
    hs = p + 1;
    he = strchr(hs, ']');
    if (!he) return cli_usage_error("bench", "--url: missing ']' in '%s'", url);
    rest = he + 1;
    v6 = true;
  } else {
    hs = p;
    he = hs + strcspn(hs, ":/?#");
    rest = he;
  }
  size_t hl = (size_t)(he - hs);
  if (hl == 0 || hl >= sizeof host) return cli_usage_error("bench", "--url: bad host in '%s'", url);
  memcpy(host, hs, hl);
  host[hl] = '\0';
  unsigned long port = 80;
  if (*rest == ':') {
    char *end;
    errno = 0;
    port = strtoul(rest + 1, &end, 10);
    if (errno || end == rest + 1 || port == 0 || port > 65535 || (*end && *end != '/' && *end != '?'))
      return cli_usage_error("bench", "--url: bad port in '%s'", url);
    rest = end;
  } else if (*rest && *rest != '/' && *rest != '?') {
    return cli_usage_error("bench", "--url: cannot parse '%s'", url);
  }
  const char *path = *rest ? rest : "/";
  if (*path == '?') path = rest; /* "?q" without a slash: sent as "/?q" below */
  memset(addr, 0, sizeof *addr);
  const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
  if (v6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    if (uv_ip6_addr(ip, (int)port, a6) != 0 || strcmp(ip, "::1") != 0)
      return cli_usage_error("bench", "--url: only the loopback is loaded (127.0.0.1, [::1]); refusing host '%s'",
                             host);
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    if (uv_ip4_addr(ip, (int)port, a4) != 0 || (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
      return cli_usage_error("bench", "--url: only the loopback is loaded (127.0.0.1, [::1]); refusing host '%s'",
                             host);
  }
  for (const char *c = path; *c; c++)
    if ((unsigned char)*c <= ' ' || *c == 0x7f)
      return cli_usage_error("bench", "--url: bad character in path of '%s'", url);
  if (strlen(path) + 2 > target_size)
    return cli_usage_error("bench", "--url: path longer than %zu bytes", target_size - 2);
  snprintf(target, target_size, "%s%s", *path == '?' ? "/" : "", path);
  snprintf(authority, authority_size, "%s%s%s:%lu", v6 ? "[" : "", host, v6 ? "]" : "", port);
  return 0;
}
