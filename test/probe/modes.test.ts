import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closedPort, runCli, runReference, startFullBacklog, startListener, type ReferenceMode } from '../helpers';

/**
 * Every mode against the real kernel on loopback: a closed port, a listener, and a listener whose accept queue is
 * full (SYNs dropped). The exit code is the verdict's, the same in every mode, and --format classic prints exactly
 * what the C reference program prints for the same scenario and mode.
 */
interface Scenario {
  readonly name: string;
  readonly address: string;
  readonly exitCode: number;
  /** errno names of repeat mode's three connect() calls. */
  readonly repeatSequence: readonly string[];
  start(): Promise<{ port: number; close: () => Promise<void> }>;
}

const closed = (address: string) => async () => ({ port: await closedPort(address), close: async () => undefined });

const SCENARIOS: readonly Scenario[] = [
  { name: 'closed port on 127.0.0.1', address: '127.0.0.1', exitCode: 1, repeatSequence: ['EINPROGRESS', 'ECONNREFUSED', 'EINPROGRESS'], start: closed('127.0.0.1') },
  { name: 'closed port on ::1', address: '::1', exitCode: 1, repeatSequence: ['EINPROGRESS', 'ECONNREFUSED', 'EINPROGRESS'], start: closed('::1') },
  { name: 'listener on 127.0.0.1', address: '127.0.0.1', exitCode: 0, repeatSequence: ['EINPROGRESS', '0', 'EISCONN'], start: () => startListener('127.0.0.1') },
  { name: 'listener on ::1', address: '::1', exitCode: 0, repeatSequence: ['EINPROGRESS', '0', 'EISCONN'], start: () => startListener('::1') },
  { name: 'full accept queue on 127.0.0.1', address: '127.0.0.1', exitCode: 3, repeatSequence: ['EINPROGRESS', 'EALREADY', 'EALREADY'], start: () => startFullBacklog(false) },
  { name: 'full accept queue on ::1', address: '::1', exitCode: 3, repeatSequence: ['EINPROGRESS', 'EALREADY', 'EALREADY'], start: () => startFullBacklog(true) },
];

const TIMEOUT_MS = 300;
const MODES: readonly { mode: string; reference: ReferenceMode; count: number }[] = [
  { mode: 'repeat', reference: 'repeat', count: 3 },
  { mode: 'poll', reference: 'poll', count: 1 },
  { mode: 'blocking', reference: 'blocking', count: 2 },
];

for (const scenario of SCENARIOS) {
  describe(scenario.name, () => {
    let server: { port: number; close: () => Promise<void> };
    before(async () => {
      server = await scenario.start();
    });
    after(() => server.close());
    const target = () => [scenario.address, String(server.port), '--timeout', `${TIMEOUT_MS}ms`];
    // classic repeat mode never waits (as the seed program does not): it takes no --timeout
    const options = (mode: string, count: number) =>
      mode === 'repeat' ? ['--repeat', String(count)] : mode === 'blocking' ? ['--timeout', `${TIMEOUT_MS}ms`, '--repeat', String(count)] : ['--timeout', `${TIMEOUT_MS}ms`];

    it(`repeat mode shows ${scenario.repeatSequence.join(', ')}`, async () => {
      const { stdout, code } = await runCli(target());
      const connects = stdout.split('\n').filter((line) => line.startsWith('connect('));
      assert.deepEqual(
        connects.map((line) => / = (?:-1 (\w+)|0) /.exec(line)?.[1] ?? '0'),
        scenario.repeatSequence,
      );
      assert.equal(code, scenario.exitCode);
    });

    for (const { mode, reference, count } of MODES) {
      it(`${mode} mode: exit ${scenario.exitCode}, and --format classic equals the C reference`, async () => {
        const c = await runReference(reference, scenario.address, server.port, count, TIMEOUT_MS);
        const ours = await runCli([scenario.address, String(server.port), '--mode', mode, ...options(mode, count), '--format', 'classic']);
        assert.equal(c.code, 0, c.stderr);
        assert.notEqual(c.stdout, '');
        assert.equal(ours.stdout, c.stdout);
        assert.equal(ours.code, scenario.exitCode);
      });
    }

    it(`fresh mode: every attempt is a poll-mode probe on a new socket, then statistics`, async () => {
      const c = await runReference('poll', scenario.address, server.port, 1, TIMEOUT_MS);
      const classic = await runCli([...target(), '--mode', 'fresh', '--count', '2', '--interval', '0', '--format', 'classic']);
      assert.equal(classic.stdout, c.stdout + c.stdout);
      const human = await runCli([...target(), '--mode', 'fresh', '--count', '2', '--interval', '10ms']);
      assert.equal(human.code, scenario.exitCode);
      const fds = [...human.stdout.matchAll(/^socket\(.*\) = (\d+)/gm)];
      assert.equal(fds.length, 2, 'two sockets');
      assert.equal((human.stdout.match(/^close\(/gm) ?? []).length, 2, 'each one closed');
      assert.match(human.stdout, /^attempt 1: /m);
      assert.match(human.stdout, /^attempt 2: /m);
      const kind = { 0: 'connected', 1: 'refused', 3: 'timed out' }[scenario.exitCode];
      assert.match(human.stdout, new RegExp(`^2 attempts, .*\\b2 ${kind}\\b`, 'm'));
      if (scenario.exitCode === 3) {
        assert.doesNotMatch(human.stdout, /handshake min/, 'no handshake time without an answer');
      } else {
        const stats = /^handshake min\/avg\/max\/stddev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms$/m.exec(human.stdout);
        assert.ok(stats, human.stdout);
        const [min, avg, max] = stats.slice(1, 4).map(Number);
        assert.ok(min <= avg && avg <= max, stats[0]);
      }
    });
  });
}
