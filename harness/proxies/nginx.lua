-- nginx as a reverse proxy, configured the way production configs usually are: HTTP/1.1
-- to the upstream with a keep-alive pool (so keepalive_race means something).
-- Timeouts in ms. The error log says why a 502/504 happened ("upstream prematurely
-- closed connection while reading response header from upstream").
-- Client side (${client_header_timeout_ms} etc.): client_header_timeout is the time to the
-- end of the request head, counted from the connection's first read (a whole-head timer,
-- not idle; 408 is logged, the connection closed without a response); client_body_timeout
-- is idle, between two reads of the body (408); client_max_body_size is checked against
-- Content-Length before the body is read (413), and against the bytes of a chunked body.
return proxy {
  name = "nginx",
  summary = "nginx reverse proxy (proxy_pass, upstream keepalive)",
  packages = { "nginx" },
  binary = { "/usr/sbin/nginx", "nginx" },
  version = { args = { "-v" }, pattern = "nginx/(%d+%.%d+%.%d+)" },
  config = "nginx.conf",
  -- Several upstreams: one `server` line each in the upstream block, nginx's defaults kept
  -- (round robin from the first; max_fails=1 fail_timeout=10s: a server that failed is left
  -- out for 10 s). Without --retries, proxy_next_upstream off: a failure is the client's;
  -- with it, the next server gets the request (error, timeout, ...).
  upstreams = { each = "server ${upstream_host}:${upstream_port};", join = "\n        " },
  files = {
    ["nginx.conf"] = [[
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;

events { worker_connections ${max_connections}; }

http {
    log_format badup '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                     'rt=$request_time ua="$upstream_addr" us="$upstream_status" '
                     'uct="$upstream_connect_time" urt="$upstream_response_time"';
    access_log ${dir}/access.log badup;
    client_header_timeout ${client_header_timeout_ms}ms;
    client_body_timeout   ${client_body_timeout_ms}ms;
    client_max_body_size  ${max_body};
    client_body_temp_path ${dir}/client_body;
    # request bodies up to 1 MiB stay in memory: a body buffered to a file makes nginx warn
    # with the file's path (the case folder's), which no log line of a case should carry
    client_body_buffer_size 1m;
    proxy_temp_path       ${dir}/proxy_temp;
    fastcgi_temp_path     ${dir}/fastcgi_temp;
    uwsgi_temp_path       ${dir}/uwsgi_temp;
    scgi_temp_path        ${dir}/scgi_temp;

    upstream up {
        ${upstream_servers}
        keepalive 8;
    }

    server {
        listen 127.0.0.1:${proxy_port}${client_http2}${client_tls};
        location / {
            proxy_pass ${upstream_scheme}://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout ${connect_timeout_ms}ms;
            proxy_read_timeout    ${read_timeout_ms}ms;
            proxy_send_timeout    ${read_timeout_ms}ms;
            ${retries}${upstream_tls}
        }
    }
}
]],
  },
  -- No HTTP/2 upstream variant (upstream_http2): proxy_http_version takes 1.0 or 1.1 only.
  -- nginx speaks HTTP/2 upstream only through grpc_pass (ngx_http_grpc_module), which is
  -- gRPC's proxy, not an HTTP one: it sends te: trailers and maps errors to gRPC's, and a
  -- deployment proxying HTTP does not use it.
  -- TLS upstreams: proxy_pass https://, the upstream's certificate verified against the run
  -- CA for ${upstream_tls_name} (nginx checks the name against the certificate's SAN, and
  -- sends it as SNI with proxy_ssl_server_name). A failed verification ends the handshake:
  -- "upstream SSL certificate verify error" in the error log, 502 to the client.
  upstream_tls = {
    on = [[

            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${upstream_ca};
            proxy_ssl_name ${upstream_tls_name};
            proxy_ssl_server_name on;]],
    off = "",
  },
  client = { header_timeout = "client_header_timeout", body_timeout = "client_body_timeout",
             max_body = "client_max_body_size" },
  command = { "${binary}", "-p", "${dir}", "-e", "${dir}/error.log", "-c", "${dir}/nginx.conf" },
  -- nginx -t parses the config and opens its files, no socket; -e first: before it reads the
  -- config, nginx opens its built-in error log (/var/log/nginx/error.log).
  check = { "${binary}", "-t", "-q", "-p", "${dir}", "-e", "${dir}/error.log", "-c", "${dir}/nginx.conf" },
  -- What a config line makes nginx write (a relative path is relative to -p ${dir}).
  paths = {
    "^%s*pid%s+(%S+)",
    "^%s*error_log%s+(%S+)",            -- also syslog:server=... (an address) and stderr
    "^%s*access_log%s+(%S+)",           -- off, a file, or syslog:...
    "^%s*lock_file%s+(%S+)",
    "^%s*[%w_]+_temp_path%s+(%S+)",     -- client_body_, proxy_, fastcgi_, uwsgi_, scgi_
    "^%s*[%w_]+_cache_path%s+(%S+)",    -- proxy_cache_path and its siblings
    "^%s*working_directory%s+(%S+)",    -- where workers dump core
    "^%s*listen%s+(unix:%S+)",          -- a unix socket
    "^%s*google_perftools_profiles%s+(%S+)",
  },
  includes = { "^%s*include%s+(%S+)" },
  -- A statement runs to its ';' over lines (`access_log\n    /x.log;` writes /x.log), a string
  -- may span lines, a quote opens one and '#' starts a comment only at a word's start (`a"b`
  -- and `it's` are words), '\' escapes anywhere (`\"` and `\;` are characters of a word;
  -- ngx_conf_file.c). The entries of these blocks are keys and values, never directives:
  -- `map $a $b { daemon off; }` says nothing about daemon.
  syntax = {
    ends = ";", blocks = "{}", strings = "multiline", word_escapes = true,
    data = { "^map%s", "^geo%s", "^types$", "^split_clients%s", "^charset_map%s" },
  },
  -- Where a config sends requests: the *_pass directives (a URL, an address, or the name of
  -- an upstream block) and the servers of upstream blocks (http and stream). A name without a
  -- port is fine when it is an upstream block of the config (`groups`), whose servers are
  -- judged where they are. Scripts can send anywhere (njs's ngx.fetch, perl).
  targets = {
    { match = "^%s*proxy_pass%s+(%S+)" },
    { match = "^%s*grpc_pass%s+(%S+)" },
    { match = "^%s*fastcgi_pass%s+(%S+)" },
    { match = "^%s*uwsgi_pass%s+(%S+)" },
    { match = "^%s*scgi_pass%s+(%S+)" },
    { match = "^%s*memcached_pass%s+(%S+)" },
    { match = "^%s*server%s+(%S+)" },
    { match = "^%s*js_import%s", why = "runs JavaScript (njs), which can send requests anywhere (ngx.fetch)" },
    { match = "^%s*js_include%s", why = "runs JavaScript (njs), which can send requests anywhere (ngx.fetch)" },
    { match = "^%s*perl_require%s", why = "runs Perl, which can send requests anywhere" },
    { match = "^%s*perl_modules%s", why = "runs Perl, which can send requests anywhere" },
  },
  groups = { "^upstream%s+(%S+)$" },
  -- Debian's nginx was built with these outside the case folder (nginx -V); it creates the
  -- temp folders at start even when nothing is buffered.
  must_set = {
    { directive = "^%s*pid%s", default = "/run/nginx.pid", example = "pid ${dir}/nginx.pid;", context = "main" },
    { directive = "^%s*access_log%s", default = "/var/log/nginx/access.log", example = "access_log ${dir}/access.log;" },
    { directive = "^%s*client_body_temp_path%s", default = "/var/lib/nginx/body",
      example = "client_body_temp_path ${dir}/client_body;" },
    { directive = "^%s*proxy_temp_path%s", default = "/var/lib/nginx/proxy", example = "proxy_temp_path ${dir}/proxy_temp;" },
    { directive = "^%s*fastcgi_temp_path%s", default = "/var/lib/nginx/fastcgi",
      example = "fastcgi_temp_path ${dir}/fastcgi_temp;" },
    { directive = "^%s*uwsgi_temp_path%s", default = "/var/lib/nginx/uwsgi", example = "uwsgi_temp_path ${dir}/uwsgi_temp;" },
    { directive = "^%s*scgi_temp_path%s", default = "/var/lib/nginx/scgi", example = "scgi_temp_path ${dir}/scgi_temp;" },
  },
  -- nginx detaches unless its config says `daemon off;`, and the command line cannot say it
  -- instead: -g 'daemon off;' makes nginx refuse any config with a daemon line, off or on
  -- ("daemon" directive is duplicate). So the config must hold `daemon off;`, in the main
  -- context: nowhere else does nginx read it.
  foreground = {
    detaches = { "^%s*daemon%s+[\"']?[Oo][Nn][\"']?$" },
    stays = "^%s*daemon%s+[\"']?[Oo][Ff][Ff][\"']?$",
    example = "daemon off;",
    context = "main",
  },
  -- --client-tls: `ssl` on the listen line, then the certificate and key (the listen's `;`
  -- closes the last directive). Plain HTTP on the TLS port is answered 400 "The plain HTTP
  -- request was sent to HTTPS port" (ngx_http_request.c), logged in access.log.
  client_tls = {
    on = " ssl;\n        ssl_certificate     ${proxy_cert};\n        ssl_certificate_key ${proxy_key}",
    off = "",
  },
  -- --client-http2: `http2` on the listen line, before ${client_tls} (whose text ends the
  -- directive): h2c with prior knowledge on a plain port (nginx 1.22 takes no Upgrade), ALPN h2
  -- with ssl. The access log's $request says "GET /... HTTP/2.0". A body cut short upstream is
  -- RST_STREAM INTERNAL_ERROR to the client (ngx_http_v2_finalize_connection ... the stream's
  -- request finalized with an error).
  client_http2 = { on = " http2", off = "" },
  retries = { off = "proxy_next_upstream off;", on = "proxy_next_upstream error timeout invalid_header http_502 http_504 non_idempotent;" },
  logs = { "access.log", "error.log" },
  log_match = "\\[(error|warn|crit|alert)\\]|\"[A-Z]+ /",
  -- How `badup explain` reads nginx's lines (docs/proxies.md, "explain").
  explain = {
    detect = {
      "\\[(emerg|alert|crit|error|warn|notice|info|debug)\\] <n>#<n>: ", -- the error log: [level] pid#tid:
      " ua=\"[^\"]*\" us=\"",                                            -- the access format above
    },
    tags = { "nginx" },
    masks = {
      -- a deployment's server_name and the Host asked for
      { pattern = ", server: ([^,]*),", groups = { 1 }, with = "<host>" },
      { pattern = ", host: \"([^\"]*)\"", groups = { 1 }, with = "<host>" },
      -- a header the upstream sent, quoted back. nginx stops its quote at the offending byte
      -- and escapes it (\x00 a NUL, \x20 a blank), which tells the fault: that part stays
      { pattern = "header: \"([^\"\\\\]+)", groups = { 1 }, with = "<data>" },
    },
    signatures = {
      -- the error log's message, after the pid#tid and the *connection id
      { kind = "nginx-message", label = "message", group = 3,
        pattern = "\\[(emerg|alert|crit|error|warn|notice|info)\\] <n>#<n>: (\\*<n> )?([^,]+)" },
    },
    -- The access format above adds what nginx's default (combined) lacks: none of the
    -- upstream's variables is in it.
    fields = {
      { name = "rt=", pattern = " rt=[^ ]+", anchor = "status",
        meaning = "nginx's $request_time; its combined format lacks it" },
      { name = "ua=", pattern = " ua=\"[^\"]*\"", anchor = "status",
        meaning = "nginx's $upstream_addr; its combined format lacks it" },
      { name = "us=", pattern = " us=\"[^\"]*\"", anchor = "status",
        meaning = "nginx's $upstream_status: what the upstream answered, if anything; its combined format lacks it" },
      { name = "uct=", pattern = " uct=\"[^\"]*\"", anchor = "status",
        meaning = "nginx's $upstream_connect_time; its combined format lacks it" },
      { name = "urt=", pattern = " urt=\"[^\"]*\"", anchor = "status",
        meaning = "nginx's $upstream_response_time; its combined format lacks it" },
    },
    -- nginx's access log has no reason field in any format; the error log has the message
    look_in = {
      log = "error.log",
      what = "the error_log line of the same request (\"upstream prematurely closed connection while reading "
          .. "response header from upstream\")",
    },
  },
}
