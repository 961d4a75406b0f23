#!/usr/bin/env bash
# bench/simulator.sh: how fast and how lean the simulator's data plane is, in one run.
#
#   1. healthy-path throughput (wrk -t1 -c50 --latency) of nginx (one worker,
#      `return 200 "ok\n"`), `badup serve scenarios/ok.lua` (static plan) and
#      `badup serve bench/scenarios/ok_function.lua` (a plan function per request);
#   2. memory per stalled connection: 10,000 connections held by
#      bench/scenarios/stall_forever.lua, VmRSS before and after;
#   3. stall accuracy: first-byte time of bench/scenarios/stall_200ms.lua against
#      200 ms, sequential and 1000 concurrent; for reference the same client against
#      scenarios/ok.lua, nginx, and (if libnginx-mod-http-echo is installed) nginx's
#      `echo_sleep 0.2`.
#
# The machine is shared with whatever else runs: before each measurement the script
# waits (--quiet-wait, bounded) for other processes to calm down, and the report says
# how much CPU they took during each measurement.
#
# Prints a markdown report and writes it to --out (default bench/results/simulator.md).
# Needs: wrk, nginx (Debian nginx-light), python3 (stdlib only), a built badup.
# Only 127.0.0.1 and kernel-chosen ports; every process started here is stopped here,
# by PID, also on Ctrl-C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

duration=10
warmup=1
wrk_conns=50
out="$here/results/simulator.md"
build_dir="$root/build"
badup=""
static_scenario="$root/scenarios/ok.lua"
stall_conns=10000
lat_seq=200
lat_conc=1000
rounds=1
quiet_wait=30
quiet_pct=25
do_build=0
keep_tmp=0

usage() {
    cat <<EOF
usage: bench/simulator.sh [options]
  --duration SECONDS   wrk measurement time per server (default $duration; 1 s warm-up first)
  --out FILE           where the markdown report goes (default bench/results/simulator.md)
  --badup PATH         the binary (default BUILD-DIR/badup)
  --static FILE        the static-plan scenario (default scenarios/ok.lua)
  --build              configure BUILD-DIR in Release and build badup first
  --build-dir DIR      where --build builds (default build/)
  --rounds N           repeat the three wrk runs N times, interleaved; report the median (default 1)
  --quiet-wait S       before each wrk run, wait up to S s (default $quiet_wait) for other
                       processes to use under $quiet_pct% of a core; 0 to skip the wait
  --conns N            stalled connections to hold (default $stall_conns)
  --seq N              sequential stall(0.2) requests (default $lat_seq)
  --conc N             concurrent stall(0.2) requests (default $lat_conc)
  --keep               keep the temporary folder (configs, logs, raw outputs)
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --badup) badup=$2; shift 2 ;;
        --static) static_scenario=$2; shift 2 ;;
        --build) do_build=1; shift ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --quiet-wait) quiet_wait=$2; shift 2 ;;
        --conns) stall_conns=$2; shift 2 ;;
        --seq) lat_seq=$2; shift 2 ;;
        --conc) lat_conc=$2; shift 2 ;;
        --keep) keep_tmp=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "simulator.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$quiet_wait" in ''|*[!0-9]*) echo "simulator.sh: --quiet-wait needs whole seconds" >&2; exit 2 ;; esac
for n in "$duration" "$rounds" "$stall_conns" "$lat_seq" "$lat_conc"; do
    case "$n" in ''|*[!0-9]*|0) echo "simulator.sh: not a positive whole number: $n" >&2; exit 2 ;; esac
done

me=simulator.sh
# shellcheck source=bench/procs.sh
. "$here/procs.sh"
need_tools
need_badup
for f in "$static_scenario" "$here/scenarios/ok_function.lua" \
         "$here/scenarios/stall_forever.lua" "$here/scenarios/stall_200ms.lua"; do
    [ -f "$f" ] || die "missing scenario $f"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/badup-bench.XXXXXX")
: >"$tmp/stderr.log"
clk_tck=$(getconf CLK_TCK)

# ---------------------------------------------------------------- helpers
fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { if (v == "" || v == "None") print "n/a"; else printf "%.*f", d, v }'; }
nofile_of() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }

started_pid=""; started_listen=""; started_admin=""
start_badup() {  # start_badup NAME SCENARIO-FILE: sets started_pid/_listen/_admin
    local name=$1 scenario=$2 i line=""
    # Each round starts NAME again: the last round's start-up line must never be read as this one's.
    rm -f "$tmp/$name.stdout" "$tmp/$name.stderr"
    "$badup" serve --listen 127.0.0.1:0 --admin 127.0.0.1:0 "$scenario" \
        >"$tmp/$name.stdout" 2>"$tmp/$name.stderr" &
    started_pid=$!
    pids+=("$started_pid")
    for i in $(seq 1 100); do
        # only a whole line: one read while it is written can end at "admin=127.0.0.1:"
        if [ "$( (wc -l <"$tmp/$name.stdout") 2>/dev/null || echo 0)" -ge 1 ]; then
            line=$(grep -m1 '^badup serve: ' "$tmp/$name.stdout" || true)
            break
        fi
        if ! kill -0 "$started_pid" 2>/dev/null; then
            cat "$tmp/$name.stderr" >&2
            die "badup serve $scenario exited before its startup line"
        fi
        sleep 0.1
    done
    [ -n "$line" ] || { cat "$tmp/$name.stderr" >&2; die "no startup line from badup serve $scenario in 10 s"; }
    started_listen=$(printf '%s\n' "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
    started_admin=$(printf '%s\n' "$line" | sed -n 's/.* admin=\([^ ]*\).*/\1/p')
    [ -n "$started_listen" ] || die "cannot read listen= from: $line"
    say "$name: pid $started_pid, $line"
}

wait_http_ok() {  # wait_http_ok HOST:PORT: up to 5 s for a 200
    local i
    for i in $(seq 1 50); do
        if python3 "$client" probe "$1" --timeout 1 >"$tmp/probe.tmp" 2>/dev/null &&
           [ "$(kv "$tmp/probe.tmp" status)" = 200 ]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# bench_wrk LABEL HOST:PORT PID: warm-up, then the measured run; key=value in $tmp/LABEL.kv
bench_wrk() {
    local label=$1 addr=$2 pid=$3 url="http://$2/" c0 c1 f="$tmp/$1.wrk"
    python3 "$client" probe "$addr" >"$tmp/$label.probe" || true
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
        echo "rps=$(awk '/^Requests\/sec:/ { print $2 }' "$f")"
        echo "requests=$(awk '/requests in/ { print $1 }' "$f")"
        echo "transfer=$(awk '/^Transfer\/sec:/ { print $2 }' "$f")"
        echo "p50=$(awk '$1 == "50%" { print $2 }' "$f")"
        echo "p99=$(awk '$1 == "99%" { print $2 }' "$f")"
        echo "non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$f")"
        echo "sockerr=$(sed -n 's/^ *Socket errors: *//p' "$f")"
        echo "cpu_s=$(calc "($c1 - $c0) / $clk_tck")"
        echo "wrk_cpu_s=$(kv "$tmp/$label.cpu" cmd_cpu_s)"
        echo "others_cpu_s=$(awk -v m="$(kv "$tmp/$label.cpu" machine_busy_s)" -v s="$(calc "($c1 - $c0) / $clk_tck")" \
            -v w="$(kv "$tmp/$label.cpu" cmd_cpu_s)" 'BEGIN { o = m - s - w; printf "%.3f", (o > 0 ? o : 0) }')"
        echo "busy_before_pct=$(kv "$tmp/$label.quiet" busy_pct)"
        echo "threads=$(proc_field "$pid" Threads)"
        echo "rss_kb=$(proc_field "$pid" VmRSS)"
    } >"$tmp/$label.kv"
    [ -n "$(kv "$tmp/$label.kv" rps)" ] || die "$label: no Requests/sec in wrk's output: $(cat "$f")"
    say "$label: $(kv "$tmp/$label.kv" rps) req/s"
}


# start_nginx [LOCATION-BODY [MAIN-LINE]]: sets started_pid and started_listen
start_nginx() {
    local attempt port ngx="$tmp/nginx" body=${1:-'return 200 "ok\n";'} main=${2:-}
    mkdir -p "$ngx"
    for attempt in 1 2 3; do
        python3 "$client" freeport >"$tmp/freeport.kv"
        port=$(kv "$tmp/freeport.kv" port)
        cat >"$ngx/nginx.conf" <<EOF
# rendered by bench/simulator.sh: one process, no logs, one fixed answer
$main
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
        listen 127.0.0.1:$port;
        default_type text/plain;
        location / { $body }
    }
}
EOF
        "$nginx_bin" -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" >"$ngx/stdout" 2>&1 &
        started_pid=$!
        pids+=("$started_pid")
        started_listen="127.0.0.1:$port"
        if wait_http_ok "$started_listen"; then
            say "nginx: pid $started_pid, listen=$started_listen"
            return 0
        fi
        say "nginx did not answer on port $port (attempt $attempt): $(tail -n2 "$ngx/error.log" 2>/dev/null)"
        stop_started "$started_pid"
    done
    die "nginx would not start; see above"
}

# ---------------------------------------------------------------- environment
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=""
if [ -n "$(git -C "$root" status --porcelain 2>/dev/null | head -n1)" ]; then dirty=" (work tree has changes)"; fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$badup")/CMakeCache.txt" 2>/dev/null || true)
[ -n "$build_type" ] || build_type="unknown"
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
nginx_version=$("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //')
wrk_version=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ================================================================ 1. throughput
say "1/3 healthy-path throughput ($rounds round(s))"
for r in $(seq 1 "$rounds"); do
    start_nginx
    bench_wrk "nginx.r$r" "$started_listen" "$started_pid"
    stop_started "$started_pid"

    start_badup static "$static_scenario"
    wait_http_ok "$started_listen" || die "badup ($static_scenario) does not answer 200 on $started_listen"
    bench_wrk "static.r$r" "$started_listen" "$started_pid"
    stop_started "$started_pid"

    start_badup function "$here/scenarios/ok_function.lua"
    wait_http_ok "$started_listen" || die "badup (ok_function.lua) does not answer 200 on $started_listen"
    bench_wrk "function.r$r" "$started_listen" "$started_pid"
    stop_started "$started_pid"
done
for name in nginx static function; do
    pick_median "$name" rps
    cp "$tmp/$name.r$median_round.probe" "$tmp/$name.probe"
done

# ================================================================ 2. stalled connections
say "2/3 $stall_conns stalled connections"
start_badup stall "$here/scenarios/stall_forever.lua"
stall_nofile=$(nofile_of "$started_pid")
wait_quiet hold   # also lets start-up allocations settle before the "before" reading
run_bounded 150 "$tmp/hold.kv" python3 "$client" hold "$started_listen" \
    --admin "$started_admin" --pid "$started_pid" --conns "$stall_conns" \
    --timeout 60 --close-timeout 30 || die "stallclient hold failed: $(tail -n5 "$tmp/stderr.log")"
stall_nofile_after=$(nofile_of "$started_pid")
stall_alive=1; kill -0 "$started_pid" 2>/dev/null || stall_alive=0
admin_after=$(python3 "$client" probe "$started_admin" --path /health --timeout 2 2>/dev/null | sed -n 's/^status=//p' || true)
grep -c 'FD_SETSIZE' "$tmp/stall.stderr" >"$tmp/fdsetsize.count" || true
stop_started "$started_pid"

# ================================================================ 3. stall accuracy
say "3/3 stall accuracy: $lat_seq sequential, $lat_conc concurrent"
start_badup stall200 "$here/scenarios/stall_200ms.lua"
wait_quiet stall200
run_bounded 200 "$tmp/lat.kv" python3 "$client" latency "$started_listen" \
    --admin "$started_admin" --pid "$started_pid" \
    --target-ms 200 --seq "$lat_seq" --conc "$lat_conc" --timeout 60 ||
    die "stallclient latency failed: $(tail -n5 "$tmp/stderr.log")"
stop_started "$started_pid"
# the same measurement without a stall: what client and server add by themselves
start_badup baseline "$static_scenario"
wait_quiet baseline
run_bounded 200 "$tmp/base.kv" python3 "$client" latency "$started_listen" \
    --admin "$started_admin" --pid "$started_pid" \
    --target-ms 0 --seq "$lat_seq" --conc "$lat_conc" --timeout 60 ||
    die "stallclient latency (baseline) failed: $(tail -n5 "$tmp/stderr.log")"
stop_started "$started_pid"
# and against nginx: what the client and the machine add without badup
start_nginx
wait_quiet base_nginx
run_bounded 200 "$tmp/base_nginx.kv" python3 "$client" latency "$started_listen" \
    --pid "$started_pid" --target-ms 0 --seq "$lat_seq" --conc "$lat_conc" --timeout 60 ||
    die "stallclient latency (nginx) failed: $(tail -n5 "$tmp/stderr.log")"
stop_started "$started_pid"
# nginx's own 200 ms timer (echo_sleep, Debian libnginx-mod-http-echo), where installed:
# how close an event loop in C gets on this machine
echo_module=/usr/lib/nginx/modules/ngx_http_echo_module.so
if [ -f "$echo_module" ]; then
    start_nginx 'echo_sleep 0.2; echo "late";' "load_module $echo_module;"
    wait_quiet echo_nginx
    run_bounded 200 "$tmp/echo_nginx.kv" python3 "$client" latency "$started_listen" \
        --pid "$started_pid" --target-ms 200 --seq "$lat_seq" --conc "$lat_conc" --timeout 60 ||
        die "stallclient latency (nginx echo_sleep) failed: $(tail -n5 "$tmp/stderr.log")"
    stop_started "$started_pid"
fi

# ================================================================ report
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo "**MISS**"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 >= b + 0) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 < b + 0) ? 1 : 0 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 <= b + 0) ? 1 : 0 }'; }
na() { if [ -z "$1" ] || [ "$1" = None ]; then echo "no answer"; else echo "$1"; fi; }

rps_n=$(kv "$tmp/nginx.kv" rps); rps_s=$(kv "$tmp/static.kv" rps); rps_f=$(kv "$tmp/function.kv" rps)
ratio_sn=$(calc "$rps_s / $rps_n"); ratio_fs=$(calc "$rps_f / $rps_s")
ok_sn=$(ge "$ratio_sn" 1.0); ok_fs=$(ge "$ratio_fs" 0.85)
below_fs=$(awk -v r="$ratio_fs" 'BEGIN { d = (1 - r) * 100; if (d >= 0) printf "%.1f%% below", d; else printf "%.1f%% above", -d }')

h="$tmp/hold.kv"
rss_b=$(kv "$h" rss_before_kb); rss_a=$(kv "$h" rss_after_kb); rss_c=$(kv "$h" rss_closed_kb)
anon_b=$(kv "$h" rss_anon_before_kb); anon_a=$(kv "$h" rss_anon_after_kb)
reached=$(kv "$h" reached); reached_by=$(kv "$h" reached_by)
per_conn=$(calc "($rss_a - $rss_b) * 1024 / $stall_conns")
per_conn_anon=$(calc "($anon_a - $anon_b) * 1024 / $stall_conns")
ok_mem=0; if [ "$reached" = 1 ] && [ "$(lt "$per_conn" 8192)" = 1 ]; then ok_mem=1; fi
ok_stats=0; if [ "$reached_by" = stats ] && [ "$(kv "$h" admin_failures)" = 0 ]; then ok_stats=1; fi
fds_delta_peak=$(( $(kv "$h" fds_at_peak) - $(kv "$h" fds_before) ))
fds_delta_end=$(( $(kv "$h" fds_after_close) - $(kv "$h" fds_before) ))
ok_drain=0; if [ "$fds_delta_end" = 0 ] && [ "$(kv "$h" open_after_close)" = 0 ]; then ok_drain=1; fi
fdsetsize=$(cat "$tmp/fdsetsize.count" 2>/dev/null || echo 0)

lat_ok() {  # lat_ok FILE PREFIX: 1 if all answered 200 and max |dev| <= 5 ms
    awk -v m="$(kv "$1" "${2}_dev_max_ms")" -v ok="$(kv "$1" "${2}_ok")" -v n="$(kv "$1" "${2}_n")" \
        -v bad="$(kv "$1" "${2}_bad_status")" \
        'BEGIN { print (m != "" && ok == n && bad == 0 && m + 0 <= 5) ? 1 : 0 }'
}
lat_row() {  # lat_row FILE PREFIX LABEL [ref]: "ref" rows get no verdict
    local f=$1 p=$2 errs bad srv cpu v
    errs=$(kv "$f" "${p}_errors"); bad=$(kv "$f" "${p}_bad_status")
    [ "$bad" = 0 ] || errs="$errs (+$bad not 200)"
    if [ -n "$(kv "$f" "${p}_srv_stall_p50_ms")" ]; then
        srv="$(fmt "$(kv "$f" "${p}_srv_stall_min_ms")") / $(fmt "$(kv "$f" "${p}_srv_stall_p50_ms")") / $(fmt "$(kv "$f" "${p}_srv_stall_p99_ms")") / $(fmt "$(kv "$f" "${p}_srv_stall_max_ms")") ($(kv "$f" "${p}_srv_stall_early") early)"
    else
        srv="-"
    fi
    if [ "${4:-}" = ref ]; then v="-"; else v=$(verdict "$(lat_ok "$f" "$p")"); fi
    cpu=$(awk -v c="$(kv "$f" "${p}_server_cpu_ms")" -v n="$(kv "$f" "${p}_n")" 'BEGIN { printf "%.0f", c * 1000 / n }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s%% | %s |\n' "$3" \
        "$(kv "$f" "${p}_ok")/$(kv "$f" "${p}_n")" "$errs" \
        "$(fmt "$(kv "$f" "${p}_dev_mean_ms")")" "$(fmt "$(kv "$f" "${p}_dev_p50_ms")")" \
        "$(fmt "$(kv "$f" "${p}_dev_p99_ms")")" "**$(fmt "$(kv "$f" "${p}_dev_max_ms")")**" \
        "$(kv "$f" "${p}_early")" \
        "$(fmt "$(kv "$f" "${p}_lat_min_ms")")" "$(fmt "$(kv "$f" "${p}_lat_p50_ms")")" \
        "$(fmt "$(kv "$f" "${p}_lat_max_ms")")" "$srv" "$cpu µs" "$(fmt "$(kv "$f" "${p}_others_cpu_pct")" 0)" \
        "$v"
}
ok_seq=$(lat_ok "$tmp/lat.kv" seq); ok_conc=$(lat_ok "$tmp/lat.kv" conc)
per_round() {  # per_round A B: A's req/s over B's, each round
    local k
    for k in $(seq 1 "$rounds"); do
        awk -v a="$(kv "$tmp/$1.r$k.kv" rps)" -v b="$(kv "$tmp/$2.r$k.kv" rps)" 'BEGIN { printf "%.3f\n", a / b }'
    done | paste -sd' ' | sed 's/ /, /g'
}
pct() { awk -v c="$1" -v d="$duration" 'BEGIN { if (c == "") print "n/a"; else printf "%.0f", c / d * 100 }'; }
# the busiest that other processes were during any measured wrk run, % of one core
others_max=$(for n in nginx static function; do for k in $(seq 1 "$rounds"); do
    awk -v c="$(kv "$tmp/$n.r$k.kv" others_cpu_s)" -v d="$duration" 'BEGIN { printf "%.0f\n", c / d * 100 }'
done; done | sort -n | tail -n1)

wrk_row() {  # wrk_row NAME LABEL
    local f="$tmp/$1.kv" pr="$tmp/$1.probe" cpu rpc
    cpu=$(kv "$f" cpu_s)
    rpc=$(awk -v r="$(kv "$f" requests)" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", r / c; else print "n/a" }')
    printf '| %s | **%s** | %s | %s | %s | %s | %s%% | %s%% | %s%% | %s | %s | %s | %s B + %s B | %s | %s |\n' "$2" \
        "$(fmt "$(kv "$f" rps)" 0)" "$(kv "$f" all_rounds)" "$(kv "$f" requests)" "$(kv "$f" p50)" "$(kv "$f" p99)" \
        "$(pct "$cpu")" "$(pct "$(kv "$f" wrk_cpu_s)")" "$(pct "$(kv "$f" others_cpu_s)")" "$rpc" "$(kv "$f" threads)" \
        "$(kv "$f" rss_kb) kB" "$(kv "$pr" header_bytes)" "$(kv "$pr" body_bytes)" \
        "$(kv "$f" non2xx | grep . || echo 0)" "$(kv "$f" sockerr | grep . || echo none)"
}

report="$tmp/report.md"
{
    echo "# badup simulator benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPU ($cpu_model), Linux $(uname -r); load before: $load_before."
    echo "badup $commit$dirty, build type $build_type; nginx $nginx_version; wrk $wrk_version; $(python3 -V 2>&1)."
    echo "Command: \`bench/simulator.sh --duration $duration --rounds $rounds --conns $stall_conns --seq $lat_seq --conc $lat_conc\`."
    if [ "${others_max:-0}" -gt 15 ]; then
        echo
        echo "**The machine was not quiet:** other processes used up to ${others_max}% of a core during a"
        echo "measured wrk run (see \"other processes' CPU\"), so the throughput figures are disturbed."
    fi
    echo
    echo "## Targets"
    echo
    echo "| target | measured | verdict |"
    echo "|---|---|---|"
    echo "| static plan >= nginx (1 worker) | $(fmt "$ratio_sn" 3)x ($(fmt "$rps_s" 0) vs $(fmt "$rps_n" 0) req/s) | $(verdict "$ok_sn") |"
    echo "| plan function at most 15% below static | $(fmt "$ratio_fs" 3)x ($below_fs) | $(verdict "$ok_fs") |"
    echo "| < 8 KiB per stalled connection | $(fmt "$per_conn" 0) B per connection, $stall_conns held | $(verdict "$ok_mem") |"
    echo "| GET /stats shows open_connections == $stall_conns | $(na "$(kv "$h" open_at_peak)"); $(kv "$h" admin_failures_open) failed GET /stats while they were open | $(verdict "$ok_stats") |"
    echo "| all $stall_conns released after the client closes | open_connections $(na "$(kv "$h" open_after_close)"), server fds $fds_delta_end above the start | $(verdict "$ok_drain") |"
    echo "| stall(0.2) within 5 ms, $lat_seq sequential (max) | $(fmt "$(kv "$tmp/lat.kv" seq_dev_max_ms)") ms (p99 $(fmt "$(kv "$tmp/lat.kv" seq_dev_p99_ms)")) | $(verdict "$ok_seq") |"
    echo "| stall(0.2) within 5 ms, $lat_conc concurrent (max) | $(fmt "$(kv "$tmp/lat.kv" conc_dev_max_ms)") ms (p99 $(fmt "$(kv "$tmp/lat.kv" conc_dev_p99_ms)")) | $(verdict "$ok_conc") |"
    echo
    echo "## 1. Healthy path: \`wrk -t1 -c$wrk_conns -d${duration}s --latency\` (after a ${warmup} s warm-up)"
    echo
    echo "Each server is started fresh, warmed up, measured, stopped; $rounds round(s), interleaved, the"
    echo "median round shown."
    echo
    echo "| server | req/s | req/s each round | requests | p50 | p99 | server CPU | wrk CPU | other processes' CPU | req per server CPU-s | threads | RSS | response (head + body) | non-2xx | socket errors |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    wrk_row nginx "nginx, 1 process, \`return 200 \"ok\\n\"\`"
    wrk_row static "badup serve scenarios/ok.lua (static plan)"
    wrk_row function "badup serve bench/scenarios/ok_function.lua (plan function)"
    echo
    echo "| ratio | value | target |"
    echo "|---|---|---|"
    echo "| badup_static / nginx | $(fmt "$ratio_sn" 3) | >= 1.0 |"
    echo "| badup_function / badup_static | $(fmt "$ratio_fs" 3) | >= 0.85 |"
    if [ "$rounds" -gt 1 ]; then
        echo
        echo "Ratios round by round (same round's runs), static/nginx: $(per_round static nginx);"
        echo "function/static: $(per_round function static)."
    fi
    echo
    echo "CPU columns: user+system time during the measured run, 100% = one core; \"other processes\" is"
    echo "the whole machine's busy time minus server and wrk. wrk and the server share the"
    echo "machine's $(nproc) cores. nginx runs with"
    echo "\`master_process off\` and \`keepalive_requests 1000000\` so that, like badup, it never closes"
    echo "a busy keep-alive connection. The response sizes are those of a \`Connection: close\` probe;"
    echo "bodies: nginx $(kv "$tmp/nginx.probe" body), static $(kv "$tmp/static.probe" body), function $(kv "$tmp/function.probe" body)."
    wrk_busy=$(for n in nginx static function; do pct "$(kv "$tmp/$n.kv" wrk_cpu_s)"; echo; done | sort -n | tail -n1)
    if [ "${wrk_busy:-0}" -ge 95 ] 2>/dev/null; then
        echo
        echo "wrk (one thread) used up to ${wrk_busy}% of a core: near its own limit, so req/s partly"
        echo "measures the client; \"req per server CPU-s\" compares the servers' efficiency directly."
    fi
    echo
    echo "## 2. $stall_conns stalled connections (\`bench/scenarios/stall_forever.lua\`: \`{ rxreq(), stall() }\`)"
    echo
    echo "| measure | value |"
    echo "|---|---|"
    echo "| VmRSS before | $rss_b kB (RssAnon $anon_b kB); $(kv "$h" fds_before) fds |"
    echo "| connections opened, a request sent on each | $(kv "$h" requests_sent) (connect failures: $(kv "$h" connect_failed)) in $(fmt "$(kv "$h" open_seconds)" 2) s |"
    echo "| all held, as seen by | $( [ "$reached" = 1 ] && echo "$reached_by" || echo "NOT REACHED" ) after $(fmt "$(kv "$h" reach_seconds)" 2) s (stats = GET /stats open_connections; fds = /proc/PID/fd, used when /stats does not answer) |"
    echo "| \`open_connections\` in GET /stats at peak | $(na "$(kv "$h" open_at_peak)") |"
    echo "| server fds at peak | $(kv "$h" fds_at_peak) ($fds_delta_peak above the start) |"
    echo "| VmRSS with them open | $rss_a kB (RssAnon $anon_a kB) |"
    echo "| **(rss_after - rss_before) / $stall_conns** | **$(fmt "$per_conn" 0) bytes per connection** (RssAnon: $(fmt "$per_conn_anon" 0) B) |"
    echo "| server wrote to / closed a stalled connection | $(kv "$h" server_data) / $(kv "$h" server_closed) (a stall must give 0 / 0) |"
    echo "| after the client closed all: \`open_connections\` | $(na "$(kv "$h" open_after_close)") after $(fmt "$(kv "$h" drain_seconds)" 2) s; server fds $(kv "$h" fds_after_close) |"
    echo "| after the client closed all: VmRSS | $rss_c kB (RssAnon $(kv "$h" rss_anon_closed_kb) kB), $(calc "$rss_c - $rss_b") kB above the start |"
    echo "| failed GET /stats (all, while open) | $(kv "$h" admin_failures), $(kv "$h" admin_failures_open); first: $(kv "$h" admin_error) |"
    echo "| server stderr lines about FD_SETSIZE | $fdsetsize |"
    echo "| server threads; max open files (soft) before / at the end | $(kv "$h" threads); $stall_nofile / $stall_nofile_after |"
    echo "| server still running afterwards; control API GET /health status | $( [ "$stall_alive" = 1 ] && echo yes || echo NO ); $(na "$admin_after") |"
    echo
    echo "## 3. Stall accuracy (\`bench/scenarios/stall_200ms.lua\`: \`{ rxreq(), stall(0.2), txresp{...}, close() }\`)"
    echo
    echo "Time from the request written by the client to its first response byte, a new connection"
    echo "per request; deviation = |measured - 200 ms|, in ms. The concurrent run opens all"
    echo "connections first, then writes the requests back to back. \"server stall\" is the stall"
    echo "step's length by the server's own clock (GET /events: step to step_done)."
    echo
    echo "| run | answered | errors | mean dev | p50 dev | p99 dev | max dev | early (< 200 ms) | measured min / p50 / max | server stall min / p50 / p99 / max | server CPU per request | other processes' CPU | within 5 ms |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    lat_row "$tmp/lat.kv" seq "$lat_seq sequential"
    lat_row "$tmp/lat.kv" conc "$lat_conc concurrent"
    echo
    echo "The $lat_conc concurrent requests were written over $(fmt "$(kv "$tmp/lat.kv" conc_send_span_ms)" 1) ms, so their"
    echo "stalls end over about that span too."
    echo
    echo "Reference: the same client against \`scenarios/ok.lua\` and against the nginx of part 1 (no"
    echo "stall, so deviation = time to the first byte): what client, loopback and server add by"
    echo "themselves."
    echo
    echo "| run | answered | errors | mean | p50 | p99 | max | early | measured min / p50 / max | server stall | server CPU per request | other processes' CPU | verdict |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    lat_row "$tmp/base.kv" seq "$lat_seq sequential, badup ok.lua" ref
    lat_row "$tmp/base.kv" conc "$lat_conc concurrent, badup ok.lua" ref
    lat_row "$tmp/base_nginx.kv" seq "$lat_seq sequential, nginx" ref
    lat_row "$tmp/base_nginx.kv" conc "$lat_conc concurrent, nginx" ref
    if [ -f "$tmp/echo_nginx.kv" ]; then
        echo
        echo "Reference with a 200 ms timer: nginx (one process) with \`echo_sleep 0.2; echo \"late\";\`"
        echo "(libnginx-mod-http-echo), same client; deviation from 200 ms."
        echo
        echo "| run | answered | errors | mean dev | p50 dev | p99 dev | max dev | early (< 200 ms) | measured min / p50 / max | server stall | server CPU per request | other processes' CPU | verdict |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        lat_row "$tmp/echo_nginx.kv" seq "$lat_seq sequential, nginx echo_sleep" ref
        lat_row "$tmp/echo_nginx.kv" conc "$lat_conc concurrent, nginx echo_sleep" ref
    fi
} >"$report"

mkdir -p "$(dirname "$out")"
cp "$report" "$out"
cat "$report"
say "report written to $out"
