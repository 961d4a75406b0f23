#!/bin/sh
# bench/latency_sweep.sh: client latency percentiles (p50, p90, p99, p99.9, max) per proxy,
# against concurrency and against injected upstream latency. Two sweeps, each point a fresh
# `badup serve bench/scenarios/latency.lua` behind a fresh proxy (configured as `badup run` tests
# it, by bench/lib.sh's start_proxy: retries off, read timeout 5 s), loaded by a closed-loop
# `badup bench` for DURATION seconds:
#   1. concurrency: CONCURRENCY connections (default "1 10 50 100 200 400"), the upstream
#      answering at once: the latency is the proxy's own, queueing included
#      -> OUT/latency_concurrency.dat, latency_concurrency.svg;
#   2. upstream latency: LAT_CONNECTIONS connections (default 20), the upstream waiting a
#      latency drawn per request from DISTRIBUTION (fixed, uniform or exponential; default
#      exponential) with mean LATENCIES ms (default "0 1 5 10 25 50 100"): how much the proxy
#      adds to, and how it passes on, a slow upstream's tail
#      -> OUT/latency_upstream.dat, latency_upstream.svg.
# The series "direct" is badup bench against the simulator alone (no proxy): the floor.
#
#   bench/latency_sweep.sh [OUT]                      default OUT: results/bench
#   BADUP=build/badup PROXIES="haproxy nginx" DIRECT=1 DURATION=2 bench/latency_sweep.sh
#   CONCURRENCY="1 50" LATENCIES="0 10" POINTS=OUT/latency bench/latency_sweep.sh OUT
#
# Each point's bench data (summary.json, latency.dat) goes under POINTS (default
# OUT/latency/), named SERIES-cN or SERIES-lMS. Progress: one line per point on stderr.
# Loopback only; ports from the kernel. Every process this script starts is stopped by its
# PID on exit or Ctrl-C, and the .dat files appear only when written whole. Ctrl-C still
# writes and draws the points measured so far (the last one cut short), exit 130. A proxy that is not
# installed is skipped. Needs python3 (ports, summary.json).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BADUP=${BADUP:-$repo/build/badup}
PROXIES=${PROXIES:-haproxy nginx}
DIRECT=${DIRECT:-1}
DURATION=${DURATION:-2}
CONCURRENCY=${CONCURRENCY:-1 10 50 100 200 400}
LATENCIES=${LATENCIES:-0 1 5 10 25 50 100}
LAT_CONNECTIONS=${LAT_CONNECTIONS:-20}
DISTRIBUTION=${DISTRIBUTION:-exponential}
READ_MS=5000
out=${1:-$repo/results/bench}
POINTS=${POINTS:-$out/latency}
case "$DISTRIBUTION" in fixed|uniform|exponential) ;;
  *) echo "latency_sweep.sh: DISTRIBUTION is fixed, uniform or exponential, got '$DISTRIBUTION'" >&2; exit 2;;
esac
for n in $CONCURRENCY $LAT_CONNECTIONS; do
  case "$n" in ''|*[!0-9]*) echo "latency_sweep.sh: connections must be whole numbers, got '$n'" >&2; exit 2;; esac
done
for l in $LATENCIES; do
  case "$l" in ''|*[!0-9.]*) echo "latency_sweep.sh: LATENCIES are milliseconds >= 0, got '$l'" >&2; exit 2;; esac
done

me=latency_sweep.sh
. "$repo/bench/lib.sh"
mkdir -p "$out" "$POINTS"

series=""
[ "$DIRECT" = 1 ] && series="direct"
for p in $PROXIES; do
  if proxy_installed "$p"; then series="$series $p"; else echo "latency_sweep.sh: $p not installed, skipped" >&2; fi
done
[ -n "$series" ] || { echo "latency_sweep.sh: nothing to measure (no proxy installed and DIRECT=0)" >&2; exit 2; }

header() { # $1 file, $2 what varies
  {
    echo "# $(basename "$1"), written by bench/latency_sweep.sh: client latency percentiles against $2;"
    echo "# closed-loop badup bench, ${DURATION} s per point, upstream bench/scenarios/latency.lua, proxy"
    echo "# read timeout $((READ_MS / 1000)) s; series direct = the simulator alone (no proxy). Latencies in ms."
    echo "# columns: series connections upstream_latency_ms p50 p90 p99 p99.9 max requests_s requests errors distribution"
    echo "#   upstream_connections (connections the simulator accepted: as many as requests = no upstream keep-alive)"
  } >"$1"
}

# point SERIES CONNECTIONS LATENCY_MS NAME DAT: one measurement, appended to DAT.
point() {
  p_series=$1 p_conns=$2 p_lat=$3 p_dat=$5
  d="$work/$4"
  mkdir -p "$d"
  begin_point "$POINTS/$4/summary.json"
  start_badup "$d" --set "latency_ms=$3" --set "distribution=$DISTRIBUTION" "$repo/bench/scenarios/latency.lua"
  if [ "$1" = direct ]; then
    port=$upstream_port
  else
    start_proxy "$1" "$d/proxy" "$READ_MS" 0
    port=$proxy_port
  fi
  "$BADUP" bench --url "http://127.0.0.1:$port/" --connections "$2" --duration "$DURATION" \
    --upstream-admin "127.0.0.1:$admin_port" --out "$POINTS/$4" >"$d/bench.out"
  stop_all
  record_point
  end_point
}

# record_point: the point in progress ($p_series, $p_conns, $p_lat, $point_summary) into $p_dat.
record_point() {
  set -- $(bench_row "$point_summary")
  # bench_row: requests_s requests errors p50 p90 p99 p99.9 max attempts upstream_connections
  [ "$interrupted" = 1 ] && echo "# interrupted: the next point was cut short by Ctrl-C" >>"$p_dat"
  echo "$p_series $p_conns $p_lat $4 $5 $6 $7 $8 $1 $2 $3 $DISTRIBUTION ${10}" >>"$p_dat"
  printf '%-8s %6s %8s %10s %10s %10s %10s %10s %10s %7s\n' "$p_series" "$p_conns" "$p_lat" "$4" "$5" "$6" "$7" "$8" \
    "$1" "$3" >&2
}

# finish: publish the .dat files that have a point, and draw them.
finish() {
  any=0
  for f in latency_concurrency latency_upstream; do
    if has_rows "$work/$f.dat"; then publish "$work/$f.dat" "$out/$f.dat"; any=1; fi
  done
  [ "$any" = 1 ] || { echo "latency_sweep.sh: no point measured, nothing written" >&2; return 1; }
  "$BADUP" plot "$out"
}

cdat="$work/latency_concurrency.dat"
ldat="$work/latency_upstream.dat"
header "$cdat" "concurrency (upstream latency 0)"
header "$ldat" "injected upstream latency ($DISTRIBUTION, mean in column 3; $LAT_CONNECTIONS connections)"
printf '%-8s %6s %8s %10s %10s %10s %10s %10s %10s %7s\n' series conns up_ms p50 p90 p99 p99.9 max requests/s errors >&2
echo "latency_sweep.sh: 1/2 concurrency: $CONCURRENCY connections" >&2
for s in $series; do
  for n in $CONCURRENCY; do point "$s" "$n" 0 "$s-c$n" "$cdat"; done
done
echo "latency_sweep.sh: 2/2 upstream latency ($DISTRIBUTION): $LATENCIES ms" >&2
for s in $series; do
  for l in $LATENCIES; do point "$s" "$LAT_CONNECTIONS" "$l" "$s-l$l" "$ldat"; done
done
finish
