import assert from 'node:assert/strict';
import Module = require('node:module');
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';
import { closedPort, ROOT, runCli, runCommand, scratchFiles, CLI } from './helpers';

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

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => statSync(join(dir, name)).isFile());
}

describe('the code cache: a start-up optimisation that never changes a run', () => {
  it('a run leaves a cache in $XDG_CACHE_HOME/connprobe; runs with it print and exit as runs without it', async () => {
    const { dir } = scratchFiles('connprobe-cache-');
    const plain = await runCli(['--help']);
    const first = await cliWithCache(['--help'], dir);
    assert.deepEqual(first, plain);
    assert.ok(filesUnder(join(dir, 'connprobe')).length > 0);
    assert.deepEqual(await cliWithCache(['--help'], dir), plain);
    const port = await closedPort();
    const refused = await cliWithCache(['127.0.0.1', String(port), '-q'], dir);
    assert.deepEqual(refused, { code: 1, stdout: '', stderr: '' });
  });

  it('NODE_DISABLE_COMPILE_CACHE: nothing is written', async () => {
    const { dir } = scratchFiles('connprobe-cache-');
    assert.equal((await cliWithCache(['--version'], dir, true)).code, 0);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a cache directory that cannot be made (a file in its way) changes nothing', async () => {
    const { write } = scratchFiles('connprobe-cache-');
    const inTheWay = write('file', '');
    assert.deepEqual(await cliWithCache(['--help'], inTheWay), await runCli(['--help']));
  });

  describe("the bundle's cache", () => {
    const cacheFile = (dir: string) =>
      join(dir, 'connprobe', `connprobe.js-node${process.version}-${process.arch}-${statSync(BUNDLE).size}.cache`);

    it('holds the bundle, then V8 data; it is used as it is, not written again', async () => {
      const { dir } = scratchFiles('connprobe-cache-');
      await cliWithCache(['--version'], dir);
      const bundle = readFileSync(BUNDLE);
      const made = readFileSync(cacheFile(dir));
      assert.ok(made.length > bundle.length && made.subarray(0, bundle.length).equals(bundle));
      const { ino } = statSync(cacheFile(dir));
      await cliWithCache(['--version'], dir);
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
      await cliWithCache(['--version'], dir);
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
        await cliWithCache(['--version'], dir);
        writeFileSync(cacheFile(dir), content());
        assert.deepEqual(await cliWithCache(['--help'], dir), await runCli(['--help']));
        const remade = readFileSync(cacheFile(dir));
        assert.ok(remade.subarray(0, statSync(BUNDLE).size).equals(readFileSync(BUNDLE)));
        assert.ok(remade.length > statSync(BUNDLE).size && !remade.equals(content()));
      });
    }
  });
});
