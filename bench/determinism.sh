#!/bin/sh
# bench/determinism.sh [OUT] [RUNS]: are badup's verdicts repeatable on this machine?
#
# Runs `badup run` RUNS times back to back (default 5), with the default options and
# whatever proxies are installed (PROXIES=all; PROXIES=haproxy,nginx for fewer), each into
# OUT/runN (default OUT: results/determinism), then compares every cell (proxy x scenario)
# across the runs: its outcome and its verdict. It prints the cells that changed, if any,
# and writes the same report to OUT/determinism.txt.
#
# Exit 0: every run exited 0 and every cell was the same in every run. Exit 1: a run
# failed or a cell changed. Exit 2: usage (badup missing). Ctrl-C stops the run under way
# (badup run stops its proxies itself) and reports on the runs that finished.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
BADUP=${BADUP:-$repo/build/badup}
out=${1:-results/determinism}
runs=${2:-5}
proxies=${PROXIES:-all}

case "$runs" in '' | *[!0-9]*) echo "determinism.sh: RUNS must be a number, got '$runs'" >&2; exit 2 ;; esac
[ "$runs" -ge 2 ] || { echo "determinism.sh: RUNS must be at least 2" >&2; exit 2; }
[ -x "$BADUP" ] || { echo "determinism.sh: no badup at $BADUP (make build, or set BADUP)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "determinism.sh: python3 is needed to compare the runs" >&2; exit 2; }
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 2

stopped=0
trap 'stopped=1' INT TERM
failed=0
done_runs=""
i=1
while [ "$i" -le "$runs" ] && [ "$stopped" = 0 ]; do
  echo "determinism.sh: run $i of $runs: badup run --proxy $proxies --out $out/run$i" >&2
  start=$(date +%s)
  "$BADUP" run --proxy "$proxies" --out "$out/run$i" -q > "$out/run$i.txt" 2> "$out/run$i.err"
  rc=$?
  tail -n 1 "$out/run$i.txt" | grep -v '^$' >&2
  echo "determinism.sh: run $i exited $rc after $(( $(date +%s) - start )) s" >&2
  [ "$rc" = 130 ] && stopped=1 && break
  [ "$rc" = 0 ] || failed=1
  done_runs="$done_runs $out/run$i"
  i=$((i + 1))
done

# shellcheck disable=SC2086
python3 - "$out/determinism.txt" $done_runs <<'EOF'
import json, os, sys
report, dirs = sys.argv[1], sys.argv[2:]
cells, order = {}, []
for k, d in enumerate(dirs):
    try:
        with open(os.path.join(d, "results.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("%s: no results (%s)" % (d, e))
        sys.exit(1)
    for c in doc["cases"]:
        key = (c["proxy"], c["scenario"])
        if key not in cells:
            cells[key] = [None] * len(dirs)
            order.append(key)
        cells[key][k] = "%s %s" % (c["got"], c["verdict"])
changed = [key for key in order if len(set(cells[key])) > 1]
lines = ["%d runs, %d cells each; cells whose outcome or verdict changed: %d" % (len(dirs), len(order), len(changed))]
for key in changed:
    lines.append("  %s/%s: %s" % (key[0], key[1], " | ".join(v or "-" for v in cells[key])))
text = "\n".join(lines) + "\n"
with open(report + ".tmp", "w") as f:
    f.write(text)
os.replace(report + ".tmp", report)
sys.stdout.write(text)
sys.exit(1 if changed or len(dirs) < 2 else 0)
EOF
cmp=$?
[ "$stopped" = 1 ] && echo "determinism.sh: interrupted; compared the runs that finished" >&2
[ "$failed" = 0 ] && [ "$cmp" = 0 ] && [ "$stopped" = 0 ]
