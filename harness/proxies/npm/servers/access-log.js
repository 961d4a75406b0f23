// The access log both Node.js servers write: one line per request, once it is over, in the
// shape of node-proxy.js's (the harness's hand-rolled proxy), tagged with the package so that
// badup explain tells the three apart:
//   127.0.0.1 [2026-01-01T00:00:00.000Z] "GET /path HTTP/1.1" 502 12ms via=http-proxy error="ECONNREFUSED"
// status: the one sent, "+abort" after it when the connection was cut mid-body, or
// "client_closed" when the client went away first. error: why, when something failed.
'use strict';
const fs = require('fs');

function accessLog(file, via) {
  const fd = fs.openSync(file, 'a');
  // Starts a request's record; returns note(why), which keeps the first failure to log.
  return function begin(req, res) {
    const t0 = Date.now();
    const from = req.socket.remoteAddress; // gone from a destroyed socket by the time it is logged
    let why = '';
    let logged = false;
    const write = (status) => {
      if (logged) return;
      logged = true;
      const line = from + ' [' + new Date().toISOString() + '] "' + req.method + ' ' +
        req.originalUrl_ + ' HTTP/' + req.httpVersion + '" ' + status + ' ' + (Date.now() - t0) + 'ms via=' + via +
        (why ? ' error="' + why.replace(/"/g, "'") + '"' : '') + '\n';
      fs.writeSync(fd, line);
    };
    req.originalUrl_ = req.url; // express rewrites req.url on its way through routers
    res.on('finish', () => write(String(res.statusCode)));
    res.on('close', () => {
      if (res.writableFinished) return;
      write(res.headersSent ? res.statusCode + '+abort' : 'client_closed');
    });
    return (w) => { if (!why) why = w; };
  };
}

// What a Node error says, as the log's error field: its code and message.
function describe(err) {
  if (!err) return 'error';
  if (err.code && err.message && err.message.indexOf(err.code) < 0) return err.code + ': ' + err.message;
  return err.message || String(err.code);
}

module.exports = { accessLog, describe };
