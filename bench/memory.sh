#!/usr/bin/env bash
# Peak memory (max RSS, from GNU time) of a single probe and of a 1-65535 sweep, on both backends; medians of
# RUNS runs. Runs in a network namespace of its own, like the sweep benchmark.
source "$(dirname "$0")/netns.sh" "$0" "$@"
runs=${RUNS:-5}
peak() { # median max-RSS in MB of a command, over $runs runs
  for _ in $(seq "$runs"); do (/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true) | tail -1; done |
    sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1024 }'
}
echo "### Peak memory (max RSS, median of $runs runs)"
echo "| backend | single probe (--repeat 3) | sweep 1-65535 | ratio |"
echo "|---|---|---|---|"
for ffi in ffi-napi koffi; do
  single=$(peak bin/connprobe.js 127.0.0.1 9 --repeat 3 --ffi "$ffi")
  sweep=$(peak bin/connprobe.js 127.0.0.1 1-65535 --ffi "$ffi")
  echo "| $ffi | $single MB | $sweep MB | $(awk "BEGIN { printf \"%.2f x\", $sweep / $single }") |"
done
