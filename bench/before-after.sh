#!/usr/bin/env bash
# Regression check: this checkout's build against another build of connprobe (say, the last release, built in a
# worktree), side by side and interleaved: start-up on a closed port, and the 1-65535 sweep in a namespace of its
# own. Usage (root, for the namespace): bench/before-after.sh /path/to/other/checkout
# A median more than 5 % slower than the other build's is a regression.
source "$(dirname "$0")/netns.sh" "$0" "$@"
other=${1:?usage: bench/before-after.sh OTHER_CHECKOUT}
rounds=${RUNS:-30}
sweeps=${SWEEPS:-5}
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
node -e "for (const p of [22, 8080, 50000]) require('net').createServer((s) => s.on('error', () => {})).listen(p, '127.0.0.1'); setTimeout(() => {}, 3600e3)" &
listeners=$!
trap 'kill $listeners' EXIT
until [ "$(grep -c ' 0A ' /proc/net/tcp)" -ge 3 ]; do sleep 0.05; done
for ffi in ffi-napi koffi; do
  echo "### Start-up, --ffi $ffi ($rounds interleaved rounds, closed port, --repeat 3)"
  node bench/interleave.js "$rounds" \
    "node -e 0=node -e 0" \
    "other build=$other/bin/connprobe.js 127.0.0.1 $port --repeat 3 --ffi $ffi" \
    "this build=bin/connprobe.js 127.0.0.1 $port --repeat 3 --ffi $ffi"
  echo
  echo "### Sweep 1-65535, --ffi $ffi ($sweeps interleaved rounds, own namespace)"
  node bench/interleave.js "$sweeps" \
    "other build=$other/bin/connprobe.js 127.0.0.1 1-65535 --ffi $ffi" \
    "this build=bin/connprobe.js 127.0.0.1 1-65535 --ffi $ffi"
  echo
done
