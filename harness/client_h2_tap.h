/* client_h2_tap.h: what the proxy really sent on an h2c connection, frame by frame.
 *
 * libcurl reports a stream that did not end well by one error code, whoever reset it: a
 * RST_STREAM the proxy sent, or the one its own HTTP/2 library sent on finding the stream
 * malformed (RFC 9113 8.1.1: END_STREAM before Content-Length's bytes came), both read "HTTP/2
 * stream 1 was not closed cleanly: PROTOCOL_ERROR (err 1)"; and a RST_STREAM NO_ERROR from the
 * proxy reads as a clean end that came short ("transfer closed with 90 bytes remaining").
 * The tap sits between curl and the proxy on loopback: it relays the bytes both ways as they
 * come (a FIN as a FIN, a reset as a reset) and reads the frame headers (RFC 9113 4.1) of what
 * the proxy sends: RST_STREAM, DATA and END_STREAM on the request's stream, GOAWAY; and it
 * decodes the header blocks (HPACK, RFC 7541, by libnghttp2's inflater) for the response's
 * :status and content-length.
 *
 * h2c only: inside TLS the frames cannot be read from outside curl. */
#ifndef BADUP_CLIENT_H2_TAP_H
#define BADUP_CLIENT_H2_TAP_H

#include <stdbool.h>
#include <stddef.h>

/* What the proxy sent on stream 1 (the only request of the connection) and on the connection. */
struct h2_tap_seen {
  bool rst;                  /* RST_STREAM on stream 1 ... */
  unsigned long rst_code;    /* ... with this error code (RFC 9113 7) */
  bool end_stream;           /* a HEADERS or DATA frame on stream 1 with END_STREAM */
  bool goaway;               /* GOAWAY ... */
  unsigned long goaway_code; /* ... with this error code */
  int status;                /* the :status of the first final (non-1xx) response on stream 1,
                                HPACK-decoded from its HEADERS; 0 when none came (curl may
                                not hand over a head whose stream broke before it did) */
  size_t status_at;          /* where its HEADERS ended (an offset as below) */
  char first_status[8];      /* the first :status on stream 1 as sent ("200", "103", "009"), "" none */
  long content_length;       /* the final response's content-length field, -1 when none */
  size_t data_bytes;         /* DATA payload on stream 1, less padding */
  /* Where in the proxy's bytes (an offset, from 1; 0: never) the stream first went wrong:
   * its RST_STREAM, an END_STREAM with fewer DATA bytes than content-length, more DATA bytes
   * than content-length (RFC 9113 8.1.1: malformed). curl resets a malformed stream itself
   * at once, so a RST_STREAM of the proxy's that comes after it is not what ended the
   * exchange, and whether it reached the tap before curl stopped would be a race. */
  size_t rst_at, short_end_at, overflow_at;
  size_t bad_field_at;       /* ... or a field that breaks 8.2.1: a name with an uppercase
                                letter, a value with NUL, CR or LF or blank at either end */
  char bad_field[48];        /* which, and why (cut short) */
  bool not_frames;           /* the proxy's first bytes were no SETTINGS frame (an HTTP/1 reply) */
  size_t bytes;              /* bytes the proxy sent */
};

struct h2_tap;

/* Connects to host:port (numeric, loopback) now, and listens on 127.0.0.1 with a port from
 * the kernel, written into *tap_port, for one connection, which a thread relays until
 * h2_tap_finish. NULL when the proxy cannot be connected to (the caller then lets curl connect
 * to it itself, so that its error is the outcome) or the tap cannot be set up. timeout_s
 * bounds the wait for the client's connection. */
struct h2_tap *h2_tap_start(const char *host, int port, double timeout_s, int *tap_port);

/* Ends the relay (both connections closed), waits for its thread, writes what it saw into
 * *seen and frees the tap. */
void h2_tap_finish(struct h2_tap *t, struct h2_tap_seen *seen);

#endif
