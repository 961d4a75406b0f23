-- apache2 (httpd 2.4, mpm_event) + mod_proxy_http as a reverse proxy: ProxyPass / to the
-- upstream, backend connections pooled and reused (mod_proxy's default), no cache module.
-- The config loads its own modules and never includes /etc/apache2/apache2.conf; ServerRoot
-- /etc/apache2 is only read. Apache refuses to serve as root: children run as www-data and
-- write nothing (the root parent opens the logs and the pid file).
-- Caveats:
--  * timeout= is atoi() whole seconds (">= 1"): "2000ms" would be read as 2000 s, so it gets
--    ${read_timeout}, which must be an integer (the default 2 is). connectiontimeout= takes ms.
--  * retry=0: by default a worker that failed once is "in error" for 60 s and every request
--    meanwhile gets an instant 503 without trying the upstream; retry=0 keeps cases independent.
--  * Apache never re-sends a request to the same worker. Retries exist only across balancer
--    members: with --retries, a one-member balancer with maxattempts=2 takes over "/" (the
--    first matching ProxyPass wins), without it the line is commented out. That re-tries
--    connect failures only (up to 3 tries), not an empty reply or a reset.
--  * Known deviations: 503 on a refused connection, 502 (not 504) on a read timeout.
--  * Client side: mod_reqtimeout's RequestReadTimeout takes whole seconds (an integer:
--    ${client_header_timeout} / ${client_body_timeout}, which --client-timeout must keep
--    whole). Without MinRate, header=N is a total for the whole head (408) and body=N a
--    total for the whole body, not an idle timeout. The body limit is NOT LimitRequestBody:
--    httpd skips it for proxied requests (http_filters.c: no limit when r->proxyreq; a 2 MiB
--    body went through to the upstream under LimitRequestBody 1048576). A mod_rewrite rule
--    answers 413 on a Content-Length above ${max_body} instead (it runs before mod_proxy's
--    translate_name); a chunked body of any size passes.

-- apache2.conf of both modes: the same MPM, logs, client-side knobs; each mode its own
-- modules and proxy sections (a reverse proxy's ProxyPass, a forward proxy's ProxyRequests).
local function apache2_conf(modules, proxying)
  return [[
ServerRoot "/etc/apache2"
ServerName 127.0.0.1
Listen 127.0.0.1:${proxy_port}${client_tls}${client_http2}
PidFile ${dir}/apache2.pid
DefaultRuntimeDir ${dir}
Mutex file:${dir} default
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
]] .. modules .. [[
User www-data
Group www-data
StartServers 1
ServerLimit 1
ThreadsPerChild 25
MinSpareThreads 5
MaxSpareThreads 25
MaxRequestWorkers 25
ErrorLog ${dir}/error.log
LogLevel warn proxy:info proxy_http:info
LogFormat "%a %t \"%r\" %>s %b %D %{ms}Tms" badup
CustomLog ${dir}/access.log badup
RequestReadTimeout header=${client_header_timeout} body=${client_body_timeout}
RewriteEngine On
RewriteCond %{HTTP:Content-Length} -gt${max_body}
RewriteRule ^ - [R=413,L]
]] .. proxying
end

return proxy {
  name = "apache2",
  summary = "apache2 2.4 + mod_proxy_http reverse proxy (ProxyPass, retry=0)",
  packages = { "apache2" },
  binary = { "/usr/sbin/apache2", "apache2" },
  version = { args = { "-v" }, pattern = "Apache/(%d+%.%d+%.%d+)" },
  config = "apache2.conf",
  -- Several upstreams: a BalancerMember each; the balancer (byrequests, from the first) takes
  -- "/" whatever --retries says. With it, maxattempts=2 (a failed connect goes to the next
  -- member); without, maxattempts=0: no other member is tried.
  upstreams = {
    each = 'BalancerMember "${upstream_scheme}://${upstream_url_host}:${upstream_port}" connectiontimeout=${connect_timeout_ms}ms timeout=${read_timeout} retry=0',
    join = "\n    ",
    retries = { on = "", off = "ProxyPass / balancer://up/ maxattempts=0\n# retries off: " },
  },
  files = {
    ["apache2.conf"] = apache2_conf([[
LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule proxy_balancer_module /usr/lib/apache2/modules/mod_proxy_balancer.so
LoadModule slotmem_shm_module /usr/lib/apache2/modules/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module /usr/lib/apache2/modules/mod_lbmethod_byrequests.so
]], [[
ProxyRequests Off
${upstream_tls}${upstream_http2}
<Proxy "balancer://up">
    ${upstream_servers}
</Proxy>
${retries}ProxyPass / balancer://up/ maxattempts=2
ProxyPass        / ${upstream_scheme}://${upstream_url_host}:${upstream_port}/ connectiontimeout=${connect_timeout_ms}ms timeout=${read_timeout} retry=0
ProxyPassReverse / ${upstream_scheme}://${upstream_url_host}:${upstream_port}/
]]),
  },
  -- TLS upstreams: mod_ssl loaded, https:// in ProxyPass and BalancerMember, the upstream's
  -- certificate verified against the run CA (SSLProxyVerify require), its dates checked and
  -- its name checked (SSLProxyCheckPeerName). httpd has no directive for the name to check
  -- or to send as SNI: it takes the URL's host, and matches no IP SAN ("Peer certificate does
  -- not match for hostname 127.0.0.1" for a certificate that has it). So the URLs name the
  -- upstream ${upstream_url_host}: ${upstream_tls_name} (localhost) over TLS, which httpd
  -- checks and sends as SNI; it resolves it, and tries each address in turn (::1, refused,
  -- then 127.0.0.1); plain, ${upstream_host} as always. A certificate that fails the check
  -- ends the handshake ("SSL Proxy: Peer certificate ..."): 500 or 502 to the client.
  upstream_tls = {
    on = [[LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
SSLProxyEngine on
SSLProxyVerify require
SSLProxyVerifyDepth 2
SSLProxyCACertificateFile ${upstream_ca}
SSLProxyCheckPeerName on
SSLProxyCheckPeerExpire on
]],
    off = "",
  },
  -- HTTP/2 upstreams: mod_proxy_http2 (with mod_http2, whose nghttp2 session it uses),
  -- loaded only then; ${upstream_scheme} is h2c in an HTTP/2 case (h2 over TLS), the scheme
  -- mod_proxy hands a URL to mod_proxy_http2 by. The client side stays HTTP/1.1 (no
  -- Protocols line).
  upstream_http2 = {
    on = [[LoadModule http2_module /usr/lib/apache2/modules/mod_http2.so
LoadModule proxy_http2_module /usr/lib/apache2/modules/mod_proxy_http2.so
]],
    off = "",
  },
  -- timeout= and ProxyTimeout (${read_timeout}) and RequestReadTimeout take whole seconds;
  -- connectiontimeout= takes ms, the body limit bytes.
  granularity = { read_timeout = 1, client_timeout = 1 },
  -- --client-tls: mod_ssl, loaded only then, on the main server (the one Listen); its session
  -- cache is left out (mod_ssl warns and runs without one). The handshake gets the client
  -- header timeout (mod_reqtimeout's handshake stage; without it, Timeout's 60 s).
  client_tls = {
    on = "\nLoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\nSSLEngine on\n"
      .. "SSLCertificateFile ${proxy_cert}\nSSLCertificateKeyFile ${proxy_key}\n"
      .. "RequestReadTimeout handshake=${client_header_timeout}",
    off = "",
  },
  -- --client-http2: mod_http2 (mpm_event is loaded), loaded only then. h2c: Protocols h2c
  -- with H2Direct on (prior knowledge; without it only an Upgrade would switch); over TLS
  -- ALPN h2 (H2Direct is not needed there). The access log's %r says HTTP/2.0.
  client_http2 = {
    on = "\nLoadModule http2_module /usr/lib/apache2/modules/mod_http2.so\nProtocols h2c http/1.1\nH2Direct on",
    tls = "\nLoadModule http2_module /usr/lib/apache2/modules/mod_http2.so\nProtocols h2 http/1.1",
    off = "",
  },
  client = { header_timeout = "RequestReadTimeout header= (whole s, total)",
             body_timeout = "RequestReadTimeout body= (whole s, total)",
             max_body = "RewriteRule [R=413] if Content-Length > N (chunked: none)" },
  command = { "${binary}", "-DFOREGROUND", "-f", "${dir}/apache2.conf" },
  -- apache2 -t parses the config and loads the modules; it opens no log and binds nothing.
  check = { "${binary}", "-t", "-f", "${dir}/apache2.conf" },
  -- Relative paths are relative to ServerRoot (/etc/apache2), never to the case folder.
  paths_base = "/etc/apache2",
  -- One statement a line, continued by a '\' at its end; '#' starts a comment only as a
  -- line's first character (`ErrorLog x #y` has two arguments); a quote opens a string only at
  -- a word's start (`it's` is a word; ap_getword_conf); <Section>...</Section> are blocks.
  -- Directive names are case-insensitive: patterns see them lowercased.
  syntax = { comments = { "^#" }, continued = true, case = "insensitive", blocks = { open = "^<%a", close = "^</" } },
  -- What a config line makes apache write.
  paths = {
    '^%s*pidfile%s+"?([^"%s]+)',
    '^%s*errorlog%s+"?([^"%s]+)',       -- also syslog:facility and "|program"
    '^%s*customlog%s+"?([^"%s]+)',
    '^%s*transferlog%s+"?([^"%s]+)',
    '^%s*globallog%s+"?([^"%s]+)',
    '^%s*forensiclog%s+"?([^"%s]+)',
    '^%s*scriptlog%s+"?([^"%s]+)',
    '^%s*scriptsock%s+"?([^"%s]+)',
    '^%s*mutex%s+%a+:([^%s]+)',         -- file:DIR, fcntl:DIR, flock:DIR
    '^%s*defaultruntimedir%s+"?([^"%s]+)',
    '^%s*coredumpdirectory%s+"?([^"%s]+)',
    '^%s*scoreboardfile%s+"?([^"%s]+)',
    '^%s*sslsessioncache%s+%a+:([^%(%s]+)',  -- shmcb:PATH(SIZE), dbm:PATH
    '^%s*sslstaplingcache%s+%a+:([^%(%s]+)',
    '^%s*cacheroot%s+"?([^"%s]+)',
    '^%s*davlockdb%s+"?([^"%s]+)',
  },
  includes = { '^%s*include%s+"?([^"%s]+)', '^%s*includeoptional%s+"?([^"%s]+)' },
  include_folders = true, -- Include DIR reads every file under it, sub-folders too
  -- Debian's apache2 -V: DEFAULT_PIDLOG /run/apache2.pid; the error log and the runtime
  -- folder default to logs/ under ServerRoot. Only a statement outside every section sets
  -- them: in an <IfModule> that is not loaded it does nothing, and a <VirtualHost>'s ErrorLog
  -- leaves the server's own at its default.
  must_set = {
    { directive = "^%s*pidfile%s", default = "/run/apache2.pid", example = "PidFile ${dir}/apache2.pid", context = "main" },
    { directive = "^%s*errorlog%s", default = "/etc/apache2/logs/error_log", example = "ErrorLog ${dir}/error.log",
      context = "main" },
    { directive = "^%s*defaultruntimedir%s", default = "/etc/apache2/logs/", example = "DefaultRuntimeDir ${dir}",
      context = "main" },
  },
  -- -DFOREGROUND keeps it in the foreground, but UnDefine acts while the config is read,
  -- before the MPM looks for FOREGROUND: `UnDefine FOREGROUND` makes apache2 detach.
  foreground = { detaches = { '^%s*(undefine%s+"?FOREGROUND"?)' } },
  -- Where a config sends: ProxyPass and its kin (the URL after the path, or alone in a
  -- <Location>; `!` and key=value are not targets), BalancerMember (in a <Proxy balancer://>
  -- section, or after the balancer's URL), RewriteRule with the proxy flag [P], a remote
  -- proxy (ProxyRemote), a handler that proxies (SetHandler "proxy:fcgi://..."). A
  -- balancer://NAME is fine when the config declares its members. A forward proxy and Lua
  -- send where the check cannot follow.
  targets = {
    { match = '^%s*proxypass%s+"?([^"%s]+)', skip = "^[^:]*$" },
    { match = '^%s*proxypass%s+"?[^"%s]+"?%s+"?([^"%s]+)', skip = "^[%w-]*[=!]" },
    { match = '^%s*proxypassmatch%s+"?([^"%s]+)', skip = "^[^:]*$" },
    { match = '^%s*proxypassmatch%s+"?[^"%s]+"?%s+"?([^"%s]+)', skip = "^[%w-]*[=!]" },
    { match = '^%s*proxypassreverse%s+"?([^"%s]+)', skip = "^[^:]*$" },
    { match = '^%s*proxypassreverse%s+"?[^"%s]+"?%s+"?([^"%s]+)', skip = "^[%w-]*[=!]" },
    { match = '^%s*balancermember%s+"?([^"%s]+)' },
    { match = '^%s*balancermember%s+"?balancer://[^"%s]*"?%s+"?([^"%s]+)', skip = "^[%w-]*[=!]" },
    { match = '^%s*rewriterule%s+%S+%s+"?([^"%s]+)"?%s+%[[^%]]*%f[%w][Pp][Rr]?[Oo]?[Xx]?[Yy]?%f[^%w][^%]]*%]' },
    { match = '^%s*proxyremote%s+%S+%s+"?([^"%s]+)' },
    { match = '^%s*proxyremotematch%s+%S+%s+"?([^"%s]+)' },
    { match = '^%s*sethandler%s+"?proxy:([^"%s]+)' },
    { match = '^%s*addhandler%s+"?proxy:([^"%s]+)' },
    { match = "^%s*proxyrequests%s+[Oo][Nn]", why = "sends each request to the host its URL names (a forward proxy)" },
    { match = "^%s*lua%a+%s", why = "runs Lua, which can send requests anywhere" },
  },
  groups = { '^<proxy%s+"?(balancer://[^"/%s>]+)', '^%s*balancermember%s+"?(balancer://[^"/%s]+)' },
  retries = { off = "# retries off: ", on = "" },
  logs = { "access.log", "error.log" },
  log_match = ":(error|warn|crit|alert|emerg)\\]|\"[A-Z]+ /",
  -- How `badup explain` reads apache's lines (docs/proxies.md, "explain").
  explain = {
    detect = {
      "\\[[a-z_]+:(emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\\] \\[pid ", -- [module:level] [pid
      "AH[0-9]{5}: ",
    },
    tags = { "apache2", "httpd", "apache" },
    masks = {
      -- the backend a deployment names, in AH01102, AH01114 and AH00957
      { pattern = "remote server ([^ ,]+)", groups = { 1 }, with = "<host>" },
      { pattern = "connection to backend: ([^ ,]+)", groups = { 1 }, with = "<host>" },
      { pattern = "attempt to connect to ([^ ]+) \\(([^)]*)\\)", groups = { 1, 2 }, with = "<host>" },
    },
    signatures = {
      -- every AH code of the line, and the errno apache quotes before its text: "(111)Connection refused"
      { kind = "apache-code", label = "code", pattern = "AH[0-9]{5}", all = true },
      { kind = "apache-error", label = "error", pattern = "\\] (\\([0-9]+\\)[^:]+):", group = 1 },
    },
    -- mod_proxy writes the reason to the error log; the access log has no field for it
    look_in = {
      log = "error.log",
      what = "the ErrorLog line of the same request, with mod_proxy's AH code and errno "
          .. "(\"(111)Connection refused: AH00957\", \"AH01102: error reading status line\")",
    },
  },
  -- Forward mode (docs/proxies.md, "Forward mode"): ProxyRequests On, CONNECT through
  -- mod_proxy_connect to the upstream's port only (AllowCONNECT takes a list of ports, and
  -- the upstream's is ephemeral), port 9 denied for absolute-form GET by a <ProxyMatch> (and
  -- for CONNECT by AllowCONNECT: 403); Basic proxy authentication by mod_auth_basic, which
  -- answers a proxy request with 407 and Proxy-Authenticate. Logging, timeouts and paths are
  -- the reverse file's.
  forward = {
    files = {
      ["apache2.conf"] = apache2_conf([[
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule proxy_connect_module /usr/lib/apache2/modules/mod_proxy_connect.so
LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
]], [[
ProxyRequests On
ProxyTimeout ${read_timeout}
AllowCONNECT ${upstream_port}

<Proxy "*">
    Require all granted
</Proxy>
${auth}
<ProxyMatch "^(http://)?[^/]+:9(/|$)">
    Require all denied
</ProxyMatch>
]]),
    },
    -- a later <Proxy> section's Require replaces the one above (AuthMerging Off)
    auth = [[
<Proxy "*">
    AuthType Basic
    AuthName "badup"
    AuthBasicProvider file
    AuthUserFile ${auth_file}
    Require valid-user
</Proxy>]],
  },
}
