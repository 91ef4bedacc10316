import assert from 'node:assert/strict';
import Module = require('node:module');
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';
import { CLI, closedPort, ROOT, runCli, runCommand, scratchFiles } from './helpers';

const BUNDLE = join(ROOT, 'dist', 'connprobe.js');

/** The CLI with its caches under `cacheHome` (XDG_CACHE_HOME), and the cache on unless `disabled`. */
function cliWithCache(args: readonly string[], cacheHome: string, disabled = false) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  if (disabled) env.NODE_DISABLE_COMPILE_CACHE = '1';
  return runCommand(process.execPath, [CLI, ...args], env);
}

/**
 * A cache as the CLI writes one, but made from another bundle of `size` bytes: V8 checks no more than the length,
 * and would run this one's code.
 */
function staleCache(size: number): Buffer {
  const code = "exports.main = () => process.stdout.write('the stale bundle ran\\n');";
  const source = Buffer.from(code.padEnd(size, ' '));
  return Buffer.concat([source, new Script(Module.wrap(source.toString())).createCachedData()]);
}

/** A run on a closed port, quiet: exit 1 and no output, with or without a cache. */
async function refusedRun(cacheHome: string) {
  const r = await cliWithCache(['127.0.0.1', String(await closedPort()), '-q'], cacheHome);
  assert.deepEqual(r, { code: 1, stdout: '', stderr: '' });
}

describe('the code cache: a start-up optimisation that never changes a run', () => {
  const cacheFile = (dir: string) =>
    join(dir, 'connprobe', `connprobe.js-node${process.version}-${process.arch}-${statSync(BUNDLE).size}.cache`);

  it('written under $XDG_CACHE_HOME/connprobe by the first run that probes, not by --help or --version', async () => {
    const { dir } = scratchFiles('connprobe-cache-');
    const plain = await runCli(['--help']);
    assert.deepEqual(await cliWithCache(['--help'], dir), plain);
    assert.equal((await cliWithCache(['--version'], dir)).code, 0);
    assert.equal(existsSync(cacheFile(dir)), false);
    await refusedRun(dir);
    assert.ok(existsSync(cacheFile(dir)));
    assert.deepEqual(await cliWithCache(['--help'], dir), plain);
    await refusedRun(dir);
  });

  it('NODE_DISABLE_COMPILE_CACHE: nothing is written', async () => {
    const { dir } = scratchFiles('connprobe-cache-');
    const r = await cliWithCache(['127.0.0.1', String(await closedPort()), '-q'], dir, true);
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a cache directory that cannot be made (a file in its way) changes nothing', async () => {
    const { write } = scratchFiles('connprobe-cache-');
    const inTheWay = write('file', '');
    await refusedRun(inTheWay);
    assert.deepEqual(await cliWithCache(['--help'], inTheWay), await runCli(['--help']));
  });

  it('holds the bundle, then V8 data; it is used as it is, not written again', async () => {
    const { dir } = scratchFiles('connprobe-cache-');
    await refusedRun(dir);
    const bundle = readFileSync(BUNDLE);
    const made = readFileSync(cacheFile(dir));
    assert.ok(made.length > bundle.length && made.subarray(0, bundle.length).equals(bundle));
    const { ino } = statSync(cacheFile(dir));
    await refusedRun(dir);
    assert.equal(statSync(cacheFile(dir)).ino, ino);
    // no temporary file left behind (Node's own compile cache, where it has one, is a directory)
    const files = readdirSync(join(dir, 'connprobe'), { withFileTypes: true }).filter((entry) => entry.isFile());
    assert.deepEqual(files.map((entry) => entry.name), [basename(cacheFile(dir))]);
  });

  it('the eight newest caches are kept, older ones removed when one is written; other files are left alone', async () => {
    const { dir } = scratchFiles('connprobe-cache-');
    const caches = join(dir, 'connprobe');
    mkdirSync(caches);
    const old = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((size, age) => {
      const name = `connprobe.js-node${process.version}-${process.arch}-${size}.cache`;
      writeFileSync(join(caches, name), '');
      utimesSync(join(caches, name), 1000 - age, 1000 - age); // 1 is the newest
      return name;
    });
    writeFileSync(join(caches, 'unrelated.cache'), '');
    utimesSync(join(caches, 'unrelated.cache'), 1, 1);
    await refusedRun(dir);
    const left = readdirSync(caches, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
    assert.deepEqual(left.sort(), [basename(cacheFile(dir)), ...old.slice(0, 7), 'unrelated.cache'].sort());
  });

  for (const [what, content] of [
    ['made from another bundle of the same size (which V8 would take)', () => staleCache(statSync(BUNDLE).size)],
    ['whose V8 data is rejected', () => Buffer.concat([readFileSync(BUNDLE), Buffer.alloc(4096, 7)])],
    ['cut short', () => readFileSync(BUNDLE).subarray(0, 1000)],
  ] as const) {
    it(`a cache ${what} is not used, and is replaced`, async () => {
      const { dir } = scratchFiles('connprobe-cache-');
      await refusedRun(dir);
      writeFileSync(cacheFile(dir), content());
      await refusedRun(dir);
      const remade = readFileSync(cacheFile(dir));
      assert.ok(remade.subarray(0, statSync(BUNDLE).size).equals(readFileSync(BUNDLE)));
      assert.ok(remade.length > statSync(BUNDLE).size && !remade.equals(content()));
    });
  }
});
