/* proxy_render.c: a definition's templates with the values of one proxy instance. */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_lex.h"
#include "fileio.h"
#include "files.h"
#include "timeouts.h"

const char *const proxy_var_names[PV__COUNT] = {
    [PV_BINARY] = "binary",
    [PV_DIR] = "dir",
    [PV_PROXY_PORT] = "proxy_port",
    [PV_UPSTREAM_HOST] = "upstream_host",
    [PV_UPSTREAM_PORT] = "upstream_port",
    [PV_CONNECT_TIMEOUT] = "connect_timeout",
    [PV_READ_TIMEOUT] = "read_timeout",
    [PV_CONNECT_TIMEOUT_MS] = "connect_timeout_ms",
    [PV_READ_TIMEOUT_MS] = "read_timeout_ms",
    [PV_RETRIES] = "retries",
    [PV_SCENARIO] = "scenario",
    [PV_MAX_CONNECTIONS] = "max_connections",
    [PV_UPSTREAM_SERVERS] = "upstream_servers",
    [PV_UPSTREAM_INDEX] = "upstream_index",
    [PV_UPSTREAM_SUFFIX] = "upstream_suffix",
    [PV_AUTH] = "auth",
    [PV_AUTH_USER] = "auth_user",
    [PV_AUTH_PASSWORD] = "auth_password",
    [PV_AUTH_FILE] = "auth_file",
    [PV_CLIENT_HEADER_TIMEOUT] = "client_header_timeout",
    [PV_CLIENT_HEADER_TIMEOUT_MS] = "client_header_timeout_ms",
    [PV_CLIENT_BODY_TIMEOUT] = "client_body_timeout",
    [PV_CLIENT_BODY_TIMEOUT_MS] = "client_body_timeout_ms",
    [PV_MAX_BODY] = "max_body",
    [PV_MAX_BODY_KIB] = "max_body_kib",
    [PV_CLIENT_TLS] = "client_tls",
    [PV_PROXY_SCHEME] = "proxy_scheme",
    [PV_PROXY_CERT] = "proxy_cert",
    [PV_PROXY_KEY] = "proxy_key",
    [PV_PROXY_PEM] = "proxy_pem",
    [PV_PROXY_URL_HOST] = "proxy_url_host",
    [PV_CLIENT_HTTP2] = "client_http2",
    [PV_UPSTREAM_TLS] = "upstream_tls",
    [PV_UPSTREAM_SCHEME] = "upstream_scheme",
    [PV_UPSTREAM_CA] = "upstream_ca",
    [PV_UPSTREAM_TLS_NAME] = "upstream_tls_name",
    [PV_UPSTREAM_URL_HOST] = "upstream_url_host",
    [PV_UPSTREAM_HTTP2] = "upstream_http2",
};

char *template_render(const char *t, const struct vars *v, char **bad) {
  struct buf b = {0};
  *bad = NULL;
  while (*t) {
    const char *open = strstr(t, "${");
    if (!open) {
      buf_puts(&b, t);
      break;
    }
    if (open > t && open[-1] == '$') { /* "$${" is a literal "${" */
      buf_append(&b, t, (size_t)(open - t));
      buf_puts(&b, "{");
      t = open + 2;
      continue;
    }
    buf_append(&b, t, (size_t)(open - t));
    const char *close = strchr(open + 2, '}');
    if (!close) {
      buf_puts(&b, open);
      break;
    }
    size_t len = (size_t)(close - open - 2);
    size_t i;
    for (i = 0; i < v->n; i++)
      if (strlen(v->names[i]) == len && memcmp(v->names[i], open + 2, len) == 0) break;
    if (i == v->n) {
      if (!*bad) *bad = strndup(open + 2, len);
    } else {
      buf_puts(&b, v->values[i]);
    }
    t = close + 1;
  }
  buf_append(&b, "", 1);
  return b.data;
}

/* A user's config with every ${name} in its comments that is not a variable made a literal
 * ("$${name}"): the proxy never reads a comment, so one there must not fail the rendering
 * (Debian's apache2.conf has `#Mutex file:${APACHE_LOCK_DIR} default`). NULL: no memory. */
static char *comment_names_literal(const struct proxy_def *p, const char *text, const struct vars *v) {
  struct lex_spans comments = {0};
  lex_comments(&p->syntax, text, &comments);
  struct buf b = {0};
  const char *t = text, *open;
  while ((open = strstr(t, "${"))) {
    const char *close = strchr(open + 2, '}');
    size_t len = close ? (size_t)(close - open - 2) : 0, i = 0;
    while (i < v->n && !(strlen(v->names[i]) == len && memcmp(v->names[i], open + 2, len) == 0)) i++;
    buf_append(&b, t, (size_t)(open - t));
    if (close && i == v->n && !(open > text && open[-1] == '$') && lex_in_spans(&comments, (size_t)(open - text)))
      buf_puts(&b, "$");
    buf_puts(&b, "${");
    t = open + 2;
  }
  buf_puts(&b, t);
  buf_append(&b, "", 1);
  lex_spans_free(&comments);
  if (b.oom) {
    buf_free(&b);
    return NULL;
  }
  return b.data;
}

static void fmt_seconds(char *out, size_t len, double s) { snprintf(out, len, "%g", s); }

void proxy_rendered_free(struct proxy_rendered *r) {
  for (size_t i = 0; r->argv && i < r->nargs; i++) free(r->argv[i]);
  for (size_t i = 0; r->env && i < r->nenv; i++) free(r->env[i]);
  free(r->argv);
  free(r->env);
  free(r->retries);
  free(r->upstream_tls);
  free(r->upstream_http2);
  free(r->servers);
  free(r->auth);
  free(r->client_tls);
  free(r->client_http2);
  for (size_t i = 0; r->several && r->several[i]; i++) free(r->several[i]);
  free(r->several);
  free(r->all_names);
  free(r->all_values);
  memset(r, 0, sizeof *r);
}

/* A list's `each` once per upstream, with that upstream's ${upstream_port}, ${upstream_index}
 * (1, 2, ...) and ${upstream_suffix} ("", "2", ...), joined. values: the standard ones. */
static char *render_list(const struct proxy_list *l, const int *ports, int n, const char *const *values, char **bad) {
  struct buf b = {0};
  for (int k = 0; k < n && l->each && !*bad; k++) {
    char port[16], index[16], suffix[16];
    snprintf(port, sizeof port, "%d", ports[k]);
    snprintf(index, sizeof index, "%d", k + 1);
    if (k) snprintf(suffix, sizeof suffix, "%d", k + 1);
    else suffix[0] = 0; /* the first keeps the name it has with one upstream */
    const char *mine[PV__COUNT];
    memcpy(mine, values, sizeof mine);
    mine[PV_UPSTREAM_PORT] = port, mine[PV_UPSTREAM_INDEX] = index, mine[PV_UPSTREAM_SUFFIX] = suffix;
    struct vars v = {proxy_var_names, mine, PV__COUNT};
    char *one = template_render(l->each, &v, bad);
    if (k) buf_puts(&b, l->join);
    buf_puts(&b, one);
    free(one);
  }
  buf_append(&b, "", 1);
  return b.data;
}

/* ${retries}, ${upstream_servers} and the definition's own variables, in this order: retries
 * knows the standard variables (as with one upstream), the lists know retries, and the
 * definition's texts know the lists. With one upstream, its own variables are "". Sets
 * out->vars. 0, or -1 with why in err. */
static int render_upstreams(const struct proxy_def *p, const struct proxy_instance *in, struct proxy_rendered *out,
                            char **bad, char *err, size_t errlen) {
  const struct proxy_upstreams *u = &p->upstreams;
  int n = in->nupstreams > 1 && in->upstream_ports ? in->nupstreams : 1;
  const int *ports = n > 1 ? in->upstream_ports : &in->upstream_port;
  if (n > u->max) {
    snprintf(err, errlen, "%s sends to at most %d upstream%s, not %d", p->name, u->max, u->max == 1 ? "" : "s", n);
    return -1;
  }
  struct vars base = {proxy_var_names, out->values, PV__COUNT};
  /* ${upstream_tls} first: retries and the per-upstream texts (haproxy's server lines) may
   * use it, and it may use the other standard variables (${upstream_ca}). */
  const char *tls = in->upstream_tls ? p->upstream_tls_on : p->upstream_tls_off;
  out->upstream_tls = template_render(tls ? tls : "", &base, bad);
  out->values[PV_UPSTREAM_TLS] = out->upstream_tls;
  /* ${upstream_http2} likewise: haproxy's server lines carry it too */
  const char *h2 = in->upstream_http2 ? p->upstream_http2_on : p->upstream_http2_off;
  out->upstream_http2 = template_render(h2 ? h2 : "", &base, bad);
  out->values[PV_UPSTREAM_HTTP2] = out->upstream_http2;
  const char *retries = in->retries ? p->retries_on : p->retries_off;
  if (n > 1 && u->retries_on) retries = in->retries ? u->retries_on : u->retries_off;
  /* The retries text may use the other variables (a port, a timeout). */
  out->retries = template_render(retries, &base, bad);
  out->values[PV_RETRIES] = out->retries;
  out->servers = render_list(&u->servers, ports, n, out->values, bad);
  out->values[PV_UPSTREAM_SERVERS] = out->servers;
  size_t all = PV__COUNT + u->nseveral;
  out->several = calloc(u->nseveral + 1, sizeof *out->several);
  out->all_names = calloc(all, sizeof *out->all_names);
  out->all_values = calloc(all, sizeof *out->all_values);
  if (!out->upstream_tls || !out->upstream_http2 || !out->retries || !out->servers || !out->several || !out->all_names || !out->all_values) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < PV__COUNT; i++) out->all_names[i] = proxy_var_names[i], out->all_values[i] = out->values[i];
  for (size_t i = 0; i < u->nseveral; i++) {
    out->all_names[PV__COUNT + i] = u->several[i].name;
    out->several[i] = n > 1 && u->several[i].list.each ? render_list(&u->several[i].list, ports, n, out->values, bad)
                                                       : strdup("");
    out->all_values[PV__COUNT + i] = out->several[i] ? out->several[i] : "";
  }
  out->vars = (struct vars){out->all_names, out->all_values, all};
  for (size_t i = 0; n > 1 && i < u->nseveral && !*bad; i++)
    if (u->several[i].text) { /* the other texts are "" while it is written: it may not use them */
      char *text = template_render(u->several[i].text, &out->vars, bad);
      free(out->several[i]);
      out->all_values[PV__COUNT + i] = out->several[i] = text;
    }
  for (size_t i = 0; i < u->nseveral; i++)
    if (!out->several[i]) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
  return 0;
}

int proxy_render(const struct proxy_def *p, const struct proxy_instance *in, struct proxy_rendered *out, char *err,
                 size_t errlen) {
  memset(out, 0, sizeof *out);
  snprintf(out->port, sizeof out->port, "%d", in->port);
  snprintf(out->upstream_port, sizeof out->upstream_port, "%d", in->upstream_port);
  fmt_seconds(out->connect_timeout, sizeof out->connect_timeout, in->connect_timeout);
  fmt_seconds(out->read_timeout, sizeof out->read_timeout, in->read_timeout);
  snprintf(out->connect_timeout_ms, sizeof out->connect_timeout_ms, "%ld", (long)(in->connect_timeout * 1000 + 0.5));
  snprintf(out->read_timeout_ms, sizeof out->read_timeout_ms, "%ld", (long)(in->read_timeout * 1000 + 0.5));
  snprintf(out->max_connections, sizeof out->max_connections, "%d",
           in->max_connections > 0 ? in->max_connections : PROXY_MAX_CONNECTIONS);
  /* One client timeout for the head and the body: --client-timeout sets both. KiB rounds
   * up, so a limit given in KiB never refuses a body the byte limit lets through. */
  double ct = in->client_timeout > 0 ? in->client_timeout : BADUP_CLIENT_TIMEOUT_S;
  long mb = in->max_body > 0 ? in->max_body : BADUP_MAX_BODY;
  fmt_seconds(out->client_timeout, sizeof out->client_timeout, ct);
  snprintf(out->client_timeout_ms, sizeof out->client_timeout_ms, "%ld", (long)(ct * 1000 + 0.5));
  snprintf(out->max_body, sizeof out->max_body, "%ld", mb);
  snprintf(out->max_body_kib, sizeof out->max_body_kib, "%ld", (mb + 1023) / 1024);
  const char *values[PV__COUNT] = {
      [PV_BINARY] = p->binary, [PV_DIR] = in->dir, [PV_PROXY_PORT] = out->port,
      [PV_UPSTREAM_HOST] = in->upstream_host, [PV_UPSTREAM_PORT] = out->upstream_port,
      [PV_CONNECT_TIMEOUT] = out->connect_timeout, [PV_READ_TIMEOUT] = out->read_timeout,
      [PV_CONNECT_TIMEOUT_MS] = out->connect_timeout_ms, [PV_READ_TIMEOUT_MS] = out->read_timeout_ms,
      [PV_RETRIES] = "", [PV_SCENARIO] = in->scenario ? in->scenario : "",
      [PV_MAX_CONNECTIONS] = out->max_connections,
      [PV_CLIENT_HEADER_TIMEOUT] = out->client_timeout, [PV_CLIENT_HEADER_TIMEOUT_MS] = out->client_timeout_ms,
      [PV_CLIENT_BODY_TIMEOUT] = out->client_timeout, [PV_CLIENT_BODY_TIMEOUT_MS] = out->client_timeout_ms,
      [PV_MAX_BODY] = out->max_body, [PV_MAX_BODY_KIB] = out->max_body_kib};
  memcpy(out->values, values, sizeof values);
  out->values[PV_UPSTREAM_SERVERS] = "", out->values[PV_UPSTREAM_INDEX] = "1", out->values[PV_UPSTREAM_SUFFIX] = "";
  if (in->upstream_tls && (!p->upstream_tls_on || !in->upstream_ca || in->upstream_ca[0] != '/')) {
    snprintf(err, errlen, "%s: %s", p->name,
             p->upstream_tls_on ? "a TLS upstream needs the absolute path of its CA file" : "no TLS upstream variant");
    return -1;
  }
  if (in->upstream_http2 && !p->upstream_http2_on) {
    snprintf(err, errlen, "%s: no HTTP/2 upstream variant", p->name);
    return -1;
  }
  out->values[PV_UPSTREAM_TLS] = "";
  out->values[PV_UPSTREAM_HTTP2] = "";
  /* the URL scheme: mod_proxy names HTTP/2 by it (h2c:// plain, h2:// over TLS) */
  out->values[PV_UPSTREAM_SCHEME] =
      in->upstream_http2 ? (in->upstream_tls ? "h2" : "h2c") : in->upstream_tls ? "https" : "http";
  out->values[PV_UPSTREAM_CA] = in->upstream_tls ? in->upstream_ca : "";
  out->values[PV_UPSTREAM_TLS_NAME] = PROXY_UPSTREAM_TLS_NAME;
  /* a proxy that checks the certificate against its URL's host (and sends that as SNI) must
   * name the upstream by the certificate's name; plain, the address as always */
  out->values[PV_UPSTREAM_URL_HOST] = in->upstream_tls ? PROXY_UPSTREAM_TLS_NAME : in->upstream_host;
  bool fwd = in->forward && p->fwd.on, auth = fwd && p->fwd.auth && in->auth_user;
  out->values[PV_AUTH] = "";
  out->values[PV_AUTH_USER] = auth ? in->auth_user : "";
  out->values[PV_AUTH_PASSWORD] = auth && in->auth_password ? in->auth_password : "";
  out->values[PV_AUTH_FILE] = auth && in->auth_file ? in->auth_file : "";
  /* --client-tls: the frontend's certificate; ${client_tls} itself is rendered below, once
   * every other variable has its value (it names ${proxy_pem}, ${proxy_port}, ...). */
  bool tls = in->proxy_cert != NULL;
  out->values[PV_CLIENT_TLS] = "";
  out->values[PV_CLIENT_HTTP2] = "";
  out->values[PV_PROXY_SCHEME] = tls ? "https" : "http";
  out->values[PV_PROXY_CERT] = tls ? in->proxy_cert : "";
  out->values[PV_PROXY_KEY] = tls && in->proxy_key ? in->proxy_key : "";
  out->values[PV_PROXY_PEM] = tls && in->proxy_pem ? in->proxy_pem : "";
  /* the frontend's own name for itself where its config names one (caddy's site address): the
   * certificate's name over TLS, the address plain */
  out->values[PV_PROXY_URL_HOST] = tls ? PROXY_UPSTREAM_TLS_NAME : "127.0.0.1";
  char *bad = NULL;
  if (render_upstreams(p, in, out, &bad, err, errlen) != 0) {
    free(bad);
    return -1;
  }
  if (auth) { /* a template itself: it names ${auth_file}, ${auth_user}, ... */
    out->auth = template_render(p->fwd.auth, &out->vars, &bad);
    if (!out->auth) {
      snprintf(err, errlen, "out of memory");
      free(bad);
      return -1;
    }
    out->values[PV_AUTH] = out->all_values[PV_AUTH] = out->auth;
  }
  out->client_tls = proxy_client_tls_render(p, in, &out->vars, &bad);
  if (!out->client_tls) {
    snprintf(err, errlen, "out of memory");
    free(bad);
    return -1;
  }
  out->values[PV_CLIENT_TLS] = out->all_values[PV_CLIENT_TLS] = out->client_tls;
  /* after ${client_tls}, which the h2 text may name (apache's Protocols inside its TLS host) */
  out->client_http2 = proxy_client_http2_render(p, in, &out->vars, &bad);
  if (!out->client_http2) {
    snprintf(err, errlen, "out of memory");
    free(bad);
    return -1;
  }
  out->values[PV_CLIENT_HTTP2] = out->all_values[PV_CLIENT_HTTP2] = out->client_http2;
  /* The files: the definition's, those of its forward mode in place of the same-named ones
   * and after them the forward mode's other files. */
  size_t nall = p->nfiles + (fwd ? p->fwd.nfiles : 0);
  for (size_t i = 0; i < nall && !bad; i++) {
    const struct proxy_file *f = i < p->nfiles ? &p->files[i] : &p->fwd.files[i - p->nfiles];
    if (fwd && i < p->nfiles) {
      for (size_t k = 0; k < p->fwd.nfiles; k++)
        if (!strcmp(p->fwd.files[k].name, f->name)) f = &p->fwd.files[k];
    } else if (fwd) {
      bool replaced = false; /* written above, in place of the definition's */
      for (size_t k = 0; k < p->nfiles; k++) replaced |= !strcmp(p->files[k].name, f->name);
      if (replaced) continue;
    }
    const char *tmpl = f->text;
    char *user = NULL;
    bool is_config = p->config && strcmp(f->name, p->config) == 0;
    if (is_config && in->config_text) tmpl = in->config_text;
    else if (is_config && in->config_file) tmpl = user = fileio_slurp(in->config_file, 0, NULL);
    if (!tmpl) {
      snprintf(err, errlen, "cannot read --proxy-config %s", in->config_file);
      free(bad);
      return -1;
    }
    if (is_config && (in->config_text || in->config_file)) {
      char *literal = comment_names_literal(p, tmpl, &out->vars);
      free(user);
      if (!literal) {
        snprintf(err, errlen, "out of memory");
        free(bad);
        return -1;
      }
      tmpl = user = literal;
    }
    char *text = template_render(tmpl, &out->vars, &bad);
    free(user);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", in->dir, f->name);
    if (!bad && files_write(path, text) != 0) {
      snprintf(err, errlen, "cannot write %.400s", path);
      free(text);
      return -1;
    }
    free(text);
  }
  while (p->command[out->nargs]) out->nargs++;
  while (p->env[out->nenv]) out->nenv++;
  out->argv = calloc(out->nargs + 1, sizeof *out->argv);
  out->env = calloc(out->nenv + 1, sizeof *out->env);
  if (!out->argv || !out->env) {
    snprintf(err, errlen, "out of memory");
    free(bad);
    return -1;
  }
  for (size_t i = 0; i < out->nargs && !bad; i++) out->argv[i] = template_render(p->command[i], &out->vars, &bad);
  for (size_t i = 0; i < out->nenv && !bad; i++) out->env[i] = template_render(p->env[i], &out->vars, &bad);
  if (bad) {
    snprintf(err, errlen, "%.300s: unknown template variable ${%.100s}", p->source, bad);
    free(bad);
    return -1;
  }
  return 0;
}
