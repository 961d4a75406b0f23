-- squid 5 as an accelerator (reverse proxy) for one origin server: http_port ... accel with
-- defaultsite = the upstream, forwarded DIRECT (always_direct), nothing cached (cache deny all,
-- no cache_dir), no ICP/HTCP, no pinger. Runs as a single foreground process (-N).
-- Caveats:
--  * squid drops to cache_effective_user proxy (root is refused) before it opens its logs:
--    `user = "proxy"` has the harness hand ${dir} to that user, and when a parent folder
--    keeps the user out (a 0700 `mktemp -d`), run squid in a scratch folder under /tmp and
--    move its files into the case folder afterwards.
--  * -n badup${proxy_port}: squid names its POSIX shm segments /dev/shm/<name>-*.shm after the
--    service name; a unique name per case lets cases run in parallel, and `cleanup` removes
--    the segments a SIGKILLed squid leaves behind.
--  * Timeouts are whole seconds (${connect_timeout} / ${read_timeout}; "milliseconds" is
--    refused) and squid checks them on a 1 s tick: a 2 s read timeout fires after 3-4 s.
--  * Why no `cache_peer ... originserver` (the other usual accelerator setup): squid 5 starts a
--    peer as DOWN and only marks it up after a probe connect succeeds; with a fresh squid per
--    case, an upstream that refuses or blackholes from the start is never tried at all (502
--    ERR_READ_ERROR, HIER_NONE, 0 connections), and probes add upstream connections. DIRECT
--    forwarding tries the upstream for every request, as the cases need.
--  * The readiness probe (a bare TCP connect) shows up in access.log as NONE_NONE/000
--    error:transaction-end-before-headers; log_match leaves it out.
--  * SIGTERM with shutdown_lifetime 0 still takes ~1-2 s.
--  * Client side: request_timeout (${client_header_timeout}, whole seconds, on the same 1 s
--    tick) is the time from the connection to the complete request head (408 error page or
--    a close). squid has no timeout of its own for the request body: its reads from the
--    client are bounded by read_timeout (the upstream one) and client_lifetime, so
--    body_timeout is false. request_body_max_size (${max_body} bytes) answers 413 on a
--    larger Content-Length and stops a chunked body there.
--  * Known deviations: 503 on a refused connection (ERR_CONNECT_FAIL).

-- What both modes' squid.conf hold after their listener and access rules: no cache, the
-- timeouts and knobs, logging and paths.
local squid_common = [[

# no caching at all (and no cache_dir line: no disk cache)
cache deny all
cache_mem 8 MB

connect_timeout ${connect_timeout} seconds
read_timeout ${read_timeout} seconds
request_timeout ${client_header_timeout} seconds
request_body_max_size ${max_body} bytes
forward_timeout 30 seconds

${retries}

pid_filename ${dir}/squid.pid
logformat badup %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %Sh/%<a %mt err=%err_code/%err_detail
access_log stdio:${dir}/access.log badup
cache_log ${dir}/cache.log
cache_store_log none
coredump_dir ${dir}
netdb_filename none
icp_port 0
htcp_port 0
pinger_enable off
logfile_rotate 0
shutdown_lifetime 0 seconds
debug_options ALL,1
cache_effective_user proxy
]]

-- No client_tls yet: Debian's squid (--with-gnutls) has https_port, but in accel mode it
-- rebuilds the request's URL as https://defaultsite/ and speaks TLS to the plain upstream
-- (503, ERR_SECURE_CONNECT_FAIL / GNUTLS_E_UNEXPECTED_PACKET); https_port's protocol=http
-- makes the port itself plain HTTP (curl: "wrong version number"). A cache_peer
-- originserver without TLS would do, at the price of the DOWN-at-start problem above.
return proxy {
  name = "squid",
  summary = "squid 5 accelerator (reverse proxy, direct to the origin, no cache)",
  packages = { "squid" },
  binary = { "/usr/sbin/squid", "squid" },
  version = { args = { "-v" }, pattern = "Version (%d+%.%d+[%.%d]*)" },
  config = "squid.conf",
  -- (cache_peer origin servers would start DOWN: see above)
  upstreams = { max = 1, why = "its accelerator forwards DIRECT to defaultsite, one origin server" },
  files = {
    ["squid.conf"] = [[
http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port} no-vhost
always_direct allow all
http_access allow all
]] .. squid_common,
  },
  -- No HTTP/2 upstream variant (upstream_http2): squid 5 speaks HTTP/1.1 on both sides.
  -- No TLS upstream variant (upstream_tls): Debian's squid 5.7 is built with GnuTLS
  -- (--with-gnutls), and that build never verifies a server: the binary calls no GnuTLS
  -- verification function at all (`nm -D`: no gnutls_session_set_verify_cert, no
  -- gnutls_certificate_verify_peers*, no verify callback) and sends no SNI (no
  -- gnutls_server_name_set). The accelerator forwards DIRECT to an http:// URL, and
  -- http_port's protocol=HTTPS (the https:// URLs that would be sent over TLS) makes the
  -- port itself a TLS one ("https_port requires a cert="), so TLS to the origin takes a
  -- cache_peer. Tried: `cache_peer ${upstream_host} parent ${upstream_port} 0 no-query
  -- no-digest originserver name=up tls tls-cafile=${upstream_ca} tls-domain=localhost`,
  -- with `always_direct deny all` and `never_direct allow all`: the handshake completes
  -- with the self-signed (untrusted) certificate, and with the wrong-name one, without SNI,
  -- the request is sent and answered, and squid answers 502 ERR_READ_ERROR/WITH_SERVER in
  -- every case, tls_ok too. A variant that lets any certificate through would pass the cases
  -- it is meant to fail. Debian's squid-openssl (the same 5.7, built with OpenSSL; it
  -- conflicts with squid) does verify with that same cache_peer line: tls_ok 200; wrong
  -- name, expired, self-signed and a reset handshake 503 ERR_SECURE_CONNECT_FAIL
  -- (SQUID_X509_V_ERR_DOMAIN_MISMATCH, X509_V_ERR_CERT_HAS_EXPIRED, ...), SNI localhost;
  -- the HTTP catalog over TLS as plain. Its cache_peer also makes a probe connection to the
  -- upstream before the request, and starts DOWN (see above).
  -- connect_timeout, read_timeout and request_timeout take whole seconds here (a fraction
  -- below 1 s is refused at start-up); the body limit bytes.
  granularity = { connect_timeout = 1, read_timeout = 1, client_timeout = 1 },
  client = { header_timeout = "request_timeout (whole s)", body_timeout = false, max_body = "request_body_max_size" },
  settle_ms = 100,
  stop_grace_ms = 300, -- SIGTERM takes 1-2 s even with shutdown_lifetime 0; the log is written by then
  -- -N: one squid process in the foreground; no squid.conf directive detaches it (and
  -- `workers N` makes no kids with -N).
  -- No HTTP/2 frontend: squid 5 serves HTTP/1.1 to its clients only.
  client_http2 = { why = "squid serves HTTP/1.1 to clients only" },
  command = { "${binary}", "-N", "-n", "badup${proxy_port}", "-f", "${dir}/squid.conf" },
  user = "proxy", -- cache_effective_user
  -- squid -k parse reads the config and exits; it opens no log, no cache, no socket.
  check = { "${binary}", "-k", "parse", "-f", "${dir}/squid.conf" },
  -- What a config line makes squid write: logs take a module prefix (stdio:, daemon:,
  -- syslog:, udp://, tcp://), or none.
  paths = {
    "^%s*pid_filename%s+(%S+)",
    "^%s*access_log%s+(%S+)",
    "^%s*cache_log%s+(%S+)",
    "^%s*cache_store_log%s+(%S+)",
    "^%s*icap_log%s+(%S+)",
    "^%s*cache_dir%s+%S+%s+(%S+)",
    "^%s*coredump_dir%s+(%S+)",
    "^%s*netdb_filename%s+(%S+)",
    "^%s*sslcrtd_program%s.-%s%-s%s+(%S+)",   -- the certificate database folder
  },
  includes = { "^%s*include%s+(%S+)" },
  -- One statement a line, continued by a '\' at its end; '#' starts a comment only as a
  -- line's first character; a quote opens a string only at a word's start; `if ... endif` is a
  -- block whose lines may not apply (`if false`).
  syntax = { comments = { "^#" }, continued = true, blocks = { open = "^if%s", close = "^endif%f[%W]" } },
  -- Where a config sends: a cache_peer (host, then HTTP port), the origin an accelerator goes
  -- DIRECT to (defaultsite=, which it only uses with no-vhost: else each request's Host header
  -- says where), an ICAP service. A forward (or intercepting) http_port goes where each request
  -- says; a URL rewriter can send it anywhere.
  targets = {
    { match = "^%s*cache_peer%s+(%S+)%s+%S+%s+(%S+)", part = "host port" },
    { match = "^%s*https?_port%s.-%sdefaultsite=(%S+)" },
    { match = "^%s*https?_port%s", unless = "%saccel%f[%W]",
      why = "sends each request to the host its URL names (no accel: a forward or intercepting proxy)" },
    { match = "^%s*https?_port%s.-%saccel%f[%W]", unless = "%sno%-vhost%f[%W]",
      why = "sends each request to the host its Host header names (accel uses vhost unless no-vhost)",
      use = "http_port 127.0.0.1:${proxy_port} accel defaultsite=${upstream_host}:${upstream_port} no-vhost" },
    { match = "^%s*icap_service%s+%S+%s+%S+%s+(%S+)" },
    { match = "^%s*url_rewrite_program%s", why = "hands each URL to a program, which can rewrite it to any host" },
  },
  -- Debian's squid was built with these outside the case folder (squid -v). One inside an
  -- `if` block may never be read.
  must_set = {
    { directive = "^%s*pid_filename%s", default = "/run/squid.pid", example = "pid_filename ${dir}/squid.pid",
      context = "main" },
    { directive = "^%s*cache_log%s", default = "/var/log/squid/cache.log", example = "cache_log ${dir}/cache.log",
      context = "main" },
    { directive = "^%s*access_log%s", default = "/var/log/squid/access.log", example = "access_log stdio:${dir}/access.log",
      context = "main" },
    { directive = "^%s*netdb_filename%s", default = "/var/spool/squid/netdb.state", example = "netdb_filename none",
      context = "main" },
  },
  -- forward_max_tries also bounds re-forwarding (default 25).
  retries = {
    off = "connect_retries 0\nretry_on_error off\nforward_max_tries 1",
    on = "connect_retries 2\nretry_on_error on\nforward_max_tries 3",
  },
  logs = { "access.log", "cache.log" },
  -- the request's access line (err=ERR_CONNECT_FAIL, ERR_READ_TIMEOUT, ...; not the
  -- readiness probe's NONE_NONE/000 line) and cache.log's warnings and errors
  log_match = " [A-Z]+ http://|\\| (WARNING|ERROR|FATAL)",
  ready_timeout = 30,
  cleanup = { "/dev/shm/badup${proxy_port}-*.shm" },
  -- How `badup explain` reads squid's lines (docs/proxies.md, "explain"). Its native access
  -- format (the result code, TCP_MISS/502, and the hierarchy route, HIER_DIRECT/host) is read
  -- by badup itself: trafficserver writes it too.
  explain = {
    detect = {
      "HIER_[A-Z]+/",                             -- the route, as squid 3 on writes it
      "<time>\\| (WARNING|ERROR|FATAL|NOTICE)",   -- cache.log
      " err=(-|ERR_[A-Z_]+)/",                    -- the access format above
    },
    tags = { "squid" },
    masks = {
      -- what the upstream sent, quoted back
      { pattern = "NULL characters \\{(.*)$", groups = { 1 }, with = "<data>" },
    },
    signatures = {
      { kind = "squid-error", label = "error page", pattern = "err=(ERR_[A-Z_]+)/", group = 1 },
      { kind = "squid-warning", label = "warning", pattern = "(WARNING|ERROR|FATAL): (.+) (for|from) <url>", group = 2 },
    },
    -- squid's default logformat (squid) ends at the MIME type: the error page is not in it
    fields = {
      { name = "err=", pattern = " err=[^ ]+", kind = "squid-error", anchor = "squid-code",
        meaning = "squid's %err_code/%err_detail: the error page squid served, and why; its default "
               .. "logformat (squid) lacks it" },
    },
    -- squid's verdict is the access line's error page, which the default logformat lacks
    look_in = {
      log = "access.log",
      what = "the err=%err_code/%err_detail field of the access line (squid's default logformat lacks it), and "
          .. "cache.log",
    },
  },
  -- Forward mode (docs/proxies.md, "Forward mode"): http_port without accel, each request
  -- sent where its absolute-form target or CONNECT names (RFC 9110 3.7); port 9 denied for
  -- both; Basic proxy authentication through basic_ncsa_auth, which reads crypt(3) hashes.
  -- Logging, timeouts and paths are the reverse file's.
  forward = {
    files = {
      ["squid.conf"] = [[
http_port 127.0.0.1:${proxy_port}
always_direct allow all
acl badup_denied_port port 9
# the destination port, of an absolute-form URL and of a CONNECT alike
http_access deny badup_denied_port
${auth}
http_access allow all
]] .. squid_common,
    },
    auth = [[
auth_param basic program /usr/lib/squid/basic_ncsa_auth ${auth_file}
auth_param basic realm badup
acl badup_authed proxy_auth REQUIRED
http_access deny !badup_authed]],
  },
}
