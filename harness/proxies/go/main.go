// go-reverseproxy: a reverse proxy on Go's net/http/httputil.ReverseProxy, written the way
// its users write one, for harness/proxies/go-reverseproxy.lua. Standard library only.
//
// Usage:
//
//	go-reverseproxy CONFIG.json     (the definition writes it into the case folder)
//	go-reverseproxy -version        (the Go release it was built with)
//
// CONFIG.json: {"listen": PORT, "target": "http://HOST:PORT", "connect_timeout_ms": MS,
// "read_timeout_ms": MS, "log": "FILE"}. The Transport is http.DefaultTransport's with two
// timeouts from the run: the dialer's Timeout is the connect timeout, ResponseHeaderTimeout
// the read timeout (from the request written to the response header read). Nothing bounds
// a response body that stalls after its header: Go's Transport has no body idle timeout.
// ErrorHandler stays ReverseProxy's default: it logs "http: proxy error: ..." to ErrorLog
// (stderr here) and answers 502 with no body; only the error is also kept for the access
// log. No retries: ReverseProxy sends a request once (the Transport itself re-sends a
// request on a reused keep-alive connection that died before any byte of the response,
// for idempotent methods).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	Listen           int    `json:"listen"`
	Target           string `json:"target"`
	ConnectTimeoutMs int    `json:"connect_timeout_ms"`
	ReadTimeoutMs    int    `json:"read_timeout_ms"`
	Log              string `json:"log"`
}

// record is what the access log line needs from one request: the status sent, whether the
// body was cut, and the proxy's error if any.
type record struct {
	http.ResponseWriter
	status int
	err    error
}

func (r *record) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *record) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush keeps ReverseProxy's streaming (FlushInterval -1 for event streams) working through
// the wrapper.
func (r *record) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack keeps ReverseProxy's protocol switches (101, Upgrade) working through the wrapper:
// without it, ReverseProxy answers them 502 ("non-Hijacker ResponseWriter").
func (r *record) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the server's ResponseWriter is not an http.Hijacker")
	}
	if r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

type ctxKey struct{}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Printf("go-reverseproxy %s\n", runtime.Version())
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-reverseproxy CONFIG.json | -version")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		log.Fatalf("%s: %v", os.Args[1], err)
	}
	target, err := url.Parse(c.Target)
	if err != nil {
		log.Fatalf("target: %v", err)
	}
	logFile, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	var logMu sync.Mutex

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{
		Timeout:   time.Duration(c.ConnectTimeoutMs) * time.Millisecond,
		KeepAlive: 30 * time.Second,
	}).DialContext
	transport.ResponseHeaderTimeout = time.Duration(c.ReadTimeoutMs) * time.Millisecond

	errorLog := log.New(os.Stderr, "", log.LstdFlags)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = transport
	proxy.ErrorLog = errorLog
	// The default ErrorHandler's behaviour, word for word (log, 502, no body), with the
	// error also kept for the access line.
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if rec, ok := r.Context().Value(ctxKey{}).(*record); ok {
			rec.err = err
		}
		errorLog.Printf("http: proxy error: %v", err)
		w.WriteHeader(http.StatusBadGateway)
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		rec := &record{ResponseWriter: w}
		cut := false
		func() {
			// ReverseProxy panics with http.ErrAbortHandler when the body breaks after the
			// header went out: net/http then cuts the connection. The line is logged first.
			defer func() {
				if p := recover(); p != nil {
					cut = true
					line := accessLine(r, rec, t0, cut)
					logMu.Lock()
					logFile.WriteString(line)
					logMu.Unlock()
					panic(p)
				}
			}()
			proxy.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rec)))
		}()
		line := accessLine(r, rec, t0, cut)
		logMu.Lock()
		logFile.WriteString(line)
		logMu.Unlock()
	})

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.Listen))
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{Handler: handler, ErrorLog: errorLog}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	fmt.Printf("go-reverseproxy listening on %s -> %s\n", ln.Addr(), c.Target)
	log.Fatal(server.Serve(ln))
}

// accessLine: node-proxy.js's shape, tagged via=go-reverseproxy:
// 127.0.0.1 [2026-01-01T00:00:00.000Z] "GET /path HTTP/1.1" 502 12ms via=go-reverseproxy error="..."
func accessLine(r *http.Request, rec *record, t0 time.Time, cut bool) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	status := fmt.Sprint(rec.status)
	if rec.status == 0 {
		status = "-"
	}
	if cut {
		status += "+abort"
	}
	why := ""
	if rec.err != nil {
		why = fmt.Sprintf(" error=%q", strings.ReplaceAll(rec.err.Error(), "\"", "'"))
	} else if cut {
		why = ` error="body cut after the header (http.ErrAbortHandler)"`
	}
	return fmt.Sprintf("%s [%s] \"%s %s %s\" %s %dms via=go-reverseproxy%s\n", host,
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), r.Method, r.RequestURI, r.Proto, status,
		time.Since(t0).Milliseconds(), why)
}
