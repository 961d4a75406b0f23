#!/usr/bin/env bash
# bench/tls_instructions.sh: instructions per TLS handshake and per request, badup against nginx,
# counted by valgrind's callgrind, so the comparison does not depend on what else the machine runs.
#
#   bench/tls_instructions.sh [--badup PATH] [--conns N] [--requests N] [--keep]
#
# Each server runs alone under `valgrind --tool=callgrind` (one process: badup serve
# --tls-dir DIR scenarios/tls_ok.lua; nginx, master_process off, `listen ... ssl`, return 200,
# ssl_session_cache shared:SSL:1m, ssl_session_tickets on), with the same valid.crt/valid.key
# (`badup certs`). For each load: 20 connections to warm up, `callgrind_control -z`, the load,
# `callgrind_control -d`, and the dump's total instructions (Ir) over the count. Loads (a Python
# `ssl` client, one connection at a time, an HTTP/1.0 GET read to the close): full and resumed
# handshakes (the previous connection's session offered) for TLS 1.2 and 1.3; and --requests
# keep-alive requests on one TLS connection. Prints a markdown table. Needs valgrind (its
# callgrind_control), nginx, python3. Loopback and kernel-chosen ports only; both servers are
# stopped by PID, also on Ctrl-C. About 3 minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
badup="$root/build/badup"
conns=300
requests=3000
keep_tmp=0
while [ $# -gt 0 ]; do
    case "$1" in
        --badup) badup=$2; shift 2 ;;
        --conns) conns=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --keep) keep_tmp=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "tls_instructions.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for n in "$conns" "$requests"; do
    case "$n" in ''|*[!0-9]*|0) echo "tls_instructions.sh: not a positive whole number: $n" >&2; exit 2 ;; esac
done
for c in valgrind callgrind_control nginx python3; do
    command -v "$c" >/dev/null || { echo "tls_instructions.sh: $c not found" >&2; exit 1; }
done
[ -x "$badup" ] || { echo "tls_instructions.sh: no badup at $badup" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/badup-tls-ir.XXXXXX")
server=""
stop_server() {
    local i
    [ -n "$server" ] || return 0
    kill -TERM "$server" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
}
cleanup() {
    stop_server
    if [ "$keep_tmp" = 1 ]; then echo "tls_instructions.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$tmp/load.py" <<'EOF'
"""load.py MODE N HOST:PORT: MODE full12|full13|reuse12|reuse13|ka12|ka13; prints what it did."""
import socket, ssl, sys
mode, n, addr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host, port = addr.rsplit(":", 1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if mode.endswith("12") else ssl.TLSVersion.TLSv1_3

def connect(session=None):
    return ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=30), session=session)

if mode.startswith("ka"):
    s = connect()
    for _ in range(n):
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(4096)
        head, _, body = buf.partition(b"\r\n\r\n")
        length = next(int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
        while len(body) < length:
            body += s.recv(4096)
    s.close()
    print(f"{n} requests")
    sys.exit(0)
session, reused = None, 0
for _ in range(n):
    s = connect(session if mode.startswith("reuse") else None)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while s.recv(4096):
        pass
    reused += s.session_reused
    session = s.session  # read after the answer: TLS 1.3's tickets come after the handshake
    s.close()
print(f"{reused} of {n} resumed")
EOF

"$badup" certs "$tmp/certs" >/dev/null
loads="full12 reuse12 full13 reuse13 ka12 ka13"
for name in badup nginx; do
    if [ "$name" = badup ]; then
        valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.cg" "$badup" serve --listen 127.0.0.1:0 \
            --admin 127.0.0.1:0 --tls-dir "$tmp/certs" "$root/scenarios/tls_ok.lua" >"$tmp/badup.out" 2>"$tmp/badup.err" &
        server=$!
        for i in $(seq 1 300); do grep -q ' listen=' "$tmp/badup.out" 2>/dev/null && break; sleep 0.1; done
        addr=$(sed -n 's/.* listen=\([^ ]*\).*/\1/p' "$tmp/badup.out")
    else
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        mkdir -p "$tmp/ngx"
        cat >"$tmp/ngx/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1;
pid $tmp/ngx/nginx.pid; error_log $tmp/ngx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off; keepalive_requests 1000000; client_body_temp_path $tmp/ngx;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $tmp/certs/valid.crt; ssl_certificate_key $tmp/certs/valid.key;
        ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:1m; ssl_session_tickets on;
        location / { return 200 "ok\\n"; }
    }
}
EOF
        valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.cg" nginx -p "$tmp/ngx/" -c "$tmp/ngx/nginx.conf" \
            -e "$tmp/ngx/error.log" >"$tmp/nginx.out" 2>"$tmp/nginx.err" &
        server=$!
        addr=127.0.0.1:$port
    fi
    [ -n "$addr" ] || { cat "$tmp/$name.err" >&2; echo "tls_instructions.sh: $name did not start" >&2; exit 1; }
    # under valgrind a server takes seconds to listen: the warm-up retries until it answers
    for i in $(seq 1 60); do timeout 60 python3 "$tmp/load.py" full13 1 "$addr" >/dev/null 2>&1 && break; sleep 0.5; done
    for load in $loads; do
        n=$conns; case "$load" in ka*) n=$requests ;; esac
        timeout 300 python3 "$tmp/load.py" "$load" 20 "$addr" >/dev/null
        callgrind_control -z "$server" >/dev/null 2>&1
        timeout 900 python3 "$tmp/load.py" "$load" "$n" "$addr" >"$tmp/$name.$load.client"
        callgrind_control -d "$load" "$server" >/dev/null 2>&1
        dump=$(ls -t "$tmp/$name.cg".* | head -n1)
        ir=$(sed -n 's/^totals: //p' "$dump" | head -n1)
        echo "$((ir / n)) $(cat "$tmp/$name.$load.client")" >"$tmp/$name.$load.ir"
    done
    stop_server
done

echo "| load | badup instructions | nginx instructions | nginx / badup (above 1: badup does less) |"
echo "|---|---|---|---|"
for load in $loads; do
    b=$(cut -d' ' -f1 "$tmp/badup.$load.ir"); n=$(cut -d' ' -f1 "$tmp/nginx.$load.ir")
    case "$load" in
        full*) what="full handshake, TLS 1.${load#full1}" ;; reuse*) what="resumed handshake, TLS 1.${load#reuse1}" ;;
        ka*) what="request on an established connection, TLS 1.${load#ka1}" ;;
    esac
    printf '| %s (badup: %s; nginx: %s) | %s | %s | %s |\n' "$what" "$(cut -d' ' -f2- "$tmp/badup.$load.ir")" \
        "$(cut -d' ' -f2- "$tmp/nginx.$load.ir")" "$b" "$n" "$(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.3f", n / b }')"
done
