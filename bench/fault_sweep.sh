#!/bin/sh
# bench/fault_sweep.sh: client-visible error rate against injected upstream fault rate, one line
# per proxy. For each proxy (haproxy, nginx) and each fault rate P, a fresh
# `badup serve --set fault_rate=P bench/scenarios/fault_mix.lua` behind the proxy (configured as
# `badup run` tests it, read timeout 1 s), loaded by `badup bench --connections 20 --duration 3`;
# the non-2xx + failed fraction goes into OUT/error_rate.dat, with the number of requests the
# upstream received (`badup bench --upstream-admin`, from the simulator's GET /stats: more than
# the client sent means the proxy retried), then `badup plot OUT` draws OUT/error_rate.svg.
#
# RETRIES picks the modes, a list (default "0"):
#   0  retries off (the definition's retries.off, as `badup run`): series haproxy, nginx
#   1  retries on (its retries.on, as `badup run --retries`; see harness/proxies/PROXY.lua):
#      series haproxy+retries, nginx+retries
# RETRIES="0 1" draws both on one graph, with and without retries.
#
#   bench/fault_sweep.sh [OUT]                       default OUT: results/bench/fault_sweep
#   BADUP=build/badup PROXIES="haproxy nginx" RATES="0 0.05 0.5" FAULT=mix DURATION=3 bench/fault_sweep.sh
#   RETRIES="0 1" POINTS=OUT/fault_sweep bench/fault_sweep.sh OUT   # each point's bench data under POINTS
#
# Loopback only; ports from the kernel (the proxy's is asked of the kernel, then released and
# given to the proxy). Every process this script starts is stopped by its PID on exit or Ctrl-C;
# Ctrl-C still writes and draws the points measured so far (the last one cut short), exit 130.
# A proxy that is not installed is skipped. Needs python3 (to pick a port and read summary.json).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BADUP=${BADUP:-$repo/build/badup}
PROXIES=${PROXIES:-haproxy nginx}
RATES=${RATES:-0 0.01 0.05 0.1 0.25 0.5}
FAULT=${FAULT:-mix}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-20}
READ_TIMEOUT=${READ_TIMEOUT:-1}
RETRIES=${RETRIES:-0}
out=${1:-$repo/results/bench/fault_sweep}
POINTS=${POINTS:-$out}
for m in $RETRIES; do
  case "$m" in 0|1) ;; *) echo "fault_sweep.sh: RETRIES is a list of 0 (off) and 1 (on), got '$RETRIES'" >&2; exit 2;; esac
done

me=fault_sweep.sh
. "$repo/bench/lib.sh"
mkdir -p "$out" "$POINTS"

start_upstream() { # $1 fault rate; sets upstream_port and admin_port
  start_badup "$work" --set "fault_rate=$1" --set "fault=$FAULT" --set "read_timeout=$READ_TIMEOUT" \
    "$repo/bench/scenarios/fault_mix.lua"
}

# record_point: the point in progress ($series, $rate, $point_summary) into $dat.
record_point() {
  set -- $(bench_row "$point_summary")
  rps=$1 total=$2 errors=$3 attempts=$9
  err=$(awk -v e="$errors" -v n="$total" 'BEGIN { printf "%.6f", n ? e / n : 0 }')
  [ "$interrupted" = 1 ] && echo "# interrupted: the next point was cut short by Ctrl-C" >>"$dat"
  echo "$series $rate $err $total $errors $rps $attempts" >>"$dat"
  printf '%-15s %6s %9.2f %9d %8d %11.1f %9d  %s\n' "$series" "$rate" "$(awk -v r="$err" 'BEGIN { print 100 * r }')" \
    "$total" "$errors" "$rps" "$attempts" "$(status_mix "$point_summary")" >&2
}

# finish: publish error_rate.dat (if a point was measured) and draw it.
finish() {
  has_rows "$dat" || { echo "fault_sweep.sh: no point measured, nothing written" >&2; return 1; }
  publish "$dat" "$out/error_rate.dat"
  "$BADUP" plot "$out"
}

dat="$work/error_rate.dat"
{
  echo "# error_rate.dat, written by bench/fault_sweep.sh: $FAULT faults from bench/scenarios/fault_mix.lua,"
  echo "# $CONNECTIONS connections, ${DURATION} s per point, proxy read timeout ${READ_TIMEOUT} s; series"
  echo "# PROXY: retries off; PROXY+retries: retries on, as badup run --retries configures them"
  echo "# (retries.on of harness/proxies/PROXY.lua)."
  echo "# upstream_attempts: requests the upstream received (simulator GET /stats \"requests\")."
  echo "# columns: proxy fault_rate error_rate requests errors requests_s upstream_attempts"
} >"$dat"
printf '%-15s %6s %9s %9s %8s %11s %9s  %s\n' proxy fault errors% requests errors requests/s upstream status >&2
read_ms=$(awk -v s="$READ_TIMEOUT" 'BEGIN { printf "%d", s * 1000 }')
for mode in $RETRIES; do
for proxy in $PROXIES; do
  if ! proxy_installed "$proxy"; then
    echo "fault_sweep.sh: $proxy not installed, skipped" >&2; continue
  fi
  series=$proxy
  [ "$mode" = 1 ] && series="$proxy+retries"
  for rate in $RATES; do
    d="$work/$series-$rate"; mkdir -p "$d"
    start_upstream "$rate"
    start_proxy "$proxy" "$d" "$read_ms" "$mode"
    begin_point "$POINTS/$series-$rate/summary.json"
    "$BADUP" bench --url "http://127.0.0.1:$proxy_port/" --connections "$CONNECTIONS" --duration "$DURATION" \
      --upstream-admin "127.0.0.1:$admin_port" --out "$POINTS/$series-$rate" >"$d/bench.out"
    stop_all
    record_point
    end_point
  done
done
done
finish
