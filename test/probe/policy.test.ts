import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptDeadline, nextAttempt, type Policy } from '../../src/probe/policy';

const progress = (attemptsMade: number) => ({ attemptsMade, finalAttemptMade: false });

describe('policies: what follows an attempt', () => {
  it('once: done after one attempt, whatever it said', () => {
    assert.deepEqual(nextAttempt({ kind: 'once' }, progress(1), 'refused', 0), { kind: 'done' });
  });

  it('times: count attempts, interval apart', () => {
    const policy: Policy = { kind: 'times', count: 3, intervalMs: 1000 };
    assert.deepEqual(nextAttempt(policy, progress(1), 'connected', 5000), { kind: 'again', at: 6000 });
    assert.deepEqual(nextAttempt(policy, progress(3), 'refused', 9000), { kind: 'done' });
  });

  describe('until: retries until the verdict is accepted or the deadline', () => {
    const until = (intervalMs: number, timeoutMs: number): Policy => ({
      kind: 'until', accepts: (k) => k === 'connected', deadline: 10_000, intervalMs, timeoutMs,
    });
    it('done as soon as the verdict is accepted', () => assert.deepEqual(nextAttempt(until(250, 2000), progress(4), 'connected', 1000), { kind: 'done' }));
    it('again at the next slot while it is before the deadline', () => {
      assert.deepEqual(nextAttempt(until(250, 2000), progress(1), 'refused', 9000), { kind: 'again', at: 9250 });
    });
    it('one last attempt at deadline - timeout when the next slot is too late, then gives up', () => {
      const p = progress(1);
      assert.deepEqual(nextAttempt(until(10_000, 2000), p, 'refused', 1000), { kind: 'again', at: 8000 });
      assert.equal(p.finalAttemptMade, true);
      assert.deepEqual(nextAttempt(until(10_000, 2000), p, 'refused', 8001), { kind: 'gave-up' });
    });
    it('the last attempt starts now when deadline - timeout has passed', () => {
      assert.deepEqual(nextAttempt(until(10_000, 2000), progress(1), 'refused', 9500), { kind: 'again', at: 9500 });
    });
    it('with no deadline (--wait inf or 0), again and again until the verdict is accepted', () => {
      const forever: Policy = { ...until(250, 2000), deadline: Infinity } as Policy;
      assert.deepEqual(nextAttempt(forever, progress(1_000_000), 'refused', 1e12), { kind: 'again', at: 1e12 + 250 });
      assert.equal(attemptDeadline(forever, 1e12, 2000), 1e12 + 2000);
    });
    it('no attempt waits past the deadline', () => {
      assert.equal(attemptDeadline(until(250, 2000), 9500, 2000), 10_000);
      assert.equal(attemptDeadline({ kind: 'once' }, 9500, 2000), 11_500);
    });
  });
});
