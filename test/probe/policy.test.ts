import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptDeadline, nextAttempt, type Policy } from '../../src/probe/policy';

const progress = (attemptsMade: number) => ({ attemptsMade, finalAttemptMade: false, stableSince: null as number | null });

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
      kind: 'until', accepts: (k) => k === 'connected', deadline: 10_000, intervalMs, timeoutMs, stableMs: 0,
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
  describe('until with a window (--stable): accepted answers must follow each other for stableMs', () => {
    const stable = (stableMs: number, intervalMs = 250, timeoutMs = 2000): Policy => ({
      kind: 'until', accepts: (k) => k === 'connected', deadline: 10_000, intervalMs, timeoutMs, stableMs,
    });

    it('the first accepted answer opens the window: again at the next slot, not done', () => {
      const p = progress(1);
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 1000), { kind: 'again', at: 1250 });
      assert.equal(p.stableSince, 1000);
    });

    it('done once an accepted answer comes stableMs or more after the window opened', () => {
      const p = progress(1);
      nextAttempt(stable(2000), p, 'connected', 1000);
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 2999), { kind: 'again', at: 3249 }, 'not yet: 1999 ms');
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 3000), { kind: 'done' });
    });

    it('a miss restarts the window: the wait ends stableMs after the next accepted answer', () => {
      const p = progress(1);
      nextAttempt(stable(2000), p, 'connected', 1000);
      nextAttempt(stable(2000), p, 'connected', 2500);
      assert.deepEqual(nextAttempt(stable(2000), p, 'refused', 2750), { kind: 'again', at: 3000 });
      assert.equal(p.stableSince, null);
      nextAttempt(stable(2000), p, 'connected', 3000);
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 4999), { kind: 'again', at: 5249 });
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 5000), { kind: 'done' });
    });

    it('the window is of whatever the expectation accepts (--expect refused waits for a port to stay closed)', () => {
      const closed: Policy = { ...stable(500), accepts: (k) => k === 'refused' } as Policy;
      const p = progress(1);
      nextAttempt(closed, p, 'refused', 0);
      assert.deepEqual(nextAttempt(closed, p, 'connected', 250), { kind: 'again', at: 500 }, 'it opened: start over');
      nextAttempt(closed, p, 'refused', 500);
      assert.deepEqual(nextAttempt(closed, p, 'refused', 1000), { kind: 'done' });
    });

    it('a window that cannot close before the deadline gives up there, as an unmet wait does', () => {
      const p = progress(1);
      nextAttempt(stable(2000), p, 'connected', 9000);
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 9900), { kind: 'again', at: 9900 }, 'the last attempt, now');
      assert.deepEqual(nextAttempt(stable(2000), p, 'connected', 9950), { kind: 'gave-up' });
    });

    it('the last attempt starts no earlier than the window\'s end, so that its answer can close the window', () => {
      assert.deepEqual(nextAttempt(stable(1000, 5000, 2000), progress(1), 'connected', 5500), { kind: 'again', at: 8000 }, 'the window ends before deadline - timeout');
      assert.deepEqual(nextAttempt(stable(1000, 3000, 2000), progress(1), 'connected', 7600), { kind: 'again', at: 8600 }, 'the window ends after it');
      assert.equal(attemptDeadline(stable(1000), 8600, 2000), 10_000, 'and that attempt still ends by the deadline');
    });
  });
});
