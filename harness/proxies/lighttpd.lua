-- lighttpd 1.4 + mod_proxy as a reverse proxy: one backend host for every path, HTTP/1.0-
-- style one request per backend connection (mod_proxy's default), runs as root in the
-- foreground (-D, no server.username).
-- Caveats:
--  * connect-timeout / read-timeout / write-timeout are whole seconds (${connect_timeout},
--    ${read_timeout}), checked on a 1 s tick with a strict ">": a read timeout of N s fires
--    after about N+2 s (2 -> ~4 s).
--  * "disable-time" => 0: after a failed connect lighttpd disables the backend for
--    disable-time seconds (default 1) and answers 503 at once meanwhile without trying.
--  * lighttpd never re-sends a request (no retry option); more hosts in the list only give
--    failover between hosts, so --retries changes nothing here.
--  * Client side: server.max-read-idle (whole seconds, ${client_body_timeout}, the same 1 s
--    tick) is an idle timeout on every read from the client, the head's and the body's; it
--    closes the connection without an answer. lighttpd has no timer for the head as a whole,
--    so header_timeout is false (an idle head is cut by max-read-idle all the same).
--    server.max-request-size is in KiB (${max_body_kib}, rounded up): 413 on a larger
--    Content-Length, and on a chunked body once it passes the limit.
--  * Known deviations: 503 on a refused connection, 500 on an empty reply or a reset. An empty
--    reply leaves no error.log line at all (not even with proxy.debug = 1, which only adds
--    "found a host / got proc / released proc" noise): only the access line shows the 500.
return proxy {
  name = "lighttpd",
  summary = "lighttpd 1.4 + mod_proxy reverse proxy",
  packages = { "lighttpd" },
  binary = { "/usr/sbin/lighttpd", "lighttpd" },
  version = { args = { "-v" }, pattern = "lighttpd/(%d+%.%d+%.%d+)" },
  config = "lighttpd.conf",
  -- Several upstreams: one ( "host", "port", ... ) each in the list; lighttpd's balance
  -- "fair" (the least loaded, the first on a tie). A failed connect goes on to another host,
  -- --retries or not; a request that went out is never re-sent.
  upstreams = {
    each = [[(
    "host" => "${upstream_host}",
    "port" => ${upstream_port},
    "connect-timeout" => ${connect_timeout},
    "read-timeout" => ${read_timeout},
    "write-timeout" => ${read_timeout},
    "disable-time" => 0
)]],
    join = ", ",
  },
  -- No TLS upstream variant (upstream_tls): lighttpd 1.4's mod_proxy speaks plain HTTP to
  -- its backends only (its TLS, mod_openssl, is for the clients' side).
  -- No HTTP/2 upstream variant (upstream_http2): mod_proxy speaks HTTP/1.0 or 1.1 to its
  -- backends (proxy.header's force-http10); lighttpd's HTTP/2 is the clients' side.
  files = {
    ["lighttpd.conf"] = [[
server.modules = ( "mod_proxy", "mod_accesslog" )
server.bind = "127.0.0.1"
server.port = ${proxy_port}${client_tls}${client_http2}
server.document-root = "${dir}"
server.pid-file = "${dir}/lighttpd.pid"
server.upload-dirs = ( "${dir}" )
server.max-read-idle = ${client_body_timeout}
server.max-request-size = ${max_body_kib}
server.errorlog = "${dir}/error.log"
accesslog.filename = "${dir}/access.log"
accesslog.format = "%h %t \"%r\" %>s %b %D"
proxy.debug = 0
# ${retries}
proxy.server = ( "" => ( ${upstream_servers} ) )
]],
  },
  -- connect-timeout, read-timeout and server.max-read-idle take whole seconds,
  -- server.max-request-size KiB.
  granularity = { connect_timeout = 1, read_timeout = 1, client_timeout = 1, max_body = 1024 },
  -- -D: in the foreground (lighttpd detaches by default); no lighttpd.conf key undoes it.
  -- --client-tls: mod_openssl on the one listener (ssl.engine in the global scope), the
  -- certificate and key in one PEM.
  client_tls = {
    on = "\nserver.modules += ( \"mod_openssl\" )\nssl.engine = \"enable\"\nssl.pemfile = \"${proxy_pem}\"",
    off = "",
  },
  client = { header_timeout = false, body_timeout = "server.max-read-idle (whole s, also the head's reads)",
             max_body = "server.max-request-size (KiB)" },
  -- --client-http2: the server.h2proto feature flag (lighttpd's own HTTP/2; 1.4.69 reads no
  -- server.h2proto key, "unknown config-key"): h2c with prior knowledge or an Upgrade on a
  -- plain listener, ALPN h2 with mod_openssl. Said explicitly, though 1.4.69 enables it by
  -- default. Its access log has the request's line ("GET /... HTTP/2.0"), then one for the h2c
  -- connection, "PRI * HTTP/2.0" 100, with its duration.
  client_http2 = { on = "\nserver.feature-flags = ( \"server.h2proto\" => \"enable\" )", off = "" },
  command = { "${binary}", "-D", "-f", "${dir}/lighttpd.conf" },
  -- -tt: parse the config, load and set up the modules, then exit.
  check = { "${binary}", "-tt", "-f", "${dir}/lighttpd.conf" },
  -- What a config line makes lighttpd write ("|program" logs and syslog included).
  paths = {
    '^%s*server%.pid%-file%s*[:+]?=%s*"([^"]*)"',
    '^%s*server%.errorlog%s*[:+]?=%s*"([^"]*)"',
    '^%s*server%.breakagelog%s*[:+]?=%s*"([^"]*)"',
    '^%s*accesslog%.filename%s*[:+]?=%s*"([^"]*)"',
    '^%s*server%.upload%-dirs%s*[:+]?=%s*%(%s*"([^"]*)"',
    '^%s*server%.errorlog%-use%-(syslog)%s*[:+]?=%s*"enable"',
    '^%s*accesslog%.use%-(syslog)%s*[:+]?=%s*"enable"',
    '^%s*[%w_]+%.cache%-dir%s*[:+]?=%s*"([^"]*)"',     -- deflate.cache-dir, compress.cache-dir
    '^%s*webdav%.sqlite%-db%-name%s*[:+]?=%s*"([^"]*)"',
    '^%s*server%.bind%s*[:+]?=%s*"(/[^"]*)"',          -- a unix socket
  },
  includes = { '^%s*include%s+"([^"]+)"' },
  -- Free form: a statement is `name = value` wherever its parts are (`server.pid-file\n=\n"/x"`
  -- is one, and two may share a line); "..." strings (the only ones) open anywhere and may
  -- span lines; '#' starts a comment anywhere outside a string; `$HTTP[...] { }` conditions
  -- are blocks.
  syntax = { ends = "assignment", blocks = "{}", quotes = '"', quote_at = "anywhere", strings = "multiline",
             comments = { "#any" } },
  -- Where a config sends: the hosts and ports of every *.server backend (proxy.server,
  -- fastcgi.server, scgi.server, ...: a host without a "port" in its ( ) goes to port 80); a
  -- "socket" is a unix socket, never the simulator. What to write is the pair in its list.
  targets = {
    { match = "^%s*[%w_]+%.server%s*[:+]?=", each = '"host"%s*=>%s*("?[^",%s%)]*"?)', part = "host",
      needs = '"port"%s*=>', use = '"host" => "${upstream_host}"' },
    { match = "^%s*[%w_]+%.server%s*[:+]?=", each = '"port"%s*=>%s*("?[^",%s%)]*"?)', part = "port",
      use = '"port" => ${upstream_port}' },
    { match = "^%s*[%w_]+%.server%s*[:+]?=", each = '"socket"%s*=>%s*("?[^",%s%)]*"?)', part = "socket",
      use = '"host" => "${upstream_host}", "port" => ${upstream_port}' },
    { match = "^%s*include_shell%s", why = "takes config from a program's output, which can send anywhere" },
  },
  must_set = {
    { directive = "^%s*server%.upload%-dirs[%s:+=]", default = "/var/tmp", example = 'server.upload-dirs = ( "${dir}" )' },
  },
  retries = { off = "retries off (lighttpd has no retry option)", on = "retries requested, but lighttpd has no retry option" },
  logs = { "access.log", "error.log" },
  -- the access line and every error.log line except server.c's (the "server started" /
  -- "server stopped" pair of every case): gw_backend.c / http-header-glue.c / ... lines such
  -- as "establishing connection failed: ...", "read timeout on socket", "response not
  -- received, request sent", "invalid HTTP status line"
  log_match = "\"[A-Z]+ /|\\(([^s)]|s[^e)]|se[^r)])[^)]*\\) ",
  -- How `badup explain` reads lighttpd's lines (docs/proxies.md, "explain").
  explain = {
    detect = {
      "\\([a-z0-9_-]+\\.c\\.<n>\\) ", -- the error log: (file.c.NNN) message
      -- its default access format (%h %V %u %t ...), whose second field is the Host the client
      -- asked for where every other common format has "-"
      "^<ip> [^ \"-][^ ]* [^ ]+ \\[<time>\\] \"",
    },
    tags = { "lighttpd" },
    masks = {
      -- the size of the request it sent, the host it names, the status line the upstream sent
      { pattern = "request sent: ([0-9]+)", groups = { 1 }, with = "<n>" },
      { pattern = " on ([^ ]*) are down", groups = { 1 }, with = "<host>" },
      { pattern = "invalid HTTP status line: (.*)$", groups = { 1 }, with = "<data>" },
    },
    signatures = {
      { kind = "lighttpd-message", label = "message", pattern = "\\([a-z0-9_-]+\\.c\\.<n>\\) (.+)$", group = 1 },
    },
    -- mod_proxy's reasons go to server.errorlog; an empty reply leaves none (see above)
    look_in = {
      log = "error.log",
      what = "the server.errorlog line of mod_proxy (\"(gw_backend.c.NNN) establishing connection failed ...\"); "
          .. "an empty reply leaves none",
    },
  },
}
