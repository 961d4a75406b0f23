/* h2_vocabulary.h: the Lua side of HTTP/2 (RFC 9113): a scenario's `http2` and the frame steps.
 *
 *   http2 = true                    -- h2c with prior knowledge (RFC 9113 3.3), or h2 inside
 *                                   -- TLS when tls.alpn offers "h2"; SETTINGS
 *                                   -- MAX_CONCURRENT_STREAMS=100 once the client preface came
 *   http2 = {
 *     settings = { initial_window_size = 0, ... },  -- that SETTINGS frame instead
 *     settings = false,             -- no SETTINGS frame at all, not even an ACK
 *     preface  = { step, ... },     -- run once the client's 24 preface bytes have come (or
 *                                   -- bytes that cannot begin it), instead of HTTP/2; ends
 *                                   -- with close(), reset(), halfclose() or stall()
 *   }
 *
 * Frame steps (each sends its frames as they are; `stream` is 0 .. 2^31-1 and defaults to
 * the stream of the request the plan answers):
 *   settings{ NAME = value, ... }   -- RFC 9113 6.5.2's names in lower case:
 *                                   -- header_table_size, enable_push, max_concurrent_streams,
 *                                   -- initial_window_size, max_frame_size,
 *                                   -- max_header_list_size (values 0 .. 2^32-1, unchecked)
 *   settings{ ack = true }          -- an empty SETTINGS with ACK
 *   headers{ status = 200, headers = { {"name", "value"}, "name: value", name = value },
 *            end_stream = false, stream = N }
 *                                   -- HEADERS (+ CONTINUATION past 16384 bytes); :status
 *                                   -- first, then the fields as given: names are not
 *                                   -- lower-cased or checked (RFC 9113 8.2 makes uppercase
 *                                   -- and connection-specific fields malformed: a fault to
 *                                   -- send on purpose). status = false: no :status at all.
 *                                   -- HPACK without the dynamic table (RFC 7541 4.2: each
 *                                   -- block opens with a size update to 0)
 *   data(bytes [, { end_stream = true, stream = N }])
 *                                   -- DATA, split at 16384 bytes; END_STREAM on the last
 *                                   -- unless end_stream = false. The peer's flow-control
 *                                   -- window is not consulted: keep bodies under its
 *                                   -- window (65535 at first) or send them on purpose
 *   rst_stream(code [, { stream = N }])  -- code: a name of RFC 9113 7 ("REFUSED_STREAM") or
 *                                   -- a number
 *   goaway{ last_stream_id = N, code = "NO_ERROR", debug = "text" }
 *                                   -- last_stream_id defaults to the request's stream
 *   window_update{ increment = N, stream = 0 }   -- stream 0 (the connection) by default
 *   ping{ data = "8 bytes!", ack = false }
 *   frame{ type = N, flags = 0, stream = N, payload = "" }  -- any frame, as given
 * Errors are raised at the caller's line. */
#ifndef BADUP_H2_VOCABULARY_H
#define BADUP_H2_VOCABULARY_H

#include <stdbool.h>

#include <lua.h>

#include "buf.h"
#include "scenario.h"

int ctor_h2_settings(lua_State *L);
int ctor_h2_headers(lua_State *L);
int ctor_h2_data(lua_State *L);
int ctor_h2_rst_stream(lua_State *L);
int ctor_h2_goaway(lua_State *L);
int ctor_h2_window_update(lua_State *L);
int ctor_h2_ping(lua_State *L);
int ctor_h2_frame(lua_State *L);

/* Is op one of the frame steps above? */
bool h2_step_is_frame(enum step_op op);

/* Checks the http2 value at idx (true or a table), as scenario{} does for every field. Raises. */
void h2_table_check(lua_State *L, int idx);

/* Does the scenario table at idx have http2.preface steps? (Then its plan may be left out.) */
bool h2_has_preface(lua_State *L, int idx);

/* Raises when the plan at idx (a list of steps) holds a frame step and the scenario has no
 * http2: its frames would go into an HTTP/1 exchange. */
void h2_plan_check(lua_State *L, int idx, bool has_http2);

/* The checked http2 value at idx, compiled; NULL with *err ("path:line: ...") when out of
 * memory or when its preface steps do not compile. */
struct scenario_http2 *scenario_http2_from_lua(lua_State *L, int idx, const char *path, struct buf *err);

void scenario_http2_free(struct scenario_http2 *h);

#endif
