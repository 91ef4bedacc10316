#!/usr/bin/env bash
# All benchmarks, side by side, one command: `npm run bench` (root: the sweep and memory benchmarks create a
# network namespace). Installs the comparison tools from Debian's packages when missing, builds, and prints
# Markdown tables of medians and ratios. Not part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v nmap >/dev/null || missing+=(nmap)
command -v nc >/dev/null || missing+=(netcat-openbsd)
[ -x /usr/bin/time ] || missing+=(time)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -d node_modules ] || npm ci
npm run build >/dev/null

echo "Machine: $(nproc) cores, $(uname -sr), Node $(node -v), $(date -u +%Y-%m-%d)"
echo
bench/startup.sh
echo
node bench/calls.js
echo
bench/sweep.sh
echo
bench/memory.sh
echo
bench/million.sh
echo
node bench/endurance.js "${ENDURANCE_ATTEMPTS:-100000}"
