#!/bin/sh
# Runs one end-to-end suite against the plain binary under valgrind (ctest's *-valgrind
# tests):  tests/valgrind/run.sh BADUP_BINARY tests/e2e/test_responses.py
# Without valgrind: fails in CI (CI=true), skipped elsewhere (exit 77, ctest's SKIP).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "valgrind is not installed: scripts/install-deps.sh test installs it" >&2
    exit 1
  fi
  echo "valgrind is not installed: skipped (scripts/install-deps.sh test)" >&2
  exit 77
fi
BADUP_REAL=$1
BADUP=$here/badup-valgrind.sh
# valgrind runs the server ~20x slower: the suites scale their waits by this factor.
BADUP_TIME_FACTOR=${BADUP_TIME_FACTOR:-5}
export BADUP_REAL BADUP BADUP_TIME_FACTOR
shift
exec python3 "$@"
