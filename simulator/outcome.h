/* outcome.h: the words that say what the client of a proxy saw.
 *
 * One vocabulary for both of the harness's clients (libcurl, and the raw socket that sends
 * a scenario's client_request) and for the `expect` of a scenario, so that the same bytes
 * from the proxy give the same word whichever client read them, and a scenario can only
 * expect a word a client can report. It lives in the simulator library, the lower layer,
 * because scenario{} validates `expect` at load and the harness links the simulator.
 *
 * An outcome is two things: what came first (the status of a final response, bytes with no
 * status line, or nothing) and how the exchange ended. A final response is any non-1xx
 * one (RFC 9110 15.2: a 1xx is never the answer). Framing follows RFC 9112 6.3.
 *
 *   502             a complete final response with that status
 *   200+truncated   the final status came, then a FIN before the message's end
 *   200+reset       the final status came, then ECONNRESET before the message's end
 *   200+invalid     the final status came, then bytes that do not parse
 *   200+timeout     the final status came, the message did not end in time
 *   200+aborted     the final status came, then the client itself reset the connection
 *                   (a client part's abort = { how = "reset" }) before the message's end
 *   closed | reset | timeout | invalid | aborted | refused | error   no final status came
 *   tls             the client's TLS handshake with the proxy failed (--client-tls: an
 *                   alert, a certificate that does not verify, a connection that ended
 *                   inside the handshake); the error text says which
 *   http09, http09+reset, http09+timeout   bytes with no status line (HTTP/0.9 style)
 * Over HTTP/2 to the proxy (badup run --client-http2) a stream ends by a frame, not a FIN:
 *   200+rst(INTERNAL_ERROR)   the final status came, then RST_STREAM with that error code
 *                             (RFC 9113 7's name) before END_STREAM: HTTP/2's truncation
 *   rst(REFUSED_STREAM)       RST_STREAM before any final status
 *   200+goaway(NO_ERROR), goaway(...)   a GOAWAY that left the stream unfinished
 * An expect of "NNN+truncated" is met by "NNN+rst(any code)" (outcome_meets).
 */
#ifndef BADUP_OUTCOME_H
#define BADUP_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

/* How an exchange ended. `alone`: the word when no final status came; `suffix`: the word
 * after "NNN+" (NULL: this end never follows a status, the word alone is reported). The
 * last two columns say which of the two a scenario may `expect`: a proxy can be asked to
 * answer 502 or to cut a body short, never to be unreachable (refused) or to make the
 * client fail in some other way (error). */
#define BADUP_OUTCOME_ENDS(X)                                            \
  /* id        alone      suffix        expect alone  expect suffix */   \
  X(COMPLETE,  NULL,      NULL,         false,        false)             \
  X(FIN,       "closed",  "truncated",  true,         true)              \
  X(RESET,     "reset",   "reset",      true,         true)              \
  X(INVALID,   "invalid", "invalid",    true,         true)              \
  X(TIMEOUT,   "timeout", "timeout",    true,         true)              \
  X(ABORTED,   "aborted", "aborted",    true,         true)              \
  X(REFUSED,   "refused", NULL,         false,        false)             \
  X(TLS,       "tls",     NULL,         false,        false)             \
  X(RST,       "rst",     "rst",        false,        false)             \
  X(GOAWAY,    "goaway",  "goaway",     false,        false)             \
  X(ERROR,     "error",   NULL,         false,        false)

enum outcome_end {
#define BADUP_OUTCOME_ENUM(id, alone, suffix, ea, es) OUTCOME_##id,
  BADUP_OUTCOME_ENDS(BADUP_OUTCOME_ENUM)
#undef BADUP_OUTCOME_ENUM
  OUTCOME_ENDS_COUNT
};

/* The word for bytes with no status line, as curl passes them with CURLOPT_HTTP09_ALLOWED. */
#define OUTCOME_HTTP09_WORD "http09"
/* The `status` argument of outcome_format when HTTP/0.9 bytes came instead of a response. */
#define OUTCOME_HTTP09 (-1)

/* Longest word plus its NUL ("999+truncated", "http09+timeout"), with room to spare. */
#define OUTCOME_MAX 32

/* Writes the outcome into out: `status` is the final response's status (100..999) when
 * its status line arrived, 0 when none did, OUTCOME_HTTP09 when bytes with no status line
 * came instead; `end` is how the exchange ended (OUTCOME_COMPLETE: the message was
 * complete; for HTTP/0.9 bytes, a FIN is their end). Returns 0, or -EINVAL for a status out
 * of range or COMPLETE with no status (out then says "error"); -ENOSPC when size is too
 * small (out holds what fitted). */
int outcome_format(char *out, size_t size, int status, enum outcome_end end);

/* outcome_format for an HTTP/2 stream that ended by a frame (end OUTCOME_RST, OUTCOME_GOAWAY):
 * the word, then the error code's name in parentheses, "200+rst(INTERNAL_ERROR)", "rst(CANCEL)",
 * a code RFC 9113 does not name in hex ("rst(0x1f)"). Other ends: outcome_format's word alone.
 * Returns as outcome_format does. */
int outcome_format_h2(char *out, size_t size, int status, enum outcome_end end, unsigned long code);

/* The name RFC 9113 7 gives an HTTP/2 error code ("NO_ERROR" ... "HTTP_1_1_REQUIRED"), or NULL. */
const char *outcome_h2_error_name(unsigned long code);

/* Does the outcome `got` meet the expected word `expect`? The same word; or, over HTTP/2,
 * "NNN+rst(CODE)" for an expected "NNN+truncated" (the stream reset is how HTTP/2 cuts a
 * body short, RFC 9113 8.1: a message whose stream ends without END_STREAM is incomplete). */
bool outcome_meets(const char *got, const char *expect);

/* May a scenario expect this? A status 100..999 alone or followed by "+truncated", "+reset",
 * "+invalid", "+timeout"; "closed", "reset", "timeout", "invalid". Exact, case-sensitive. */
bool outcome_expect_valid(const char *expect);

/* Writes the list of what outcome_expect_valid accepts, for error messages:
 * "a status (100-999), \"NNN+truncated\", ..., \"timeout\" or \"invalid\"". Returns 0, or
 * -ENOSPC when size is too small (out holds what fitted). */
int outcome_expect_describe(char *out, size_t size);

#endif
