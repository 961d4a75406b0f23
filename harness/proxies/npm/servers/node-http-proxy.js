#!/usr/bin/env node
// badup: a reverse proxy on the npm package http-proxy (node-http-proxy), written the way its
// users write one: httpProxy.createProxyServer({ target, proxyTimeout, timeout }), a core
// http server handing every request to proxy.web(), and an 'error' listener that answers
// 502 (http-proxy itself answers nothing: without a listener its error is thrown).
//
// usage: badup-node-http-proxy CONFIG.json     (harness/proxies/node-http-proxy.lua writes it)
//        badup-node-http-proxy --version       (the http-proxy package's version)
// CONFIG.json: { "listen": PORT, "target": "http://HOST:PORT", "proxy_timeout_ms": MS,
//                "client_timeout_ms": MS, "log": "FILE" }
//   proxy_timeout_ms: http-proxy's proxyTimeout, the idle timeout of the upstream socket once
//   it is connected (http-proxy has no connect timeout: a connect never answered waits for
//   the kernel). When it fires, http-proxy aborts the upstream request, which reports
//   ECONNRESET "socket hang up": the 'error' listener cannot tell it from a reset, so it is a
//   502 as well (no 504: http-proxy's options give none).
//   client_timeout_ms (optional, the definition leaves it out): http-proxy's timeout, the idle
//   timeout of the client's socket, which also runs while the upstream is awaited.
// What it does not do, as its defaults: no keep-alive upstream (no agent: a connection per
// request), no retries, no request body limit.
'use strict';
const fs = require('fs');
const http = require('http');

if (process.argv[2] === '--version') {
  process.stdout.write('http-proxy ' + require('http-proxy/package.json').version + '\n');
  process.exit(0);
}
const httpProxy = require('http-proxy');
const { accessLog, describe } = require('./access-log');

const conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const begin = accessLog(conf.log, 'http-proxy');

const proxy = httpProxy.createProxyServer({
  target: conf.target,
  proxyTimeout: conf.proxy_timeout_ms,
  timeout: conf.client_timeout_ms,
});

// The listener its README shows: a response of its own while none was sent; once the
// upstream's header went out, nothing can be said any more and the connection is cut.
proxy.on('error', (err, req, res) => {
  if (res.note) res.note(req.proxyTimedOut ? 'proxyTimeout (' + describe(err) + ')' : describe(err));
  if (!res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' });
    res.end('Bad Gateway\n');
  } else {
    res.destroy();
  }
});
// Only for the log line: whether the upstream socket's idle timer (proxyTimeout) fired.
proxy.on('proxyReq', (proxyReq, req) => {
  proxyReq.on('timeout', () => { req.proxyTimedOut = true; });
});
// An upstream response that breaks after its header: http-proxy pipes it and says nothing.
proxy.on('proxyRes', (proxyRes, req, res) => {
  proxyRes.on('aborted', () => { if (res.note) res.note('upstream aborted mid-body'); });
});

const server = http.createServer((req, res) => {
  res.note = begin(req, res);
  proxy.web(req, res);
});
server.listen(conf.listen, '127.0.0.1', () => {
  process.stdout.write('node-http-proxy listening on 127.0.0.1:' + conf.listen + ' -> ' + conf.target + '\n');
});
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
