// The cost of one FFI call: getpid() in a loop from C, through koffi, through ffi-napi's own Library proxy, and
// through connprobe's prepared ffi-napi call (src/libc/ffi-napi.ts). Medians of 7 rounds.
const { execFileSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const N = 200_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const perCall = (fn) => median(Array.from({ length: 7 }, () => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - t) / N;
}));

const dir = join(__dirname, '..', 'dist', 'bench');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'getpid.c'), `#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void) {
  double best[7];
  for (int r = 0; r < 7; r++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < ${N}; i++) getpid();
    clock_gettime(CLOCK_MONOTONIC, &b);
    best[r] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / ${N};
  }
  for (int i = 0; i < 7; i++) for (int j = i + 1; j < 7; j++) if (best[j] < best[i]) { double t = best[i]; best[i] = best[j]; best[j] = t; }
  printf("%.0f\\n", best[3]);
  return 0;
}
`);
execFileSync('cc', ['-O2', '-o', join(dir, 'getpid'), join(dir, 'getpid.c')]);
const c = Number(execFileSync(join(dir, 'getpid'), { encoding: 'utf8' }));

const koffi = require('koffi');
const koffiGetpid = koffi.load('libc.so.6').func('int getpid(void)');
const ffi = require('ffi-napi');
const proxyGetpid = ffi.Library(null, { getpid: ['int', []] }).getpid;
const proxyClose = ffi.Library(null, { close: ['int', ['int']] }).close;
const { ffiNapiLibc } = require('../dist/src/libc/ffi-napi');
const { koffiLibc } = require('../dist/src/libc/koffi');

const rows = [
  ['C, getpid()', c],
  ['koffi, getpid()', perCall(() => koffiGetpid())],
  ['ffi-napi Library proxy, getpid()', perCall(() => proxyGetpid())],
  ['ffi-napi Library proxy, close(-1) (one int argument)', perCall(() => proxyClose(-1))],
  ['connprobe ffi-napi backend, close(-1) + errno', perCall(() => ffiNapiLibc.close(-1))],
  ['connprobe koffi backend, close(-1) + errno', perCall(() => koffiLibc.close(-1))],
];
console.log('### One FFI call (median ns per call)');
console.log('| call | ns |');
console.log('|---|---|');
for (const [name, ns] of rows) console.log(`| ${name} | ${Math.round(ns)} |`);
