import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTargets, probe, probeConcurrently, UsageError, type CallRecord, type Mode } from '../src/index';
import { BACKEND, closedPort, serverForSuite, startFullBacklog, startListener } from './helpers';

/** The probe's own sockets: every fd its socket() calls returned, and every fd it closed. */
function socketsOpenedAndClosed(records: readonly CallRecord[]): { opened: number[]; closed: number[] } {
  const opened = records.filter((r) => r.call === 'socket' && r.ret >= 0).map((r) => r.ret);
  const closed = records.filter((r) => r.call === 'close' && r.ret === 0).map((r) => (r.call === 'close' ? r.fd : -1));
  return { opened, closed };
}

describe('the programmatic API: probe()', () => {
  const listener = serverForSuite(() => startListener());
  const fullQueue = serverForSuite(() => startFullBacklog());

  it('returns every call as a record, and the verdict', async () => {
    const report = await probe({ host: '127.0.0.1', port: listener.port, mode: 'poll', backend: BACKEND });
    assert.equal(report.verdict?.kind, 'connected');
    assert.deepEqual(
      report.addresses[0].records.map((r) => r.call),
      ['socket', 'fcntl', 'fcntl', 'connect', 'poll', 'getsockopt', 'getsockname', 'close'],
    );
    const local = report.addresses[0].verdict?.local;
    assert.ok(local && 'address' in local);
    assert.equal(local.address.family, 4);
  });

  it('resolves localhost through /etc/hosts and shows the step', async () => {
    const report = await probe({ host: 'localhost', port: listener.port, mode: 'poll', family: 4, backend: BACKEND });
    assert.equal(report.resolution?.name, 'localhost');
    assert.equal(report.resolution?.error, null);
    assert.ok(report.resolution!.addresses.length >= 1);
    assert.equal(report.verdict?.kind, 'connected');
  });

  const perMode = { repeat: {}, poll: {}, fresh: { count: 2, intervalMs: 0 }, blocking: {} } as const;
  for (const mode of ['repeat', 'poll', 'fresh', 'blocking'] as Mode[]) {
    it(`${mode} mode closes every socket it opens, whatever the answer`, async () => {
      for (const port of [listener.port, await closedPort(), fullQueue.port]) {
        const report = await probe({ host: '127.0.0.1', port, mode, timeoutMs: 100, backend: BACKEND, ...perMode[mode] });
        const { opened, closed } = socketsOpenedAndClosed(report.addresses[0].records);
        assert.ok(opened.length >= 1);
        assert.deepEqual(closed, opened);
      }
    });
  }

  it('stops when aborted, still closing the socket, and says it was interrupted, not timed out', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const report = await probe({
      host: '127.0.0.1', port: fullQueue.port, mode: 'fresh', count: 50, intervalMs: 50, timeoutMs: 100, signal: controller.signal,
      backend: BACKEND,
    });
    assert.ok(Date.now() - started < 2000, 'stopped long before 50 attempts');
    assert.equal(report.interrupted, true);
    assert.equal(report.verdict, null, 'no verdict it never reached');
    assert.equal(report.addresses[0].status, 'interrupted');
    const { opened, closed } = socketsOpenedAndClosed(report.addresses[0].records);
    assert.deepEqual(closed, opened);
    assert.ok(report.addresses[0].attempts.length < 50);
  });

  it('throws a UsageError for invalid options, before any call', async () => {
    await assert.rejects(probe({ host: '127.0.0.1', port: 0 }), { name: 'UsageError', message: /port must be/ });
    await assert.rejects(probe({ host: '127.0.0.1', port: 80, repeat: 0 }), (e) => e instanceof UsageError && /repeat must be a whole number/.test(e.message));
    await assert.rejects(probe({ host: '::1', port: 80, family: 4 }), /not an IPv4 address/);
    await assert.rejects(probe({ host: '127.0.0.1', port: 80, mode: 'poll', repeat: 3 }), /repeat does nothing here: mode poll makes one connect\(\) per socket/);
    await assert.rejects(probe({ host: '127.0.0.1', port: 80, timeoutMs: 1.5 }), /timeoutMs must be a whole number/);
  });
});

describe('the programmatic API: probeConcurrently()', () => {
  it('probes several targets at once and returns them in the order given', async () => {
    const listener = await startListener();
    const closed = await closedPort();
    try {
      const report = await probeConcurrently({
        targets: parseTargets([`127.0.0.1:${closed}`, `127.0.0.1:${listener.port}`]),
        timeoutMs: 1000, concurrency: 8, backend: BACKEND,
      });
      assert.deepEqual(report.targets.map((t) => t.verdict?.kind), ['refused', 'connected']);
      const calls = report.targets[1].addresses[0].records.map((r) => r.call);
      assert.deepEqual(calls, ['socket', 'connect', 'getsockopt', 'getsockname', 'close'], 'SOCK_NONBLOCK: no fcntl; the batch poll is shared');
    } finally {
      await listener.close();
    }
  });

  it('validates its options as the CLI does: one options module for both', async () => {
    const targets = parseTargets(['127.0.0.1:9']);
    await assert.rejects(probeConcurrently({ targets, timeoutMs: -5 }), { name: 'UsageError', message: /timeoutMs must be a whole number from 1/ });
    await assert.rejects(probeConcurrently({ targets, concurrency: 0 }), { name: 'UsageError', message: /concurrency must be a whole number from 1/ });
    await assert.rejects(probeConcurrently({ targets, intervalMs: 100 }), { name: 'UsageError', message: /intervalMs does nothing here/ });
    await assert.rejects(probeConcurrently({ targets, expect: ['open' as 'connected'] }), { name: 'UsageError', message: /expect must be one of/ });
  });
});
