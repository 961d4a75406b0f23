#!/bin/sh
# bench/capacity.sh: is the simulator ever the bottleneck? Through each proxy (haproxy, nginx;
# configured as `badup run` tests them, by bench/lib.sh's start_proxy: retries off), load with
# `badup bench --connections 50 --duration 5` while the upstream is
#   badup  `badup serve scenarios/ok.lua` (badup's healthy path), or
#   nginx  nginx `return 200 "ok\n"`, one worker;
# alternating badup and nginx, ROUNDS rounds (default 3), the median per proxy and upstream goes
# into OUT/capacity.dat (columns: proxy upstream requests_s), the ratio badup/nginx per proxy is
# printed (the target: within 10%, i.e. a ratio of at least 0.90), then `badup plot OUT`
# draws OUT/capacity.svg beside the other graphs of OUT.
#
#   bench/capacity.sh [OUT]                          default OUT: results/bench
#   BADUP=build/badup PROXIES="haproxy nginx" ROUNDS=3 DURATION=5 CONNECTIONS=50 bench/capacity.sh
#
# Loopback only; ports from the kernel (the proxy's and nginx upstream's are asked of the kernel,
# then released and handed over). Every process this script starts is stopped by its PID on exit
# or Ctrl-C; Ctrl-C still writes and draws what was measured (the last run cut short), exit 130.
# A proxy that is not installed is skipped; without nginx there is no reference upstream
# and the script exits 2. Needs python3 (ports, summary.json, the median).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BADUP=${BADUP:-$repo/build/badup}
PROXIES=${PROXIES:-haproxy nginx}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-50}
out=${1:-$repo/results/bench}

me=capacity.sh
. "$repo/bench/lib.sh"
command -v nginx >/dev/null 2>&1 || { echo "capacity.sh: nginx not installed (the reference upstream)" >&2; exit 2; }
mkdir -p "$out/capacity"

start_upstream() { # $1 badup|nginx, $2 dir; sets upstream_port
  mkdir -p "$2"
  case "$1" in
    badup)
      start_badup "$2" "$repo/scenarios/ok.lua" || return 1
      ;;
    nginx)
      upstream_port=$(free_port)
      start_nginx "$2" "    server { listen 127.0.0.1:$upstream_port; location / { return 200 \"ok\\n\"; } }"
      ;;
  esac
  wait_port "$upstream_port" || { echo "capacity.sh: upstream $1 did not start" >&2; return 1; }
}

# record_point: the point in progress ($proxy, $upstream, $round, $point_summary) into $runs.
record_point() {
  set -- $(bench_row "$point_summary")
  echo "$proxy $upstream $round $1 $3 $interrupted" >>"$runs"
  printf '%-8s %-6s %5s %11.1f %8d  %s\n' "$proxy" "$upstream" "$round" "$1" "$3" "$(status_mix "$point_summary")" >&2
}

# finish: the median per proxy and upstream into capacity.dat, the ratios, the graph.
finish() {
  [ -s "$runs" ] || { echo "capacity.sh: nothing measured (no proxy installed, or interrupted at once)" >&2; return 2; }
  python3 - "$runs" "$work/capacity.dat" "$CONNECTIONS" "$DURATION" "$ROUNDS" <<'PY'
import statistics, sys
runs, dat, conns, dur, rounds = sys.argv[1:]
by = {}
order = []
cut = False
for line in open(runs):
    proxy, upstream, _round, rps, _errors, interrupted = line.split()
    cut = cut or interrupted == "1"
    if proxy not in order:
        order.append(proxy)
    by.setdefault((proxy, upstream), []).append(float(rps))
with open(dat, "w") as f:
    f.write("# capacity.dat, written by bench/capacity.sh: the proxy's requests/s with badup\n"
            "# (scenarios/ok.lua) or nginx (return 200, one worker) as the upstream; badup bench\n"
            "# --connections %s --duration %s through the proxy, upstreams alternating, median of %s rounds.\n"
            % (conns, dur, rounds))
    if cut:
        f.write("# interrupted by Ctrl-C: fewer rounds, the last run cut short\n")
    f.write("# columns: proxy upstream requests_s\n")
    for proxy in order:
        for upstream in ("badup", "nginx"):
            if (proxy, upstream) in by:
                f.write("%s %s %.1f\n" % (proxy, upstream, statistics.median(by[(proxy, upstream)])))
for proxy in order:
    if (proxy, "badup") not in by or (proxy, "nginx") not in by:
        continue
    b, n = statistics.median(by[(proxy, "badup")]), statistics.median(by[(proxy, "nginx")])
    r = b / n if n else 0.0
    print("capacity: %-8s badup %9.1f req/s  nginx %9.1f req/s  ratio badup/nginx %.3f (%s: within 10%% is >= 0.90)"
          % (proxy, b, n, r, "ok" if r >= 0.9 else "MISSED"))
PY
  publish "$work/capacity.dat" "$out/capacity.dat"
  "$BADUP" plot "$out"
}

runs="$work/runs.txt"
: >"$runs"
printf '%-8s %-6s %5s %11s %8s  %s\n' proxy upstream round requests/s errors status >&2
round=1
while [ "$round" -le "$ROUNDS" ]; do
  for proxy in $PROXIES; do
    if ! proxy_installed "$proxy"; then
      [ "$round" -eq 1 ] && echo "capacity.sh: $proxy not installed, skipped" >&2
      continue
    fi
    for upstream in badup nginx; do
      d="$work/$proxy-$upstream-$round"
      start_upstream "$upstream" "$d/up"
      start_proxy "$proxy" "$d/proxy" 2000 0
      begin_point "$out/capacity/$proxy-$upstream-$round/summary.json"
      "$BADUP" bench --url "http://127.0.0.1:$proxy_port/" --connections "$CONNECTIONS" --duration "$DURATION" \
        --out "$out/capacity/$proxy-$upstream-$round" >"$d/bench.out"
      stop_all
      record_point
      end_point
    done
  done
  round=$((round + 1))
done

finish
