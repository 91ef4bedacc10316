import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { closedPort, runCli, runCommand, CLI, startFullBacklog, startListener } from '../helpers';

/** Ports in LISTEN state on 127.0.0.1 or 0.0.0.0 right now, from /proc/net/tcp: what a sweep must find. */
function loopbackListeners(): number[] {
  const ports = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 3 && f[3] === '0A' && /^(0100007F|00000000):/.test(f[1]))
    .map((f) => parseInt(f[1].split(':')[1], 16));
  return [...new Set(ports)].sort((a, b) => a - b);
}

const connectedPorts = (stdout: string) =>
  [...stdout.matchAll(/^127\.0\.0\.1:(\d+)\s+connected\b/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);

describe('many targets at once', () => {
  const listeners: Awaited<ReturnType<typeof startListener>>[] = [];
  let fullQueues: Awaited<ReturnType<typeof startFullBacklog>>[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) listeners.push(await startListener());
    fullQueues = [await startFullBacklog(), await startFullBacklog()];
  });
  after(async () => {
    await Promise.all([...listeners, ...fullQueues].map((l) => l.close()));
  });

  it('mixes open, closed and timing-out ports: each verdict right, order kept, time bounded by one timeout', async () => {
    const closed = await closedPort();
    const targets = [
      `127.0.0.1:${fullQueues[0].port}`, `127.0.0.1:${listeners[0].port}`, `127.0.0.1:${closed}`,
      `127.0.0.1:${fullQueues[1].port}`, `[::1]:${closed}`, `localhost:${listeners[1].port}`,
    ];
    const r = await runCli([...targets, '--timeout', '1s', '--json']);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.targets.map((t: { host: string; port: number; verdict: { kind: string } }) => `${t.host}:${t.port} ${t.verdict.kind}`),
      [
        `127.0.0.1:${fullQueues[0].port} timeout`, `127.0.0.1:${listeners[0].port} connected`, `127.0.0.1:${closed} refused`,
        `127.0.0.1:${fullQueues[1].port} timeout`, `::1:${closed} refused`, `localhost:${listeners[1].port} connected`,
      ],
    );
    assert.ok(doc.durationMs < 1900, `two 1 s timeouts in parallel took ${doc.durationMs} ms, not their sum`);
    assert.equal(r.code, 3, 'the first target that did not connect timed out');

    const human = await runCli([...targets, '--timeout', '1s']);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0], new RegExp(`^127\\.0\\.0\\.1:${fullQueues[0].port}\\s+timed out`));
    assert.match(lines[1], /connected/);
    assert.match(lines[2], /refused\s+ECONNREFUSED/);
    assert.match(lines[5], /^localhost:\d+\s+connected\s+via 127\.0\.0\.1/);
    assert.match(lines[6], /^6 targets: /);
  });

});

describe('a sweep of every port', () => {
  const listeners: Awaited<ReturnType<typeof startListener>>[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) listeners.push(await startListener());
  });
  after(async () => {
    await Promise.all(listeners.map((l) => l.close()));
  });

  for (const [label, ulimit] of [['', 0], [' under ulimit -n 128', 128]] as const) {
    it(`sweeps 1-65535 on 127.0.0.1${label}: exactly the listening ports, no self-connect, no EMFILE`, async () => {
      const args = [CLI, '127.0.0.1', '1-65535', '--concurrency', '1024', '--timeout', '2s', '--expect', 'connected,refused'];
      const r = ulimit
        ? await runCommand('sh', ['-c', `ulimit -n ${ulimit} && exec "$@"`, 'sh', process.execPath, ...args])
        : await runCommand(process.execPath, args);
      const expected = loopbackListeners();
      for (const l of listeners) assert.ok(expected.includes(l.port));
      assert.deepEqual(connectedPorts(r.stdout), expected);
      assert.doesNotMatch(r.stdout, /local error|EMFILE|timed out/);
      assert.match(r.stdout, /^not shown: \d+ refused$/m);
      // a port in the ephemeral range may self-connect; reported as such, never as open (and then --expect fails)
      const selfConnects = [...r.stdout.matchAll(/^127\.0\.0\.1:(\d+)\s+self-connect/gm)].length;
      assert.equal(r.code, selfConnects ? 8 : 0, r.stdout.split('\n').slice(-3).join('\n'));
    });
  }
});

describe('--wait', () => {
  it('finds a listener that starts after a delay, and exits 0', async () => {
    const port = await closedPort();
    let listener: Awaited<ReturnType<typeof startListener>> | undefined;
    const starting = new Promise<void>((done) =>
      setTimeout(async () => {
        const { createServer } = await import('node:net');
        const server = createServer((s) => s.on('error', () => undefined)).listen(port, '127.0.0.1', () => done());
        listener = { port, close: () => new Promise((ok) => server.close(() => ok())) };
      }, 700),
    );
    const r = await runCli(['127.0.0.1', String(port), '--wait', '10s', '--interval', '100ms']);
    await starting;
    await listener?.close();
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.1:${port}\\s+connected\\s+.*after \\d+ attempts$`, 'm'));
  });

  it('gives up at the deadline with the timeout exit code, naming the last answer', async () => {
    const port = await closedPort();
    const started = Date.now();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '800ms', '--interval', '100ms']);
    const took = Date.now() - started;
    assert.equal(r.code, 3);
    assert.match(r.stdout, /timed out\s+last ECONNREFUSED\s+after \d+ attempts/);
    assert.ok(took >= 700 && took < 10_000, `took ${took} ms`);
  });

  it('on a pipe prints nothing but the result lines (no progress)', async () => {
    const port = await closedPort();
    const r = await runCli(['127.0.0.1', String(port), '--wait', '300ms', '--interval', '50ms']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trimEnd().split('\n').length, 1);
  });

  it('on a terminal shows live progress on stderr: what it waits for, elapsed, last errno', async () => {
    const port = await closedPort();
    const command = `${process.execPath} ${CLI} 127.0.0.1 ${port} --wait 600ms --interval 50ms`;
    const r = await runCommand('script', ['-qec', command, '/dev/null']);
    assert.match(r.stdout, new RegExp(`waiting \\d+\\.\\ds for 127\\.0\\.0\\.1:${port} \\(0/1 ready, last ECONNREFUSED\\)`));
    assert.match(r.stdout, /timed out/);
  });
});
