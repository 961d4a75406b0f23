-- h2o 2.2 as a reverse proxy (proxy.reverse.url), plain HTTP/1.1, one worker thread, backend
-- keep-alive pooled (h2o's default), runs as root in the foreground (worker mode).
-- Caveats:
--  * h2o 2.2 has ONE upstream timeout, proxy.timeout.io (ms), for connect AND read
--    (proxy.timeout.connect / first_byte_timeout came in 2.3): it gets ${read_timeout_ms},
--    so a blackholed connect also takes the read timeout (2 s by default), not 1 s.
--  * h2o does not retry a failed request (it only re-sends when a reused keep-alive
--    connection was already closed); no option, so --retries changes nothing here.
--  * `user: root`: as root it would otherwise switch to nobody, who cannot write ${dir}.
--    Prints "[INFO] raised RLIMIT_NOFILE to ..." on stderr at start.
--  * Known deviations: 502 for both a refused connection and a read timeout.
--  * Client side: http1-request-timeout is in whole SECONDS in 2.2 (${client_header_timeout};
--    milliseconds came later): one timer per request on HTTP/1 connections, armed when the
--    request starts, that covers the head as a whole (a head dribbled in stays cut at N s)
--    and the reads of its body; it closes the connection without an answer. There is no
--    second key for the body, so body_timeout is false (the head's timer applies to it).
--    limit-request-body (${max_body} bytes) answers 413 on a larger Content-Length.
return proxy {
  name = "h2o",
  summary = "h2o 2.2 reverse proxy (proxy.reverse.url)",
  packages = { "h2o" },
  binary = { "/usr/bin/h2o", "h2o" },
  version = { args = { "--version" }, pattern = "h2o version (%d+%.%d+%.%d+)" },
  config = "h2o.conf",
  upstreams = { max = 1, why = "h2o 2.2's proxy.reverse.url takes one URL; a list came in 2.3" },
  files = {
    ["h2o.conf"] = [[
# ${retries}
listen:
  host: 127.0.0.1
  port: ${proxy_port}${client_tls}
user: root
num-threads: 1
http1-request-timeout: ${client_header_timeout}
limit-request-body: ${max_body}
pid-file: ${dir}/h2o.pid
temp-buffer-path: ${dir}
error-log: ${dir}/error.log
access-log:
  path: ${dir}/access.log
  format: "%h %t \"%r\" %s %b %{duration}x %{proxy.idle-time}x"
hosts:
  "default":
    paths:
      "/":
        proxy.reverse.url: "${upstream_scheme}://${upstream_url_host}:${upstream_port}/"
        proxy.timeout.io: ${read_timeout_ms}
        proxy.preserve-host: ON${upstream_tls}
]],
  },
  -- TLS upstreams: an https:// proxy.reverse.url, the certificate verified against the run
  -- CA (proxy.ssl.verify-peer, proxy.ssl.cafile) for the URL's host, which h2o also sends as
  -- SNI: so the URL names ${upstream_url_host} (localhost over TLS, resolved to 127.0.0.1;
  -- ${upstream_host} plain). A failed verification is a 502 ("certificate has expired",
  -- "self-signed certificate"). By hand, h2o 2.2 let a certificate for another name through
  -- (200): it checks the chain and the dates, not the name; a case with such an upstream
  -- says so.
  upstream_tls = {
    on = "\n        proxy.ssl.verify-peer: ON\n        proxy.ssl.cafile: ${upstream_ca}",
    off = "",
  },
  -- No HTTP/2 upstream variant (upstream_http2): h2o 2.2's proxy handler speaks HTTP/1.1 to
  -- the upstream only (its binary knows no proxy.http2.* directive; HTTP/2 to backends came
  -- with 2.3's proxy.http2.ratio).
  -- http1-request-timeout takes whole seconds (2.2); proxy.timeout.io ms, the body limit bytes.
  granularity = { client_timeout = 1 },
  -- --client-tls: the listener's ssl mapping (YAML, indented under listen:).
  client_tls = { on = "\n  ssl:\n    certificate-file: ${proxy_cert}\n    key-file: ${proxy_key}", off = "" },
  -- --client-http2: h2o speaks HTTP/2 on every listener unasked, h2c with prior knowledge on a
  -- plain one (the connection preface is recognised) and ALPN h2 over TLS: the same config.
  -- The access log's %r says HTTP/2.
  client_http2 = { on = "", off = "" },
  client = { header_timeout = "http1-request-timeout (whole s, also the body's reads)", body_timeout = false,
             max_body = "limit-request-body" },
  -- Worker mode, h2o's default, stays in the foreground: only `-m daemon` on the command line
  -- detaches; h2o.conf has no key for it.
  command = { "${binary}", "-c", "${dir}/h2o.conf" },
  check = { "${binary}", "-t", "-c", "${dir}/h2o.conf" },
  -- What a config line makes h2o write: error-log may also be "| program"; access-log is a
  -- path, or a mapping with path:; listen port: /PATH is a unix socket.
  paths = {
    '^%s*pid%-file:%s*"?([^"%s]+)',
    '^%s*error%-log:%s*"?([^"%s]+)',
    '^%s*access%-log:%s*"?([^"%s,]+)',
    '^%s*path:%s*"?([^"%s,]+)',
    '^%s*temp%-buffer%-path:%s*"?([^"%s]+)',
    '^%s*port:%s*"?(/[^"%s]+)',
  },
  includes = { '!file%s+"?([^"%s]+)' },
  -- YAML: a key's value may be on the next lines (a plain or quoted scalar, or a `|` block);
  -- flow mappings `{ a: b, c: d }` hold several statements; a quote opens a quoted scalar only
  -- where a scalar starts (`X-A:it's` is plain).
  syntax = { ends = "yaml" },
  -- Where a config sends: proxy.reverse.url (its value on its line: one written otherwise, or a
  -- list, is not read, so refused). mruby handlers can send anywhere (http_request).
  targets = {
    { match = '^%s*["\']?proxy%.reverse%.url["\']?%s*:%s*(%S*)',
      use = 'proxy.reverse.url: "http://${upstream_host}:${upstream_port}/"' },
    { match = '^%s*["\']?mruby%.handler', why = "runs mruby, which can send requests anywhere (http_request)" },
  },
  must_set = {
    { directive = "^%s*temp%-buffer%-path:", default = "/tmp", example = "temp-buffer-path: ${dir}" },
  },
  retries = { off = "retries off (h2o 2.2 has no retry option)", on = "retries requested, but h2o 2.2 has no retry option" },
  logs = { "access.log", "error.log" },
  -- the access line, error.log's "[lib/core/proxy.c] in request:/x:connection failed" /
  -- ":I/O timeout" lines, and a crash ("Assertion ... failed", "received fatal signal 6":
  -- h2o 2.2.5 aborts on "Content-Length: abc", see bad_content_length)
  log_match = "\"[A-Z]+ /|in request:|\\[(error|warn|crit)|Assertion|fatal signal",
  -- How `badup explain` reads h2o's lines (docs/proxies.md, "explain").
  explain = {
    detect = { "\\[lib/[a-z0-9_/]+\\.c\\]", " in request:" },
    tags = { "h2o" },
    masks = {
      -- "in request:PATH:message": its messages hold no colon, a query string may
      { pattern = "in request:(/.*):[^:]*$", groups = { 1 }, with = "<path>" },
    },
    signatures = {
      { kind = "h2o-message", label = "message", pattern = "in request:[^:]*:(.+)$", group = 1 },
    },
    -- h2o's access log has no error field; proxy.c writes one error-log line per failure
    look_in = {
      log = "error.log",
      what = "the error-log line \"[lib/core/proxy.c] in request:PATH:...\" (\"I/O error (head)\", "
          .. "\"connection timeout\")",
    },
  },
}
