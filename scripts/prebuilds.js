#!/usr/bin/env node
'use strict';
/*
 * Prebuilt binaries for the bundled ffi-napi forks, made when the package is packed (prepack / postpack).
 *
 *   node scripts/prebuilds.js pack     each fork's build/Release/*.node -> prebuilds/<platform>-<arch>/node.napi.<libc>.node,
 *                                      its build/ moved aside (the tarball holds the prebuild, not the build tree),
 *                                      then each binary loaded from the prebuild alone
 *   node scripts/prebuilds.js restore  build/ put back, prebuilds/ removed: node_modules as npm left it
 *
 * Why: both forks load their addon through node-gyp-build, which takes a matching file from prebuilds/ when there
 * is no build/ (and whose install script builds nothing when one loads). The addons are N-API, so one binary
 * serves every Node version of its N-API level, and a consumer needs neither a compiler nor Node 24-ready
 * node-addon-api sources. The name follows node-gyp-build's tags: runtime `node`, `napi` (any ABI), and the libc,
 * so a musl system does not take a glibc binary (it falls back to koffi instead).
 */
const { execFileSync } = require('node:child_process');
const { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
/** The two forks, by their directory under node_modules (ffi-napi is the alias of @2060.io/ffi-napi). */
const FORKS = ['@2060.io/ref-napi', 'ffi-napi'];
/** Where build trees wait during a pack: outside every directory the tarball takes in. */
const ASIDE = join(ROOT, '.pack-aside');

const libc = process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';
const tuple = `${process.platform}-${process.arch}`;
const PREBUILD = join('prebuilds', tuple, `node.napi.${libc}.node`);

function forkDir(name) {
  const dir = join(ROOT, 'node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) {
    throw new Error(`${relative(ROOT, dir)} is missing: run npm install (or npm ci) before packing`);
  }
  return dir;
}

function restore() {
  for (const name of FORKS) {
    const dir = join(ROOT, 'node_modules', name);
    const aside = join(ASIDE, name, 'build');
    if (existsSync(aside)) {
      rmSync(join(dir, 'build'), { recursive: true, force: true });
      renameSync(aside, join(dir, 'build'));
    }
    rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
  }
  rmSync(ASIDE, { recursive: true, force: true });
}

function pack() {
  restore(); // a pack that failed half-way left things aside
  for (const name of FORKS) {
    const dir = forkDir(name);
    const release = join(dir, 'build', 'Release');
    const built = existsSync(release) ? readdirSync(release).filter((file) => file.endsWith('.node')) : [];
    if (built.length !== 1) {
      throw new Error(`${relative(ROOT, release)} holds ${built.length} .node files, not 1: reinstall to rebuild ${name}`);
    }
    mkdirSync(join(dir, 'prebuilds', tuple), { recursive: true });
    cpSync(join(release, built[0]), join(dir, PREBUILD));
    mkdirSync(join(ASIDE, name), { recursive: true });
    renameSync(join(dir, 'build'), join(ASIDE, name, 'build'));
  }
  // load each binary as a consumer will, from its prebuild only, and make one call through ffi-napi
  const check =
    "const load = require('node-gyp-build'); " +
    `for (const d of ${JSON.stringify(FORKS.map((name) => join(ROOT, 'node_modules', name)))}) ` +
    "  if (!load.resolve(d).includes('/prebuilds/')) throw new Error(d + ': not loaded from its prebuild'); " +
    "const ffi = require('ffi-napi'); " +
    "const getpid = ffi.Library(null, { getpid: ['int', []] }).getpid; " +
    'if (getpid() !== process.pid) throw new Error("getpid() through the prebuild is wrong");';
  execFileSync(process.execPath, ['-e', check], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, PREBUILDS_ONLY: '1' } });
  process.stderr.write(`prebuilds: ${FORKS.map((name) => `${name}/${PREBUILD}`).join(', ')}\n`);
}

const command = process.argv[2];
if (command === 'pack') {
  try {
    pack();
  } catch (error) {
    restore();
    process.stderr.write(`prebuilds: ${error.message}\n`);
    process.exit(1);
  }
} else if (command === 'restore') {
  restore();
} else {
  process.stderr.write('usage: node scripts/prebuilds.js pack|restore\n');
  process.exit(2);
}
