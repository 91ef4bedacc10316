#!/usr/bin/env bash
# Start-up: whole processes, side by side and interleaved (bench/interleave.js); medians and ratios to `node -e 0`.
# Each probe makes the seed's calls (socket, fcntl x2, 3 connects, close) to a closed port on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${RUNS:-40}
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p dist/bench
cc -O2 -o dist/bench/connect_ref test/fixtures/connect_ref.c
echo "### Start-up ($rounds interleaved rounds, closed port, --repeat 3)"
node bench/interleave.js "$rounds" \
  "node -e 0=node -e 0" \
  "C reference=dist/bench/connect_ref repeat 127.0.0.1 $port 3 1000" \
  "bare koffi script=node bench/bare-koffi.js $port" \
  "bare ffi-napi script=node bench/bare-ffi-napi.js $port" \
  "connprobe --ffi ffi-napi=bin/connprobe.js 127.0.0.1 $port --repeat 3" \
  "connprobe --ffi koffi=bin/connprobe.js 127.0.0.1 $port --repeat 3 --ffi koffi"
