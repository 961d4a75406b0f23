-- caddy 2 reverse_proxy, plain HTTP: one upstream, Go's HTTP transport (pooled keep-alive
-- connections), no admin endpoint, no automatic HTTPS, storage and config autosave kept in
-- the case folder. `caddy run` stays in the foreground.
-- Caveats:
--  * HOME and XDG_* must point into ${dir} (else caddy writes under /root/.local and
--    /root/.config). They are set through /usr/bin/env in the command, not `env`: the
--    harness appends `env` entries after the inherited environment, so an inherited HOME
--    would win (getenv and Go take the first entry).
--  * Durations are Go durations, fractions fine: dial_timeout ${connect_timeout}s,
--    response_header_timeout ${read_timeout}s (time to the response header only; caddy has
--    no idle timeout between body bytes by default).
--  * Retries off = lb_try_duration 0 (the default); --retries: lb_try_duration 1s with
--    lb_try_interval 250ms (caddy 2.6 has no lb_retries: ~5 attempts within 1 s). Even with
--    retries off, Go's transport silently re-sends an idempotent request once when a reused
--    keep-alive connection dies before any byte.
--  * Client side: the servers' timeouts are Go's http.Server ones: read_header
--    (${client_header_timeout}s) is the time from a request's first byte to the end of its
--    head; read_body (${client_body_timeout}s) is ReadTimeout, a total for head AND body from
--    the request's start, not an idle timeout. request_body max_size (${max_body} bytes)
--    caps the body as the proxy reads it (http.MaxBytesReader): a larger Content-Length is
--    not refused up front.
--  * Both logs are JSON (the console format would colour the level with ANSI escapes),
--    without the request and response headers: a huge upstream header would make the access
--    line longer than the 64 KiB tail of each log that the harness reads (see huge_header).
return proxy {
  name = "caddy",
  summary = "caddy 2 reverse_proxy (plain HTTP, no admin, no auto-HTTPS)",
  packages = { "caddy" },
  binary = { "/usr/bin/caddy", "caddy" },
  version = { args = { "version" }, pattern = "v?(%d+%.%d+%.%d+)" },
  config = "Caddyfile",
  -- Several upstreams: listed after reverse_proxy, lb_policy first (caddy's default, random,
  -- would make a case's outcome a draw): the first that is not down. With --retries,
  -- lb_try_duration tries again (any request whose connection failed, a GET whose exchange
  -- failed), and fail_duration marks an upstream that failed down for 10 s, so the next try
  -- goes to the next one (without it, `first` would pick the failed one again and again).
  upstreams = {
    each = "${upstream_host}:${upstream_port}", join = " ",
    several = { lb_policy = "\n\t\tlb_policy first" },
    retries = { off = "lb_try_duration 0", on = "lb_try_duration 1s\n\t\tlb_try_interval 250ms\n\t\tfail_duration 10s" },
  },
  files = {
    ["Caddyfile"] = [[
{
	admin off
	auto_https off
	storage file_system ${dir}/caddy-data
	log {
		output file ${dir}/error.log
		format filter {
			wrap json
			fields {
				request>headers delete
			}
		}
		level INFO
	}
	servers {
		${client_http2}timeouts {
			read_header ${client_header_timeout}s
			read_body ${client_body_timeout}s
		}
	}
}
${proxy_scheme}://${proxy_url_host}:${proxy_port} {
	${client_tls}bind 127.0.0.1
	log {
		output file ${dir}/access.log
		format filter {
			wrap json
			fields {
				request>headers delete
				resp_headers delete
			}
		}
	}
	request_body {
		max_size ${max_body}
	}
	reverse_proxy ${upstream_servers} {
		transport http {
			dial_timeout ${connect_timeout}s
			response_header_timeout ${read_timeout}s${upstream_tls}${upstream_http2}
		}
		${retries}${lb_policy}
	}
}
]],
  },
  -- --client-tls: the site on https://localhost (${proxy_url_host}: the name the client asks
  -- for and the certificate's) with the case's certificate; plain, http://127.0.0.1 as ever.
  client_tls = { on = "tls ${proxy_cert} ${proxy_key}\n\t", off = "" },
  -- --client-http2: h2c (prior knowledge, as Go's h2c handler takes it) is off unless the
  -- server's protocols name it; over TLS, h2 is among caddy's default protocols (ALPN) and
  -- the text is the same. The access log's request>proto says HTTP/2.0.
  client_http2 = { on = "protocols h1 h2 h2c\n\t\t", off = "" },
  -- TLS upstreams: the http transport's tls, with the run CA as the only trusted one
  -- (tls_trusted_ca_certs: caddy 2.6 has no tls_trust_pool) and the name it verifies and
  -- sends as SNI (tls_server_name; Go's crypto/tls checks it against the SANs). A failed
  -- verification is a dial error to caddy: 502. The handshake gets the connect timeout
  -- (tls_timeout), as nginx's does: caddy's own default, 10 s, outlasts the case's client.
  -- HTTP/2 upstreams: the http transport's `versions h2c`, cleartext HTTP/2 with prior
  -- knowledge (golang.org/x/net/http2's transport, "exclusive of other features" by caddy's
  -- docs: over TLS `versions 2` would be the one). The client side stays HTTP/1.1.
  upstream_http2 = { on = "\n\t\t\tversions h2c 2", off = "" },
  upstream_tls = {
    on = "\n\t\t\ttls\n\t\t\ttls_trusted_ca_certs ${upstream_ca}\n\t\t\ttls_server_name ${upstream_tls_name}"
      .. "\n\t\t\ttls_timeout ${connect_timeout}s",
    off = "",
  },
  client = { header_timeout = "servers timeouts read_header", body_timeout = "servers timeouts read_body (total)",
             max_body = "request_body max_size" },
  -- `caddy run` stays in the foreground (`caddy start` would detach); a Caddyfile cannot
  -- change that.
  command = { "/usr/bin/env", "HOME=${dir}", "XDG_DATA_HOME=${dir}/xdg-data", "XDG_CONFIG_HOME=${dir}/xdg-config",
              "${binary}", "run", "--config", "${dir}/Caddyfile", "--adapter", "caddyfile" },
  -- caddy validate adapts the Caddyfile and provisions every module without starting a
  -- listener; the same HOME and XDG folders as the command.
  check = { "/usr/bin/env", "HOME=${dir}", "XDG_DATA_HOME=${dir}/xdg-data", "XDG_CONFIG_HOME=${dir}/xdg-config",
            "${binary}", "validate", "--config", "${dir}/Caddyfile", "--adapter", "caddyfile" },
  -- What a Caddyfile line makes caddy write or reach: log outputs (a file, or net ADDRESS),
  -- certificate storage, the admin endpoint (off, an address, or unix//PATH).
  paths = {
    "^%s*output%s+file%s+(%S+)",
    "^%s*output%s+net%s+(%S+)",
    "^%s*storage%s+file_system%s+(%S+)",
    "^%s*admin%s+(%S+)",
  },
  includes = { "^%s*import%s+(%S+)" },
  -- One statement a line, or more with a '\' at a line's end; '{' and '}' open and close
  -- blocks only as tokens of their own ({placeholders} are text); strings ("..." and `...`)
  -- open only at a token's start (`it"s` is a word) and may span lines; '\' escapes in "..."
  -- only (caddyfile/lexer.go).
  syntax = { blocks = "{} tokens", strings = "multiline", quotes = '"`', escapes = '"', continued = true },
  -- Where a Caddyfile sends: the upstreams of reverse_proxy (after its matcher, if any), of its
  -- `to` subdirective, of php_fastcgi and forward_auth. Dynamic upstreams are looked up at run
  -- time.
  targets = {
    { match = "^%s*reverse_proxy%s+(.*)", each = "(%S+)", skip = "^[@/*]" },
    { match = "^%s*to%s+(.*)", each = "(%S+)" },
    { match = "^%s*php_fastcgi%s+(.*)", each = "(%S+)", skip = "^[@/*]" },
    { match = "^%s*forward_auth%s+(.*)", each = "(%S+)", skip = "^[@/*]" },
    { match = "^%s*dynamic%s", why = "looks its upstreams up at run time (DNS, ...), which can send anywhere" },
  },
  -- Without auto_https off, a site with a domain name has caddy ask a public CA (Let's
  -- Encrypt, ZeroSSL) for its certificate, over the network, at start. Its other values leave
  -- part of it on: disable_redirects and ignore_loaded_certs still ask, disable_certs still
  -- serves HTTPS on 443 and redirects from 80 (caddy's docs, the auto_https option).
  must_set = {
    { directive = "^%s*admin%s", default = "localhost:2019 (the admin endpoint)", example = "admin off" },
    { directive = "^%s*auto_https%s+off%s*$", default = "automatic HTTPS (certificates asked of a public CA over the network)",
      example = "auto_https off" },
  },
  retries = { off = "lb_try_duration 0", on = "lb_try_duration 1s\n\t\tlb_try_interval 250ms" },
  logs = { "access.log", "error.log" },
  -- the access line ("uri":"/<scenario>/1", "status":502) and the error lines with the cause
  -- ("msg":"dial tcp ...: connection refused", "net/http: timeout awaiting response headers",
  -- "aborting with incomplete response"); not the start-up warnings
  log_match = "\"level\":\"(error|panic|fatal)\"|\"uri\":\"/",
  -- How `badup explain` reads caddy's lines (docs/proxies.md, "explain"): JSON, one object a
  -- line, from its loggers.
  explain = {
    detect = { "\"logger\":\"" },
    tags = { "caddy" },
    masks = {
      -- sizes and durations
      { pattern = "\"(size|bytes_read|duration)\":([-+0-9.eE]+)", groups = { 2 }, with = "<n>" },
      -- the Host asked for
      { pattern = "\"host\":\"([^\"]*)\"", groups = { 1 }, with = "<host>" },
      -- a logger's own name ("log0", or what the Caddyfile calls it)
      { pattern = "\"logger\":\"http\\.log\\.(access|error)(\\.[^\"]*)\"", groups = { 2 }, with = "" },
      -- its default JSON logs the request's and the response's headers (the harness deletes
      -- them: a huge upstream header would not fit its log tail) and, over HTTPS, the TLS
      -- session: what a client and a deployment send, never the upstream's verdict
      { pattern = "\"(headers|resp_headers|tls)\":\\{([^{}\"]|\"([^\"\\\\]|\\\\.)*\")*\\},?", with = "" },
    },
    signatures = {
      -- the access logger writes "handled request" for every request, served or failed
      { kind = "caddy-message", label = "message", pattern = "\"msg\":\"(([^\"\\\\]|\\\\.)+)\"", group = 1,
        not_verdict = "^handled request$" },
      { kind = "caddy-error", label = "error", pattern = "\"error\":\"(([^\"\\\\]|\\\\.)+)\"", group = 1 },
    },
    -- the access logger writes "handled request" for every request; the error logger the cause
    look_in = {
      log = "error.log",
      what = "the http.log.error logger's line of the same request: its \"msg\" (\"EOF\", \"dial tcp ...: "
          .. "connect: connection refused\")",
    },
  },
}
