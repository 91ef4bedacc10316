import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { CLI, closedPort, runCli, startListener } from '../helpers';

type Listener = Awaited<ReturnType<typeof startListener>>;

/**
 * A --wait --stable run whose port flips while it waits: `flip` is called once the run has seen `before` twice
 * (it changes what listens), `flipBack` once it has then seen the other answer twice. Each step waits for the
 * run's own NDJSON attempts, not for a clock, so a busy machine only makes it slower. Returns the exit code, the
 * verdict of each attempt in order, and when each attempt's connect() started (ms since the run started).
 */
async function flipping(args: string[], before: string, flip: () => Promise<void>, flipBack: () => Promise<void>) {
  const child = spawn(process.execPath, [CLI, ...args, '--ndjson']);
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const events = () => stdout.split('\n').filter((line) => line.endsWith('}')).map((line) => JSON.parse(line));
  const verdicts = () => events().filter((e) => e.type === 'attempt').map((e) => e.verdict.kind as string);
  const seen = async (kind: string, times: number, after: number) => {
    const deadline = Date.now() + 10_000;
    while (verdicts().slice(after).filter((k) => k === kind).length < times) {
      assert.ok(Date.now() < deadline, `no ${kind} attempt within 10 s: ${verdicts().join(' ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await seen(before, 2, 0);
    await flip();
    const flippedAt = verdicts().length;
    await seen(before === 'connected' ? 'refused' : 'connected', 2, flippedAt);
    await flipBack();
  } catch (error) {
    child.kill();
    throw error;
  }
  const code = await exited;
  const connectStarts = new Map<number, number>();
  for (const e of events()) if (e.type === 'call' && e.record.call === 'connect') connectStarts.set(e.record.attempt, e.record.startMs);
  return { code, verdicts: verdicts(), started: (attempt: number) => connectStarts.get(attempt)! };
}

/** How long the last run of equal verdicts lasted, from its first attempt's connect() to its last one's. */
function lastRunMs(run: Awaited<ReturnType<typeof flipping>>): number {
  const last = run.verdicts.length;
  let first = last;
  while (first > 1 && run.verdicts[first - 2] === run.verdicts[last - 1]) first--;
  return run.started(last) - run.started(first);
}

describe('--wait --stable: the expectation must hold on consecutive attempts for the whole window', () => {
  it('a listener that goes away and comes back restarts the window: the wait ends a window after it came back', async () => {
    let listener: Listener = await startListener();
    const port = listener.port;
    try {
      const run = await flipping(
        ['127.0.0.1', String(port), '--wait', '20s', '--stable', '1s', '--interval', '50ms'],
        'connected',
        () => listener.close(),
        async () => {
          listener = await startListener('127.0.0.1', port);
        },
      );
      assert.equal(run.code, 0);
      assert.match(run.verdicts.join(' '), /^(connected )+(refused )+(connected )*connected$/, 'connected, refused, connected again');
      assert.ok(lastRunMs(run) >= 950, `the wait ended ${lastRunMs(run)} ms into the last window, not 1 s`);
    } finally {
      await listener.close();
    }
  });

  it('--expect refused: a port that opens for a moment restarts the window of refusals', async () => {
    const port = await closedPort();
    let listener: Listener | undefined;
    try {
      const run = await flipping(
        ['127.0.0.1', String(port), '--wait', '20s', '--stable', '500ms', '--interval', '50ms', '--expect', 'refused'],
        'refused',
        async () => {
          listener = await startListener('127.0.0.1', port);
        },
        () => listener!.close(),
      );
      assert.equal(run.code, 0);
      assert.match(run.verdicts.join(' '), /^(refused )+(connected )+(refused )*refused$/);
      assert.ok(lastRunMs(run) >= 450, `the wait ended ${lastRunMs(run)} ms into the last window, not 500 ms`);
    } finally {
      await listener?.close();
    }
  });

  it('an answer that holds from the start still takes the whole window; the target line says how long it held', async () => {
    const listener = await startListener();
    try {
      const r = await runCli(['127.0.0.1', String(listener.port), '--wait', '10s', '--stable', '200ms', '--interval', '50ms']);
      assert.equal(r.code, 0);
      const attempts = Number(/^127\.0\.0\.1:\d+ +connected +[\d.]+ ms +after (\d+) attempts \(stable 200ms\)$/m.exec(r.stdout)?.[1]);
      assert.ok(attempts >= 5, `${r.stdout}: 200 ms of answers 50 ms apart is 5 attempts at least`);
    } finally {
      await listener.close();
    }
  });
});
