/* serve_tls.c: `badup serve`'s certificates and TLS contexts (serve_tls.h). */
#include "serve_tls.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_certs.h"
#include "tls_server.h"

/* What --tls serves a scenario without a tls table of its own: the valid certificate,
 * OpenSSL's versions, no ALPN, any SNI. */
static const struct scenario_tls default_tls = {.cert = TLS_CERT_VALID};
/* --tls for an HTTP/2 scenario: the same, and ALPN h2 (RFC 9113 3.2) for a client that asks
 * for it; one that offers no ALPN gets HTTP/2 all the same. */
static char alpn_h2[] = "h2";
static char *alpn_h2_list[] = {alpn_h2};
static const struct scenario_tls default_tls_h2 = {.cert = TLS_CERT_VALID, .alpn = alpn_h2_list, .nalpn = 1};

/* The temporary folder made in serve_tls_setup, with what tls_certs_make wrote in it (files
 * only: it makes no folders). */
static void remove_folder(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char path[PATH_MAX + 256];
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
      }
    closedir(d);
  }
  rmdir(dir);
}

int serve_tls_setup(struct serve_tls *st, struct server *srv, const char *dir, bool tls_all) {
  st->dir[0] = 0;
  st->temporary = false;
  bool wanted = tls_all;
  for (size_t i = 0; i < srv->nscenarios; i++) wanted |= srv->scenarios[i].tls != NULL;
  if (!wanted) return 0;
  char err[512];
  if (dir) {
    snprintf(st->dir, sizeof st->dir, "%s", dir);
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(st->dir, sizeof st->dir, "%s/badup-tls-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(st->dir)) {
      fprintf(stderr, "badup serve: cannot make a folder for the TLS certificates (%s): %s; give --tls-dir DIR, or a "
                      "TMPDIR that exists\n", st->dir, strerror(errno));
      st->dir[0] = 0;
      return -1;
    }
    st->temporary = true;
  }
  if (!tls_certs_present(st->dir) && tls_certs_make(st->dir, err, sizeof err) != 0) {
    fprintf(stderr, "badup serve: --tls-dir: %s\n", err);
    return -1;
  }
  if (!(srv->tls = calloc(srv->nscenarios, sizeof *srv->tls))) {
    fprintf(stderr, "badup serve: out of memory\n");
    return -1;
  }
  for (size_t i = 0; i < srv->nscenarios; i++) {
    const struct scenario *s = &srv->scenarios[i];
    const struct scenario_tls *want = s->tls ? s->tls : tls_all && s->http2 ? &default_tls_h2 : NULL;
    if (want && tls_server_new(&srv->tls[i], want, st->dir, err, sizeof err) != 0) {
      fprintf(stderr, "%s:1: tls: %s\n", s->file ? s->file : s->name, err);
      return -1;
    }
  }
  if (tls_all && tls_server_new(&srv->tls_all, &default_tls, st->dir, err, sizeof err) != 0) {
    fprintf(stderr, "badup serve: --tls: %s\n", err);
    return -1;
  }
  return 0;
}

void serve_tls_teardown(struct serve_tls *st, struct server *srv) {
  for (size_t i = 0; srv->tls && i < srv->nscenarios; i++) tls_server_free(srv->tls[i]);
  free(srv->tls);
  srv->tls = NULL;
  tls_server_free(srv->tls_all);
  srv->tls_all = NULL;
  if (st->temporary && st->dir[0]) {
    remove_folder(st->dir);
    st->temporary = false;
  }
}
