#!/bin/sh
# Builds the libFuzzer targets with clang (a build of its own) and runs each for a bounded
# time. Fails on any crash, leak, hang or sanitizer report (the input is kept under
# $FUZZ_BUILD/artifacts/ to reproduce: $FUZZ_BUILD/fuzz_request ARTIFACT).
#   tests/fuzz/run.sh                     every target, 60 s each, in ./build-fuzz
#   FUZZ_SECONDS=300 tests/fuzz/run.sh fuzz_request
# Environment: FUZZ_SECONDS (per target, default 60), FUZZ_BUILD (default <repo>/build-fuzz),
# FUZZ_JOBS (build jobs, default nproc), FUZZ_ARGS (more libFuzzer flags).
# The seed corpus is tests/fuzz/corpus/<target>/ (scenarios/ and tests/fuzz/scenarios/ also
# seed fuzz_scenario); what a run adds goes to $FUZZ_BUILD/corpus/<target>/, never the tree.
# fuzz_request's HTTP/2 seeds (corpus/fuzz_request/h2_*: a first byte 0x02, an options byte,
# then frames) are written by tests/fuzz/h2_seeds.py, whose header blocks are HPACK written
# by hand from static-table indexes (0x82 :method GET, 0x84 :path /, 0x86 :scheme http).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$repo/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
targets=${*:-fuzz_request fuzz_scenario fuzz_admin}

# clang with libFuzzer (Debian: clang and libclang-rt-14-dev). Without it: a failure in CI
# (CI=true), a skip elsewhere (exit 77, which ctest reports as skipped).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "run.sh: clang with libFuzzer is not installed: scripts/install-deps.sh fuzz" >&2
    exit 1
  fi
  echo "run.sh: clang with libFuzzer is not installed: skipped (scripts/install-deps.sh fuzz)" >&2
  exit 77
fi
mkdir -p "$build"
cmake -S "$repo" -B "$build" -DCMAKE_C_COMPILER=clang -DBADUP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 2; }
# shellcheck disable=SC2086
cmake --build "$build" -j"$jobs" --target $targets >"$build/build.log" 2>&1 || { cat "$build/build.log" >&2; exit 2; }

failed=""
for t in $targets; do
  work="$build/corpus/$t"
  mkdir -p "$work" "$build/artifacts"
  seeds="$here/corpus/$t"
  [ "$t" = fuzz_scenario ] && seeds="$seeds $repo/scenarios $here/scenarios"
  echo "run.sh: $t for ${seconds}s"
  # -timeout: one input taking over 10 s is a hang. -rss_limit_mb: a leak or a bomb.
  # shellcheck disable=SC2086
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" ${FUZZ_ARGS:-} "$work" $seeds \
      >"$build/$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^#[0-9]+.*DONE" "$build/$t.log" | sed "s/^/  $t: /"
  else
    echo "run.sh: $t FAILED; the last lines of $build/$t.log:" >&2
    tail -n 60 "$build/$t.log" >&2
    failed="$failed $t"
  fi
done
[ -z "$failed" ] || { echo "run.sh: crashes in:$failed (inputs in $build/artifacts/)" >&2; exit 1; }
echo "run.sh: no crash in: $targets"
