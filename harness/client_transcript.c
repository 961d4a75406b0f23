/* client_transcript.c: a client's bytes, per connection, for the case folder. */
#include "client_transcript.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"

static void keep(struct buf *b, size_t *cut, int *last_conn, int conn, const char *p, size_t n) {
  if (*last_conn != conn) {
    if (b->len < CLIENT_TRANSCRIPT_MAX) buf_printf(b, "%s--- connection %d ---\n", b->len ? "\n" : "", conn);
    *last_conn = conn;
  }
  size_t room = b->len < CLIENT_TRANSCRIPT_MAX ? CLIENT_TRANSCRIPT_MAX - b->len : 0, take = n < room ? n : room;
  buf_append(b, p, take);
  *cut += n - take;
}

void client_transcript_sent(struct client_transcript *t, int conn, const char *p, size_t n) {
  keep(&t->sent, &t->sent_cut, &t->sent_conn, conn, p, n);
}

void client_transcript_received(struct client_transcript *t, int conn, const char *p, size_t n) {
  keep(&t->received, &t->received_cut, &t->received_conn, conn, p, n);
}

static int write_one(const struct buf *b, size_t cut, const char *dir, const char *name) {
  struct buf text = {0};
  buf_append(&text, b->data ? b->data : "", b->len);
  if (cut) buf_printf(&text, "\n--- %zu more bytes not kept (the file keeps the first %u) ---\n", cut, CLIENT_TRANSCRIPT_MAX);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int rc = text.oom ? -ENOMEM : fileio_write_atomic(path, text.data ? text.data : "", text.len);
  buf_free(&text);
  return rc < 0 ? rc : 0;
}

int client_transcript_write(const struct client_transcript *t, const char *dir) {
  int rc = write_one(&t->sent, t->sent_cut, dir, "client-sent.txt");
  int rc2 = write_one(&t->received, t->received_cut, dir, "client-received.txt");
  return rc ? rc : rc2;
}

void client_transcript_free(struct client_transcript *t) {
  buf_free(&t->sent);
  buf_free(&t->received);
  memset(t, 0, sizeof *t);
}
