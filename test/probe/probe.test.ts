import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTargets, probe, probeConcurrently, type Mode } from '../../src/index';
import { BACKEND, closedPort, serverForSuite, startFullBacklog, startListener } from '../helpers';

const openFds = () => readdirSync('/proc/self/fd').length;

/**
 * The fd count once this process's own listener has seen the probes' connections close (its accepted sockets are
 * fds of this process too, released an event-loop turn or two after the probe's close); bounded to 2 s.
 */
async function settledFds(expected: number): Promise<number> {
  const deadline = Date.now() + 2000;
  while (openFds() !== expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return openFds();
}

describe('the programmatic API: probe()', () => {
  const listener = serverForSuite(() => startListener());
  const fullQueue = serverForSuite(() => startFullBacklog());

  it('returns every call as a record, and the verdict', async () => {
    const report = await probe({ host: '127.0.0.1', port: listener.port, mode: 'poll', backend: BACKEND });
    assert.equal(report.verdict.kind, 'connected');
    assert.deepEqual(
      report.results[0].records.map((r) => r.call),
      ['socket', 'fcntl', 'fcntl', 'connect', 'poll', 'getsockopt', 'getsockname', 'close'],
    );
    assert.equal(report.results[0].verdict.local?.address.family, 4);
  });

  it('resolves localhost through /etc/hosts and shows the step', async () => {
    const report = await probe({ host: 'localhost', port: listener.port, mode: 'poll', family: 4, backend: BACKEND });
    assert.equal(report.resolution?.name, 'localhost');
    assert.equal(report.resolution?.error, null);
    assert.ok(report.resolution!.addresses.length >= 1);
    assert.equal(report.verdict.kind, 'connected');
  });

  for (const mode of ['repeat', 'poll', 'fresh', 'blocking'] as Mode[]) {
    it(`${mode} mode closes every socket it opens, whatever the answer`, async () => {
      const before = openFds();
      for (const port of [listener.port, await closedPort(), fullQueue.port]) {
        await probe({ host: '127.0.0.1', port, mode, attempts: 2, intervalMs: 0, timeoutMs: 100, backend: BACKEND });
      }
      assert.equal(await settledFds(before), before);
    });
  }

  it('stops when aborted, still closing the socket, and says it was interrupted', async () => {
    const before = openFds();
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const report = await probe({
      host: '127.0.0.1', port: fullQueue.port, mode: 'fresh', attempts: 50, intervalMs: 50, timeoutMs: 100, signal: controller.signal,
      backend: BACKEND,
    });
    assert.ok(Date.now() - started < 2000, 'stopped long before 50 attempts');
    assert.equal(report.interrupted, true);
    assert.equal(await settledFds(before), before);
    assert.ok(report.results[0].attempts.length < 50);
  });

  it('throws a UsageError for invalid options, before any call', async () => {
    await assert.rejects(probe({ host: '127.0.0.1', port: 0 }), { name: 'Error', message: /port must be/ });
    await assert.rejects(probe({ host: '127.0.0.1', port: 80, repeat: 0 }), /repeat must be a whole number/);
    await assert.rejects(probe({ host: '::1', port: 80, family: 4 }), /not an IPv4 address/);
  });
});

describe('the programmatic API: probeConcurrently()', () => {
  it('probes several targets at once and returns them in the order given', async () => {
    const listener = await startListener();
    const closed = await closedPort();
    try {
      const report = await probeConcurrently({
        targets: parseTargets([`127.0.0.1:${closed}`, `127.0.0.1:${listener.port}`]),
        timeoutMs: 1000, intervalMs: 0, concurrency: 8, backend: BACKEND,
      });
      assert.deepEqual(report.targets.map((t) => t.verdict?.kind), ['refused', 'connected']);
      const calls = report.targets[1].endpoints[0].records.map((r) => r.call);
      assert.deepEqual(calls, ['socket', 'connect', 'getsockopt', 'getsockname', 'close'], 'SOCK_NONBLOCK: no fcntl; the batch poll is shared');
    } finally {
      await listener.close();
    }
  });
});
