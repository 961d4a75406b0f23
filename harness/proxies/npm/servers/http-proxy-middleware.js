#!/usr/bin/env node
// badup: a reverse proxy on express and the npm package http-proxy-middleware (v3 API),
// written the way its users write one: app.use(createProxyMiddleware({ target, proxyTimeout,
// on: { error } })), the error handler answering 502.
//
// usage: badup-http-proxy-middleware CONFIG.json     (harness/proxies/http-proxy-middleware.lua)
//        badup-http-proxy-middleware --version       (the http-proxy-middleware package's version)
// CONFIG.json: as node-http-proxy.js's: { "listen", "target", "proxy_timeout_ms",
//              "client_timeout_ms", "log" }
//   proxy_timeout_ms: proxyTimeout, passed on to http-proxy underneath (the upstream socket's
//   idle timeout once connected; there is no connect timeout); when it fires the upstream request is aborted and
//   reports ECONNRESET, a 502 like every other error.
//   client_timeout_ms (optional, left out): timeout, the client socket's idle timeout.
// Without on.error, http-proxy-middleware's own error response would answer: 504 for
// ECONNRESET, ECONNREFUSED, ENOTFOUND and ETIMEDOUT, 502 for an HPE_INVALID_* parse error,
// 500 for anything else; an on.error handler replaces it, as its users' usually does.
// Its defaults otherwise: no keep-alive upstream, no retries, no request body limit.
'use strict';
const fs = require('fs');

if (process.argv[2] === '--version') {
  process.stdout.write('http-proxy-middleware ' + require('http-proxy-middleware/package.json').version +
    ' express ' + require('express/package.json').version + '\n');
  process.exit(0);
}
const express = require('express');
const { createProxyMiddleware } = require('http-proxy-middleware');
const { accessLog, describe } = require('./access-log');

const conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const begin = accessLog(conf.log, 'http-proxy-middleware');

const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  res.note = begin(req, res);
  next();
});
app.use(createProxyMiddleware({
  target: conf.target,
  proxyTimeout: conf.proxy_timeout_ms,
  timeout: conf.client_timeout_ms,
  on: {
    error: (err, req, res) => {
      if (res.note) res.note(req.proxyTimedOut ? 'proxyTimeout (' + describe(err) + ')' : describe(err));
      // on a WebSocket upgrade res is the socket; the catalog sends none, but the handler
      // is written as its users write it
      if (typeof res.writeHead !== 'function') return res.destroy();
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' });
        res.end('Bad Gateway\n');
      } else {
        res.destroy();
      }
    },
    // only for the log line: whether proxyTimeout fired, and a body broken after its header
    proxyReq: (proxyReq, req) => {
      proxyReq.on('timeout', () => { req.proxyTimedOut = true; });
    },
    proxyRes: (proxyRes, req, res) => {
      proxyRes.on('aborted', () => { if (res.note) res.note('upstream aborted mid-body'); });
    },
  },
}));
const server = app.listen(conf.listen, '127.0.0.1', () => {
  process.stdout.write('http-proxy-middleware listening on 127.0.0.1:' + conf.listen + ' -> ' + conf.target + '\n');
});
server.on('error', (e) => { process.stderr.write('listen: ' + e.message + '\n'); process.exit(1); });
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
