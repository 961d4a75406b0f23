-- tinyproxy 1.11 in reverse-proxy mode (ReversePath "/" -> upstream, ReverseOnly: no
-- forward proxying), one connection per request, runs as root in the foreground (-d).
-- Caveats:
--  * ONE timeout, `Timeout`, whole seconds (${read_timeout}): an idle timeout on both sides,
--    which also bounds connect() (no separate connect timeout: a blackholed upstream gets
--    500 after the read timeout, 2 s, not after ${connect_timeout}).
--  * Client side: none of its own. Timeout above is also the idle timeout of reads from the
--    client (head and body), but it carries the upstream read timeout, which the upstream
--    scenarios are written against: giving it the client timeout instead would move them.
--    So both timeouts are declared false (the client sees ${read_timeout} there), and
--    tinyproxy has no request body limit.
--  * A refused or timed-out connect gets 500. Anything that goes wrong after the request was
--    sent (empty reply, reset, read timeout) closes the client connection WITHOUT a byte
--    (outcome "closed"). A header line without a colon is passed on. No retries, no option
--    (--retries changes nothing).
--  * No access log with status codes: tinyproxy.log (LogLevel Info) has several lines per
--    request. log_match keeps the request line and the cause ("opensock: Could not establish
--    a connection", "process_server_headers failed: Connection reset by peer" /
--    "...: Resource temporarily unavailable" = the read timeout / "...: Success" = EOF), not
--    the readiness probe's "read_request_line: Client ... closed socket before read" nor the
--    "You SHOULD set a UserName" warning.
-- A line of its log, as explain reads it (see explain below): LEVEL time [pid]: message.
local LOGLINE = "^(CONNECT|ERROR|WARNING|INFO|NOTICE|CRITICAL|DEBUG) +<time> \\[<n>\\]: "

-- What both modes' tinyproxy.conf start with: listener, timeout, logging, who may connect.
local tinyproxy_common = [[
# ${retries}
Port ${proxy_port}
Listen 127.0.0.1
Timeout ${read_timeout}
LogFile "${dir}/tinyproxy.log"
LogLevel Info
PidFile "${dir}/tinyproxy.pid"
MaxClients 50
Allow 127.0.0.1
]]

-- No client_tls: tinyproxy has no TLS listener; under --client-tls its cases are skipped.
return proxy {
  name = "tinyproxy",
  summary = "tinyproxy 1.11 reverse proxy (ReversePath, ReverseOnly)",
  packages = { "tinyproxy" },
  binary = { "/usr/bin/tinyproxy", "tinyproxy" },
  version = { args = { "-v" }, pattern = "tinyproxy (%d+%.%d+%.%d+)" },
  config = "tinyproxy.conf",
  upstreams = { max = 1, why = "ReversePath maps a path to one URL" },
  -- No TLS upstream variant (upstream_tls): tinyproxy speaks plain HTTP to the servers it
  -- forwards to (ReversePath takes http:// URLs; CONNECT tunnels the client's own TLS).
  -- No HTTP/2 upstream variant (upstream_http2): it speaks HTTP/1 only.
  files = {
    ["tinyproxy.conf"] = tinyproxy_common .. [[
ReverseOnly Yes
ReversePath "/" "http://${upstream_host}:${upstream_port}/"
]],
  },
  -- Timeout (${read_timeout}) takes whole seconds; ${connect_timeout} reaches nothing.
  granularity = { read_timeout = 1 },
  client = { header_timeout = false, body_timeout = false, max_body = false },
  -- -d: in the foreground (tinyproxy detaches by default); its config has no key for it.
  -- No HTTP/2 frontend: tinyproxy speaks HTTP/1.x only.
  client_http2 = { why = "tinyproxy speaks HTTP/1.x only" },
  command = { "${binary}", "-d", "-c", "${dir}/tinyproxy.conf" },
  -- No check: tinyproxy has no option that only parses its config.
  -- One statement a line; '#' starts a comment only at a line's start; "..." is its only
  -- string, without escapes. Keywords are case-insensitive (tinyproxy.conf(5)): patterns see
  -- them lowercased.
  syntax = { comments = { "^#" }, case = "insensitive", quotes = '"', escapes = false },
  -- What a config line makes tinyproxy write.
  paths = {
    '^%s*pidfile%s+"?([^"%s]+)',
    '^%s*logfile%s+"?([^"%s]+)',
    "^%s*(syslog)%s+[Oo][Nn]",
  },
  -- Where a config sends: ReversePath's URL, and an upstream proxy (http, socks4, socks5;
  -- `upstream none` sends nowhere).
  targets = {
    { match = '^%s*reversepath%s+"[^"]*"%s+"?([^"%s]+)' },
    { match = '^%s*upstream%s+[HhSs]%w*%s+"?([^"%s]+)' },
  },
  retries = { off = "retries off (tinyproxy has no retry option)", on = "retries requested, but tinyproxy has no retry option" },
  logs = { "tinyproxy.log" },
  log_match = "Request \\(file descriptor|[Cc]ould not|failed|[Tt]ime ?out|[Ii]nvalid|CRITICAL",
  -- How `badup explain` reads tinyproxy's lines (docs/proxies.md, "explain"): LEVEL time [pid]: message.
  explain = {
    detect = { LOGLINE },
    tags = { "tinyproxy" },
    masks = {
      -- the upstream a deployment names
      { pattern = " host \"([^\"]*)\"", groups = { 1 }, with = "<host>" },
      { pattern = "connection to ([^ ]+)$", groups = { 1 }, with = "<host>" },
    },
    signatures = {
      -- it logs every request so, as it arrives: the cause comes on a later line
      { kind = "tinyproxy-message", label = "message", pattern = LOGLINE .. "(.+)$", group = 2,
        not_verdict = "^Request \\(file descriptor" },
    },
    -- tinyproxy writes the request first and the cause on later lines of the same log
    look_in = {
      log = "tinyproxy.log",
      what = "the lines after the request's (\"process_server_headers failed: ...\")",
    },
  },
  -- Forward mode (docs/proxies.md, "Forward mode"): no ReversePath, CONNECT to the
  -- upstream's port only (ConnectPort, an allow-list: a CONNECT to any other port is 403),
  -- absolute-form GET to port 9 refused by a URL filter (FilterURLs, ERE: 403 "Filtered");
  -- Basic proxy authentication by BasicAuth with the case's user and password (it reads no
  -- password file). The rest is the reverse file's. What it answers: 401 (not 407) to
  -- credentials it does not know, 500 when the connect (GET or CONNECT) is refused, nothing
  -- at all when the upstream closes without a response; CONNECT's 200 is HTTP/1.0.
  forward = {
    files = {
      ["tinyproxy.conf"] = tinyproxy_common .. [[
ConnectPort ${upstream_port}
Filter "${dir}/tinyproxy.filter"
FilterURLs On
FilterType ERE
${auth}
]],
      -- (tinyproxy 1.11.1 reads a filter line with "(/|$)" as one that matches nothing)
      ["tinyproxy.filter"] = [[
^http://[^/]*:9/
]],
    },
    auth = "BasicAuth ${auth_user} ${auth_password}",
  },
}
