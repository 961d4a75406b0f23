/* client_transcript.h: the bytes a client sent to the proxy and received from it, per
 * connection, for the case folder (client-sent.txt, client-received.txt).
 *
 * Each file holds the bytes as they went over the wire, with a "--- connection N ---" line
 * before those of connection N (N from 1), and is cut at CLIENT_TRANSCRIPT_MAX bytes with a
 * last line saying how many more there were. The scripted client (client_script.h) keeps
 * what its sockets carried; curl's GET (client.h) what curl hands its debug callback. */
#ifndef BADUP_CLIENT_TRANSCRIPT_H
#define BADUP_CLIENT_TRANSCRIPT_H

#include <stddef.h>

#include "buf.h"

#define CLIENT_TRANSCRIPT_MAX (64u * 1024u)

struct client_transcript {
  struct buf sent, received;
  size_t sent_cut, received_cut; /* bytes not kept */
  int sent_conn, received_conn;  /* the connection of the last bytes kept, 0: none yet */
};

/* Keeps n bytes sent (or received) on connection conn (1-based): a separator line first
 * when they are another connection's than the last ones. */
void client_transcript_sent(struct client_transcript *t, int conn, const char *p, size_t n);
void client_transcript_received(struct client_transcript *t, int conn, const char *p, size_t n);

/* Writes client-sent.txt and client-received.txt into dir, each with a last line saying how
 * many bytes were cut when some were. Returns 0 or -errno. */
int client_transcript_write(const struct client_transcript *t, const char *dir);
void client_transcript_free(struct client_transcript *t);

#endif
