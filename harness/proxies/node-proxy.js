// badup: a typical hand-rolled Node.js reverse proxy on the core `http` module, used by
// harness/proxies/node.lua (copied into the case folder as proxy.js).
//
// usage: node proxy.js LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORTS CONNECT_TIMEOUT_S READ_TIMEOUT_S RETRIES LOG_FILE
//                      [CLIENT_HEADER_S CLIENT_BODY_S MAX_BODY [TLS_NAME:CA_FILE]]
//   UPSTREAM_PORTS: one port, or several separated by commas (a request goes to the first,
//   each retry to the next); timeouts in seconds (fractions allowed); RETRIES = extra attempts
//   for idempotent requests that failed before any response byte (0 = none); LOG_FILE gets
//   one line per request. The client side, optional (Node's defaults without them):
//   CLIENT_HEADER_S is server.headersTimeout (the whole head, from the request's first
//   byte: 408), CLIENT_BODY_S the idle time allowed between two body chunks (408, then the
//   connection is closed), MAX_BODY the largest body in bytes (413 on a larger
//   Content-Length at once, or once a chunked body passes it). TLS_NAME:CA_FILE, when given
//   and not empty: the upstream speaks TLS (https), its certificate verified against the CA
//   in CA_FILE (the only one trusted) for TLS_NAME, which is also sent as SNI.
//   HTTP/2 upstreams: when the harness renders this file for an HTTP/2 case (upstream_http2
//   in node.lua), each request goes upstream as a stream of one http2.connect session per
//   upstream port (h2c with prior knowledge; h2 by ALPN over TLS), the session reused as the
//   keep-alive pool is.
// The frontend: HTTP/1.1 (http, or https under --client-tls); HTTP/2 under --client-http2
// (the core http2 module's compatibility API: h2c with prior knowledge, or ALPN h2 over TLS),
// forwarding to the same upstream. Over HTTP/2, a request's pseudo-header fields (:method,
// :authority, ...) are not fields to forward (RFC 9113 8.3): :authority becomes Host; and
// connection-specific fields must not be sent back (8.2.2).
//
// What it does, the way such proxies are usually written:
//   - upstream keep-alive pool (http.Agent keepAlive), so a reused connection can die;
//   - 502 for upstream errors (refused, reset, EOF, parse errors), 504 for the connect
//     timeout and for the read timeout (no response header within READ_TIMEOUT_S);
//   - after the response header was forwarded, a broken or stalled body (idle for
//     READ_TIMEOUT_S) cuts the client connection: nothing else can be said any more.
//
// NB: the harness renders this file as a template, where every dollar sign followed by a
// brace is a variable: no JavaScript template literals here, strings are concatenated.
'use strict';
const http = require('http');
const https = require('https');
const http2 = require('http2');
const fs = require('fs');

const args = process.argv.slice(2);
if (args.length < 7) {
  process.stderr.write('usage: node proxy.js LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT CONNECT_S READ_S RETRIES LOG_FILE\n');
  process.exit(2);
}
const listenPort = Number(args[0]);
const upstreamHost = args[1];
const upstreamPorts = String(args[2]).split(',').map(Number);
const connectMs = Number(args[3]) * 1000;
const readMs = Number(args[4]) * 1000;
const retries = Number(args[5]) || 0;
const logFd = fs.openSync(args[6], 'a');
const headerMs = args[7] ? Number(args[7]) * 1000 : 0;
const bodyIdleMs = args[8] ? Number(args[8]) * 1000 : 0;
const maxBody = args[9] ? Number(args[9]) : 0;
// TLS_NAME:CA_FILE: the name has no ':', the path may
const tlsArg = args[10] || '';
const tlsName = tlsArg ? tlsArg.slice(0, tlsArg.indexOf(':')) : '';
const tlsCa = tlsArg ? fs.readFileSync(tlsArg.slice(tlsArg.indexOf(':') + 1)) : null;
// https verifies the certificate (rejectUnauthorized is its default) against ca, for
// servername (checkServerIdentity takes it over the host), and sends servername as SNI.
const upstream = tlsArg ? https : http;
const tlsOptions = tlsArg ? { ca: tlsCa, servername: tlsName, rejectUnauthorized: true } : {};
const agent = new upstream.Agent(Object.assign({ keepAlive: true, maxSockets: 64 }, tlsOptions));

// "h2" when the upstream speaks HTTP/2 (node.lua's upstream_http2), else ""
const useH2 = '${upstream_http2}' === 'h2';
const h2Sessions = new Map(); // upstream port -> its http2 session
function h2Session(port) {
  const have = h2Sessions.get(port);
  if (have && !have.closed && !have.destroyed) return have;
  // the authority as its parts, as http.request takes host and port
  const authority = { protocol: tlsArg ? 'https:' : 'http:', hostname: upstreamHost, port: String(port) };
  const sess = http2.connect(authority, tlsArg ? { ca: tlsCa, servername: tlsName, rejectUnauthorized: true } : {});
  const forget = () => { if (h2Sessions.get(port) === sess) h2Sessions.delete(port); };
  // a session's error ends its streams, which report it: the session itself only leaves the pool
  sess.on('error', forget);
  sess.on('close', forget);
  sess.on('goaway', forget);
  h2Sessions.set(port, sess);
  return sess;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
// --client-http2: "h2", or "" for HTTP/1.1
const h2 = '${client_http2}' === 'h2';
// A response head of the proxy's own: HTTP/1.1 closes the connection after it; HTTP/2 has no
// Connection field (the stream ends, the connection stays).
const ownHead = (type) => (h2 ? { 'content-type': type } : { 'content-type': type, connection: 'close' });

function log(req, status, t0, attempts, why) {
  const line = req.socket.remoteAddress + ' [' + new Date().toISOString() + '] "' + req.method + ' ' + req.url +
    ' HTTP/' + req.httpVersion + '" ' + status + ' ' + (Date.now() - t0) + 'ms attempts=' + attempts +
    (why ? ' error="' + why + '"' : '') + '\n';
  fs.writeSync(logFd, line);
}

function proxy(req, res) {
  const t0 = Date.now();
  const body = [];
  let attempts = 0;
  let logged = false;
  let current = null;
  const done = (status, why) => {
    if (logged) return;
    logged = true;
    log(req, status, t0, attempts, why);
  };
  res.on('close', () => {
    if (!logged) {
      done('client_closed', 'client went away');
      if (current) current.destroy();
    }
  });

  const attempt = () => {
    attempts++;
    let settled = false;
    let timer = null;
    const headers = Object.assign({}, req.headers);
    for (const h of HOP_BY_HOP) delete headers[h];
    if (h2) {
      for (const h of Object.keys(headers)) if (h.startsWith(':')) delete headers[h];
      if (!headers.host && req.authority) headers.host = req.authority;
    }
    headers['x-forwarded-for'] = req.socket.remoteAddress;
    const port = upstreamPorts[(attempts - 1) % upstreamPorts.length];
    if (useH2) {
      attemptH2(port, headers);
      return;
    }
    const up = upstream.request(Object.assign({ host: upstreamHost, port, method: req.method, path: req.url, headers,
      agent }, tlsOptions));
    current = up;

    // Failure before any response byte: retry (if allowed) or answer 502/504.
    const fail = (status, why, retryable) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      up.destroy();
      if (retryable && attempts <= retries && IDEMPOTENT.has(req.method) && !res.destroyed) {
        attempt();
        return;
      }
      done(status, why);
      res.writeHead(status, ownHead('text/plain'));
      res.end(status === 504 ? 'Gateway Timeout\n' : 'Bad Gateway\n');
    };

    timer = setTimeout(() => fail(504, 'connect timeout', true), connectMs);
    up.on('socket', (sock) => {
      const armRead = () => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(504, 'read timeout', false), readMs);
      };
      if (sock.connecting) sock.once('connect', armRead);
      else armRead(); // a reused keep-alive connection
    });
    up.on('error', (e) => fail(502, e.code || e.message, true));

    up.on('response', (upRes) => {
      settled = true;
      clearTimeout(timer);
      // Failure after the header went out: the client connection is cut.
      const abort = (why) => {
        clearTimeout(timer);
        up.destroy();
        done(upRes.statusCode + '+abort', why);
        res.destroy();
      };
      const armIdle = () => {
        clearTimeout(timer);
        timer = setTimeout(() => abort('read timeout in body'), readMs);
      };
      const out = Object.assign({}, upRes.headers);
      for (const h of HOP_BY_HOP) if (h !== 'transfer-encoding' || h2) delete out[h];
      if (h2) res.writeHead(upRes.statusCode, out); // HTTP/2 has no reason phrase
      else res.writeHead(upRes.statusCode, upRes.statusMessage, out);
      armIdle();
      upRes.on('data', (chunk) => {
        armIdle();
        res.write(chunk);
      });
      upRes.on('end', () => {
        clearTimeout(timer);
        done(upRes.statusCode);
        res.end();
      });
      upRes.on('aborted', () => abort('upstream aborted'));
      upRes.on('error', (e) => abort(e.code || e.message));
      upRes.on('close', () => {
        if (!upRes.complete && !logged) abort('upstream closed mid-body');
      });
    });

    up.end(Buffer.concat(body));
  };

  // One attempt as an HTTP/2 stream: the same timers, retries and answers as over HTTP/1.
  const attemptH2 = (port, headers) => {
    let settled = false;
    let timer = null;
    const sess = h2Session(port);
    const h = { ':method': req.method, ':path': req.url, ':authority': headers.host || upstreamHost + ':' + port };
    for (const k of Object.keys(headers)) if (k !== 'host') h[k] = headers[k];
    const payload = Buffer.concat(body);
    let up;
    try {
      // no body: END_STREAM on the HEADERS (node ends a GET's stream by itself, then refuses a write)
      up = sess.request(h, { endStream: payload.length === 0 });
    } catch (e) { // a session closing under the request
      done(502, e.code || e.message);
      res.writeHead(502, ownHead('text/plain'));
      res.end('Bad Gateway\n');
      return;
    }
    current = up;
    const fail = (status, why, retryable) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      up.destroy();
      if (retryable && attempts <= retries && IDEMPOTENT.has(req.method) && !res.destroyed) {
        attempt();
        return;
      }
      done(status, why);
      res.writeHead(status, ownHead('text/plain'));
      res.end(status === 504 ? 'Gateway Timeout\n' : 'Bad Gateway\n');
    };
    const armRead = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(504, 'read timeout', false), readMs);
    };
    timer = setTimeout(() => fail(504, 'connect timeout', true), connectMs);
    if (sess.connecting) sess.once('connect', armRead);
    else armRead();
    up.on('error', (e) => fail(502, e.code || e.message, true));
    let ended = false;
    up.on('response', (hdrs) => {
      settled = true;
      clearTimeout(timer);
      const status = hdrs[':status'];
      const abort = (why) => {
        clearTimeout(timer);
        up.destroy();
        done(status + '+abort', why);
        res.destroy();
      };
      const armIdle = () => {
        clearTimeout(timer);
        timer = setTimeout(() => abort('read timeout in body'), readMs);
      };
      const out = {};
      for (const k of Object.keys(hdrs)) if (k[0] !== ':' && !HOP_BY_HOP.includes(k)) out[k] = hdrs[k];
      res.writeHead(status, out);
      armIdle();
      up.on('data', (chunk) => {
        armIdle();
        res.write(chunk);
      });
      up.on('end', () => {
        ended = true;
        clearTimeout(timer);
        done(status);
        res.end();
      });
      up.on('close', () => {
        if (!ended && !logged) abort('stream closed mid-body (RST_STREAM code ' + up.rstCode + ')');
      });
    });
    // closed before any response: RST_STREAM (REFUSED_STREAM may be retried), GOAWAY, the session's end
    up.on('close', () => fail(502, 'stream closed before the response (RST_STREAM code ' + up.rstCode + ')', true));
    if (payload.length) up.end(payload);
  };

  // The client side of the body: an idle timer between chunks and a size limit, answered
  // before anything goes upstream (the body is read whole first).
  let received = 0;
  let idle = null;
  const refuse = (status, why) => {
    clearTimeout(idle);
    if (logged) return;
    done(status, why);
    res.writeHead(status, ownHead('text/plain'));
    // HTTP/1.1: the connection goes (the rest of the body would be read as a request); an
    // HTTP/2 stream ends by itself, the connection serves others
    res.end(status === 413 ? 'Payload Too Large\n' : 'Request Timeout\n', () => {
      if (!h2) req.socket.destroy();
    });
  };
  const armBodyIdle = () => {
    if (!bodyIdleMs) return;
    clearTimeout(idle);
    idle = setTimeout(() => refuse(408, 'client body idle'), bodyIdleMs);
  };
  if (maxBody && Number(req.headers['content-length']) > maxBody) {
    refuse(413, 'content-length over the limit');
    return;
  }
  armBodyIdle();
  req.on('data', (chunk) => {
    if (logged) return;
    received += chunk.length;
    if (maxBody && received > maxBody) {
      refuse(413, 'body over the limit');
      return;
    }
    armBodyIdle();
    body.push(chunk);
  });
  req.on('end', () => {
    clearTimeout(idle);
    if (!logged) attempt();
  });
}

// headersTimeout is checked every connectionsCheckingInterval (30 s by default): a tick of
// its own keeps it within a quarter of a second.
const serverOpts = headerMs ? { headersTimeout: headerMs, connectionsCheckingInterval: Math.min(250, headerMs) } : {};
// --client-tls: "CERT|KEY" (the case's PEM files), or "" for plain HTTP.
const tlsFiles = '${client_tls}'.split('|').filter(Boolean);
if (tlsFiles.length === 2) {
  serverOpts.cert = fs.readFileSync(tlsFiles[0]);
  serverOpts.key = fs.readFileSync(tlsFiles[1]);
  // the handshake gets the client header timeout (node's default: 120 s)
  if (headerMs) serverOpts.handshakeTimeout = headerMs;
}
let server;
if (h2 && tlsFiles.length === 2) server = http2.createSecureServer({ cert: serverOpts.cert, key: serverOpts.key }, proxy);
else if (h2) server = http2.createServer({}, proxy);
else if (tlsFiles.length === 2) server = https.createServer(serverOpts, proxy);
else server = http.createServer(serverOpts, proxy);
server.listen(listenPort, '127.0.0.1', () => {
  process.stdout.write('node-proxy listening on 127.0.0.1:' + listenPort + ' -> ' + upstreamHost + ':' + upstreamPorts.join(',') + '\n');
});

for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
