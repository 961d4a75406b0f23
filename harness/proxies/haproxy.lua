-- haproxy as a reverse proxy: one frontend, one backend server, no health checks.
-- Timeouts in ms (haproxy rejects fractional seconds). haproxy cannot write a log file
-- itself: `log stderr` sends the HTTP log (with its termination state, e.g. SH--) to
-- stderr, which the harness keeps as proxy.err.
-- Client side: `timeout http-request` (${client_header_timeout_ms}) is a whole-head timer
-- from the request's first byte (408, state cR); the body is only waited for under option
-- http-buffer-request, which this config does not set. `timeout client`
-- (${client_body_timeout_ms}) is haproxy's inactivity timeout on the client side, when the
-- client is expected to send (the body) or to take data (cD). haproxy has no body limit
-- directive: a deny on the Content-Length header's value stands in for it (413); a chunked
-- body of any size passes.
-- The HTTP log (option httplog) from the status on: status, bytes, two cookie fields, the
-- termination state, the connection counts; and its timers (Tq/Tw/Tc/Tr/Ta). explain reads
-- both (see explain below).
local HTTPLOG = " (-1|[0-9]{3}|<n>) [^ ]+ [^ ]+ [^ ]+ ([-A-Za-z]{4}) [^ ]+/[^ ]+/[^ ]+/[^ ]+/[^ ]+ "
local TIMERS = "[-+0-9]+/[-+0-9]+/[-+0-9]+/[-+0-9]+/\\+?[-0-9]+"

return proxy {
  name = "haproxy",
  summary = "haproxy reverse proxy (mode http, option httplog)",
  packages = { "haproxy" },
  binary = { "/usr/sbin/haproxy", "haproxy" },
  version = { args = { "-v" }, pattern = "HA%-?Proxy version (%d+%.%d+%.%d+)" },
  config = "haproxy.cfg",
  -- Several upstreams: one `server` line each (up, up2, ...), balance roundrobin (haproxy's
  -- default, from the first). A retry goes to another server only with option redispatch.
  upstreams = { each = "server up${upstream_suffix} ${upstream_host}:${upstream_port}${upstream_tls}${upstream_http2}", join = "\n    " },
  -- TLS upstreams: on each server line, ssl with verify required against the run CA, the
  -- name checked with verifyhost (haproxy checks it against the certificate's SAN) and sent
  -- as SNI. A failed verification is a connection failure to haproxy: 503, state SC--.
  upstream_tls = {
    on = " ssl verify required ca-file ${upstream_ca} verifyhost ${upstream_tls_name} sni str(${upstream_tls_name})",
    off = "",
  },
  -- HTTP/2 upstreams: `proto h2` on each server line: h2c with prior knowledge (RFC 9113
  -- 3.3), whatever the client spoke (haproxy 2.x converts through its HTX messages). Over
  -- TLS, proto h2 forces it too (no ALPN needed).
  upstream_http2 = { on = " proto h2", off = "" },
  files = {
    ["haproxy.cfg"] = [[
global
    log stderr format raw local0 info
    maxconn ${max_connections}
    pidfile ${dir}/haproxy.pid

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect ${connect_timeout_ms}ms
    timeout server  ${read_timeout_ms}ms
    timeout client  ${client_body_timeout_ms}ms
    timeout http-request ${client_header_timeout_ms}ms
    ${retries}

frontend fe
    bind 127.0.0.1:${proxy_port}${client_tls}${client_http2}
    http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${max_body} }
    default_backend be

backend be
    ${upstream_servers}
]],
  },
  client = { header_timeout = "timeout http-request", body_timeout = "timeout client (idle, both directions)",
             max_body = "http-request deny 413 if Content-Length > N (chunked: none)" },
  -- -db keeps it in the foreground: it wins over `daemon` (and master-worker) in global.
  command = { "${binary}", "-db", "-f", "${dir}/haproxy.cfg" },
  -- -c parses the config and resolves server addresses; it binds nothing.
  check = { "${binary}", "-c", "-f", "${dir}/haproxy.cfg" },
  -- What a config line makes haproxy write or send to. `log` takes a file (a unix socket
  -- such as /dev/log: the system's syslog) or an address; stderr, stdout and global pass.
  paths = {
    "^%s*pidfile%s+(%S+)",
    "^%s*log%s+(%S+)",
    "^%s*stats%s+socket%s+(%S+)",
    "^%s*bind%s+(/%S*)",              -- a unix socket
    "^%s*bind%s+(unix@%S+)",
    "^%s*unix%-bind%s+prefix%s+(%S+)",
  },
  -- One statement a line (no continuation); '#' starts a comment anywhere outside quotes
  -- (`server up 127.0.0.1:80#x` is a server at 127.0.0.1:80). Quotes open anywhere in a word
  -- (`a"b c"d` is one word), '\' escapes outside quotes and in "..." ones, never in '...'.
  syntax = { comments = { "#any" }, quote_at = "anywhere", escapes = '"', word_escapes = true },
  -- Where a config sends: every `server` line (backend and listen sections; peers' and rings'
  -- servers connect out too), server-template, dispatch, remote peers, mailers (alert mail),
  -- and a server's health checks, agent or SOCKS proxy at another address or port. use-server
  -- names a server, which is judged on its own line. What takes the destination from the
  -- request or runs code cannot be judged. No context matters: each of these connects wherever
  -- it is written.
  targets = {
    { match = "^%s*server%s+%S+%s+(%S+)" },
    { match = "^%s*server%-template%s+%S+%s+%S+%s+(%S+)" },
    { match = "^%s*dispatch%s+(%S+)" },
    { match = "^%s*peer%s+%S+%s+(%S+)" },
    { match = "^%s*mailer%s+%S+%s+(%S+)" },
    { match = "^%s*[%w-]*server[%w-]*%s.-%saddr%s+(%S+)", part = "host" },
    { match = "^%s*[%w-]*server[%w-]*%s.-%sagent%-addr%s+(%S+)", part = "host" },
    -- its health checks' port (`check port 8080`) and its agent's: after the server's name
    { match = "^%s*[%w-]*server[%w-]*%s+%S+%s.-%sport%s+(%S+)", part = "port" },
    { match = "^%s*default%-server.-%sport%s+(%S+)", part = "port" },
    { match = "^%s*[%w-]*server[%w-]*%s+%S+%s.-%sagent%-port%s+(%S+)", part = "port" },
    { match = "^%s*default%-server.-%sagent%-port%s+(%S+)", part = "port" },
    { match = "^%s*[%w-]*server[%w-]*%s.-%ssocks4%s+(%S+)" },
    { match = "^%s*%S+%-request%s.-%f[%w]set%-dst", why = "sends the request to an address computed from it" },
    { match = "^%s*option%s+http_proxy", why = "sends each request to the host its URL names (a forward proxy)" },
    { match = "^%s*option%s+transparent", why = "sends each connection to the address its client connected to" },
    { match = "^%s*lua%-load", why = "runs Lua, which can connect anywhere (core.tcp, httpclient)" },
  },
  -- --client-tls: the frontend terminates TLS with the case's leaf, certificate and key in one
  -- file (crt takes a PEM with both). A failed handshake is logged as "fe/1: SSL handshake
  -- failure" (log_match keeps it), not as an httplog line.
  client_tls = { on = " ssl crt ${proxy_pem}", off = "" },
  -- --client-http2: `proto h2` on a plain bind (h2c with prior knowledge only: haproxy takes no
  -- Upgrade), ALPN on a TLS one (h2 first: the client offers it). The httplog line's request
  -- says HTTP/2.0.
  client_http2 = { on = " proto h2", tls = " alpn h2,http/1.1", off = "" },
  -- haproxy retries 3 times by default on connect failures.
  retries = { off = "retries 0", on = "retries 3\n    option redispatch\n    retry-on all-retryable-errors" },
  logs = {},
  -- The httplog line by its shape (termination state, then timers and queues, then the
  -- quoted request), not by frontend names, so a user's --proxy-config still matches.
  log_match = "[A-Za-z-]{4} [0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+ [0-9]+/[0-9]+ \"|SSL handshake failure",
  settle_ms = 100, -- the log line is written when the session ends; let it reach stderr
  -- How `badup explain` reads haproxy's lines (docs/proxies.md, "explain"). option httplog:
  -- client, [time], frontend, backend/server, timers, the status, bytes, two cookie fields,
  -- the termination state, connection counts, queues, "request".
  explain = {
    detect = { HTTPLOG },
    tags = { "haproxy" },
    masks = {
      -- a deployment's frontend and backend/server names ("fe_https~ be_api/api3", "be/<NOSRV>")
      { pattern = "\\[<time>\\] ([^ ]+) ([^ /]+)/([^ ]+) [-+0-9]+/", groups = { 1, 2, 3 }, with = "<name>" },
      -- the size after the status: of the response, or of a deployment's errorfile
      { pattern = TIMERS .. " (-1|[0-9]{3}) (\\+?[0-9]+) ", groups = { 2 }, with = "<n>" },
    },
    signatures = {
      -- the termination state; its last two letters are cookie flags (a deployment's
      -- persistence, not a verdict): two states compare by the first two
      { kind = "haproxy-state", label = "termination state", pattern = HTTPLOG, group = 2, weight = 4, key_len = 2 },
      { kind = "status", pattern = HTTPLOG, group = 1, weight = 1 },
    },
    -- The first letter of the state says who ended the session (C, c the client; S the
    -- server; s a server-side timeout; P haproxy on a protocol error), the second in which
    -- phase (C connect, H headers, D data).
    families = {
      { kind = "haproxy-state", pattern = "^[Cc]", family = "client" },
      { kind = "haproxy-state", pattern = "^SC", family = "refused" },
      { kind = "haproxy-state", pattern = "^sC", family = "connect-timeout" },
      { kind = "haproxy-state", pattern = "^S[HDRLQT]", family = "close" }, -- FIN or RST: haproxy does not say which
      { kind = "haproxy-state", pattern = "^s[HDRLQT]", family = "timeout" },
      { kind = "haproxy-state", pattern = "^P[HD]", family = "invalid-response" },
    },
    -- option httplog always writes the termination state on the line itself
    look_in = {
      what = "the termination state on the same httplog line (SH--, sC--, ...): a haproxy line without it comes "
          .. "from a log-format that drops %tsc",
    },
  },
}
