import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { backendOfRefusedRun, closedPort, fixtureProgram, ROOT, runCommand, runReference } from '../helpers';

/*
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball into an empty project. The one kind
 * of test that uses the package registry (the tarball's own dependencies come from it), and it needs root for a
 * machine without a C compiler (a mount namespace).
 */

/** Why these tests cannot run here, or false. */
function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (unshare -m hides the C toolchain); CI runs them as root';
  try {
    execFileSync('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=10000'], { stdio: 'ignore', timeout: 20_000 });
  } catch {
    return 'needs the npm registry (npm ping failed)';
  }
  return false;
}
const SKIP = skipReason(); // node:test prints it with the skipped suite

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** The environment of every command here: no backend requested unless a test asks. */
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete ENV.CONNPROBE_FFI;

/** A shell command in `dir`, to completion (bounded by runCommand's timeout). */
function sh(dir: string, command: string, env: NodeJS.ProcessEnv = ENV) {
  return runCommand('sh', ['-c', `cd "$1" && ${command}`, 'sh', dir], env);
}

/** Runs a shell command and fails the test, with its output, unless it exits 0; returns its stdout. */
async function ok(dir: string, command: string): Promise<string> {
  const r = await sh(dir, command);
  assert.equal(r.code, 0, `${command}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The C toolchain hidden: run `command` in a mount namespace where /dev/null is bind-mounted over every compiler
 * and make, so node-gyp cannot build anything.
 */
const HIDE_TOOLCHAIN =
  'for f in /usr/bin/gcc* /usr/bin/g++* /usr/bin/cc /usr/bin/c++ /usr/bin/make; do [ -e "$f" ] && mount --bind /dev/null "$f"; done; ' +
  '! cc --version >/dev/null 2>&1 || { echo "cc still works" >&2; exit 99; }';
function withoutToolchain(dir: string, command: string) {
  return runCommand('unshare', ['-m', 'sh', '-c', `${HIDE_TOOLCHAIN}\ncd "$1" && ${command}`, 'sh', dir], ENV);
}

/** An empty project in the scratch directory. */
function project(scratch: string, name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
}

describe('the packed package, installed into an empty project', { skip: SKIP }, () => {
  let scratch = '';
  let tarball = '';
  let consumer = '';
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'connprobe-install-'));
    // packing rebuilds dist/ (prepare) and makes the forks' prebuilds (prepack)
    await ok(ROOT, `npm pack --pack-destination "${scratch}" >/dev/null`);
    tarball = join(scratch, readdirSync(scratch).find((f) => f.endsWith('.tgz'))!);
    consumer = project(scratch, 'consumer');
    await ok(consumer, `npm install "${tarball}"`);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('the tarball carries the ffi-napi forks with prebuilt binaries, and no build trees', async () => {
    const files = (await ok(scratch, `tar tzf "${tarball}"`)).split('\n');
    for (const fork of ['@2060.io/ref-napi', 'ffi-napi']) {
      assert.ok(files.includes(`package/node_modules/${fork}/prebuilds/linux-x64/node.napi.glibc.node`), fork);
    }
    assert.deepEqual(files.filter((f) => /\/build\//.test(f)), []);
  });

  it('require() and import both give the API, one implementation', async () => {
    const cjs = await ok(consumer, `node -e "const c = require('connprobe'); console.log(typeof c.probe, typeof c.probeConcurrently, c.BackendUnavailableError.name)"`);
    assert.equal(cjs, 'function function BackendUnavailableError\n');
    const esm = await ok(
      consumer,
      `node --input-type=module -e "import { probe } from 'connprobe'; import { createRequire } from 'node:module'; ` +
        `console.log(typeof probe, probe === createRequire(import.meta.url)('connprobe').probe)"`,
    );
    assert.equal(esm, 'function true\n');
  });

  it('a TypeScript consumer type-checks with module and moduleResolution nodenext, as ESM and as CommonJS', async () => {
    const use = `const report: ProbeReport = await probe({ host: '127.0.0.1', port: 1, backend: 'koffi' });\n` +
      `const kind: VerdictKind | undefined = report.verdict?.kind;\nconst backend: BackendName = 'ffi-napi';\n` +
      `export const seen = [kind, backend, new BackendUnavailableError('x').name, new UsageError('y').name];\n`;
    const names = '{ probe, BackendUnavailableError, UsageError, type BackendName, type ProbeReport, type VerdictKind }';
    writeFileSync(join(consumer, 'esm.mts'), `import ${names} from 'connprobe';\n${use}`);
    writeFileSync(join(consumer, 'cjs.cts'), `import ${names} from 'connprobe';\nexport async function f() {\n${use.replace('export ', '')}  return seen;\n}\n`);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true,
          types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    await ok(consumer, `"${join(ROOT, 'node_modules', '.bin', 'tsc')}" -p tsconfig.json`);
  });

  it('a sweep on two threads runs from the installed CLI and API, on both backends: the worker script is packed', async () => {
    for (const ffi of ['ffi-napi', 'koffi']) {
      // every loopback port answers, connected or refused: nothing is assumed about what listens
      await ok(consumer, `node_modules/.bin/connprobe 127.0.0.1 1-9000 -j 2 --ffi ${ffi} -q --expect connected,refused`);
      const api = await ok(
        consumer,
        `node -e "require('connprobe').probeConcurrently({ targets: require('connprobe').parseTargets(['127.0.0.1', '1-9000']), ` +
          `threads: 2, keepRecords: false, backend: '${ffi}' }).then((r) => console.log(r.targets.length, r.concurrency))"`,
      );
      assert.equal(api, '9000 512\n', ffi);
    }
  });

  it('the installed CLI says its version', async () => {
    assert.equal(await ok(consumer, 'node_modules/.bin/connprobe --version'), `${version}\n`);
  });

  describe('on a machine without a C compiler', () => {
    let bare = '';
    let reference = '';
    before(async () => {
      reference = fixtureProgram('connect_ref'); // compiled while the compiler is still there
      bare = project(scratch, 'bare');
      const r = await withoutToolchain(bare, `npm install "${tarball}"`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });

    it('ffi-napi loads from its prebuilt binary: nothing was compiled', async () => {
      const forks = join(bare, 'node_modules', 'connprobe', 'node_modules');
      assert.equal(existsSync(join(forks, 'ffi-napi', 'build')), false);
      assert.equal(existsSync(join(forks, '@2060.io', 'ref-napi', 'build')), false);
      const port = await closedPort();
      const r = await withoutToolchain(bare, `node_modules/.bin/connprobe --ffi ffi-napi --json 127.0.0.1 ${port}`);
      assert.equal(backendOfRefusedRun(r), 'ffi-napi');
    });

    it("koffi's classic output on a closed port is the C reference's, byte for byte", async () => {
      assert.ok(reference);
      const port = await closedPort();
      const c = await runReference('repeat', '127.0.0.1', port, 3, 1000);
      const ours = await withoutToolchain(bare, `node_modules/.bin/connprobe --ffi koffi --format classic 127.0.0.1 ${port}`);
      assert.equal(c.code, 0);
      assert.equal(ours.stdout, c.stdout);
      assert.equal(ours.stdout.split('\n').length, 4);
      assert.equal(ours.code, 1);
    });
  });

  it('with install scripts blocked (npm install --ignore-scripts), both backends still load', async () => {
    const blocked = project(scratch, 'blocked');
    await ok(blocked, `npm install --ignore-scripts "${tarball}"`);
    for (const backend of ['ffi-napi', 'koffi']) {
      const port = await closedPort();
      assert.equal(backendOfRefusedRun(await sh(blocked, `node_modules/.bin/connprobe --ffi ${backend} --json 127.0.0.1 ${port}`)), backend);
    }
  });

  describe('without the optional ffi-napi (npm install --omit=optional)', () => {
    let lean = '';
    before(async () => {
      lean = project(scratch, 'lean');
      await ok(lean, `npm install --omit=optional "${tarball}"`);
      // npm keeps a bundled dependency even when told to omit it: remove it as an install that dropped it would
      rmSync(join(lean, 'node_modules', 'connprobe', 'node_modules', 'ffi-napi'), { recursive: true, force: true });
    });

    it('with no backend requested, koffi runs and the JSON says so', async () => {
      const port = await closedPort();
      const r = await sh(lean, `node_modules/.bin/connprobe --json 127.0.0.1 ${port}`);
      assert.equal(backendOfRefusedRun(r), 'koffi');
      assert.equal(r.stderr, '', 'the fallback is said only on a terminal');
    });

    it('CONNPROBE_FFI=ffi-napi is a request: exit 6, one line saying why', async () => {
      const port = await closedPort();
      const r = await sh(lean, `node_modules/.bin/connprobe 127.0.0.1 ${port}`, { ...ENV, CONNPROBE_FFI: 'ffi-napi' });
      assert.equal(r.code, 6);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^connprobe: the ffi-napi backend cannot be loaded: Cannot find module 'ffi-napi'\n$/);
    });
  });
});
