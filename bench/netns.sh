# Sourced by the benchmarks that need a network namespace of their own: re-runs the calling script inside a new
# one (only lo, brought up here; nothing else listens, and no packet can leave), then continues there.
# Usage, at the top of a script: source "$(dirname "$0")/netns.sh" "$0" "$@"
set -euo pipefail
if [ "${CONNPROBE_BENCH_NETNS:-}" != 1 ]; then
  exec unshare -n env CONNPROBE_BENCH_NETNS=1 "$@"
fi
cd "$(dirname "$1")/.."
ip link set lo up
