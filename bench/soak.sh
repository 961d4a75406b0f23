#!/usr/bin/env bash
# bench/soak.sh: a soak, longer than the one ctest runs: mixed faults at load
# through nginx in front of `badup serve scenarios/`, then the simulator's fds, VmRSS and
# counters checked against the warm baseline. Prints the figures (and exits 1 on a problem).
#
#   bench/soak.sh [--duration SECONDS] [--threads N] [--seed N] [--badup PATH] [--json FILE]
#
# Defaults: 300 s, 8 client threads, build/badup. The work is done by tests/e2e/test_soak.py
# (its `soak` mode); only 127.0.0.1 and kernel-chosen ports, every process stopped by PID.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
duration=300
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --threads|--seed|--badup|--json|--warmup|--max-requests) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench/soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
export BADUP=${BADUP:-$root/build/badup}
export BADUP_SCENARIOS=${BADUP_SCENARIOS:-$root/scenarios}
exec python3 "$root/tests/e2e/test_soak.py" soak --duration "$duration" "${args[@]}"
