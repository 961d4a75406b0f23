-- haproxy as a reverse proxy: one frontend, one backend server, no health checks.
-- Timeouts in ms (haproxy rejects fractional seconds). haproxy cannot write a log file
-- itself: `log stderr` sends the HTTP log (with its termination state, e.g. SH--) to
-- stderr, which the harness keeps as proxy.err.
return proxy {
  name = "haproxy",
  summary = "haproxy reverse proxy (mode http, option httplog)",
  packages = { "haproxy" },
  binary = { "/usr/sbin/haproxy", "haproxy" },
  version = { args = { "-v" }, pattern = "HA%-?Proxy version (%d+%.%d+%.%d+)" },
  config = "haproxy.cfg",
  files = {
    ["haproxy.cfg"] = [[
global
    log stderr format raw local0 info
    maxconn 256
    pidfile ${dir}/haproxy.pid

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect ${connect_timeout_ms}ms
    timeout server  ${read_timeout_ms}ms
    timeout client  30s
    timeout http-request 10s
    ${retries}

frontend fe
    bind 127.0.0.1:${proxy_port}
    default_backend be

backend be
    server up ${upstream_host}:${upstream_port}
]],
  },
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
  -- haproxy retries 3 times by default on connect failures.
  retries = { off = "retries 0", on = "retries 3\n    option redispatch\n    retry-on all-retryable-errors" },
  logs = {},
  -- The httplog line by its shape (termination state, then timers and queues, then the
  -- quoted request), not by frontend names, so a user's --proxy-config still matches.
  log_match = "[A-Za-z-]{4} [0-9]+/[0-9]+/[0-9]+/[0-9]+/[0-9]+ [0-9]+/[0-9]+ \"",
  settle_ms = 100, -- the log line is written when the session ends; let it reach stderr
}
