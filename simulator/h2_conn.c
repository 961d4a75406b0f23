/* h2_conn.c: a connection's HTTP/2: the client's preface and frames in, acknowledgements out,
 * streams turned into requests (h2_conn.h). */
#include "h2_conn.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "conn.h"
#include "h2_frame.h"

#define MAX_WAITING 100         /* streams waiting for their plan; more are refused */
#define MAX_HEADER_BLOCK (256u << 10) /* a header block's bytes across its CONTINUATIONs */
/* Its fields once decoded, counted as RFC 9113 6.5.2 counts a header list (name, value and
 * 32 each). HPACK lets one byte name a 4 KiB entry of the dynamic table, so a block within
 * MAX_HEADER_BLOCK could decode to a GiB; HTTP/1 heads stop at about 80 KB. */
#define MAX_HEADER_LIST (256u << 10)
#define COMPRESSION_ERROR 9
#define ENHANCE_YOUR_CALM 11

/* A request on its stream, from its HEADERS until its plan has run. */
struct h2_stream {
  struct h2_stream *next;
  uint32_t id;
  struct request *req;
  struct scenario *scn;
  uint64_t received_id; /* its GET /requests record until its END_STREAM, or 0 */
  bool ended;           /* END_STREAM came */
  bool ready;           /* its plan may start */
};

struct h2_conn {
  const struct scenario_http2 *cfg;
  nghttp2_hd_inflater *inflater;
  enum { WANT_PREFACE, FRAMES, DONE } phase;
  uint8_t preface_got;
  uint8_t hdr_got;
  unsigned char hdr[H2_FRAME_HEADER];
  struct h2_header cur;        /* the frame being read, once its header is in */
  struct buf payload;          /* its payload so far */
  struct buf block;            /* a header block across HEADERS and CONTINUATION */
  struct h2_header block_head; /* the HEADERS that opened it */
  bool in_block;
  struct h2_stream *waiting;   /* in arrival order */
  size_t nwaiting;
  struct h2_stream *current;   /* the stream whose plan runs (its request is c->req) */
  uint32_t last_stream;        /* the highest stream the client opened */
  struct buf out;              /* frames not written yet: acknowledgements and steps' */
  bool batching;               /* the input is being taken in: flushed once at its end */
  struct h2_flags flags;
};

struct h2_conn *h2_conn_new(const struct scenario_http2 *cfg) {
  struct h2_conn *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->cfg = cfg;
  if (nghttp2_hd_inflate_new(&h->inflater) != 0) {
    free(h);
    return NULL;
  }
  return h;
}

static void stream_free(struct conn *c, struct h2_stream *s, bool owns_req) {
  if (s->received_id && s->req) received_body(&c->srv->received, s->received_id, s->req, false);
  if (owns_req && s->req) {
    request_free(s->req);
    free(s->req);
  }
  free(s);
}

void h2_conn_free(struct conn *c) {
  struct h2_conn *h = c->h2;
  if (!h) return;
  for (struct h2_stream *s = h->waiting, *next; s; s = next) {
    next = s->next;
    stream_free(c, s, true);
  }
  if (h->current) stream_free(c, h->current, false); /* its request is c->req: the connection's */
  nghttp2_hd_inflate_del(h->inflater);
  buf_free(&h->payload);
  buf_free(&h->block);
  buf_free(&h->out);
  free(h);
  c->h2 = NULL;
}

/* ---- writing -------------------------------------------------------------------------------- */

static void log_frames(struct conn *c, enum event_kind kind, const unsigned char *p, size_t len) {
  while (len >= H2_FRAME_HEADER && c->rec.nevents < EVENTS_PER_CONN) {
    struct h2_header fh = h2_frame_header_read(p);
    size_t plen = fh.length < len - H2_FRAME_HEADER ? fh.length : len - H2_FRAME_HEADER;
    char line[64];
    size_t n = h2_frame_describe(&fh, p + H2_FRAME_HEADER, plen, line, sizeof line);
    conn_event(c, kind, line, n);
    p += H2_FRAME_HEADER + plen, len -= H2_FRAME_HEADER + plen;
  }
}

/* Writes a copy of len bytes: a plan holds them (one SEND step), as every write's bytes must
 * belong to a plan or be static until the write completes. */
static int write_copy(struct conn *c, const void *p, size_t len) {
  struct step st = {.op = STEP_SEND, .seconds = STEP_FOREVER, .len = len, .bytes = p};
  const struct step *steps[] = {&st};
  struct plan *holder = plan_build(steps, 1, 1);
  if (!holder) return UV_ENOMEM;
  int rc = transport_write(c->tp, holder->steps[0].bytes, len, holder);
  plan_unref(holder);
  return rc;
}

static void queue_frame(struct h2_conn *h, uint8_t type, uint8_t flags, uint32_t stream, const void *payload,
                        size_t len) {
  unsigned char hdr[H2_FRAME_HEADER];
  h2_frame_header(hdr, (uint32_t)len, type, flags, stream);
  buf_append(&h->out, (const char *)hdr, sizeof hdr);
  if (len) buf_append(&h->out, payload, len);
}

static void connection_error(struct h2_conn *h, uint32_t code, const char *why) {
  unsigned char p[8 + 64];
  size_t n = strlen(why) < 64 ? strlen(why) : 64;
  h2_put_u32(p, h->last_stream);
  h2_put_u32(p + 4, code);
  memcpy(p + 8, why, n);
  queue_frame(h, H2_GOAWAY, 0, 0, p, 8 + n);
  h->flags.fatal = true;
  h->phase = DONE;
}

/* The request's stream id into each frame header of a step's copy (GOAWAY: its
 * last_stream_id). */
static void put_stream(const struct conn *c, const struct step *s, unsigned char *p) {
  if (s->op == STEP_H2_GOAWAY) {
    if (s->len >= H2_FRAME_HEADER + 4) h2_put_u32(p + H2_FRAME_HEADER, c->stream & H2_STREAM_MAX);
    return;
  }
  for (size_t at = 0; at + H2_FRAME_HEADER <= s->len;) {
    struct h2_header fh = h2_frame_header_read(p + at);
    h2_put_u32(p + at + 5, c->stream & H2_STREAM_MAX);
    at += H2_FRAME_HEADER + fh.length;
  }
}

int h2_conn_send_step(struct conn *c, const struct step *s) {
  struct h2_conn *h = c->h2;
  if (!h) { /* an HTTP/1 connection (a plan function's frames): written at once */
    unsigned char *copy = malloc(s->len ? s->len : 1);
    if (!copy) return UV_ENOMEM;
    memcpy(copy, s->bytes, s->len);
    if (s->stream == H2_STREAM_CURRENT) put_stream(c, s, copy);
    log_frames(c, EV_H2_FRAME_OUT, copy, s->len);
    int rc = write_copy(c, copy, s->len);
    free(copy);
    return rc;
  }
  size_t at = h->out.len;
  buf_append(&h->out, s->bytes, s->len);
  if (h->out.oom) return UV_ENOMEM;
  if (s->stream == H2_STREAM_CURRENT) put_stream(c, s, (unsigned char *)h->out.data + at);
  return 0;
}

int h2_conn_flush(struct conn *c) {
  struct h2_conn *h = c->h2;
  if (!h || !h->out.len) return 0;
  if (h->out.oom) return UV_ENOMEM;
  log_frames(c, EV_H2_FRAME_OUT, (const unsigned char *)h->out.data, h->out.len);
  int rc = write_copy(c, h->out.data, h->out.len);
  buf_consume(&h->out, h->out.len);
  return rc;
}

void h2_conn_batch(struct conn *c, bool on) {
  if (c->h2) c->h2->batching = on;
}

bool h2_conn_batching(const struct conn *c) { return c->h2 && c->h2->batching; }

/* ---- streams -------------------------------------------------------------------------------- */

static struct h2_stream *find_stream(struct h2_conn *h, uint32_t id, struct h2_stream ***link) {
  for (struct h2_stream **l = &h->waiting; *l; l = &(*l)->next)
    if ((*l)->id == id) {
      if (link) *link = l;
      return *l;
    }
  if (link) *link = NULL;
  return h->current && h->current->id == id ? h->current : NULL;
}

static void stream_ended(struct conn *c, struct h2_stream *s) {
  s->ended = true;
  s->ready = true;
  if (s->received_id && s->req) received_body(&c->srv->received, s->received_id, s->req, true);
  s->received_id = 0;
}

/* One decoded field of a new stream's request. */
static void add_field(struct conn *c, struct h2_stream *s, const nghttp2_nv *nv, const char **method) {
  struct request *r = s->req;
  const char *name = (const char *)nv->name, *value = (const char *)nv->value;
  if (nv->namelen == 7 && memcmp(name, ":method", 7) == 0) {
    *method = value;
    return;
  }
  if (nv->namelen == 5 && memcmp(name, ":path", 5) == 0) {
    size_t n = nv->valuelen < sizeof c->url ? nv->valuelen : sizeof c->url;
    memcpy(c->url, value, n);
    c->url_len = (uint8_t)n;
    buf_append(&r->target, value, nv->valuelen);
    return;
  }
  if (nv->namelen && name[0] == ':') {
    /* :authority is HTTP/1's Host (RFC 9113 8.3.1); :scheme has no place in HTTP/1's shape. */
    if (nv->namelen != 10 || memcmp(name, ":authority", 10) != 0) return;
    name = "host";
    request_add_field(r, name, 4);
  } else {
    request_add_field(r, name, nv->namelen);
  }
  request_add_value(r, value, nv->valuelen);
}

/* Decodes a whole header block (every block, trailers too: HPACK's table is the
 * connection's), adding its fields to s's request unless s is NULL. Returns 0, or the code of
 * the connection error: COMPRESSION_ERROR when it does not decode, ENHANCE_YOUR_CALM when its
 * fields exceed MAX_HEADER_LIST (then the rest is not decoded: the connection ends). */
static uint32_t decode_block(struct conn *c, struct h2_stream *s, const char **method) {
  struct h2_conn *h = c->h2;
  /* An empty block's buffer may have no memory yet: a null pointer must not be moved, even
   * by 0 (C11 6.5.6). */
  const uint8_t *in = h->block.len ? (const uint8_t *)h->block.data : (const uint8_t *)"";
  size_t left = h->block.len;
  size_t list = 0;
  /* :method's value must outlive the inflater's next call: keep it here. */
  static char method_buf[24];
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t used = nghttp2_hd_inflate_hd2(h->inflater, &nv, &flags, in, left, 1);
    if (used < 0) return COMPRESSION_ERROR;
    in += used, left -= (size_t)used;
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      list += nv.namelen + nv.valuelen + 32;
      if (list > MAX_HEADER_LIST) return ENHANCE_YOUR_CALM;
    }
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) && s) {
      const char *m = NULL;
      add_field(c, s, &nv, &m);
      if (m) {
        size_t n = nv.valuelen < sizeof method_buf - 1 ? nv.valuelen : sizeof method_buf - 1;
        memcpy(method_buf, m, n);
        method_buf[n] = 0;
        *method = method_buf;
      }
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(h->inflater);
      return 0;
    }
    if (used == 0 && left == 0) return 0;
  }
}

/* The GOAWAY for decode_block's error. */
static void block_error(struct h2_conn *h, uint32_t code) {
  connection_error(h, code, code == ENHANCE_YOUR_CALM ? "header list too large" : "header block");
}

static void refuse(struct h2_conn *h, uint32_t id) {
  unsigned char p[4];
  h2_put_u32(p, 7 /* REFUSED_STREAM */);
  queue_frame(h, H2_RST_STREAM, 0, id, p, 4);
}

/* A header block is whole: a new stream's request head, or trailers. */
static void block_done(struct conn *c) {
  struct h2_conn *h = c->h2;
  h->in_block = false;
  uint32_t id = h->block_head.stream;
  bool end = h->block_head.flags & H2_FLAG_END_STREAM;
  struct h2_stream *s = find_stream(h, id, NULL);
  if (s || id == 0 || id % 2 == 0 || id <= h->last_stream || h->nwaiting >= MAX_WAITING) {
    /* Trailers, or a stream that cannot be opened: decoded all the same (HPACK's table). */
    uint32_t code = decode_block(c, NULL, NULL);
    if (code) block_error(h, code);
    else if (s && end) stream_ended(c, s);
    else if (!s && id && id % 2 && id > h->last_stream) h->last_stream = id, refuse(h, id);
    buf_consume(&h->block, h->block.len);
    return;
  }
  h->last_stream = id;
  s = calloc(1, sizeof *s);
  struct request *r = s ? calloc(1, sizeof *r) : NULL;
  if (!r) {
    free(s);
    decode_block(c, NULL, NULL);
    refuse(h, id);
    buf_consume(&h->block, h->block.len);
    return;
  }
  s->id = id;
  s->req = r;
  r->body_cap = c->srv->collect ? REQUEST_MAX_BODY : RECEIVED_BODY_KEPT;
  r->upstream = (uint8_t)(c->up + 1);
  c->url_len = 0;
  const char *method = "GET";
  uint32_t code = decode_block(c, s, &method);
  buf_consume(&h->block, h->block.len);
  if (code) {
    stream_free(c, s, true);
    block_error(h, code);
    return;
  }
  c->conn_seq++;
  s->scn = conn_request_head(c, r, method, 2, 0, &s->received_id);
  struct upstream_plan up = scenario_upstream(s->scn, c->up);
  s->ready = up.plan && up.plan->start == STEP_RXHDRS;
  if (end) stream_ended(c, s);
  struct h2_stream **l = &h->waiting;
  while (*l) l = &(*l)->next;
  *l = s;
  h->nwaiting++;
}

/* ---- frames --------------------------------------------------------------------------------- */

/* The payload without its padding (RFC 9113 6.1, 6.2) and, for HEADERS, its priority.
 * CONTINUATION defines neither flag: its bits are ignored (4.1), never read as PADDED. */
static bool strip(const struct h2_header *fh, const unsigned char **p, size_t *len) {
  size_t pad = 0;
  if ((fh->flags & H2_FLAG_PADDED) && fh->type != H2_CONTINUATION) {
    if (*len < 1) return false;
    pad = (*p)[0];
    (*p)++, (*len)--;
  }
  if (fh->type == H2_HEADERS && (fh->flags & H2_FLAG_PRIORITY)) {
    if (*len < 5) return false;
    (*p) += 5, (*len) -= 5;
  }
  if (pad > *len) return false;
  *len -= pad;
  return true;
}

static void frame_in(struct conn *c) {
  struct h2_conn *h = c->h2;
  const struct h2_header *fh = &h->cur;
  const unsigned char *p = (const unsigned char *)h->payload.data;
  size_t len = h->payload.len;
  if (c->rec.nevents < EVENTS_PER_CONN) {
    char line[64];
    size_t n = h2_frame_describe(fh, p, len, line, sizeof line);
    conn_event(c, EV_H2_FRAME_IN, line, n);
  }
  if (h->in_block && (fh->type != H2_CONTINUATION || fh->stream != h->block_head.stream)) {
    connection_error(h, 1 /* PROTOCOL_ERROR */, "header block interrupted");
    return;
  }
  switch (fh->type) {
  case H2_HEADERS:
  case H2_CONTINUATION:
    if (fh->type == H2_CONTINUATION && !h->in_block) {
      connection_error(h, 1, "CONTINUATION without HEADERS");
      return;
    }
    if (!strip(fh, &p, &len)) {
      connection_error(h, 1, "bad padding");
      return;
    }
    if (fh->type == H2_HEADERS) h->block_head = *fh, h->in_block = true;
    if (h->block.len + len > MAX_HEADER_BLOCK) {
      connection_error(h, 11 /* ENHANCE_YOUR_CALM */, "header block too large");
      return;
    }
    buf_append(&h->block, (const char *)p, len);
    if (fh->flags & H2_FLAG_END_HEADERS) block_done(c);
    return;
  case H2_DATA: {
    struct h2_stream *s = find_stream(h, fh->stream, NULL);
    uint32_t whole = fh->length;
    if (!strip(fh, &p, &len)) {
      connection_error(h, 1, "bad padding");
      return;
    }
    if (s && !s->ended) {
      if (len) request_add_body(s->req, (const char *)p, len);
      if (fh->flags & H2_FLAG_END_STREAM) stream_ended(c, s);
    }
    if (whole) {
      /* What was read is handed back at once: the body's size is the client's business. */
      unsigned char inc[4];
      h2_put_u32(inc, whole);
      queue_frame(h, H2_WINDOW_UPDATE, 0, 0, inc, 4);
      if (s && !s->ended && !h->cfg->window_closed) queue_frame(h, H2_WINDOW_UPDATE, 0, fh->stream, inc, 4);
    }
    return;
  }
  case H2_SETTINGS:
    if (!(fh->flags & H2_FLAG_ACK) && h->cfg->settings_len) queue_frame(h, H2_SETTINGS, H2_FLAG_ACK, 0, NULL, 0);
    return;
  case H2_PING:
    if (!(fh->flags & H2_FLAG_ACK) && len == 8) queue_frame(h, H2_PING, H2_FLAG_ACK, 0, p, 8);
    return;
  case H2_RST_STREAM: {
    struct h2_stream **link;
    struct h2_stream *s = find_stream(h, fh->stream, &link);
    if (s && link) { /* still waiting: it will never be answered */
      *link = s->next;
      h->nwaiting--;
      stream_free(c, s, true);
    } else if (s) {
      h->flags.reset = s->id;
    }
    return;
  }
  default: /* GOAWAY, WINDOW_UPDATE, PRIORITY, PUSH_PROMISE, unknown types: logged only */
    return;
  }
}

static void preface_in(struct conn *c, const char **data, size_t *len) {
  struct h2_conn *h = c->h2;
  static const char preface[] = H2_PREFACE;
  while (*len && h->preface_got < H2_PREFACE_LEN) {
    if (**data != preface[h->preface_got]) {
      conn_event(c, EV_H2_PREFACE, "bad", 3);
      if (h->cfg->preface) h->flags.preface_plan = true, h->phase = DONE;
      else connection_error(h, 1 /* PROTOCOL_ERROR */, "no client preface");
      return;
    }
    h->preface_got++, (*data)++, (*len)--;
  }
  if (h->preface_got < H2_PREFACE_LEN) return;
  conn_event(c, EV_H2_PREFACE, "ok", 2);
  if (h->cfg->preface) {
    h->flags.preface_plan = true;
    h->phase = DONE;
    return;
  }
  /* The server's preface is its SETTINGS (RFC 9113 3.4), ahead of any acknowledgement. */
  if (h->cfg->settings_len) buf_append(&h->out, (const char *)h->cfg->settings, h->cfg->settings_len);
  h->phase = FRAMES;
}

struct h2_flags h2_conn_input(struct conn *c, const char *data, size_t len) {
  struct h2_conn *h = c->h2;
  memset(&h->flags, 0, sizeof h->flags);
  if (h->phase == WANT_PREFACE) preface_in(c, &data, &len);
  while (len && h->phase == FRAMES) {
    if (h->hdr_got < H2_FRAME_HEADER) {
      size_t n = (size_t)(H2_FRAME_HEADER - h->hdr_got) < len ? (size_t)(H2_FRAME_HEADER - h->hdr_got) : len;
      memcpy(h->hdr + h->hdr_got, data, n);
      h->hdr_got = (uint8_t)(h->hdr_got + n), data += n, len -= n;
      if (h->hdr_got < H2_FRAME_HEADER) break;
      h->cur = h2_frame_header_read(h->hdr);
      if (h->cur.length > h->cfg->max_frame) { /* what our SETTINGS allow (RFC 9113 4.2) */
        connection_error(h, 6 /* FRAME_SIZE_ERROR */, "frame too large");
        break;
      }
      buf_consume(&h->payload, h->payload.len);
    }
    size_t want = h->cur.length - h->payload.len;
    size_t n = want < len ? want : len;
    buf_append(&h->payload, data, n);
    data += n, len -= n;
    if (h->payload.len == h->cur.length) {
      h->hdr_got = 0;
      frame_in(c);
    }
  }
  return h->flags; /* what was queued goes with the plans' frames: h2_conn_flush */
}

bool h2_conn_next_request(struct conn *c) {
  struct h2_conn *h = c->h2;
  struct h2_stream **l = &h->waiting;
  while (*l && !(*l)->ready) l = &(*l)->next;
  if (!*l) return false;
  struct h2_stream *s = *l;
  *l = s->next;
  h->nwaiting--;
  if (h->current) stream_free(c, h->current, false); /* its request is c->req, replaced below */
  h->current = s;
  s->next = NULL;
  if (c->req) {
    request_free(c->req);
    free(c->req);
  }
  c->req = s->req;
  c->scn = s->scn;
  c->stream = s->id;
  return true;
}
