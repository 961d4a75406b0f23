/* seen.h: everything the harness's client saw of a case's exchange, response by response.
 *
 * Both clients fill it (client.c for curl's GET, the scripted client for a scenario's client
 * part and for client_request bytes), so the assertions of a scenario's `expect` (RFC 9110
 * 15 status and reason, 6.3 header fields, 6.4 content; RFC 9112 6.3 framing, 9.6 closing)
 * read the same shapes whichever client ran. Everything is owned by the struct seen and
 * freed by seen_free. */
#ifndef BADUP_SEEN_H
#define BADUP_SEEN_H

#include <stdbool.h>
#include <stddef.h>

/* A response body is kept up to this many bytes (decoded from chunks); body_bytes counts
 * all of them. */
#define SEEN_BODY_CAP (1u << 20)
/* 1xx responses kept before one final response. */
#define SEEN_MAX_INTERIM 8

/* One header field line, as received: name and value without the colon, the optional
 * whitespace around the value removed (RFC 9110 5.5). */
struct seen_field {
  char *name, *value;
};

/* One final (non-1xx) response, or the start of one. */
struct seen_response {
  int request;               /* the index (0-based) of the client request it answers */
  int connection;            /* the index (0-based) of the client connection it came on */
  char version[16];          /* "HTTP/1.1", as in the status line */
  int status;                /* 200..999 */
  char *reason;              /* the reason phrase as received, "" when none */
  struct seen_field *fields; /* the header section, in order */
  size_t nfields;
  char *body;                /* the first SEEN_BODY_CAP bytes of its content (chunks decoded) */
  size_t body_kept, body_bytes;
  bool head_complete;        /* its header section ended */
  bool complete;             /* its message ended as framed (RFC 9112 6.3) */
  int interim[SEEN_MAX_INTERIM]; /* the statuses of the 1xx responses received before it */
  int ninterim;
  double head_s;             /* since the exchange began: when its header section ended */
};

/* How the proxy left the client's last connection once the last response ended (or the
 * exchange stopped). */
enum seen_conn {
  SEEN_CONN_UNKNOWN = 0, /* the client did not wait to see, gave up waiting for the
                            response (timeout), or ended it itself */
  SEEN_CONN_KEPT,        /* still open after the wait: the proxy kept it */
  SEEN_CONN_CLOSED,      /* FIN from the proxy */
  SEEN_CONN_RESET,       /* RST from the proxy */
};

struct seen {
  struct seen_response *responses; /* final responses in arrival order */
  size_t nresponses;
  /* Client requests whose head (request line and header section, RFC 9112 3, 5) was
   * written completely, whether or not all of their body followed (an early response, or
   * send_body_bytes). Raw bytes are all head: they count once all are written, as the
   * requests a proxy parses in them. curl's GET: 1 once curl sent a byte. */
  int requests_sent;
  int connections;                 /* client connections opened */
  enum seen_conn last_conn;
  /* The 1xx statuses that came after the last final response of the last request (or with
   * no final response at all), in order: a proxy that forwards a 103 and then closes leaves
   * them here, not in any seen_response. Cleared when a final response comes. */
  int pending_interim[SEEN_MAX_INTERIM];
  int npending;
  double total_s;                  /* the exchange's duration */
};

/* A header field of r by name (ASCII case-insensitive, RFC 9110 5.1): the value of the
 * first, or NULL; *count (may be NULL) gets how many fields have that name. */
const char *seen_field(const struct seen_response *r, const char *name, size_t *count);

/* The last final response, or NULL when none came. */
const struct seen_response *seen_last(const struct seen *s);

/* Appends a response (zeroed, request/connection set); NULL when out of memory. */
struct seen_response *seen_add_response(struct seen *s, int request, int connection);
/* Appends a header field to r; -1 when out of memory. */
int seen_add_field(struct seen_response *r, const char *name, size_t nlen, const char *value, size_t vlen);
/* Appends body bytes to r (kept up to SEEN_BODY_CAP, all counted); -1 when out of memory. */
int seen_add_body(struct seen_response *r, const char *p, size_t n);

/* The 1xx statuses received since the last final response: seen.pending_interim. */
void seen_set_pending(struct seen *s, const int *interim, int n);

void seen_free(struct seen *s);

#endif
