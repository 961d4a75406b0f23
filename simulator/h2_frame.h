/* h2_frame.h: HTTP/2 frames as bytes (RFC 9113 4 and 6): the frame header, the names of
 * frame types, flags, error codes and settings, and one-line descriptions for events.
 *
 * The simulator builds and reads frames itself, not through nghttp2's session: a scenario
 * must be able to send what a correct HTTP/2 library refuses to (DATA on a closed stream, a
 * HEADERS without :status), and the server must send nothing a scenario did not ask for
 * beyond the acknowledgements h2_conn.c documents. libnghttp2 does HPACK (RFC 7541). */
#ifndef BADUP_H2_FRAME_H
#define BADUP_H2_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H2_FRAME_HEADER 9      /* length (24 bits), type, flags, R + stream id (31 bits) */
#define H2_MAX_FRAME 16384u    /* SETTINGS_MAX_FRAME_SIZE's initial value (RFC 9113 6.5.2):
                                  what every peer accepts, and what the simulator reads */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" /* the client's, RFC 9113 3.4 */
#define H2_PREFACE_LEN 24
#define H2_STREAM_MAX 0x7fffffffu

/* Frame types, RFC 9113 6. */
enum h2_type {
  H2_DATA = 0, H2_HEADERS = 1, H2_PRIORITY = 2, H2_RST_STREAM = 3, H2_SETTINGS = 4,
  H2_PUSH_PROMISE = 5, H2_PING = 6, H2_GOAWAY = 7, H2_WINDOW_UPDATE = 8, H2_CONTINUATION = 9
};

/* Flags (which apply depends on the type). */
#define H2_FLAG_END_STREAM 0x01  /* DATA, HEADERS */
#define H2_FLAG_ACK 0x01         /* SETTINGS, PING */
#define H2_FLAG_END_HEADERS 0x04 /* HEADERS, CONTINUATION */
#define H2_FLAG_PADDED 0x08      /* DATA, HEADERS */
#define H2_FLAG_PRIORITY 0x20    /* HEADERS */

/* Settings identifiers, RFC 9113 6.5.2 (and RFC 8441's ENABLE_CONNECT_PROTOCOL). */
enum h2_setting {
  H2_SETTINGS_HEADER_TABLE_SIZE = 1, H2_SETTINGS_ENABLE_PUSH = 2, H2_SETTINGS_MAX_CONCURRENT_STREAMS = 3,
  H2_SETTINGS_INITIAL_WINDOW_SIZE = 4, H2_SETTINGS_MAX_FRAME_SIZE = 5, H2_SETTINGS_MAX_HEADER_LIST_SIZE = 6,
  H2_SETTINGS_ENABLE_CONNECT_PROTOCOL = 8
};

/* Writes a frame header at out (H2_FRAME_HEADER bytes). */
void h2_frame_header(unsigned char *out, uint32_t length, uint8_t type, uint8_t flags, uint32_t stream);

/* The parts of the header at in. */
struct h2_header {
  uint32_t length, stream;
  uint8_t type, flags;
};
struct h2_header h2_frame_header_read(const unsigned char *in);

/* 32-bit big-endian, as every field of a frame's payload. */
static inline uint32_t h2_u32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void h2_put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* "HEADERS", ...; "type=0x0a" style for an unknown type is the caller's (returns NULL). */
const char *h2_type_name(uint8_t type);

/* The error code's name ("NO_ERROR", "REFUSED_STREAM", RFC 9113 7), or NULL when it has none. */
const char *h2_error_name(uint32_t code);
/* The code of a name of RFC 9113 7; -1 for another word. */
int64_t h2_error_parse(const char *name);

/* The identifier of a setting's name in lower case ("initial_window_size"), or -1. */
int h2_setting_parse(const char *name);
const char *h2_setting_name(uint16_t id); /* "INITIAL_WINDOW_SIZE", or NULL */

/* A line for the connection's events: "HEADERS stream=1 flags=END_STREAM|END_HEADERS",
 * "RST_STREAM stream=1 code=INTERNAL_ERROR", "GOAWAY last_stream_id=0 code=NO_ERROR",
 * "SETTINGS flags=ACK", "SETTINGS INITIAL_WINDOW_SIZE=0", "WINDOW_UPDATE stream=0
 * increment=10", ... from the header and as much of the payload as was given. Returns the
 * length written (always NUL-terminated, cut at cap - 1). */
size_t h2_frame_describe(const struct h2_header *h, const unsigned char *payload, size_t len, char *out, size_t cap);

#endif
