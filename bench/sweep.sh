#!/usr/bin/env bash
# Ports 1-65535 on 127.0.0.1, side by side and interleaved: nmap -sT, nc -z, connprobe on both backends (on one
# thread, the default, and on every core), and the floor: bench/bare-sweep.js, a bare koffi loop on one and two threads.
# Runs inside a network namespace it creates (lo up, three listeners of its own, nothing else), and checks that
# every tool found exactly the open ports. nmap always with -n: it never resolves names.
source "$(dirname "$0")/netns.sh" "$0" "$@"
runs=${RUNS:-5}
ports="22 8080 50000"
node -e "for (const p of '$ports'.split(' ')) require('net').createServer((s) => s.on('error', () => {})).listen(Number(p), '127.0.0.1'); setTimeout(() => {}, 3600e3)" &
listeners=$!
trap 'kill $listeners' EXIT
until [ "$(grep -c ' 0A ' /proc/net/tcp)" -ge 3 ]; do sleep 0.05; done

mkdir -p dist/bench
echo "### Sweep of ports 1-65535 on 127.0.0.1 (own network namespace, listeners on $ports; $runs interleaved rounds)"
echo
echo "Open ports found (must be: $ports):"
echo "- nmap: $(nmap -n -sT -p- --min-rate 20000 127.0.0.1 | awk -F/ '/\/tcp +open/ {print $1}' | tr '\n' ' ')"
echo "- nc -zv: $(nc -zv 127.0.0.1 1-65535 2>&1 | awk '/succeeded/ {print $4}' | tr '\n' ' ')"
for ffi in ffi-napi koffi; do
  for threads in 0 1; do
    echo "- connprobe --ffi $ffi -j $threads: $(bin/connprobe.js 127.0.0.1 1-65535 --ffi $ffi -j $threads | awk '$2 == "connected" {split($1, a, ":"); print a[2]}' | tr '\n' ' ')"
  done
done
echo "- bare koffi loop, 2 threads: $(node bench/bare-sweep.js 2)"
echo
node bench/interleave.js "$runs" \
  "nmap -n -sT -p- --min-rate 20000=nmap -n -sT -p- --min-rate 20000 127.0.0.1" \
  "nc -z 127.0.0.1 1-65535=nc -z 127.0.0.1 1-65535" \
  "connprobe --ffi ffi-napi (one thread)=bin/connprobe.js 127.0.0.1 1-65535 --ffi ffi-napi" \
  "connprobe --ffi ffi-napi -j 0 (every core)=bin/connprobe.js 127.0.0.1 1-65535 --ffi ffi-napi -j 0" \
  "connprobe --ffi koffi (one thread)=bin/connprobe.js 127.0.0.1 1-65535 --ffi koffi" \
  "connprobe --ffi koffi -j 0 (every core)=bin/connprobe.js 127.0.0.1 1-65535 --ffi koffi -j 0" \
  "bare koffi loop, 1 thread=node bench/bare-sweep.js 1" \
  "bare koffi loop, 2 threads=node bench/bare-sweep.js 2"
