#!/usr/bin/env bash
# bench/tls.sh: the simulator's TLS cost beside nginx's, in one run.
#
# Two servers, one worker each, the SAME certificate and key (the run's valid.crt and
# valid.key, EC P-256, made by `badup certs`):
#   - `badup serve --tls-dir DIR scenarios/tls_ok.lua`;
#   - nginx, `listen ... ssl`, `return 200 "ok\n"`, `ssl_session_cache shared:SSL:1m;
#     ssl_session_tickets on;`.
# Measured, each server in turn, interleaved over --rounds, the median round reported:
#   1. full TLS handshakes per second, a new connection per request:
#      `openssl s_time -new -www /`, TLS 1.2 and TLS 1.3 as separate rows;
#   2. resumed handshakes per second: `openssl s_time -reuse -www /` (TLS 1.2: session
#      ticket; TLS 1.3: PSK from a NewSessionTicket), its progress line read to count the
#      connections that were really resumed ('r') and those that were not ('*');
#   3. requests per second over established TLS connections: `wrk -t1 -c50 --latency https://`.
# s_time is one blocking process; --clients runs several at once so that the server, not
# the client, limits the figure. Each row also gives server and client CPU and
# "per server CPU-second", which compares the servers' efficiency even when the client or
# the other processes on the machine set the pace.
# bench/tls_instructions.sh counts instructions per handshake instead, which the machine's
# other load does not move.
# Before measuring, `openssl s_client -brief` shows each server's version, cipher and key
# exchange for TLS 1.2 and 1.3, and `-sess_out` / `-sess_in` shows "Reused" on both.
#
# The machine is shared: before each measurement the script waits (--quiet-wait, bounded)
# for other processes to calm down, and the report says how much CPU they took.
# Prints a markdown report and writes it to --out (default bench/results/tls.md).
# Needs: openssl (the command), wrk, nginx (Debian nginx-light: it has the ssl module),
# python3 (stdlib), a built badup. Only 127.0.0.1 and kernel-chosen ports; every process
# started here is stopped here, by PID, also on Ctrl-C; the temporary folder is removed
# unless --keep.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

duration=5
warmup=1
wrk_conns=50
clients=2
out="$here/results/tls.md"
build_dir="$root/build"
badup=""
scenario="$root/scenarios/tls_ok.lua"
rounds=3
quiet_wait=10
quiet_pct=25
do_build=0
keep_tmp=0

usage() {
    cat <<EOF
usage: bench/tls.sh [options]
  --duration SECONDS   length of each measured run (s_time -time, wrk -d; default $duration)
  --rounds N           repeat every measurement N times, servers interleaved; report the
                       median round (default $rounds)
  --clients N          s_time processes at once per handshake measurement (default $clients)
  --out FILE           where the markdown report goes (default bench/results/tls.md)
  --badup PATH         the binary (default BUILD-DIR/badup)
  --build              configure BUILD-DIR in Release and build badup first
  --build-dir DIR      where --build builds (default build/)
  --quiet-wait S       before each run, wait up to S s (default $quiet_wait) for other processes
                       to use under $quiet_pct% of a core; 0 to skip the wait
  --keep               keep the temporary folder (certificates, configs, raw outputs)
Ten measured runs a round: about 10 x (duration + 2 + quiet-wait) x rounds seconds in all
(the defaults: about 9 minutes on a busy machine, 4 on a quiet one).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --badup) badup=$2; shift 2 ;;
        --build) do_build=1; shift ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --quiet-wait) quiet_wait=$2; shift 2 ;;
        --keep) keep_tmp=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "tls.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$quiet_wait" in ''|*[!0-9]*) echo "tls.sh: --quiet-wait needs whole seconds" >&2; exit 2 ;; esac
for n in "$duration" "$rounds" "$clients"; do
    case "$n" in ''|*[!0-9]*|0) echo "tls.sh: not a positive whole number: $n" >&2; exit 2 ;; esac
done
[ "$clients" -le 16 ] || { echo "tls.sh: --clients at most 16" >&2; exit 2; }

me=tls.sh
# shellcheck source=bench/procs.sh
. "$here/procs.sh"
need_tools openssl
"$nginx_bin" -V 2>&1 | grep -q -- --with-http_ssl_module || die "this nginx has no ssl module"
need_badup
[ -f "$scenario" ] || die "missing scenario $scenario"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/badup-bench-tls.XXXXXX")
: >"$tmp/stderr.log"
clk_tck=$(getconf CLK_TCK)
certs="$tmp/certs"
"$badup" certs "$certs" >"$tmp/certs.out" 2>&1 || die "badup certs failed: $(cat "$tmp/certs.out")"
[ -f "$certs/valid.crt" ] && [ -f "$certs/valid.key" ] || die "badup certs made no valid.crt/valid.key in $certs"

# ---------------------------------------------------------------- helpers
fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { if (v == "") print "n/a"; else printf "%.*f", d, v }'; }

# wait_tls HOST:PORT: up to 5 s for a TLS handshake and an HTTP 200 on it
wait_tls() {
    local i
    for i in $(seq 1 50); do
        if printf 'GET / HTTP/1.0\r\n\r\n' |
           timeout 3 openssl s_client -connect "$1" -quiet -ign_eof 2>/dev/null | grep -q '^HTTP/1.1 200'; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

started_pid=""; started_listen=""
start_badup() {  # start_badup NAME: badup serve on the run's certificates; sets started_pid/_listen
    local name=$1 i line=""
    rm -f "$tmp/$name.stdout" "$tmp/$name.stderr"
    "$badup" serve --listen 127.0.0.1:0 --admin 127.0.0.1:0 --tls-dir "$certs" "$scenario" \
        >"$tmp/$name.stdout" 2>"$tmp/$name.stderr" &
    started_pid=$!
    pids+=("$started_pid")
    for i in $(seq 1 100); do
        # only a whole line: one read while it is written can end half-way
        if [ "$( (wc -l <"$tmp/$name.stdout") 2>/dev/null || echo 0)" -ge 1 ]; then
            line=$(grep -m1 '^badup serve: ' "$tmp/$name.stdout" || true)
            break
        fi
        kill -0 "$started_pid" 2>/dev/null || { cat "$tmp/$name.stderr" >&2; die "badup serve exited before its start-up line"; }
        sleep 0.1
    done
    [ -n "$line" ] || { cat "$tmp/$name.stderr" >&2; die "no start-up line from badup serve in 10 s"; }
    case "$line" in *" tls=$certs"*) ;; *) die "badup serve is not serving TLS from $certs: $line" ;; esac
    started_listen=$(printf '%s\n' "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
    [ -n "$started_listen" ] || die "cannot read listen= from: $line"
    wait_tls "$started_listen" || die "badup does not answer 200 over TLS on $started_listen"
    say "$name: pid $started_pid, $line"
}

start_nginx() {  # start_nginx NAME: nginx over TLS on a kernel-chosen port; sets started_pid/_listen
    local name=$1 attempt port ngx="$tmp/$1"
    mkdir -p "$ngx"
    for attempt in 1 2 3; do
        # a port the kernel chose, free again once python closed it
        python3 "$client" freeport >"$tmp/freeport.kv"
        port=$(kv "$tmp/freeport.kv" port)
        cat >"$ngx/nginx.conf" <<EOF
# rendered by bench/tls.sh: one process, no logs, one fixed answer over TLS
daemon off;
master_process off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;   # like badup, never close a busy keep-alive connection
    client_body_temp_path $ngx/body;
    proxy_temp_path $ngx/proxy;
    fastcgi_temp_path $ngx/fastcgi;
    uwsgi_temp_path $ngx/uwsgi;
    scgi_temp_path $ngx/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $certs/valid.crt;
        ssl_certificate_key $certs/valid.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:1m;
        ssl_session_tickets on;
        default_type text/plain;
        location / { return 200 "ok\n"; }
    }
}
EOF
        "$nginx_bin" -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" >"$ngx/stdout" 2>&1 &
        started_pid=$!
        pids+=("$started_pid")
        started_listen="127.0.0.1:$port"
        if wait_tls "$started_listen"; then
            say "$name: pid $started_pid, listen=$started_listen"
            return 0
        fi
        say "nginx did not answer on port $port (attempt $attempt): $(tail -n2 "$ngx/error.log" 2>/dev/null)"
        stop_pid "$started_pid"; forget_pid "$started_pid"
    done
    die "nginx would not start; see above"
}

# The parallel client: --clients s_time processes at once, each into its own file.
cat >"$tmp/stime_par.sh" <<'EOF'
#!/usr/bin/env bash
# stime_par.sh N OUTPREFIX S_TIME-ARGS...: N openssl s_time at once; waits for all
n=$1 prefix=$2
shift 2
for i in $(seq 1 "$n"); do openssl s_time "$@" >"$prefix.$i" 2>&1 & done
wait
EOF

# record_cpu LABEL PID C0 C1 SECONDS: the CPU lines of LABEL's key=value file
record_cpu() {
    local label=$1 pid=$2 c0=$3 c1=$4 server_s
    server_s=$(calc "($c1 - $c0) / $clk_tck")
    echo "cpu_s=$server_s"
    echo "client_cpu_s=$(kv "$tmp/$label.cpu" cmd_cpu_s)"
    echo "wall_s=$(kv "$tmp/$label.cpu" wall_s)"
    echo "others_cpu_s=$(awk -v m="$(kv "$tmp/$label.cpu" machine_busy_s)" -v s="$server_s" \
        -v w="$(kv "$tmp/$label.cpu" cmd_cpu_s)" 'BEGIN { o = m - s - w; printf "%.3f", (o > 0 ? o : 0) }')"
    echo "busy_before_pct=$(kv "$tmp/$label.quiet" busy_pct)"
    echo "rss_kb=$(proc_field "$pid" VmRSS)"
}

# bench_stime LABEL HOST:PORT PID new|reuse 1_2|1_3: handshakes per second; LABEL.kv
bench_stime() {
    local label=$1 addr=$2 pid=$3 mode=$4 ver=$5 c0 c1 f conns=0 reused=0 fresh=0 i n bytes=""
    local args=(-connect "$addr" "-$mode" "-tls$ver" -www /)
    say "$label: $clients x openssl s_time ${args[*]} -time $duration"
    run_bounded 30 "$tmp/$label.warmup" bash "$tmp/stime_par.sh" 1 "$tmp/$label.warm" "${args[@]}" -time "$warmup" ||
        die "$label: s_time warm-up failed: $(tail -n3 "$tmp/$label.warm.1")"
    wait_quiet "$label"
    c0=$(cpu_ticks "$pid")
    run_bounded $((duration + 30)) "$tmp/$label.timed" python3 "$client" timed --cpu-out "$tmp/$label.cpu" -- \
        bash "$tmp/stime_par.sh" "$clients" "$tmp/$label.stime" "${args[@]}" -time "$duration" ||
        die "$label: s_time failed"
    c1=$(cpu_ticks "$pid")
    for i in $(seq 1 "$clients"); do
        f="$tmp/$label.stime.$i"
        # "N connections in T real seconds": every connection of the timed loop
        n=$(awk '/connections in .* real seconds/ { print $1 }' "$f")
        [ -n "$n" ] || die "$label: no 'connections in ... real seconds' from s_time: $(tail -n3 "$f")"
        conns=$((conns + n))
        bytes=$(awk '/real seconds/ { print $(NF - 4) }' "$f")  # "..., B bytes read per connection"
        # the progress line: one character per connection, 'r' resumed, '*' (or 't', '3') not
        reused=$((reused + $(grep -E '^[r*t3]+$' "$f" | tr -cd 'r' | wc -c)))
        fresh=$((fresh + $(grep -E '^[r*t3]+$' "$f" | tr -cd '*t3' | wc -c)))
    done
    {
        echo "conns=$conns"
        echo "reused=$reused"
        echo "fresh=$fresh"
        echo "bytes_per_conn=$bytes"
        echo "rate=$(calc "$conns / $(kv "$tmp/$label.cpu" wall_s)")"
        record_cpu "$label" "$pid" "$c0" "$c1"
    } >"$tmp/$label.kv"
    say "$label: $(fmt "$(kv "$tmp/$label.kv" rate)" 0) handshakes/s ($reused resumed, $fresh full)"
}

# bench_wrk LABEL HOST:PORT PID: requests per second over established TLS connections; LABEL.kv
bench_wrk() {
    local label=$1 addr=$2 pid=$3 url="https://$2/" c0 c1 f="$tmp/$1.wrk"
    say "$label: warm-up ${warmup}s, then wrk -t1 -c$wrk_conns -d${duration}s --latency $url"
    run_bounded $((warmup + 30)) "$tmp/$label.warmup" wrk -t1 -c"$wrk_conns" -d"${warmup}s" "$url" ||
        die "$label: wrk warm-up failed: $(tail -n3 "$tmp/stderr.log")"
    wait_quiet "$label"
    c0=$(cpu_ticks "$pid")
    run_bounded $((duration + 30)) "$f" python3 "$client" timed --cpu-out "$tmp/$label.cpu" -- \
        wrk -t1 -c"$wrk_conns" -d"${duration}s" --latency "$url" ||
        die "$label: wrk failed: $(tail -n3 "$tmp/stderr.log")"
    c1=$(cpu_ticks "$pid")
    {
        echo "rate=$(awk '/^Requests\/sec:/ { print $2 }' "$f")"
        echo "requests=$(awk '/requests in/ { print $1 }' "$f")"
        echo "p50=$(awk '$1 == "50%" { print $2 }' "$f")"
        echo "p99=$(awk '$1 == "99%" { print $2 }' "$f")"
        echo "non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$f")"
        echo "sockerr=$(sed -n 's/^ *Socket errors: *//p' "$f")"
        record_cpu "$label" "$pid" "$c0" "$c1"
    } >"$tmp/$label.kv"
    [ -n "$(kv "$tmp/$label.kv" rate)" ] || die "$label: no Requests/sec in wrk's output: $(cat "$f")"
    say "$label: $(kv "$tmp/$label.kv" rate) req/s"
}

# check_tls NAME HOST:PORT 1_2|1_3: what s_client negotiates, and whether a saved session is
# resumed on a second connection; NAME.tlsVER.kv
check_tls() {
    local name=$1 addr=$2 ver=$3 f="$tmp/$1.check$3" sess="$tmp/$1.sess$3"
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "$addr" -brief "-tls$ver" \
        -ign_eof -sess_out "$sess" >"$f.first" 2>&1 || true
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect "$addr" "-tls$ver" \
        -ign_eof -sess_in "$sess" >"$f.second" 2>&1 || true
    {
        echo "version=$(sed -n 's/^Protocol version: //p' "$f.first" | head -n1)"
        echo "cipher=$(sed -n 's/^Ciphersuite: //p' "$f.first" | head -n1)"
        echo "kex=$(sed -n 's/^Server Temp Key: //p' "$f.first" | head -n1)"
        echo "sig=$(sed -n 's/^Signature type: //p' "$f.first" | head -n1)"
        echo "status=$(grep -m1 '^HTTP/' "$f.first" | tr -d '\r')"
        echo "resumed=$(grep -m1 -E '^(Reused|New), ' "$f.second" | tr -d '\r')"
    } >"$f.kv"
}


# ---------------------------------------------------------------- environment
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=""
if [ -n "$(git -C "$root" status --porcelain 2>/dev/null | head -n1)" ]; then dirty=" (work tree has changes)"; fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$badup")/CMakeCache.txt" 2>/dev/null || true)
[ -n "$build_type" ] || build_type="unknown"
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
nginx_version=$("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //')
nginx_openssl=$("$nginx_bin" -V 2>&1 | sed -n 's/^built with //p' | head -n1)
openssl_version=$(openssl version)
wrk_version=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
key_type=$(openssl x509 -in "$certs/valid.crt" -noout -text 2>/dev/null |
    sed -n 's/^ *NIST CURVE: /EC /p' | head -n1 || true)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------- what each server negotiates
say "checking what each server negotiates"
start_nginx nginx
for v in 1_2 1_3; do check_tls nginx "$started_listen" "$v"; done
stop_started "$started_pid"
start_badup badup
for v in 1_2 1_3; do check_tls badup "$started_listen" "$v"; done
stop_started "$started_pid"

# ---------------------------------------------------------------- measurements
tests=(full1_2 full1_3 reuse1_2 reuse1_3 wrk)
for r in $(seq 1 "$rounds"); do
    say "round $r of $rounds"
    # both servers up at once, each measurement run against one then the other
    start_nginx nginx; ngx_pid=$started_pid; ngx_addr=$started_listen
    start_badup badup; bad_pid=$started_pid; bad_addr=$started_listen
    # who goes first alternates, so that a busy spell of the machine's other processes does
    # not always fall on the same server
    if [ $((r % 2)) = 1 ]; then order="nginx badup"; else order="badup nginx"; fi
    for t in "${tests[@]}"; do
        for s in $order; do
            if [ "$s" = nginx ]; then p=$ngx_pid; a=$ngx_addr; else p=$bad_pid; a=$bad_addr; fi
            case "$t" in
                full*) bench_stime "$s.$t.r$r" "$a" "$p" new "${t#full}" ;;
                reuse*) bench_stime "$s.$t.r$r" "$a" "$p" reuse "${t#reuse}" ;;
                wrk) bench_wrk "$s.$t.r$r" "$a" "$p" ;;
            esac
        done
    done
    stop_started "$bad_pid"
    stop_started "$ngx_pid"
done
for t in "${tests[@]}"; do for s in nginx badup; do pick_median "$s.$t" rate; done; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
finished_at=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------- report
verdict() { awk -v r="$1" 'BEGIN { print (r != "" && r + 0 >= 0.9) ? "PASS" : "**MISS**" }'; }
pct() { awk -v c="$1" -v w="$2" 'BEGIN { if (c == "" || w == "" || w == 0) print "n/a"; else printf "%.0f%%", c / w * 100 }'; }
per_cpu() { awk -v n="$1" -v c="$2" 'BEGIN { if (c == "" || c + 0 == 0) print "n/a"; else printf "%.0f", n / c }'; }
title() {
    case "$1" in
        full1_2) echo "full handshake, TLS 1.2" ;; full1_3) echo "full handshake, TLS 1.3" ;;
        reuse1_2) echo "resumed handshake, TLS 1.2" ;; reuse1_3) echo "resumed handshake, TLS 1.3" ;;
        wrk) echo "requests over established connections (wrk, TLS default)" ;;
    esac
}
unit() { if [ "$1" = wrk ]; then echo "req/s"; else echo "handshakes/s"; fi; }
count_of() {  # the measured run's number of handshakes or requests
    if [ "$2" = wrk ]; then kv "$1" requests; else kv "$1" conns; fi
}
# The targets compare the two servers within a round (measured back to back, so under about
# the same load from the machine's other processes), then take the median of the rounds: on a
# shared machine the ratio of the two medians can pair a quiet spell with a busy one.
cpu_ratio_at() {  # cpu_ratio_at TEST ROUND: badup's handshakes (requests) per server CPU-s over nginx's
    local b="$tmp/badup.$1.r$2.kv" n="$tmp/nginx.$1.r$2.kv"
    awk -v bn="$(count_of "$b" "$1")" -v bc="$(kv "$b" cpu_s)" -v nn="$(count_of "$n" "$1")" -v nc="$(kv "$n" cpu_s)" \
        'BEGIN { if (bc + 0 == 0 || nc + 0 == 0 || nn + 0 == 0) print ""; else printf "%.3f", (bn / bc) / (nn / nc) }'
}
rate_ratio_at() {  # rate_ratio_at TEST ROUND: badup's rate over nginx's
    awk -v a="$(kv "$tmp/badup.$1.r$2.kv" rate)" -v b="$(kv "$tmp/nginx.$1.r$2.kv" rate)" \
        'BEGIN { if (b + 0 == 0) print ""; else printf "%.3f", a / b }'
}
per_round() {  # per_round rate|cpu TEST: the ratio each round, "a, b, c"
    local k
    for k in $(seq 1 "$rounds"); do "${1}_ratio_at" "$2" "$k"; echo; done | paste -sd' ' | sed 's/ /, /g'
}
median_ratio() {  # median_ratio rate|cpu TEST: the median of the rounds' ratios
    local k
    for k in $(seq 1 "$rounds"); do "${1}_ratio_at" "$2" "$k"; echo; done | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
others_max=$(for t in "${tests[@]}"; do for s in nginx badup; do for k in $(seq 1 "$rounds"); do
    awk -v c="$(kv "$tmp/$s.$t.r$k.kv" others_cpu_s)" -v w="$(kv "$tmp/$s.$t.r$k.kv" wall_s)" \
        'BEGIN { if (w > 0) printf "%.0f\n", c / w * 100 }'
done; done; done | sort -n | tail -n1)
client_max=$(for t in "${tests[@]}"; do for s in nginx badup; do
    awk -v c="$(kv "$tmp/$s.$t.kv" client_cpu_s)" -v w="$(kv "$tmp/$s.$t.kv" wall_s)" \
        'BEGIN { if (w > 0) printf "%.0f\n", c / w * 100 }'
done; done | sort -n | tail -n1)

row() {  # row SERVER TEST
    local f="$tmp/$1.$2.kv" label extra
    if [ "$1" = nginx ]; then label="nginx, 1 process, \`return 200\`"; else label="badup serve tls_ok.lua"; fi
    if [ "$2" = wrk ]; then
        extra="p50 $(kv "$f" p50), p99 $(kv "$f" p99); non-2xx $(kv "$f" non2xx | sed 's/^$/0/'); socket errors $(kv "$f" sockerr | sed 's/^$/none/')"
    else
        extra="$(kv "$f" reused) resumed, $(kv "$f" fresh) full; $(kv "$f" bytes_per_conn) bytes read per connection"
    fi
    printf '| %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
        "$(fmt "$(kv "$f" rate)" 0)" "$(kv "$f" all_rounds)" "$(count_of "$f" "$2")" \
        "$(pct "$(kv "$f" cpu_s)" "$(kv "$f" wall_s)")" "$(pct "$(kv "$f" client_cpu_s)" "$(kv "$f" wall_s)")" \
        "$(pct "$(kv "$f" others_cpu_s)" "$(kv "$f" wall_s)")" \
        "$(per_cpu "$(count_of "$f" "$2")" "$(kv "$f" cpu_s)")" "$(kv "$f" rss_kb) kB" "$extra"
}
check_row() {  # check_row SERVER VER
    local f="$tmp/$1.check$2.kv"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "TLS ${2/_/.}" "$(kv "$f" version)" "$(kv "$f" cipher)" \
        "$(kv "$f" kex)" "$(kv "$f" sig)" "$(kv "$f" status)" "$(kv "$f" resumed)"
}

report="$tmp/report.md"
{
    echo "# badup TLS benchmark"
    echo
    echo "$started_at to $finished_at; $(nproc) CPU ($cpu_model), Linux $(uname -r);"
    echo "load before: $load_before; after: $load_after."
    echo "badup $commit$dirty, build type $build_type; $nginx_version ($nginx_openssl);"
    echo "$openssl_version (s_time, s_client); wrk $wrk_version. Key: $key_type (the run's valid.key, both servers)."
    echo "Rounds alternate which server goes first (odd rounds nginx, even rounds badup)."
    echo "Command: \`bench/tls.sh --duration $duration --rounds $rounds --clients $clients --quiet-wait $quiet_wait\`."
    echo
    echo "## Targets: badup at least 0.9x nginx (one worker each)"
    echo
    echo "Ratios are badup / nginx within each round (the two measured back to back), then the median"
    echo "of the rounds; \"medians\" are each server's median round, for scale."
    echo
    echo "| measure | rate ratio | each round | verdict | per server CPU-s ratio | each round | verdict | medians: badup vs nginx |"
    echo "|---|---|---|---|---|---|---|---|"
    for t in "${tests[@]}"; do
        rt=$(median_ratio rate "$t"); ct=$(median_ratio cpu "$t")
        echo "| $(title "$t") | **$(fmt "$rt" 3)x** | $(per_round rate "$t") | $(verdict "$rt") | $(fmt "$ct" 3)x | $(per_round cpu "$t") | $(verdict "$ct") | $(fmt "$(kv "$tmp/badup.$t.kv" rate)" 0) vs $(fmt "$(kv "$tmp/nginx.$t.kv" rate)" 0) $(unit "$t") |"
    done
    echo
    echo "## What each server negotiated"
    echo
    echo "\`openssl s_client -brief -tls1_2|-tls1_3\` with an HTTP/1.0 GET (sessions saved with"
    echo "\`-sess_out\`), then a second connection with \`-sess_in\`: its \"Reused\" line."
    echo
    echo "| server | pinned | version | cipher | key exchange | signature | answer | second connection |"
    echo "|---|---|---|---|---|---|---|---|"
    for s in nginx badup; do for v in 1_2 1_3; do check_row "$s" "$v"; done; done
    echo
    echo "## Figures (median round of $rounds)"
    echo
    echo "Handshakes: $clients \`openssl s_time\` processes at once, each \`-new\` (full) or"
    echo "\`-reuse\` (resumed), \`-www /\` (an HTTP/1.0 GET, read to the server's close), \`-time $duration\`,"
    echo "one pinned version; rate = their connections together over the run's wall time. The"
    echo "resumed/full counts come from s_time's progress line ('r' = resumed, '*' = full; in -reuse"
    echo "mode the first connection of each process is a full one). Requests: \`wrk -t1 -c$wrk_conns -d${duration}s --latency\`"
    echo "after a ${warmup} s warm-up. CPU columns: user+system time over the run's wall time, 100% = one core;"
    echo "\"others\" is the machine's busy time minus server and client."
    echo
    for t in "${tests[@]}"; do
        echo "### $(title "$t")"
        echo
        echo "| server | $(unit "$t") | each round | count | server CPU | client CPU | others' CPU | per server CPU-s | RSS | notes |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        row nginx "$t"
        row badup "$t"
        echo
    done
    echo "## Reading these figures"
    echo
    echo "- The clients used up to ${client_max}% of a core (all processes of one measurement together),"
    echo "  other processes up to ${others_max}% during a measured run. The machine has $(nproc) cores:"
    echo "  when server + client + others reach about $(( $(nproc) * 100 ))%, the rate measures the machine's"
    echo "  share, and \"per server CPU-s\" is the fairer comparison of the two servers."
    echo "- nginx runs with \`master_process off\` and \`keepalive_requests 1000000\`, like badup a single"
    echo "  process that never closes a busy keep-alive connection."
    echo "- \`s_time -www /\` reads each answer to the server's close: nginx's is larger (Server, Date,"
    echo "  Content-Type headers), hence its larger \"bytes read per connection\"; one record either way."
} >"$report"
mkdir -p "$(dirname "$out")"
cp "$report" "$out"
cat "$report"
say "report written to $out"
