#!/usr/bin/env bash
# bench/loadgen.sh: badup's load generator (`badup bench`) against wrk, side by side.
#
# One nginx (one process, `return 200 "ok\n"`, on a kernel-chosen loopback port); then, in
# turn, `wrk -t1 -c50 -d10s` and `badup bench --connections 50 --duration 10` against it,
# alternately, for 3 rounds; the median requests/s of each and their ratio (target: badup
# >= 0.90 of wrk). Prints a markdown report (and writes it to --out FILE when given).
# Needs: wrk, nginx (Debian nginx-light), python3, a built badup. Only 127.0.0.1; every
# process started here is stopped here, by PID, also on Ctrl-C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

duration=10
conns=50
rounds=3
badup="$root/build/badup"
out=""

usage() {
    cat <<USAGE
usage: bench/loadgen.sh [options]
  --badup PATH      the binary (default build/badup; a Release/RelWithDebInfo build)
  --duration S      seconds per run (default $duration)
  --connections N   connections for both tools (default $conns)
  --rounds N        alternate wrk and badup N times, report the medians (default $rounds)
  --out FILE        also write the markdown report to FILE
USAGE
}
while [ $# -gt 0 ]; do
    case "$1" in
        --badup) badup=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) conns=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "loadgen.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$duration" "$conns" "$rounds"; do
    case "$n" in ''|*[!0-9]*|0) echo "loadgen.sh: not a positive whole number: $n" >&2; exit 2 ;; esac
done

me=loadgen.sh
keep_tmp=0
# shellcheck source=bench/procs.sh
. "$here/procs.sh"

command -v wrk >/dev/null || die "wrk not found (Debian package wrk)"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || die "nginx not found (Debian package nginx-light)"
[ -x "$badup" ] || die "no badup binary at $badup (build it, or pass --badup)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/badup-loadgen.XXXXXX")

freeport() {  # a port the kernel picks (bound, then released for nginx; retried on a race)
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
probe() {  # probe PORT: nginx answers 200
    python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
sys.exit(0 if s.recv(100).startswith(b"HTTP/1.1 200") else 1)' "$1" 2>/dev/null
}

# ---------------------------------------------------------------- nginx
ngx="$tmp/nginx"
mkdir -p "$ngx"
listen=""
npid=""
for attempt in 1 2 3; do
    port=$(freeport)
    cat >"$ngx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $ngx/body;
    proxy_temp_path $ngx/proxy;
    fastcgi_temp_path $ngx/fastcgi;
    uwsgi_temp_path $ngx/uwsgi;
    scgi_temp_path $ngx/scgi;
    server {
        listen 127.0.0.1:$port;
        default_type text/plain;
        location / { return 200 "ok\n"; }
    }
}
CONF
    "$nginx_bin" -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" >"$ngx/stdout" 2>&1 &
    npid=$!
    pids+=("$npid")
    for i in $(seq 1 50); do
        if probe "$port"; then listen="127.0.0.1:$port"; break; fi
        sleep 0.1
    done
    [ -n "$listen" ] && break
    say "nginx did not answer on port $port (attempt $attempt)"
    stop_pid "$npid"
    forget_pid "$npid"
done
[ -n "$listen" ] || die "nginx would not start: $(tail -n3 "$ngx/error.log" 2>/dev/null)"
say "nginx pid $npid on $listen"

# ---------------------------------------------------------------- rounds
limit=$((duration + 30))
wrk_rps=(); badup_rps=()
for r in $(seq 1 "$rounds"); do
    run_bounded "$limit" "$tmp/wrk.$r" wrk -t1 -c"$conns" -d"${duration}s" "http://$listen/" ||
        die "wrk failed: $(tail -n3 "$tmp/stderr.log")"
    w=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.$r")
    [ -n "$w" ] || die "no Requests/sec in wrk's output: $(cat "$tmp/wrk.$r")"
    run_bounded "$limit" "$tmp/badup.$r" "$badup" bench --url "http://$listen/" \
        --connections "$conns" --duration "$duration" || die "badup bench failed: $(tail -n3 "$tmp/stderr.log")"
    b=$(awk '/^requests\/s:/ { print $2 }' "$tmp/badup.$r")
    [ -n "$b" ] || die "no requests/s in badup's output: $(cat "$tmp/badup.$r")"
    say "round $r: wrk $w req/s, badup $b req/s"
    wrk_rps+=("$w"); badup_rps+=("$b")
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mw=$(median "${wrk_rps[@]}")
mb=$(median "${badup_rps[@]}")
ratio=$(awk -v b="$mb" -v w="$mw" 'BEGIN { printf "%.3f", b / w }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.90) ? "met" : "NOT met" }')
blat=$(sed -n 's/^latency (ms): //p' "$tmp/badup.$rounds")
wlat=$(awk '$1 == "Latency" { print "avg " $2 ", stdev " $3 ", max " $4; exit }' "$tmp/wrk.$rounds")

report() {
    echo "## badup bench against wrk"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -sr); $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //'),"
    echo "one process, \`return 200 \"ok\\n\"\`, on $listen; $conns connections, ${duration} s per run, $rounds rounds alternated."
    echo
    echo "| tool | requests/s per round | median |"
    echo "|---|---|---|"
    echo "| wrk -t1 -c$conns -d${duration}s | ${wrk_rps[*]} | $mw |"
    echo "| badup bench --connections $conns --duration $duration | ${badup_rps[*]} | $mb |"
    echo
    echo "badup / wrk = **$ratio** (target >= 0.90: $verdict)."
    echo
    echo "Last round's latency: badup (ms) $blat; wrk $wlat."
}
report
if [ -n "$out" ]; then report >"$out"; say "wrote $out"; fi
