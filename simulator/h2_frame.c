/* h2_frame.c: frame headers, names and descriptions (h2_frame.h). */
#include "h2_frame.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void h2_frame_header(unsigned char *out, uint32_t length, uint8_t type, uint8_t flags, uint32_t stream) {
  out[0] = (unsigned char)(length >> 16), out[1] = (unsigned char)(length >> 8), out[2] = (unsigned char)length;
  out[3] = type;
  out[4] = flags;
  h2_put_u32(out + 5, stream & H2_STREAM_MAX);
}

struct h2_header h2_frame_header_read(const unsigned char *in) {
  return (struct h2_header){
      .length = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2],
      .type = in[3],
      .flags = in[4],
      .stream = h2_u32(in + 5) & H2_STREAM_MAX, /* the reserved bit is ignored (RFC 9113 4.1) */
  };
}

static const char *const type_names[] = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
                                         "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"};

const char *h2_type_name(uint8_t type) {
  return type < sizeof type_names / sizeof *type_names ? type_names[type] : NULL;
}

static const char *const error_names[] = {
    "NO_ERROR",       "PROTOCOL_ERROR",    "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",  "FRAME_SIZE_ERROR",  "REFUSED_STREAM", "CANCEL",             "COMPRESSION_ERROR",
    "CONNECT_ERROR",  "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

const char *h2_error_name(uint32_t code) {
  return code < sizeof error_names / sizeof *error_names ? error_names[code] : NULL;
}

int64_t h2_error_parse(const char *name) {
  for (size_t i = 0; i < sizeof error_names / sizeof *error_names; i++)
    if (strcmp(error_names[i], name) == 0) return (int64_t)i;
  return -1;
}

static const struct {
  uint16_t id;
  const char *name;
} settings[] = {
    {H2_SETTINGS_HEADER_TABLE_SIZE, "HEADER_TABLE_SIZE"},
    {H2_SETTINGS_ENABLE_PUSH, "ENABLE_PUSH"},
    {H2_SETTINGS_MAX_CONCURRENT_STREAMS, "MAX_CONCURRENT_STREAMS"},
    {H2_SETTINGS_INITIAL_WINDOW_SIZE, "INITIAL_WINDOW_SIZE"},
    {H2_SETTINGS_MAX_FRAME_SIZE, "MAX_FRAME_SIZE"},
    {H2_SETTINGS_MAX_HEADER_LIST_SIZE, "MAX_HEADER_LIST_SIZE"},
    {H2_SETTINGS_ENABLE_CONNECT_PROTOCOL, "ENABLE_CONNECT_PROTOCOL"},
};

int h2_setting_parse(const char *name) {
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++)
    if (strcasecmp(settings[i].name, name) == 0) return settings[i].id;
  return -1;
}

const char *h2_setting_name(uint16_t id) {
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++)
    if (settings[i].id == id) return settings[i].name;
  return NULL;
}

/* snprintf that never runs past cap: returns the new length. */
__attribute__((format(printf, 4, 5)))
static size_t put(char *out, size_t cap, size_t at, const char *fmt, ...) {
  if (at + 1 >= cap) return at;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + at, cap - at, fmt, ap);
  va_end(ap);
  if (n < 0) return at;
  return at + (size_t)n < cap ? at + (size_t)n : cap - 1;
}

static size_t put_code(char *out, size_t cap, size_t at, uint32_t code) {
  const char *name = h2_error_name(code);
  return name ? put(out, cap, at, " code=%s", name) : put(out, cap, at, " code=0x%" PRIx32, code);
}

size_t h2_frame_describe(const struct h2_header *h, const unsigned char *p, size_t len, char *out, size_t cap) {
  if (cap == 0) return 0;
  out[0] = 0;
  const char *name = h2_type_name(h->type);
  size_t n = name ? put(out, cap, 0, "%s", name) : put(out, cap, 0, "type=0x%02x", h->type);
  switch (h->type) {
  case H2_SETTINGS:
    if (h->flags & H2_FLAG_ACK) return put(out, cap, n, " flags=ACK");
    for (size_t i = 0; i + 6 <= len; i += 6) {
      uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
      const char *sn = h2_setting_name(id);
      n = sn ? put(out, cap, n, " %s=%" PRIu32, sn, h2_u32(p + i + 2))
             : put(out, cap, n, " 0x%x=%" PRIu32, id, h2_u32(p + i + 2));
    }
    return n;
  case H2_PING:
    return put(out, cap, n, "%s", h->flags & H2_FLAG_ACK ? " flags=ACK" : "");
  case H2_GOAWAY:
    if (len >= 8) {
      n = put(out, cap, n, " last_stream_id=%" PRIu32, h2_u32(p) & H2_STREAM_MAX);
      n = put_code(out, cap, n, h2_u32(p + 4));
    }
    return n;
  case H2_RST_STREAM:
    n = put(out, cap, n, " stream=%" PRIu32, h->stream);
    return len >= 4 ? put_code(out, cap, n, h2_u32(p)) : n;
  case H2_WINDOW_UPDATE:
    n = put(out, cap, n, " stream=%" PRIu32, h->stream);
    return len >= 4 ? put(out, cap, n, " increment=%" PRIu32, h2_u32(p) & H2_STREAM_MAX) : n;
  default:
    break;
  }
  n = put(out, cap, n, " stream=%" PRIu32, h->stream);
  if (h->type == H2_DATA || h->type == H2_HEADERS || h->type == H2_CONTINUATION) {
    static const struct {
      uint8_t bit;
      uint8_t types; /* 1: DATA, 2: HEADERS, 4: CONTINUATION */
      const char *name;
    } flags[] = {{H2_FLAG_END_STREAM, 3, "END_STREAM"}, {H2_FLAG_END_HEADERS, 6, "END_HEADERS"},
                 {H2_FLAG_PADDED, 3, "PADDED"}, {H2_FLAG_PRIORITY, 2, "PRIORITY"}};
    uint8_t t = h->type == H2_DATA ? 1 : h->type == H2_HEADERS ? 2 : 4;
    bool first = true;
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
      if ((h->flags & flags[i].bit) && (flags[i].types & t)) {
        n = put(out, cap, n, "%s%s", first ? " flags=" : "|", flags[i].name);
        first = false;
      }
    if (h->type == H2_DATA) n = put(out, cap, n, " len=%" PRIu32, h->length);
  } else if (h->flags) {
    n = put(out, cap, n, " flags=0x%02x", h->flags);
  }
  return n;
}
