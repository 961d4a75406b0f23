/* response.c: the bytes of an HTTP response, built from a description. */
#include "response.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *resp_reason(long status) {
  switch (status) {
  case 100: return "Continue";
  case 101: return "Switching Protocols";
  case 103: return "Early Hints";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 408: return "Request Timeout";
  case 413: return "Content Too Large";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "";
  }
}

/* Does a header line name this field? Compares the bytes before the first colon,
 * without trimming: "Content-Length :" does not count, which is what we want when
 * deciding whether to add our own framing header. */
static bool header_is(struct resp_bytes h, const char *name) {
  size_t n = strlen(name);
  return h.len > n && h.p[n] == ':' && strncasecmp(h.p, name, n) == 0;
}

static bool has_framing_header(const struct resp_spec *s) {
  for (size_t i = 0; i < s->nheaders; i++)
    if (header_is(s->headers[i], "content-length") || header_is(s->headers[i], "transfer-encoding"))
      return true;
  return false;
}

void resp_build(const struct resp_spec *s, struct buf *out) {
  if (s->status_line.p) {
    buf_append(out, s->status_line.p, s->status_line.len);
  } else {
    const char *reason = s->reason ? s->reason : resp_reason(s->status);
    buf_printf(out, "%s %03ld %s", s->version ? s->version : "HTTP/1.1", s->status, reason);
  }
  buf_puts(out, "\r\n");
  for (size_t i = 0; i < s->nheaders; i++) {
    buf_append(out, s->headers[i].p, s->headers[i].len);
    buf_puts(out, "\r\n");
  }
  bool bodiless = (s->status >= 100 && s->status < 200) || s->status == 204 || s->status == 304;
  bool explicit_framing = has_framing_header(s);
  if (s->chunks) {
    if (!explicit_framing) buf_puts(out, "Transfer-Encoding: chunked\r\n");
    if (s->length >= 0) buf_printf(out, "Content-Length: %ld\r\n", s->length);
  } else if (s->length >= 0) {
    buf_printf(out, "Content-Length: %ld\r\n", s->length);
  } else if (s->length == RESP_LENGTH_AUTO && !bodiless && !explicit_framing) {
    buf_printf(out, "Content-Length: %zu\r\n", s->body.len);
  }
  buf_puts(out, "\r\n");
  if (s->chunks) {
    for (size_t i = 0; i < s->nchunks; i++) {
      if (s->chunks[i].len == 0) continue; /* an empty chunk would end the body early */
      buf_printf(out, "%zx\r\n", s->chunks[i].len);
      buf_append(out, s->chunks[i].p, s->chunks[i].len);
      buf_puts(out, "\r\n");
    }
    if (s->last_chunk) buf_puts(out, "0\r\n\r\n");
  } else {
    buf_append(out, s->body.p, s->body.len);
  }
}
