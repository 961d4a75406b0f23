/* client.h: what the proxy's client sees, through libcurl.
 *
 * One request, and its outcome in the words of outcome.h (the same words as the raw client
 * of rawclient.h): a status ("502"), a status followed by a broken message
 * ("200+truncated": FIN, "200+reset", "200+invalid", "200+timeout"), or what happened
 * instead of a final response: "closed", "reset", "timeout", "refused", "invalid", "http09"
 * (bytes with no status line), "error". A 1xx is never the final response: "103" then a FIN
 * is "closed". */
#ifndef BADUP_CLIENT_H
#define BADUP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "client_transcript.h"
#include "outcome.h"
#include "seen.h"

/* What a client saw. Everything is zero/empty when nothing was received. */
struct client_result {
  char outcome[OUTCOME_MAX]; /* the word, outcome_format's */
  enum outcome_end end;      /* how the exchange ended (OUTCOME_COMPLETE: it did not break) */
  int status;                /* the final (non-1xx) response's status; 0 when none came */
  bool final_head;           /* that response's header section was complete */
  int interim;               /* 1xx responses received before it */
  size_t body_bytes;         /* its body bytes (decoded from chunks); HTTP/0.9 bytes too */
  double total_s;            /* from start to the end of the exchange */
  double first_byte_s;       /* 0 when none */
  int curl_code;             /* libcurl's CURLcode; 0 for the raw client */
  char error[256];           /* "" when complete; else what the client said, e.g.
                                "curl: (52) Empty reply from server" */
  char headers[2048];        /* the response heads as received, 1xx included (cut short) */
  int http_version;          /* the version curl spoke with the server: 10, 11, 20 (CURLINFO_HTTP_VERSION);
                                0 when none was agreed */
  char h2_mismatch[160];     /* client_get_seen with http2: why the exchange was not HTTP/2
                                (an ALPN that chose http/1.1); "" when it was, or did not get that far */
};

/* Process-wide set-up and teardown of libcurl (call from main, single-threaded). */
int client_global_init(void);
void client_global_cleanup(void);

/* GET url with an overall timeout, through the forward proxy on 127.0.0.1:proxy_port
 * when proxy_port > 0. on_final_head (NULL: none) is called once, on this thread, when the
 * header section of the final response is complete and before its body is read; arg is
 * passed to it. Returns 0 (the outcome is in *r). */
int client_get(const char *url, double timeout_s, struct client_result *r, int proxy_port,
               void (*on_final_head)(void *), void *arg);

/* Which HTTP curl speaks to the server (client_get_seen). */
enum client_http {
  CLIENT_HTTP1, /* HTTP/1.1, over TLS too (ALPN offers http/1.1 alone) */
  CLIENT_HTTP2, /* HTTP/2: h2c with prior knowledge (RFC 9113 3.3) on http://, ALPN on
                   https:// (3.2; h2 and http/1.1 offered), where a server that chooses
                   http/1.1 is not HTTP/2: r->h2_mismatch says so. A stream that ends by
                   RST_STREAM is the outcome rst(CODE) (after a status: NNN+rst(CODE)); a
                   GOAWAY that leaves it unfinished, goaway(CODE) (outcome.h) */
};

/* client_get, and what came in *seen too (zeroed first; NULL: not kept; the caller frees it
 * with seen_free): the final response's status line, header fields (as curl hands them
 * over), content (decoded from chunks, kept up to SEEN_BODY_CAP) and the 1xx before it.
 * Request 0 on connection 0; last_conn is not watched. With transcript (NULL: not kept),
 * the bytes as curl hands them to its debug callback (CURLOPT_DEBUGFUNCTION): the request
 * it wrote, the response's header lines and body bytes as it read them, as connection 1.
 * cainfo (NULL: none): the CA file an https:// URL's server (or, with proxy_port, the
 * proxy, then reached as https://localhost:PORT) is verified against, peer and name; a
 * failed handshake or verification is the outcome "tls". http: which HTTP it speaks. */
int client_get_seen(const char *url, double timeout_s, struct client_result *r, int proxy_port,
                    void (*on_final_head)(void *), void *arg, struct seen *seen, struct client_transcript *transcript,
                    const char *cainfo, enum client_http http);

/* GET a small document (the simulator's control API); NUL-terminated, caller frees.
 * Returns NULL on any failure. */
char *client_fetch(const char *url, double timeout_s, long *status);

#endif
