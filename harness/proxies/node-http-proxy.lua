-- node-http-proxy: the npm package http-proxy (1.18.1, pinned by npm/package-lock.json) on
-- Node.js's core http server, the way its users deploy it: createProxyServer({ target,
-- proxyTimeout }), proxy.web() for every request, an 'error' listener that answers 502
-- (npm/servers/node-http-proxy.js).
-- Caveats:
--  * Installed by `sh scripts/install-deps.sh proxies` (npm ci in harness/proxies/npm): the
--    binary is the server script as npm links it into node_modules/.bin, so it exists only
--    once the packages it requires are there; a relative binary is found beside this file.
--  * Timeouts: proxyTimeout is the read timeout (${read_timeout_ms}): the idle timeout of
--    the upstream socket, armed once it is connected (Node's ClientRequest.setTimeout waits
--    for 'connect'). http-proxy has no connect timeout: ${connect_timeout} is not used and a
--    connect that is never answered (blackhole) waits for the kernel's SYN retries, about
--    two minutes; the client gives up first. When proxyTimeout fires, http-proxy aborts the
--    request, which reports ECONNRESET "socket hang up": a 502 like a reset (its options
--    give no 504).
--    Its `timeout` option (the client socket's idle timeout) is left out: it also runs while
--    the upstream is awaited, so any value below proxyTimeout would cut the clients
--    proxyTimeout should answer; Node's server defaults apply (headersTimeout 60 s).
--  * Retries: none. http-proxy sends a request once; it has no retry option.
--  * No upstream keep-alive: without an agent option, a connection per request.
--  * After the upstream's response began, a body that breaks or stalls: http-proxy pipes it
--    and tells no one. proxyTimeout aborts the upstream request, but the client's response
--    is neither ended nor cut: the client waits until it gives up itself (the 'error'
--    listener is not called, so the usual "res.destroy() once headersSent" never runs).
--  * Node's http server sends the response header with the first body byte.
return proxy {
  name = "node-http-proxy",
  summary = "Node.js http-proxy (node-http-proxy) 1.18.1 on the core http server, 502 on proxy errors",
  packages = { "nodejs", "npm" },
  binary = { "npm/node_modules/.bin/badup-node-http-proxy" },
  version = { args = { "--version" }, pattern = "http%-proxy (%d+%.%d+%.%d+)" },
  config = "proxy.json",
  upstreams = { max = 1, why = "createProxyServer takes one target" },
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
  -- the JSON file is read by the script: a key and its value a line
  syntax = { quotes = "\"", comments = { "//" } },
  paths = { "^%s*\"log\"%s*:%s*\"([^\"]*)\"" },
  targets = { { match = "^%s*\"target\"%s*:%s*\"([^\"]*)\"" } },
  -- Client side: none as deployed (createProxyServer's `timeout` is left out, see above;
  -- Node's own headersTimeout of 60 s and no body limit apply whatever the run says).
  client = { header_timeout = false, body_timeout = false, max_body = false },
  logs = { "access.log" },
  -- one line per request with via=http-proxy; a crash of the script lands in proxy.err
  log_match = "\"[A-Z]+ /|Error|error:",
  explain = {
    detect = { " via=http-proxy( |$)" },
    signatures = {
      { kind = "http-proxy-error", label = "error", pattern = " via=http-proxy error=\"([^\"]+)\"", group = 1 },
    },
    families = {
      { kind = "http-proxy-error", pattern = "^proxyTimeout", family = "timeout" },
      { kind = "http-proxy-error", pattern = "ECONNREFUSED", family = "refused" },
      { kind = "http-proxy-error", pattern = "ECONNRESET", family = "reset" },
      { kind = "http-proxy-error", pattern = "HPE_", family = "invalid-response" },
    },
    look_in = { log = "access.log", what = "the error=\"...\" at the end of its access line" },
  },
}
