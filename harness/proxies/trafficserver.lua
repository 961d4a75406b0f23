-- Apache Traffic Server 9.2 as a reverse proxy: remap "/" to the upstream, HTTP cache off,
-- no cache storage, origin connections pooled (ATS's default). traffic_server runs by itself
-- in the foreground (no traffic_manager), as root (admin.user_id #-1), one exec thread.
-- A runroot.yaml points every ATS directory (config, run, log, cache) at the case folder,
-- flat, because the harness writes files only into the folder itself; binaries, plugins
-- and /etc/trafficserver/body_factory are only read.
-- Caveats:
--  * records.config timeouts are whole seconds: ${connect_timeout} / ${read_timeout}. The
--    inactivity timeout fires up to ~0.5 s late (2 s -> ~2.4 s).
--  * Client side, whole seconds too: accept_no_activity_timeout (${client_header_timeout}) is
--    the idle time of a new connection until its first byte; once a request has begun,
--    transaction_no_activity_timeout_in (${client_body_timeout}) is the idle timeout of the
--    client side, for the rest of the head and for the body. ATS has no timer for a head as
--    a whole. max_post_size (${max_body} bytes) answers 413 on a larger Content-Length; a
--    chunked body is not counted.
--  * Retries off = connect_attempts_max_retries 0 AND max_retries_dead_server 0 (defaults
--    3 and 1); down_server.cache_time 0 keeps ATS from answering from its "down server"
--    memory (default 60 s) so cases stay independent.
--  * Logs are buffered and written by a task that runs once a second; SIGTERM does NOT
--    flush them (lines of a fast case were lost), hence settle_ms = 1500, which the harness
--    also spends before the request: ~3 s per case (a TLS case 1.5 s more, for HostDB's host
--    file: upstream_tls.warmup_ms), plus ~1 s for traffic_server to exit.
--  * It spawns a traffic_crashlog helper in the same process group, which prints "missing
--    password database entry for '#-1'" (harmless, and left out by log_match).
--  * truncated_body and other mid-body failures: ATS mostly closes the client connection
--    without a byte (outcome "closed"), sometimes forwards "200+truncated": a race in ATS.

-- records.config of both modes: a reverse proxy that needs a remap rule, or a forward proxy
-- that sends each request where it names (CONNECT to the upstream's port only).
local function records_config(forward)
  return [[
CONFIG proxy.config.http.server_ports STRING ${proxy_port}:ip-in=127.0.0.1${client_tls}
CONFIG proxy.config.admin.user_id STRING #-1
CONFIG proxy.config.exec_thread.autoconfig INT 0
CONFIG proxy.config.exec_thread.limit INT 1
CONFIG proxy.config.accept_threads INT 1
CONFIG proxy.config.task_threads INT 1
]] .. (forward and [[
CONFIG proxy.config.reverse_proxy.enabled INT 0
CONFIG proxy.config.url_remap.remap_required INT 0
]] or [[
CONFIG proxy.config.reverse_proxy.enabled INT 1
CONFIG proxy.config.url_remap.remap_required INT 1
]]) .. [[
CONFIG proxy.config.url_remap.pristine_host_hdr INT 0
CONFIG proxy.config.http.cache.http INT 0
CONFIG proxy.config.http.wait_for_cache INT 0
CONFIG proxy.config.cache.ram_cache.size INT 0
CONFIG proxy.config.http.connect_attempts_timeout INT ${connect_timeout}
CONFIG proxy.config.http.transaction_no_activity_timeout_out INT ${read_timeout}
CONFIG proxy.config.http.transaction_no_activity_timeout_in INT ${client_body_timeout}
CONFIG proxy.config.http.accept_no_activity_timeout INT ${client_header_timeout}
CONFIG proxy.config.http.max_post_size INT ${max_body}
${retries}
CONFIG proxy.config.http.connect_attempts_rr_retries INT 0
CONFIG proxy.config.http.down_server.cache_time INT 0
CONFIG proxy.config.log.logfile_dir STRING ${dir}
CONFIG proxy.config.log.logging_enabled INT 3
CONFIG proxy.config.log.max_secs_per_buffer INT 1
CONFIG proxy.config.log.periodic_tasks_interval INT 1
CONFIG proxy.config.log.max_space_mb_headroom INT 10
CONFIG proxy.config.body_factory.template_sets_dir STRING /etc/trafficserver/body_factory
CONFIG proxy.config.diags.debug.enabled INT 0
CONFIG proxy.config.net.connections_throttle INT 1000
]] .. "${upstream_tls}"
      .. (forward and "CONFIG proxy.config.http.connect_ports STRING ${upstream_port}\n" or "")
end

return proxy {
  name = "trafficserver",
  summary = "Apache Traffic Server 9 reverse proxy (remap, no cache)",
  packages = { "trafficserver" },
  binary = { "/usr/bin/traffic_server", "traffic_server" },
  version = { args = { "--version" }, pattern = "Traffic Server (%d+%.%d+%.%d+)" },
  config = "records.config",
  -- One upstream: parent.config with the upstreams as origin servers (parent_is_proxy=false)
  -- needs parent_proxy.self_detect 0 (127.0.0.1 is ATS's own host: marked down), and even then
  -- 9.2 logged every request DIRECT to the remap rule's origin in a quick try: not written.
  upstreams = { max = 1, why = "its remap rule names one origin; parent selection is not written" },
  -- TLS upstreams: the remap rule names https://${upstream_url_host}:PORT (localhost over
  -- TLS). ATS sends the remapped request's host as SNI (sni_policy host) and checks the
  -- certificate against that same name, matching no IP SAN: with 127.0.0.1 in the rule, "SNI
  -- (127.0.0.1) not in certificate" for the valid certificate. verify.server.policy ENFORCED
  -- (9.2's default is PERMISSIVE: a failure is only logged) with properties ALL (the chain
  -- against ${upstream_ca}, the dates, the name): a certificate that fails ends the handshake,
  -- ERR_CONNECT_FAIL/502. HostDB resolves localhost from its own host file, `hosts` in the
  -- case folder, and from DNS otherwise (NXDOMAIN here: 500 "Unknown Host"); but it reads
  -- that file only in its background task, ~1 s after start, so a request sent as soon as
  -- the port listens is looked up in DNS: hence warmup_ms, in TLS cases only.
  -- No HTTP/2 upstream variant (upstream_http2): ATS 9 speaks HTTP/2 to clients only; its
  -- origin connections are HTTP/1.1 (HTTP/2 to origins came with ATS 10).
  upstream_tls = {
    warmup_ms = 1500,
    on = [[CONFIG proxy.config.ssl.client.verify.server.policy STRING ENFORCED
CONFIG proxy.config.ssl.client.verify.server.properties STRING ALL
CONFIG proxy.config.ssl.client.CA.cert.filename STRING ${upstream_ca}
CONFIG proxy.config.ssl.client.CA.cert.path STRING ${dir}
CONFIG proxy.config.hostdb.host_file.path STRING ${dir}/hosts
]],
    off = "",
  },
  files = {
    -- HostDB's host file (read only over TLS, host_file.path): the name the remap rule names
    ["hosts"] = "127.0.0.1 localhost\n",
    ["runroot.yaml"] = [[
prefix: /usr
exec_prefix: /usr
bindir: /usr/bin
sbindir: /usr/sbin
sysconfdir: ${dir}
datadir: /usr/share/trafficserver
includedir: /usr/include
libdir: /usr/lib/trafficserver
libexecdir: /usr/lib/trafficserver/modules
localstatedir: ${dir}
runtimedir: ${dir}
logdir: ${dir}
cachedir: ${dir}
]],
    ["records.config"] = records_config(false),
    ["remap.config"] = "map / ${upstream_scheme}://${upstream_url_host}:${upstream_port}/\n",
    ["ip_allow.yaml"] = [[
ip_allow:
  - apply: in
    ip_addrs: 127.0.0.1
    action: allow
    methods: ALL
  - apply: out
    ip_addrs: 127.0.0.1
    action: allow
    methods: ALL
]],
    -- crc: cache result code (ERR_CONNECT_FAIL, ERR_READ_TIMEOUT, ...), pssc: status to the
    -- client, sssc: origin status, cfsc/pfsc: client/proxy finish codes, ttms: total ms
    ["logging.yaml"] = [[
logging:
  formats:
    - name: badup
      format: '%<cqtq> %<ttms> %<chi> %<crc>/%<pssc> %<psql> %<cqhm> %<cquc> %<phr>/%<shn> sssc=%<sssc> cfsc=%<cfsc> pfsc=%<pfsc>'
  logs:
    - filename: access
      format: badup
      mode: ascii
]],
    -- present but empty: no cache storage, no plugins; the others only silence "cannot open"
    -- warnings at start-up
    ["storage.config"] = "",
    ["plugin.config"] = "",
    ["cache.config"] = "",
    ["parent.config"] = "",
    ["volume.config"] = "",
    ["ssl_multicert.config"] = "",
    ["sni.yaml"] = "sni: []\n",
    -- --client-tls: the port's certificate (read only when client_tls.on names this file)
    ["ssl_multicert_tls.config"] = "dest_ip=* ssl_cert_name=${proxy_cert} ssl_key_name=${proxy_key}\n",
  },
  -- --client-tls: the port takes TLS (:ssl) with the certificate of ssl_multicert_tls.config.
  client_tls = {
    on = ":ssl\nCONFIG proxy.config.ssl.server.multicert.filename STRING ${dir}/ssl_multicert_tls.config"
      -- the handshake gets the client header timeout (0, ATS's default, is none at all)
      .. "\nCONFIG proxy.config.ssl.handshake_timeout_in INT ${client_header_timeout}",
    off = "",
  },
  -- --client-http2: ATS speaks HTTP/2 to clients over TLS only, by ALPN (h2 is on a :ssl port's
  -- protocol list by default): the TLS text is client_tls's, nothing more. It has no h2c.
  client_http2 = { tls = "", off = "",
                   why = "Traffic Server speaks HTTP/2 to clients over TLS only (ALPN h2, no h2c): run with "
                      .. "--client-tls too" },
  -- records.config's timeouts are INT seconds (INT 0.5 would be no timeout at all); the
  -- body limit bytes.
  granularity = { connect_timeout = 1, read_timeout = 1, client_timeout = 1 },
  -- traffic_server never detaches by itself (traffic_manager would run it); records.config
  -- has no key for it.
  client = { header_timeout = "accept_no_activity_timeout (whole s, to the first byte)",
             body_timeout = "transaction_no_activity_timeout_in (whole s, idle)", max_body = "max_post_size" },
  command = { "${binary}", "--run-root=${dir}/runroot.yaml" },
  -- verify_config loads records.config, remap.config and the other files of -D and exits.
  check = { "${binary}", "--run-root=${dir}/runroot.yaml", "-C", "verify_config", "-D", "${dir}" },
  -- A relative folder in records.config is relative to the install prefix (/usr, see
  -- runroot.yaml); relative log file names are relative to the log folder, so only absolute
  -- ones are captured.
  paths_base = "/usr",
  -- One statement a line; '#' starts a comment as a line's first character; remap.config's
  -- rules may go on over lines ending in '\'.
  syntax = { comments = { "^#" }, continued = true },
  -- records.config names the files where ATS reads where to send (remap rules, parent proxies):
  -- read as part of it. Relative names are relative to the install prefix, like paths.
  includes = {
    "^%s*CONFIG%s+proxy%.config%.url_remap%.filename%s+STRING%s+(%S+)",
    "^%s*CONFIG%s+proxy%.config%.http%.parent_proxy%.file%s+STRING%s+(%S+)",
    "^%s*%.include%s+(%S+)",
  },
  include_folders = true, -- .include DIR reads every file in it (RemapConfig.cc)
  -- Where it sends: the replacement URL of each remap rule, the parents of parent.config; and
  -- without a remap rule required, or as a forward proxy, the host each request names.
  targets = {
    { match = "^%s*map%s+%S+%s+(%S+)" },
    { match = "^%s*map_with_referer%s+%S+%s+(%S+)" },
    { match = "^%s*map_with_recv_port%s+%S+%s+(%S+)" },
    { match = "^%s*regex_map%s+%S+%s+(%S+)" },
    { match = "^%s*regex_map_with_recv_port%s+%S+%s+(%S+)" },
    { match = '%sparent%s*=%s*"([^"]*)"', each = "([^;,%s|]+)[^;,%s]*" },
    { match = '%sparent%s*=%s*([^"%s]+)', each = "([^;,%s|]+)[^;,%s]*" },
    { match = "^%s*CONFIG%s+proxy%.config%.url_remap%.remap_required%s+INT%s+0%f[%D]",
      why = "sends a request that no remap rule maps to the host it names" },
    { match = "^%s*CONFIG%s+proxy%.config%.reverse_proxy%.enabled%s+INT%s+0%f[%D]",
      why = "sends each request to the host it names (a forward proxy)" },
  },
  paths = {
    "^%s*CONFIG%s+proxy%.config%.log%.logfile_dir%s+STRING%s+(%S+)",
    "^%s*CONFIG%s+proxy%.config%.local_state_dir%s+STRING%s+(%S+)",
    "^%s*CONFIG%s+proxy%.config%.hostdb%.storage_path%s+STRING%s+(%S+)",
    "^%s*CONFIG%s+proxy%.config%.diags%.logfile%.filename%s+STRING%s+(/%S*)",
    "^%s*CONFIG%s+proxy%.config%.error%.logfile%.filename%s+STRING%s+(/%S*)",
    "^%s*CONFIG%s+proxy%.config%.output%.logfile[%w_.]*%s+STRING%s+(/%S*)",
    "^%s*CONFIG%s+proxy%.config%.ssl%.keylog_file%s+STRING%s+(%S+)",
  },
  retries = {
    off = "CONFIG proxy.config.http.connect_attempts_max_retries INT 0\nCONFIG proxy.config.http.connect_attempts_max_retries_dead_server INT 0",
    on = "CONFIG proxy.config.http.connect_attempts_max_retries INT 3\nCONFIG proxy.config.http.connect_attempts_max_retries_dead_server INT 1",
  },
  logs = { "access.log", "error.log", "diags.log" },
  -- the access line (crc/pssc: ERR_CONNECT_FAIL/502, ERR_READ_TIMEOUT/504, ...; its URL is
  -- https:// over TLS), error.log's "CONNECT: ..." lines, and traffic_server's own errors in
  -- diags.log / stderr
  log_match = " [A-Z]+ https?://|CONNECT: |traffic_server (ERROR|FATAL|ALERT|EMERGENCY)",
  ready_timeout = 30,
  -- access.log is written by a flush task about once a second and not on SIGTERM: wait before
  -- stopping
  settle_ms = 1500,
  stop_grace_ms = 300, -- its logs are flushed by then (settle_ms); SIGTERM takes ~1 s more
  -- How `badup explain` reads trafficserver's lines (docs/proxies.md, "explain"). Its access
  -- lines are in squid's native format, which badup reads itself (the result code).
  explain = {
    detect = {
      " sssc=[^ ]+ cfsc=",   -- the access format above
      "^<time> CONNECT: ",   -- error.log
      -- its default squid format, which lacks sssc=: a hierarchy route without squid's HIER_
      -- prefix (squid 2 wrote none either; squid 3 on writes HIER_DIRECT)
      " (TIMEOUT_)?DIRECT/",
      " NONE/-",
    },
    tags = { "traffic_server", "trafficserver", "traffic_manager" },
    signatures = {
      { kind = "trafficserver-codes", label = "status codes", pattern = "(sssc=[^ ]+ cfsc=[^ ]+ pfsc=[^ ]+)", group = 1 },
      { kind = "trafficserver-connect", label = "connect error", pattern = "CONNECT: ([A-Za-z ]+)", group = 1 },
    },
    -- its default squid format ends at the content type
    fields = {
      { name = "sssc= cfsc= pfsc=", pattern = " sssc=[^ ]+ cfsc=[^ ]+ pfsc=[^ ]+", kind = "trafficserver-codes",
        anchor = "squid-code",
        meaning = "trafficserver's %<sssc> %<cfsc> %<pfsc>: the origin's status and how the client and proxy "
               .. "sides finished; its default squid format lacks them" },
    },
    -- the result code (%<crc>) is trafficserver's verdict, on the access line itself
    look_in = {
      log = "access.log",
      what = "the result code on the access line (%<crc>: ERR_CONNECT_FAIL, ERR_READ_TIMEOUT) and error.log's "
          .. "CONNECT lines",
    },
  },
  -- Forward mode (docs/proxies.md, "Forward mode"): reverse_proxy.enabled 0 and
  -- remap_required 0 (each request goes where its URL says), CONNECT to the upstream's port
  -- only (connect_ports, an allow-list: any other port is 403), absolute-form GET to port 9
  -- denied by a remap rule's ACL (@action=deny: 403). The other files are the reverse ones.
  -- ATS 9.2 answers `200 OK` to a CONNECT to a port that refuses connections.
  forward = {
    files = {
      ["records.config"] = records_config(true),
      ["remap.config"] = "map http://127.0.0.1:9/ http://127.0.0.1:9/ @action=deny @src_ip=0.0.0.0-255.255.255.255\n",
    },
    auth = false,
    why_no_auth = "no built-in Basic proxy authentication (only through a plugin)",
  },
}
