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

/* Takes in bytes the transport read, queues the acknowledgements they call for (written by
 * h2_conn_flush), and says what conn.c has to do (the flags are cleared by the next call). */
struct h2_flags h2_conn_input(struct conn *c, const char *data, size_t len);

/* The next stream whose plan may start (its END_STREAM came; or its header section did, for
 * a plan that starts at rxhdrs()): its request becomes c->req, its scenario c->scn, its id
 * c->stream. Returns false when none is ready. */
bool h2_conn_next_request(struct conn *c);

/* Queues a frame step's frames, the request's stream id put in where the step names none.
 * They go out with the next h2_conn_flush, in one write with everything queued before: the
 * frames of a batch of streams answered from one read cost one system call, as a server's
 * HTTP/2 library sends them (nghttpd, h2o). On an HTTP/1 connection (a plan function's frames)
 * they are written at once, on stream 0. Returns 0 or UV_ENOMEM. */
int h2_conn_send_step(struct conn *c, const struct step *s);

/* Writes what is queued, logging each frame (h2_frame_out); 0 when nothing is. Returns 0 or
 * a negative libuv error, as transport_write. conn.c flushes before every step that is no
 * frame (a raw write, a wait, an ending), at a plan's end, and at the end of each input's
 * batch. */
int h2_conn_flush(struct conn *c);

/* While the input of one read is taken in and the plans it made ready run, a plan's end
 * does not flush: h2_read flushes once after them. */
void h2_conn_batch(struct conn *c, bool on);
bool h2_conn_batching(const struct conn *c);

#endif
