#!/usr/bin/env bash
# Start-up: whole processes, side by side in one hyperfine run; medians and ratios to `node -e 0`.
# Each probe makes the seed's calls (socket, fcntl x2, 3 connects, close) to a closed port on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-40}
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p dist/bench
cc -O2 -o dist/bench/connect_ref test/fixtures/connect_ref.c
out=dist/bench/startup.json
hyperfine -N -i -w 5 -r "$runs" --export-json "$out" \
  -n 'node -e 0' 'node -e 0' \
  -n 'C reference' "dist/bench/connect_ref repeat 127.0.0.1 $port 3 1000" \
  -n 'bare koffi script' "node bench/bare-koffi.js $port" \
  -n 'bare ffi-napi script' "node bench/bare-ffi-napi.js $port" \
  -n 'connprobe --ffi ffi-napi' "node bin/connprobe.js 127.0.0.1 $port --repeat 3" \
  -n 'connprobe --ffi koffi' "node bin/connprobe.js 127.0.0.1 $port --repeat 3 --ffi koffi" >/dev/null
echo "### Start-up ($runs runs each, closed port, --repeat 3)"
node bench/table.js "$out" 'node -e 0'
