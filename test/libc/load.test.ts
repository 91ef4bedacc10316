import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { backendOfRefusedRun, closedPort, CLI, ROOT, runCommand } from '../helpers';

/** `node -r` this, and ffi-napi cannot be found: the state of an install without it. */
const NO_FFI_NAPI = join(ROOT, 'dist', 'test', 'fixtures', 'no-ffi-napi.js');

/** The environment of a run that requests no backend (CONNPROBE_FFI is what `npm test` sets per backend). */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.CONNPROBE_FFI;
  return { ...base, ...extra };
}

/** The CLI on a closed port, with ffi-napi unloadable when `withoutFfiNapi`. */
async function cli(args: readonly string[], extraEnv: NodeJS.ProcessEnv, withoutFfiNapi: boolean) {
  const port = await closedPort();
  const preload = withoutFfiNapi ? ['-r', NO_FFI_NAPI] : [];
  return runCommand(process.execPath, [...preload, CLI, '127.0.0.1', String(port), ...args], env(extraEnv));
}

/** The same, on a terminal (script(1)): stdout and stderr both arrive as the terminal's output. */
async function cliOnTerminal(args: readonly string[], withoutFfiNapi: boolean) {
  const port = await closedPort();
  const preload = withoutFfiNapi ? `-r ${NO_FFI_NAPI} ` : '';
  const command = `${process.execPath} ${preload}${CLI} 127.0.0.1 ${port} ${args.join(' ')}`;
  return runCommand('script', ['-qec', command, '/dev/null'], env());
}

describe('with no backend requested, ffi-napi where it loads, else koffi', () => {
  it('runs ffi-napi when it loads', async () => {
    assert.equal(backendOfRefusedRun(await cli(['--json'], {}, false)), 'ffi-napi');
  });
  it('falls back to koffi when ffi-napi cannot be loaded; the JSON says koffi ran', async () => {
    const r = await cli(['--json'], {}, true);
    assert.equal(backendOfRefusedRun(r), 'koffi');
    assert.equal(r.stderr, '', 'nothing said on a stderr that is not a terminal');
  });
  it('an empty CONNPROBE_FFI is no request', async () => {
    assert.equal(backendOfRefusedRun(await cli(['--json'], { CONNPROBE_FFI: '' }, true)), 'koffi');
  });
  it('says so in one line on a terminal', async () => {
    const r = await cliOnTerminal([], true);
    assert.equal(r.code, 1);
    const notices = r.stdout.split(/\r?\n/).filter((line) => line.startsWith('connprobe: '));
    assert.deepEqual(notices, ["connprobe: ffi-napi cannot be loaded (Cannot find module 'ffi-napi'); using koffi"]);
  });
  it('says nothing with --quiet, even on a terminal', async () => {
    const r = await cliOnTerminal(['--quiet'], true);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
  });
  it('the API falls back too, and reports the backend that ran', async () => {
    const port = await closedPort();
    const script = `require(${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))}).probe({ host: '127.0.0.1', port: ${port} })` +
      '.then((r) => console.log(r.backend, r.verdict.kind))';
    const r = await runCommand(process.execPath, ['-r', NO_FFI_NAPI, '-e', script], env());
    assert.equal(r.stdout, 'koffi refused\n', r.stderr);
  });
});

describe('a requested backend is loaded or refused, never swapped', () => {
  for (const [how, args, extra] of [
    ['--ffi ffi-napi', ['--ffi', 'ffi-napi'], {}],
    ['CONNPROBE_FFI=ffi-napi', [], { CONNPROBE_FFI: 'ffi-napi' }],
  ] as const) {
    it(`${how}, ffi-napi unloadable: exit 6 and one line saying why`, async () => {
      const r = await cli(args, extra, true);
      assert.equal(r.code, 6);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, "connprobe: the ffi-napi backend cannot be loaded: Cannot find module 'ffi-napi'\n");
    });
  }
  it('the API throws BackendUnavailableError', async () => {
    const port = await closedPort();
    const script = `require(${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))}).probe({ host: '127.0.0.1', port: ${port}, backend: 'ffi-napi' })` +
      '.catch((e) => console.log(e.name))';
    const r = await runCommand(process.execPath, ['-r', NO_FFI_NAPI, '-e', script], env());
    assert.equal(r.stdout, 'BackendUnavailableError\n', r.stderr);
  });
  it('CONNPROBE_FFI naming no backend is a usage error (exit 2, one line)', async () => {
    const r = await cli([], { CONNPROBE_FFI: 'libffi' }, false);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'connprobe: CONNPROBE_FFI must be one of ffi-napi, koffi, not libffi\n');
  });
});

describe('--version', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints package.json's version, from the bundled CLI`, async () => {
      const r = await runCommand(process.execPath, [CLI, flag], env());
      assert.deepEqual(r, { code: 0, stdout: `${version}\n`, stderr: '' });
    });
  }
  it('and from the unbundled build (dist/src)', async () => {
    const script = `require(${JSON.stringify(join(ROOT, 'dist', 'src', 'cli.js'))}).main(['--version'])`;
    const r = await runCommand(process.execPath, ['-e', script], env());
    assert.deepEqual(r, { code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
