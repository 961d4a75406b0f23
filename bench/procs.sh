# bench/procs.sh: what the bash benchmarks that race badup against nginx (simulator.sh, tls.sh,
# loadgen.sh) or nghttpd (h2.sh) share: the processes they own and stop by PID (also on
# Ctrl-C), bounded commands, the tools and the badup binary they need, and the small readers
# of their key=value files. Sourced once the script has set `me` (its name, for messages) and
# `keep_tmp`; need_commands, need_tools and need_badup read here, root, build_dir, badup and
# do_build (and set client, nginx_bin), wait_quiet quiet_wait and quiet_pct, pick_median rounds.

say() { echo "$me: $*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- processes we own
pids=()
tmp=""
stop_pid() {  # TERM, up to 5 s, then KILL; only PIDs we started
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "PID $pid ignored SIGTERM for 5 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
forget_pid() {
    local p keep=()
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]+"${keep[@]}"}")
}
stop_started() { stop_pid "$1"; forget_pid "$1"; }
cleanup() {
    local p
    for p in "${pids[@]+"${pids[@]}"}"; do stop_pid "$p"; done
    pids=()
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        if [ "$keep_tmp" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
    fi
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

# run_bounded SECONDS OUTFILE CMD...: in the background and waited for, so a signal reaches
# our trap at once instead of after the command (`timeout` kills its whole process group);
# prints nothing itself, returns its code
run_bounded() {
    local limit=$1 outfile=$2 rc=0 p
    shift 2
    timeout --kill-after=5 "$limit" "$@" >"$outfile" 2>>"$tmp/stderr.log" &
    p=$!
    pids+=("$p")
    wait "$p" || rc=$?
    forget_pid "$p"
    return "$rc"
}

# ---------------------------------------------------------------- tools and badup
# need_commands CMD...: python3, the client and each CMD; sets client
need_commands() {
    local c
    for c in python3 "$@"; do command -v "$c" >/dev/null || die "$c not found (Debian package $c)"; done
    client="$here/stallclient.py"
    [ -f "$client" ] || die "missing $client"
}

# need_tools CMD...: need_commands wrk CMD..., and nginx; sets nginx_bin, client
need_tools() {
    need_commands wrk "$@"
    nginx_bin=$(command -v nginx || true)
    [ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } || true
    [ -n "$nginx_bin" ] || die "nginx not found (Debian package nginx-light)"
}

# need_badup: --badup, or BUILD-DIR/badup (built in Release first with --build)
need_badup() {
    [ -n "$badup" ] || badup="$build_dir/badup"
    if [ "$do_build" = 1 ]; then
        say "building badup in $build_dir (Release)"
        mkdir -p "$build_dir"
        (cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >"$build_dir/bench-build.log" 2>&1 &&
            cmake --build "$build_dir" -j2 --target badup >>"$build_dir/bench-build.log" 2>&1) ||
            die "build failed: see $build_dir/bench-build.log"
    fi
    [ -x "$badup" ] || die "no badup binary at $badup (build: cd $root && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2, or pass --build)"
}

# ---------------------------------------------------------------- readers
# kv FILE KEY: the value of KEY=... in a key=value file ("" if absent)
kv() { sed -n "s/^$2=//p" "$1" | head -n1; }
# calc EXPR: floating-point arithmetic through awk
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
cpu_ticks() {  # utime+stime of a process, in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# wait_quiet LABEL: up to --quiet-wait s for other processes to calm down; $tmp/LABEL.quiet
wait_quiet() {
    if [ "$quiet_wait" = 0 ]; then echo "busy_pct=" >"$tmp/$1.quiet"; return 0; fi
    run_bounded $((quiet_wait + 10)) "$tmp/$1.quiet" python3 "$client" quiet \
        --threshold "$quiet_pct" --max-wait "$quiet_wait" || true
    if [ "$(kv "$tmp/$1.quiet" quiet)" != 1 ]; then
        say "$1: the machine is busy ($(kv "$tmp/$1.quiet" busy_pct)% of a core used by others); measuring anyway"
    fi
}

# pick_median NAME KEY: of $tmp/NAME.rK.kv (K = 1..rounds), the round whose KEY is the median
# becomes NAME.kv, with every round's KEY appended as all_rounds=
pick_median() {
    local name=$1 key=$2 k chosen all
    for k in $(seq 1 "$rounds"); do echo "$(kv "$tmp/$name.r$k.kv" "$key") $k"; done | sort -n >"$tmp/$name.order"
    chosen=$(awk -v m=$(( (rounds + 1) / 2 )) 'NR == m { print $2 }' "$tmp/$name.order")
    all=$(for k in $(seq 1 "$rounds"); do
        awk -v v="$(kv "$tmp/$name.r$k.kv" "$key")" 'BEGIN { if (v == "" || v == "None") print "n/a"; else printf "%.0f\n", v }'
    done | paste -sd' ')
    cp "$tmp/$name.r$chosen.kv" "$tmp/$name.kv"
    echo "all_rounds=$all" >>"$tmp/$name.kv"
    median_round=$chosen
}
