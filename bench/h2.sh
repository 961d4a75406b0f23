#!/usr/bin/env bash
# bench/h2.sh: the simulator's HTTP/2 throughput beside nghttpd's (and h2o's), in one run.
#
# Three servers, one worker each, the same 3-byte answer ("ok\n", status 200) over h2c with
# prior knowledge (no TLS, no Upgrade):
#   - `badup serve scenarios/h2_ok.lua` (one event loop);
#   - nghttpd (Debian nghttp2-server), `--no-tls -n 1`, serving a file "ok\n" as /;
#   - h2o (Debian h2o 2.2), `num-threads: 1`, `file.dir` with the same file: a second
#     reference, measured when it is installed and answers like the others.
# Measured, each server in turn, interleaved over --rounds, the median round reported:
# requests per second from h2load (Debian nghttp2-client, one thread), a row per load shape:
#   -c 1 -m 1    one connection, one stream at a time: the round trip sets the pace;
#   -c 10 -m 10, -c 50 -m 10: many streams in flight: the server's work per request does.
# Each row starts with a warm-up bounded in requests (`-n`), then the measured run bounded in
# time (`-D`; h2load ignores -n there), and gives server and client CPU and
# "per server CPU-second", which compares the servers' efficiency even when the client or the
# other processes on the machine set the pace. The target: badup's rate at least 1.0x
# nghttpd's, the median of the rounds' paired ratios (measured back to back).
# Before measuring, every server must answer `curl --http2-prior-knowledge` with HTTP/2 200 and
# exactly "ok\n", and 100 requests of h2load all with 2xx; `nghttp -v` shows the SETTINGS each
# sends. The report lists what else differs in their answers (headers, bytes per response).
#
# The machine is shared: before each measurement the script waits (--quiet-wait, bounded)
# for other processes to calm down, and the report says how much CPU they took.
# Prints a markdown report and writes it to --out (default bench/results/h2.md).
# Needs: h2load and nghttp (nghttp2-client), nghttpd (nghttp2-server), curl, python3 (stdlib),
# a built badup; h2o if present. Only 127.0.0.1 and kernel-chosen ports; every process
# started here is stopped here, by PID, also on Ctrl-C or SIGTERM; the temporary folder is
# removed unless --keep.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

duration=5
rows_arg="1x1,10x10,50x10"
servers_arg=""
out="$here/results/h2.md"
build_dir="$root/build"
badup=""
scenario="$root/scenarios/h2_ok.lua"
rounds=3
quiet_wait=10
quiet_pct=25
do_build=0
keep_tmp=0

usage() {
    cat <<EOF
usage: bench/h2.sh [options]
  --duration TIME      length of each measured h2load run, seconds or milliseconds with
                       "ms" (h2load -D; default $duration)
  --rounds N           repeat every measurement N times, servers interleaved; report the
                       median round (default $rounds)
  --rows LIST          h2load load shapes, CxM = -c C -m M, comma-separated
                       (default $rows_arg)
  --servers LIST       which servers, comma-separated, the first measured against the others
                       (default badup,nghttpd,h2o; h2o left out when it is not installed or does
                       not answer like the others)
  --out FILE           where the markdown report goes (default bench/results/h2.md)
  --badup PATH         the binary (default BUILD-DIR/badup)
  --scenario FILE      what badup serves (default scenarios/h2_ok.lua)
  --build              configure BUILD-DIR in Release and build badup first
  --build-dir DIR      where --build builds (default build/)
  --quiet-wait S       before each run, wait up to S s (default $quiet_wait) for other processes
                       to use under $quiet_pct% of a core; 0 to skip the wait
  --keep               keep the temporary folder (configs, logs, raw outputs)
Rows x servers measured runs a round: with the defaults 9, about 9 x (duration + 2 +
quiet-wait) x rounds seconds in all (about 8 minutes on a busy machine, 4 on a quiet one).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --rows) rows_arg=$2; shift 2 ;;
        --servers) servers_arg=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --badup) badup=$2; shift 2 ;;
        --scenario) scenario=$2; shift 2 ;;
        --build) do_build=1; shift ;;
        --build-dir) build_dir=$2; shift 2 ;;
        --quiet-wait) quiet_wait=$2; shift 2 ;;
        --keep) keep_tmp=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "h2.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$quiet_wait" in ''|*[!0-9]*) echo "h2.sh: --quiet-wait needs whole seconds" >&2; exit 2 ;; esac
# h2load's -D takes whole seconds, or milliseconds written "NNNms"; the timeouts want seconds
case "$duration" in
    [1-9]|[1-9][0-9]|[1-9][0-9][0-9]) duration_s=$duration; duration_text="$duration s" ;;
    [1-9]*ms)
        case "${duration%ms}" in *[!0-9]*) echo "h2.sh: --duration wants seconds (1-999) or milliseconds (NNNms), not $duration" >&2; exit 2 ;; esac
        duration_s=$(( (${duration%ms} + 999) / 1000 )); duration_text="${duration%ms} ms" ;;
    *) echo "h2.sh: --duration wants seconds (1-999) or milliseconds (NNNms), not $duration" >&2; exit 2 ;;
esac
case "$rounds" in ''|*[!0-9]*|0) echo "h2.sh: --rounds wants a positive whole number, not $rounds" >&2; exit 2 ;; esac
# rows: "c1m1 c10m10 ..." from "1x1,10x10"
rows=()
for shape in ${rows_arg//,/ }; do
    case "$shape" in
        [1-9]*x[1-9]*) ;;
        *) echo "h2.sh: --rows wants CxM (e.g. 10x10), not $shape" >&2; exit 2 ;;
    esac
    c=${shape%x*} m=${shape#*x}
    case "$c$m" in *[!0-9]*) echo "h2.sh: --rows wants CxM (e.g. 10x10), not $shape" >&2; exit 2 ;; esac
    rows+=("c${c}m${m}")
done
[ "${#rows[@]}" -gt 0 ] || { echo "h2.sh: --rows is empty" >&2; exit 2; }
h2o_optional=0
if [ -z "$servers_arg" ]; then servers_arg="badup,nghttpd,h2o"; h2o_optional=1; fi
servers=()
for s in ${servers_arg//,/ }; do
    case "$s" in badup|nghttpd|h2o) ;; *) echo "h2.sh: --servers knows badup, nghttpd and h2o, not $s" >&2; exit 2 ;; esac
    case " ${servers[*]-} " in *" $s "*) echo "h2.sh: $s twice in --servers" >&2; exit 2 ;; esac
    servers+=("$s")
done
[ "${#servers[@]}" -ge 2 ] || { echo "h2.sh: --servers needs two servers at least" >&2; exit 2; }

me=h2.sh
# shellcheck source=bench/procs.sh
. "$here/procs.sh"
PATH="$PATH:/usr/sbin"  # Debian installs nghttpd there
need_commands h2load nghttp curl
notes=()
drop_server() {  # drop_server NAME WHY: an optional server left out, said in the report
    local s keep=()
    for s in "${servers[@]}"; do [ "$s" = "$1" ] || keep+=("$s"); done
    servers=("${keep[@]}")
    notes+=("$1 not measured: $2.")
    say "$1 not measured: $2"
}
for s in "${servers[@]}"; do
    case "$s" in
        badup) need_badup; [ -f "$scenario" ] || die "missing scenario $scenario" ;;
        nghttpd) command -v nghttpd >/dev/null || die "nghttpd not found (Debian package nghttp2-server)" ;;
        h2o)
            if ! command -v h2o >/dev/null; then
                [ "$h2o_optional" = 1 ] || die "h2o not found (Debian package h2o)"
                drop_server h2o "not installed (Debian package h2o)"
            fi ;;
    esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/badup-bench-h2.XXXXXX")
: >"$tmp/stderr.log"
clk_tck=$(getconf CLK_TCK)
# the file nghttpd and h2o serve as /: the same bytes as h2_ok's DATA
mkdir -p "$tmp/docs"
printf 'ok\n' >"$tmp/docs/index.html"

# ---------------------------------------------------------------- helpers
fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { if (v == "") print "n/a"; else printf "%.*f", d, v }'; }
row_c() { local r=${1#c}; echo "${r%m*}"; }
row_m() { echo "${1#*m}"; }

# wait_h2 HOST:PORT: up to 5 s for an HTTP/2 200 over h2c with prior knowledge
wait_h2() {
    local _
    for _ in $(seq 1 50); do
        if [ "$(curl -s -o /dev/null -m 3 --http2-prior-knowledge -w '%{http_version} %{http_code}' \
            "http://$1/" 2>/dev/null || true)" = "2 200" ]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

started_pid=""; started_listen=""
start_badup() {  # start_badup NAME: badup serve SCENARIO; sets started_pid/_listen
    local name=$1 line="" _
    rm -f "$tmp/$name.stdout" "$tmp/$name.stderr"
    "$badup" serve --listen 127.0.0.1:0 --admin 127.0.0.1:0 "$scenario" \
        >"$tmp/$name.stdout" 2>"$tmp/$name.stderr" &
    started_pid=$!
    pids+=("$started_pid")
    for _ in $(seq 1 100); do
        # only a whole line: one read while it is written can end half-way
        if [ "$( (wc -l <"$tmp/$name.stdout") 2>/dev/null || echo 0)" -ge 1 ]; then
            line=$(grep -m1 '^badup serve: ' "$tmp/$name.stdout" || true)
            break
        fi
        kill -0 "$started_pid" 2>/dev/null || { cat "$tmp/$name.stderr" >&2; die "badup serve exited before its start-up line"; }
        sleep 0.1
    done
    [ -n "$line" ] || { cat "$tmp/$name.stderr" >&2; die "no start-up line from badup serve in 10 s"; }
    started_listen=$(printf '%s\n' "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
    [ -n "$started_listen" ] || die "cannot read listen= from: $line"
    wait_h2 "$started_listen" || die "badup does not answer HTTP/2 200 over h2c on $started_listen ($scenario)"
    say "$name: pid $started_pid, $line"
}

# start_on_free_port NAME LOG CMD...: CMD (with @PORT@ replaced by a port the kernel chose,
# free again once python closed it) until it answers over h2c, 3 attempts; sets started_pid/_listen
start_on_free_port() {
    local name=$1 log=$2 attempt port a args
    shift 2
    for attempt in 1 2 3; do
        python3 "$client" freeport >"$tmp/freeport.kv"
        port=$(kv "$tmp/freeport.kv" port)
        args=()
        for a in "$@"; do args+=("${a//@PORT@/$port}"); done
        if [ -f "$tmp/$name.conf.in" ]; then sed "s/@PORT@/$port/" "$tmp/$name.conf.in" >"$tmp/$name.conf"; fi
        "${args[@]}" >"$log" 2>&1 &
        started_pid=$!
        pids+=("$started_pid")
        started_listen="127.0.0.1:$port"
        if wait_h2 "$started_listen"; then
            say "$name: pid $started_pid, listen=$started_listen"
            return 0
        fi
        say "$name did not answer on port $port (attempt $attempt): $(tail -n2 "$log" 2>/dev/null)"
        stop_started "$started_pid"
    done
    return 1
}

start_nghttpd() {  # start_nghttpd NAME: one worker thread, no TLS, the docs folder
    start_on_free_port "$1" "$tmp/$1.log" nghttpd --no-tls -n 1 -a 127.0.0.1 -d "$tmp/docs" @PORT@ ||
        die "nghttpd would not start; see above"
}

start_h2o() {  # start_h2o NAME: one worker thread, h2c on a cleartext listener, the docs folder
    local user_line=""
    # run as root, h2o switches to `user` (default nobody, who cannot read the temporary
    # folder): keep the invoking user
    if [ "$(id -u)" = 0 ]; then user_line="user: $(id -un)"; fi
    cat >"$tmp/$1.conf.in" <<EOF
# rendered by bench/h2.sh: one thread, no access log, the file "ok\n" as /
num-threads: 1
$user_line
error-log: $tmp/$1.error.log
listen:
  host: 127.0.0.1
  port: @PORT@
hosts:
  default:
    paths:
      /:
        file.dir: $tmp/docs
EOF
    start_on_free_port "$1" "$tmp/$1.log" h2o -c "$tmp/$1.conf"
}

start_server() {  # start_server NAME: sets started_pid/_listen, or returns 1 (h2o only)
    case "$1" in
        badup) start_badup "$1" ;;
        nghttpd) start_nghttpd "$1" ;;
        h2o) start_h2o "$1" ;;
    esac
}

# record_cpu LABEL PID C0 C1: the CPU lines of LABEL's key=value file
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

# io_calls PID: "SYSCR SYSCW", the read and write system calls the process has made
# (/proc/PID/io; writev counts as a write)
io_calls() { awk '$1 == "syscr:" { r = $2 } $1 == "syscw:" { w = $2 } END { print r + 0, w + 0 }' "/proc/$1/io"; }

# h2load_kv FILE: the figures of one h2load output as key=value lines
h2load_kv() {
    awk '
        /^finished in/ { sub(/,$/, "", $3); print "finished=" $3; print "rate=" $4 }
        /^requests:/ { print "total=" $2; print "done=" $6; print "succeeded=" $8; print "failed=" $10
                       print "errored=" $12; print "timeout=" $14 }
        /^status codes:/ { print "s2xx=" $3; print "non2xx=" $5 + $7 + $9 }
        /^traffic:/ { gsub(/[()]/, "", $3); gsub(/[()]/, "", $6); print "bytes=" $3; print "header_bytes=" $6 }
        /^time for request:/ { print "req_min=" $4; print "req_max=" $5; print "req_mean=" $6; print "req_sd=" $7 }
    ' "$1"
}

# bench_h2load LABEL HOST:PORT PID ROW: requests per second of one load shape; LABEL.kv
bench_h2load() {
    local label=$1 addr=$2 pid=$3 row=$4 c m warm c0 c1 io0 io1 f="$tmp/$1.h2load"
    c=$(row_c "$row") m=$(row_m "$row")
    local args=(-t 1 -c "$c" -m "$m")
    # the warm-up: every stream of every connection filled ten times over; the measured run
    # opens connections of its own, so this warms the server (its allocator, caches), no more
    warm=$((c * m * 10)); [ "$warm" -ge 1000 ] || warm=1000
    say "$label: warm-up h2load ${args[*]} -n $warm, then h2load ${args[*]} -D $duration http://$addr/"
    run_bounded 60 "$tmp/$label.warmup" h2load "${args[@]}" -n "$warm" "http://$addr/" ||
        die "$label: h2load warm-up failed: $(tail -n3 "$tmp/$label.warmup")"
    h2load_kv "$tmp/$label.warmup" >"$tmp/$label.warmup.kv"
    if [ "$(kv "$tmp/$label.warmup.kv" succeeded)" != "$warm" ] || [ "$(kv "$tmp/$label.warmup.kv" s2xx)" != "$warm" ]; then
        die "$label: the warm-up's $warm requests did not all succeed with 2xx: $(grep -E '^(requests|status codes):' "$tmp/$label.warmup" | paste -sd' ')"
    fi
    wait_quiet "$label"
    c0=$(cpu_ticks "$pid"); io0=$(io_calls "$pid")
    run_bounded $((duration_s + 30)) "$f" python3 "$client" timed --cpu-out "$tmp/$label.cpu" -- \
        h2load "${args[@]}" -D "$duration" "http://$addr/" ||
        die "$label: h2load failed: $(tail -n3 "$f")"
    c1=$(cpu_ticks "$pid"); io1=$(io_calls "$pid")
    {
        h2load_kv "$f"
        record_cpu "$label" "$pid" "$c0" "$c1"
        echo "syscr=$(( ${io1% *} - ${io0% *} ))"
        echo "syscw=$(( ${io1#* } - ${io0#* } ))"
    } >"$tmp/$label.kv"
    if [ -z "$(kv "$tmp/$label.kv" rate)" ] || [ -z "$(kv "$tmp/$label.kv" succeeded)" ]; then
        die "$label: no 'finished in' or 'requests:' line in h2load's output: $(tail -n5 "$f")"
    fi
    say "$label: $(fmt "$(kv "$tmp/$label.kv" rate)" 0) req/s ($(kv "$tmp/$label.kv" succeeded) succeeded, $(kv "$tmp/$label.kv" failed) failed)"
}

# check_h2 NAME HOST:PORT: what the server answers over h2c; NAME.check.kv, and returns 1 when
# it is not HTTP/2 200 with exactly "ok\n" or h2load's 100 requests do not all get 2xx
check_h2() {
    local name=$1 addr=$2 f="$tmp/$1.check" ok=1 got
    got=$(curl -sS -m 5 --http2-prior-knowledge -D "$f.headers" -o "$f.body" \
        -w '%{http_version} %{http_code}' "http://$addr/" 2>"$f.curlerr" || true)
    timeout 10 nghttp -nv "http://$addr/" >"$f.nghttp" 2>&1 || true
    timeout 20 h2load -t 1 -c 2 -m 10 -n 100 "http://$addr/" >"$f.h2load" 2>&1 || true
    h2load_kv "$f.h2load" >"$f.h2load.kv"
    {
        echo "curl=HTTP/${got% *} ${got#* }"
        echo "body=$(od -An -c "$f.body" 2>/dev/null | tr -s ' ' | sed 's/^ //; s/ $//')"
        # the response's header names in order, without :status (curl shows it as the status line)
        echo "headers=$(tail -n +2 "$f.headers" | tr -d '\r' | sed -n 's/^\([^:]*\):.*/\1/p' | paste -sd' ')"
        # the entries of the server's own SETTINGS frame (not its ACK): the first recv SETTINGS
        echo "settings=$(awk '/recv SETTINGS frame/ { n++; inside = (n == 1 && $0 ~ /flags=0x00/); next }
            /^\[/ { inside = 0 } inside && /\[SETTINGS_/ { gsub(/[][ ]/, ""); sub(/\(0x[0-9a-fA-F]+\)/, ""); print }' \
            "$f.nghttp" | sed 's/^SETTINGS_//' | paste -sd' ')"
        echo "h2load=$(kv "$f.h2load.kv" succeeded) of 100 succeeded, $(kv "$f.h2load.kv" s2xx) 2xx"
    } >"$f.kv"
    [ "$got" = "2 200" ] || ok=0
    [ "$(printf 'ok\n' | cmp - "$f.body" >/dev/null 2>&1 && echo same)" = same ] || ok=0
    [ "$(kv "$f.h2load.kv" s2xx)" = 100 ] || ok=0
    if [ "$ok" = 1 ]; then echo "verdict=same answer" >>"$f.kv"; return 0; fi
    echo "verdict=**differs**" >>"$f.kv"
    say "$name does not answer HTTP/2 200 \"ok\\n\" on $addr: curl $(kv "$f.kv" curl) body [$(kv "$f.kv" body)] $(cat "$f.curlerr"); h2load $(kv "$f.kv" h2load)"
    return 1
}

# ---------------------------------------------------------------- environment
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=""
if [ -n "$(git -C "$root" status --porcelain 2>/dev/null | head -n1)" ]; then dirty=" (work tree has changes)"; fi
build_type="n/a"
if [ -n "$badup" ]; then
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$badup")/CMakeCache.txt" 2>/dev/null || true)
    [ -n "$build_type" ] || build_type="unknown"
fi
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
h2load_version=$(h2load --version 2>&1 | head -n1)
nghttpd_version=$( (nghttpd --version 2>&1 || true) | head -n1)
h2o_version=$( (h2o --version 2>/dev/null || true) | head -n1)
curl_version=$(curl --version | head -n1 | awk '{ print $1, $2 }')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------- what each server answers
say "checking what each server answers over h2c"
checked=()
for s in "${servers[@]}"; do
    if ! start_server "$s"; then
        if [ "$s" != h2o ] || [ "$h2o_optional" != 1 ]; then die "$s would not start; see above"; fi
        drop_server h2o "it did not start (see $me's messages)"
        continue
    fi
    if ! check_h2 "$s" "$started_listen"; then
        checked+=("$s")
        if [ "$s" != h2o ] || [ "$h2o_optional" != 1 ]; then die "$s does not answer like the others; see above"; fi
        stop_started "$started_pid"
        drop_server h2o "its answer differs (see the table of answers)"
        continue
    fi
    checked+=("$s")
    stop_started "$started_pid"
done
[ "${#servers[@]}" -ge 2 ] || die "fewer than two servers left to compare"
subject=${servers[0]}
refs=("${servers[@]:1}")

# ---------------------------------------------------------------- measurements
declare -A srv_pid srv_addr
for r in $(seq 1 "$rounds"); do
    say "round $r of $rounds"
    # every server up at once, each row run against one then the next
    for s in "${servers[@]}"; do
        start_server "$s" || die "$s would not start in round $r"
        srv_pid[$s]=$started_pid; srv_addr[$s]=$started_listen
    done
    # who goes first rotates, so that a busy spell of the machine's other processes does not
    # always fall on the same server
    n=${#servers[@]}
    order=()
    for k in $(seq 0 $((n - 1))); do order+=("${servers[$(( (k + r - 1) % n ))]}"); done
    for t in "${rows[@]}"; do
        for s in "${order[@]}"; do
            bench_h2load "$s.$t.r$r" "${srv_addr[$s]}" "${srv_pid[$s]}" "$t"
        done
    done
    for s in "${servers[@]}"; do stop_started "${srv_pid[$s]}"; done
done
for t in "${rows[@]}"; do for s in "${servers[@]}"; do pick_median "$s.$t" rate; done; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
finished_at=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------- report
verdict() {  # verdict RATIO TARGET-REFERENCE?
    if [ "$2" = 1 ]; then
        awk -v r="$1" 'BEGIN { print (r != "" && r + 0 >= 1.0) ? "PASS" : "**MISS**" }'
    else
        awk -v r="$1" 'BEGIN { print (r == "") ? "n/a" : (r + 0 >= 1.0) ? "above" : "below" }'
    fi
}
pct() { awk -v c="$1" -v w="$2" 'BEGIN { if (c == "" || w == "" || w == 0) print "n/a"; else printf "%.0f%%", c / w * 100 }'; }
per_cpu() { awk -v n="$1" -v c="$2" 'BEGIN { if (c == "" || c + 0 == 0) print "n/a"; else printf "%.0f", n / c }'; }
title() { echo "h2load -c $(row_c "$1") -m $(row_m "$1")"; }
label_of() {
    case "$1" in
        badup) echo "badup serve $(basename "$scenario")" ;;
        nghttpd) echo "nghttpd -n 1, a file" ;;
        h2o) echo "h2o num-threads 1, file.dir" ;;
    esac
}
# The ratios compare two servers within a round (measured back to back, so under about the
# same load from the machine's other processes), then take the median of the rounds: on a
# shared machine the ratio of two medians can pair a quiet spell with a busy one.
cpu_ratio_at() {  # cpu_ratio_at REF ROW ROUND: the subject's requests per server CPU-s over REF's
    local a="$tmp/$subject.$2.r$3.kv" b="$tmp/$1.$2.r$3.kv"
    awk -v an="$(kv "$a" succeeded)" -v ac="$(kv "$a" cpu_s)" -v bn="$(kv "$b" succeeded)" -v bc="$(kv "$b" cpu_s)" \
        'BEGIN { if (ac + 0 == 0 || bc + 0 == 0 || bn + 0 == 0) print ""; else printf "%.3f", (an / ac) / (bn / bc) }'
}
rate_ratio_at() {  # rate_ratio_at REF ROW ROUND: the subject's rate over REF's
    awk -v a="$(kv "$tmp/$subject.$2.r$3.kv" rate)" -v b="$(kv "$tmp/$1.$2.r$3.kv" rate)" \
        'BEGIN { if (b + 0 == 0) print ""; else printf "%.3f", a / b }'
}
per_round() {  # per_round rate|cpu REF ROW: the ratio each round, "a, b, c"
    local k
    for k in $(seq 1 "$rounds"); do "${1}_ratio_at" "$2" "$3" "$k"; echo; done | paste -sd' ' | sed 's/ /, /g'
}
median_ratio() {  # median_ratio rate|cpu REF ROW: the median of the rounds' ratios
    local k
    for k in $(seq 1 "$rounds"); do "${1}_ratio_at" "$2" "$3" "$k"; echo; done | sort -g |
        awk 'NF { v[++n] = $1 } END { if (n == 0) print ""; else if (n % 2) print v[(n + 1) / 2]; else printf "%.3f", (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
others_max=$(for t in "${rows[@]}"; do for s in "${servers[@]}"; do for k in $(seq 1 "$rounds"); do
    awk -v c="$(kv "$tmp/$s.$t.r$k.kv" others_cpu_s)" -v w="$(kv "$tmp/$s.$t.r$k.kv" wall_s)" \
        'BEGIN { if (w > 0) printf "%.0f\n", c / w * 100 }'
done; done; done | sort -n | tail -n1)
client_max=$(for t in "${rows[@]}"; do for s in "${servers[@]}"; do
    awk -v c="$(kv "$tmp/$s.$t.kv" client_cpu_s)" -v w="$(kv "$tmp/$s.$t.kv" wall_s)" \
        'BEGIN { if (w > 0) printf "%.0f\n", c / w * 100 }'
done; done | sort -n | tail -n1)

row() {  # row SERVER ROW
    local f="$tmp/$1.$2.kv" errs
    errs=$(awk -v a="$(kv "$f" failed)" -v b="$(kv "$f" errored)" -v c="$(kv "$f" timeout)" -v d="$(kv "$f" non2xx)" \
        'BEGIN { printf "%d failed, %d errored, %d timed out, %d not 2xx", a, b, c, d }')
    printf '| %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label_of "$1")" \
        "$(fmt "$(kv "$f" rate)" 0)" "$(kv "$f" all_rounds)" "$(kv "$f" succeeded)" \
        "$(pct "$(kv "$f" cpu_s)" "$(kv "$f" wall_s)")" "$(pct "$(kv "$f" client_cpu_s)" "$(kv "$f" wall_s)")" \
        "$(pct "$(kv "$f" others_cpu_s)" "$(kv "$f" wall_s)")" \
        "$(per_cpu "$(kv "$f" succeeded)" "$(kv "$f" cpu_s)")" "$(kv "$f" rss_kb) kB" \
        "mean $(kv "$f" req_mean), sd $(kv "$f" req_sd), max $(kv "$f" req_max)" \
        "$(per_cpu "$(kv "$f" bytes)" "$(kv "$f" total)") B/request; $(io_per "$f") per request; $errs"
}
io_per() {  # io_per KV: the server's read and write system calls per request
    awk -v r="$(kv "$1" syscr)" -v w="$(kv "$1" syscw)" -v n="$(kv "$1" succeeded)" \
        'BEGIN { if (n + 0 == 0) print "n/a"; else printf "%.2f reads, %.2f writes", r / n, w / n }'
}
check_row() {  # check_row SERVER
    local f="$tmp/$1.check.kv"
    # shellcheck disable=SC2016  # the backticks are markdown's code span
    printf '| %s | %s | `%s` | %s | %s | %s | %s |\n' "$1" "$(kv "$f" curl)" "$(kv "$f" body)" \
        "$(kv "$f" headers | sed 's/^$/(none)/')" "$(kv "$f" settings | sed 's/^$/(none)/')" \
        "$(kv "$f" h2load)" "$(kv "$f" verdict)"
}
versions() {
    local s
    for s in "${checked[@]}"; do
        case "$s" in
            badup) echo "badup $commit$dirty (build type $build_type)" ;;
            nghttpd) echo "$nghttpd_version" ;;
            h2o) echo "$h2o_version" ;;
        esac
    done | paste -sd';' | sed 's/;/; /g'
}

report="$tmp/report.md"
{
    echo "# badup HTTP/2 benchmark"
    echo
    echo "$started_at to $finished_at; $(nproc) CPU ($cpu_model), Linux $(uname -r);"
    echo "load before: $load_before; after: $load_after."
    echo "$(versions); $h2load_version; $curl_version."
    echo "Rounds rotate which server goes first (round 1: ${servers[*]})."
    echo "Command: \`bench/h2.sh --duration $duration --rounds $rounds --rows $rows_arg --servers $(IFS=,; echo "${servers[*]}") --quiet-wait $quiet_wait\`."
    for note in "${notes[@]+"${notes[@]}"}"; do echo "$note"; done
    echo
    echo "## Target: $subject at least 1.0x ${refs[0]} (one worker each, h2c)"
    echo
    echo "Ratios are $subject / the other server within each round (the two measured back to back),"
    echo "then the median of the rounds; \"medians\" are each server's median round, for scale."
    [ "${#refs[@]}" -lt 2 ] || echo "${refs[*]:1} is a second reference: its rows say above or below, not PASS or MISS."
    echo
    echo "| h2load | against | rate ratio | each round | verdict | per server CPU-s ratio | each round | verdict | medians: $subject vs it |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for t in "${rows[@]}"; do
        first=1
        for ref in "${refs[@]}"; do
            rt=$(median_ratio rate "$ref" "$t"); ct=$(median_ratio cpu "$ref" "$t")
            echo "| $(title "$t") | $ref | **$(fmt "$rt" 3)x** | $(per_round rate "$ref" "$t") | $(verdict "$rt" "$first") | $(fmt "$ct" 3)x | $(per_round cpu "$ref" "$t") | $(verdict "$ct" "$first") | $(fmt "$(kv "$tmp/$subject.$t.kv" rate)" 0) vs $(fmt "$(kv "$tmp/$ref.$t.kv" rate)" 0) req/s |"
            first=0
        done
    done
    echo
    echo "## What each server answered"
    echo
    echo "\`curl --http2-prior-knowledge http://ADDR/\` (its HTTP version and status, the body's bytes as"
    echo "\`od -c\` shows them, the response's header names after :status), the server's SETTINGS as"
    echo "\`nghttp -v\` received them, and \`h2load -c 2 -m 10 -n 100\`."
    echo
    echo "| server | curl | body | headers | SETTINGS | h2load | verdict |"
    echo "|---|---|---|---|---|---|---|"
    for s in "${checked[@]}"; do check_row "$s"; done
    echo
    echo "## Figures (median round of $rounds)"
    echo
    echo "\`h2load -t 1 -c C -m M -D $duration http://ADDR/\` over h2c with prior knowledge, after a warm-up of"
    echo "\`-n\` max(1000, 10 x C x M) requests on connections of its own; rate = h2load's req/s over"
    echo "the measured $duration_text. CPU columns: user+system time over the run's wall time, 100% = one core;"
    echo "\"others\" is the machine's busy time minus server and client. \"time for request\" is h2load's, from a"
    echo "request's HEADERS to the end of its response, for the median round. Reads and writes per"
    echo "request: the server's read and write system calls over the run (/proc/PID/io syscr, syscw;"
    echo "a writev is one write) over its requests: how many requests it answers per system call."
    echo
    for t in "${rows[@]}"; do
        echo "### $(title "$t")"
        echo
        echo "| server | req/s | each round | requests | server CPU | client CPU | others' CPU | per server CPU-s | RSS | time for request | notes |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|"
        for s in "${servers[@]}"; do row "$s" "$t"; done
        echo
    done
    echo "## Reading these figures"
    echo
    echo "- h2load used up to ${client_max}% of a core (its one thread), other processes up to"
    echo "  ${others_max}% during a measured run. The machine has $(nproc) cores: when server + client +"
    echo "  others reach about $(( $(nproc) * 100 ))%, or h2load is at 100%, the rate measures the"
    echo "  client or the machine's share, and \"per server CPU-s\" is the fairer comparison."
    echo "- -c 1 -m 1 is bound by the round trip (client, kernel, server, back), where a server's work"
    echo "  per request is a small part; with many streams in flight the servers' work sets the pace."
    echo "- nghttpd and h2o serve a file (headers such as date, last-modified, content-type; h2o an etag"
    echo "  too), hence the larger \"B/request\" (h2load's bytes received over its requests)."
} >"$report"
mkdir -p "$(dirname "$out")"
cp "$report" "$out"
cat "$report"
say "report written to $out"
