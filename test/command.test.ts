import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BACKEND, CLI, closedPort, ROOT, runCli, runCommand, serverForSuite, signalHandled, startListener } from './helpers';

/** Starts connprobe with `args`, collecting its output; `exited` is its exit code (or the signal that ended it). */
function start(args: readonly string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d));
  const exited = new Promise<number | string | null>((done) => child.on('exit', (code, signal) => done(code ?? signal)));
  /** Resolves once stdout holds `text`; bounded at 10 s. */
  const printed = async (text: string) => {
    const deadline = Date.now() + 10_000;
    while (!out.stdout.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(out.stdout.includes(text), `printed ${JSON.stringify(text)}; stdout ${JSON.stringify(out.stdout)}, stderr ${JSON.stringify(out.stderr)}`);
  };
  return { child, out, exited, printed };
}

describe('a command after --: connprobe becomes it iff the probe would exit 0', () => {
  const listener = serverForSuite(() => startListener());
  const open = () => `127.0.0.1:${listener.port}`;
  const dir = mkdtempSync(join(tmpdir(), 'connprobe-command-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs it after a successful wait, and exits with its code (sh -c "exit 42" gives 42)', async () => {
    const r = await runCli([open(), '--wait', '5s', '--', 'sh', '-c', 'exit 42']);
    assert.equal(r.code, 42);
  });

  it('does not run it after a failed wait: one line on stderr says why, and the exit code is the probe\'s', async () => {
    const port = await closedPort();
    const marker = join(dir, 'ran');
    const r = await runCli([`127.0.0.1:${port}`, '--wait', '300ms', '--interval', '50ms', '--', 'touch', marker]);
    assert.equal(r.code, 3, 'timed out: the probe\'s own code');
    assert.equal(existsSync(marker), false, 'the command never ran');
    assert.equal(r.stderr.split('\n').at(-2), `connprobe: not running touch: 127.0.0.1:${port} timed out`);
    assert.equal(r.stdout, '');
  });

  it('does not run it after a refusal, nor after an unmet --expect; the line is said even with --quiet', async () => {
    const port = await closedPort();
    const refused = await runCli(['127.0.0.1', String(port), '-q', '--', 'echo', 'ran']);
    assert.deepEqual([refused.code, refused.stdout, refused.stderr], [1, '', `connprobe: not running echo: 127.0.0.1:${port} refused\n`]);
    const unmet = await runCli([open(), '--expect', 'refused', '-q', '--', 'echo', 'ran']);
    assert.deepEqual([unmet.code, unmet.stdout, unmet.stderr], [8, '', `connprobe: not running echo: ${open()} connected\n`]);
  });

  it('gives the command stdout: connprobe\'s own lines, trace or JSON, go to stderr', async () => {
    const trace = await runCli(['127.0.0.1', String(listener.port), '--', 'echo', 'hello']);
    assert.equal(trace.code, 0);
    assert.equal(trace.stdout, 'hello\n');
    assert.match(trace.stderr, /^socket\(AF_INET, SOCK_STREAM, 0\) = \d+/);
    assert.match(trace.stderr, new RegExp(`^connected: 127\\.0\\.0\\.1:\\d+ -> ${open()}$`, 'm'));
    const json = await runCli([open(), '--json', '--', 'echo', 'hello']);
    assert.equal(json.stdout, 'hello\n');
    assert.equal(JSON.parse(json.stderr).exitCode, 0);
  });

  it('passes the words after -- through verbatim, unparsed: -- echo --help -- x', async () => {
    const r = await runCli([open(), '--', 'echo', '--help', '--', 'x', '*', '$HOME']);
    assert.deepEqual([r.code, r.stdout, r.stderr.includes('Usage')], [0, '--help -- x * $HOME\n', false]);
  });

  it('is exec: the command keeps connprobe\'s pid, so a signal sent to it reaches the command', async () => {
    const run = start([open(), '--', 'sh', '-c', 'trap "exit 7" TERM; echo "ready $$"; sleep 5 & wait']);
    await run.printed('\n');
    assert.equal(run.out.stdout, `ready ${run.child.pid}\n`, 'the same pid');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 7, 'the command\'s trap ran');
  });

  it('leaves no signal ignored or blocked in the command (Node ignores SIGPIPE and SIGXFSZ)', async () => {
    const r = await runCli([open(), '-q', '--', 'cat', '/proc/self/status']);
    assert.match(r.stdout, /^SigIgn:\s+0000000000000000$/m);
    assert.match(r.stdout, /^SigBlk:\s+0000000000000000$/m);
  });

  it('leaks no fd of connprobe\'s: the command has 0, 1 and 2, blocking, and what it opens itself', async () => {
    const r = await runCli([open(), '-q', '--', 'ls', '/proc/self/fd']);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '1', '2', '3'], 'ls\'s own directory is 3');
    for (const fd of [0, 1, 2]) {
      const info = await runCli([open(), '-q', '--', 'cat', `/proc/self/fdinfo/${fd}`]);
      const flags = parseInt(/^flags:\s+([0-7]+)$/m.exec(info.stdout)![1], 8);
      assert.equal(flags & 0o4000, 0, `fd ${fd} not O_NONBLOCK`);
    }
  });

  it('hands stdin over untouched', async () => {
    const r = await runCommand('sh', ['-c', `printf 'line 1\\nline 2\\n' | ${process.execPath} ${CLI} ${open()} -q -- cat`]);
    assert.deepEqual([r.code, r.stdout], [0, 'line 1\nline 2\n']);
  });

  it('exits 127 when the command is not found, 126 when it cannot be run; one line each', async () => {
    const missing = await runCli([open(), '-q', '--', 'connprobe-no-such-command']);
    assert.deepEqual([missing.code, missing.stderr], [127, 'connprobe: connprobe-no-such-command: command not found\n']);
    const path = await runCli([open(), '-q', '--', join(dir, 'nothing-here')]);
    assert.deepEqual([path.code, path.stderr], [127, `connprobe: ${join(dir, 'nothing-here')}: No such file or directory\n`]);
    const plain = join(dir, 'not-executable');
    writeFileSync(plain, 'echo ran\n');
    chmodSync(plain, 0o644);
    const denied = await runCli([open(), '-q', '--', plain]);
    assert.deepEqual([denied.code, denied.stdout, denied.stderr], [126, '', `connprobe: ${plain}: Permission denied\n`]);
    const directory = await runCli([open(), '-q', '--', dir]);
    assert.equal(directory.code, 126);
  });

  it('SIGTERM during the wait: the command is not run, and the exit is 143', async () => {
    const marker = join(dir, 'interrupted');
    const port = await closedPort();
    const run = start([`127.0.0.1:${port}`, '--wait', '30s', '--interval', '20ms', '--ndjson', '--', 'touch', marker]);
    // retrying (its events stream to stderr), so past start-up: a process still being spawned looks like Node too
    const deadline = Date.now() + 10_000;
    while (!run.out.stderr.includes('"type":"attempt"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await signalHandled(run.child.pid!, 'SIGTERM');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 143, run.out.stderr);
    assert.equal(existsSync(marker), false);
    assert.match(run.out.stderr, /^connprobe: not running touch: interrupted by SIGTERM$/m);
  });
});

describe('execCommand, through the libc module', () => {
  it(`marks an fd opened without O_CLOEXEC close-on-exec (${BACKEND})`, async () => {
    // a socket() through libc, as every probe makes (no SOCK_CLOEXEC), still open at exec
    const script = `
      const { loadBackend } = require(${JSON.stringify(join(ROOT, 'dist/src/libc/load.js'))});
      const { execCommand, stdioFlags } = require(${JSON.stringify(join(ROOT, 'dist/src/command.js'))});
      const { libc } = loadBackend(${JSON.stringify(BACKEND)});
      const fd = libc.socket(2, 1, 0).ret;
      process.stderr.write(fd + '\\n');
      const failure = execCommand(libc, ['ls', '/proc/self/fd'], stdioFlags());
      process.stderr.write(failure.message + '\\n');`;
    const r = await runCommand(process.execPath, ['-e', script]);
    assert.ok(Number(r.stderr) > 2, `the socket is fd ${r.stderr.trim()}`);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '1', '2', '3']);
  });
});
