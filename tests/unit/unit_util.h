/* unit_util.h: helpers shared by the Check suites.
 *
 * Temporary files: every suite writes its scenarios under a folder made by uu_mkdtemp and
 * removes it with uu_rmtree. The data plane in-process: uu_server_start loads a scenario
 * from Lua text and runs a struct server on its own libuv loop and thread, bound to
 * 127.0.0.1 with a port the kernel picks; uu_server_stop asks the loop thread to stop it
 * (server_stop must run there) and joins. The client side: blocking POSIX sockets, every
 * read bounded by a deadline. */
#ifndef BADUP_UNIT_UTIL_H
#define BADUP_UNIT_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "buf.h"
#include "scenario.h"
#include "server.h"

/* ---- time and files ---------------------------------------------------------------- */

double uu_now(void); /* monotonic, seconds */
void uu_sleep(double seconds);

/* A new empty folder under $TMPDIR (or /tmp). Returns a malloc'd path; aborts on failure. */
char *uu_mkdtemp(void);
/* Writes text to a new file dir/<stem>XXXXXX.lua. Returns the malloc'd path; aborts on
 * failure. */
char *uu_write_temp(const char *dir, const char *stem, const char *text);
/* Writes text to dir/name exactly. Returns the malloc'd path; aborts on failure. */
char *uu_write_file(const char *dir, const char *name, const char *text, size_t len);
/* Removes a flat folder and what is in it, then frees dir. NULL is a no-op. */
void uu_rmtree(char *dir);

/* NUL-terminated view of a buf (appends a NUL outside len). "" for an empty buf. */
const char *uu_cstr(struct buf *b);

/* The shipped proxy definitions: $BADUP_PROXIES, or harness/proxies beside $BADUP_SCENARIOS
 * (both set by ctest). A static buffer. */
const char *uu_proxies_dir(void);

/* ---- the data plane on a thread ------------------------------------------------------ */

struct uu_server {
  uv_loop_t loop;
  uv_async_t stop_async;
  pthread_t thread;
  struct server *srv;
  struct scenario *scn; /* one scenario, owned */
  char *dir, *path;
  int port;
  bool running;
};

/* Loads the scenario in `lua` (written to a temp file) and starts serving it alone (not
 * routed), listener faults included. linger_ms: how long the server drains input after
 * its FIN (0: the server's default). Returns 0, or -1 with *err set. */
int uu_server_start(struct uu_server *u, const char *lua, int linger_ms, struct buf *err);
/* Stops the server from its loop thread, joins, frees everything. Safe after a failed
 * start. Returns the result of uv_loop_close (0 when every handle was closed). */
int uu_server_stop(struct uu_server *u);

/* ---- the client -------------------------------------------------------------------- */

/* A blocking TCP connection to 127.0.0.1:port with SO_RCVTIMEO/SO_SNDTIMEO of `timeout`
 * seconds. Returns the fd, or -errno when connect fails. */
int uu_connect(int port, double timeout);
/* Writes everything (MSG_NOSIGNAL). Returns 0 or -errno. */
int uu_send_all(int fd, const void *p, size_t n);
int uu_send_str(int fd, const char *s);

enum uu_end {
  UU_LIMIT,   /* the wanted number of bytes arrived; the connection may go on */
  UU_FIN,     /* recv returned 0 */
  UU_RESET,   /* ECONNRESET */
  UU_TIMEOUT, /* the deadline passed */
  UU_ERROR    /* another errno (see *err) */
};
const char *uu_end_name(enum uu_end e);

/* Appends to out what arrives until out->len reaches `upto` bytes (SIZE_MAX: no limit),
 * the peer ends the connection, or `timeout` seconds pass. *err gets the errno of
 * UU_ERROR (may be NULL). */
enum uu_end uu_read(int fd, struct buf *out, size_t upto, double timeout, int *err);
/* Reads until the connection ends (or timeout) and returns how it ended. */
enum uu_end uu_read_all(int fd, struct buf *out, double timeout);

#endif
