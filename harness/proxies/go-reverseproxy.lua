-- go-reverseproxy: Go's net/http/httputil.ReverseProxy (go/main.go, standard library only),
-- the way its users deploy it: NewSingleHostReverseProxy, a Transport cloned from
-- http.DefaultTransport with the run's timeouts, ErrorHandler as the default (502, no body).
-- Caveats:
--  * Built by `sh scripts/install-deps.sh proxies` (go/build.sh: Debian's golang-go, no
--    module downloads) into go/bin/ beside this file, where `binary` looks (a relative
--    binary is found beside the definition); build.sh rebuilds when main.go is newer.
--  * Timeouts: the dialer's Timeout is ${connect_timeout_ms}; ResponseHeaderTimeout is
--    ${read_timeout_ms} (from the request written to the response header). Both answer 502:
--    ReverseProxy's default ErrorHandler has no 504.
--  * Nothing bounds a response body that stalls after its header (the Transport has no body
--    idle timeout): the client waits until it gives up itself.
--  * Retries: none of ReverseProxy's; Go's Transport re-sends an idempotent request on a
--    reused keep-alive connection that died before any response byte.
--  * A body that breaks after the header: ReverseProxy panics with http.ErrAbortHandler and
--    net/http cuts the client connection.
return proxy {
  name = "go-reverseproxy",
  summary = "Go net/http/httputil.ReverseProxy (Debian golang-go), default ErrorHandler (502)",
  packages = { "golang-go" },
  binary = { "go/bin/go-reverseproxy" },
  version = { args = { "-version" }, pattern = "go(%d+%.%d+%.?%d*)" },
  config = "proxy.json",
  upstreams = { max = 1, why = "NewSingleHostReverseProxy takes one target URL" },
  files = {
    ["proxy.json"] = [[
{
  "listen": ${proxy_port},
  "target": "http://${upstream_host}:${upstream_port}",
  "connect_timeout_ms": ${connect_timeout_ms},
  "read_timeout_ms": ${read_timeout_ms},
  "log": "${dir}/access.log"
}
]],
  },
  command = { "${binary}", "${dir}/proxy.json" },
  syntax = { quotes = "\"", comments = { "//" } },
  paths = { "^%s*\"log\"%s*:%s*\"([^\"]*)\"" },
  targets = { { match = "^%s*\"target\"%s*:%s*\"([^\"]*)\"" } },
  -- Client side: none as deployed (http.Server's ReadHeaderTimeout, ReadTimeout and
  -- IdleTimeout are off by default, and ReverseProxy has no body limit).
  client = { header_timeout = false, body_timeout = false, max_body = false },
  logs = { "access.log" },
  -- the access line, and ErrorLog's "http: proxy error: ..." on stderr (proxy.err)
  log_match = "\"[A-Z]+ /|http: proxy error|panic",
  explain = {
    detect = { " via=go-reverseproxy( |$)", "http: proxy error: " },
    signatures = {
      { kind = "go-proxy-error", label = "error", pattern = "(via=go-reverseproxy error=\"|http: proxy error: )([^\"]+)", group = 2 },
    },
    families = {
      { kind = "go-proxy-error", pattern = "timeout awaiting response headers", family = "timeout" },
      { kind = "go-proxy-error", pattern = "connection refused", family = "refused" },
      { kind = "go-proxy-error", pattern = "dial tcp.*i/o timeout", family = "connect-timeout" },
      { kind = "go-proxy-error", pattern = "connection reset", family = "reset" },
      { kind = "go-proxy-error", pattern = "malformed HTTP", family = "invalid-response" },
      { kind = "go-proxy-error", pattern = "EOF", family = "close" },
    },
    look_in = { log = "access.log", what = "the error=\"...\" at the end of its access line (and ErrorLog's \"http: proxy error: ...\" on stderr)" },
  },
}
