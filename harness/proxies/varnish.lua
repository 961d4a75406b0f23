-- varnish 7 as a reverse proxy in pass mode: one backend, every request `return (pass)`, so
-- nothing is cached; backend connections are pooled and reused (varnish's default). Runs as
-- manager + child in the foreground (-F), no jail (-j none: stays root), no management port.
-- Caveats:
--  * varnishd writes no request log: the varnishncsa sidecar reads the shared-memory log and
--    writes one client line ("c ...", the status sent to the client) and one backend line
--    ("b ...", with the fetch error: "first byte timeout", "backend up: fail errno 111
--    (Connection refused)", ...). It attaches after the proxy is ready; settle_ms gives it
--    time to attach before the request and to write the lines before it is stopped.
--  * Start-up compiles the VCL with gcc: ~0.5-1 s, more under load (ready_timeout 30).
--  * Varnish answers 503 "Backend fetch failed" for every upstream failure (never 502/504).
--  * Even with retries off, varnish silently re-sends ONCE when a reused keep-alive backend
--    connection fails before the first response byte (not configurable in 7.1). --retries adds
--    `return (retry)` in vcl_backend_error (up to 2 more attempts).
--  * Client side: -p timeout_idle=${client_header_timeout} (seconds with fractions): varnish
--    counts a connection idle until it has the full request head, so this is the time from
--    the connection (or the last response) to the end of the head, a total (a head dribbled
--    in is cut at N s too); it closes without an answer. It is also the keep-alive idle time
--    after a response (5 s by default). 7.1 has no parameter for the request body (timeout_req came later): none. No
--    body limit either: the VCL answers 413 on a Content-Length above ${max_body} (std);
--    a chunked body of any size passes.
-- No client_tls: varnish does not terminate TLS (its own docs put hitch or another TLS
-- proxy in front); under --client-tls its cases are skipped.
return proxy {
  name = "varnish",
  summary = "varnish 7 reverse proxy (pass mode, no cache) + varnishncsa",
  packages = { "varnish" },
  binary = { "/usr/sbin/varnishd", "varnishd" },
  version = { args = { "-V" }, pattern = "varnish%-(%d+%.%d+%.%d+)" },
  config = "varnish.vcl",
  -- Several upstreams: a backend each (up, up2, ...) behind a round_robin director of the
  -- directors vmod (a sub defined twice runs both, in order: vcl_recv picks the director,
  -- then passes). A fetch goes to the next backend; with --retries, return (retry) in
  -- vcl_backend_error asks the director again, so the retry goes to the next one.
  upstreams = {
    each = [[backend up${upstream_suffix} {
    .host = "${upstream_host}";
    .port = "${upstream_port}";
    .connect_timeout = ${connect_timeout}s;
    .first_byte_timeout = ${read_timeout}s;
    .between_bytes_timeout = ${read_timeout}s;
}]],
    join = "\n\n",
    several = {
      director = [[


import directors;

sub vcl_init {
    new ups = directors.round_robin();
    ${director_members}
}

sub vcl_recv {
    set req.backend_hint = ups.backend();
}]],
      director_members = { each = "ups.add_backend(up${upstream_suffix});", join = "\n    " },
    },
  },
  -- No TLS upstream variant (upstream_tls): Varnish Cache has no TLS backends (a backend is
  -- .host and .port, plain HTTP; TLS to an origin needs another program in front of it).
  -- No HTTP/2 upstream variant (upstream_http2) either: backends speak HTTP/1.1 only (HTTP/2
  -- in Varnish Cache is the client side's, feature=+http2).
  files = {
    ["varnish.vcl"] = [[
vcl 4.1;

${upstream_servers}${director}

import std;

sub vcl_recv {
    if (std.integer(req.http.Content-Length, 0) > ${max_body}) {
        return (synth(413));
    }
    return (pass);
}

${retries}
]],
  },
  -- -F: the manager stays in the foreground; a VCL cannot change that.
  command = { "${binary}", "-F", "-j", "none", "-n", "${dir}/varnish", "-a", "127.0.0.1:${proxy_port}",
              "-f", "${dir}/varnish.vcl", "-s", "malloc,16m", "-T", "none",
              "-p", "timeout_idle=${client_header_timeout}", "-p", "feature=${client_http2}" },
  -- --client-http2: the http2 feature (off by default): h2c with prior knowledge (varnish
  -- recognises the connection preface) or an Upgrade. varnish terminates no TLS, so there is
  -- no ALPN h2. varnishncsa's %r says HTTP/2.0.
  client_http2 = { on = "+http2", off = "-http2", why = "varnish terminates no TLS (no client_tls)" },
  client = { header_timeout = "-p timeout_idle (to the end of the head; also keep-alive idle)", body_timeout = false,
             max_body = "VCL: synth(413) if Content-Length > N (chunked: none)" },
  sidecars = {
    { "/usr/bin/varnishncsa", "-n", "${dir}/varnish", "-c", "-b", "-w", "${dir}/access.log", "-F",
      "%{Varnish:side}x %h %t \"%r\" %s %b %D %{Varnish:handling}x fetcherror=\"%{VSL:FetchError}x\"" },
  },
  -- varnishd -C compiles the VCL to C and prints it; -n keeps its work folder in the case,
  -- -j none keeps it root (the jail's user could not read the folder).
  check = { "${binary}", "-C", "-j", "none", "-n", "${dir}/varnish", "-f", "${dir}/varnish.vcl" },
  -- paths: none. A VCL names no file varnishd writes: its work folder and shared-memory log
  -- are under -n on the command line.
  -- VCL: a statement runs to its ';' over lines, blocks in braces, "..." strings on one line
  -- (no escapes) and {"..."} and """...""" ones over lines, each opening anywhere, comments #
  -- (anywhere outside a string), // and /* */ (vcc_token.c).
  syntax = { ends = ";", blocks = "{}", quotes = '"{', quote_at = "anywhere", escapes = false,
             comments = { "#any", "//", "/*" } },
  -- A VCL's include is read as part of it (include +glob too); a relative name is looked up in
  -- vcl_path, /etc/varnish first (its other folder holds the packages' own VCL).
  includes = { '^%s*include%s+"([^"]+)"', '^%s*include%s+%+glob%s+"([^"]+)"' },
  paths_base = "/etc/varnish",
  -- Where a VCL sends: each backend's .host (with its port, if it says one; else its block's
  -- .port, or port 80) and .port; a .path is a unix socket.
  targets = {
    { match = "^%s*%.host%s*=%s*(%S+)", part = "host", needs = "^%s*%.port%s*=" },
    { match = "^%s*%.port%s*=%s*(%S+)", part = "port" },
    { match = "^%s*%.path%s*=%s*(%S+)", part = "socket",
      use = '.host = "${upstream_host}"; .port = "${upstream_port}";' },
  },
  retries = {
    off = "# retries off: no return (retry)",
    on = "sub vcl_backend_error {\n    if (bereq.retries < 2) {\n        return (retry);\n    }\n}",
  },
  logs = { "access.log" },
  -- both lines of the request (client side "c", backend side "b" with the fetch error) and a
  -- crash of the child (stderr has "Error: Child (N) died signal=15" on every normal stop)
  log_match = "\"[A-Z]+ |[Pp]anic|Assert|not responding",
  ready_timeout = 30,
  warmup_ms = 300, -- varnishncsa attaching
  settle_ms = 300, -- varnishncsa writing the request's line
  -- How `badup explain` reads varnish's lines (docs/proxies.md, "explain"): varnishncsa's
  -- access lines with fetcherror=, and varnishlog's FetchError records.
  explain = {
    detect = { "fetcherror=\"", "FetchError" },
    tags = { "varnishd", "varnishncsa", "varnishlog", "varnish" },
    masks = {
      -- the backend's name in "backend default: fail errno 111"
      { pattern = "backend ([^ :\"]+): fail", groups = { 1 }, with = "<name>" },
    },
    signatures = {
      { kind = "varnish-fetcherror", label = "FetchError", pattern = "fetcherror=\"([^\"]+)\"", group = 1 },
      { kind = "varnish-fetcherror", label = "FetchError", pattern = "FetchError[ ]+(.+)$", group = 1 },
    },
    -- varnishncsa's default format is NCSA combined: no FetchError
    fields = {
      { name = "fetcherror=", pattern = " fetcherror=\"[^\"]*\"", kind = "varnish-fetcherror", anchor = "status",
        meaning = "varnishncsa's %{VSL:FetchError}x: why the backend fetch failed; its default format lacks it" },
    },
    -- varnishncsa's default format is NCSA combined: the fetch error only with %{VSL:FetchError}x
    look_in = {
      log = "access.log",
      what = "the FetchError: varnishlog's record, or %{VSL:FetchError}x in varnishncsa's format (its default "
          .. "lacks it)",
    },
  },
}
