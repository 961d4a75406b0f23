-- nghttpx (nghttp2-proxy) as an HTTP/1.1 reverse proxy without TLS: one frontend, one
-- HTTP/1.1 backend (pooled keep-alive connections), one worker; master + worker processes
-- in the foreground.
-- Caveats:
--  * Connect blocker: after a failed connect nghttpx answers 502 WITHOUT trying the backend
--    for a randomized exponential backoff (first ~1-2 s, up to backend-max-backoff, default
--    120 s). backend-max-backoff=50ms keeps every case a fresh attempt.
--  * No retry option for HTTP/1 backends: a failed request is not re-sent (it only
--    re-connects when a pooled connection was already closed before the request went out),
--    so --retries changes nothing here.
--  * log-level=INFO: at WARN only connect failures are logged (nothing for a timeout, an EOF
--    or a parse error). INFO also dumps every request's headers and the connection life
--    cycle (~40 lines a request); log_match keeps only the access line and the reason lines.
--  * Mid-body failures (truncated_body, close_mid_body, reset_mid_body): nghttpx has usually
--    not sent the header yet and closes the client connection without a byte ("closed"),
--    sometimes it forwards "200+truncated": timing-dependent.
--  * Client side: frontend-read-timeout (${client_body_timeout_ms}) is the read timeout of an
--    HTTP/1.1 frontend connection: it cuts a stalled body, and a head not complete within N
--    s (measured: a head dribbled in a line every 0.5 s is closed at 2 s, without an answer).
--    It is declared as the body's knob; 1.52 has no key of its own for the head
--    (header_timeout false) and no request body limit (max_body false: only the API
--    endpoint has one).
--  * --conf is always given, else it reads /etc/nghttpx/nghttpx.conf. The accesslog-format
--    uses nghttpx's own $variables (left alone: only ${known} names are substituted).
return proxy {
  name = "nghttpx",
  summary = "nghttpx (nghttp2) HTTP/1.1 reverse proxy, no TLS",
  packages = { "nghttp2-proxy" },
  binary = { "/usr/sbin/nghttpx", "nghttpx" },
  version = { args = { "--version" }, pattern = "nghttp2/(%d+%.%d+%.%d+)" },
  config = "nghttpx.conf",
  -- Several backend= lines of one pattern share the requests from a random start (weighted
  -- round robin): which upstream a case's request reached would be a draw.
  upstreams = { max = 1, why = "it picks among its backends from a random start: the outcome would be a draw" },
  -- TLS upstreams: the backend's tls parameter, sni= the name it sends and verifies the
  -- certificate against (nghttpx checks the SAN), cacert= the run CA as the only trusted
  -- one (nghttpx verifies backends unless told `insecure`). A failed verification is 502.
  upstream_tls = { on = ";tls;sni=${upstream_tls_name}\ncacert=${upstream_ca}", off = "" },
  -- HTTP/2 upstreams: the backend's proto=h2 (h2c with prior knowledge on a plain backend,
  -- h2 by ALPN with tls); its streams share one connection per backend and worker. The
  -- HTTP/1 config's proto=http/1.1 is the off text.
  upstream_http2 = { on = "h2", off = "http/1.1" },
  files = {
    ["nghttpx.conf"] = [[
# ${retries}
frontend=127.0.0.1,${proxy_port}${client_tls}
backend=${upstream_host},${upstream_port};;proto=${upstream_http2}${upstream_tls}
backend-connect-timeout=${connect_timeout_ms}ms
backend-read-timeout=${read_timeout_ms}ms
backend-write-timeout=${read_timeout_ms}ms
backend-max-backoff=50ms
frontend-read-timeout=${client_body_timeout_ms}ms
workers=1
pid-file=${dir}/nghttpx.pid
accesslog-file=${dir}/access.log
accesslog-format=$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time backend=$backend_host:$backend_port
errorlog-file=${dir}/error.log
log-level=INFO
]],
  },
  -- --client-tls: the frontend without no-tls terminates TLS with the key and certificate
  -- given (HTTP/1.1 by ALPN; the backend stays plain HTTP/1.1).
  client_tls = { on = "\nprivate-key-file=${proxy_key}\ncertificate-file=${proxy_cert}", off = ";no-tls" },
  -- --client-http2: nghttpx's frontend speaks HTTP/2 unasked: h2c (prior knowledge, or an
  -- Upgrade) beside HTTP/1.1 on a no-tls frontend, ALPN h2 on a TLS one: the same config. The
  -- access log's $request says HTTP/2.
  client_http2 = { on = "", off = "" },
  client = { header_timeout = false, body_timeout = "frontend-read-timeout (also cuts a slow head)",
             max_body = false },
  command = { "${binary}", "--conf=${dir}/nghttpx.conf" },
  -- No check: nghttpx has no option that only parses its config.
  -- What a config line makes nghttpx write (errorlog-file defaults to /dev/stderr).
  paths = {
    "^%s*pid%-file%s*=%s*(%S+)",
    "^%s*accesslog%-file%s*=%s*(%S+)",
    "^%s*errorlog%-file%s*=%s*(%S+)",
    "^%s*accesslog%-(syslog)%s*=%s*[Yy][Ee][Ss]",
    "^%s*errorlog%-(syslog)%s*=%s*[Yy][Ee][Ss]",
    "^%s*frontend%s*=%s*(unix:[^,;%s]+)",   -- a unix socket
  },
  includes = { "^%s*include%s*=%s*(%S+)" },
  -- One option a line, `name=value` to its end (';' separates a backend's parameters), quotes
  -- and all; '#' starts a comment only as a line's first character.
  syntax = { comments = { "^#" }, quotes = "" },
  -- Where a config sends: each backend=HOST,PORT (or unix:PATH), and the HTTP proxy backends
  -- are reached through.
  targets = {
    { match = "^%s*backend%s*=%s*([^,;%s]*)%s*,%s*([^;%s]*)", part = "host port" },
    { match = "^%s*backend%s*=%s*(unix:[^;%s]*)", part = "socket",
      use = "backend=${upstream_host},${upstream_port};;proto=http/1.1" },
    { match = "^%s*backend%-http%-proxy%-uri%s*=%s*(%S+)" },
  },
  -- daemon=yes detaches (and changes to /); its --daemon option takes no argument, so
  -- nothing on the command line can undo it: the config must not say it.
  foreground = { detaches = { "^%s*daemon%s*=%s*[Yy][Ee][Ss]%s*$" }, example = "daemon=no" },
  retries = { off = "retries off (no retry option for HTTP/1 backends)", on = "retries requested, but nghttpx has no retry option for HTTP/1 backends" },
  logs = { "access.log", "error.log" },
  -- the access line, WARN/ERROR lines ("Backend connect failed; addr=...: errno=111",
  -- "Connect time out") and the INFO lines that name the failure ("EOF", "Time out",
  -- "HTTP parser failure: ...", "HTTP response ended prematurely: ...", "Network error")
  log_match = "\"[A-Z]+ /| (WARN|ERROR|FATAL) |\\[DCONN:[^]]*\\] (EOF|Time out|Timeout|HTTP parser failure|HTTP response ended|Network error|Return error reply)",
  -- the access line is written a moment after the client has its answer; without a short
  -- wait before the stop, SIGTERM (immediate shutdown) sometimes comes first
  settle_ms = 200,
  -- How `badup explain` reads nghttpx's lines (docs/proxies.md, "explain").
  explain = {
    detect = { "\\[DCONN:", "\\(shrpx_", " backend=" },
    tags = { "nghttpx" },
    masks = {
      -- the backend a deployment names ("-:-": none reached, left as is)
      { pattern = " backend=([^ -][^ ]*)", groups = { 1 }, with = "<host>" },
    },
    signatures = {
      { kind = "nghttpx-message", label = "message", pattern = "\\[DCONN:[^]]*\\] (.+)$", group = 1 },
      -- which backend it picked ("-:-": none reached): where, not why
      { kind = "nghttpx-backend", label = "backend", pattern = " backend=([^ ]+)", group = 1, weight = 1,
        not_verdict = true },
    },
    -- below log-level INFO, nghttpx writes only connect failures
    look_in = {
      log = "error.log",
      what = "the errorlog-file lines at log-level INFO (\"[DCONN:...] HTTP response ended prematurely\", "
          .. "\"Time out\")",
    },
  },
}
