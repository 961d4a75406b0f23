-- http-proxy-middleware: the npm package http-proxy-middleware (3.0.5, v3 API) on express
-- (4.22.1), both pinned by npm/package-lock.json, the way its users deploy it:
-- app.use(createProxyMiddleware({ target, proxyTimeout, on: { error } })), the error handler
-- answering 502 (npm/servers/http-proxy-middleware.js).
-- Caveats:
--  * Installed by `sh scripts/install-deps.sh proxies` (npm ci in harness/proxies/npm), found
--    as node-http-proxy is (npm links the script into node_modules/.bin).
--  * It is http-proxy underneath (node-http-proxy.lua): proxyTimeout is the read timeout,
--    the upstream socket's idle timeout once connected, which aborts the request and
--    reports ECONNRESET: 502. No connect timeout (${connect_timeout} is not used), and a
--    body that stalls after the response began leaves the client waiting. Without on.error its own error response would
--    answer 504 for ECONNRESET/ECONNREFUSED/ENOTFOUND/ETIMEDOUT, 502 for HPE_INVALID_*, 500
--    otherwise; an on.error handler replaces it.
--  * Retries: none (neither package has a retry option). No upstream keep-alive.
return proxy {
  name = "http-proxy-middleware",
  summary = "Node.js express + http-proxy-middleware 3 (v3 API), 502 from its on.error handler",
  packages = { "nodejs", "npm" },
  binary = { "npm/node_modules/.bin/badup-http-proxy-middleware" },
  version = { args = { "--version" }, pattern = "http%-proxy%-middleware (%d+%.%d+%.%d+)" },
  config = "proxy.json",
  upstreams = { max = 1, why = "createProxyMiddleware is given one target (a router option would pick per request)" },
  files = {
    ["proxy.json"] = [[
{
  "listen": ${proxy_port},
  "target": "http://${upstream_host}:${upstream_port}",
  "proxy_timeout_ms": ${read_timeout_ms},
  "log": "${dir}/access.log"
}
]],
  },
  command = { "${binary}", "${dir}/proxy.json" },
  syntax = { quotes = "\"", comments = { "//" } },
  paths = { "^%s*\"log\"%s*:%s*\"([^\"]*)\"" },
  targets = { { match = "^%s*\"target\"%s*:%s*\"([^\"]*)\"" } },
  -- Client side: none as deployed (express and the middleware take no head or body timeout
  -- and no body limit; Node's own headersTimeout of 60 s applies whatever the run says).
  client = { header_timeout = false, body_timeout = false, max_body = false },
  logs = { "access.log" },
  log_match = "\"[A-Z]+ /|Error|error:",
  explain = {
    detect = { " via=http-proxy-middleware( |$)" },
    signatures = {
      { kind = "hpm-error", label = "error", pattern = " via=http-proxy-middleware error=\"([^\"]+)\"", group = 1 },
    },
    families = {
      { kind = "hpm-error", pattern = "^proxyTimeout", family = "timeout" },
      { kind = "hpm-error", pattern = "ECONNREFUSED", family = "refused" },
      { kind = "hpm-error", pattern = "ECONNRESET", family = "reset" },
      { kind = "hpm-error", pattern = "HPE_", family = "invalid-response" },
    },
    look_in = { log = "access.log", what = "the error=\"...\" at the end of its access line" },
  },
}
