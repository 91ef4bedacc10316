#!/usr/bin/env bash
# 2^20 targets (127.0.0.0/12, port 9: nothing listens, every one refused) in a network namespace of its own: time
# and peak memory (max RSS, GNU time), against a single probe's peak memory; both backends, on every core and on
# one thread. One run each: a run takes seconds and its memory varies little.
source "$(dirname "$0")/netns.sh" "$0" "$@"
peak() { # "seconds max-RSS-KB" of a command
  (/usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null || true) | tail -1
}
echo "### 2^20 targets: 127.0.0.0/12 port 9 (own network namespace)"
echo
echo "| backend | threads | time | peak RSS | single probe's peak RSS | ratio |"
echo "|---|---|---|---|---|---|"
for ffi in ffi-napi koffi; do
  read -r _ single < <(peak bin/connprobe.js 127.0.0.1 9 --repeat 3 --ffi "$ffi")
  for threads in 0 1; do
    read -r seconds rss < <(peak bin/connprobe.js 127.0.0.0/12 9 --ffi "$ffi" -j "$threads")
    echo "| $ffi | $([ "$threads" = 0 ] && echo "every core ($(nproc))" || echo 1) | $seconds s | $((rss / 1024)) MB | $((single / 1024)) MB | $(awk "BEGIN { printf \"%.2f x\", $rss / $single }") |"
  done
done
