/* h2_conn.h: a connection's HTTP/2 (RFC 9113), between its transport and its plans.
 *
 * Reads the client's preface and frames, decodes header blocks (HPACK, libnghttp2's
 * inflater), turns each stream into a request of the same shape as HTTP/1's (struct
 * request: :method, :path as the target, :authority as a host field, the other fields, the
 * DATA as body) and queues it for conn.c, which runs one plan at a time: streams that come
 * while a plan runs wait their turn, in the order they became ready.
 *
 * What it sends of its own, and nothing else (a scenario's frames are its steps'):
 *   - its SETTINGS once the client preface came (scenario http2.settings; none with
 *     settings = false);
 *   - a SETTINGS ACK for each SETTINGS of the client's (RFC 9113 6.5.3; not with settings =
 *     false), a PING ACK for each PING (6.7);
 *   - WINDOW_UPDATE for the connection and the stream as request DATA is read (6.9), so a
 *     body of any size comes in; never for a window the scenario set to 0 and never moved;
 *   - RST_STREAM(REFUSED_STREAM) for a stream past 100 waiting ones (8.7);
 *   - GOAWAY(PROTOCOL_ERROR, FRAME_SIZE_ERROR or COMPRESSION_ERROR) when the client breaks the
 *     framing (bytes that are no preface, a frame over 16384 bytes, a header block that does
 *     not decode), then the connection ends with a FIN.
 * Loop thread only. It never changes the connection's state: it sets the flags below, which
 * conn.c reads once the input has been taken in (parsing and plans never nest). */
#ifndef BADUP_H2_CONN_H
#define BADUP_H2_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct plan;
struct step;
struct scenario_http2;

struct h2_conn;

/* For conn.c, after h2_conn_input. */
struct h2_flags {
  bool preface_plan; /* the client preface (or bytes that cannot be one) came and the
                        scenario's http2.preface steps answer it: run them */
  bool fatal;        /* a connection error: our GOAWAY is queued; end with a FIN */
  uint32_t reset;    /* the client reset this stream (RST_STREAM), or 0 */
};

/* A connection's HTTP/2 for a scenario's http2 (kept, not copied); NULL when out of memory. */
struct h2_conn *h2_conn_new(const struct scenario_http2 *cfg);

/* Lets everything go: requests still waiting are recorded as incomplete (received_body). */
void h2_conn_free(struct conn *c);

/* Takes in bytes the transport read, writes the acknowledgements they call for, and says
 * what conn.c has to do (the flags are cleared by the next call). */
struct h2_flags h2_conn_input(struct conn *c, const char *data, size_t len);

/* The next stream whose plan may start (its END_STREAM came; or its header section did, for
 * a plan that starts at rxhdrs()): its request becomes c->req, its scenario c->scn, its id
 * c->stream. Returns false when none is ready. */
bool h2_conn_next_request(struct conn *c);

/* Sends a frame step's frames (their bytes belong to `owner`), the request's stream id put in
 * where the step names none, and logs each frame. Works on an HTTP/1 connection too (stream 0
 * then). Returns 0 or a negative libuv error, as transport_write. */
int h2_conn_send_step(struct conn *c, const struct step *s, struct plan *owner);

#endif
