# bench/lib.sh: what the sh benchmark scripts (capacity.sh, fault_sweep.sh, latency_sweep.sh)
# share: the processes they start (stopped by PID, never by name), kernel-chosen ports, a
# minimal nginx (as an upstream), a badup serve, the proxies under test as their definitions
# configure them (`badup proxy render`), the reading of `badup bench` summaries, and Ctrl-C. Source it after setting $me (the script's
# name, for messages) and $BADUP (the binary).
#
# PROXY_DEFS, when set, is the folder of proxy definitions (default: the repository's
# harness/proxies), for a proxy defined elsewhere.
#
# Sourcing it checks $BADUP (exit 2 if it is not there), makes the scratch folder $work
# (removed on exit) and puts /usr/sbin on the PATH, where Debian installs haproxy and nginx.
#
# A script measures points one after the other. It defines record_point (add the point in
# progress, whose `badup bench` summary is $point_summary, to its data) and finish (publish
# the data measured so far and draw it). Around each `badup bench` it sets in_point=1 and
# point_summary, and in_point=0 once the point is recorded. On Ctrl-C (SIGINT to the process
# group, as a terminal sends it) badup bench stops its load and still writes its summary; the
# trap then stops every process, records that cut-short point, calls finish with
# interrupted=1, and exits 130: what was measured is kept, as data and as graphs.

[ -x "$BADUP" ] || { echo "$me: no badup at $BADUP (build it, or set BADUP)" >&2; exit 2; }
PATH="$PATH:/usr/sbin"
work=$(mktemp -d "${TMPDIR:-/tmp}/badup-${me%.sh}.XXXXXX")
pids=""
in_point=0
point_summary=""
interrupted=0

# SIGTERM to every process we started, up to 5 s each, then SIGKILL.
# (sh has no local variables: the helpers' own start with an underscore, so a caller's loop
# variable survives them.)
stop_all() {
  for _pid in $pids; do kill -TERM "$_pid" 2>/dev/null || true; done
  for _pid in $pids; do
    _i=0
    while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -KILL "$_pid" 2>/dev/null || true
    wait "$_pid" 2>/dev/null || true
  done
  pids=""
}
cleanup() { stop_all; rm -rf "$work"; }
on_interrupt() {
  trap '' INT TERM
  echo "$me: interrupted; keeping what was measured" >&2
  stop_all
  interrupted=1
  if [ "$in_point" = 1 ] && [ -s "$point_summary" ]; then record_point || true; fi
  in_point=0
  finish || true
  exit 130
}
trap cleanup EXIT
trap on_interrupt INT TERM

# begin_point SUMMARY: a point's `badup bench --out` summary; a stale one (an earlier run into
# the same folder) is removed first, so an interrupted point is never confused with it.
begin_point() {
  rm -f "$1"
  point_summary=$1
  in_point=1
}
end_point() { in_point=0; }

# has_rows FILE: true when FILE has a line that is not a comment.
has_rows() { grep -qv '^#' "$1" 2>/dev/null; }

# publish SRC DEST: copy a finished file from the scratch folder into place under a temporary
# name, then rename it, so DEST is never seen half-written (and nothing is left on Ctrl-C).
publish() {
  cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (5 s at most) until something accepts on 127.0.0.1:$1.
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# A minimal nginx: daemon off, no master, one worker, everything under $1. $2 is the http{} body,
# $3 the worker_connections (default 4096). Its output goes to $1/nginx.log.
start_nginx() {
  mkdir -p "$1/tmp"
  cat >"$1/nginx.conf" <<CFG
daemon off;
master_process off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections ${3:-4096}; }
http {
    access_log off;
    client_body_temp_path $1/tmp; proxy_temp_path $1/tmp; fastcgi_temp_path $1/tmp;
    uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
$2
}
CFG
  nginx -p "$1" -e "$1/error.log" -c "$1/nginx.conf" >"$1/nginx.log" 2>&1 &
  pids="$pids $!"
}

# start_badup DIR ARGS...: `badup serve --listen 127.0.0.1:0 --seed 1 ARGS...` with its output
# in DIR; sets upstream_port and admin_port from its start-up line (5 s at most).
start_badup() {
  _dir=$1
  shift
  # A caller may start several simulators into one DIR, one after the other: the last one's
  # start-up line must never be read as this one's.
  rm -f "$_dir/serve.out" "$_dir/serve.err"
  "$BADUP" serve --listen 127.0.0.1:0 --seed 1 "$@" >"$_dir/serve.out" 2>"$_dir/serve.err" &
  _serve=$!
  pids="$pids $_serve"
  _i=0
  # The whole line: read while it is being written, it can end at "admin=127.0.0.1:".
  while [ "$( (wc -l <"$_dir/serve.out") 2>/dev/null || echo 0)" -lt 1 ]; do
    _i=$((_i + 1))
    if [ $_i -gt 50 ] || ! kill -0 "$_serve" 2>/dev/null; then
      echo "$me: badup serve did not start:" >&2
      cat "$_dir/serve.err" >&2
      return 1
    fi
    sleep 0.1
  done
  upstream_port=$(sed -n 's/.*listen=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$_dir/serve.out")
  admin_port=$(sed -n 's/.*admin=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$_dir/serve.out")
  if [ -z "$upstream_port" ] || [ -z "$admin_port" ]; then
    echo "$me: badup serve's start-up line has no ports: $(cat "$_dir/serve.out")" >&2
    return 1
  fi
}

# proxy_installed PROXY: true when PROXY's definition finds its binary (`badup list`).
proxy_installed() {
  "$BADUP" list ${PROXY_DEFS:+--proxies "$PROXY_DEFS"} 2>/dev/null |
    awk -v p="$1" '/^proxies/ { s = 1; next } /^client-side knobs/ { s = 0 } s && $1 == p { ok = $2 == "installed" } END { exit !ok }'
}

# start_proxy PROXY DIR READ_MS RETRIES: PROXY (haproxy, nginx, or any definition of
# harness/proxies, or of $PROXY_DEFS when set) on a kernel-chosen port (sets proxy_port) in front of 127.0.0.1:$upstream_port,
# in the configuration `badup run` tests: `badup proxy render` writes its files into DIR from
# its definition, with connect timeout 1 s, read timeout READ_MS, room for 4096 connections
# (${max_connections}), and RETRIES 1: the definition's retries.on (`badup run --retries`), 0:
# retries.off. Its sidecars (varnish's log reader) start once it listens. Output in DIR/proxy.log.
start_proxy() {
  mkdir -p "$2"
  _read_s=$(awk -v ms="$3" 'BEGIN { printf "%g", ms / 1000 }')
  _retries=""
  [ "$4" = 1 ] && _retries="--retries"
  # render wants its folder empty (or its own): its output goes there once it has rendered
  _rendered=$("$BADUP" proxy render "$1" ${PROXY_DEFS:+--proxies "$PROXY_DEFS"} --upstream "127.0.0.1:$upstream_port" \
    --dir "$2" --connect-timeout 1 --read-timeout "$_read_s" --max-connections 4096 $_retries) ||
    { echo "$me: cannot render $1's configuration" >&2; return 1; }
  printf '%s\n' "$_rendered" >"$2/render.out"
  proxy_port=$(sed -n 's/^port: //p' "$2/render.out")
  # sh execs the command: the PID recorded is the proxy's
  sh -c "$(sed -n 's/^command: //p' "$2/render.out")" >"$2/proxy.log" 2>&1 &
  pids="$pids $!"
  wait_port "$proxy_port" || { echo "$me: $1 did not start:" >&2; cat "$2"/*.log >&2 2>/dev/null; return 1; }
  _n=$(grep -c '^sidecar: ' "$2/render.out" || true)
  _i=1
  while [ "$_i" -le "$_n" ]; do
    sh -c "$(sed -n 's/^sidecar: //p' "$2/render.out" | sed -n "${_i}p")" >>"$2/sidecar.log" 2>&1 &
    pids="$pids $!"
    _i=$((_i + 1))
  done
}

# bench_row SUMMARY.JSON: one line "requests_s requests errors p50 p90 p99 p99.9 max attempts
# upstream_connections" from a `badup bench --out` summary (errors: failures and non-2xx; the
# last two from --upstream-admin, -1 when unknown).
bench_row() {
  python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = sum(n for k, n in s["status"].items() if k.isdigit() and 200 <= int(k) < 300)
total = s["responses"] + s["failures"]
lat = s["latency_ms"]
att, conns = s.get("upstream_attempts"), s.get("upstream_connections")
print("%.1f %d %d %.3f %.3f %.3f %.3f %.3f %d %d" % (s["requests_per_s"], total, total - ok, lat["p50"], lat["p90"],
      lat["p99"], lat["p99.9"], lat["max"], -1 if att is None else att, -1 if conns is None else conns))
PY
}

# status_mix SUMMARY.JSON: "200=N closed=M ..." for progress lines.
status_mix() {
  python3 -c 'import json,sys; print(" ".join("%s=%d" % kv for kv in sorted(json.load(open(sys.argv[1]))["status"].items())))' "$1"
}
