-- A hand-rolled Node.js reverse proxy on the core `http` module (node-proxy.js beside this
-- file, copied into the case folder as proxy.js): upstream keep-alive pool, 502 on upstream
-- errors, 504 on the connect timeout and on a missing response header after the read
-- timeout, client connection cut when the body breaks or stalls after the header went out.
-- It is a reference for "what a typical application-level proxy does", not a product.
-- Caveats:
--  * The script is rendered as a template like every file: it must not contain a dollar
--    sign followed by a brace (no JS template literals).
--  * Timeouts are seconds with fractions (${connect_timeout}, ${read_timeout}), passed on argv.
--  * Retries: argv RETRIES (0 = off); with --retries, 2 extra attempts for idempotent methods
--    when the failure came before any response byte and was not a read timeout.
--  * Node's http server sends the response header only with the first body byte: when the
--    upstream sends a header and then stalls (stall_body), the client gets nothing ("closed")
--    when the body idle timeout cuts the connection, as with most pipe()-style proxies.
--  * Client side, also on argv and also with fractions: ${client_header_timeout} is Node's
--    server.headersTimeout (the whole head, from its first byte, 408; checked on a 250 ms
--    tick); ${client_body_timeout} the script's idle timer between two body chunks (408);
--    ${max_body} its body limit (413 on the Content-Length, or once a chunked body passes it).
--  * A --proxy-config replacement must keep the argv convention (see the script's header).
--  * start-up of node itself takes ~100-200 ms.
return proxy {
  name = "node",
  summary = "Node.js http-module reverse proxy (hand-rolled, keep-alive agent)",
  packages = { "nodejs" },
  binary = { "node", "/usr/bin/node", "/usr/local/bin/node" },
  version = { args = { "--version" }, pattern = "v(%d+%.%d+%.%d+)" },
  config = "proxy.js",
  -- Several upstreams: their ports on argv, separated by commas; a request goes to the first,
  -- each retry (--retries) to the next.
  upstreams = { each = "${upstream_port}", join = "," },
  files = {
    ["proxy.js"] = { from = "node-proxy.js" },
  },
  command = { "${binary}", "${dir}/proxy.js", "${proxy_port}", "${upstream_host}", "${upstream_servers}",
              "${connect_timeout}", "${read_timeout}", "${retries}", "${dir}/access.log",
              "${client_header_timeout}", "${client_body_timeout}", "${max_body}", "${upstream_tls}" },
  -- --client-http2: proxy.js (a template) reads "h2" and serves HTTP/2 with the core http2
  -- module: http2.createServer (h2c with prior knowledge) or createSecureServer (ALPN h2,
  -- HTTP/1.1 not allowed), forwarding to the same HTTP/1.1 upstream. Its log line's version
  -- reads HTTP/2.0.
  client_http2 = { on = "h2", off = "" },
  -- --client-tls: https.createServer with the case's certificate and key (proxy.js reads
  -- "CERT|KEY"); "" keeps http.createServer.
  client_tls = { on = "${proxy_cert}|${proxy_key}", off = "" },
  -- TLS upstreams: the last argument, NAME:CA_FILE ("" plain): node's https module, which
  -- verifies the certificate against the CA for the name and sends it as SNI. A failed
  -- verification is an upstream error to the script: 502.
  upstream_tls = { on = "${upstream_tls_name}:${upstream_ca}", off = "" },
  -- HTTP/2 upstreams: proxy.js reads '${upstream_http2}' ("h2") and sends each request as a
  -- stream of one http2.connect session per upstream (h2c with prior knowledge; https: over
  -- TLS); its client side stays the http module's HTTP/1.1.
  upstream_http2 = { on = "h2", off = "" },
  client = { header_timeout = "server.headersTimeout (argv)", body_timeout = "idle timer between body chunks (argv)",
             max_body = "Content-Length / body bytes > N: 413 (argv)" },
  -- node --check parses the script without running it.
  check = { "${binary}", "--check", "${dir}/proxy.js" },
  -- paths: none. Its config is a JavaScript program: it writes the log file it is given on
  -- argv (${dir}/access.log), and what else a program writes no line pattern can tell.
  -- JavaScript: statements end at ';' or a brace, strings in ' " or `, comments // and /* */.
  syntax = { ends = ";", blocks = "{}", strings = "multiline", quotes = "\"'`", quote_at = "anywhere",
             comments = { "//", "/*" } },
  -- Where the script sends cannot be checked in general: a program computes its addresses (the
  -- shipped one takes the simulator's from argv, where the harness puts it). Only what is
  -- written out in it is judged: a URL in a string, and a host: or port: given as a literal.
  targets = {
    { match = "^", each = "['\"`](%a[%w+.-]*://[^'\"`%s]*)" },
    { match = "^", each = "%f[%w]host%s*:%s*(['\"`][^'\"`]*['\"`])", part = "host" },
    { match = "^", each = "%f[%w]port%s*:%s*(%d+)", part = "port" },
  },
  -- `node script` stays in the foreground, but a script can spawn itself detached (its own
  -- session) and exit. Only the usual way is seen: an options object with detached: true.
  foreground = { detaches = { "(detached%s*[:=]%s*true)" } },
  retries = { off = "0", on = "2" },
  logs = { "access.log" },
  -- one line per request, with error="ECONNREFUSED" / "read timeout" / "upstream aborted"...;
  -- a crash of the script itself lands in proxy.err
  log_match = "\"[A-Z]+ /|Error|error:",
  -- How `badup explain` reads node-proxy.js's access lines (docs/proxies.md, "explain").
  explain = {
    detect = { " attempts=<n>" },
    signatures = {
      { kind = "node-error", label = "error", pattern = "(^| )error=\"([^\"]+)\"", group = 2 },
    },
    -- the harness's own proxy appends its error to the access line
    look_in = { log = "access.log", what = "the error=\"...\" at the end of its access line" },
  },
}
